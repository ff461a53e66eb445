//! Interviews (bookings and conflicts, status moves, files and custody) and
//! messages that leave Haven (claimed once across instances, opt-outs,
//! retries), on SQLite and PostgreSQL.

use haven_domain::access::{CaseFacts, TeamRole};
use haven_domain::interview::InterviewStatus;
use haven_domain::{
    AuditAction, AuditEntry, CaseId, DeliveryId, InterviewFileId, InterviewId, LoginName, OrgKind,
    Organization, OrganizationId, Role, User, UserId,
};
use haven_store::testing::TestDb;
use haven_store::{
    CustodyRow, DeliveryOutcome, DeliveryRow, InterviewChange, InterviewFileRow, InterviewRow,
    ScheduleOutcome, ScheduleWrite,
};
use std::collections::BTreeSet;
use time::{Duration, OffsetDateTime};

fn audit(a: AuditAction) -> AuditEntry {
    AuditEntry::new(a)
}

async fn setup(db: &TestDb) -> (OrganizationId, User, CaseId) {
    let o = Organization {
        id: OrganizationId::new(),
        name: "Task force".into(),
        kind: OrgKind::LawEnforcement,
        created_at: haven_domain::now(),
    };
    db.store
        .create_organization(&o, &audit(AuditAction::OrganizationCreated))
        .await
        .unwrap();
    let id = UserId::new();
    let u = User {
        id,
        organization_id: o.id,
        login: LoginName::parse(&format!("u{}@example.org", id.as_uuid().simple())).unwrap(),
        display_name: "Interviewer".into(),
        roles: vec![Role::ForensicInterviewer],
        password_hash: "x".into(),
        disabled: false,
        created_at: haven_domain::now(),
    };
    db.store
        .create_user(&u, &audit(AuditAction::UserCreated))
        .await
        .unwrap();
    let facts = CaseFacts {
        id: CaseId::new(),
        organization: o.id,
        team: vec![(u.id, TeamRole::Interviewer)],
        flag_1367: false,
    };
    db.store
        .create_case(
            &facts,
            haven_domain::now(),
            &audit(AuditAction::CaseCreated),
        )
        .await
        .unwrap();
    (o.id, u, facts.id)
}

fn interview(org: OrganizationId, by: UserId, case: CaseId) -> InterviewRow {
    let now = haven_domain::now();
    InterviewRow {
        id: InterviewId::new(),
        case,
        person: None,
        org,
        requested_by: by,
        requested_at: now,
        status: haven_domain::interview::InterviewStatus::Requested,
        age_at_interview: Some(15),
        traumatized: false,
        requires_specialist: true,
        language: "es".into(),
        interpreter_needed: true,
        request: vec![1, 2, 3],
        prior_count: 0,
        observers: Vec::new(),
        interviewer: None,
        specialist: None,
        starts_at: None,
        ends_at: None,
        schedule: None,
        summary: None,
        summary_compartment: None,
        completed_at: None,
        updated_at: now,
    }
}

fn write<'a>(
    id: InterviewId,
    from: InterviewStatus,
    who: UserId,
    at: OffsetDateTime,
    resources: &'a [String],
) -> ScheduleWrite<'a> {
    ScheduleWrite {
        id,
        from_status: from,
        interviewer: who,
        specialist: None,
        starts_at: at,
        ends_at: at + Duration::hours(1),
        schedule: b"sealed",
        resources,
        messages: &[],
        deliveries: &[],
        now: haven_domain::now(),
    }
}

