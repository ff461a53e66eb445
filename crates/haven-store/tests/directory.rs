//! The service directory, referrals and hotlines, on SQLite and PostgreSQL:
//! upserts by id, search by words, radius and filters, the referral
//! lifecycle with its compare-and-swap, loop-closure figures and reminders.

use haven_domain::access::{CaseFacts, Compartment, TeamRole};
use haven_domain::record::EntryKind;
use haven_domain::{
    AuditAction, AuditEntry, CaseId, EntryId, HotlineId, LoginName, MessageId, OrgKind,
    Organization, OrganizationId, ReferralId, Role, ServiceId, User, UserId,
};
use haven_store::testing::TestDb;
use haven_store::{
    DirLocationRow, DirOrganizationRow, DirServiceRow, DirectoryQuery, DirectoryWrite, HotlineRow,
    OutboxMessage, ReferralChange, ReferralEventRow, ReferralRow, StoredEntry,
};
use time::Duration;
use uuid::Uuid;

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

fn service(
    org: Uuid,
    name: &str,
    body: &str,
    needs: i64,
    languages: &[&str],
    places: Vec<(Uuid, Uuid)>,
) -> DirServiceRow {
    DirServiceRow {
        id: ServiceId::new(),
        organization: Some(org),
        name: name.into(),
        status: "active".into(),
        needs,
        populations: 0,
        funding: 0,
        languages: languages.iter().map(|l| (*l).to_owned()).collect(),
        minimum_age: None,
        maximum_age: None,
        capacity_available: None,
        hours: "[]".into(),
        record: format!("{{\"id\":\"x\",\"name\":\"{name}\",\"status\":\"active\"}}"),
        name_text: haven_domain::directory::text::index_text([name]),
        body_text: haven_domain::directory::text::index_text([body]),
        places,
        updated_at: haven_domain::now(),
    }
}

fn location(org: Uuid, lat: f64, lon: f64) -> DirLocationRow {
    DirLocationRow {
        id: Uuid::now_v7(),
        organization: Some(org),
        confidential: false,
        point: Some((lat, lon)),
        record: "{}".into(),
        private_record: None,
        updated_at: haven_domain::now(),
    }
}

