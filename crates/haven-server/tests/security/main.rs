//! The attacker's view, one test per attack (issue 22), each on SQLite and
//! PostgreSQL as tests of their own (`<attack>::sqlite`, `<attack>::postgres`).
//! Every test here failed on the code before its fix.

mod helpers;
mod matrix;

use haven_store::on_both;

use axum::http::StatusCode;
use haven_domain::{OrgKind, Role};
use haven_store::testing::TestDb;
use helpers::{App, CaseWorld, Recipient, encode, form_req, text};

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

/// Sets a relief tracker on the case that links it to a T application (the
/// 1367 flag, R-3) and gives it a U filing deadline in five days.
async fn protected_case_with_deadline(w: &CaseWorld) {
    let today = haven_domain::now().date();
    let facts = serde_json::json!({
        "format": "haven.relief-facts/1",
        "t_application": {"filed_on": (today - time::Duration::days(10)).to_string()},
        "u_certification": {"signed_on": haven_domain::relief::calendar::add_months(today, -6)
            .map(|d| d + time::Duration::days(5)).unwrap().to_string()},
    });
    let (s, b) = w
        .app
        .api(
            &w.owner_token,
            "PUT",
            &format!("/api/v1/cases/{}/relief/facts", w.case),
            Some(facts),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{}: {b}", w.name());
}

/// Finding 4: the 1367 flag protected nothing but exports. Immigration
/// information of a protected case stays with the owner's victim services;
/// law enforcement on the team reaches it only with the victim's release.
async fn law_enforcement_reads_a_1367_protected_case_s_immigration_information(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    protected_case_with_deadline(&w).await;
    let relief = format!("/api/v1/cases/{}/relief", w.case);
    let agent_token = app.token(&w.agent, &["cases:read"]).await;
    let (s, _) = app.api(&agent_token, "GET", &relief, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{}: API", w.name());
    let res = app
        .get(&w.agent, &format!("/cases/{}/relief", w.case))
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}: page", w.name());
    let (s, _) = app.api(&w.owner_token, "GET", &relief, None).await;
    assert_eq!(s, StatusCode::OK, "{}: the owner sees it", w.name());
    let deadlines = "/api/v1/relief/deadlines?days=90";
    let (_, mine) = app.api(&w.owner_token, "GET", deadlines, None).await;
    assert!(
        mine.to_string().contains(&w.case),
        "{}: the owner's deadline list",
        w.name()
    );
    let (_, theirs) = app.api(&agent_token, "GET", deadlines, None).await;
    assert!(
        !theirs.to_string().contains(&w.case),
        "{}: the agent's deadline list",
        w.name()
    );
    let page = text(app.get(&w.agent, "/deadlines").await).await;
    assert!(
        !page.contains("Marisol"),
        "{}: the deadlines page",
        w.name()
    );
    // Reminders reach the owner's team, not the agent.
    let now = haven_domain::now();
    haven_server::features::relief::queue_reminders(&app.state, "test", now)
        .await
        .unwrap();
    haven_server::features::relief::deliver_messages(&app.state, "test", now)
        .await
        .unwrap();
    let (_, told) = app
        .api(&agent_token, "GET", "/api/v1/notifications", None)
        .await;
    assert!(
        !told.to_string().contains(&w.case),
        "{}: no reminder to the agent",
        w.name()
    );
    let (_, told) = app
        .api(&w.owner_token, "GET", "/api/v1/notifications", None)
        .await;
    assert!(
        told.to_string().contains(&w.case),
        "{}: the owner is reminded",
        w.name()
    );
    // The victim's prior written consent opens it (R-3(b)).
    let (s, _) = app
        .api(
            &w.owner_token,
            "POST",
            &format!("/api/v1/cases/{}/consents", w.case),
            Some(CaseWorld::release(
                Recipient::Org(w.agency),
                &["immigration"],
            )),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app.api(&agent_token, "GET", &relief, None).await;
    assert_eq!(s, StatusCode::OK, "{}: with the release", w.name());

    // The person's own immigration status on a protected case: not in the
    // agent's read of the case, page or API, without such a release.
    let (s, b) = app
        .api(
            &w.owner_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({
                "name": "Lucia Ferreira",
                "birth_date": "1992-04-04",
                "immigration_status": "T visa application pending (USCIS receipt)",
                "residency": "foreign_national",
                "confirm_duplicate": true,
            })),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let other = b["id"].as_str().unwrap().to_owned();
    app.add_to_team(&w.owner_token, &other, w.agent.id, "agent")
        .await;
    let today = haven_domain::now().date();
    let (s, _) = app
        .api(
            &w.owner_token,
            "PUT",
            &format!("/api/v1/cases/{other}/relief/facts"),
            Some(serde_json::json!({"format": "haven.relief-facts/1",
                "t_application": {"filed_on": (today - time::Duration::days(3)).to_string()}})),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (_, own) = app
        .api(
            &w.owner_token,
            "GET",
            &format!("/api/v1/cases/{other}"),
            None,
        )
        .await;
    assert!(
        own.to_string().contains("T visa application pending"),
        "{}",
        w.name()
    );
    let (s, theirs) = app
        .api(&agent_token, "GET", &format!("/api/v1/cases/{other}"), None)
        .await;
    assert_eq!(s, StatusCode::OK);
    assert!(
        !theirs.to_string().contains("T visa application pending"),
        "{}: API",
        w.name()
    );
    assert!(
        !theirs.to_string().contains("foreign_national"),
        "{}: API",
        w.name()
    );
    let page = text(app.get(&w.agent, &format!("/cases/{other}")).await).await;
    assert!(
        page.contains("Lucia Ferreira") && !page.contains("T visa application pending"),
        "{}: page",
        w.name()
    );
}
on_both!(law_enforcement_reads_a_1367_protected_case_s_immigration_information);

/// Finding 4: a supervisor of a law-enforcement agency broke glass into an
/// NGO's 1367-protected case and read name, address and phone.
async fn an_agency_supervisor_breaks_glass_into_another_organization_s_case(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    let reason = [(
        "reason",
        "Victim in danger tonight; the owner is unreachable",
    )];
    let glass = format!("/cases/{}/emergency", w.case);
    // Another agency, not on the case: refused, like a case that does not exist.
    let elsewhere = app
        .person(w.other_agency, "boss@police.test", &[Role::Supervisor])
        .await;
    let res = app.post(&elsewhere, &glass, &reason).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", w.name());
    assert!(!text(res).await.contains("Marisol"));
    let other_ngo_boss = app
        .person(w.other_ngo, "boss@elsewhere.test", &[Role::Supervisor])
        .await;
    let res = app.post(&other_ngo_boss, &glass, &reason).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", w.name());
    // The agency works on the case (its agent is on the team), but the case
    // is protected by 1367: never law enforcement.
    protected_case_with_deadline(&w).await;
    let res = app.post(&w.agency_supervisor, &glass, &reason).await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND, "{}", w.name());
    assert!(!text(res).await.contains("Marisol"));
    let openings = app.db.store.pending_emergency_access(w.ngo).await.unwrap();
    assert!(openings.is_empty(), "{}: nothing was opened", w.name());
    assert!(
        app.trail("case", &w.case)
            .await
            .contains(&"access.denied".to_owned())
    );
}
on_both!(an_agency_supervisor_breaks_glass_into_another_organization_s_case);

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

/// Finding 6: behind the recommended TLS proxy every sign-in came from the
/// proxy's address, so twenty failures locked everyone out.
async fn twenty_failures_behind_the_proxy_lock_every_user_out(db: TestDb) {
    let settings = haven_server::Settings {
        trusted_proxies: vec![
            haven_server::features::account::throttle::IpNet::parse("10.0.0.0/8").unwrap(),
        ],
        ..helpers::no_mfa()
    };
    let app = App::with(db, settings).await;
    let org = app.org("Safe Harbor", OrgKind::Ngo).await;
    let user = app
        .person(org, "real.user@ngo.test", &[Role::VictimSpecialist])
        .await;
    let _ = user;
    let attempt = |login: &str, password: &str, client: &str, peer: [u8; 4]| {
        let mut req = form_req(
            "/sign-in",
            &encode(&[("login", login), ("password", password)]),
            None,
        );
        req.headers_mut()
            .insert("x-forwarded-for", client.parse().unwrap());
        req.extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                peer, 443,
            ))));
        req
    };
    let proxy = [10, 0, 0, 2];
    for i in 0..25 {
        let res = app
            .send(attempt(
                &format!("guess{i}@ngo.test"),
                "wrong",
                "203.0.113.9",
                proxy,
            ))
            .await;
        assert!(
            matches!(
                res.status(),
                StatusCode::UNAUTHORIZED | StatusCode::TOO_MANY_REQUESTS
            ),
            "{}",
            app.db.name
        );
    }
    // Another client behind the same proxy signs in at once.
    let res = app
        .send(attempt(
            "real.user@ngo.test",
            helpers::PASSWORD,
            "198.51.100.4",
            proxy,
        ))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}: not locked out",
        app.db.name
    );
    // The guesser is slowed, not the proxy: its next try must wait.
    let res = app
        .send(attempt("guess@ngo.test", "wrong", "203.0.113.9", proxy))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        app.db.name
    );
    // A forged header from a client that is not a trusted proxy is ignored:
    // the guesser cannot pose as someone else.
    let res = app
        .send(attempt(
            "guess@ngo.test",
            "wrong",
            "198.51.100.77",
            [203, 0, 113, 9],
        ))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "{}: forged header",
        app.db.name
    );
    // Even the guesser's own address gets a try again after the pause.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let res = app
        .send(attempt(
            "real.user@ngo.test",
            helpers::PASSWORD,
            "203.0.113.9",
            proxy,
        ))
        .await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}: slowed, never locked",
        app.db.name
    );
}
on_both!(twenty_failures_behind_the_proxy_lock_every_user_out);

