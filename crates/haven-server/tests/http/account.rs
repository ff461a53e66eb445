//! Signing in and out, sessions, lockout, the second factor and API tokens.

use crate::support::*;
use axum::http::{StatusCode, header};
use haven_domain::{AuditAction, AuditEntry};
use haven_domain::{LoginName, Role};
use haven_server::{HashCost, Hasher, Settings};
use haven_store::testing::TestDb;

async fn pages_need_a_session_and_sign_in_starts_one(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let res = send(&app, get("/", None)).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/sign-in");

    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", "SAM.TESTER@example.test"), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}: logins ignore case",
        app.db.name
    );
    let set = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(set.starts_with("haven_session="), "{set}");
    assert!(
        set.contains("HttpOnly") && set.contains("SameSite=Strict") && set.contains("Path=/"),
        "{set}"
    );
    let cookie = set.split(';').next().unwrap();

    let res = send(&app, get("/", Some(cookie))).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", app.db.name);
    let html = text(res).await;
    assert!(
        html.contains("Welcome, Sam Tester") && html.contains("Test Services"),
        "{}",
        app.db.name
    );
    assert!(html.contains("Victim assistance specialist"));
    assert!(
        html.contains("href=\"#main\"") && html.contains("id=\"main\""),
        "skip link and target"
    );
    assert!(html.contains("id=\"quick-exit\""));

    // A signed-in person asking for the sign-in page goes home.
    let res = send(&app, get("/sign-in", Some(cookie))).await;
    assert_eq!(res.headers().get(header::LOCATION).unwrap(), "/");
}
on_both!(pages_need_a_session_and_sign_in_starts_one);

async fn unknown_users_and_wrong_passwords_get_the_same_answer(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let wrong = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", "nope nope nope")]),
            None,
        ),
    )
    .await;
    let unknown = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[
                ("login", "nobody@example.test"),
                ("password", "nope nope nope"),
            ]),
            None,
        ),
    )
    .await;
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status(), wrong.status());
    assert!(wrong.headers().get(header::SET_COOKIE).is_none());
    let (a, b) = (text(wrong).await, text(unknown).await);
    assert!(a.contains("The email or password is not right"));
    // Same page apart from the echoed login.
    assert_eq!(
        a.replace(LOGIN, "X"),
        b.replace("nobody@example.test", "X"),
        "{}",
        app.db.name
    );

    let empty = send(&app, post_form("/sign-in", "login=&password=", None)).await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let junk = send(&app, post_form("/sign-in", "%%%", None)).await;
    assert!(
        junk.status().is_client_error(),
        "malformed forms are a 4xx, never a 500"
    );
}
on_both!(unknown_users_and_wrong_passwords_get_the_same_answer);

async fn sign_out_needs_the_session_token_and_ends_the_session(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let cookie = sign_in(&app).await;
    let html = text(send(&app, get("/", Some(&cookie))).await).await;
    let csrf = csrf_from(&html);

    let res = send(&app, post_form("/sign-out", "csrf=forged", Some(&cookie))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        send(&app, get("/", Some(&cookie))).await.status(),
        StatusCode::OK,
        "still signed in"
    );

    let res = send(
        &app,
        post_form("/sign-out", &form_encode(&[("csrf", &csrf)]), Some(&cookie)),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert!(
        res.headers()
            .get(header::SET_COOKIE)
            .unwrap()
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    assert_eq!(
        send(&app, get("/", Some(&cookie))).await.status(),
        StatusCode::SEE_OTHER,
        "{}",
        app.db.name
    );
}
on_both!(sign_out_needs_the_session_token_and_ends_the_session);

async fn signing_in_again_replaces_the_session(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let first = sign_in(&app).await;
    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            Some(&first),
        ),
    )
    .await;
    let second = res
        .headers()
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_ne!(first, second);
    assert_eq!(
        send(&app, get("/", Some(&first))).await.status(),
        StatusCode::SEE_OTHER,
        "old session ended"
    );
    assert_eq!(
        send(&app, get("/", Some(&second))).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.db
            .store
            .delete_sessions_for_user(app.user, None)
            .await
            .unwrap(),
        1,
        "{}",
        app.db.name
    );
}
on_both!(signing_in_again_replaces_the_session);

