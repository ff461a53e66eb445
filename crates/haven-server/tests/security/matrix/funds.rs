//! Emergency funds: created, topped up, requested and decided, through the
//! API and the pages.

use super::*;

row!(
    api_create_fund,
    ["ngo_supervisor", "agency_supervisor", "admin"],
    |m, p| Attempt::Api(
        "POST",
        "/api/v1/funds".into(),
        Some(serde_json::json!({"name": format!("Fund of {p}"), "budget": "1000"}))
    )
);

async fn ngo_fund(m: &MatrixWorld) -> String {
    let boss =
        m.w.app
            .token(&m.w.ngo_supervisor, &["cases:read", "cases:write"])
            .await;
    let (s, b) = m
        .w
        .app
        .api(
            &boss,
            "POST",
            "/api/v1/funds",
            Some(serde_json::json!({"name": format!("Emergency {}", uuid::Uuid::new_v4().simple()), "budget": "5000"})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b["id"].as_str().unwrap().to_owned()
}

row!(api_request_funds, ["owner", "ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    Attempt::Api(
        "POST",
        format!("/api/v1/cases/{}/fund-requests", m.case()),
        Some(
            serde_json::json!({"fund_id": fund, "amount": "120", "purpose": "lodging", "urgency": "high", "description": "Two nights"}),
        ),
    )
});

row!(api_decide_fund_request, ["ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/fund-requests", m.case()),
            serde_json::json!({"fund_id": fund, "amount": "120", "purpose": "lodging", "urgency": "high", "description": "Two nights"}),
        )
        .await;
    Attempt::Api(
        "POST",
        format!(
            "/api/v1/fund-requests/{}/decision",
            b["id"].as_str().unwrap()
        ),
        Some(serde_json::json!({"approve": false, "note": "Covered by the shelter"})),
    )
});

row!(page_request_funds, ["owner", "ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    Attempt::Page(
        format!("/cases/{}/fund-requests", m.case()),
        pairs(&[
            ("fund_id", &fund),
            ("amount", "80"),
            ("purpose", "food"),
            ("urgency", "high"),
            ("description", "Groceries for a week"),
        ]),
    )
});

row!(
    page_create_fund,
    ["ngo_supervisor", "agency_supervisor", "admin"],
    |m, p| Attempt::Page(
        "/funds".into(),
        pairs(&[("name", &format!("Page fund of {p}")), ("budget", "500")])
    )
);

row!(page_add_to_fund, ["ngo_supervisor", "admin"], |m, p| {
    let fund = ngo_fund(m).await;
    Attempt::Page(format!("/funds/{fund}/add"), pairs(&[("amount", "100")]))
});

row!(page_decide_fund_request, ["ngo_supervisor"], |m, p| {
    let fund = ngo_fund(m).await;
    let b = m
        .setup(
            "POST",
            &format!("/api/v1/cases/{}/fund-requests", m.case()),
            serde_json::json!({"fund_id": fund, "amount": "60", "purpose": "food", "urgency": "high", "description": "Groceries"}),
        )
        .await;
    Attempt::Page(
        format!("/fund-requests/{}/decide", b["id"].as_str().unwrap()),
        pairs(&[("decision", "deny"), ("note", "Covered by the shelter")]),
    )
});