/// Finding 3: with write access to the database and no key, delete entries
/// and clear the chain fields of every later row; the sealer chained the
/// rest again and `audit verify` said intact. An entry once chained is never
/// chained again, and a removed tail is found against the checkpoint.
async fn the_audit_chain_is_shortened_without_the_key(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    for _ in 0..3 {
        let (s, _) = app
            .api(
                &w.owner_token,
                "GET",
                &format!("/api/v1/cases/{}", w.case),
                None,
            )
            .await;
        assert_eq!(s, StatusCode::OK);
    }
    let chain = &app.state.audit;
    chain.seal_pending(&app.db.store, 1000).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit-checkpoint.json");
    let cp = chain.save_checkpoint(&file).unwrap().expect("a checkpoint");
    assert!(cp.seq > 8, "{}: a chain to cut", w.name());
    let intact = chain
        .verify_against(&app.db.store, Some(&cp))
        .await
        .unwrap();
    assert_eq!(intact.first_problem, None, "{}", w.name());

    helpers::tamper(
        &app.db,
        &[
            "DELETE FROM audit_log WHERE chain_seq IN (3, 4)",
            "UPDATE audit_log SET chain_seq = NULL, prev_hash = NULL, hash = NULL WHERE chain_seq > 4",
        ],
    )
    .await;

    // `haven audit seal` (a new process holding the checkpoint) refuses.
    let cli = haven_server::audit::AuditChain::new(app.state.keyring.master());
    cli.load_checkpoint(&file).unwrap();
    let err = cli.seal_pending(&app.db.store, 1000).await.unwrap_err();
    assert!(err.to_string().contains("tampered"), "{}: {err}", w.name());
    // So does the running server's sealer, and its read auditing: no data
    // leaves while the log cannot be trusted.
    assert!(
        chain.seal_pending(&app.db.store, 1000).await.is_err(),
        "{}",
        w.name()
    );
    let (s, _) = app
        .api(
            &w.owner_token,
            "GET",
            &format!("/api/v1/cases/{}", w.case),
            None,
        )
        .await;
    assert_eq!(s, StatusCode::SERVICE_UNAVAILABLE, "{}", w.name());
    assert!(
        app.db.store.count_unsealed_audit().await.unwrap() > 0,
        "nothing was chained again"
    );
    // Verification against the checkpoint names the removed tail.
    let report = cli.verify_against(&app.db.store, Some(&cp)).await.unwrap();
    assert!(
        matches!(
            report.first_problem,
            Some(haven_server::audit::Problem::Truncated { .. })
        ),
        "{}: {:?}",
        w.name(),
        report.first_problem
    );
    // A checkpoint edited without the key is refused.
    let text = std::fs::read_to_string(&file).unwrap();
    let forged = text.replacen(&format!("\"seq\":{}", cp.seq), "\"seq\":2", 1);
    assert!(cli.parse_checkpoint(&forged).is_err(), "{}", w.name());
}
on_both!(the_audit_chain_is_shortened_without_the_key);