async fn directory_upserts_and_searches_on_both_databases(db: TestDb) {
    let db = &db;
    let s = &db.store;
    let o = DirOrganizationRow {
        id: Uuid::now_v7(),
        name: "Casa Esperanza".into(),
        record: "{}".into(),
        haven_org: None,
        updated_at: haven_domain::now(),
    };
    // Manhattan, and Philadelphia (about 80 miles away).
    let nyc = location(o.id, 40.7506, -73.9972);
    let phl = location(o.id, 39.9526, -75.1652);
    let shelter = service(
        o.id,
        "Refugio Médico",
        "emergency shelter for women",
        0b11,
        &["es", "en"],
        vec![(Uuid::now_v7(), nyc.id)],
    );
    let legal = service(
        o.id,
        "Immigration legal help",
        "T visa and U visa applications; shelter referrals",
        1 << 8,
        &["en"],
        vec![(Uuid::now_v7(), phl.id)],
    );
    s.import_directory(
        DirectoryWrite {
            organizations: std::slice::from_ref(&o),
            locations: &[nyc.clone(), phl.clone()],
            services: &[shelter.clone(), legal.clone()],
        },
        &audit(AuditAction::DirectoryImported),
    )
    .await
    .unwrap();

    // Words: accent-insensitive, prefix, the name counts more than the body.
    let q = |words: &[&str]| DirectoryQuery {
        words: words.iter().map(|w| (*w).to_owned()).collect(),
        limit: 50,
        ..DirectoryQuery::default()
    };
    let hits = s.search_directory(&q(&["medico"])).await.unwrap();
    assert_eq!(
        hits.iter().map(|h| h.id).collect::<Vec<_>>(),
        [shelter.id],
        "{}",
        db.name
    );
    let hits = s.search_directory(&q(&["shelt"])).await.unwrap();
    assert_eq!(hits.len(), 2, "a word matches as a prefix");
    let hits = s.search_directory(&q(&["refugio"])).await.unwrap();
    assert_eq!(hits[0].organization_name.as_deref(), Some("Casa Esperanza"));
    let hits = s.search_directory(&q(&["legal", "shelter"])).await.unwrap();
    assert_eq!(
        hits.iter().map(|h| h.id).collect::<Vec<_>>(),
        [legal.id],
        "all words must match"
    );
    // A match in the name ranks above a match in the description.
    let mut named = service(o.id, "Shelter Now", "beds", 0, &[], vec![]);
    named.body_text = "beds".into();
    s.import_directory(
        DirectoryWrite {
            organizations: &[],
            locations: &[],
            services: &[named.clone()],
        },
        &audit(AuditAction::DirectoryImported),
    )
    .await
    .unwrap();
    let hits = s.search_directory(&q(&["shelter"])).await.unwrap();
    assert_eq!(hits.len(), 3);
    assert_eq!(hits[0].id, named.id, "{}: {hits:?}", db.name);
    assert!(hits[0].relevance > hits[1].relevance);

    // Radius: a box around Manhattan holds only the Manhattan place.
    let near = DirectoryQuery {
        bbox: Some((40.3, 41.2, -74.5, -73.5)),
        limit: 50,
        ..DirectoryQuery::default()
    };
    let hits = s.search_directory(&near).await.unwrap();
    assert_eq!(hits.iter().map(|h| h.id).collect::<Vec<_>>(), [shelter.id]);
    assert_eq!(hits[0].point, Some((40.7506, -73.9972)));
    let with_words = DirectoryQuery {
        words: vec!["visa".into()],
        ..near.clone()
    };
    // Near a place the words narrow the rows in the store too (the limit
    // counts matches, not candidates); the folded text comes along for the
    // service to score the same way on both databases.
    let hits = s.search_directory(&with_words).await.unwrap();
    assert!(
        hits.is_empty(),
        "{}: no visa service near Manhattan",
        db.name
    );
    let sheltered = DirectoryQuery {
        words: vec!["shelt".into()],
        ..near.clone()
    };
    let hits = s.search_directory(&sheltered).await.unwrap();
    assert_eq!(hits.len(), 1);
    let (name, body) = hits[0].text.clone().unwrap();
    assert_eq!(name, "refugio medico");
    assert!(haven_domain::directory::text::score(&sheltered.words, &name, &body).is_some());

    // Filters: need bits, language, capacity.
    let needs = DirectoryQuery {
        needs: 1 << 8,
        limit: 50,
        ..DirectoryQuery::default()
    };
    assert_eq!(
        s.search_directory(&needs)
            .await
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        [legal.id]
    );
    let spanish = DirectoryQuery {
        language: Some("es".into()),
        limit: 50,
        ..DirectoryQuery::default()
    };
    assert_eq!(
        s.search_directory(&spanish)
            .await
            .unwrap()
            .iter()
            .map(|h| h.id)
            .collect::<Vec<_>>(),
        [shelter.id]
    );
    let beds = DirectoryQuery {
        capacity_only: true,
        limit: 50,
        ..DirectoryQuery::default()
    };
    assert!(s.search_directory(&beds).await.unwrap().is_empty());

    // Re-import updates by id: the shelter moves to Philadelphia and gets beds.
    let mut moved = shelter.clone();
    moved.places = vec![(shelter.places[0].0, phl.id)];
    moved.capacity_available = Some(3);
    moved.name = "Refugio Médico (new)".into();
    moved.name_text = haven_domain::directory::text::index_text([moved.name.as_str()]);
    s.import_directory(
        DirectoryWrite {
            organizations: &[],
            locations: &[],
            services: &[moved.clone()],
        },
        &audit(AuditAction::DirectoryImported),
    )
    .await
    .unwrap();
    assert!(s.search_directory(&near).await.unwrap().is_empty());
    assert_eq!(s.search_directory(&beds).await.unwrap().len(), 1);
    let (page, total) = s.directory_service_page(None, 0, 10).await.unwrap();
    assert_eq!(total, 3);
    assert_eq!(
        page.iter().find(|p| p.id == shelter.id).unwrap().name,
        "Refugio Médico (new)"
    );
    assert_eq!(
        s.search_directory(&q(&["new"])).await.unwrap().len(),
        1,
        "the index follows the update"
    );

    // Moving a location moves its services in the radius search.
    let mut phl_moved = phl.clone();
    phl_moved.point = Some((40.75, -73.99));
    s.import_directory(
        DirectoryWrite {
            organizations: &[],
            locations: &[phl_moved],
            services: &[],
        },
        &audit(AuditAction::DirectoryImported),
    )
    .await
    .unwrap();
    assert_eq!(
        s.search_directory(&near).await.unwrap().len(),
        2,
        "both services are now in the box"
    );

    // A single service's record and search columns change (capacity).
    let mut beds = moved.clone();
    beds.capacity_available = Some(0);
    assert!(
        s.update_directory_service(&beds, &audit(AuditAction::DirectoryServiceUpdated))
            .await
            .unwrap()
    );
    assert!(
        s.search_directory(&DirectoryQuery {
            capacity_only: true,
            limit: 50,
            ..DirectoryQuery::default()
        })
        .await
        .unwrap()
        .is_empty()
    );
    let mut ghost = beds.clone();
    ghost.id = ServiceId::new();
    assert!(
        !s.update_directory_service(&ghost, &audit(AuditAction::DirectoryServiceUpdated))
            .await
            .unwrap(),
        "an unknown service is not created"
    );

    let (known_orgs, known_locs) = s
        .directory_known(&[o.id, Uuid::now_v7()], &[nyc.id])
        .await
        .unwrap();
    assert_eq!(known_orgs.into_iter().collect::<Vec<_>>(), [o.id]);
    assert_eq!(known_locs.len(), 1);
    // A dense place (Chicago): 1,200 services in the box, 31 of them shelters. Every
    // shelter comes back under a limit smaller than the box's candidates.
    let city = location(o.id, 41.88, -87.63);
    let crowd: Vec<DirServiceRow> = (0..1200)
        .map(|i| {
            let body = if i % 39 == 0 {
                "night shelter beds"
            } else {
                "food pantry"
            };
            service(
                o.id,
                &format!("Service {i}"),
                body,
                0,
                &["en"],
                vec![(Uuid::now_v7(), city.id)],
            )
        })
        .collect();
    s.import_directory(
        DirectoryWrite {
            organizations: std::slice::from_ref(&o),
            locations: std::slice::from_ref(&city),
            services: &crowd,
        },
        &audit(AuditAction::DirectoryImported),
    )
    .await
    .unwrap();
    let dense = DirectoryQuery {
        words: vec!["shelter".into()],
        bbox: Some((41.7, 42.0, -87.8, -87.5)),
        limit: 1000,
        ..DirectoryQuery::default()
    };
    let hits = s.search_directory(&dense).await.unwrap();
    let shelters = crowd
        .iter()
        .filter(|c| c.body_text.contains("shelter"))
        .count();
    assert_eq!(shelters, 31);
    assert_eq!(hits.len(), shelters, "{}: every match in the box", db.name);
}
haven_store::on_both!(directory_upserts_and_searches_on_both_databases);

