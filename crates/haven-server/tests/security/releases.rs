//! Releases: who may record and revoke them, and what a release recipient
//! may then write.

use crate::helpers::{CaseWorld, Recipient};
use axum::http::StatusCode;
use haven_domain::Role;
use haven_store::on_both;
use haven_store::testing::TestDb;

/// Finding 1: an agent on the case team records a "victim release" naming
/// their own agency (or the agent role everywhere) and then reads the
/// advocate's confidential notes. A release records the victim's decision
/// with their advocate: only the owning organization's victim services
/// record one, never naming themselves.
async fn law_enforcement_records_a_release_to_itself_to_read_advocate_notes(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    let note = w.advocate_note().await;
    let consents = format!("/api/v1/cases/{}/consents", w.case);
    let agent_token = app.token(&w.agent, &["cases:read", "cases:write"]).await;
    for body in [
        CaseWorld::release(Recipient::Org(w.agency), &["advocate_records", "identity"]),
        CaseWorld::release(
            Recipient::Role("law_enforcement_agent"),
            &["advocate_records"],
        ),
        CaseWorld::release(Recipient::Role("law_enforcement_agent"), &["identity"]),
    ] {
        let (s, _) = app.api(&agent_token, "POST", &consents, Some(body)).await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "{}: the agent's release is refused",
            w.name()
        );
    }
    // The same through the case page's form.
    let res = app
        .post(
            &w.agent,
            &format!("/cases/{}/consents", w.case),
            &[
                ("recipient", &format!("org:{}", w.agency)),
                ("purpose", "Investigation"),
                ("fields", "advocate_records"),
                ("signed_on", &haven_domain::now().date().to_string()),
                (
                    "expires_on",
                    &(haven_domain::now().date() + time::Duration::days(30)).to_string(),
                ),
                ("signers", "victim"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "{}: page form",
        w.name()
    );
    let (s, case) = app
        .api(
            &agent_token,
            "GET",
            &format!("/api/v1/cases/{}", w.case),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !case.to_string().contains(&note),
        "{}: the advocate's note stays closed to the agent",
        w.name()
    );
    // An agent of another agency, never on the team, does not see the case.
    let other = app.token(&w.other_agent, &["cases:read"]).await;
    let (_, list) = app.api(&other, "GET", "/api/v1/cases", None).await;
    assert!(!list.to_string().contains(&w.case), "{}", w.name());

    // Victim services of the owning organization record releases, within
    // the rules: never to themselves, never advocate records to a role.
    for (recipient, fields, code) in [
        (Recipient::Org(w.ngo), &["identity"][..], "own_organization"),
        (
            Recipient::Role("victim_specialist"),
            &["identity"][..],
            "own_role",
        ),
        (
            Recipient::Role("law_enforcement_agent"),
            &["advocate_records"][..],
            "advocate_records_to_role",
        ),
    ] {
        let (s, b) = app
            .api(
                &w.owner_token,
                "POST",
                &consents,
                Some(CaseWorld::release(recipient, fields)),
            )
            .await;
        assert_eq!(
            (s, b["code"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some(code)),
            "{}",
            w.name()
        );
    }
    let (s, b) = app
        .api(
            &w.owner_token,
            "POST",
            &consents,
            Some(CaseWorld::release(Recipient::Org(w.agency), &["identity"])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{}: {b}", w.name());
    assert_eq!(
        b["witnessed_by"],
        w.specialist.id.to_string(),
        "the witness is kept"
    );
    // A colleague not on the team, and the partner agency's supervisor,
    // record nothing; the owner's supervisor may.
    for p in [&w.colleague, &w.agency_supervisor] {
        let t = app.token(p, &["cases:read", "cases:write"]).await;
        let (s, _) = app
            .api(
                &t,
                "POST",
                &consents,
                Some(CaseWorld::release(
                    Recipient::Org(w.other_ngo),
                    &["identity"],
                )),
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{}", w.name());
    }
    let boss = app
        .token(&w.ngo_supervisor, &["cases:read", "cases:write"])
        .await;
    let (s, _) = app
        .api(
            &boss,
            "POST",
            &consents,
            Some(CaseWorld::release(
                Recipient::Org(w.other_ngo),
                &["identity"],
            )),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{}", w.name());
}
on_both!(law_enforcement_records_a_release_to_itself_to_read_advocate_notes);

/// Finding 2: a token with only `cases:read` recorded and revoked releases.
async fn a_read_only_token_records_and_revokes_releases(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    let consents = format!("/api/v1/cases/{}/consents", w.case);
    let read_only = app.token(&w.specialist, &["cases:read"]).await;
    let (s, _) = app
        .api(
            &read_only,
            "POST",
            &consents,
            Some(CaseWorld::release(Recipient::Org(w.agency), &["identity"])),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "{}: recording needs cases:write",
        w.name()
    );
    let (s, b) = app
        .api(
            &w.owner_token,
            "POST",
            &consents,
            Some(CaseWorld::release(Recipient::Org(w.agency), &["identity"])),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let id = b["id"].as_str().unwrap().to_owned();
    let (s, _) = app
        .api(&read_only, "DELETE", &format!("{consents}/{id}"), None)
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "{}: revoking needs cases:write",
        w.name()
    );
    let (s, list) = app.api(&read_only, "GET", &consents, None).await;
    assert_eq!(s, StatusCode::OK, "reading releases needs only cases:read");
    assert_eq!(list[0]["active"], true, "{}: still in force", w.name());
    // Changing the team is a write too.
    let (s, _) = app
        .api(
            &read_only,
            "POST",
            &format!("/api/v1/cases/{}/team", w.case),
            Some(serde_json::json!({"user_id": w.colleague.id.to_string(), "role": "owner_specialist"})),
        )
        .await;
    assert!(
        matches!(s, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
        "{}: {s}",
        w.name()
    );
}
on_both!(a_read_only_token_records_and_revokes_releases);

/// Found while listing every write: law enforcement that may read advocate
/// notes under a release could edit them; and analysts kept intake drafts
/// through the API.
async fn a_release_recipient_edits_advocate_notes_and_analysts_keep_drafts(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    w.advocate_note().await;
    let (s, _) = app
        .api(
            &w.owner_token,
            "POST",
            &format!("/api/v1/cases/{}/consents", w.case),
            Some(CaseWorld::release(
                Recipient::Org(w.agency),
                &["advocate_records"],
            )),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let agent = app.token(&w.agent, &["cases:read", "cases:write"]).await;
    let (_, case) = app
        .api(&agent, "GET", &format!("/api/v1/cases/{}", w.case), None)
        .await;
    let text_of = case.to_string();
    let entry = case["entries"]
        .as_array()
        .into_iter()
        .flatten()
        .chain(case["timeline"].as_array().into_iter().flatten())
        .find(|e| e["compartment"] == "advocate")
        .unwrap_or_else(|| {
            panic!(
                "{}: the agent reads it under the release: {text_of}",
                w.name()
            )
        })
        .clone();
    let (s, _) = app
        .api(
            &agent,
            "PATCH",
            &format!(
                "/api/v1/cases/{}/entries/{}",
                w.case,
                entry["id"].as_str().unwrap()
            ),
            Some(serde_json::json!({"text": "rewritten by the agent"})),
        )
        .await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}: {s}",
        w.name()
    );
    let analyst = app
        .person(w.ngo, "analyst2@ngo.test", &[Role::Analyst])
        .await;
    let t = app.token(&analyst, &["cases:read", "cases:write"]).await;
    let (s, _) = app
        .api(
            &t,
            "POST",
            "/api/v1/intake-drafts",
            Some(serde_json::json!({"name": "Someone"})),
        )
        .await;
    assert!(
        matches!(s, StatusCode::FORBIDDEN | StatusCode::NOT_FOUND),
        "{}: {s}",
        w.name()
    );
}
on_both!(a_release_recipient_edits_advocate_notes_and_analysts_keep_drafts);
