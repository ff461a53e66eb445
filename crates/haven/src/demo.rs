//! The demo data set: clearly fictional organizations and staff accounts.
//!
//! Every name here is invented and every address uses the reserved `.test`
//! domain. The data grows as features land; it must never contain real people.

use anyhow::{Result, bail};
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use haven_server::AppState;
use std::net::SocketAddr;

/// The password of every demo account. The demo is for trying Haven out,
/// never for real data.
pub const DEMO_PASSWORD: &str = "haven-demo";

/// The demo signs in without a second factor so newcomers can look around,
/// except for this account, which shows how it works. Add this key to any
/// authenticator app (or compute codes with `oathtool --totp -b KEY`).
pub const DEMO_MFA_LOGIN: &str = "certifier@demo.haven.test";
pub const DEMO_TOTP_KEY: &str = "HAVENDEMOTOTPSECRETKEYFORTESTING";

struct DemoOrg {
    key: &'static str,
    name: &'static str,
    kind: OrgKind,
}

const ORGS: [DemoOrg; 3] = [
    DemoOrg {
        key: "ngo",
        name: "Lantern Survivor Services (demo)",
        kind: OrgKind::Ngo,
    },
    DemoOrg {
        key: "le",
        name: "Tri-County Anti-Trafficking Task Force (demo)",
        kind: OrgKind::LawEnforcement,
    },
    DemoOrg {
        key: "shelter",
        name: "Cedar House Shelter (demo)",
        kind: OrgKind::ServiceProvider,
    },
];

/// (login, display name, organization key, roles)
const ACCOUNTS: [(&str, &str, &str, &[Role]); 8] = [
    (
        "admin@demo.haven.test",
        "Avery Admin (demo)",
        "ngo",
        &[Role::Administrator],
    ),
    (
        "specialist@demo.haven.test",
        "Sam Specialist (demo)",
        "ngo",
        &[Role::VictimSpecialist],
    ),
    (
        "supervisor@demo.haven.test",
        "Morgan Supervisor (demo)",
        "ngo",
        &[Role::Supervisor],
    ),
    (
        "agent@demo.haven.test",
        "Jordan Agent (demo)",
        "le",
        &[Role::LawEnforcementAgent],
    ),
    (
        "certifier@demo.haven.test",
        "Casey Certifier (demo)",
        "le",
        &[Role::Supervisor, Role::CertifyingOfficial],
    ),
    (
        "interviewer@demo.haven.test",
        "Riley Interviewer (demo)",
        "le",
        &[Role::ForensicInterviewer],
    ),
    (
        "provider@demo.haven.test",
        "Parker Provider (demo)",
        "shelter",
        &[Role::ProviderStaff],
    ),
    (
        "analyst@demo.haven.test",
        "Quinn Analyst (demo)",
        "ngo",
        &[Role::Analyst],
    ),
];

/// Seeds the demo data once. A database that already holds users other than
/// the demo accounts is refused: the demo never mixes with real data.
pub async fn seed(state: &AppState) -> Result<()> {
    let store = &state.store;
    let admin = LoginName::parse(ACCOUNTS[0].0).expect("demo login");
    if store.user_by_login(&admin).await?.is_some() {
        tracing::info!("demo data already present");
        return Ok(());
    }
    if store.count_users().await? > 0 {
        bail!(
            "this database holds accounts that are not demo accounts; run the demo on its own data directory (--data-dir)"
        );
    }
    let now = haven_domain::now();
    let mut ids = Vec::new();
    for o in &ORGS {
        let org = Organization {
            id: OrganizationId::new(),
            name: o.name.to_owned(),
            kind: o.kind,
            created_at: now,
        };
        let audit = AuditEntry::new(AuditAction::OrganizationCreated).on("organization", org.id);
        store.create_organization(&org, &audit).await?;
        ids.push((o.key, org.id));
    }
    let hash = state.hasher.hash(DEMO_PASSWORD.to_owned()).await;
    for (login, name, org_key, roles) in ACCOUNTS {
        let organization_id = ids
            .iter()
            .find(|(k, _)| *k == org_key)
            .map(|(_, id)| *id)
            .expect("demo org");
        let id = UserId::new();
        let audit = AuditEntry::new(AuditAction::UserCreated).on("user", id);
        store
            .create_user(
                &User {
                    id,
                    organization_id,
                    login: LoginName::parse(login).expect("demo login"),
                    display_name: name.to_owned(),
                    roles: roles.to_vec(),
                    password_hash: hash.clone(),
                    disabled: false,
                    created_at: now,
                },
                &audit,
            )
            .await?;
    }
    let certifier = store
        .user_by_login(&LoginName::parse(DEMO_MFA_LOGIN).expect("demo login"))
        .await?
        .expect("just created");
    let secret = base32_decode(DEMO_TOTP_KEY);
    let sealed = haven_server::features::account::mfa::seal_secret(state, certifier.id, &secret)
        .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    store.put_pending_mfa(certifier.id, &sealed).await?;
    let audit = AuditEntry::new(AuditAction::MfaEnabled).on("user", certifier.id);
    store.enable_mfa(certifier.id, 0, &[], now, &audit).await?;
    seed_record(state).await?;
    let shelter = ids
        .iter()
        .find(|(k, _)| *k == "shelter")
        .map(|(_, id)| *id)
        .expect("demo org");
    seed_directory(state, shelter).await?;
    tracing::info!(accounts = ACCOUNTS.len(), "demo data created");
    Ok(())
}

