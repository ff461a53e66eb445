//! What the record tests share: organizations, staff, intakes, entries and
//! caseload queries.

use haven_domain::access::{CaseFacts, Compartment, TeamRole, case_filter};
use haven_domain::policy::Actor;
use haven_domain::record::{
    Cooperation, EntryKind, FundPurpose, FundRequestStatus, Stage, Urgency,
};
use haven_domain::{
    AuditAction, AuditEntry, CaseId, EntryId, FundId, FundRequestId, LoginName, OrgKind,
    Organization, OrganizationId, PersonId, Role, User, UserId,
};
use haven_store::testing::TestDb;
use haven_store::{
    CaseHeader, CaseloadQuery, CaseloadSort, FundRequest, NewIntake, StoredEntry, StoredPerson,
};
use time::OffsetDateTime;

pub fn audit(a: AuditAction) -> AuditEntry {
    AuditEntry::new(a)
}

pub async fn org(db: &TestDb) -> OrganizationId {
    let o = Organization {
        id: OrganizationId::new(),
        name: format!("Org {}", OrganizationId::new()),
        kind: OrgKind::Ngo,
        created_at: haven_domain::now(),
    };
    db.store
        .create_organization(&o, &audit(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    o.id
}

pub async fn user(db: &TestDb, org: OrganizationId, roles: &[Role]) -> User {
    let id = UserId::new();
    let u = User {
        id,
        organization_id: org,
        login: LoginName::parse(&format!("u{}@example.org", id.as_uuid().simple())).unwrap(),
        display_name: "Worker".into(),
        roles: roles.to_vec(),
        password_hash: "x".into(),
        disabled: false,
        created_at: haven_domain::now(),
    };
    db.store
        .create_user(&u, &audit(AuditAction::UserCreated))
        .await
        .unwrap();
    u
}

pub fn header(at: OffsetDateTime) -> CaseHeader {
    CaseHeader {
        stage: Stage::Identified,
        closed_reason: None,
        cooperation: Cooperation::Unknown,
        profile: Some(b"profile-ciphertext".to_vec()),
        hhs_notice_due_at: None,
        hhs_notice_met_at: None,
        created_at: at,
        updated_at: at,
    }
}

pub fn entry(case: CaseId, by: UserId, kind: EntryKind, at: OffsetDateTime) -> StoredEntry {
    StoredEntry {
        id: EntryId::new(),
        case,
        kind,
        compartment: Compartment::Shared,
        category: None,
        status: None,
        due_on: None,
        assignee: None,
        parent: None,
        body: b"body".to_vec(),
        by,
        at,
        updated_at: at,
    }
}

/// An intake by `owner`: person, case, header; returns the case id.
pub async fn intake(
    db: &TestDb,
    owner: &User,
    at: OffsetDateTime,
    entries: &[StoredEntry],
) -> CaseId {
    intake_with_team(db, owner, at, entries, &[]).await
}

pub async fn intake_with_team(
    db: &TestDb,
    owner: &User,
    at: OffsetDateTime,
    entries: &[StoredEntry],
    more_team: &[(UserId, TeamRole)],
) -> CaseId {
    let person = StoredPerson {
        id: PersonId::new(),
        organization: owner.organization_id,
        name: b"name-ciphertext".to_vec(),
        birth_date: None,
        name_dob_index: None,
        profile: Some(b"person-profile".to_vec()),
    };
    let facts = CaseFacts {
        id: entries.first().map_or_else(CaseId::new, |e| e.case),
        organization: owner.organization_id,
        team: [(owner.id, TeamRole::OwnerSpecialist)]
            .into_iter()
            .chain(more_team.iter().copied())
            .collect(),
        flag_1367: false,
    };
    db.store
        .create_intake(
            &NewIntake {
                person: &person,
                match_keys: &[[1; 32], [2; 32]],
                facts: &facts,
                header: &header(at),
                entries,
                draft: None,
            },
            &audit(AuditAction::CaseCreated),
        )
        .await
        .unwrap();
    facts.id
}

pub fn query(actor: &Actor, sort: CaseloadSort) -> CaseloadQuery {
    CaseloadQuery {
        filter: case_filter(actor),
        mine_only: false,
        stage: None,
        hhs_pending: false,
        sort,
        limit: 50,
        offset: 0,
        now: haven_domain::now(),
    }
}

pub fn fund_request(
    fund: FundId,
    case: CaseId,
    by: UserId,
    amount: i64,
    purpose: FundPurpose,
) -> FundRequest {
    FundRequest {
        id: FundRequestId::new(),
        fund,
        case,
        amount,
        purpose,
        urgency: Urgency::High,
        description: b"enc".to_vec(),
        status: FundRequestStatus::Requested,
        requested_by: by,
        requested_at: haven_domain::now(),
        decided_by: None,
        decided_at: None,
        decision_note: None,
        disbursed_by: None,
        disbursed_at: None,
        method: None,
    }
}
