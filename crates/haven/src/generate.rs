//! `haven generate`: a fictional data set at national scale for benchmarks
//! (1,000,000 persons and cases with 10,000,000 timeline events, or any
//! size). Everything is encrypted and indexed exactly as Haven writes it;
//! the rows go in through the store's bulk import, in batches.
//!
//! It refuses a database that already holds accounts, and writes a manifest
//! (mode 0600) with benchmark accounts, signed-in session tokens for them and
//! some of their case ids, for the load driver (`bench/record.py`).

use anyhow::{Result, bail};
use haven_crypto::{Binding, Keyring};
use haven_domain::access::{CaseFacts, Compartment, TeamRole};
use haven_domain::record::{
    Cooperation, EntryKind, Gender, PersonProfile, ResidencyClass, Stage, TraffickingProfile,
};
use haven_domain::{
    AuditAction, AuditEntry, CaseId, EntryId, LoginName, OrgKind, Organization, OrganizationId,
    PersonId, Role, SessionId, SessionStage, User, UserId,
};
use haven_server::case::sealed::DATE;
use haven_server::features::record::{EntryDetails, match_keys, name_dob_key};
use haven_store::{CaseHeader, DynStore, ImportCase, SessionRecord, StoredEntry, StoredPerson};
use serde::Serialize;
use std::path::Path;
use time::{Date, Duration};

/// The password of every generated account.
pub const BENCH_PASSWORD: &str = "haven-bench-password";

pub struct Options {
    pub persons: u64,
    pub events_per_case: u32,
    pub organizations: u32,
    pub cases_per_specialist: u32,
    pub sessions: u32,
}

const GIVEN: &[&str] = &[
    "Ana", "Luis", "María", "José", "Rosa", "Carlos", "Elena", "Jorge", "Lucía", "Pedro", "Sofía",
    "Miguel", "Nadia", "Omar", "Priya", "Wei", "Amara", "Ivan", "Leila", "Tomás", "Grace",
    "Dmitri", "Fatima", "Kofi", "Mei", "Rahul", "Zainab", "Hugo", "Irene", "Samir",
];
const FAMILY: &[&str] = &[
    "Ejemplo",
    "Prueba",
    "Muestra",
    "Ficticio",
    "Testa",
    "Sample",
    "Demoson",
    "Placeholder",
    "Imaginario",
    "Inventado",
    "Modelo",
    "Figura",
    "Esbozo",
    "Borrador",
    "Ensayo",
    "Maqueta",
];
const EVENTS: &[(EntryKind, &str)] = &[
    (
        EntryKind::Contact,
        "Checked in by phone; safe and settled (fictional).",
    ),
    (
        EntryKind::Service,
        "Accompanied to a medical appointment (fictional).",
    ),
    (
        EntryKind::Note,
        "Discussed next steps for housing (fictional).",
    ),
    (
        EntryKind::Court,
        "Hearing postponed; victim informed (fictional).",
    ),
    (
        EntryKind::Interview,
        "Interview with an interpreter present (fictional).",
    ),
];

/// A small deterministic generator: the same options give the same data.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

#[derive(Serialize)]
pub struct ManifestUser {
    pub login: String,
    pub role: &'static str,
    /// A signed-in session token (the `haven_session` cookie).
    pub session: String,
    pub cases: Vec<String>,
}

#[derive(Serialize)]
pub struct Manifest {
    pub persons: u64,
    pub events: u64,
    pub organizations: u32,
    pub users: Vec<ManifestUser>,
}

fn seal(
    keys: &Keyring,
    table: &'static str,
    column: &'static str,
    row: &str,
    plain: &[u8],
) -> Result<Vec<u8>> {
    keys.encrypt(plain, Binding { table, column, row })
        .map_err(|e| anyhow::anyhow!("encrypt: {e}"))
}

fn random_token() -> Result<String> {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(b.iter().map(|x| format!("{x:02x}")).collect())
}