/// The demo service directory (`demo/directory.json`, HSDS 3.0, fictional
/// providers around New York City, one in Philadelphia), with Cedar House's
/// directory entry linked to the demo shelter so it receives referrals.
async fn seed_directory(state: &AppState, shelter: OrganizationId) -> Result<()> {
    let err = |e: haven_server::web::error::AppError| anyhow::anyhow!("{:?}", e.body().message);
    let batch = haven_domain::directory::import::from_json(include_str!("demo/directory.json"))
        .map_err(|e| anyhow::anyhow!("demo directory: {e}"))?;
    let report = haven_server::features::directory::import(state, None, batch, false, None)
        .await
        .map_err(err)?;
    if !report.rejected.is_empty() {
        bail!("demo directory rejected: {:?}", report.rejected);
    }
    let cedar = uuid::Uuid::parse_str(CEDAR_HOUSE_DIRECTORY_ID).expect("demo id");
    let audit = AuditEntry::new(AuditAction::DirectoryLinked).on("directory_organization", cedar);
    state
        .store
        .link_directory_organization(cedar, Some(shelter), &audit)
        .await?;
    Ok(())
}

/// Cedar House Shelter's id in `demo/directory.json`.
const CEDAR_HOUSE_DIRECTORY_ID: &str = "222eb9cc-0c1c-5057-a3fb-09eb710ab695";