async fn idle_sessions_expire_and_say_so(db: TestDb) {
    let mut settings = no_mfa();
    settings.session.idle_timeout = time::Duration::milliseconds(1);
    let app = app_on(db, settings.clone()).await;
    let cookie = sign_in(&app).await;
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let res = send(&app, get("/", Some(&cookie))).await;
    assert_eq!(
        res.headers().get(header::LOCATION).unwrap(),
        "/sign-in?expired=1"
    );
    let html = text(send(&app, get("/sign-in?expired=1", None)).await).await;
    assert!(html.contains("Your session ended"));
    assert_eq!(
        app.db
            .store
            .delete_sessions_for_user(app.user, None)
            .await
            .unwrap(),
        0,
        "expired session deleted"
    );
}
on_both!(idle_sessions_expire_and_say_so);

async fn old_password_hashes_are_upgraded_at_sign_in(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let weak = Hasher::new(HashCost {
        memory_kib: 16,
        iterations: 1,
        parallelism: 1,
    })
    .hash_blocking(PASSWORD);
    app.db
        .store
        .set_password_hash(app.user, &weak)
        .await
        .unwrap();
    sign_in(&app).await;
    let now = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .password_hash;
    assert_ne!(now, weak);
    assert!(now.contains("m=8,"), "{now}");
}
on_both!(old_password_hashes_are_upgraded_at_sign_in);

async fn repeated_failures_lock_an_account_whether_or_not_it_exists(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    for login in [LOGIN, "ghost@example.test"] {
        for _ in 0..5 {
            let res = send(&app, sign_in_from(login, "wrong password", [10, 0, 0, 1])).await;
            assert_eq!(res.status(), StatusCode::UNAUTHORIZED, "{}", app.db.name);
        }
        // Even the right password is refused while locked, and the answer
        // is the same for a real and a made-up account.
        let res = send(&app, sign_in_from(login, PASSWORD, [10, 0, 0, 2])).await;
        assert_eq!(
            res.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{}: {login}",
            app.db.name
        );
        assert!(res.headers().get(header::SET_COOKIE).is_none());
        assert!(text(res).await.contains("Too many failed sign-in attempts"));
    }
}
on_both!(repeated_failures_lock_an_account_whether_or_not_it_exists);

async fn a_success_resets_the_account_count(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    for _ in 0..4 {
        send(&app, sign_in_from(LOGIN, "wrong password", [10, 0, 0, 1])).await;
    }
    let res = send(&app, sign_in_from(LOGIN, PASSWORD, [10, 0, 0, 1])).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "{}", app.db.name);
    for _ in 0..4 {
        send(&app, sign_in_from(LOGIN, "wrong password", [10, 0, 0, 1])).await;
    }
    let res = send(&app, sign_in_from(LOGIN, PASSWORD, [10, 0, 0, 1])).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}: four more failures do not lock",
        app.db.name
    );
}
on_both!(a_success_resets_the_account_count);

async fn an_address_guessing_at_many_accounts_is_locked_out(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    for i in 0..20 {
        let res = send(
            &app,
            sign_in_from(&format!("guess{i}@example.test"), "x", [192, 0, 2, 7]),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = send(&app, sign_in_from(LOGIN, PASSWORD, [192, 0, 2, 7])).await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        app.db.name
    );
    let res = send(&app, sign_in_from(LOGIN, PASSWORD, [192, 0, 2, 8])).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}: another address is not locked",
        app.db.name
    );
}
on_both!(an_address_guessing_at_many_accounts_is_locked_out);

