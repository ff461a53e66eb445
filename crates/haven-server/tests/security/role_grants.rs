//! Granting a role that sees personal data: audited, and the organization's
//! supervisor is told.

use crate::helpers::{CaseWorld, text};
use axum::http::StatusCode;
use haven_domain::Role;
use haven_store::on_both;
use haven_store::testing::TestDb;

/// Finding 11: one administrator granted a role that sees personal data and
/// nobody else learned of it.
async fn an_administrator_quietly_grants_access_to_personal_data(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    let admin = app
        .person(w.ngo, "admin@ngo.test", &[Role::Administrator])
        .await;
    let analyst = app
        .person(w.ngo, "analyst@ngo.test", &[Role::Analyst])
        .await;
    let res = app
        .post(
            &admin,
            &format!("/admin/users/{}/access", analyst.id),
            &[("roles", "analyst"), ("roles", "supervisor")],
        )
        .await;
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "{}: {}",
        w.name(),
        res.status()
    );
    assert!(
        app.trail("user", &analyst.id.to_string())
            .await
            .contains(&"user.role_granted".to_owned()),
        "{}: audited as a grant",
        w.name()
    );
    let grants: Vec<_> = app
        .db
        .store
        .role_grants(w.ngo, 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|g| g.user == analyst.id)
        .collect();
    assert_eq!(grants.len(), 1, "{}: {grants:?}", w.name());
    assert_eq!(
        (grants[0].user, grants[0].role, grants[0].granted_by),
        (analyst.id, Role::Supervisor, Some(admin.id))
    );
    // The organization's supervisor is told, and finds it on the access page.
    let now = haven_domain::now();
    haven_server::features::relief::deliver_messages(&app.state, "test", now)
        .await
        .unwrap();
    let home = text(app.get(&w.ngo_supervisor, "/").await).await;
    assert!(
        home.contains("analyst@ngo.test") && home.contains("can now see personal data"),
        "{}",
        w.name()
    );
    let page = text(app.get(&w.ngo_supervisor, "/access").await).await;
    assert!(
        page.contains("Person analyst@ngo.test") && page.contains("Person admin@ngo.test"),
        "{}",
        w.name()
    );
    // Another organization's supervisor learns nothing, and a specialist
    // does not see the page.
    let res = app.get(&w.agency_supervisor, "/access").await;
    assert!(!text(res).await.contains("analyst@ngo.test"));
    assert_eq!(
        app.get(&w.specialist, "/access").await.status(),
        StatusCode::NOT_FOUND
    );
}
on_both!(an_administrator_quietly_grants_access_to_personal_data);