/// Finding 3, the other way round: the attacker also re-chains to the
/// checkpoint's length by inserting an unchained row, so the chain is as
/// long as before; the hash at the checkpoint differs.
async fn the_audit_chain_is_rewritten_to_the_same_length(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    let chain = &app.state.audit;
    chain.seal_pending(&app.db.store, 1000).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit-checkpoint.json");
    let cp = chain.save_checkpoint(&file).unwrap().expect("a checkpoint");
    helpers::tamper(
        &app.db,
        &[
            "DELETE FROM audit_log WHERE chain_seq = 2",
            "UPDATE audit_log SET chain_seq = NULL, prev_hash = NULL, hash = NULL WHERE chain_seq > 2",
            "INSERT INTO audit_log (at, action) SELECT at, action FROM audit_log WHERE chain_seq = 1",
        ],
    )
    .await;
    // Without the checkpoint a new sealer would chain it all again and the
    // chain would verify; with it, nothing is chained.
    let cli = haven_server::audit::AuditChain::new(app.state.keyring.master());
    cli.load_checkpoint(&file).unwrap();
    assert!(
        cli.seal_pending(&app.db.store, 1000).await.is_err(),
        "{}",
        w.name()
    );
    let report = cli.verify_against(&app.db.store, Some(&cp)).await.unwrap();
    assert!(report.first_problem.is_some(), "{}", w.name());
}
on_both!(the_audit_chain_is_rewritten_to_the_same_length);

