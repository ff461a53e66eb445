//! The case page's reads: the case bundle, and its lists read together.

use crate::support::*;
use haven_domain::access::{Compartment, TeamRole};
use haven_domain::record::{EntryKind, FundPurpose};
use haven_domain::{AttachmentId, AuditAction, CaseId, FundId, Role};
use haven_store::testing::TestDb;
use haven_store::{AttachmentMeta, CasePageQuery, Fund};
use time::Duration;
use time::macros::date;

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
        observers: Vec::new(),
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