/// The emergency fund, approval limits and one fictional case with needs
/// and a plan, made through the same operations the pages use.
async fn seed_record(state: &AppState) -> Result<()> {
    use haven_domain::policy::Actor;
    use haven_server::features::record::{self, EntryInput, IntakeInput, IntakeOutcome};
    let store = &state.store;
    let user = |login: &'static str| async move {
        store
            .user_by_login(&LoginName::parse(login).expect("demo login"))
            .await?
            .ok_or_else(|| anyhow::anyhow!("demo account {login} missing"))
    };
    let specialist = user("specialist@demo.haven.test").await?;
    let supervisor = user("supervisor@demo.haven.test").await?;
    let certifier = user(DEMO_MFA_LOGIN).await?;
    // Limits in cents: $1,000 and $500.
    for (u, limit) in [(&supervisor, 100_000), (&certifier, 50_000)] {
        let audit = AuditEntry::new(AuditAction::ApprovalLimitChanged).on("user", u.id);
        store.set_approval_limit(u.id, limit, &audit).await?;
    }
    let err = |e: haven_server::web::error::AppError| anyhow::anyhow!("{:?}", e.body().message);
    haven_server::features::funds::create_fund(
        state,
        &Actor::of(&supervisor),
        "Emergency assistance (demo)",
        "5000",
        None,
    )
    .await
    .map_err(err)?;
    let actor = Actor::of(&specialist);
    let input = IntakeInput {
        name: "Elena Ejemplo (demo)".into(),
        estimated_age: Some(24),
        gender: "feminine".into(),
        residency: "foreign_national".into(),
        citizenship: vec!["GT".into()],
        languages: vec!["es".into()],
        interpreter_needed: true,
        safe_channel: "through_specialist".into(),
        safety: "at_risk".into(),
        exploitation: "labor".into(),
        means_of_control: vec!["withholds_documents".into(), "debt_bondage".into()],
        industry: "domestic_work".into(),
        identification_source: "hotline".into(),
        indicators: vec!["no_control_of_documents".into(), "debt_garnished".into()],
        ..IntakeInput::default()
    };
    let IntakeOutcome::Created(case_id) = record::create_intake(state, &actor, &input, None, None)
        .await
        .map_err(err)?
    else {
        bail!("the demo case looked like a duplicate");
    };
    let case = haven_server::case::open_case(state, &actor, case_id, None)
        .await
        .map_err(err)?;
    let need = record::record_entry(
        state,
        &case,
        &EntryInput {
            kind: "need".into(),
            category: "housing".into(),
            urgency: "immediate".into(),
            text: "Needs a safe place to stay tonight (demo).".into(),
            ..EntryInput::default()
        },
        None,
    )
    .await
    .map_err(err)?;
    record::record_entry(
        state,
        &case,
        &EntryInput {
            kind: "plan_item".into(),
            parent_id: Some(*need.as_uuid()),
            text: "Emergency shelter bed, then transitional housing (demo).".into(),
            ..EntryInput::default()
        },
        None,
    )
    .await
    .map_err(err)?;
    // The task force's agent works the case with the specialist; the
    // relief trackers hold what is known so far (no certification yet).
    let agent = user("agent@demo.haven.test").await?;
    let audit = AuditEntry::new(AuditAction::TeamChanged)
        .by(specialist.id, specialist.organization_id)
        .on("case", case_id);
    store
        .set_team_member(
            case_id,
            agent.id,
            haven_domain::access::TeamRole::Agent,
            true,
            &audit,
        )
        .await?;
    let today = haven_domain::now().date();
    let months_ago = |m: i32| haven_domain::relief::calendar::add_months(today, -m);
    haven_server::features::relief::update_facts(
        state,
        &actor,
        case_id,
        |f| {
            f.person.in_united_states = Some(true);
            f.trafficking.force_fraud_or_coercion = Some(true);
            f.trafficking.first_act_on = months_ago(20);
            f.trafficking.last_act_on = months_ago(3);
            f.trafficking.present_on_account_of_trafficking = Some(true);
            f.trafficking.committed_trafficking = Some(false);
            f.law_enforcement.reported_on = months_ago(2);
            f.law_enforcement.potential_witness = Some(true);
            f.law_enforcement.willing_to_assist = Some(true);
            f.u_crime.crimes = vec![
                haven_domain::relief::facts::QualifyingCrime::Trafficking,
                haven_domain::relief::facts::QualifyingCrime::Peonage,
            ];
            f.u_crime.in_united_states_or_extraterritorial = Some(true);
            f.u_crime.substantial_abuse = Some(true);
            f.u_crime.possesses_information = Some(true);
            f.u_crime.helpful = Some(true);
            f.u_crime.culpable = Some(false);
            Ok(())
        },
        None,
    )
    .await
    .map_err(err)?;
    for (category, urgency) in [("legal_immigration", "high"), ("medical", "medium")] {
        record::record_entry(
            state,
            &case,
            &EntryInput {
                kind: "need".into(),
                category: category.into(),
                urgency: urgency.into(),
                ..EntryInput::default()
            },
            None,
        )
        .await
        .map_err(err)?;
    }
    // A 15-year-old who may be written to (e-mail, in Spanish): the forensic
    // interview and the appointment notice.
    let minor = IntakeInput {
        name: "Lucía Prueba (demo)".into(),
        estimated_age: Some(15),
        gender: "feminine".into(),
        residency: "foreign_national".into(),
        citizenship: vec!["HN".into()],
        languages: vec!["es".into()],
        interpreter_needed: true,
        safe_channel: "email".into(),
        email: "lucia@demo.haven.test".into(),
        may_leave_message: true,
        code_word: "girasol".into(),
        safety: "at_risk".into(),
        exploitation: "labor".into(),
        identification_source: "ngo".into(),
        ..IntakeInput::default()
    };
    let IntakeOutcome::Created(minor_case) =
        record::create_intake(state, &actor, &minor, None, None)
            .await
            .map_err(err)?
    else {
        bail!("the demo minor's case looked like a duplicate");
    };
    let audit = AuditEntry::new(AuditAction::TeamChanged)
        .by(specialist.id, specialist.organization_id)
        .on("case", minor_case);
    store
        .set_team_member(
            minor_case,
            agent.id,
            haven_domain::access::TeamRole::Agent,
            true,
            &audit,
        )
        .await?;
    Ok(())
}

/// RFC 4648 base32 (no padding) for the fixed demo key.
fn base32_decode(b32: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut n, mut out) = (0u64, 0u32, Vec::new());
    for c in b32.chars() {
        let v = ALPHABET.find(c).expect("the demo key is base32");
        bits = (bits << 5) | v as u64;
        n += 5;
        if n >= 8 {
            out.push(u8::try_from((bits >> (n - 8)) & 0xff).expect("one byte"));
            n -= 8;
        }
    }
    out
}

pub fn print_accounts(addr: SocketAddr) {
    println!();
    println!("Haven demo is running at http://{addr}/");
    println!("Every person and organization in it is fictional.");
    println!();
    println!("Demo accounts (password for all: {DEMO_PASSWORD}):");
    for (login, name, _, roles) in ACCOUNTS {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        println!("  {login:<30} {name:<28} {}", roles.join(", "));
    }
    println!();
    println!(
        "A real server requires a second sign-in step for every role that sees personal data."
    );
    println!("The demo does not, except for {DEMO_MFA_LOGIN}: add the key {DEMO_TOTP_KEY}");
    println!("to an authenticator app to sign in with it.");
    println!();
    println!("Press Ctrl-C to stop.");
}
