//! The emergency fund: approvals at once never overdraw it.

use crate::support::*;
use haven_domain::record::FundPurpose;
use haven_domain::{AuditAction, AuditEntry, FundId, Role};
use haven_store::testing::TestDb;
use haven_store::{Decided, Fund};
use std::sync::Arc;

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
