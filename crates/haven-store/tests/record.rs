#![allow(clippy::inconsistent_digit_grouping)] // cents written as dollars_cents
//! The case record and the emergency fund, on SQLite and PostgreSQL.

use haven_domain::access::{CaseFacts, Compartment, TeamRole, case_filter};
use haven_domain::policy::Actor;
use haven_domain::record::{
    ClosedReason, Cooperation, EntryKind, FundPurpose, FundRequestStatus, Stage, Urgency,
};
use haven_domain::{
    AttachmentId, AuditAction, AuditEntry, CaseId, DraftId, EntryId, FundId, FundRequestId,
    LoginName, OrgKind, Organization, OrganizationId, PersonId, Role, User, UserId,
};
use haven_store::testing::TestDb;
use haven_store::{
    AttachmentMeta, CaseHeader, CasePageQuery, CaseloadQuery, CaseloadSort, Decided, EntryUpdate,
    Fund, FundRequest, HeaderChange, NewIntake, StoreError, StoredDraft, StoredEntry, StoredPerson,
};
use std::sync::Arc;
use time::macros::date;
use time::{Duration, OffsetDateTime};

fn audit(a: AuditAction) -> AuditEntry {
    AuditEntry::new(a)
}

async fn org(db: &TestDb) -> OrganizationId {
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

async fn user(db: &TestDb, org: OrganizationId, roles: &[Role]) -> User {
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

fn header(at: OffsetDateTime) -> CaseHeader {
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

fn entry(case: CaseId, by: UserId, kind: EntryKind, at: OffsetDateTime) -> StoredEntry {
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
async fn intake(db: &TestDb, owner: &User, at: OffsetDateTime, entries: &[StoredEntry]) -> CaseId {
    intake_with_team(db, owner, at, entries, &[]).await
}

async fn intake_with_team(
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

fn query(actor: &Actor, sort: CaseloadSort) -> CaseloadQuery {
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

async fn an_intake_writes_person_case_entries_and_removes_its_draft_in_one_go(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let at = haven_domain::now();
    let draft = StoredDraft {
        id: DraftId::new(),
        user: owner.id,
        body: b"draft".to_vec(),
        created_at: at,
        updated_at: at,
    };
    db.store
        .save_draft(&draft, &audit(AuditAction::IntakeDraftSaved))
        .await
        .unwrap();
    let case = CaseId::new();
    let mut screening = entry(case, owner.id, EntryKind::Screening, at);
    screening.compartment = Compartment::Advocate;
    let person = StoredPerson {
        id: PersonId::new(),
        organization: o,
        name: b"n".to_vec(),
        birth_date: Some(b"d".to_vec()),
        name_dob_index: Some([7; 32]),
        profile: Some(b"p".to_vec()),
    };
    let facts = CaseFacts {
        id: case,
        organization: o,
        team: vec![(owner.id, TeamRole::OwnerSpecialist)],
        flag_1367: false,
    };
    let mut h = header(at);
    h.hhs_notice_due_at = Some(at + Duration::hours(24));
    db.store
        .create_intake(
            &NewIntake {
                person: &person,
                match_keys: &[[3; 32]],
                facts: &facts,
                header: &h,
                entries: &[screening.clone()],
                draft: Some((owner.id, draft.id)),
            },
            &audit(AuditAction::CaseCreated),
        )
        .await
        .unwrap();
    let bundle = db.store.case_bundle(case).await.unwrap().unwrap();
    assert_eq!(bundle.header, h, "{}", db.name);
    assert_eq!(
        bundle.person.as_ref().unwrap().profile.as_deref(),
        Some(&b"p"[..])
    );
    assert_eq!(
        db.store.draft(owner.id, draft.id).await.unwrap(),
        None,
        "{}: draft used up",
        db.name
    );
    let (entries, timeline) = db.store.case_entries(case, 10).await.unwrap();
    assert_eq!((entries, timeline), (vec![screening], 0), "{}", db.name);

    // A clash (same case id again) writes nothing at all.
    let again = StoredPerson {
        id: PersonId::new(),
        ..person.clone()
    };
    let err = db
        .store
        .create_intake(
            &NewIntake {
                person: &again,
                match_keys: &[[3; 32]],
                facts: &facts,
                header: &h,
                entries: &[],
                draft: None,
            },
            &audit(AuditAction::CaseCreated),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict { .. }),
        "{}: {err:?}",
        db.name
    );
    assert_eq!(
        db.store.persons_by_index(&[7; 32]).await.unwrap().len(),
        1,
        "{}: the failed intake left no person behind",
        db.name
    );
}
haven_store::on_both!(an_intake_writes_person_case_entries_and_removes_its_draft_in_one_go);

/// The case page opens a case with one read: the bundle must be exactly what
/// the separate reads give (facts with the whole team, every release in
/// order, the person and the header), with or without releases and team.
async fn a_case_bundle_is_the_case_its_team_releases_person_and_header_in_one_read(db: TestDb) {
    let db = &db;
    use haven_domain::consent::{Consent, FieldGroup, Party, Recipient, Signer};
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let agent = user(db, org(db).await, &[Role::LawEnforcementAgent]).await;
    let boss = user(db, o, &[Role::Supervisor]).await;
    let at = haven_domain::now();
    let bare = intake(db, &owner, at, &[]).await;
    let case = intake_with_team(
        db,
        &owner,
        at,
        &[],
        &[(agent.id, TeamRole::Agent), (boss.id, TeamRole::Supervisor)],
    )
    .await;
    let today = at.date();
    let mut releases = Vec::new();
    for (i, recipient) in [
        Recipient::Organization(agent.organization_id),
        Recipient::Role(Role::ForensicInterviewer),
        Recipient::Organization(o),
    ]
    .into_iter()
    .enumerate()
    {
        let c = Consent {
            id: haven_domain::ConsentId::new(),
            case,
            parties: vec![Party {
                signer: Signer::Victim,
                recorded_as_abuser: false,
            }],
            recipient,
            purpose: format!("purpose {i}").into_bytes(),
            witnessed_by: None,
            fields: vec![FieldGroup::Identity],
            // Signed in reverse order of creation: the bundle sorts.
            signed_on: today - Duration::days(i as i64),
            expires_on: today + Duration::days(30),
            revoked_at: None,
        };
        db.store
            .add_consent(&c, &audit(AuditAction::ConsentRecorded))
            .await
            .unwrap();
        releases.push(c);
    }
    // One of them revoked.
    assert!(
        db.store
            .revoke_consent(releases[1].id, at, &audit(AuditAction::ConsentRevoked))
            .await
            .unwrap()
    );
    releases[1].revoked_at = Some(at);
    for id in [bare, case] {
        let bundle = db.store.case_bundle(id).await.unwrap().unwrap();
        assert_eq!(
            Some(&bundle.facts),
            db.store.case_facts(id).await.unwrap().as_ref(),
            "{}",
            db.name
        );
        assert_eq!(
            bundle.consents,
            db.store.consents_for_case(id).await.unwrap(),
            "{}",
            db.name
        );
        assert_eq!(bundle.header, header(at), "{}", db.name);
        assert_eq!(
            bundle.person.map(|p| p.name),
            Some(b"name-ciphertext".to_vec())
        );
    }
    let full = db.store.case_bundle(case).await.unwrap().unwrap();
    assert_eq!(full.facts.team.len(), 3, "{}", db.name);
    releases.reverse();
    assert_eq!(full.consents, releases, "{}: oldest first", db.name);
    let bare = db.store.case_bundle(bare).await.unwrap().unwrap();
    assert_eq!(
        (bare.facts.team.len(), bare.consents.len()),
        (1, 0),
        "{}",
        db.name
    );
    assert!(db.store.case_bundle(CaseId::new()).await.unwrap().is_none());
}
haven_store::on_both!(a_case_bundle_is_the_case_its_team_releases_person_and_header_in_one_read);

async fn stage_changes_apply_only_from_the_stage_the_worker_saw(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let at = haven_domain::now();
    let case = intake(db, &owner, at, &[]).await;
    let later = at + Duration::seconds(5);
    let change = HeaderChange::Stage {
        from: Stage::Identified,
        to: Stage::Closed,
        reason: Some(ClosedReason::GoalsMet),
    };
    let note = entry(case, owner.id, EntryKind::StatusChange, later);
    assert!(
        db.store
            .update_case_header(
                case,
                &change,
                Some(&note),
                later,
                &audit(AuditAction::CaseStageChanged)
            )
            .await
            .unwrap()
    );
    // The second worker still thought it was "identified".
    let stale = HeaderChange::Stage {
        from: Stage::Identified,
        to: Stage::Stabilizing,
        reason: None,
    };
    let note2 = entry(case, owner.id, EntryKind::StatusChange, later);
    assert!(
        !db.store
            .update_case_header(
                case,
                &stale,
                Some(&note2),
                later,
                &audit(AuditAction::CaseStageChanged)
            )
            .await
            .unwrap()
    );
    let h = db.store.case_header(case).await.unwrap().unwrap();
    assert_eq!(
        (h.stage, h.closed_reason, h.updated_at),
        (Stage::Closed, Some(ClosedReason::GoalsMet), later),
        "{}",
        db.name
    );
    let (entries, total) = db.store.case_entries(case, 10).await.unwrap();
    assert_eq!(
        total, 1,
        "{}: only the applied change is on the timeline",
        db.name
    );
    assert_eq!(entries, vec![note]);

    assert!(
        db.store
            .update_case_header(
                case,
                &HeaderChange::Cooperation(Cooperation::Declined),
                None,
                later,
                &audit(AuditAction::CaseUpdated)
            )
            .await
            .unwrap()
    );
    assert!(
        db.store
            .update_case_header(
                case,
                &HeaderChange::HhsNotified(later),
                None,
                later,
                &audit(AuditAction::HhsNotified)
            )
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .update_case_header(
                case,
                &HeaderChange::HhsNotified(later),
                None,
                later,
                &audit(AuditAction::HhsNotified)
            )
            .await
            .unwrap(),
        "met once"
    );
    assert!(
        !db.store
            .update_case_header(
                CaseId::new(),
                &HeaderChange::Cooperation(Cooperation::Declined),
                None,
                later,
                &audit(AuditAction::CaseUpdated)
            )
            .await
            .unwrap()
    );
    let h = db.store.case_header(case).await.unwrap().unwrap();
    assert_eq!(
        (h.cooperation, h.hhs_notice_met_at),
        (Cooperation::Declined, Some(later))
    );
}
haven_store::on_both!(stage_changes_apply_only_from_the_stage_the_worker_saw);

async fn entries_update_in_place_and_the_timeline_is_newest_first_and_limited(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let at = haven_domain::now();
    let case = intake(db, &owner, at, &[]).await;
    let mut need = entry(case, owner.id, EntryKind::Need, at);
    need.category = Some("housing".into());
    db.store
        .add_entry(&need, &audit(AuditAction::EntryRecorded), &[])
        .await
        .unwrap();
    let mut task = entry(case, owner.id, EntryKind::Task, at);
    task.status = Some("open".into());
    task.due_on = Some(date!(2026 - 12 - 01));
    task.assignee = Some(owner.id);
    task.parent = Some(need.id);
    db.store
        .add_entry(&task, &audit(AuditAction::EntryRecorded), &[])
        .await
        .unwrap();
    for i in 0..5 {
        let e = entry(
            case,
            owner.id,
            EntryKind::Contact,
            at + Duration::minutes(i),
        );
        db.store
            .add_entry(&e, &audit(AuditAction::EntryRecorded), &[])
            .await
            .unwrap();
    }
    let (entries, total) = db.store.case_entries(case, 3).await.unwrap();
    assert_eq!(total, 5, "{}", db.name);
    let timeline: Vec<_> = entries.iter().filter(|e| e.kind.is_timeline()).collect();
    assert_eq!(timeline.len(), 3);
    assert!(timeline[0].at > timeline[1].at, "{}: newest first", db.name);
    assert_eq!(entries.iter().filter(|e| !e.kind.is_timeline()).count(), 2);

    let update = EntryUpdate {
        id: task.id,
        case,
        status: Some("done".into()),
        due_on: Some(date!(2026 - 12 - 02)),
        assignee: None,
        body: b"done".to_vec(),
        at: at + Duration::hours(1),
    };
    assert!(
        db.store
            .update_entry(&update, &audit(AuditAction::EntryUpdated))
            .await
            .unwrap()
    );
    let got = db.store.entry(case, task.id).await.unwrap().unwrap();
    assert_eq!(
        (got.status.as_deref(), got.due_on, got.assignee, got.parent),
        (
            Some("done"),
            Some(date!(2026 - 12 - 02)),
            None,
            Some(need.id)
        )
    );
    let other = intake(db, &owner, at, &[]).await;
    let wrong_case = EntryUpdate {
        case: other,
        ..update
    };
    assert!(
        !db.store
            .update_entry(&wrong_case, &audit(AuditAction::EntryUpdated))
            .await
            .unwrap(),
        "{}: an entry is changed only through its own case",
        db.name
    );
    assert_eq!(db.store.entry(other, task.id).await.unwrap(), None);
}
haven_store::on_both!(entries_update_in_place_and_the_timeline_is_newest_first_and_limited);

async fn the_caseload_filters_sorts_pages_and_counts(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let boss = user(db, o, &[Role::Supervisor]).await;
    let stranger = user(db, org(db).await, &[Role::Supervisor]).await;
    let t0 = haven_domain::now();
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(intake(db, &owner, t0 + Duration::seconds(i), &[]).await);
    }
    // One task due on case 3, an earlier one on case 5.
    for (i, due) in [(3, date!(2027 - 01 - 10)), (5, date!(2027 - 01 - 02))] {
        let mut t = entry(ids[i], owner.id, EntryKind::Task, t0);
        t.status = Some("open".into());
        t.due_on = Some(due);
        db.store
            .add_entry(&t, &audit(AuditAction::EntryRecorded), &[])
            .await
            .unwrap();
    }
    let change = HeaderChange::Stage {
        from: Stage::Identified,
        to: Stage::Stabilizing,
        reason: None,
    };
    db.store
        .update_case_header(
            ids[0],
            &change,
            None,
            t0 + Duration::minutes(5),
            &audit(AuditAction::CaseStageChanged),
        )
        .await
        .unwrap();

    let me = Actor::of(&owner);
    let (total, rows) = db
        .store
        .caseload(&query(&me, CaseloadSort::Updated))
        .await
        .unwrap();
    assert_eq!(total, 7, "{}", db.name);
    assert_eq!(rows[0].id, ids[0], "{}: last changed first", db.name);
    assert!(
        rows.iter()
            .all(|r| r.name.as_deref() == Some(&b"name-ciphertext"[..]))
    );

    let (_, by_due) = db
        .store
        .caseload(&query(&me, CaseloadSort::NextDue))
        .await
        .unwrap();
    assert_eq!(
        (by_due[0].id, by_due[1].id),
        (ids[5], ids[3]),
        "{}",
        db.name
    );
    assert_eq!(by_due[0].next_due, Some(date!(2027 - 01 - 02)));
    assert_eq!(by_due[2].next_due, None);

    let mut q = query(&me, CaseloadSort::Created);
    q.limit = 3;
    q.offset = 6;
    let (total, page) = db.store.caseload(&q).await.unwrap();
    assert_eq!(
        (total, page.len(), page[0].id),
        (7, 1, ids[6]),
        "{}",
        db.name
    );

    let mut q = query(&me, CaseloadSort::Created);
    q.stage = Some(Stage::Stabilizing);
    let (total, rows) = db.store.caseload(&q).await.unwrap();
    assert_eq!((total, rows[0].id), (1, ids[0]));

    // A page past the end is empty and still says how many there are,
    // in every order.
    for sort in [
        CaseloadSort::Updated,
        CaseloadSort::Created,
        CaseloadSort::Stage,
        CaseloadSort::NextDue,
    ] {
        let mut q = query(&me, sort);
        q.offset = 25;
        let (total, rows) = db.store.caseload(&q).await.unwrap();
        assert_eq!((total, rows.len()), (7, 0), "{}: {sort:?}", db.name);
        q.offset = 0;
        q.limit = 2;
        let (total, rows) = db.store.caseload(&q).await.unwrap();
        assert_eq!((total, rows.len()), (7, 2), "{}: {sort:?}", db.name);
    }

    // The supervisor sees the organization's cases, but none "of mine".
    let sup = Actor::of(&boss);
    assert_eq!(
        db.store
            .caseload(&query(&sup, CaseloadSort::Updated))
            .await
            .unwrap()
            .0,
        7
    );
    let mut mine = query(&sup, CaseloadSort::Updated);
    mine.mine_only = true;
    assert_eq!(db.store.caseload(&mine).await.unwrap().0, 0, "{}", db.name);
    assert_eq!(
        db.store
            .caseload(&query(&Actor::of(&stranger), CaseloadSort::Updated))
            .await
            .unwrap()
            .0,
        0
    );

    let mut hhs = query(&me, CaseloadSort::Updated);
    hhs.hhs_pending = true;
    assert_eq!(db.store.caseload(&hhs).await.unwrap().0, 0);
}
haven_store::on_both!(the_caseload_filters_sorts_pages_and_counts);

/// A supervisor's caseload is the organization's cases and the cases shared
/// from elsewhere (here: on the team), merged into one order and paged.
async fn a_supervisors_caseload_merges_own_and_shared_cases_in_one_order_across_pages(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let elsewhere = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let boss = user(db, o, &[Role::Supervisor]).await;
    let far = user(db, elsewhere, &[Role::VictimSpecialist]).await;
    let t0 = haven_domain::now();
    let mut made = Vec::new();
    for s in 0..11 {
        let at = t0 + Duration::seconds(s);
        // Every third case is another organization's, with the
        // supervisor on its team.
        let id = if s % 3 == 1 {
            intake_with_team(db, &far, at, &[], &[(boss.id, TeamRole::Supervisor)]).await
        } else {
            intake(db, &owner, at, &[]).await
        };
        made.push((at, id));
    }
    // Two cases changed at the same instant: the later id comes first.
    let same = t0 + Duration::seconds(20);
    let twins = [
        intake(db, &owner, same, &[]).await,
        intake_with_team(db, &far, same, &[], &[(boss.id, TeamRole::Supervisor)]).await,
    ];
    for id in twins {
        made.push((same, id));
    }
    made.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.as_uuid().cmp(a.1.as_uuid())));
    let expected: Vec<CaseId> = made.iter().map(|m| m.1).collect();

    let sup = Actor::of(&boss);
    let mut seen = Vec::new();
    for offset in (0..16).step_by(4) {
        let mut q = query(&sup, CaseloadSort::Updated);
        q.limit = 4;
        q.offset = offset;
        let (total, rows) = db.store.caseload(&q).await.unwrap();
        assert_eq!(total, 13, "{}: offset {offset}", db.name);
        seen.extend(rows.iter().map(|r| r.id));
    }
    assert_eq!(seen, expected, "{}: pages in one order", db.name);

    // Filters apply to both grounds, in the count as on the page.
    let mut q = query(&sup, CaseloadSort::Updated);
    q.stage = Some(Stage::Stabilizing);
    assert_eq!(db.store.caseload(&q).await.unwrap().0, 0, "{}", db.name);
    // "Mine only" leaves the organization out, not the team.
    let mut mine = query(&sup, CaseloadSort::Updated);
    mine.mine_only = true;
    let (total, rows) = db.store.caseload(&mine).await.unwrap();
    assert_eq!(total, 5, "{}", db.name);
    assert_eq!(rows.len(), 5, "{}", db.name);
}
haven_store::on_both!(a_supervisors_caseload_merges_own_and_shared_cases_in_one_order_across_pages);

/// A supervisor's count comes from per-stage counts that triggers keep; the
/// rows come from the cases themselves. Both must agree after intakes,
/// imports, stage moves (also concurrent, in opposite directions), a stale
/// move and a rolled-back import.
async fn a_supervisors_count_follows_every_change_to_the_organizations_cases(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let boss = user(db, o, &[Role::Supervisor]).await;
    let t0 = haven_domain::now();
    let mut ids = Vec::new();
    for i in 0..12 {
        ids.push(intake(db, &owner, t0 + Duration::seconds(i), &[]).await);
    }
    let imported: Vec<haven_store::ImportCase> = (0..3)
        .map(|_| {
            let case = CaseId::new();
            haven_store::ImportCase {
                person: StoredPerson {
                    id: PersonId::new(),
                    organization: o,
                    name: b"n".to_vec(),
                    birth_date: None,
                    name_dob_index: None,
                    profile: None,
                },
                match_keys: vec![],
                facts: CaseFacts {
                    id: case,
                    organization: o,
                    team: vec![(owner.id, TeamRole::OwnerSpecialist)],
                    flag_1367: false,
                },
                header: header(t0),
                entries: vec![],
            }
        })
        .collect();
    db.store
        .import_cases(&imported, &audit(AuditAction::CaseCreated))
        .await
        .unwrap();
    // A clash rolls the batch back, counts included.
    assert!(
        db.store
            .import_cases(&imported[..1], &audit(AuditAction::CaseCreated))
            .await
            .is_err()
    );
    let moved = async |case: CaseId, from: Stage, to: Stage| {
        db.store
            .update_case_header(
                case,
                &HeaderChange::Stage {
                    from,
                    to,
                    reason: (to == Stage::Closed).then_some(ClosedReason::GoalsMet),
                },
                None,
                haven_domain::now(),
                &audit(AuditAction::CaseStageChanged),
            )
            .await
            .unwrap()
    };
    assert!(moved(ids[0], Stage::Identified, Stage::Stabilizing).await);
    assert!(moved(ids[1], Stage::Identified, Stage::Stabilizing).await);
    assert!(moved(ids[1], Stage::Stabilizing, Stage::Closed).await);
    assert!(moved(ids[1], Stage::Closed, Stage::Reopened).await);
    assert!(
        !moved(ids[2], Stage::Stabilizing, Stage::Closed).await,
        "stale"
    );
    for id in &ids[3..6] {
        assert!(moved(*id, Stage::Identified, Stage::Stabilizing).await);
    }
    // Six moves at once, three each way between the same two stages.
    let tasks: Vec<_> = ids[3..9]
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let store = Arc::clone(&db.store);
            let id = *id;
            let (from, to) = if i < 3 {
                (Stage::Stabilizing, Stage::Identified)
            } else {
                (Stage::Identified, Stage::Stabilizing)
            };
            tokio::spawn(async move {
                store
                    .update_case_header(
                        id,
                        &HeaderChange::Stage {
                            from,
                            to,
                            reason: None,
                        },
                        None,
                        haven_domain::now(),
                        &AuditEntry::new(AuditAction::CaseStageChanged),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tasks {
        assert!(t.await.unwrap(), "{}", db.name);
    }

    let sup = Actor::of(&boss);
    let listed = async |stage: Option<Stage>| {
        let mut q = query(&sup, CaseloadSort::Updated);
        q.stage = stage;
        q.limit = 100;
        let (total, rows) = db.store.caseload(&q).await.unwrap();
        (total, rows.len() as u64)
    };
    assert_eq!(listed(None).await, (15, 15), "{}", db.name);
    let mut expected = std::collections::HashMap::from([
        (Stage::Identified, 10),
        (Stage::Stabilizing, 4),
        (Stage::Reopened, 1),
    ]);
    for stage in Stage::ALL {
        let n = expected.remove(stage).unwrap_or(0);
        assert_eq!(listed(Some(*stage)).await, (n, n), "{}: {stage:?}", db.name);
    }
    // Another organization's supervisor counts none of them.
    let stranger = user(db, org(db).await, &[Role::Supervisor]).await;
    assert_eq!(
        db.store
            .caseload(&query(&Actor::of(&stranger), CaseloadSort::Updated))
            .await
            .unwrap()
            .0,
        0,
        "{}",
        db.name
    );
}
haven_store::on_both!(a_supervisors_count_follows_every_change_to_the_organizations_cases);

/// A team member's caseload reads each case's caseload columns from copies
/// that triggers keep (`team_caseloads`); the rows it shows come from the
/// cases themselves. Order, filters and membership must agree with the cases
/// after intakes, imports, added and removed roles (a member with two roles
/// keeps the case until the last goes), new entries, stage moves and an
/// HHS-5 notice marked sent.
async fn a_team_members_caseload_follows_every_change_to_the_case_and_the_team(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let helper = user(db, o, &[Role::VictimSpecialist]).await;
    // Law enforcement from another organization, on the team.
    let agent = user(db, org(db).await, &[Role::LawEnforcementAgent]).await;
    let t0 = haven_domain::now() - Duration::hours(1);
    let a = intake(db, &owner, t0, &[]).await;
    let b = intake_with_team(
        db,
        &owner,
        t0 + Duration::seconds(1),
        &[],
        &[(agent.id, TeamRole::Agent)],
    )
    .await;
    let c = intake(db, &owner, t0 + Duration::seconds(2), &[]).await;
    let mut due = header(t0 + Duration::seconds(3));
    due.hhs_notice_due_at = Some(t0 + Duration::hours(24));
    let d = CaseId::new();
    db.store
        .import_cases(
            &[haven_store::ImportCase {
                person: StoredPerson {
                    id: PersonId::new(),
                    organization: o,
                    name: b"n".to_vec(),
                    birth_date: None,
                    name_dob_index: None,
                    profile: None,
                },
                match_keys: vec![],
                facts: CaseFacts {
                    id: d,
                    organization: o,
                    team: vec![
                        (owner.id, TeamRole::OwnerSpecialist),
                        (agent.id, TeamRole::Agent),
                    ],
                    flag_1367: false,
                },
                header: due,
                entries: vec![],
            }],
            &audit(AuditAction::CaseCreated),
        )
        .await
        .unwrap();
    // The caseload of `who` in the default order (newest change first),
    // optionally filtered, checked against each case's own header.
    let listed = async |who: &User, stage: Option<Stage>, hhs_pending: bool| {
        let mut q = query(&Actor::of(who), CaseloadSort::Updated);
        q.stage = stage;
        q.hhs_pending = hhs_pending;
        let (total, rows) = db.store.caseload(&q).await.unwrap();
        assert_eq!(total, rows.len() as u64, "{}", db.name);
        for r in &rows {
            let h = db.store.case_header(r.id).await.unwrap().unwrap();
            assert_eq!(
                (r.stage, r.updated_at),
                (h.stage, h.updated_at),
                "{}",
                db.name
            );
            assert!(stage.is_none_or(|s| s == h.stage), "{}", db.name);
            assert!(
                !hhs_pending || (h.hhs_notice_due_at.is_some() && h.hhs_notice_met_at.is_none()),
                "{}",
                db.name
            );
        }
        assert!(
            rows.windows(2).all(|w| w[0].updated_at >= w[1].updated_at),
            "{}: newest change first",
            db.name
        );
        rows.iter().map(|r| r.id).collect::<Vec<_>>()
    };
    assert_eq!(
        listed(&owner, None, false).await,
        [d, c, b, a],
        "{}",
        db.name
    );
    assert_eq!(listed(&agent, None, false).await, [d, b], "{}", db.name);
    assert!(listed(&helper, None, false).await.is_empty(), "{}", db.name);
    assert_eq!(listed(&agent, None, true).await, [d], "{}", db.name);

    let team = async |case: CaseId, who: &User, role: TeamRole, add: bool| {
        assert!(
            db.store
                .set_team_member(case, who.id, role, add, &audit(AuditAction::TeamChanged))
                .await
                .unwrap(),
            "{}",
            db.name
        );
    };
    team(a, &helper, TeamRole::Interviewer, true).await;
    team(a, &helper, TeamRole::Supervisor, true).await;
    assert_eq!(listed(&helper, None, false).await, [a], "{}", db.name);

    // A new entry makes its case the most recently changed.
    db.store
        .add_entry(
            &entry(a, owner.id, EntryKind::Note, haven_domain::now()),
            &audit(AuditAction::EntryRecorded),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(
        listed(&owner, None, false).await,
        [a, d, c, b],
        "{}",
        db.name
    );

    // A stage move, seen by the stage filter of every member.
    assert!(
        db.store
            .update_case_header(
                b,
                &HeaderChange::Stage {
                    from: Stage::Identified,
                    to: Stage::Stabilizing,
                    reason: None,
                },
                None,
                haven_domain::now() + Duration::seconds(1),
                &audit(AuditAction::CaseStageChanged),
            )
            .await
            .unwrap()
    );
    assert_eq!(
        listed(&owner, Some(Stage::Stabilizing), false).await,
        [b],
        "{}",
        db.name
    );
    assert_eq!(
        listed(&agent, Some(Stage::Stabilizing), false).await,
        [b],
        "{}",
        db.name
    );
    assert_eq!(
        listed(&agent, Some(Stage::Identified), false).await,
        [d],
        "{}",
        db.name
    );
    assert_eq!(listed(&agent, None, false).await, [b, d], "{}", db.name);

    // The HHS-5 notice sent: no longer pending for anyone.
    assert!(
        db.store
            .update_case_header(
                d,
                &HeaderChange::HhsNotified(haven_domain::now()),
                None,
                haven_domain::now() + Duration::seconds(2),
                &audit(AuditAction::HhsNotified),
            )
            .await
            .unwrap()
    );
    assert!(listed(&agent, None, true).await.is_empty(), "{}", db.name);
    assert!(listed(&owner, None, true).await.is_empty(), "{}", db.name);

    // One of two roles gone: still on the team; the last one: gone.
    team(a, &helper, TeamRole::Interviewer, false).await;
    assert_eq!(listed(&helper, None, false).await, [a], "{}", db.name);
    team(a, &helper, TeamRole::Supervisor, false).await;
    assert!(listed(&helper, None, false).await.is_empty(), "{}", db.name);
    team(b, &agent, TeamRole::Agent, false).await;
    assert_eq!(listed(&agent, None, false).await, [d], "{}", db.name);
    assert_eq!(listed(&owner, None, false).await.len(), 4, "{}", db.name);
}
haven_store::on_both!(a_team_members_caseload_follows_every_change_to_the_case_and_the_team);

async fn attachments_and_drafts_belong_to_their_case_and_author(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let other = user(db, o, &[Role::VictimSpecialist]).await;
    let at = haven_domain::now();
    let case = intake(db, &owner, at, &[]).await;
    let meta = AttachmentMeta {
        id: AttachmentId::new(),
        case,
        compartment: Compartment::Advocate,
        name: b"enc-name".to_vec(),
        content_type: "application/pdf".into(),
        size: 4,
        sha256: [9; 32],
        by: owner.id,
        at,
    };
    db.store
        .add_attachment(&meta, b"%PDF", &audit(AuditAction::AttachmentAdded))
        .await
        .unwrap();
    assert_eq!(
        db.store.attachments(case).await.unwrap(),
        vec![meta.clone()],
        "{}",
        db.name
    );
    assert_eq!(
        db.store.attachment(case, meta.id).await.unwrap(),
        Some((meta.clone(), b"%PDF".to_vec()))
    );
    let elsewhere = intake(db, &owner, at, &[]).await;
    assert_eq!(db.store.attachment(elsewhere, meta.id).await.unwrap(), None);

    let mut d = StoredDraft {
        id: DraftId::new(),
        user: owner.id,
        body: b"v1".to_vec(),
        created_at: at,
        updated_at: at,
    };
    db.store
        .save_draft(&d, &audit(AuditAction::IntakeDraftSaved))
        .await
        .unwrap();
    d.body = b"v2".to_vec();
    d.updated_at = at + Duration::seconds(1);
    db.store
        .save_draft(&d, &audit(AuditAction::IntakeDraftSaved))
        .await
        .unwrap();
    assert_eq!(
        db.store.drafts(owner.id).await.unwrap(),
        vec![d.clone()],
        "{}",
        db.name
    );
    // Another worker can neither overwrite, read nor delete it.
    let theft = StoredDraft {
        user: other.id,
        body: b"x".to_vec(),
        ..d.clone()
    };
    assert!(
        db.store
            .save_draft(&theft, &audit(AuditAction::IntakeDraftSaved))
            .await
            .is_err(),
        "{}",
        db.name
    );
    assert_eq!(db.store.draft(other.id, d.id).await.unwrap(), None);
    assert!(
        !db.store
            .delete_draft(other.id, d.id, &audit(AuditAction::IntakeDraftDeleted))
            .await
            .unwrap()
    );
    assert_eq!(
        db.store.draft(owner.id, d.id).await.unwrap().unwrap().body,
        b"v2"
    );
    assert!(
        db.store
            .delete_draft(owner.id, d.id, &audit(AuditAction::IntakeDraftDeleted))
            .await
            .unwrap()
    );
}
haven_store::on_both!(attachments_and_drafts_belong_to_their_case_and_author);

fn fund_request(
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

/// The case page's lists read together are the separate reads, for that
/// case only, with the newest notices up to the limit.
async fn a_case_pages_lists_read_together_are_the_separate_reads(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let at = haven_domain::now();
    let case = intake(db, &owner, at, &[]).await;
    let other = intake(db, &owner, at, &[]).await;
    let fund = Fund {
        id: FundId::new(),
        organization: o,
        name: "Emergency".into(),
        budget: 1_000_00,
        balance: 1_000_00,
        created_at: at,
    };
    db.store
        .create_fund(&fund, &audit(AuditAction::FundCreated))
        .await
        .unwrap();
    let mut requested = Vec::new();
    for (c, purpose) in [
        (case, FundPurpose::Lodging),
        (case, FundPurpose::Food),
        (other, FundPurpose::Food),
    ] {
        let q = fund_request(fund.id, c, owner.id, 50_00, purpose);
        db.store
            .request_funds(&q, &audit(AuditAction::FundRequested))
            .await
            .unwrap();
        requested.push(q.id);
    }
    // One decided and paid: its optional columns hold values.
    let boss = user(db, o, &[Role::Supervisor]).await;
    db.store
        .decide_fund_request(
            requested[0],
            true,
            boss.id,
            Some(b"sealed note"),
            at,
            &audit(AuditAction::FundApproved),
        )
        .await
        .unwrap();
    assert!(
        db.store
            .disburse(
                requested[0],
                boss.id,
                "check",
                at,
                &audit(AuditAction::FundDisbursed)
            )
            .await
            .unwrap()
    );
    for c in [case, other] {
        let meta = AttachmentMeta {
            id: AttachmentId::new(),
            case: c,
            compartment: Compartment::Shared,
            name: b"enc-name".to_vec(),
            content_type: "application/pdf".into(),
            size: 4,
            sha256: [9; 32],
            by: owner.id,
            at,
        };
        db.store
            .add_attachment(&meta, b"%PDF", &audit(AuditAction::AttachmentAdded))
            .await
            .unwrap();
    }
    let interview = haven_store::InterviewRow {
        id: haven_domain::InterviewId::new(),
        case,
        person: None,
        org: o,
        requested_by: owner.id,
        requested_at: at,
        status: haven_domain::interview::InterviewStatus::Requested,
        age_at_interview: Some(15),
        traumatized: false,
        requires_specialist: true,
        language: "es".into(),
        interpreter_needed: true,
        request: vec![1, 2, 3],
        prior_count: 0,
        observers: String::new(),
        interviewer: None,
        specialist: None,
        starts_at: None,
        ends_at: None,
        schedule: None,
        summary: None,
        summary_compartment: None,
        completed_at: None,
        updated_at: at,
    };
    db.store
        .create_interview(&interview, &[], &audit(AuditAction::InterviewRequested))
        .await
        .unwrap();
    let notices: Vec<haven_store::DeliveryRow> = [case, case, case, other]
        .iter()
        .enumerate()
        .map(|(i, c)| haven_store::DeliveryRow {
            id: haven_domain::DeliveryId::new(),
            dedupe_key: format!("n{i}-{c}"),
            audience: "victim".into(),
            channel: "sms".into(),
            kind: "appointment".into(),
            rule: "R-2".into(),
            lang: "es".into(),
            reduced: false,
            case: Some(*c),
            user: None,
            destination: b"sealed".to_vec(),
            destination_key: vec![7; 32],
            subject: None,
            body: b"sealed".to_vec(),
            status: "pending".into(),
            attempts: 0,
            available_at: at,
            last_error: None,
            provider_id: None,
            created_by: None,
            created_at: at + Duration::seconds(i as i64),
            sent_at: None,
        })
        .collect();
    db.store.queue_deliveries(&notices, None).await.unwrap();

    // Entries: a structured one by another author with an assignee, and
    // three timeline events of which the newest two are read.
    let helper = user(db, o, &[Role::VictimSpecialist]).await;
    let outsider = user(db, org(db).await, &[Role::VictimSpecialist]).await;
    let mut task = entry(case, helper.id, EntryKind::Task, at);
    task.status = Some("open".into());
    task.due_on = Some(date!(2026 - 12 - 01));
    task.assignee = Some(boss.id);
    db.store
        .add_entry(&task, &audit(AuditAction::EntryRecorded), &[])
        .await
        .unwrap();
    for i in 0..3 {
        let e = entry(case, owner.id, EntryKind::Note, at + Duration::minutes(i));
        db.store
            .add_entry(&e, &audit(AuditAction::EntryRecorded), &[])
            .await
            .unwrap();
    }
    let q = CasePageQuery {
        case,
        viewer_organization: o,
        deliveries: 2,
        timeline: 2,
        people: &[outsider.id],
    };
    let lists = db.store.case_lists(q).await.unwrap();
    let (entries, total) = db.store.case_entries(case, 2).await.unwrap();
    assert_eq!(lists.entries, entries, "{}", db.name);
    assert_eq!(lists.timeline_total, total, "{}", db.name);
    assert_eq!(total, 3, "{}", db.name);
    assert!(lists.entries.contains(&task), "{}", db.name);
    // Every person the rows name, and the people asked for; no one else.
    let mut named: Vec<_> = lists.names.keys().copied().collect();
    named.sort_unstable();
    let mut expected = vec![owner.id, helper.id, boss.id, outsider.id];
    expected.sort_unstable();
    assert_eq!(named, expected, "{}", db.name);
    assert_eq!(
        lists.names,
        db.store.display_names(&expected).await.unwrap(),
        "{}",
        db.name
    );
    assert_eq!(
        lists.attachments,
        db.store.attachments(case).await.unwrap(),
        "{}",
        db.name
    );
    assert_eq!(lists.attachments.len(), 1, "{}", db.name);
    assert_eq!(
        lists.fund_requests,
        db.store.fund_requests_for_case(case).await.unwrap(),
        "{}",
        db.name
    );
    assert_eq!(lists.fund_requests.len(), 2, "{}", db.name);
    assert!(
        lists
            .fund_requests
            .iter()
            .any(|q| q.decision_note.is_some() && q.disbursed_at.is_some()),
        "{}",
        db.name
    );
    assert_eq!(lists.funds, db.store.funds(o).await.unwrap(), "{}", db.name);
    assert_eq!(lists.funds.len(), 1, "{}", db.name);
    assert_eq!(
        lists.interviews,
        db.store.interviews_for_case(case).await.unwrap(),
        "{}",
        db.name
    );
    assert_eq!(lists.interviews.len(), 1, "{}", db.name);
    assert_eq!(
        lists.deliveries,
        db.store.deliveries_for_case(case, 2).await.unwrap(),
        "{}",
        db.name
    );
    let newest: Vec<_> = lists.deliveries.iter().map(|d| d.id).collect();
    assert_eq!(newest, [notices[2].id, notices[1].id], "{}", db.name);
    assert_eq!(
        lists.referrals,
        db.store.referrals_for_case(case).await.unwrap(),
        "{}",
        db.name
    );
    // Another organization's viewer gets that organization's funds.
    assert!(
        db.store
            .case_lists(CasePageQuery {
                viewer_organization: org(db).await,
                ..q
            })
            .await
            .unwrap()
            .funds
            .is_empty(),
        "{}",
        db.name
    );
}
haven_store::on_both!(a_case_pages_lists_read_together_are_the_separate_reads);

async fn concurrent_approvals_never_take_a_fund_below_zero(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let boss = user(db, o, &[Role::Supervisor]).await;
    let case = intake(db, &owner, haven_domain::now(), &[]).await;
    let fund = Fund {
        id: FundId::new(),
        organization: o,
        name: "Emergency".into(),
        budget: 1_000_00,
        balance: 1_000_00,
        created_at: haven_domain::now(),
    };
    db.store
        .create_fund(&fund, &audit(AuditAction::FundCreated))
        .await
        .unwrap();
    let mut requests = Vec::new();
    for i in 0..25 {
        let purpose = if i % 2 == 0 {
            FundPurpose::Lodging
        } else {
            FundPurpose::Food
        };
        let r = fund_request(fund.id, case, owner.id, 100_00, purpose);
        db.store
            .request_funds(&r, &audit(AuditAction::FundRequested))
            .await
            .unwrap();
        requests.push(r.id);
    }
    assert_eq!(db.store.pending_fund_requests(o).await.unwrap().len(), 25);
    let store = Arc::clone(&db.store);
    let tasks: Vec<_> = requests
        .iter()
        .map(|id| {
            let store = Arc::clone(&store);
            let id = *id;
            tokio::spawn(async move {
                store
                    .decide_fund_request(
                        id,
                        true,
                        boss.id,
                        None,
                        haven_domain::now(),
                        &AuditEntry::new(AuditAction::FundApproved),
                    )
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await.unwrap());
    }
    let approved = outcomes.iter().filter(|o| **o == Decided::Done).count();
    let refused = outcomes
        .iter()
        .filter(|o| **o == Decided::InsufficientFunds)
        .count();
    assert_eq!(
        (approved, refused),
        (10, 15),
        "{}: exactly the budget is committed",
        db.name
    );
    assert_eq!(
        db.store.fund(fund.id).await.unwrap().unwrap().balance,
        0,
        "{}",
        db.name
    );
    assert_eq!(
        db.store.pending_fund_requests(o).await.unwrap().len(),
        15,
        "refused requests stay pending"
    );
    // Deciding twice does nothing; denying has no balance effect.
    let first_approved = requests
        .iter()
        .copied()
        .zip(&outcomes)
        .find(|(_, o)| **o == Decided::Done)
        .unwrap()
        .0;
    assert_eq!(
        db.store
            .decide_fund_request(
                first_approved,
                false,
                boss.id,
                None,
                haven_domain::now(),
                &audit(AuditAction::FundDenied)
            )
            .await
            .unwrap(),
        Decided::NotPending
    );
    let pending = requests
        .iter()
        .copied()
        .zip(&outcomes)
        .find(|(_, o)| **o != Decided::Done)
        .unwrap()
        .0;
    assert_eq!(
        db.store
            .decide_fund_request(
                pending,
                false,
                boss.id,
                Some(b"note"),
                haven_domain::now(),
                &audit(AuditAction::FundDenied)
            )
            .await
            .unwrap(),
        Decided::Done
    );
    // Nobody decides their own request, even bypassing the policy.
    let own = fund_request(fund.id, case, boss.id, 1, FundPurpose::Food);
    db.store
        .request_funds(&own, &audit(AuditAction::FundRequested))
        .await
        .unwrap();
    assert!(
        db.store
            .decide_fund_request(
                own.id,
                false,
                boss.id,
                None,
                haven_domain::now(),
                &audit(AuditAction::FundDenied)
            )
            .await
            .is_err(),
        "{}",
        db.name
    );

    assert!(
        !db.store
            .disburse(
                pending,
                owner.id,
                "card",
                haven_domain::now(),
                &audit(AuditAction::FundDisbursed)
            )
            .await
            .unwrap(),
        "a denied request is not paid"
    );
    assert!(
        db.store
            .disburse(
                first_approved,
                owner.id,
                "card",
                haven_domain::now(),
                &audit(AuditAction::FundDisbursed)
            )
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .disburse(
                first_approved,
                owner.id,
                "card",
                haven_domain::now(),
                &audit(AuditAction::FundDisbursed)
            )
            .await
            .unwrap(),
        "paid once"
    );
    let spending = db.store.spending(fund.id).await.unwrap();
    let committed: i64 = spending.iter().map(|s| s.committed).sum();
    let disbursed: i64 = spending.iter().map(|s| s.disbursed).sum();
    assert_eq!((committed, disbursed), (1_000_00, 100_00), "{}", db.name);
    assert_eq!(spending.iter().map(|s| s.requests).sum::<u64>(), 26);

    assert!(
        db.store
            .add_to_fund(fund.id, 50_00, &audit(AuditAction::FundCreated))
            .await
            .unwrap()
    );
    let f = db.store.fund(fund.id).await.unwrap().unwrap();
    assert_eq!((f.budget, f.balance), (1_050_00, 50_00));
    assert!(
        db.store
            .add_to_fund(fund.id, -60_00, &audit(AuditAction::FundCreated))
            .await
            .is_err(),
        "{}: the database refuses a negative balance",
        db.name
    );
    assert_eq!(
        db.store.fund(fund.id).await.unwrap().unwrap().balance,
        50_00
    );

    assert_eq!(db.store.approval_limit(boss.id).await.unwrap(), 0);
    assert!(
        db.store
            .set_approval_limit(boss.id, 500_00, &audit(AuditAction::ApprovalLimitChanged))
            .await
            .unwrap()
    );
    assert_eq!(db.store.approval_limit(boss.id).await.unwrap(), 500_00);
    assert_eq!(db.store.funds(o).await.unwrap(), vec![f]);
    assert_eq!(
        db.store.fund_requests_for_case(case).await.unwrap().len(),
        26
    );
}
haven_store::on_both!(concurrent_approvals_never_take_a_fund_below_zero);

async fn close_matches_rank_by_shared_keys_and_stay_inside_the_organization(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let at = haven_domain::now();
    // `intake` gives every person keys [1] and [2].
    let a = intake(db, &owner, at, &[]).await;
    let found = db
        .store
        .close_matches(o, &[[1; 32], [2; 32], [5; 32]], 10)
        .await
        .unwrap();
    assert_eq!(found.len(), 1, "{}", db.name);
    assert_eq!((found[0].1, found[0].2), (Some(a), 2));
    assert!(
        db.store
            .close_matches(OrganizationId::new(), &[[1; 32]], 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        db.store
            .close_matches(o, &[[5; 32]], 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Correcting the person replaces their keys.
    let bundle = db.store.case_bundle(a).await.unwrap().unwrap();
    let person = bundle.person.unwrap();
    assert!(
        db.store
            .update_person(a, &person, &[[5; 32]], at, &audit(AuditAction::CaseUpdated))
            .await
            .unwrap()
    );
    assert!(
        db.store
            .close_matches(o, &[[1; 32]], 10)
            .await
            .unwrap()
            .is_empty(),
        "{}",
        db.name
    );
    assert_eq!(
        db.store
            .close_matches(o, &[[5; 32]], 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // A person is only updated through their own case.
    let b = intake(db, &owner, at, &[]).await;
    assert!(
        !db.store
            .update_person(b, &person, &[], at, &audit(AuditAction::CaseUpdated))
            .await
            .unwrap()
    );
}
haven_store::on_both!(close_matches_rank_by_shared_keys_and_stay_inside_the_organization);

async fn an_import_loads_many_cases_in_one_transaction(db: TestDb) {
    let db = &db;
    let o = org(db).await;
    let owner = user(db, o, &[Role::VictimSpecialist]).await;
    let at = haven_domain::now();
    let cases: Vec<haven_store::ImportCase> = (0..3)
        .map(|i| {
            let case = CaseId::new();
            let mut task = entry(case, owner.id, EntryKind::Task, at);
            task.status = Some("open".into());
            task.due_on = Some(date!(2027 - 01 - 01) + Duration::days(i));
            task.assignee = Some(owner.id);
            haven_store::ImportCase {
                person: StoredPerson {
                    id: PersonId::new(),
                    organization: o,
                    name: format!("n{i}").into_bytes(),
                    birth_date: None,
                    name_dob_index: Some([i as u8; 32]),
                    profile: None,
                },
                match_keys: vec![[i as u8 + 100; 32]],
                facts: CaseFacts {
                    id: case,
                    organization: o,
                    team: vec![(owner.id, TeamRole::OwnerSpecialist)],
                    flag_1367: false,
                },
                header: header(at),
                entries: vec![entry(case, owner.id, EntryKind::Contact, at), task],
            }
        })
        .collect();
    db.store
        .import_cases(&cases, &audit(AuditAction::CaseCreated))
        .await
        .unwrap();
    let (total, rows) = db
        .store
        .caseload(&query(&Actor::of(&owner), CaseloadSort::NextDue))
        .await
        .unwrap();
    assert_eq!(total, 3, "{}", db.name);
    assert_eq!(rows[0].id, cases[0].facts.id);
    assert_eq!(rows[0].next_due, Some(date!(2027 - 01 - 01)));
    let (entries, timeline) = db.store.case_entries(cases[2].facts.id, 10).await.unwrap();
    assert_eq!((entries.len(), timeline), (2, 1), "{}", db.name);
    assert_eq!(
        db.store.close_matches(o, &[[101; 32]], 5).await.unwrap()[0].1,
        Some(cases[1].facts.id)
    );
    // A clash rolls the whole batch back.
    let again = vec![cases[0].clone()];
    assert!(
        db.store
            .import_cases(&again, &audit(AuditAction::CaseCreated))
            .await
            .is_err()
    );
    assert_eq!(
        db.store
            .caseload(&query(&Actor::of(&owner), CaseloadSort::NextDue))
            .await
            .unwrap()
            .0,
        3
    );
}
haven_store::on_both!(an_import_loads_many_cases_in_one_transaction);
