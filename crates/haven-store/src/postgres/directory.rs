use super::PgStore;
use super::audit::insert_audit;
use super::record::{get_opt_ts, get_ts, ts};
use crate::StoreResult;
use crate::backend::row::Columns;
use crate::directory::{
    DirLocationRow, DirOrganizationRow, DirServiceRow, DirectoryHit, DirectoryQuery,
    DirectoryStore, DirectoryWrite, HotlineRow, OutboxMessage, ReferralChange, ReferralEventRow,
    ReferralRow, ReferralStats,
};
use async_trait::async_trait;
use haven_domain::{
    AuditEntry, CaseId, ConsentId, EntryId, HotlineId, OrganizationId, ReferralId, ServiceId,
    UserId,
};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row, Transaction};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use uuid::Uuid;

fn languages_column(codes: &[String]) -> String {
    format!(" {} ", codes.join(" "))
}

fn languages_from(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn service_from_row(r: &PgRow, places: Vec<(Uuid, Uuid)>) -> StoreResult<DirServiceRow> {
    Ok(DirServiceRow {
        id: ServiceId::from_uuid(r.try_get("id")?),
        organization: r.try_get("organization_id")?,
        name: r.try_get("name")?,
        status: r.try_get("status")?,
        needs: r.try_get("needs")?,
        populations: r.try_get("populations")?,
        funding: r.try_get("funding")?,
        languages: languages_from(r.try_get("languages")?),
        minimum_age: r.try_get("minimum_age")?,
        maximum_age: r.try_get("maximum_age")?,
        capacity_available: r.try_get("capacity_available")?,
        hours: r.try_get("hours")?,
        record: r.try_get("record")?,
        name_text: String::new(),
        body_text: String::new(),
        places,
        updated_at: get_ts(r, "updated_at")?,
    })
}

fn location_from_row(r: &PgRow) -> StoreResult<DirLocationRow> {
    let lat: Option<f64> = r.try_get("latitude")?;
    let lon: Option<f64> = r.try_get("longitude")?;
    Ok(DirLocationRow {
        id: r.try_get("id")?,
        organization: r.try_get("organization_id")?,
        confidential: r.try_get("confidential")?,
        point: lat.zip(lon),
        record: r.try_get("record")?,
        private_record: r.try_get("private_record")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

fn org_from_row(r: &PgRow) -> StoreResult<DirOrganizationRow> {
    Ok(DirOrganizationRow {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        record: r.try_get("record")?,
        haven_org: r
            .try_get::<Option<Uuid>, _>("haven_org_id")?
            .map(OrganizationId::from_uuid),
        updated_at: get_ts(r, "updated_at")?,
    })
}

pub(super) fn referral_from_row(r: &impl Columns) -> StoreResult<ReferralRow> {
    Ok(ReferralRow {
        id: ReferralId::from_uuid(r.col("id")?),
        case: CaseId::from_uuid(r.col("case_id")?),
        plan_item: EntryId::from_uuid(r.col("plan_item_id")?),
        need: r.col("need")?,
        service: ServiceId::from_uuid(r.col("service_id")?),
        from_org: OrganizationId::from_uuid(r.col("from_org")?),
        to_org: OrganizationId::from_uuid(r.col("to_org")?),
        sent_by: UserId::from_uuid(r.col("sent_by")?),
        sent_at: r.col("sent_at")?,
        urgency: r.col("urgency")?,
        age_range: r.col("age_range")?,
        languages: r.col("languages")?,
        note: r.col("note")?,
        consent: r
            .col::<Option<Uuid>>("consent_id")?
            .map(ConsentId::from_uuid),
        personal: r.col("personal")?,
        status: r.col("status")?,
        decline_reason: r.col("decline_reason")?,
        answered_at: r.col("answered_at")?,
        answered_by: r.col::<Option<Uuid>>("answered_by")?.map(UserId::from_uuid),
        updated_at: r.col("updated_at")?,
    })
}

fn hotline_from_row(r: &PgRow) -> StoreResult<HotlineRow> {
    Ok(HotlineRow {
        id: HotlineId::from_uuid(r.try_get("id")?),
        position: r.try_get("position")?,
        name_en: r.try_get("name_en")?,
        name_es: r.try_get("name_es")?,
        phone: r.try_get("phone")?,
        text_number: r.try_get("text_number")?,
        description_en: r.try_get("description_en")?,
        description_es: r.try_get("description_es")?,
        updated_at: get_ts(r, "updated_at")?,
    })
}

macro_rules! service_columns {
    () => {
        "SELECT s.id, s.organization_id, s.name, s.status, s.needs, s.populations, s.funding, s.languages,
                s.minimum_age, s.maximum_age, s.capacity_available, s.hours, s.record, s.updated_at
         FROM directory_services s "
    };
}

macro_rules! referral_columns {
    () => {
        "SELECT id, case_id, plan_item_id, need, service_id, from_org, to_org, sent_by, sent_at, urgency,
                age_range, languages, note, consent_id, personal, status, decline_reason, answered_at,
                answered_by, updated_at FROM referrals "
    };
}

// The search's filters, shared by its four shapes. $1 needs, $2 populations,
// $3 funding (every bit), $4 ' code ' or '', $5 age or -1, $6 capacity only,
// $7 limit, $8 tsquery, $9-$12 the box, $13 directory organization or NULL.
macro_rules! search_filter {
    () => {
        " s.status = 'active' AND (s.needs & $1) = $1 AND (s.populations & $2) = $2 AND (s.funding & $3) = $3
          AND ($4 = '' OR strpos(s.languages, $4) > 0)
          AND ($5::int4 < 0 OR ((s.minimum_age IS NULL OR s.minimum_age <= $5) AND (s.maximum_age IS NULL OR s.maximum_age >= $5)))
          AND (NOT $6 OR s.capacity_available > 0)
          AND ($13::uuid IS NULL OR s.organization_id = $13) "
    };
}
macro_rules! search_columns {
    () => {
        "SELECT s.id, s.organization_id, o.haven_org_id, o.name AS organization_name, s.name, s.languages, s.needs, s.capacity_available, s.hours, "
    };
}

const SEARCH_PLAIN: &str = concat!(
    search_columns!(),
    "0.0::float8 AS relevance, NULL::float8 AS latitude, NULL::float8 AS longitude, FALSE AS confidential
     FROM directory_services s LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE $8 = '' AND $9::float8 IS NULL AND $10::float8 IS NULL AND $11::float8 IS NULL AND $12::float8 IS NULL AND ",
    search_filter!(),
    " ORDER BY s.name, s.id LIMIT $7"
);
const SEARCH_WORDS: &str = concat!(
    search_columns!(),
    "ts_rank(s.search, to_tsquery('simple', $8))::float8 AS relevance, NULL::float8 AS latitude, NULL::float8 AS longitude, FALSE AS confidential
     FROM directory_services s
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE s.search @@ to_tsquery('simple', $8)
       AND $9::float8 IS NULL AND $10::float8 IS NULL AND $11::float8 IS NULL AND $12::float8 IS NULL AND ",
    search_filter!(),
    " ORDER BY relevance DESC, s.name LIMIT $7"
);
const SEARCH_NEAR: &str = concat!(
    search_columns!(),
    "0.0::float8 AS relevance, sl.latitude, sl.longitude,
            (SELECT l.confidential FROM directory_locations l WHERE l.id = sl.location_id) AS confidential
     FROM directory_service_locations sl
     JOIN directory_services s ON s.id = sl.service_id
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE $8 = '' AND sl.latitude BETWEEN $9 AND $10 AND sl.longitude BETWEEN $11 AND $12 AND ",
    search_filter!(),
    " LIMIT $7"
);
/// Words near a place: the box finds the few candidates and their folded
/// text comes along; the words are matched and scored by the service, so a
/// common word costs nothing here.
const SEARCH_WORDS_NEAR: &str = concat!(
    search_columns!(),
    "0.0::float8 AS relevance, sl.latitude, sl.longitude,
            (SELECT l.confidential FROM directory_locations l WHERE l.id = sl.location_id) AS confidential,
            s.name_text, s.body_text
     FROM directory_service_locations sl
     JOIN directory_services s ON s.id = sl.service_id
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE $8::text <> '' AND sl.latitude BETWEEN $9 AND $10 AND sl.longitude BETWEEN $11 AND $12 AND ",
    search_filter!(),
    " LIMIT $7"
);

/// Each word a prefix, all required: the words are letters and digits
/// only, so nothing in a query is read as tsquery syntax.
fn fts_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

pub(super) async fn insert_messages(
    tx: &mut Transaction<'_, Postgres>,
    messages: &[OutboxMessage],
    now: OffsetDateTime,
) -> StoreResult<()> {
    for m in messages {
        sqlx::query(
            "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(m.id.as_uuid())
        .bind(&m.dedupe_key)
        .bind(&m.kind)
        .bind(m.user.as_uuid())
        .bind(m.case.map(|c| *c.as_uuid()))
        .bind(&m.payload)
        .bind(ts(now))
        .bind(ts(now))
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

async fn insert_event(tx: &mut Transaction<'_, Postgres>, e: &ReferralEventRow) -> StoreResult<()> {
    sqlx::query("INSERT INTO referral_events (id, referral_id, at, by_user, status, note) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(e.id)
        .bind(e.referral.as_uuid())
        .bind(ts(e.at))
        .bind(e.by.as_uuid())
        .bind(&e.status)
        .bind(e.note.as_deref())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Rows per bulk statement.
const BULK: usize = 2_000;

/// Upserts services with their search text and places: one statement per
/// table for the whole chunk (column arrays through `UNNEST`).
async fn write_services(
    tx: &mut Transaction<'_, Postgres>,
    services: &[DirServiceRow],
) -> StoreResult<()> {
    let ids: Vec<Uuid> = services.iter().map(|s| *s.id.as_uuid()).collect();
    let orgs: Vec<Option<Uuid>> = services.iter().map(|s| s.organization).collect();
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let status: Vec<&str> = services.iter().map(|s| s.status.as_str()).collect();
    let needs: Vec<i64> = services.iter().map(|s| s.needs).collect();
    let pops: Vec<i64> = services.iter().map(|s| s.populations).collect();
    let funding: Vec<i64> = services.iter().map(|s| s.funding).collect();
    let langs: Vec<String> = services
        .iter()
        .map(|s| languages_column(&s.languages))
        .collect();
    let min: Vec<Option<i32>> = services.iter().map(|s| s.minimum_age).collect();
    let max: Vec<Option<i32>> = services.iter().map(|s| s.maximum_age).collect();
    let cap: Vec<Option<i64>> = services.iter().map(|s| s.capacity_available).collect();
    let hours: Vec<&str> = services.iter().map(|s| s.hours.as_str()).collect();
    let records: Vec<&str> = services.iter().map(|s| s.record.as_str()).collect();
    let at: Vec<OffsetDateTime> = services.iter().map(|s| s.updated_at).collect();
    let name_text: Vec<&str> = services.iter().map(|s| s.name_text.as_str()).collect();
    let body_text: Vec<&str> = services.iter().map(|s| s.body_text.as_str()).collect();
    sqlx::query(
        "INSERT INTO directory_services (id, organization_id, name, status, needs, populations, funding, languages,
                minimum_age, maximum_age, capacity_available, hours, record, updated_at, name_text, body_text)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[],
                $8::text[], $9::int4[], $10::int4[], $11::int8[], $12::text[], $13::text[], $14::timestamptz[],
                $15::text[], $16::text[])
         ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, name = excluded.name,
                status = excluded.status, needs = excluded.needs, populations = excluded.populations,
                funding = excluded.funding, languages = excluded.languages, minimum_age = excluded.minimum_age,
                maximum_age = excluded.maximum_age, capacity_available = excluded.capacity_available,
                hours = excluded.hours, record = excluded.record, updated_at = excluded.updated_at,
                name_text = excluded.name_text, body_text = excluded.body_text",
    )
    .bind(&ids)
    .bind(&orgs)
    .bind(&names)
    .bind(&status)
    .bind(&needs)
    .bind(&pops)
    .bind(&funding)
    .bind(&langs)
    .bind(&min)
    .bind(&max)
    .bind(&cap)
    .bind(&hours)
    .bind(&records)
    .bind(&at)
    .bind(&name_text)
    .bind(&body_text)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM directory_service_locations WHERE service_id = ANY($1)")
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
    // One row per place id (a later one wins), as ON CONFLICT needs.
    let mut seen = std::collections::HashMap::new();
    for s in services {
        for (sal, location) in &s.places {
            seen.insert(*sal, (*s.id.as_uuid(), *location));
        }
    }
    let sals: Vec<Uuid> = seen.keys().copied().collect();
    let svc: Vec<Uuid> = sals.iter().map(|k| seen[k].0).collect();
    let locs: Vec<Uuid> = sals.iter().map(|k| seen[k].1).collect();
    sqlx::query(
        "INSERT INTO directory_service_locations (id, service_id, location_id, latitude, longitude)
         SELECT p.id, p.service_id, l.id, l.latitude, l.longitude
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[]) AS p (id, service_id, location_id)
         JOIN directory_locations l ON l.id = p.location_id
         ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id, location_id = excluded.location_id,
                latitude = excluded.latitude, longitude = excluded.longitude",
    )
    .bind(&sals)
    .bind(&svc)
    .bind(&locs)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[async_trait]
impl DirectoryStore for PgStore {
    async fn directory_known(
        &self,
        organizations: &[Uuid],
        locations: &[Uuid],
    ) -> StoreResult<(BTreeSet<Uuid>, BTreeSet<Uuid>)> {
        let orgs: Vec<Uuid> =
            sqlx::query_scalar("SELECT id FROM directory_organizations WHERE id = ANY($1)")
                .bind(organizations)
                .fetch_all(self.pool())
                .await?;
        let locs: Vec<Uuid> =
            sqlx::query_scalar("SELECT id FROM directory_locations WHERE id = ANY($1)")
                .bind(locations)
                .fetch_all(self.pool())
                .await?;
        let (orgs, locs): (BTreeSet<Uuid>, BTreeSet<Uuid>) =
            (orgs.into_iter().collect(), locs.into_iter().collect());
        Ok((orgs, locs))
    }

    async fn import_directory(&self, w: DirectoryWrite<'_>, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        for chunk in w.organizations.chunks(BULK) {
            let ids: Vec<Uuid> = chunk.iter().map(|o| o.id).collect();
            let names: Vec<&str> = chunk.iter().map(|o| o.name.as_str()).collect();
            let records: Vec<&str> = chunk.iter().map(|o| o.record.as_str()).collect();
            let at: Vec<OffsetDateTime> = chunk.iter().map(|o| o.updated_at).collect();
            sqlx::query(
                "INSERT INTO directory_organizations (id, name, record, updated_at)
                 SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, record = excluded.record,
                        updated_at = excluded.updated_at",
            )
            .bind(&ids)
            .bind(&names)
            .bind(&records)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
        }
        for chunk in w.locations.chunks(BULK) {
            let ids: Vec<Uuid> = chunk.iter().map(|l| l.id).collect();
            let orgs: Vec<Option<Uuid>> = chunk.iter().map(|l| l.organization).collect();
            let conf: Vec<bool> = chunk.iter().map(|l| l.confidential).collect();
            let lat: Vec<Option<f64>> = chunk.iter().map(|l| l.point.map(|p| p.0)).collect();
            let lon: Vec<Option<f64>> = chunk.iter().map(|l| l.point.map(|p| p.1)).collect();
            let records: Vec<&str> = chunk.iter().map(|l| l.record.as_str()).collect();
            let private: Vec<Option<Vec<u8>>> =
                chunk.iter().map(|l| l.private_record.clone()).collect();
            let at: Vec<OffsetDateTime> = chunk.iter().map(|l| l.updated_at).collect();
            sqlx::query(
                "INSERT INTO directory_locations (id, organization_id, confidential, latitude, longitude, record,
                        private_record, updated_at)
                 SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bool[], $4::float8[], $5::float8[], $6::text[],
                        $7::bytea[], $8::timestamptz[])
                 ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,
                        confidential = excluded.confidential, latitude = excluded.latitude,
                        longitude = excluded.longitude, record = excluded.record,
                        private_record = excluded.private_record, updated_at = excluded.updated_at",
            )
            .bind(&ids)
            .bind(&orgs)
            .bind(&conf)
            .bind(&lat)
            .bind(&lon)
            .bind(&records)
            .bind(&private)
            .bind(&at)
            .execute(&mut *tx)
            .await?;
            // Services already offered there move with the location.
            sqlx::query(
                "UPDATE directory_service_locations sl SET latitude = l.latitude, longitude = l.longitude
                 FROM directory_locations l WHERE l.id = sl.location_id AND sl.location_id = ANY($1)",
            )
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        }
        for chunk in w.services.chunks(BULK) {
            write_services(&mut tx, chunk).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn directory_service(&self, id: ServiceId) -> StoreResult<Option<DirServiceRow>> {
        Ok(self.directory_services(&[id]).await?.pop())
    }

    async fn directory_services(&self, ids: &[ServiceId]) -> StoreResult<Vec<DirServiceRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(r) = sqlx::query(concat!(service_columns!(), "WHERE s.id = $1"))
                .bind(id.as_uuid())
                .fetch_optional(self.pool())
                .await?
            else {
                continue;
            };
            let places = sqlx::query("SELECT id, location_id FROM directory_service_locations WHERE service_id = $1 ORDER BY id")
                .bind(id.as_uuid())
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|p| Ok((p.try_get("id")?, p.try_get("location_id")?)))
                .collect::<StoreResult<Vec<_>>>()?;
            out.push(service_from_row(&r, places)?);
        }
        Ok(out)
    }

    async fn directory_service_page(
        &self,
        organization: Option<Uuid>,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<DirServiceRow>, u64)> {
        let rows = sqlx::query(concat!(
            service_columns!(),
            "WHERE ($1::uuid IS NULL OR s.organization_id = $1) ORDER BY s.name, s.id LIMIT $2 OFFSET $3"
        ))
        .bind(organization)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.pool())
        .await?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM directory_services WHERE ($1::uuid IS NULL OR organization_id = $1)")
            .bind(organization)
            .fetch_one(self.pool())
            .await?;
        let ids: Vec<ServiceId> = rows
            .iter()
            .map(|r| Ok(ServiceId::from_uuid(r.try_get("id")?)))
            .collect::<StoreResult<_>>()?;
        let full = self.directory_services(&ids).await?;
        Ok((full, u64::try_from(total).unwrap_or(0)))
    }

    async fn directory_locations(&self, ids: &[Uuid]) -> StoreResult<Vec<DirLocationRow>> {
        let mut out = Vec::new();
        for id in ids {
            if let Some(r) = sqlx::query(
                "SELECT id, organization_id, confidential, latitude, longitude, record, private_record, updated_at
                 FROM directory_locations WHERE id = $1",
            )
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            {
                out.push(location_from_row(&r)?);
            }
        }
        Ok(out)
    }

    async fn directory_organization(&self, id: Uuid) -> StoreResult<Option<DirOrganizationRow>> {
        sqlx::query("SELECT id, name, record, haven_org_id, updated_at FROM directory_organizations WHERE id = $1")
            .bind(id)
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(org_from_row)
            .transpose()
    }

    async fn directory_organization_page(
        &self,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<DirOrganizationRow>, u64)> {
        let rows = sqlx::query(
            "SELECT id, name, record, haven_org_id, updated_at FROM directory_organizations
             ORDER BY name, id LIMIT $1 OFFSET $2",
        )
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(org_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
        let total: i64 = sqlx::query_scalar("SELECT count(*) FROM directory_organizations")
            .fetch_one(self.pool())
            .await?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    async fn directory_organizations_of(&self, haven: OrganizationId) -> StoreResult<Vec<Uuid>> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM directory_organizations WHERE haven_org_id = $1 ORDER BY name",
        )
        .bind(haven.as_uuid())
        .fetch_all(self.pool())
        .await?)
    }

    async fn search_directory(&self, q: &DirectoryQuery) -> StoreResult<Vec<DirectoryHit>> {
        let fts = fts_query(&q.words);
        let sql = match (q.words.is_empty(), q.bbox.is_some()) {
            (true, false) => SEARCH_PLAIN,
            (false, false) => SEARCH_WORDS,
            (true, true) => SEARCH_NEAR,
            (false, true) => SEARCH_WORDS_NEAR,
        };
        let bbox = q.bbox;
        let rows = sqlx::query(sql)
            .bind(q.needs)
            .bind(q.populations)
            .bind(q.funding)
            .bind(
                q.language
                    .as_ref()
                    .map_or_else(String::new, |l| format!(" {l} ")),
            )
            .bind(q.age.unwrap_or(-1))
            .bind(q.capacity_only)
            .bind(i64::from(q.limit))
            .bind(fts)
            .bind(bbox.map(|b| b.0))
            .bind(bbox.map(|b| b.1))
            .bind(bbox.map(|b| b.2))
            .bind(bbox.map(|b| b.3))
            .bind(q.taxonomy_org)
            .fetch_all(self.pool())
            .await?;
        rows.iter()
            .map(|r| {
                let lat: Option<f64> = r.try_get("latitude")?;
                let lon: Option<f64> = r.try_get("longitude")?;
                Ok(DirectoryHit {
                    id: ServiceId::from_uuid(r.try_get("id")?),
                    organization: r.try_get("organization_id")?,
                    haven_org: r
                        .try_get::<Option<Uuid>, _>("haven_org_id")?
                        .map(OrganizationId::from_uuid),
                    name: r.try_get("name")?,
                    organization_name: r.try_get("organization_name")?,
                    relevance: r.try_get("relevance")?,
                    point: lat.zip(lon),
                    confidential: r
                        .try_get::<Option<bool>, _>("confidential")?
                        .unwrap_or(false),
                    languages: languages_from(r.try_get("languages")?),
                    needs: r.try_get("needs")?,
                    capacity_available: r.try_get("capacity_available")?,
                    hours: r.try_get("hours")?,
                    text: match r.try_get::<Option<String>, _>("name_text") {
                        Ok(Some(name)) => Some((name, r.try_get("body_text")?)),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    async fn link_directory_organization(
        &self,
        id: Uuid,
        haven: Option<OrganizationId>,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let done =
            sqlx::query("UPDATE directory_organizations SET haven_org_id = $1 WHERE id = $2")
                .bind(haven.map(|h| *h.as_uuid()))
                .bind(id)
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn update_directory_service(
        &self,
        row: &DirServiceRow,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let exists: Option<i32> =
            sqlx::query_scalar("SELECT 1 FROM directory_services WHERE id = $1")
                .bind(row.id.as_uuid())
                .fetch_optional(&mut *tx)
                .await?;
        if exists.is_none() {
            return Ok(false);
        }
        write_services(&mut tx, std::slice::from_ref(row)).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn create_referral(
        &self,
        r: &ReferralRow,
        event: &ReferralEventRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO referrals (id, case_id, plan_item_id, need, service_id, from_org, to_org, sent_by, sent_at,
                    urgency, age_range, languages, note, consent_id, personal, status, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(r.id.as_uuid())
        .bind(r.case.as_uuid())
        .bind(r.plan_item.as_uuid())
        .bind(&r.need)
        .bind(r.service.as_uuid())
        .bind(r.from_org.as_uuid())
        .bind(r.to_org.as_uuid())
        .bind(r.sent_by.as_uuid())
        .bind(ts(r.sent_at))
        .bind(&r.urgency)
        .bind(&r.age_range)
        .bind(&r.languages)
        .bind(r.note.as_deref())
        .bind(r.consent.map(|c| *c.as_uuid()))
        .bind(r.personal.as_deref())
        .bind(&r.status)
        .bind(ts(r.updated_at))
        .execute(&mut *tx)
        .await?;
        insert_event(&mut tx, event).await?;
        insert_messages(&mut tx, messages, r.sent_at).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn referral(&self, id: ReferralId) -> StoreResult<Option<ReferralRow>> {
        sqlx::query(concat!(referral_columns!(), "WHERE id = $1"))
            .bind(id.as_uuid())
            .fetch_optional(self.pool())
            .await?
            .as_ref()
            .map(referral_from_row)
            .transpose()
    }

    async fn referrals_for_case(&self, case: CaseId) -> StoreResult<Vec<ReferralRow>> {
        sqlx::query(concat!(
            referral_columns!(),
            "WHERE case_id = $1 ORDER BY sent_at DESC"
        ))
        .bind(case.as_uuid())
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(referral_from_row)
        .collect()
    }

    async fn referrals_to(
        &self,
        org: OrganizationId,
        open_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<ReferralRow>> {
        sqlx::query(concat!(
            referral_columns!(),
            "WHERE to_org = $1 AND (NOT $2 OR status IN ('sent', 'accepted', 'contacted', 'services_started'))
             ORDER BY sent_at DESC LIMIT $3"
        ))
        .bind(org.as_uuid())
        .bind(open_only)
        .bind(i64::from(limit))
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(referral_from_row)
        .collect()
    }

    async fn change_referral(
        &self,
        c: &ReferralChange<'_>,
        event: &ReferralEventRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query(
            "UPDATE referrals SET status = $1, decline_reason = $2, updated_at = $3,
                    answered_at = COALESCE(answered_at, $4), answered_by = COALESCE(answered_by, $5)
             WHERE id = $6 AND status = $7",
        )
        .bind(c.to_status)
        .bind(c.decline_reason)
        .bind(ts(c.at))
        .bind(c.answered.map(|a| ts(a.1)))
        .bind(c.answered.map(|a| *a.0.as_uuid()))
        .bind(c.id.as_uuid())
        .bind(c.from_status)
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_event(&mut tx, event).await?;
        insert_messages(&mut tx, messages, c.at).await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn referral_events(&self, id: ReferralId) -> StoreResult<Vec<ReferralEventRow>> {
        sqlx::query("SELECT id, referral_id, at, by_user, status, note FROM referral_events WHERE referral_id = $1 ORDER BY at, id")
            .bind(id.as_uuid())
            .fetch_all(self.pool())
            .await?
            .iter()
            .map(|r| {
                Ok(ReferralEventRow {
                    id: r.try_get("id")?,
                    referral: ReferralId::from_uuid(r.try_get("referral_id")?),
                    at: get_ts(r, "at")?,
                    by: UserId::from_uuid(r.try_get("by_user")?),
                    status: r.try_get("status")?,
                    note: r.try_get("note")?,
                })
            })
            .collect()
    }

    async fn referral_stats(
        &self,
        to_org: Option<OrganizationId>,
    ) -> StoreResult<Vec<ReferralStats>> {
        let rows = sqlx::query(
            "SELECT to_org, status, decline_reason, sent_at, answered_at,
                    (SELECT min(e.at) FROM referral_events e WHERE e.referral_id = r.id AND e.status = 'accepted') AS accepted_at
             FROM referrals r WHERE ($1::uuid IS NULL OR to_org = $1) ORDER BY to_org",
        )
        .bind(to_org.map(|o| *o.as_uuid()))
        .fetch_all(self.pool())
        .await?;
        let mut facts = Vec::with_capacity(rows.len());
        for r in &rows {
            facts.push(crate::directory_stats::Fact {
                to_org: OrganizationId::from_uuid(r.try_get("to_org")?),
                status: r.try_get("status")?,
                decline_reason: r.try_get("decline_reason")?,
                sent_at: get_ts(r, "sent_at")?,
                answered_at: get_opt_ts(r, "answered_at")?,
                accepted_at: get_opt_ts(r, "accepted_at")?,
            });
        }
        Ok(crate::directory_stats::summarize(&facts))
    }

    async fn enqueue_referral_reminders(
        &self,
        sent_before: OffsetDateTime,
        now: OffsetDateTime,
    ) -> StoreResult<u64> {
        let mut tx = self.pool().begin().await?;
        let to_sender = sqlx::query(
            "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT gen_random_uuid(), 'referral-overdue:' || r.id || ':' || r.sent_by, 'referral_overdue',
                    r.sent_by, r.case_id, json_build_object('referral', r.id, 'need', r.need, 'side', 'sender')::text,
                    'pending', $2, $2
             FROM referrals r WHERE r.status = 'sent' AND r.reminded_at IS NULL AND r.sent_at < $1
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(ts(sent_before))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        // The provider's staff get no case id: the case is not theirs to open.
        let to_provider = sqlx::query(
            "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT gen_random_uuid(), 'referral-overdue:' || r.id || ':' || u.id, 'referral_overdue',
                    u.id, NULL::uuid, json_build_object('referral', r.id, 'need', r.need, 'side', 'provider')::text,
                    'pending', $2, $2
             FROM referrals r JOIN users u ON u.organization_id = r.to_org AND NOT u.disabled
             WHERE r.status = 'sent' AND r.reminded_at IS NULL AND r.sent_at < $1
               AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role IN ('provider_staff', 'supervisor'))
             ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(ts(sent_before))
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE referrals SET reminded_at = $2 WHERE status = 'sent' AND reminded_at IS NULL AND sent_at < $1")
            .bind(ts(sent_before))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(to_sender.rows_affected() + to_provider.rows_affected())
    }

    async fn hotlines(&self) -> StoreResult<Vec<HotlineRow>> {
        sqlx::query(
            "SELECT id, position, name_en, name_es, phone, text_number, description_en, description_es, updated_at
             FROM hotlines ORDER BY position, name_en",
        )
        .fetch_all(self.pool())
        .await?
        .iter()
        .map(hotline_from_row)
        .collect()
    }

    async fn save_hotline(&self, h: &HotlineRow, audit: &AuditEntry) -> StoreResult<()> {
        let mut tx = self.pool().begin().await?;
        sqlx::query(
            "INSERT INTO hotlines (id, position, name_en, name_es, phone, text_number, description_en, description_es, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, name_en = excluded.name_en,
                    name_es = excluded.name_es, phone = excluded.phone, text_number = excluded.text_number,
                    description_en = excluded.description_en, description_es = excluded.description_es,
                    updated_at = excluded.updated_at",
        )
        .bind(h.id.as_uuid())
        .bind(h.position)
        .bind(&h.name_en)
        .bind(&h.name_es)
        .bind(&h.phone)
        .bind(&h.text_number)
        .bind(&h.description_en)
        .bind(&h.description_es)
        .bind(ts(h.updated_at))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delete_hotline(&self, id: HotlineId, audit: &AuditEntry) -> StoreResult<bool> {
        let mut tx = self.pool().begin().await?;
        let done = sqlx::query("DELETE FROM hotlines WHERE id = $1")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Ok(false);
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(true)
    }
}
