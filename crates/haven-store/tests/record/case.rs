//! One case's record: stage changes, entries and the timeline, attachments
//! and drafts.

use crate::support::*;
use haven_domain::access::Compartment;
use haven_domain::record::{ClosedReason, Cooperation, EntryKind, Stage};
use haven_domain::{AttachmentId, AuditAction, CaseId, DraftId, Role};
use haven_store::testing::TestDb;
use haven_store::{AttachmentMeta, EntryUpdate, HeaderChange, StoredDraft};
use time::Duration;
use time::macros::date;

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