async fn roles_that_see_personal_data_must_enrol_and_then_use_totp(db: TestDb) {
    let app = app_on(db, Settings::default()).await;
    let (full, secret, _, t) = enrol(&app).await;
    sign_out(&app, &full).await;

    // The secret is stored encrypted, bound to the user's row.
    let stored = app.db.store.mfa(app.user).await.unwrap().unwrap();
    assert!(
        !stored
            .secret
            .windows(secret.len())
            .any(|w| w == secret.as_slice()),
        "{}",
        app.db.name
    );

    // Next time: password, then a code. The code used at enrolment is
    // refused (same time step), so wait for the next step if needed.
    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    assert_eq!(location(&res), "/sign-in/mfa", "{}", app.db.name);
    let pending = cookie_of(&res);
    let html = text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await;
    let csrf = csrf_from(&html);
    let replay = haven_server::features::account::mfa::code_at(&secret, t).unwrap();
    let res = send(
        &app,
        post_form(
            "/sign-in/mfa",
            &form_encode(&[("csrf", &csrf), ("code", &replay)]),
            Some(&pending),
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "{}: the enrolment code cannot be replayed",
        app.db.name
    );
    assert!(text(res).await.contains("already used"));

    // A code from the next step is accepted once.
    let next = haven_server::features::account::mfa::code_at(&secret, t + 30).unwrap();
    let res = send(
        &app,
        post_form(
            "/sign-in/mfa",
            &form_encode(&[("csrf", &csrf), ("code", &next)]),
            Some(&pending),
        ),
    )
    .await;
    assert_eq!(location(&res), "/", "{}", app.db.name);
    let full = cookie_of(&res);
    assert_eq!(
        send(&app, get("/", Some(&full))).await.status(),
        StatusCode::OK
    );
    sign_out(&app, &full).await;

    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    let pending = cookie_of(&res);
    let csrf = csrf_from(&text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await);
    let res = send(
        &app,
        post_form(
            "/sign-in/mfa",
            &form_encode(&[("csrf", &csrf), ("code", &next)]),
            Some(&pending),
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::UNAUTHORIZED,
        "{}: a used code is refused",
        app.db.name
    );
    let forged = send(
        &app,
        post_form(
            "/sign-in/mfa",
            &form_encode(&[("csrf", "nope"), ("code", &next)]),
            Some(&pending),
        ),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
}
on_both!(roles_that_see_personal_data_must_enrol_and_then_use_totp);

async fn recovery_codes_work_once_each(db: TestDb) {
    let app = app_on(db, Settings::default()).await;
    let (full, _, codes, _) = enrol(&app).await;
    sign_out(&app, &full).await;
    for (i, attempt) in [&codes[3], &codes[3]].into_iter().enumerate() {
        let res = send(
            &app,
            post_form(
                "/sign-in",
                &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
                None,
            ),
        )
        .await;
        let pending = cookie_of(&res);
        let csrf = csrf_from(&text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await);
        let res = send(
            &app,
            post_form(
                "/sign-in/mfa",
                &form_encode(&[("csrf", &csrf), ("code", &attempt.to_uppercase())]),
                Some(&pending),
            ),
        )
        .await;
        if i == 0 {
            assert_eq!(location(&res), "/", "{}", app.db.name);
            sign_out(&app, &cookie_of(&res)).await;
        } else {
            assert_eq!(
                res.status(),
                StatusCode::UNAUTHORIZED,
                "{}: spent",
                app.db.name
            );
        }
    }
    assert_eq!(
        app.db.store.unused_recovery_codes(app.user).await.unwrap(),
        9
    );
    let actions: Vec<String> = app
        .db
        .store
        .audit_trail()
        .await
        .into_iter()
        .map(|r| r.action)
        .collect();
    for a in [
        "mfa.enabled",
        "mfa.recovery_code_used",
        "mfa.failed",
        "sign_in.password_accepted",
    ] {
        assert!(
            actions.iter().any(|x| x == a),
            "{}: {a} audited",
            app.db.name
        );
    }
}
on_both!(recovery_codes_work_once_each);

async fn wrong_codes_count_toward_the_lockout(db: TestDb) {
    let app = app_on(db, Settings::default()).await;
    let (full, _, _, _) = enrol(&app).await;
    sign_out(&app, &full).await;
    let res = send(
        &app,
        post_form(
            "/sign-in",
            &form_encode(&[("login", LOGIN), ("password", PASSWORD)]),
            None,
        ),
    )
    .await;
    let pending = cookie_of(&res);
    let csrf = csrf_from(&text(send(&app, get("/sign-in/mfa", Some(&pending))).await).await);
    for _ in 0..5 {
        let res = send(
            &app,
            post_form(
                "/sign-in/mfa",
                &form_encode(&[("csrf", &csrf), ("code", "123456")]),
                Some(&pending),
            ),
        )
        .await;
        assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    }
    let res = send(
        &app,
        post_form(
            "/sign-in/mfa",
            &form_encode(&[("csrf", &csrf), ("code", "654321")]),
            Some(&pending),
        ),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        app.db.name
    );
}
on_both!(wrong_codes_count_toward_the_lockout);

async fn sign_out_everywhere_ends_every_session_of_the_account(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let a = sign_in(&app).await;
    let b = sign_in(&app).await;
    let csrf = csrf_of(&app, &a).await;
    let res = send(
        &app,
        post_form(
            "/account/sign-out-everywhere",
            &form_encode(&[("csrf", &csrf)]),
            Some(&a),
        ),
    )
    .await;
    assert_eq!(location(&res), "/sign-in");
    for c in [&a, &b] {
        assert_eq!(
            location(&send(&app, get("/", Some(c))).await),
            "/sign-in",
            "{}",
            app.db.name
        );
    }
    assert_eq!(
        app.db
            .store
            .count_sessions_for_user(app.user)
            .await
            .unwrap(),
        0
    );
}
on_both!(sign_out_everywhere_ends_every_session_of_the_account);

async fn api_tokens_act_as_their_owner_within_their_scopes_until_revoked(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let (_, admin) = person(&app, org, "apiadmin@example.test", &[Role::Administrator]).await;
    let read = make_token(&app, &admin, &["admin:read"]).await;
    let write = make_token(&app, &admin, &["admin:read", "admin:write"]).await;
    assert!(read.starts_with("hvn_"));

    let me = json(send(&app, api("GET", "/api/v1/me", Some(&read), None)).await).await;
    assert_eq!(
        me["user"]["login"], "apiadmin@example.test",
        "{}",
        app.db.name
    );
    assert_eq!(me["scopes"], serde_json::json!(["admin:read"]));
    let users = json(send(&app, api("GET", "/api/v1/users", Some(&read), None)).await).await;
    assert_eq!(users.as_array().unwrap().len(), 2, "{}", app.db.name);
    let one = send(
        &app,
        api(
            "GET",
            &format!("/api/v1/users/{}", app.user),
            Some(&read),
            None,
        ),
    )
    .await;
    assert_eq!(one.status(), StatusCode::OK);

    let new = serde_json::json!({"login": "viaapi@example.test", "name": "Via Api", "password": "a long enough password", "roles": ["victim_specialist"]});
    let res = send(
        &app,
        api("POST", "/api/v1/users", Some(&read), Some(new.clone())),
    )
    .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "{}: a read-only token cannot add people",
        app.db.name
    );
    let res = send(
        &app,
        api("POST", "/api/v1/users", Some(&write), Some(new.clone())),
    )
    .await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", app.db.name);
    let res = send(&app, api("POST", "/api/v1/users", Some(&write), Some(new))).await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(json(res).await["field"], "login");

    let bad = serde_json::json!({"login": "x", "name": "", "password": "short", "roles": ["boss"]});
    let res = send(&app, api("POST", "/api/v1/users", Some(&write), Some(bad))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = json(res).await;
    assert_eq!(body["field"], "name");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["name", "login", "password", "roles"],
        "{}: every broken rule named",
        app.db.name
    );
    let res = send(
        &app,
        api(
            "POST",
            "/api/v1/users",
            Some(&write),
            Some(serde_json::json!({"login": 5})),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(res).await["code"], "invalid_json");

    let res = send(
        &app,
        api(
            "DELETE",
            &format!("/api/v1/users/{}/sessions", app.user),
            Some(&write),
            None,
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    // Revoked: refused at once.
    let tokens = app
        .db
        .store
        .api_tokens_of(
            app.db
                .store
                .user_by_login(&LoginName::parse("apiadmin@example.test").unwrap())
                .await
                .unwrap()
                .unwrap()
                .id,
        )
        .await
        .unwrap();
    let write_id = tokens.iter().find(|t| t.scopes.len() == 2).unwrap().id;
    let csrf = csrf_of(&app, &admin).await;
    let res = send(
        &app,
        post_form(
            &format!("/account/tokens/{write_id}/revoke"),
            &form_encode(&[("csrf", &csrf)]),
            Some(&admin),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        send(&app, api("GET", "/api/v1/me", Some(&write), None))
            .await
            .status(),
        StatusCode::UNAUTHORIZED,
        "{}",
        app.db.name
    );
    assert_eq!(
        send(&app, api("GET", "/api/v1/me", Some(&read), None))
            .await
            .status(),
        StatusCode::OK
    );
}
on_both!(api_tokens_act_as_their_owner_within_their_scopes_until_revoked);

async fn a_token_never_exceeds_its_owner_and_expired_tokens_fail(db: TestDb) {
    let app = app_on(db, no_mfa()).await;
    let org = app
        .db
        .store
        .user(app.user)
        .await
        .unwrap()
        .unwrap()
        .organization_id;
    let (spec, cookie) = person(&app, org, "apispec@example.test", &[Role::VictimSpecialist]).await;
    let all = make_token(&app, &cookie, &["admin:read", "admin:write"]).await;
    let res = send(
        &app,
        api(
            "GET",
            &format!("/api/v1/users/{}", app.user),
            Some(&all),
            None,
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", app.db.name);
    let listed = json(send(&app, api("GET", "/api/v1/users", Some(&all), None)).await).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "{}: only themself",
        app.db.name
    );
    let res = send(
        &app,
        api(
            "POST",
            "/api/v1/organizations",
            Some(&all),
            Some(serde_json::json!({"name": "X", "kind": "ngo"})),
        ),
    )
    .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);

    let now = haven_domain::now();
    let expired = haven_store::ApiToken {
        id: haven_domain::ApiTokenId::new(),
        token_hash: haven_server::web::api::token_hash("hvn_expired-token"),
        user_id: spec,
        name: "old".into(),
        scopes: vec![haven_domain::policy::Scope::AdminRead],
        created_at: now - time::Duration::days(40),
        expires_at: now - time::Duration::days(10),
        revoked_at: None,
        last_used_at: None,
    };
    app.db
        .store
        .create_api_token(&expired, &AuditEntry::new(AuditAction::ApiTokenCreated))
        .await
        .unwrap();
    assert_eq!(
        send(
            &app,
            api("GET", "/api/v1/me", Some("hvn_expired-token"), None)
        )
        .await
        .status(),
        StatusCode::UNAUTHORIZED
    );
    // A signed-in browser session may use the API too.
    let res = send(&app, get("/api/v1/me", Some(&cookie))).await;
    assert_eq!(
        json(res).await["scopes"],
        serde_json::Value::Null,
        "{}",
        app.db.name
    );
}
on_both!(a_token_never_exceeds_its_owner_and_expired_tokens_fail);