/// Finding 7: intake's duplicate check was an unaudited existence oracle and
/// named a case the specialist could not open.
async fn intake_probes_for_a_person_and_learns_a_case_id(db: TestDb) {
    let w = CaseWorld::new(db).await;
    let app = &w.app;
    // A colleague in the same organization, not on the team, registers the
    // same person (same name, date of birth).
    let colleague_token = app
        .token(&w.colleague, &["cases:read", "cases:write"])
        .await;
    let (s, b) = app
        .api(
            &colleague_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "Marisol Quintero", "birth_date": "1994-03-02"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{}: {b}", w.name());
    assert!(
        !b.to_string().contains(&w.case),
        "{}: the id is never shown: {b}",
        w.name()
    );
    assert_eq!(
        b["elsewhere"],
        true,
        "{}: only 'a record may exist elsewhere'",
        w.name()
    );
    let page = app
        .post(
            &w.colleague,
            "/cases",
            &[
                ("name", "Marisol Quintero"),
                ("birth_date", "1994-03-02"),
                ("action", "register"),
            ],
        )
        .await;
    assert!(!text(page).await.contains(&w.case), "{}: page", w.name());
    // The owner sees their own case named.
    let (s, b) = app
        .api(
            &w.owner_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "Marisol Quintero", "birth_date": "1994-03-02"})),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    assert!(b.to_string().contains(&w.case), "{}: {b}", w.name());
    // Every probe is audited, a miss too.
    let (s, _) = app
        .api(
            &colleague_token,
            "POST",
            "/api/v1/cases",
            Some(serde_json::json!({"name": "Nobody Known", "birth_date": "1980-01-01", "confirm_duplicate": false})),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let rows = app.db.store.unsealed_audit(10_000).await.unwrap();
    let mut all = app.db.store.sealed_audit_after(0, 100_000).await.unwrap();
    all.extend(rows);
    let probes = all
        .iter()
        .filter(|r| r.action == "intake.duplicate_probe" && r.actor_user == Some(w.colleague.id))
        .count();
    assert_eq!(probes, 3, "{}: every probe of the colleague", w.name());
}
on_both!(intake_probes_for_a_person_and_learns_a_case_id);

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

/// Finding 10: the database files were world-readable (0644).
#[cfg(unix)]
#[tokio::test]
async fn the_database_files_are_world_readable() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("haven-data");
    let target = haven_store::DatabaseTarget::parse(None, &data).unwrap();
    let store = haven_store::open(&target, &haven_store::OpenOptions::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let mode = |p: &std::path::Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&data), 0o700, "the data directory");
    let db = data.join(haven_store::SQLITE_FILE_NAME);
    for p in [
        db.clone(),
        data.join("haven.db-wal"),
        data.join("haven.db-shm"),
    ] {
        if p.exists() {
            assert_eq!(mode(&p), 0o600, "{}", p.display());
        }
    }
    let backup = dir.path().join("backup.db");
    store.backup_to(&backup).await.unwrap();
    assert_eq!(mode(&backup), 0o600, "the backup");
    store.close().await;
    // A database an older Haven left readable is restricted at the next open.
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    let store = haven_store::open(&target, &haven_store::OpenOptions::default())
        .await
        .unwrap();
    assert_eq!(mode(&db), 0o600);
    assert_eq!(mode(&data), 0o700);
    store.close().await;
}

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

/// Found while classifying every column: a client's `x-request-id` went
/// as sent into the logs and the audit log, which is never erased.
async fn a_client_writes_free_text_into_the_audit_log_through_its_request_id(db: TestDb) {
    let app = App::new(db).await;
    let mut req = helpers::get_req("/healthz", None);
    req.headers_mut()
        .insert("x-request-id", "Maria Lopez 555-0100".parse().unwrap());
    let res = app.send(req).await;
    let id = res.headers()["x-request-id"].to_str().unwrap().to_owned();
    assert!(
        !id.contains("Maria") && id.len() == 36,
        "{}: replaced: {id}",
        app.db.name
    );
    let mut req = helpers::get_req("/healthz", None);
    req.headers_mut()
        .insert("x-request-id", "trace-0af7651916cd43dd".parse().unwrap());
    let res = app.send(req).await;
    assert_eq!(
        res.headers()["x-request-id"],
        "trace-0af7651916cd43dd",
        "a token is kept"
    );
}
on_both!(a_client_writes_free_text_into_the_audit_log_through_its_request_id);