/// Generates the data set; returns the manifest.
///
/// # Errors
/// A database that already holds accounts; store failures.
pub async fn generate(
    store: &DynStore,
    keys: &Keyring,
    hash: &str,
    o: &Options,
) -> Result<Manifest> {
    use sha2::Digest;
    if store.count_users().await? > 0 {
        bail!("generate needs an empty database: this one already has accounts");
    }
    let now = haven_domain::now();
    let mut rng = Rng(0x4a56_454e_0000_0001);
    let cases_per_org = o.persons.div_ceil(u64::from(o.organizations.max(1)));
    let specialists_per_org =
        u32::try_from(cases_per_org.div_ceil(u64::from(o.cases_per_specialist.max(1))))
            .unwrap_or(u32::MAX);
    let mut orgs = Vec::new();
    let mut specialists: Vec<Vec<UserId>> = Vec::new();
    let mut logins: Vec<(UserId, String, &'static str)> = Vec::new();
    for i in 0..o.organizations {
        let org = Organization {
            id: OrganizationId::new(),
            name: format!("Generated Services {i} (fictional)"),
            kind: OrgKind::Ngo,
            created_at: now,
        };
        store
            .create_organization(
                &org,
                &AuditEntry::new(AuditAction::OrganizationCreated).on("organization", org.id),
            )
            .await?;
        let mut team = Vec::new();
        for (role, n) in [
            (Role::Supervisor, 1),
            (Role::VictimSpecialist, specialists_per_org),
        ] {
            for s in 0..n {
                let kind = if role == Role::Supervisor {
                    "sup"
                } else {
                    "spec"
                };
                let login = format!("{kind}-{i}-{s}@bench.haven.test");
                let user = User {
                    id: UserId::new(),
                    organization_id: org.id,
                    login: LoginName::parse(&login).map_err(|e| anyhow::anyhow!("{e:?}"))?,
                    display_name: format!("Bench {kind} {i}-{s}"),
                    roles: vec![role],
                    password_hash: hash.to_owned(),
                    disabled: false,
                    created_at: now,
                };
                store
                    .create_user(
                        &user,
                        &AuditEntry::new(AuditAction::UserCreated).on("user", user.id),
                    )
                    .await?;
                if role == Role::VictimSpecialist {
                    team.push(user.id);
                }
                logins.push((user.id, login, role.as_str()));
            }
        }
        orgs.push(org.id);
        specialists.push(team);
    }

    let mut cases_of: std::collections::HashMap<UserId, Vec<CaseId>> =
        std::collections::HashMap::new();
    let batch_size = 2_000u64;
    let mut done = 0u64;
    let mut events = 0u64;
    let started = std::time::Instant::now();
    // Build the next batch while the previous one is being written.
    let mut pending: Option<tokio::task::JoinHandle<Result<()>>> = None;
    while done < o.persons {
        let n = batch_size.min(o.persons - done);
        let mut batch = Vec::with_capacity(usize::try_from(n).unwrap_or(0));
        for k in 0..n {
            let i = done + k;
            let org_ix = usize::try_from(i % u64::from(o.organizations)).unwrap_or(0);
            let spec_list = &specialists[org_ix];
            let owner = spec_list[usize::try_from(
                (i / u64::from(o.organizations)) % spec_list.len() as u64,
            )
            .unwrap_or(0)];
            let person_id = PersonId::new();
            let case_id = CaseId::new();
            let prow = person_id.to_string();
            let crow = case_id.to_string();
            let name = format!(
                "{} {} {}",
                GIVEN[usize::try_from(rng.below(GIVEN.len() as u64)).unwrap_or(0)],
                FAMILY[usize::try_from(rng.below(FAMILY.len() as u64)).unwrap_or(0)],
                i
            );
            let birth = Date::from_julian_day(
                2_440_588 + i32::try_from(rng.below(14_000)).unwrap_or(0) + 4_000,
            )
            .map_err(|e| anyhow::anyhow!("{e}"))?;
            let created =
                now - Duration::minutes(i64::try_from(rng.below(2 * 365 * 24 * 60)).unwrap_or(0));
            let profile = PersonProfile {
                gender: Some(
                    Gender::ALL[usize::try_from(rng.below(Gender::ALL.len() as u64)).unwrap_or(0)],
                ),
                residency: Some(ResidencyClass::ALL[usize::try_from(rng.below(4)).unwrap_or(0)]),
                languages: vec![if rng.below(2) == 0 {
                    "es".into()
                } else {
                    "en".into()
                }],
                ..PersonProfile::default()
            };
            let person = StoredPerson {
                id: person_id,
                organization: orgs[org_ix],
                name: seal(keys, "persons", "name", &prow, name.as_bytes())?,
                birth_date: Some(seal(
                    keys,
                    "persons",
                    "birth_date",
                    &prow,
                    birth.format(DATE)?.as_bytes(),
                )?),
                name_dob_index: Some(
                    keys.blind_index("person name+dob", &name_dob_key(&name, birth)),
                ),
                profile: Some(seal(
                    keys,
                    "persons",
                    "profile",
                    &prow,
                    &serde_json::to_vec(&profile)?,
                )?),
            };
            let stage = Stage::ALL[usize::try_from(rng.below(4)).unwrap_or(0)];
            let mut entries = Vec::with_capacity(o.events_per_case as usize + 1);
            for e in 0..o.events_per_case {
                let (kind, text) =
                    EVENTS[usize::try_from(rng.below(EVENTS.len() as u64)).unwrap_or(0)];
                let id = EntryId::new();
                let at = created + Duration::hours(i64::from(e) * 24 + 1);
                let details = EntryDetails {
                    text: text.into(),
                    ..EntryDetails::default()
                };
                entries.push(StoredEntry {
                    id,
                    case: case_id,
                    kind,
                    compartment: if e % 3 == 0 {
                        Compartment::Advocate
                    } else {
                        Compartment::Shared
                    },
                    category: None,
                    status: None,
                    due_on: None,
                    assignee: None,
                    parent: None,
                    body: seal(
                        keys,
                        "case_entries",
                        "body",
                        &id.to_string(),
                        &serde_json::to_vec(&details)?,
                    )?,
                    by: owner,
                    at,
                    updated_at: at,
                });
            }
            events += u64::from(o.events_per_case);
            // One case in five has an open task.
            if rng.below(5) == 0 {
                let id = EntryId::new();
                let details = EntryDetails {
                    text: "Follow up on housing (fictional)".into(),
                    ..EntryDetails::default()
                };
                entries.push(StoredEntry {
                    id,
                    case: case_id,
                    kind: EntryKind::Task,
                    compartment: Compartment::Shared,
                    category: None,
                    status: Some("open".into()),
                    due_on: Some(
                        now.date() + Duration::days(i64::try_from(rng.below(60)).unwrap_or(0) - 10),
                    ),
                    assignee: Some(owner),
                    parent: None,
                    body: seal(
                        keys,
                        "case_entries",
                        "body",
                        &id.to_string(),
                        &serde_json::to_vec(&details)?,
                    )?,
                    by: owner,
                    at: created,
                    updated_at: created,
                });
            }
            let last = entries
                .iter()
                .map(|e| e.updated_at)
                .max()
                .unwrap_or(created);
            let header = CaseHeader {
                stage,
                closed_reason: None,
                cooperation: Cooperation::ALL[usize::try_from(rng.below(4)).unwrap_or(0)],
                profile: Some(seal(
                    keys,
                    "cases",
                    "profile",
                    &crow,
                    &serde_json::to_vec(&TraffickingProfile::default())?,
                )?),
                hhs_notice_due_at: None,
                hhs_notice_met_at: None,
                created_at: created,
                updated_at: last.min(now),
            };
            let list = cases_of.entry(owner).or_default();
            if list.len() < 50 {
                list.push(case_id);
            }
            batch.push(ImportCase {
                match_keys: match_keys(keys, &name, Some(birth)),
                person,
                facts: CaseFacts {
                    id: case_id,
                    organization: orgs[org_ix],
                    team: vec![(owner, TeamRole::OwnerSpecialist)],
                    flag_1367: false,
                },
                header,
                entries,
            });
        }
        if let Some(p) = pending.take() {
            p.await??;
        }
        let store2 = store.clone();
        pending = Some(tokio::spawn(async move {
            store2
                .import_cases(
                    &batch,
                    &AuditEntry::new(AuditAction::CaseCreated).on("import", "generated"),
                )
                .await
                .map_err(anyhow::Error::from)
        }));
        done += n;
        if done % 50_000 < batch_size || done == o.persons {
            let rate = done as f64 / started.elapsed().as_secs_f64();
            eprintln!("generated {done} cases, {events} events ({rate:.0} cases/s)");
        }
    }
    if let Some(p) = pending.take() {
        p.await??;
    }

    // Signed-in sessions for the load driver: specialists first, then supervisors.
    let mut users = Vec::new();
    let mut ordered: Vec<&(UserId, String, &'static str)> =
        logins.iter().filter(|l| l.2 != "supervisor").collect();
    ordered.extend(logins.iter().filter(|l| l.2 == "supervisor"));
    let spec_sessions = usize::try_from(o.sessions).unwrap_or(0);
    let mut taken_specs = 0;
    for (id, login, role) in ordered {
        if *role != "supervisor" {
            if taken_specs >= spec_sessions || !cases_of.contains_key(id) {
                continue;
            }
            taken_specs += 1;
        } else if users
            .iter()
            .filter(|u: &&ManifestUser| u.role == "supervisor")
            .count()
            >= spec_sessions
        {
            continue;
        }
        let token = random_token()?;
        let mut csrf = [0u8; 32];
        getrandom::fill(&mut csrf).map_err(|e| anyhow::anyhow!("{e}"))?;
        let session = SessionRecord {
            id: SessionId::new(),
            token_hash: sha2::Sha256::digest(token.as_bytes()).into(),
            user_id: *id,
            created_at: haven_domain::now(),
            last_seen_at: haven_domain::now(),
            csrf_token: csrf,
            stage: SessionStage::Full,
        };
        store
            .create_session(
                &session,
                &AuditEntry::new(AuditAction::SignInSucceeded).by_user(*id),
            )
            .await?;
        users.push(ManifestUser {
            login: login.clone(),
            role,
            session: token,
            cases: cases_of
                .get(id)
                .map(|c| c.iter().map(ToString::to_string).collect())
                .unwrap_or_default(),
        });
    }
    Ok(Manifest {
        persons: o.persons,
        events,
        organizations: o.organizations,
        users,
    })
}

/// Writes the manifest readable by its owner only.
///
/// # Errors
/// When the file cannot be written.
pub fn write_manifest(path: &Path, m: &Manifest) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(&serde_json::to_vec_pretty(m)?)?;
    Ok(())
}
