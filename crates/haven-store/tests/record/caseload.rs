//! Caseloads: filters, sorting, paging and counts, for a worker, a
//! supervisor and a team member, kept in step with every change.

use crate::support::*;
use haven_domain::access::{CaseFacts, TeamRole};
use haven_domain::policy::Actor;
use haven_domain::record::{ClosedReason, EntryKind, Stage};
use haven_domain::{AuditAction, AuditEntry, CaseId, PersonId, Role, User};
use haven_store::testing::TestDb;
use haven_store::{CaseloadSort, HeaderChange, StoredPerson};
use std::sync::Arc;
use time::Duration;
use time::macros::date;

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
