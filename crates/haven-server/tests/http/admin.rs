//! Administration: people, roles, organizations and access history.

use crate::support::*;
use axum::http::StatusCode;
use haven_domain::{AuditAction, AuditEntry};
use haven_domain::{OrgKind, Organization, OrganizationId, Role, UserId};
use haven_store::testing::TestDb;

async fn administration_follows_the_role_matrix_and_denials_look_like_not_found(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org_a = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let org_b = Organization {
        id: OrganizationId::new(),
        name: "Other Agency".into(),
        kind: OrgKind::LawEnforcement,
        created_at: haven_domain::now(),
    };
    app.db
        .store
        .create_organization(&org_b, &AuditEntry::new(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    let (outsider, _) = person(
        &app,
        org_b.id,
        "outsider@example.test",
        &[Role::LawEnforcementAgent],
    )
    .await;
    let colleague = app.user;
    let not_found_body = {
        let (_, admin) = person(&app, org_a, "probe@example.test", &[Role::Administrator]).await;
        text(
            send(
                &app,
                get(&format!("/admin/users/{}", UserId::new()), Some(&admin)),
            )
            .await,
        )
        .await
    };

    for (i, role) in Role::ALL.into_iter().enumerate() {
        let (me, cookie) = person(&app, org_a, &format!("role{i}@example.test"), &[role]).await;
        let csrf = csrf_of(&app, &cookie).await;
        let admin = role == Role::Administrator;
        let expect = |allowed: bool| {
            if allowed {
                StatusCode::OK
            } else {
                StatusCode::NOT_FOUND
            }
        };

        let res = send(&app, get("/admin/users", Some(&cookie))).await;
        assert_eq!(
            res.status(),
            expect(admin),
            "{}: {role:?} lists people",
            app.db.name
        );
        let res = send(
            &app,
            get(&format!("/admin/users/{colleague}"), Some(&cookie)),
        )
        .await;
        assert_eq!(res.status(), expect(admin), "{role:?} views a colleague");
        if !admin {
            assert_eq!(
                text(res).await,
                not_found_body,
                "{role:?}: a denial reads exactly like a missing record"
            );
        }
        let res = send(&app, get(&format!("/admin/users/{me}"), Some(&cookie))).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{role:?} views their own account"
        );
        let res = send(
            &app,
            get(&format!("/admin/users/{outsider}"), Some(&cookie)),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{role:?}: another organization's staff are invisible"
        );

        let add = form_encode(&[
            ("csrf", &csrf),
            ("name", "New Person"),
            ("login", &format!("new{i}@example.test")),
            ("password", "a long enough password"),
            ("roles", "analyst"),
        ]);
        let res = send(&app, post_form("/admin/users", &add, Some(&cookie))).await;
        assert_eq!(
            res.status(),
            if admin {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::NOT_FOUND
            },
            "{role:?} adds a person"
        );

        let end = form_encode(&[("csrf", &csrf)]);
        let res = send(
            &app,
            post_form(
                &format!("/admin/users/{outsider}/end-sessions"),
                &end,
                Some(&cookie),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            StatusCode::NOT_FOUND,
            "{role:?}: no reach into another organization"
        );
        let res = send(
            &app,
            post_form(
                &format!("/admin/users/{colleague}/reset-mfa"),
                &end,
                Some(&cookie),
            ),
        )
        .await;
        assert_eq!(
            res.status(),
            if admin {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::NOT_FOUND
            },
            "{role:?} resets a colleague's factor"
        );

        let res = send(&app, get("/admin/organizations", Some(&cookie))).await;
        assert_eq!(
            res.status(),
            StatusCode::OK,
            "{role:?} sees the directory of organizations"
        );
        let org = form_encode(&[
            ("csrf", &csrf),
            ("name", &format!("Org {i}")),
            ("kind", "ngo"),
        ]);
        let res = send(&app, post_form("/admin/organizations", &org, Some(&cookie))).await;
        assert_eq!(
            res.status(),
            if admin {
                StatusCode::SEE_OTHER
            } else {
                StatusCode::NOT_FOUND
            },
            "{role:?} adds an organization"
        );
    }
    let denied = app
        .db
        .store
        .audit_trail()
        .await
        .into_iter()
        .filter(|r| r.action == "access.denied")
        .count();
    assert!(
        denied >= 7 * 5,
        "{}: refusals are audited ({denied})",
        app.db.name
    );
}
on_both!(administration_follows_the_role_matrix_and_denials_look_like_not_found);

async fn an_administrator_adds_a_person_who_can_then_sign_in_and_bad_input_is_explained(
    db: TestDb,
) {
    let app = app_on(db, no_mfa()).await;
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let (_, admin) = person(&app, org, "admin@example.test", &[Role::Administrator]).await;
    let csrf = csrf_of(&app, &admin).await;

    let bad = form_encode(&[
        ("csrf", &csrf),
        ("name", ""),
        ("login", "a b"),
        ("password", "short"),
        ("roles", "superuser"),
    ]);
    let res = send(&app, post_form("/admin/users", &bad, Some(&admin))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = text(res).await;
    for msg in [
        "Enter the person",
        "no spaces",
        "at least 12 characters",
        "at least one role",
    ] {
        assert!(html.contains(msg), "{}: {msg}", app.db.name);
    }
    assert!(html.contains("value=\"a b\""), "what was typed is kept");

    let good = form_encode(&[
        ("csrf", &csrf),
        ("name", "Rosa Nueva"),
        ("login", "rosa@example.test"),
        ("password", "a long enough password"),
        ("roles", "victim_specialist"),
        ("roles", "supervisor"),
    ]);
    let res = send(&app, post_form("/admin/users", &good, Some(&admin))).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.db.name);
    let page = text(send(&app, get(&location(&res), Some(&admin))).await).await;
    assert!(
        page.contains("The account was created")
            && page.contains("Supervisor, Victim assistance specialist")
            || page.contains("Victim assistance specialist, Supervisor"),
        "{page}"
    );
    let again = send(&app, post_form("/admin/users", &good, Some(&admin))).await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    assert!(text(again).await.contains("already in use"));

    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[
                ("login", "rosa@example.test"),
                ("password", "a long enough password"),
            ]),
            None,
        ),
    )
    .await;
    assert_eq!(
        location(&res),
        "/",
        "{}: the new person signs in",
        app.db.name
    );
}
on_both!(an_administrator_adds_a_person_who_can_then_sign_in_and_bad_input_is_explained);

