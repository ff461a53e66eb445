//! Intake: a case with its person, entries and draft in one go; close
//! matches; imports of many cases at once.

use crate::support::*;
use haven_domain::access::{CaseFacts, Compartment, TeamRole};
use haven_domain::policy::Actor;
use haven_domain::record::EntryKind;
use haven_domain::{AuditAction, CaseId, DraftId, OrganizationId, PersonId, Role};
use haven_store::testing::TestDb;
use haven_store::{CaseloadSort, NewIntake, StoreError, StoredDraft, StoredPerson};
use time::Duration;
use time::macros::date;

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