async fn the_referral_loop_on_both_databases(db: TestDb) {
    let db = &db;
    let s = &db.store;
    let ngo = org(db, OrgKind::Ngo).await;
    let shelter_org = org(db, OrgKind::ServiceProvider).await;
    let specialist = user(db, ngo, &[Role::VictimSpecialist]).await;
    let provider = user(db, shelter_org, &[Role::ProviderStaff]).await;
    let _analyst = user(db, shelter_org, &[Role::Analyst]).await;
    let case = CaseFacts {
        id: CaseId::new(),
        organization: ngo,
        team: vec![(specialist.id, TeamRole::OwnerSpecialist)],
        flag_1367: false,
    };
    s.create_case(&case, haven_domain::now(), &audit(AuditAction::CaseCreated))
        .await
        .unwrap();
    let item = StoredEntry {
        id: EntryId::new(),
        case: case.id,
        kind: EntryKind::PlanItem,
        compartment: Compartment::Shared,
        category: Some("housing".into()),
        status: Some("planned".into()),
        due_on: None,
        assignee: None,
        parent: None,
        body: vec![1],
        by: specialist.id,
        at: haven_domain::now(),
        updated_at: haven_domain::now(),
    };
    s.add_entry(&item, &audit(AuditAction::EntryRecorded), &[])
        .await
        .unwrap();
    let dir = DirOrganizationRow {
        id: Uuid::now_v7(),
        name: "Cedar House".into(),
        record: "{}".into(),
        haven_org: None,
        updated_at: haven_domain::now(),
    };
    let svc = service(dir.id, "Cedar House shelter", "", 2, &["es"], vec![]);
    s.import_directory(
        DirectoryWrite {
            organizations: std::slice::from_ref(&dir),
            locations: &[],
            services: std::slice::from_ref(&svc),
        },
        &audit(AuditAction::DirectoryImported),
    )
    .await
    .unwrap();
    assert!(
        s.link_directory_organization(
            dir.id,
            Some(shelter_org),
            &audit(AuditAction::DirectoryLinked)
        )
        .await
        .unwrap()
    );
    assert_eq!(
        s.directory_organizations_of(shelter_org).await.unwrap(),
        [dir.id]
    );

    let sent_at = haven_domain::now() - Duration::hours(72);
    let r = ReferralRow {
        id: ReferralId::new(),
        case: case.id,
        plan_item: item.id,
        need: "housing".into(),
        service: svc.id,
        from_org: ngo,
        to_org: shelter_org,
        sent_by: specialist.id,
        sent_at,
        urgency: "high".into(),
        age_range: "18_24".into(),
        languages: "es".into(),
        note: None,
        consent: None,
        personal: None,
        status: "sent".into(),
        decline_reason: None,
        answered_at: None,
        answered_by: None,
        updated_at: sent_at,
    };
    let event = |status: &str| ReferralEventRow {
        id: Uuid::now_v7(),
        referral: r.id,
        at: haven_domain::now(),
        by: specialist.id,
        status: status.into(),
        note: None,
    };
    let msg = OutboxMessage {
        id: MessageId::new(),
        dedupe_key: format!("k:{}", r.id),
        kind: "referral_received".into(),
        user: provider.id,
        case: None,
        payload: "{}".into(),
    };
    s.create_referral(
        &r,
        &event("sent"),
        std::slice::from_ref(&msg),
        &audit(AuditAction::ReferralSent),
    )
    .await
    .unwrap();
    assert_eq!(
        s.referrals_to(shelter_org, true, 10).await.unwrap().len(),
        1
    );
    assert!(
        s.referrals_to(ngo, false, 10).await.unwrap().is_empty(),
        "only the receiving organization's"
    );
    assert_eq!(
        s.referrals_for_case(case.id).await.unwrap()[0].status,
        "sent"
    );
    // The case page reads them with its other lists.
    assert_eq!(
        s.case_lists(haven_store::CasePageQuery {
            case: case.id,
            viewer_organization: ngo,
            deliveries: 10,
            timeline: 10,
            people: &[],
        })
        .await
        .unwrap()
        .referrals,
        s.referrals_for_case(case.id).await.unwrap()
    );

    // Reminders: sender and provider staff (not the analyst), once.
    let now = haven_domain::now();
    assert_eq!(
        s.enqueue_referral_reminders(now - Duration::hours(48), now)
            .await
            .unwrap(),
        2,
        "{}",
        db.name
    );
    assert_eq!(
        s.enqueue_referral_reminders(now - Duration::hours(48), now)
            .await
            .unwrap(),
        0
    );

    // Accept (compare-and-swap on the status), then complete.
    let accept = ReferralChange {
        id: r.id,
        from_status: "sent",
        to_status: "accepted",
        decline_reason: None,
        answered: Some((provider.id, now)),
        at: now,
    };
    assert!(
        s.change_referral(
            &accept,
            &event("accepted"),
            &[],
            &audit(AuditAction::ReferralUpdated)
        )
        .await
        .unwrap()
    );
    assert!(
        !s.change_referral(
            &accept,
            &event("accepted"),
            &[],
            &audit(AuditAction::ReferralUpdated)
        )
        .await
        .unwrap(),
        "moved meanwhile"
    );
    let done = ReferralChange {
        id: r.id,
        from_status: "accepted",
        to_status: "completed",
        decline_reason: None,
        answered: Some((specialist.id, now + Duration::hours(1))),
        at: now,
    };
    assert!(
        s.change_referral(
            &done,
            &event("completed"),
            &[],
            &audit(AuditAction::ReferralUpdated)
        )
        .await
        .unwrap()
    );
    let got = s.referral(r.id).await.unwrap().unwrap();
    assert_eq!(got.status, "completed");
    assert_eq!(
        got.answered_by,
        Some(provider.id),
        "the first answer is kept"
    );
    assert_eq!(s.referral_events(r.id).await.unwrap().len(), 3);

    // A declined one needs its reason (the table refuses otherwise).
    let mut r2 = r.clone();
    r2.id = ReferralId::new();
    r2.sent_at = now;
    let ev2 = ReferralEventRow {
        referral: r2.id,
        ..event("sent")
    };
    s.create_referral(&r2, &ev2, &[], &audit(AuditAction::ReferralSent))
        .await
        .unwrap();
    let bad = ReferralChange {
        id: r2.id,
        from_status: "sent",
        to_status: "declined",
        decline_reason: None,
        answered: Some((provider.id, now)),
        at: now,
    };
    assert!(
        s.change_referral(
            &bad,
            &ReferralEventRow {
                referral: r2.id,
                ..event("declined")
            },
            &[],
            &audit(AuditAction::ReferralUpdated)
        )
        .await
        .is_err()
    );
    let decline = ReferralChange {
        decline_reason: Some("no_capacity"),
        ..bad
    };
    assert!(
        s.change_referral(
            &decline,
            &ReferralEventRow {
                referral: r2.id,
                ..event("declined")
            },
            &[],
            &audit(AuditAction::ReferralUpdated)
        )
        .await
        .unwrap()
    );

    let stats = s.referral_stats(Some(shelter_org)).await.unwrap();
    assert_eq!(stats.len(), 1);
    let st = &stats[0];
    assert_eq!(
        (st.total, st.accepted, st.completed, st.declined, st.waiting),
        (2, 1, 1, 1, 0)
    );
    assert_eq!(st.decline_reasons, [("no_capacity".to_owned(), 1)]);
    let h = st.median_hours_to_accept.unwrap();
    assert!((71.0..73.5).contains(&h), "{h}");
}
haven_store::on_both!(the_referral_loop_on_both_databases);