async fn administrators_see_an_accounts_access_history_including_their_own_look(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let (admin_id, admin) =
        person(&app, org, "histadmin@example.test", &[Role::Administrator]).await;
    sign_in(&app).await;
    let page = text(
        send(
            &app,
            get(&format!("/admin/users/{}", app.user), Some(&admin)),
        )
        .await,
    )
    .await;
    assert!(page.contains("Access history"), "{}", app.db.name);
    assert!(page.contains("Account created"), "{}", app.db.name);
    let views = app
        .db
        .store
        .audit_for_resource("user", &app.user.to_string(), 10)
        .await
        .unwrap();
    assert_eq!(
        views[0].action, "record.viewed",
        "{}: the read was recorded before the page was sent",
        app.db.name
    );
    assert_eq!(views[0].actor_user, Some(admin_id));
    // Looking again shows the earlier look, by name.
    let page = text(
        send(
            &app,
            get(&format!("/admin/users/{}", app.user), Some(&admin)),
        )
        .await,
    )
    .await;
    assert!(
        page.contains("Viewed") && page.contains("Person histadmin@example.test"),
        "{}",
        app.db.name
    );
}
on_both!(administrators_see_an_accounts_access_history_including_their_own_look);

async fn administrators_change_roles_and_disable_accounts_but_never_their_own(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let (admin_id, admin) = person(
        &app,
        org,
        "accessadmin@example.test",
        &[Role::Administrator],
    )
    .await;
    let colleague_cookie = sign_in(&app).await;
    let csrf = csrf_of(&app, &admin).await;

    let change = form_encode(&[
        ("csrf", &csrf),
        ("roles", "supervisor"),
        ("roles", "victim_specialist"),
    ]);
    let res = send(
        &app,
        post_form(
            &format!("/admin/users/{}/access", app.user),
            &change,
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(
        location(&res),
        format!("/admin/users/{}?done=access", app.user)
    );
    assert_eq!(
        app.db.store.user(app.user).await.unwrap().unwrap().roles,
        vec![Role::Supervisor, Role::VictimSpecialist]
    );
    assert_eq!(
        send(&app, get("/", Some(&colleague_cookie))).await.status(),
        StatusCode::OK,
        "still signed in"
    );

    let disable = form_encode(&[("csrf", &csrf), ("roles", "supervisor"), ("disabled", "1")]);
    send(
        &app,
        post_form(
            &format!("/admin/users/{}/access", app.user),
            &disable,
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(
        location(&send(&app, get("/", Some(&colleague_cookie))).await),
        "/sign-in",
        "{}: disabled ends sessions",
        app.db.name
    );
    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "{}: a disabled account cannot sign in",
        app.db.name
    );

    let own = form_encode(&[("csrf", &csrf), ("roles", "analyst")]);
    let res = send(
        &app,
        post_form(
            &format!("/admin/users/{admin_id}/access"),
            &own,
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "{}: no changing one's own access",
        app.db.name
    );
    assert_eq!(
        app.db.store.user(admin_id).await.unwrap().unwrap().roles,
        vec![Role::Administrator]
    );

    // The same through the API.
    let token = make_token(&app, &admin, &["admin:read", "admin:write"]).await;
    let res = send(
        &app,
        api(
            "PATCH",
            &format!("/api/v1/users/{}", app.user),
            Some(&token),
            Some(serde_json::json!({"disabled": false})),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
    assert_eq!(json(res).await["roles"], serde_json::json!(["supervisor"]));
    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    assert_eq!(location(&res), "/", "{}: enabled again", app.db.name);
    let res = send(
        &app,
        api(
            "PATCH",
            &format!("/api/v1/users/{}", app.user),
            Some(&token),
            Some(serde_json::json!({"roles": ["boss"]})),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = send(
        &app,
        api(
            "PATCH",
            &format!("/api/v1/users/{admin_id}"),
            Some(&token),
            Some(serde_json::json!({"disabled": true})),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
on_both!(administrators_change_roles_and_disable_accounts_but_never_their_own);
