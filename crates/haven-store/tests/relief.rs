//! Relief trackers, declarations and certifications, deadlines, the outbox
//! and staff notifications, on SQLite and PostgreSQL.

use haven_domain::access::{CaseFacts, TeamRole, case_filter};
use haven_domain::policy::Actor;
use haven_domain::relief::documents::{DocumentKind, DocumentStatus};
use haven_domain::{
    AuditAction, AuditEntry, CaseId, DocumentId, LoginName, OrgKind, Organization, OrganizationId,
    Role, User, UserId,
};
use haven_store::testing::TestDb;
use haven_store::{DeadlineQuery, DeadlineRow, ReliefWrite, Signing, StoredDocument, Withdrawal};
use std::collections::BTreeSet;
use time::macros::date;
use time::{Date, Duration, OffsetDateTime};

fn audit(a: AuditAction) -> AuditEntry {
    AuditEntry::new(a)
}

async fn org(db: &TestDb, kind: OrgKind) -> OrganizationId {
    let o = Organization {
        id: OrganizationId::new(),
        name: format!("Org {}", OrganizationId::new()),
        kind,
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

async fn case(db: &TestDb, org: OrganizationId, team: &[(UserId, TeamRole)]) -> CaseId {
    let facts = CaseFacts {
        id: CaseId::new(),
        organization: org,
        team: team.to_vec(),
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
    facts.id
}

fn deadline(case: CaseId, kind: &str, member: &str, due_on: Date) -> DeadlineRow {
    DeadlineRow {
        case,
        kind: kind.into(),
        family_member: member.into(),
        pathway: "u_principal".into(),
        actor: "advocate".into(),
        due_on,
        due_at: None,
    }
}

fn write<'a>(
    case: CaseId,
    by: UserId,
    facts: &'a [u8],
    deadlines: &'a [DeadlineRow],
    flag: bool,
) -> ReliefWrite<'a> {
    ReliefWrite {
        case,
        facts,
        by,
        at: haven_domain::now(),
        deadlines,
        flag_1367: flag,
    }
}

async fn facts_and_deadlines_are_replaced_together_and_the_1367_flag_sticks(db: TestDb) {
    let db = &db;
    let o = org(db, OrgKind::Ngo).await;
    let s = user(db, o, &[Role::VictimSpecialist]).await;
    let c = case(db, o, &[(s.id, TeamRole::OwnerSpecialist)]).await;
    assert!(db.store.relief(c).await.unwrap().is_none());
    let first = [
        deadline(c, "u_file_by", "", date!(2027 - 02 - 28)),
        deadline(c, "t_file_before_age_21", "mother", date!(2027 - 03 - 01)),
    ];
    db.store
        .save_relief(
            &write(c, s.id, b"facts-1", &first, true),
            &audit(AuditAction::ReliefUpdated),
        )
        .await
        .unwrap();
    let stored = db.store.relief(c).await.unwrap().unwrap();
    assert_eq!(stored.facts, b"facts-1");
    assert_eq!(stored.updated_by, s.id);
    assert_eq!(
        db.store.case_deadlines(c).await.unwrap().len(),
        2,
        "{}",
        db.name
    );
    assert!(
        db.store.case_facts(c).await.unwrap().unwrap().flag_1367,
        "{}: T/U filing sets the 1367 flag",
        db.name
    );
    // A later write without the flag keeps it, and replaces the deadlines.
    let second = [deadline(c, "u_status_expires", "", date!(2030 - 01 - 01))];
    db.store
        .save_relief(
            &write(c, s.id, b"facts-2", &second, false),
            &audit(AuditAction::ReliefUpdated),
        )
        .await
        .unwrap();
    assert_eq!(db.store.relief(c).await.unwrap().unwrap().facts, b"facts-2");
    let kinds: Vec<_> = db
        .store
        .case_deadlines(c)
        .await
        .unwrap()
        .into_iter()
        .map(|d| d.kind)
        .collect();
    assert_eq!(kinds, ["u_status_expires"]);
    assert!(
        db.store.case_facts(c).await.unwrap().unwrap().flag_1367,
        "{}: the flag is never cleared",
        db.name
    );
    // A case that does not exist: nothing is written.
    let ghost = CaseId::new();
    assert!(
        db.store
            .save_relief(
                &write(ghost, s.id, b"x", &[], false),
                &audit(AuditAction::ReliefUpdated)
            )
            .await
            .is_err()
    );
    assert!(db.store.relief(ghost).await.unwrap().is_none());
}
haven_store::on_both!(facts_and_deadlines_are_replaced_together_and_the_1367_flag_sticks);

fn draft(case: CaseId, agency: OrganizationId, by: UserId) -> StoredDocument {
    let now = haven_domain::now();
    StoredDocument {
        id: DocumentId::new(),
        case,
        kind: DocumentKind::I918b,
        agency,
        status: DocumentStatus::Draft,
        content: b"content-v1".to_vec(),
        content_sha256: None,
        drafted_by: by,
        drafted_at: now,
        updated_at: now,
        signed_by: None,
        signer_role: None,
        signed_at: None,
        withdrawn_by: None,
        withdrawn_at: None,
        withdrawal_reason: None,
    }
}

async fn a_signed_document_never_changes_and_is_withdrawn_only_once(db: TestDb) {
    let db = &db;
    let ngo = org(db, OrgKind::Ngo).await;
    let agency = org(db, OrgKind::LawEnforcement).await;
    let s = user(db, ngo, &[Role::VictimSpecialist]).await;
    let agent = user(db, agency, &[Role::LawEnforcementAgent]).await;
    let official = user(db, agency, &[Role::CertifyingOfficial]).await;
    let c = case(
        db,
        ngo,
        &[
            (s.id, TeamRole::OwnerSpecialist),
            (agent.id, TeamRole::Agent),
        ],
    )
    .await;
    let d = draft(c, agency, agent.id);
    db.store
        .create_document(&d, &audit(AuditAction::DocumentDrafted))
        .await
        .unwrap();
    assert!(
        db.store
            .update_document_draft(
                d.id,
                b"content-v2",
                haven_domain::now(),
                &audit(AuditAction::DocumentDrafted)
            )
            .await
            .unwrap()
    );
    assert_eq!(db.store.drafts_for_agency(agency).await.unwrap().len(), 1);
    assert!(db.store.drafts_for_agency(ngo).await.unwrap().is_empty());

    let deadlines = [deadline(c, "u_file_by", "", date!(2027 - 05 - 01))];
    let signing = Signing {
        document: d.id,
        by: official.id,
        role: "certifying_official",
        at: haven_domain::now(),
        content_sha256: &[7; 32],
    };
    let relief = write(c, official.id, b"facts-signed", &deadlines, false);
    assert!(
        db.store
            .sign_document(&signing, &relief, &audit(AuditAction::DocumentSigned))
            .await
            .unwrap()
    );
    let signed = db.store.document(d.id).await.unwrap().unwrap();
    assert_eq!(signed.status, DocumentStatus::Signed);
    assert_eq!(signed.content, b"content-v2");
    assert_eq!(signed.content_sha256.as_deref(), Some(&[7u8; 32][..]));
    assert_eq!(signed.signed_by, Some(official.id));
    assert_eq!(signed.signer_role.as_deref(), Some("certifying_official"));
    // The signature date reached the case's facts in the same transaction.
    assert_eq!(
        db.store.relief(c).await.unwrap().unwrap().facts,
        b"facts-signed"
    );
    assert_eq!(db.store.case_deadlines(c).await.unwrap().len(), 1);
    // Immutable: no edit, no second signature.
    assert!(
        !db.store
            .update_document_draft(
                d.id,
                b"tampered",
                haven_domain::now(),
                &audit(AuditAction::DocumentDrafted)
            )
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .sign_document(&signing, &relief, &audit(AuditAction::DocumentSigned))
            .await
            .unwrap()
    );
    assert_eq!(
        db.store.document(d.id).await.unwrap().unwrap().content,
        b"content-v2"
    );
    assert!(db.store.drafts_for_agency(agency).await.unwrap().is_empty());

    let relief = write(c, official.id, b"facts-withdrawn", &[], false);
    let at = haven_domain::now();
    assert!(
        db.store
            .withdraw_document(
                &Withdrawal {
                    document: d.id,
                    by: official.id,
                    at,
                    reason: b"reason-ciphertext",
                },
                &relief,
                &audit(AuditAction::DocumentWithdrawn)
            )
            .await
            .unwrap()
    );
    let w = db.store.document(d.id).await.unwrap().unwrap();
    assert_eq!(w.status, DocumentStatus::Withdrawn);
    assert_eq!(
        w.withdrawal_reason.as_deref(),
        Some(&b"reason-ciphertext"[..])
    );
    assert_eq!(w.withdrawn_at, Some(at));
    assert!(
        !db.store
            .withdraw_document(
                &Withdrawal {
                    document: d.id,
                    by: official.id,
                    at,
                    reason: b"again",
                },
                &relief,
                &audit(AuditAction::DocumentWithdrawn)
            )
            .await
            .unwrap()
    );
    assert!(db.store.case_deadlines(c).await.unwrap().is_empty());
    assert_eq!(db.store.documents_for_case(c).await.unwrap().len(), 1);
}
haven_store::on_both!(a_signed_document_never_changes_and_is_withdrawn_only_once);

async fn upcoming_deadlines_follow_the_case_filter_and_the_window(db: TestDb) {
    let db = &db;
    let o = org(db, OrgKind::Ngo).await;
    let other = org(db, OrgKind::Ngo).await;
    let s = user(db, o, &[Role::VictimSpecialist]).await;
    let colleague = user(db, o, &[Role::VictimSpecialist]).await;
    let sup = user(db, o, &[Role::Supervisor]).await;
    let outsider = user(db, other, &[Role::Supervisor]).await;
    let mine = case(db, o, &[(s.id, TeamRole::OwnerSpecialist)]).await;
    let theirs = case(db, o, &[(colleague.id, TeamRole::OwnerSpecialist)]).await;
    let today = date!(2026 - 11 - 28);
    for (c, days) in [(mine, 3), (mine, 40), (theirs, 10)] {
        let mut existing = db.store.case_deadlines(c).await.unwrap();
        existing.push(deadline(
            c,
            if days == 40 {
                "u_status_expires"
            } else {
                "u_file_by"
            },
            "",
            today + Duration::days(days),
        ));
        db.store
            .save_relief(
                &write(c, s.id, b"f", &existing, false),
                &audit(AuditAction::ReliefUpdated),
            )
            .await
            .unwrap();
    }
    let list = async |u: &User, mine_only: bool| -> Vec<(CaseId, Date)> {
        let q = DeadlineQuery {
            filter: case_filter(&Actor::of(u)),
            mine_only,
            from: today,
            to: today + Duration::days(30),
            limit: 50,
            now: today.midnight().assume_utc(),
        };
        db.store
            .upcoming_deadlines(&q)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.deadline.case, r.deadline.due_on))
            .collect()
    };
    assert_eq!(
        list(&s, false).await,
        [(mine, today + Duration::days(3))],
        "{}: own case, inside the window",
        db.name
    );
    assert_eq!(
        list(&sup, false).await,
        [
            (mine, today + Duration::days(3)),
            (theirs, today + Duration::days(10))
        ],
        "{}: supervisor sees the organization, soonest first",
        db.name
    );
    assert!(
        list(&sup, true).await.is_empty(),
        "{}: a supervisor on no team has no 'mine'",
        db.name
    );
    assert!(
        list(&outsider, false).await.is_empty(),
        "{}: another organization sees nothing",
        db.name
    );
    assert_eq!(
        db.store
            .count_deadlines_due(today, today + Duration::days(30))
            .await
            .unwrap(),
        2
    );
}
haven_store::on_both!(upcoming_deadlines_follow_the_case_filter_and_the_window);

