//! The canary test: personal data written through Haven's routes appears in
//! plaintext nowhere: not in the SQLite file, not in a PostgreSQL dump, not in
//! the logs. Its own test binary, so that it owns the process's log
//! subscriber from the first line logged.
//!
//! A tour drives the pages and the JSON API the way the people using Haven
//! do, until every `Holds::Ciphertext` column of the column registry holds a
//! value; wherever a column holds text someone types, that text carries a
//! canary ("Zyxwvut-<where>-Quokkabelle"). Then the registry is walked: every
//! ciphertext column must be filled (a new one fails this test until the tour
//! writes it), and no canary may be found in the database's bytes or in the
//! logs. Issue 22, finding 8.

mod checks;
mod logs;
mod support;
mod tour;

use crate::checks::*;
use crate::logs::logs;
use crate::support::*;
use crate::tour::*;
use haven_store::testing::{self, TestDb};

/// Tours Haven on the database `db` opens, then looks for the canaries.
async fn tour_and_check(db: impl std::future::Future<Output = TestDb>) {
    // Capturing starts before the database is even opened.
    let logs = logs();
    let t = Tour::new(db.await).await;
    let c = cast(&t).await;
    let case = register(&t, &c).await;
    add_agent(&t, &c, &case).await;
    let plan_item = entries(&t, &c, &case).await;
    attachment(&t, &c, &case).await;
    draft(&t, &c).await;
    funds(&t, &c, &case).await;
    relief_facts(&t, &c, &case).await;
    document(&t, &c, &case).await;
    break_glass(&t, &c, &case).await;
    directory(&t, &c).await;
    release(&t, &c, &case).await;
    referral(&t, &c, &case, &plan_item).await;
    interview(&t, &c, &case).await;
    notice(&t, &c, &case).await;
    // The background job that turns queued messages into notifications.
    haven_server::features::relief::deliver_messages(&t.state, "canary", haven_domain::now())
        .await
        .unwrap();
    let (secret_shown, secret) = enrol(&t, &c).await;

    // 1. Every ciphertext column of the registry was written.
    every_ciphertext_column_is_filled(&t.db).await;

    // 2. No canary in the database's bytes. A positive control first: plain,
    // non-personal text is found, so the search would find a canary.
    let name = t.name();
    let dump = database_bytes(&t.db);
    assert!(
        find(&dump, b"Canary NGO").is_some() && find(&dump, b"Canary Shelter").is_some(),
        "{name}: the dump was searched"
    );
    let mut needles = needles(&secret_shown);
    assert_nowhere(&dump, &needles, &format!("{name} database"));
    // The raw secret, and PostgreSQL's hex form of bytes (bytea columns)
    // for every needle.
    assert!(
        find(&dump, &secret).is_none(),
        "{name}: the raw TOTP secret"
    );
    let mut hexed: Vec<Vec<u8>> = needles.iter().map(|n| hex(n).into_bytes()).collect();
    for n in [b"Zyxwvut".as_slice(), b"Quokkabelle", &secret] {
        hexed.push(hex(n).into_bytes());
    }
    assert_nowhere(&dump, &hexed, &format!("{name} database (as hex)"));

    // 3. No canary in the logs.
    let logged = logs.0.lock().unwrap().clone();
    assert!(logged.len() > 1000, "the logs were captured");
    assert!(
        String::from_utf8_lossy(&logged).contains("route=/cases"),
        "requests were logged"
    );
    // Nor the secret in hex, nor any e-mail address (the person's, or the
    // staff's sign-in names).
    needles.push(hex(&secret).into_bytes());
    needles.push(b"@example.test".to_vec());
    assert_nowhere(&logged, &needles, &format!("{name} logs"));
}

#[tokio::test]
async fn canary_personal_data_is_nowhere_in_plaintext_sqlite() {
    tour_and_check(testing::sqlite()).await;
}

#[tokio::test]
async fn canary_personal_data_is_nowhere_in_plaintext_postgres() {
    tour_and_check(testing::postgres()).await;
}
