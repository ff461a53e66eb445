//! Reading one case by id through the API (authorize, audit, decrypt) at 32
//! concurrent clients, on SQLite and PostgreSQL, with read auditing on and, as
//! a baseline only, off. Run with `./scripts/bench cases` (it starts
//! PostgreSQL and needs `wrk`). Prints the figures for BENCHMARKS.md.

use haven_domain::access::{CaseFacts, TeamRole};
use haven_domain::policy::Scope;
use haven_domain::{
    ApiTokenId, AuditAction, AuditEntry, CaseId, LoginName, OrgKind, Organization, OrganizationId,
    PersonId, Role, User, UserId,
};
use haven_server::{AppState, HashCost, KeyringHandle, Settings};
use haven_store::{ApiToken, StoredPerson};
use std::io::Write;
use std::process::Command;

const CASES: usize = 10_000;
const TOKEN: &str = "hvn_benchmark-token-for-case-reads";

fn wrk(url: &str, script: &std::path::Path, seconds: u32) -> (f64, String) {
    let out = Command::new("wrk")
        .args(["-t2", "-c32", &format!("-d{seconds}s"), "--latency", "-s"])
        .arg(script)
        .arg(url)
        .output()
        .expect("wrk is installed (./scripts/bench installs it)");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let rps = text
        .lines()
        .find_map(|l| l.strip_prefix("Requests/sec:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0);
    let p99 = text
        .lines()
        .find(|l| l.trim_start().starts_with("99%"))
        .map(|l| l.split_whitespace().nth(1).unwrap_or("?").to_owned())
        .unwrap_or_default();
    assert!(
        !text.contains("Non-2xx"),
        "every read must succeed:\n{text}"
    );
    (rps, p99)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        println!("| Backend | Read auditing | Requests/s | p99 |");
        println!("|---|---|---:|---:|");
        for db in haven_store::testing::both().await {
            let org = Organization { id: OrganizationId::new(), name: "Bench NGO".into(), kind: OrgKind::Ngo, created_at: haven_domain::now() };
            db.store.create_organization(&org, &AuditEntry::new(AuditAction::OrganizationCreated)).await.unwrap();
            let user = User {
                id: UserId::new(),
                organization_id: org.id,
                login: LoginName::parse("bench@example.test").unwrap(),
                display_name: "Bench".into(),
                roles: vec![Role::VictimSpecialist],
                password_hash: "unused".into(),
                disabled: false,
                created_at: haven_domain::now(),
            };
            db.store.create_user(&user, &AuditEntry::new(AuditAction::UserCreated)).await.unwrap();
            let now = haven_domain::now();
            db.store
                .create_api_token(
                    &ApiToken {
                        id: ApiTokenId::new(),
                        token_hash: haven_server::web::api::token_hash(TOKEN),
                        user_id: user.id,
                        name: "bench".into(),
                        scopes: vec![Scope::CasesRead],
                        created_at: now,
                        expires_at: now + time::Duration::days(1),
                        revoked_at: None,
                        last_used_at: Some(now),
                    },
                    &AuditEntry::new(AuditAction::ApiTokenCreated),
                )
                .await
                .unwrap();
            let master = haven_crypto::SecretKey::generate();
            let keys = KeyringHandle::load(&db.store, master.clone()).await.unwrap();
            let mut ids = Vec::with_capacity(CASES);
            for i in 0..CASES {
                let pid = PersonId::new();
                let row = pid.to_string();
                let bind = |column| haven_crypto::Binding { table: "persons", column, row: &row };
                let person = StoredPerson {
                    id: pid,
                    organization: org.id,
                    name: keys.encrypt(format!("Bench Person {i}").as_bytes(), bind("name")).unwrap(),
                    birth_date: Some(keys.encrypt(b"2000-01-01", bind("birth_date")).unwrap()),
                    name_dob_index: None,
                    profile: None,
                };
                let facts = CaseFacts { id: CaseId::new(), organization: org.id, team: vec![(user.id, TeamRole::OwnerSpecialist)], flag_1367: false };
                let header = haven_store::CaseHeader {
                    stage: haven_domain::record::Stage::Identified,
                    closed_reason: None,
                    cooperation: haven_domain::record::Cooperation::Unknown,
                    profile: None,
                    hhs_notice_due_at: None,
                    hhs_notice_met_at: None,
                    created_at: now,
                    updated_at: now,
                };
                let intake = haven_store::NewIntake { person: &person, match_keys: &[], facts: &facts, header: &header, entries: &[], draft: None };
                db.store.create_intake(&intake, &AuditEntry::new(AuditAction::CaseCreated)).await.unwrap();
                ids.push(facts.id);
            }
            let script = tempfile::NamedTempFile::new().unwrap();
            {
                let mut f = script.reopen().unwrap();
                writeln!(f, "local paths = {{").unwrap();
                for id in ids.iter().step_by(7) {
                    writeln!(f, "\"/api/v1/cases/{id}\",").unwrap();
                }
                writeln!(f, "}}\nwrk.headers[\"Authorization\"] = \"Bearer {TOKEN}\"").unwrap();
                writeln!(f, "request = function() return wrk.format(\"GET\", paths[math.random(#paths)]) end").unwrap();
            }
            let mut results = Vec::new();
            for audit_reads in [true, false] {
                let settings = Settings { audit_reads, ..Settings::default() };
                let keys = KeyringHandle::load(&db.store, master.clone()).await.unwrap();
                let state = AppState::new(db.store.clone(), settings, HashCost::TEST, keys);
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                let addr = listener.local_addr().unwrap();
                let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
                let server = tokio::spawn(haven_server::serve(listener, state, async move {
                    let _ = stopped.await;
                }));
                let url = format!("http://{addr}");
                let path = script.path().to_owned();
                let (rps, p99) = tokio::task::spawn_blocking(move || {
                    wrk(&url, &path, 3);
                    wrk(&url, &path, 10)
                })
                .await
                .unwrap();
                let _ = stop.send(());
                let _ = server.await;
                println!("| {} | {} | {rps:.0} | {p99} |", db.name, if audit_reads { "on" } else { "off (baseline)" });
                results.push(rps);
            }
            println!("| {} | ratio on/off | {:.2} | |", db.name, results[0] / results[1]);
            db.store.close().await;
        }
        println!("\n{CASES} cases per backend, each with an encrypted name and date of birth.");
    });
}