async fn hotlines_are_seeded_and_editable_on_both_databases(db: TestDb) {
    let db = &db;
    let s = &db.store;
    let seeded = s.hotlines().await.unwrap();
    let phones: Vec<&str> = seeded.iter().map(|h| h.phone.as_str()).collect();
    assert_eq!(
        phones,
        [
            "911",
            "1-888-373-7888",
            "1-866-347-2423",
            "1-800-375-5283",
            "1-866-401-5510"
        ]
    );
    assert_eq!(seeded[1].text_number, "233733");
    let mut h = HotlineRow {
        id: HotlineId::new(),
        position: 6,
        name_en: "Local crisis line".into(),
        name_es: "Línea local de crisis".into(),
        phone: "555-0100".into(),
        text_number: String::new(),
        description_en: String::new(),
        description_es: String::new(),
        updated_at: haven_domain::now(),
    };
    s.save_hotline(&h, &audit(AuditAction::HotlineSaved))
        .await
        .unwrap();
    h.phone = "555-0199".into();
    s.save_hotline(&h, &audit(AuditAction::HotlineSaved))
        .await
        .unwrap();
    let all = s.hotlines().await.unwrap();
    assert_eq!(all.len(), 6);
    assert_eq!(all[5].phone, "555-0199");
    assert!(
        s.delete_hotline(h.id, &audit(AuditAction::HotlineDeleted))
            .await
            .unwrap()
    );
    assert!(
        !s.delete_hotline(h.id, &audit(AuditAction::HotlineDeleted))
            .await
            .unwrap()
    );
}
haven_store::on_both!(hotlines_are_seeded_and_editable_on_both_databases);
