//! Scanning 1,000,000 cases for relief deadlines due in the next 30 days
//! (issue target: under 2 seconds), on SQLite and PostgreSQL.
//!
//! Haven does not re-run the rules engine over every case to find
//! deadlines: each write of a case's facts stores the deadlines the engine
//! found (`case_deadlines`, codes and dates only, indexed by date). The daily
//! scan is then one indexed range query, and queueing the reminders is one
//! INSERT ... SELECT joined with the case teams. This bench fills 1,000,000
//! cases, each with a team member and two deadlines spread over three years
//! (2,000,000 rows), and times:
//!   - counting the deadlines due in a 30-day window;
//!   - the daily reminder job's queueing (scan, join the teams, insert the
//!     outbox rows), and the same again (every reminder already queued);
//!   - a supervisor's deadline dashboard (the organization's next 30 days,
//!     first 200, policy filter applied).
//!
//! Run with `./scripts/bench deadlines`. Prints the figures for BENCHMARKS.md.

use haven_domain::access::case_filter;
use haven_domain::policy::Actor;
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_store::DeadlineQuery;
use haven_store::testing::{self, TestDb};
use std::time::Instant;
use time::Duration;
use time::macros::date;

const CASES: i64 = 1_000_000;
const SPECIALISTS: usize = 1_000;

async fn fill(db: &TestDb) -> User {
    let org = Organization {
        id: OrganizationId::new(),
        name: "Bench organization".into(),
        kind: OrgKind::Ngo,
        created_at: haven_domain::now(),
    };
    db.store
        .create_organization(&org, &AuditEntry::new(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    let mut supervisor = None;
    for i in 0..=SPECIALISTS {
        let u = User {
            id: UserId::new(),
            organization_id: org.id,
            login: LoginName::parse(&format!("bench{i}@example.org")).unwrap(),
            display_name: format!("Bench {i}"),
            roles: vec![if i == SPECIALISTS {
                Role::Supervisor
            } else {
                Role::VictimSpecialist
            }],
            password_hash: "x".into(),
            disabled: false,
            created_at: haven_domain::now(),
        };
        db.store
            .create_user(&u, &AuditEntry::new(AuditAction::UserCreated))
            .await
            .unwrap();
        if i == SPECIALISTS {
            supervisor = Some(u);
        }
    }
    let started = Instant::now();
    match db.name {
        "sqlite" => fill_sqlite(db, org.id).await,
        _ => fill_postgres(db, org.id).await,
    }
    eprintln!(
        "{}: filled {CASES} cases and {} deadlines in {:.0} s",
        db.name,
        CASES * 2,
        started.elapsed().as_secs_f64()
    );
    supervisor.unwrap()
}

async fn fill_sqlite(db: &TestDb, org: OrganizationId) {
    let haven_store::DatabaseTarget::Sqlite { path } = &db.target else {
        unreachable!()
    };
    let url = format!("sqlite://{}", path.display());
    let mut c = <sqlx::SqliteConnection as sqlx::Connection>::connect(&url)
        .await
        .unwrap();
    for sql in [
        "PRAGMA journal_mode = WAL",
        "PRAGMA synchronous = OFF",
        "CREATE TEMP TABLE bench_users (n INTEGER PRIMARY KEY, id BLOB NOT NULL)",
        "INSERT INTO bench_users (n, id) SELECT row_number() OVER (ORDER BY id) - 1, id FROM users WHERE login LIKE 'bench%' AND login <> 'bench1000@example.org'",
    ] {
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO cases (id, organization_id, flag_1367, created_at) SELECT randomblob(16), ?, 0, 0 FROM n",
    )
    .bind(CASES)
    .bind(org.as_uuid())
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO case_team (case_id, user_id, team_role)
         SELECT c.id, u.id, 'owner_specialist' FROM cases c JOIN bench_users u ON u.n = c.rowid % 1000",
    )
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO case_deadlines (case_id, kind, family_member, pathway, actor, due_on, due_at)
         SELECT c.id, k.kind, '', k.pathway, 'advocate', date('2026-01-01', '+' || ((c.rowid * 7919 + k.shift) % 1095) || ' days'), NULL
         FROM cases c CROSS JOIN (SELECT 'u_file_by' AS kind, 'u_principal' AS pathway, 0 AS shift
                                  UNION ALL SELECT 't_status_expires', 't_principal', 500) k",
    )
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
}

