//! Releases: recorded and revoked, through the API and the case page.

use super::*;

row!(api_record_release, ["owner", "ngo_supervisor"], |m, p| {
    Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/consents", m.case()),
        Some(CaseWorld::release(
            Recipient::Org(m.w.other_ngo),
            &["identity"],
        )),
    )
});

row!(api_revoke_release, ["owner", "ngo_supervisor"], |m, p| {
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/consents", m.case()),
            CaseWorld::release(Recipient::Org(m.w.other_ngo), &["identity"]),
        )
        .await;
    Attempt::Api(
        "DELETE",
        format!(
            "/api/v1/cases/{}/consents/{}",
            m.case(),
            b["id"].as_str().unwrap()
        ),
        None,
    )
});

fn release_form(m: &MatrixWorld) -> Vec<(String, String)> {
    [
        ("recipient", format!("org:{}", m.w.other_ngo)),
        ("purpose", "Housing referral".into()),
        ("fields", "identity".into()),
        ("signed_on", today_plus(0)),
        ("expires_on", today_plus(60)),
        ("signers", "victim".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

row!(page_record_release, ["owner", "ngo_supervisor"], |m, p| {
    Attempt::Page(format!("/cases/{}/consents", m.case()), release_form(m))
});

row!(page_revoke_release, ["owner", "ngo_supervisor"], |m, p| {
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/consents", m.case()),
            CaseWorld::release(Recipient::Org(m.w.other_ngo), &["identity"]),
        )
        .await;
    Attempt::Page(
        format!(
            "/cases/{}/consents/{}/revoke",
            m.case(),
            b["id"].as_str().unwrap()
        ),
        Vec::new(),
    )
});
