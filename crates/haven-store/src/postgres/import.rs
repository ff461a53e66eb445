//! Bulk import on PostgreSQL: each table's rows of a batch go in as column
//! arrays through one `INSERT ... SELECT FROM UNNEST(...)`, in one
//! transaction with one audit entry.

use super::rows::commit_audited;
use crate::record::ImportCase;
use crate::{StoreError, StoreResult};
use haven_domain::AuditEntry;
use sqlx::PgPool;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

fn compartment(c: haven_domain::access::Compartment) -> &'static str {
    match c {
        haven_domain::access::Compartment::Advocate => "advocate",
        haven_domain::access::Compartment::Shared => "shared",
    }
}

pub(super) async fn import_cases(
    pool: &PgPool,
    cases: &[ImportCase],
    audit: &AuditEntry,
) -> StoreResult<()> {
    let mut tx = pool.begin().await?;

    let mut p = (vec![], vec![], vec![], vec![], vec![], vec![], vec![]);
    for c in cases {
        p.0.push(*c.person.id.as_uuid());
        p.1.push(*c.person.organization.as_uuid());
        p.2.push(c.person.name.clone());
        p.3.push(c.person.birth_date.clone());
        p.4.push(c.person.name_dob_index.map(|i| i.to_vec()));
        p.5.push(c.person.profile.clone());
        p.6.push(c.header.created_at);
    }
    sqlx::query(
        "INSERT INTO persons (id, organization_id, name, birth_date, name_dob_index, profile, created_at)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bytea[], $4::bytea[], $5::bytea[], $6::bytea[], $7::timestamptz[])",
    )
    .bind(&p.0)
    .bind(&p.1)
    .bind(&p.2)
    .bind(&p.3)
    .bind(&p.4)
    .bind(&p.5)
    .bind(&p.6)
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique(e, "person id"))?;

    let mut ids = vec![];
    let mut orgs = vec![];
    let mut flags = vec![];
    let mut created: Vec<OffsetDateTime> = vec![];
    let mut persons = vec![];
    let mut stages = vec![];
    let mut reasons: Vec<Option<&str>> = vec![];
    let mut coop = vec![];
    let mut profiles = vec![];
    let mut due: Vec<Option<OffsetDateTime>> = vec![];
    let mut met: Vec<Option<OffsetDateTime>> = vec![];
    let mut updated: Vec<OffsetDateTime> = vec![];
    for c in cases {
        ids.push(*c.facts.id.as_uuid());
        orgs.push(*c.facts.organization.as_uuid());
        flags.push(c.facts.flag_1367);
        created.push(c.header.created_at);
        persons.push(*c.person.id.as_uuid());
        stages.push(c.header.stage.as_str());
        reasons.push(c.header.closed_reason.map(|r| r.as_str()));
        coop.push(c.header.cooperation.as_str());
        profiles.push(c.header.profile.clone());
        due.push(c.header.hhs_notice_due_at);
        met.push(c.header.hhs_notice_met_at);
        updated.push(c.header.updated_at);
    }
    sqlx::query(
        "INSERT INTO cases (id, organization_id, flag_1367, created_at, person_id, stage, closed_reason, cooperation,
                            profile, hhs_notice_due_at, hhs_notice_met_at, updated_at)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bool[], $4::timestamptz[], $5::uuid[], $6::text[], $7::text[],
                              $8::text[], $9::bytea[], $10::timestamptz[], $11::timestamptz[], $12::timestamptz[])",
    )
    .bind(&ids)
    .bind(&orgs)
    .bind(&flags)
    .bind(&created)
    .bind(&persons)
    .bind(&stages)
    .bind(&reasons)
    .bind(&coop)
    .bind(&profiles)
    .bind(&due)
    .bind(&met)
    .bind(&updated)
    .execute(&mut *tx)
    .await
    .map_err(|e| StoreError::unique(e, "case id"))?;

    let (mut tc, mut tu, mut tr) = (vec![], vec![], vec![]);
    let (mut ko, mut kk, mut kp) = (vec![], vec![], vec![]);
    for c in cases {
        for (u, r) in &c.facts.team {
            tc.push(*c.facts.id.as_uuid());
            tu.push(*u.as_uuid());
            tr.push(r.as_str());
        }
        for k in &c.match_keys {
            ko.push(*c.person.organization.as_uuid());
            kk.push(k.to_vec());
            kp.push(*c.person.id.as_uuid());
        }
    }
    sqlx::query(
        "INSERT INTO case_team (case_id, user_id, team_role) SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[])",
    )
    .bind(&tc)
    .bind(&tu)
    .bind(&tr)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO person_match_keys (organization_id, match_key, person_id)
         SELECT * FROM UNNEST($1::uuid[], $2::bytea[], $3::uuid[]) ON CONFLICT DO NOTHING",
    )
    .bind(&ko)
    .bind(&kk)
    .bind(&kp)
    .execute(&mut *tx)
    .await?;

    let mut e = (
        Vec::<Uuid>::new(),
        Vec::<Uuid>::new(),
        Vec::<&str>::new(),
        Vec::<&str>::new(),
        Vec::<Option<String>>::new(),
        Vec::<Option<String>>::new(),
        Vec::<Option<Date>>::new(),
    );
    let mut e2 = (
        Vec::<Option<Uuid>>::new(),
        Vec::<Option<Uuid>>::new(),
        Vec::<Vec<u8>>::new(),
        Vec::<Uuid>::new(),
        Vec::<OffsetDateTime>::new(),
        Vec::<OffsetDateTime>::new(),
    );
    for c in cases {
        for x in &c.entries {
            e.0.push(*x.id.as_uuid());
            e.1.push(*x.case.as_uuid());
            e.2.push(x.kind.as_str());
            e.3.push(compartment(x.compartment));
            e.4.push(x.category.clone());
            e.5.push(x.status.clone());
            e.6.push(x.due_on);
            e2.0.push(x.assignee.map(|u| *u.as_uuid()));
            e2.1.push(x.parent.map(|p| *p.as_uuid()));
            e2.2.push(x.body.clone());
            e2.3.push(*x.by.as_uuid());
            e2.4.push(x.at);
            e2.5.push(x.updated_at);
        }
    }
    sqlx::query(
        "INSERT INTO case_entries (id, case_id, kind, compartment, category, status, due_on, assignee, parent_id, body, by_user, at, updated_at)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::date[],
                              $8::uuid[], $9::uuid[], $10::bytea[], $11::uuid[], $12::timestamptz[], $13::timestamptz[])",
    )
    .bind(&e.0)
    .bind(&e.1)
    .bind(&e.2)
    .bind(&e.3)
    .bind(&e.4)
    .bind(&e.5)
    .bind(&e.6)
    .bind(&e2.0)
    .bind(&e2.1)
    .bind(&e2.2)
    .bind(&e2.3)
    .bind(&e2.4)
    .bind(&e2.5)
    .execute(&mut *tx)
    .await
    .map_err(|err| StoreError::unique(err, "entry id"))?;

    commit_audited(tx, audit).await
}
