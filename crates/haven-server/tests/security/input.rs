//! What a request carries: a redirect off the site, invisible text and
//! impossible dates.

use crate::helpers;
use crate::helpers::{App, CaseWorld, Recipient};
use axum::http::StatusCode;
use haven_store::on_both;
use haven_store::testing::TestDb;

/// Finding 5: `/language/en?next=/%09/evil.example` redirected off the site
/// (browsers drop the tab and read `//evil.example`).
async fn the_language_switch_redirects_off_the_site(db: TestDb) {
    let app = App::new(db).await;
    for next in [
        "/%09/evil.example",
        "/%0a/evil.example",
        "/%0d%0a/evil.example",
        "//evil.example",
        "/%5C%5Cevil.example",
        "/%5cevil.example",
        "https://evil.example/",
        "/%2F%2Fevil.example",
        "%2F%2Fevil.example",
        "/%20/evil.example",
        "javascript:alert(1)",
    ] {
        let res = app
            .send(helpers::get_req(&format!("/language/es?next={next}"), None))
            .await;
        assert_eq!(res.status(), StatusCode::SEE_OTHER);
        let to = helpers::location(&res);
        assert!(
            to.starts_with('/')
                && !to.starts_with("//")
                && !to.contains('\\')
                && !to.contains("evil.example")
                || to == "/",
            "{}: {next} -> {to}",
            app.db.name
        );
        assert!(to.bytes().all(|b| b.is_ascii_graphic()), "{next} -> {to:?}");
    }
    let res = app
        .send(helpers::get_req(
            "/language/es?next=/cases%3Fstage%3Dopen",
            None,
        ))
        .await;
    assert_eq!(
        helpers::location(&res),
        "/cases?stage=open",
        "a local path is kept"
    );
}
on_both!(the_language_switch_redirects_off_the_site);

/// Finding 9: invisible-only text and impossible dates were accepted.
async fn invisible_text_and_impossible_dates_are_accepted(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    let zw = "\u{200B}".repeat(10);
    for (name, dob, field) in [
        ("\u{200B}", "1990-01-01", "name"),
        ("\u{FEFF}\u{2060}", "1990-01-01", "name"),
        ("Ana Real", "0000-01-01", "birth_date"),
        ("Ana Real", "-0001-01-01", "birth_date"),
        ("Ana Real", "1850-06-01", "birth_date"),
    ] {
        let (s, b) = app
            .api(
                &w.owner_token,
                "POST",
                "/api/v1/cases",
                Some(
                    serde_json::json!({"name": name, "birth_date": dob, "confirm_duplicate": true}),
                ),
            )
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{}: {name:?} {dob}: {b}",
            w.name()
        );
        assert!(
            b.to_string().contains(field),
            "{}: names {field}: {b}",
            w.name()
        );
    }
    // A release from year 0 to 9999, or longer than the policy allows.
    let consents = format!("/api/v1/cases/{}/consents", w.case);
    let mut forever = CaseWorld::release(Recipient::Org(w.agency), &["identity"]);
    forever["signed_on"] = "0000-01-01".into();
    forever["expires_on"] = "9999-12-31".into();
    let (s, b) = app
        .api(&w.owner_token, "POST", &consents, Some(forever))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("term_too_long")),
        "{}",
        w.name()
    );
    let mut long = CaseWorld::release(Recipient::Org(w.agency), &["identity"]);
    long["expires_on"] = (haven_domain::now().date() + time::Duration::days(400))
        .to_string()
        .into();
    let (s, b) = app.api(&w.owner_token, "POST", &consents, Some(long)).await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("term_too_long"))
    );
    let mut purpose = CaseWorld::release(Recipient::Org(w.agency), &["identity"]);
    purpose["purpose"] = zw.clone().into();
    let (s, b) = app
        .api(&w.owner_token, "POST", &consents, Some(purpose))
        .await;
    assert_eq!(
        (s, b["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("no_purpose"))
    );
    // Break glass with a reason of ten zero-width spaces.
    let res = app
        .post(
            &w.agency_supervisor,
            &format!("/cases/{}/emergency", w.case),
            &[("reason", &zw)],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        w.name()
    );
    assert!(
        app.db
            .store
            .pending_emergency_access(w.ngo)
            .await
            .unwrap()
            .is_empty()
    );
    let res = app
        .post(
            &w.agency_supervisor,
            &format!("/cases/{}/emergency", w.case),
            &[("reason", "Victim in danger tonight; owner unreachable")],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::OK,
        "{}: a real reason opens it",
        w.name()
    );
    assert_eq!(
        app.db
            .store
            .pending_emergency_access(w.ngo)
            .await
            .unwrap()
            .len(),
        1
    );
}
on_both!(invisible_text_and_impossible_dates_are_accepted);