async fn an_interviewer_cannot_be_booked_twice_at_once(db: TestDb) {
    let db = &db;
    let (org, u, case) = setup(db).await;
    let a = interview(org, u.id, case);
    let b = interview(org, u.id, case);
    for i in [&a, &b] {
        db.store
            .create_interview(i, &[], &audit(AuditAction::InterviewRequested))
            .await
            .unwrap();
    }
    let at = haven_domain::now() + Duration::days(3);
    let busy = vec![format!("user:{}", u.id)];
    let ok = db
        .store
        .schedule_interview(
            &write(a.id, InterviewStatus::Requested, u.id, at, &busy),
            &audit(AuditAction::InterviewScheduled),
        )
        .await
        .unwrap();
    assert_eq!(ok, ScheduleOutcome::Scheduled);
    // Overlapping by 30 minutes: refused, naming the other interview.
    let clash = db
        .store
        .schedule_interview(
            &write(
                b.id,
                InterviewStatus::Requested,
                u.id,
                at + Duration::minutes(30),
                &busy,
            ),
            &audit(AuditAction::InterviewScheduled),
        )
        .await
        .unwrap();
    match clash {
        ScheduleOutcome::Conflict {
            interview,
            resource,
            ..
        } => {
            assert_eq!(interview, a.id);
            assert_eq!(resource, busy[0]);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    assert_eq!(
        db.store.interview(b.id).await.unwrap().unwrap().status,
        InterviewStatus::Requested
    );
    // Back to back is fine.
    let next = db
        .store
        .schedule_interview(
            &write(
                b.id,
                InterviewStatus::Requested,
                u.id,
                at + Duration::hours(1),
                &busy,
            ),
            &audit(AuditAction::InterviewScheduled),
        )
        .await
        .unwrap();
    assert_eq!(next, ScheduleOutcome::Scheduled);
    // A stale status is refused; a cancelled interview frees its time.
    let stale = db
        .store
        .schedule_interview(
            &write(a.id, InterviewStatus::Requested, u.id, at, &busy),
            &audit(AuditAction::InterviewScheduled),
        )
        .await
        .unwrap();
    assert_eq!(stale, ScheduleOutcome::Stale);
    assert!(
        db.store
            .change_interview(
                &InterviewChange {
                    id: a.id,
                    from_status: InterviewStatus::Scheduled,
                    to_status: InterviewStatus::Cancelled,
                    summary: None,
                    add_observer: None,
                    now: haven_domain::now(),
                },
                &audit(AuditAction::InterviewUpdated),
            )
            .await
            .unwrap()
    );
    let c = interview(org, u.id, case);
    db.store
        .create_interview(&c, &[], &audit(AuditAction::InterviewRequested))
        .await
        .unwrap();
    let freed = db
        .store
        .schedule_interview(
            &write(c.id, InterviewStatus::Requested, u.id, at, &busy),
            &audit(AuditAction::InterviewScheduled),
        )
        .await
        .unwrap();
    assert_eq!(freed, ScheduleOutcome::Scheduled);
    // Observers are added once.
    for _ in 0..2 {
        assert!(
            db.store
                .change_interview(
                    &InterviewChange {
                        id: c.id,
                        from_status: InterviewStatus::Scheduled,
                        to_status: InterviewStatus::Scheduled,
                        summary: None,
                        add_observer: Some(org),
                        now: haven_domain::now(),
                    },
                    &audit(AuditAction::InterviewUpdated),
                )
                .await
                .unwrap()
        );
    }
    assert_eq!(
        db.store.interview(c.id).await.unwrap().unwrap().observers,
        vec![org]
    );
    let queue = db.store.interview_queue(org, 10).await.unwrap();
    assert_eq!(queue.len(), 2, "cancelled interviews leave the queue");
}
haven_store::on_both!(an_interviewer_cannot_be_booked_twice_at_once);

async fn files_are_listed_only_when_complete_and_keep_their_custody(db: TestDb) {
    let db = &db;
    let (org, u, case) = setup(db).await;
    let i = interview(org, u.id, case);
    db.store
        .create_interview(&i, &[], &audit(AuditAction::InterviewRequested))
        .await
        .unwrap();
    let file = InterviewFileId::new();
    let row = InterviewFileRow {
        id: file,
        interview: i.id,
        kind: "recording".into(),
        name: b"n".to_vec(),
        content_type: "video/mp4".into(),
        size: 0,
        sha256: None,
        status: "uploading".into(),
        by: u.id,
        at: haven_domain::now(),
    };
    db.store.begin_file(&row).await.unwrap();
    for seq in 0..3 {
        db.store
            .put_chunk(file, uuid::Uuid::now_v7(), seq, &[seq as u8; 4])
            .await
            .unwrap();
    }
    assert!(db.store.interview_files(i.id).await.unwrap().is_empty());
    let custody = CustodyRow {
        id: uuid::Uuid::now_v7(),
        file,
        at: haven_domain::now(),
        by: u.id,
        action: "stored".into(),
        sha256: vec![9; 32],
        detail: None,
    };
    db.store
        .finish_file(12, &custody, &audit(AuditAction::InterviewFileStored))
        .await
        .unwrap();
    let files = db.store.interview_files(i.id).await.unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].size, 12);
    assert_eq!(
        db.store.file_chunk(file, 2).await.unwrap().unwrap().1,
        vec![2; 4]
    );
    assert!(db.store.file_chunk(file, 3).await.unwrap().is_none());
    assert_eq!(db.store.custody_log(file).await.unwrap(), vec![custody]);
    // An abandoned upload leaves nothing.
    let other = InterviewFileRow {
        id: InterviewFileId::new(),
        ..row
    };
    db.store.begin_file(&other).await.unwrap();
    db.store
        .put_chunk(other.id, uuid::Uuid::now_v7(), 0, b"x")
        .await
        .unwrap();
    db.store.discard_file(other.id).await.unwrap();
    assert!(db.store.interview_file(other.id).await.unwrap().is_none());
    assert!(db.store.file_chunk(other.id, 0).await.unwrap().is_none());
}
haven_store::on_both!(files_are_listed_only_when_complete_and_keep_their_custody);