async fn reminders_are_queued_once_claimed_once_and_delivered_once(db: TestDb) {
    let db = &db;
    let o = org(db, OrgKind::Ngo).await;
    let s = user(db, o, &[Role::VictimSpecialist]).await;
    let agent = user(db, o, &[Role::LawEnforcementAgent]).await;
    let c = case(
        db,
        o,
        &[
            (s.id, TeamRole::OwnerSpecialist),
            (agent.id, TeamRole::Agent),
        ],
    )
    .await;
    let today = date!(2026 - 11 - 28);
    let deadlines = [
        deadline(c, "u_file_by", "", today + Duration::days(5)),
        deadline(c, "u_status_expires", "", today + Duration::days(90)),
    ];
    db.store
        .save_relief(
            &write(c, s.id, b"f", &deadlines, false),
            &audit(AuditAction::ReliefUpdated),
        )
        .await
        .unwrap();
    let now = today.midnight().assume_utc();
    let to = today + Duration::days(14);
    assert_eq!(
        db.store
            .enqueue_deadline_reminders(today, to, now)
            .await
            .unwrap(),
        2,
        "{}: one per team member",
        db.name
    );
    assert_eq!(
        db.store
            .enqueue_deadline_reminders(today, to, now)
            .await
            .unwrap(),
        0,
        "{}: a rerun queues nothing",
        db.name
    );

    // Two instances claim at once: each message goes to one of them.
    let lease = now + Duration::minutes(5);
    let (a, b) = tokio::join!(
        db.store.claim_messages("instance-a", now, lease, 10),
        db.store.claim_messages("instance-b", now, lease, 10)
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let ids: BTreeSet<_> = a.iter().chain(&b).map(|m| m.id).collect();
    assert_eq!(a.len() + b.len(), 2, "{}", db.name);
    assert_eq!(ids.len(), 2, "{}: no message claimed twice", db.name);
    let payload: serde_json::Value =
        serde_json::from_str(&a.iter().chain(&b).next().unwrap().payload).unwrap();
    assert_eq!(payload["kind"], "u_file_by");
    assert_eq!(payload["due_on"], "2026-12-03");
    // Under lease: nobody else claims them.
    assert!(
        db.store
            .claim_messages("instance-c", now, lease, 10)
            .await
            .unwrap()
            .is_empty()
    );
    for m in a
        .iter()
        .map(|m| (m, "instance-a"))
        .chain(b.iter().map(|m| (m, "instance-b")))
    {
        assert!(
            !db.store
                .deliver_notification(m.0.id, "instance-c", now, None)
                .await
                .unwrap(),
            "only the lease holder delivers"
        );
        assert!(
            db.store
                .deliver_notification(m.0.id, m.1, now, None)
                .await
                .unwrap()
        );
        assert!(
            !db.store
                .deliver_notification(m.0.id, m.1, now, None)
                .await
                .unwrap(),
            "delivered once"
        );
    }
    // A lease that ran out is taken over; nothing is pending any more.
    assert!(
        db.store
            .claim_messages(
                "instance-c",
                lease + Duration::minutes(1),
                lease + Duration::minutes(6),
                10
            )
            .await
            .unwrap()
            .is_empty()
    );

    for u in [&s, &agent] {
        let n = db.store.notifications(u.id, 10).await.unwrap();
        assert_eq!(n.len(), 1, "{}", db.name);
        assert_eq!(n[0].case, Some(c));
        assert_eq!(db.store.unread_notifications(u.id).await.unwrap(), 1);
        assert!(
            db.store
                .mark_notification_read(u.id, n[0].id, now)
                .await
                .unwrap()
        );
        assert!(
            !db.store
                .mark_notification_read(u.id, n[0].id, now)
                .await
                .unwrap()
        );
        assert_eq!(db.store.unread_notifications(u.id).await.unwrap(), 0);
    }
    let n = db.store.notifications(s.id, 10).await.unwrap();
    assert!(
        !db.store
            .mark_notification_read(agent.id, n[0].id, now)
            .await
            .unwrap(),
        "someone else's notification"
    );
}
haven_store::on_both!(reminders_are_queued_once_claimed_once_and_delivered_once);

async fn a_daily_job_runs_once_a_day_across_instances(db: TestDb) {
    let db = &db;
    let today = date!(2026 - 11 - 28);
    let now = OffsetDateTime::now_utc();
    let lease = now + Duration::minutes(10);
    assert!(
        db.store
            .start_daily_job("reminders", "a", today, now, lease)
            .await
            .unwrap()
    );
    assert!(
        !db.store
            .start_daily_job("reminders", "b", today, now, lease)
            .await
            .unwrap(),
        "{}: leased",
        db.name
    );
    // A crashed owner's lease runs out and another instance takes over.
    assert!(
        db.store
            .start_daily_job(
                "reminders",
                "b",
                today,
                lease + Duration::seconds(1),
                lease + Duration::minutes(10)
            )
            .await
            .unwrap()
    );
    db.store
        .finish_daily_job("reminders", "b", today)
        .await
        .unwrap();
    assert!(
        !db.store
            .start_daily_job("reminders", "a", today, now, lease)
            .await
            .unwrap(),
        "{}: done today",
        db.name
    );
    assert!(
        db.store
            .start_daily_job("reminders", "a", today.next_day().unwrap(), now, lease)
            .await
            .unwrap()
    );
}
haven_store::on_both!(a_daily_job_runs_once_a_day_across_instances);
