//! The audit log: its chain shortened or rewritten without the key, and free
//! text written into it through a request id.

use crate::helpers;
use crate::helpers::{App, CaseWorld};
use axum::http::StatusCode;
use haven_store::on_both;
use haven_store::testing::TestDb;

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