fn delivery(key: &[u8], dedupe: String) -> DeliveryRow {
    let now = haven_domain::now();
    DeliveryRow {
        id: DeliveryId::new(),
        dedupe_key: dedupe,
        audience: "victim".into(),
        channel: "sms".into(),
        kind: "appointment".into(),
        rule: "R-2".into(),
        lang: "es".into(),
        reduced: false,
        case: None,
        user: None,
        destination: b"sealed".to_vec(),
        destination_key: key.to_vec(),
        subject: None,
        body: b"sealed".to_vec(),
        status: "pending".into(),
        attempts: 0,
        available_at: now,
        last_error: None,
        provider_id: None,
        created_by: None,
        created_at: now,
        sent_at: None,
    }
}

async fn each_message_is_claimed_by_one_instance_and_sent_once(db: TestDb) {
    let db = &db;
    let rows: Vec<DeliveryRow> = (0..300)
        .map(|i| delivery(&[i as u8 % 7; 32], format!("m{i}")))
        .collect();
    assert_eq!(db.store.queue_deliveries(&rows, None).await.unwrap(), 300);
    // Queuing again inserts nothing (dedupe keys).
    assert_eq!(db.store.queue_deliveries(&rows, None).await.unwrap(), 0);
    let now = haven_domain::now() + Duration::seconds(1);
    let lease = now + Duration::minutes(2);
    let store_a = db.store.clone();
    let store_b = db.store.clone();
    let claim = |s: haven_store::DynStore, owner: &'static str| async move {
        let mut mine = Vec::new();
        loop {
            let batch = s.claim_deliveries(owner, now, lease, 25).await.unwrap();
            if batch.is_empty() {
                break;
            }
            for d in batch {
                assert!(
                    s.finish_delivery(
                        d.id,
                        owner,
                        &DeliveryOutcome::Sent { provider_id: None },
                        now
                    )
                    .await
                    .unwrap()
                );
                mine.push(d.id);
            }
        }
        mine
    };
    let (a, b) = tokio::join!(claim(store_a, "a"), claim(store_b, "b"));
    let all: BTreeSet<DeliveryId> = a.iter().chain(b.iter()).copied().collect();
    assert_eq!(a.len() + b.len(), 300, "no message twice");
    assert_eq!(all.len(), 300, "none lost");
    assert_eq!(
        db.store.delivery_counts().await.unwrap(),
        vec![haven_store::DeliveryCount {
            status: "sent".into(),
            messages: 300,
            attempts: 300,
        }],
        "each sent on its first attempt"
    );
    // Another owner cannot record an outcome for a message it does not hold.
    assert!(
        !db.store
            .finish_delivery(
                a.first().copied().unwrap_or(b[0]),
                "c",
                &DeliveryOutcome::OptedOut,
                now
            )
            .await
            .unwrap()
    );
}
haven_store::on_both!(each_message_is_claimed_by_one_instance_and_sent_once);

async fn an_opt_out_stops_pending_and_future_messages_at_once(db: TestDb) {
    let db = &db;
    let key = [42_u8; 32];
    let first = delivery(&key, "o1".into());
    let other = delivery(&[7; 32], "o2".into());
    db.store
        .queue_deliveries(&[first.clone(), other.clone()], None)
        .await
        .unwrap();
    let closed = db
        .store
        .record_opt_out(&key, "sms", "reply", haven_domain::now(), None)
        .await
        .unwrap();
    assert_eq!(closed, 1);
    assert_eq!(
        db.store.delivery(first.id).await.unwrap().unwrap().status,
        "opted_out"
    );
    assert!(db.store.is_opted_out(&key, "sms").await.unwrap());
    assert!(!db.store.is_opted_out(&key, "email").await.unwrap());
    // A new message to the same number is recorded, never sent.
    let later = delivery(&key, "o3".into());
    db.store
        .queue_deliveries(std::slice::from_ref(&later), None)
        .await
        .unwrap();
    assert_eq!(
        db.store.delivery(later.id).await.unwrap().unwrap().status,
        "opted_out"
    );
    let now = haven_domain::now() + Duration::seconds(1);
    let claimed = db
        .store
        .claim_deliveries("a", now, now + Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(
        claimed.iter().map(|d| d.id).collect::<Vec<_>>(),
        vec![other.id]
    );
    // A retry waits; then it is claimed again with one more attempt.
    let at = now + Duration::seconds(30);
    assert!(
        db.store
            .finish_delivery(
                other.id,
                "a",
                &DeliveryOutcome::Retry {
                    error: "HTTP 503".into(),
                    at
                },
                now
            )
            .await
            .unwrap()
    );
    assert!(
        db.store
            .claim_deliveries("a", now, now + Duration::minutes(1), 10)
            .await
            .unwrap()
            .is_empty()
    );
    let again = db
        .store
        .claim_deliveries("b", at, at + Duration::minutes(1), 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 2);
    assert_eq!(again[0].last_error.as_deref(), Some("HTTP 503"));
    // Lifting the opt-out lets new messages through.
    assert!(
        db.store
            .remove_opt_out(&key, "sms", &audit(AuditAction::OptOutRecorded))
            .await
            .unwrap()
    );
    assert!(!db.store.is_opted_out(&key, "sms").await.unwrap());
}
haven_store::on_both!(an_opt_out_stops_pending_and_future_messages_at_once);
