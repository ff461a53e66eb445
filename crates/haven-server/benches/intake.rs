//! Intake creation on SQLite with durable commits (`synchronous = FULL`):
//! Haven's whole path (validation, search first by blind index and close
//! matches, encryption, one transaction with the audit entry) against a plain
//! insert of the same rows with no Haven layer, on an identical database.
//! Run with `./scripts/bench intake`. Prints the figures for BENCHMARKS.md.

use haven_domain::policy::Actor;
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_server::features::record::{IntakeInput, IntakeOutcome, create_intake};
use haven_server::{AppState, HashCost, KeyringHandle, Settings};
use haven_store::DatabaseTarget;
use std::time::Instant;

const INTAKES: usize = 3_000;

fn input(i: usize) -> IntakeInput {
    IntakeInput {
        // Distinct names and dates of birth: search first finds no match, as
        // for most real intakes (it still runs every lookup).
        name: format!("Bench{i} Ejemplo{}", i * 7919 % 10_007),
        birth_date: (time::macros::date!(1960 - 01 - 01) + time::Duration::days(i as i64))
            .to_string(),
        gender: "feminine".into(),
        residency: "foreign_national".into(),
        languages: vec!["es".into()],
        safe_channel: "through_specialist".into(),
        exploitation: "labor".into(),
        ..IntakeInput::default()
    }
}

async fn haven_rate(state: &AppState, actor: &Actor, clients: usize, offset: usize) -> f64 {
    let started = Instant::now();
    let per = INTAKES / clients;
    let mut tasks = Vec::new();
    for c in 0..clients {
        let state = state.clone();
        let actor = actor.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..per {
                let n = offset + c * per + i;
                match create_intake(&state, &actor, &input(n), None, None).await {
                    Ok(IntakeOutcome::Created(_)) => {}
                    Ok(IntakeOutcome::PossibleDuplicates { .. }) => {
                        panic!("generated names must not collide ({n})")
                    }
                    Err(e) => panic!("intake failed: {:?}", e.body().message),
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    (per * clients) as f64 / started.elapsed().as_secs_f64()
}

/// The same rows, written with plain SQL: person, case, team member, four
/// close-match keys and one audit row per transaction, values of the same
/// sizes, no validation, search, encryption or policy.
async fn plain_rate(path: &std::path::Path, org: OrganizationId, user: UserId) -> f64 {
    use sqlx::sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
    };
    let options = SqliteConnectOptions::new()
        .filename(path)
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .unwrap();
    let blob = |n: usize| vec![7u8; n];
    let started = Instant::now();
    for _ in 0..INTAKES {
        let person = uuid::Uuid::now_v7();
        let case = uuid::Uuid::now_v7();
        let now = i64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
            .unwrap();
        let mut tx = pool.begin().await.unwrap();
        sqlx::query("INSERT INTO persons (id, organization_id, name, birth_date, name_dob_index, profile, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .bind(person).bind(org.as_uuid()).bind(blob(70)).bind(blob(55)).bind(blob(32)).bind(blob(330)).bind(now)
            .execute(&mut *tx).await.unwrap();
        sqlx::query("INSERT INTO cases (id, organization_id, flag_1367, created_at, person_id, stage, cooperation, profile, updated_at) VALUES (?, ?, 0, ?, ?, 'identified', 'unknown', ?, ?)")
            .bind(case).bind(org.as_uuid()).bind(now).bind(person).bind(blob(180)).bind(now)
            .execute(&mut *tx).await.unwrap();
        sqlx::query(
            "INSERT INTO case_team (case_id, user_id, team_role) VALUES (?, ?, 'owner_specialist')",
        )
        .bind(case)
        .bind(user.as_uuid())
        .execute(&mut *tx)
        .await
        .unwrap();
        for k in 0..4u8 {
            let mut key = [k; 32];
            key[..16].copy_from_slice(person.as_bytes());
            sqlx::query("INSERT INTO person_match_keys (organization_id, match_key, person_id) VALUES (?, ?, ?)")
                .bind(org.as_uuid()).bind(&key[..]).bind(person)
                .execute(&mut *tx).await.unwrap();
        }
        sqlx::query("INSERT INTO audit_log (at, actor_user, actor_org, action, resource_kind, resource_id, request_id) VALUES (?, ?, ?, 'case.created', 'case', ?, NULL)")
            .bind(now).bind(user.as_uuid()).bind(org.as_uuid()).bind(case.to_string())
            .execute(&mut *tx).await.unwrap();
        tx.commit().await.unwrap();
    }
    let rate = INTAKES as f64 / started.elapsed().as_secs_f64();
    pool.close().await;
    rate
}

async fn setup() -> (haven_store::testing::TestDb, OrganizationId, User) {
    let db = haven_store::testing::sqlite().await;
    let org = Organization {
        id: OrganizationId::new(),
        name: "Bench NGO".into(),
        kind: OrgKind::Ngo,
        created_at: haven_domain::now(),
    };
    db.store
        .create_organization(&org, &AuditEntry::new(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    let user = User {
        id: UserId::new(),
        organization_id: org.id,
        login: LoginName::parse("bench-intake@example.test").unwrap(),
        display_name: "Bench".into(),
        roles: vec![Role::VictimSpecialist],
        password_hash: "unused".into(),
        disabled: false,
        created_at: haven_domain::now(),
    };
    db.store
        .create_user(&user, &AuditEntry::new(AuditAction::UserCreated))
        .await
        .unwrap();
    (db, org.id, user)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (db, _, user) = setup().await;
        let keys = KeyringHandle::load(&db.store, haven_crypto::SecretKey::generate()).await.unwrap();
        let state = AppState::new(db.store.clone(), Settings::default(), HashCost::TEST, keys);
        let actor = Actor::of(&user);
        let one = haven_rate(&state, &actor, 1, 0).await;
        let many = haven_rate(&state, &actor, 16, INTAKES).await;

        let (plain_db, plain_org, plain_user) = setup().await;
        let DatabaseTarget::Sqlite { path } = plain_db.target.clone() else { unreachable!() };
        plain_db.store.close().await;
        let plain = plain_rate(&path, plain_org, plain_user.id).await;

        println!("| Path | Clients | Intakes/s | Ratio to plain insert |");
        println!("|---|---:|---:|---:|");
        println!("| Haven intake (validate, search first, encrypt, audit) | 1 | {one:.0} | {:.2} |", one / plain);
        println!("| Haven intake (validate, search first, encrypt, audit) | 16 | {many:.0} | {:.2} |", many / plain);
        println!("| Plain SQL insert of the same rows | 1 | {plain:.0} | 1.00 |");
        println!("\n{INTAKES} intakes per run on SQLite, WAL, synchronous=FULL (every commit durable); \
                  the database already holds the previous run's cases when the 16-client run starts.");
        db.store.close().await;
    });
}
