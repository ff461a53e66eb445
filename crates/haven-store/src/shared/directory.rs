use super::record::{get_opt_ts, get_ts, ts};
use super::rows::rows_of;
use super::rows::{change_one, commit_audited, row_by, rows_by};
use super::{Db, DbRow, Store};
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
use sqlx::{Row, Transaction};
use std::collections::BTreeSet;
use time::OffsetDateTime;
use uuid::Uuid;

fn languages_column(codes: &[String]) -> String {
    format!(" {} ", codes.join(" "))
}

fn languages_from(s: &str) -> Vec<String> {
    s.split_whitespace().map(str::to_owned).collect()
}

fn service_from_row(r: &DbRow, places: Vec<(Uuid, Uuid)>) -> StoreResult<DirServiceRow> {
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

fn location_from_row(r: &DbRow) -> StoreResult<DirLocationRow> {
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

fn org_from_row(r: &DbRow) -> StoreResult<DirOrganizationRow> {
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

fn hotline_from_row(r: &DbRow) -> StoreResult<HotlineRow> {
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

pub(super) async fn insert_messages(
    tx: &mut Transaction<'_, Db>,
    messages: &[OutboxMessage],
    now: OffsetDateTime,
) -> StoreResult<()> {
    for m in messages {
        sqlx::query(sql!("INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8) ON CONFLICT (dedupe_key) DO NOTHING"))
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

async fn insert_event(tx: &mut Transaction<'_, Db>, e: &ReferralEventRow) -> StoreResult<()> {
    sqlx::query(sql!("INSERT INTO referral_events (id, referral_id, at, by_user, status, note) VALUES ($1, $2, $3, $4, $5, $6)"))
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

#[async_trait]
impl DirectoryStore for Store {
    async fn directory_known(
        &self,
        organizations: &[Uuid],
        locations: &[Uuid],
    ) -> StoreResult<(BTreeSet<Uuid>, BTreeSet<Uuid>)> {
        directory_known(self, organizations, locations).await
    }

    async fn import_directory(&self, w: DirectoryWrite<'_>, audit: &AuditEntry) -> StoreResult<()> {
        import_directory(self, w, audit).await
    }

    async fn directory_service(&self, id: ServiceId) -> StoreResult<Option<DirServiceRow>> {
        Ok(self.directory_services(&[id]).await?.pop())
    }

    async fn directory_services(&self, ids: &[ServiceId]) -> StoreResult<Vec<DirServiceRow>> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let Some(r) = sqlx::query(sql!(concat!(service_columns!(), "WHERE s.id = $1")))
                .bind(id.as_uuid())
                .fetch_optional(reader!(self))
                .await?
            else {
                continue;
            };
            let places = sqlx::query(sql!("SELECT id, location_id FROM directory_service_locations WHERE service_id = $1 ORDER BY id"))
                .bind(id.as_uuid())
                .fetch_all(reader!(self))
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
        let rows = sqlx::query(sql!(concat!(
            service_columns!(),
            "WHERE ($1 IS NULL OR s.organization_id = $1) ORDER BY s.name, s.id LIMIT $2 OFFSET $3"
        )))
        .bind(organization)
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(reader!(self))
        .await?;
        let total: i64 = sqlx::query_scalar(sql!(
            "SELECT count(*) FROM directory_services WHERE ($1 IS NULL OR organization_id = $1)"
        ))
        .bind(organization)
        .fetch_one(reader!(self))
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
            if let Some(r) = sqlx::query(sql!("SELECT id, organization_id, confidential, latitude, longitude, record, private_record, updated_at
                 FROM directory_locations WHERE id = $1"))
            .bind(id)
            .fetch_optional(reader!(self))
            .await?
            {
                out.push(location_from_row(&r)?);
            }
        }
        Ok(out)
    }

    async fn directory_organization(&self, id: Uuid) -> StoreResult<Option<DirOrganizationRow>> {
        let sql = sql!(
            "SELECT id, name, record, haven_org_id, updated_at FROM directory_organizations WHERE id = $1"
        );
        row_by(self, sql, id, org_from_row).await
    }

    async fn directory_organization_page(
        &self,
        offset: u32,
        limit: u32,
    ) -> StoreResult<(Vec<DirOrganizationRow>, u64)> {
        let rows = sqlx::query(sql!(
            "SELECT id, name, record, haven_org_id, updated_at FROM directory_organizations
             ORDER BY name, id LIMIT $1 OFFSET $2"
        ))
        .bind(i64::from(limit))
        .bind(i64::from(offset))
        .fetch_all(reader!(self))
        .await?
        .iter()
        .map(org_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
        let total: i64 = sqlx::query_scalar(sql!("SELECT count(*) FROM directory_organizations"))
            .fetch_one(reader!(self))
            .await?;
        Ok((rows, u64::try_from(total).unwrap_or(0)))
    }

    async fn directory_organizations_of(&self, haven: OrganizationId) -> StoreResult<Vec<Uuid>> {
        Ok(sqlx::query_scalar(sql!(
            "SELECT id FROM directory_organizations WHERE haven_org_id = $1 ORDER BY name"
        ))
        .bind(haven.as_uuid())
        .fetch_all(reader!(self))
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
            .fetch_all(reader!(self))
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
        let q = sqlx::query(sql!(
            "UPDATE directory_organizations SET haven_org_id = $1 WHERE id = $2"
        ))
        .bind(haven.map(|h| *h.as_uuid()))
        .bind(id);
        change_one(self, q, audit).await
    }

    async fn update_directory_service(
        &self,
        row: &DirServiceRow,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let exists = sqlx::query(sql!("SELECT 1 FROM directory_services WHERE id = $1"))
            .bind(row.id.as_uuid())
            .fetch_optional(&mut *tx)
            .await?;
        if exists.is_none() {
            return Ok(false);
        }
        write_services(&mut tx, std::slice::from_ref(row)).await?;
        commit_audited(tx, audit).await?;
        Ok(true)
    }

    async fn create_referral(
        &self,
        r: &ReferralRow,
        event: &ReferralEventRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO referrals (id, case_id, plan_item_id, need, service_id, from_org, to_org, sent_by, sent_at,
                    urgency, age_range, languages, note, consent_id, personal, status, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"))
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
        commit_audited(tx, audit).await
    }

    async fn referral(&self, id: ReferralId) -> StoreResult<Option<ReferralRow>> {
        let sql = sql!(concat!(referral_columns!(), "WHERE id = $1"));
        row_by(self, sql, id.as_uuid(), referral_from_row).await
    }

    async fn referrals_for_case(&self, case: CaseId) -> StoreResult<Vec<ReferralRow>> {
        let sql = sql!(concat!(
            referral_columns!(),
            "WHERE case_id = $1 ORDER BY sent_at DESC"
        ));
        rows_by(self, sql, case.as_uuid(), referral_from_row).await
    }

    async fn referrals_to(
        &self,
        org: OrganizationId,
        open_only: bool,
        limit: u32,
    ) -> StoreResult<Vec<ReferralRow>> {
        let q = sqlx::query(sql!(concat!(
            referral_columns!(),
            "WHERE to_org = $1 AND (NOT $2 OR status IN ('sent', 'accepted', 'contacted', 'services_started'))
             ORDER BY sent_at DESC LIMIT $3"
        )))
        .bind(org.as_uuid())
        .bind(open_only)
        .bind(i64::from(limit));
        rows_of(self, q, referral_from_row).await
    }

    async fn change_referral(
        &self,
        c: &ReferralChange<'_>,
        event: &ReferralEventRow,
        messages: &[OutboxMessage],
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        write_tx!(self, tx);
        let done = sqlx::query(sql!(
            "UPDATE referrals SET status = $1, decline_reason = $2, updated_at = $3,
                    answered_at = COALESCE(answered_at, $4), answered_by = COALESCE(answered_by, $5)
             WHERE id = $6 AND status = $7"
        ))
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
        commit_audited(tx, audit).await?;
        Ok(true)
    }

    async fn referral_events(&self, id: ReferralId) -> StoreResult<Vec<ReferralEventRow>> {
        sqlx::query(sql!("SELECT id, referral_id, at, by_user, status, note FROM referral_events WHERE referral_id = $1 ORDER BY at, id"))
            .bind(id.as_uuid())
            .fetch_all(reader!(self))
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
        let rows = sqlx::query(sql!("SELECT to_org, status, decline_reason, sent_at, answered_at,
                    (SELECT min(e.at) FROM referral_events e WHERE e.referral_id = r.id AND e.status = 'accepted') AS accepted_at
             FROM referrals r WHERE ($1 IS NULL OR to_org = $1) ORDER BY to_org"))
        .bind(to_org.map(|o| *o.as_uuid()))
        .fetch_all(reader!(self))
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
        write_tx!(self, tx);
        let to_sender = sqlx::query(REFERRAL_OVERDUE_TO_SENDER)
            .bind(ts(sent_before))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        let to_provider = sqlx::query(REFERRAL_OVERDUE_TO_PROVIDER)
            .bind(ts(sent_before))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        sqlx::query(sql!("UPDATE referrals SET reminded_at = $2 WHERE status = 'sent' AND reminded_at IS NULL AND sent_at < $1"))
            .bind(ts(sent_before))
            .bind(ts(now))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(to_sender.rows_affected() + to_provider.rows_affected())
    }

    async fn hotlines(&self) -> StoreResult<Vec<HotlineRow>> {
        let q = sqlx::query(sql!("SELECT id, position, name_en, name_es, phone, text_number, description_en, description_es, updated_at
             FROM hotlines ORDER BY position, name_en"));
        rows_of(self, q, hotline_from_row).await
    }

    async fn save_hotline(&self, h: &HotlineRow, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO hotlines (id, position, name_en, name_es, phone, text_number, description_en, description_es, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET position = excluded.position, name_en = excluded.name_en,
                    name_es = excluded.name_es, phone = excluded.phone, text_number = excluded.text_number,
                    description_en = excluded.description_en, description_es = excluded.description_es,
                    updated_at = excluded.updated_at"))
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
        commit_audited(tx, audit).await
    }

    async fn delete_hotline(&self, id: HotlineId, audit: &AuditEntry) -> StoreResult<bool> {
        let q = sqlx::query(sql!("DELETE FROM hotlines WHERE id = $1")).bind(id.as_uuid());
        change_one(self, q, audit).await
    }
}