async fn fill_postgres(db: &TestDb, org: OrganizationId) {
    let haven_store::DatabaseTarget::Postgres { url } = &db.target else {
        unreachable!()
    };
    let mut c = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .unwrap();
    sqlx::query("SET synchronous_commit = off")
        .execute(&mut c)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO cases (id, organization_id, flag_1367, created_at)
         SELECT gen_random_uuid(), $1, FALSE, now() FROM generate_series(1, $2)",
    )
    .bind(org.as_uuid())
    .bind(CASES)
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::query(
        "WITH c AS (SELECT id, row_number() OVER () AS n FROM cases),
              u AS (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM users
                    WHERE login LIKE 'bench%' AND login <> 'bench1000@example.org')
         INSERT INTO case_team (case_id, user_id, team_role)
         SELECT c.id, u.id, 'owner_specialist' FROM c JOIN u ON u.k = c.n % 1000",
    )
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::query(
        "WITH c AS (SELECT id, row_number() OVER () AS n FROM cases)
         INSERT INTO case_deadlines (case_id, kind, family_member, pathway, actor, due_on, due_at)
         SELECT c.id, k.kind, '', k.pathway, 'advocate', DATE '2026-01-01' + ((c.n * 7919 + k.shift) % 1095)::int, NULL
         FROM c CROSS JOIN (VALUES ('u_file_by', 'u_principal', 0), ('t_status_expires', 't_principal', 500)) AS k(kind, pathway, shift)",
    )
    .execute(&mut c)
    .await
    .unwrap();
    sqlx::query("ANALYZE").execute(&mut c).await.unwrap();
}

fn secs(t: Instant) -> f64 {
    t.elapsed().as_secs_f64()
}

async fn run(db: &TestDb) {
    let supervisor = fill(db).await;
    let today = date!(2026 - 06 - 01);
    let to = today + Duration::days(30);
    let now = today.midnight().assume_utc();
    // Warm the caches once, as a running server would have them.
    db.store.count_deadlines_due(today, to).await.unwrap();
    let t = Instant::now();
    let due = db.store.count_deadlines_due(today, to).await.unwrap();
    let count_s = secs(t);
    let t = Instant::now();
    let queued = db
        .store
        .enqueue_deadline_reminders(today, to, now)
        .await
        .unwrap();
    let queue_s = secs(t);
    let t = Instant::now();
    let again = db
        .store
        .enqueue_deadline_reminders(today, to, now)
        .await
        .unwrap();
    let again_s = secs(t);
    let q = DeadlineQuery {
        filter: case_filter(&Actor::of(&supervisor)),
        mine_only: false,
        from: today,
        to,
        limit: 200,
        now,
    };
    db.store.upcoming_deadlines(&q).await.unwrap();
    let t = Instant::now();
    let shown = db.store.upcoming_deadlines(&q).await.unwrap().len();
    let dashboard_s = secs(t);
    assert_eq!(
        queued, due,
        "one reminder per due deadline (one team member each)"
    );
    assert_eq!(again, 0, "already queued");
    assert_eq!(shown, 200);
    println!(
        "| {} | {due} | {count_s:.3} s | {queue_s:.2} s ({queued} reminders) | {again_s:.2} s | {dashboard_s:.3} s |",
        db.name
    );
}

#[tokio::main]
async fn main() {
    println!(
        "| Database | Deadlines due in 30 days | Count | Queue reminders (first run) | Queue again (all deduplicated) | Supervisor dashboard, first 200 |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for db in [testing::sqlite().await, testing::postgres().await] {
        run(&db).await;
        db.store.close().await;
    }
}
