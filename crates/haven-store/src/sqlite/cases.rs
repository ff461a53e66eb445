use super::audit::insert_audit;
use super::{SqliteStore, from_millis, to_millis};
use crate::{
    CaseAccessStore, StoreError, StoreResult, decode_fields, decode_parties, encode_fields,
    encode_parties,
};
use crate::{CaseBundle, EmergencyAccess, StoredPerson};
use async_trait::async_trait;
use haven_domain::access::{CaseFacts, TeamRole};
use haven_domain::consent::{Consent, Recipient};
use haven_domain::{AuditEntry, CaseId, ConsentId, OrganizationId, PersonId, Role, UserId};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

const DATE: &[time::format_description::FormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn date_text(d: Date) -> String {
    d.format(DATE).unwrap_or_default()
}

fn parse_date(s: &str) -> StoreResult<Date> {
    Date::parse(s, DATE).map_err(|_| StoreError::Corrupt("consents date"))
}

fn consent_from_row(r: &SqliteRow) -> StoreResult<Consent> {
    let recipient = match (
        r.try_get::<Option<Uuid>, _>("recipient_org")?,
        r.try_get::<Option<String>, _>("recipient_role")?,
    ) {
        (Some(o), None) => Recipient::Organization(OrganizationId::from_uuid(o)),
        (None, Some(role)) => Recipient::Role(
            Role::parse(&role).ok_or(StoreError::Corrupt("consents.recipient_role"))?,
        ),
        _ => return Err(StoreError::Corrupt("consents.recipient")),
    };
    Ok(Consent {
        id: ConsentId::from_uuid(r.try_get("id")?),
        case: CaseId::from_uuid(r.try_get("case_id")?),
        parties: decode_parties(r.try_get("parties")?)?,
        recipient,
        purpose: r
            .try_get::<Option<Vec<u8>>, _>("purpose")?
            .unwrap_or_default(),
        fields: decode_fields(r.try_get("fields")?)?,
        signed_on: parse_date(r.try_get("signed_on")?)?,
        expires_on: parse_date(r.try_get("expires_on")?)?,
        revoked_at: r
            .try_get::<Option<i64>, _>("revoked_at")?
            .map(|ms| from_millis(ms, "consents.revoked_at"))
            .transpose()?,
        witnessed_by: r
            .try_get::<Option<Uuid>, _>("witnessed_by")?
            .map(UserId::from_uuid),
    })
}

fn person_from_row(r: &SqliteRow) -> StoreResult<StoredPerson> {
    Ok(StoredPerson {
        id: PersonId::from_uuid(r.try_get("id")?),
        organization: OrganizationId::from_uuid(r.try_get("organization_id")?),
        name: r.try_get("name")?,
        birth_date: r.try_get("birth_date")?,
        name_dob_index: r
            .try_get::<Option<Vec<u8>>, _>("name_dob_index")?
            .map(|v| crate::bytes32(v, "persons.name_dob_index"))
            .transpose()?,
        profile: r.try_get("profile")?,
    })
}

#[async_trait]
impl CaseAccessStore for SqliteStore {
    async fn create_case(
        &self,
        case: &CaseFacts,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query(
            "INSERT INTO cases (id, organization_id, flag_1367, created_at) VALUES (?, ?, ?, ?)",
        )
        .bind(case.id.as_uuid())
        .bind(case.organization.as_uuid())
        .bind(case.flag_1367)
        .bind(to_millis(at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "case id"))?;
        for (user, role) in &case.team {
            sqlx::query("INSERT INTO case_team (case_id, user_id, team_role) VALUES (?, ?, ?)")
                .bind(case.id.as_uuid())
                .bind(user.as_uuid())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::unique(e, "team"))?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn case_facts(&self, id: CaseId) -> StoreResult<Option<CaseFacts>> {
        let Some(row) =
            sqlx::query("SELECT id, organization_id, flag_1367 FROM cases WHERE id = ?")
                .bind(id.as_uuid())
                .fetch_optional(&mut *self.read().await?)
                .await?
        else {
            return Ok(None);
        };
        let team = sqlx::query("SELECT user_id, team_role FROM case_team WHERE case_id = ? ORDER BY user_id, team_role")
            .bind(id.as_uuid())
            .fetch_all(&mut *self.read().await?)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    UserId::from_uuid(r.try_get("user_id")?),
                    TeamRole::parse(r.try_get("team_role")?).ok_or(StoreError::Corrupt("case_team.team_role"))?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(CaseFacts {
            id,
            organization: OrganizationId::from_uuid(row.try_get("organization_id")?),
            team,
            flag_1367: row.try_get("flag_1367")?,
        }))
    }

    async fn add_consent(&self, c: &Consent, audit: &AuditEntry) -> StoreResult<()> {
        let (org, role) = match c.recipient {
            Recipient::Organization(o) => (Some(*o.as_uuid()), None),
            Recipient::Role(r) => (None, Some(r.as_str())),
        };
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query(
            "INSERT INTO consents (id, case_id, parties, recipient_org, recipient_role, legacy_purpose, purpose, fields,
                                   signed_on, expires_on, revoked_at, witnessed_by)
             VALUES (?, ?, ?, ?, ?, '', ?, ?, ?, ?, NULL, ?)",
        )
        .bind(c.id.as_uuid())
        .bind(c.case.as_uuid())
        .bind(encode_parties(&c.parties))
        .bind(org)
        .bind(role)
        .bind(&c.purpose)
        .bind(encode_fields(&c.fields))
        .bind(date_text(c.signed_on))
        .bind(date_text(c.expires_on))
        .bind(c.witnessed_by.map(|u| *u.as_uuid()))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "consent id"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn legacy_consent_purposes(&self, limit: u32) -> StoreResult<Vec<(ConsentId, String)>> {
        sqlx::query("SELECT id, legacy_purpose FROM consents WHERE legacy_purpose <> '' ORDER BY id LIMIT ?")
            .bind(i64::from(limit))
            .fetch_all(&mut *self.read().await?)
            .await?
            .iter()
            .map(|r| Ok((ConsentId::from_uuid(r.try_get("id")?), r.try_get("legacy_purpose")?)))
            .collect()
    }

    async fn seal_consent_purpose(&self, id: ConsentId, sealed: &[u8]) -> StoreResult<()> {
        sqlx::query("UPDATE consents SET purpose = ?, legacy_purpose = '' WHERE id = ?")
            .bind(sealed)
            .bind(id.as_uuid())
            .execute(&mut *self.write().await?)
            .await?;
        Ok(())
    }

    async fn revoke_consent(
        &self,
        id: ConsentId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done =
            sqlx::query("UPDATE consents SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                .bind(to_millis(at))
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await?;
        if done.rows_affected() == 1 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn consents_for_case(&self, case: CaseId) -> StoreResult<Vec<Consent>> {
        sqlx::query(
            "SELECT id, case_id, parties, recipient_org, recipient_role, purpose, fields, signed_on, expires_on, revoked_at, witnessed_by
             FROM consents WHERE case_id = ? ORDER BY signed_on, id",
        )
        .bind(case.as_uuid())
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(consent_from_row)
        .collect()
    }

    async fn record_emergency_access(
        &self,
        e: &EmergencyAccess,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query(
            "INSERT INTO emergency_access (id, case_id, user_id, organization_id, reason, at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(e.id)
        .bind(e.case.as_uuid())
        .bind(e.user.as_uuid())
        .bind(e.organization.as_uuid())
        .bind(&e.reason)
        .bind(to_millis(e.at))
        .execute(&mut *tx)
        .await?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn pending_emergency_access(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<EmergencyAccess>> {
        sqlx::query(
            "SELECT e.id, e.case_id, e.user_id, e.organization_id, e.reason, e.at, e.reviewed_by, e.reviewed_at
             FROM emergency_access e JOIN cases c ON c.id = e.case_id
             WHERE c.organization_id = ? AND e.reviewed_at IS NULL ORDER BY e.at, e.id",
        )
        .bind(organization.as_uuid())
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(emergency_from_row)
        .collect()
    }

    async fn emergency_access_for_case(&self, case: CaseId) -> StoreResult<Vec<EmergencyAccess>> {
        sqlx::query(
            "SELECT id, case_id, user_id, organization_id, reason, at, reviewed_by, reviewed_at
             FROM emergency_access WHERE case_id = ? ORDER BY at DESC, id DESC",
        )
        .bind(case.as_uuid())
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(emergency_from_row)
        .collect()
    }

    async fn review_emergency_access(
        &self,
        id: Uuid,
        reviewer: UserId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let done = sqlx::query(
            "UPDATE emergency_access SET reviewed_by = ?, reviewed_at = ?
             WHERE id = ? AND reviewed_at IS NULL AND user_id <> ?",
        )
        .bind(reviewer.as_uuid())
        .bind(to_millis(at))
        .bind(id)
        .bind(reviewer.as_uuid())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() == 1 {
            insert_audit(&mut tx, audit).await?;
        }
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    async fn case_bundle(&self, id: CaseId) -> StoreResult<Option<CaseBundle>> {
        let mut conn = self.read().await?;
        let Some(row) = sqlx::query(
            "SELECT c.id AS case_id, c.organization_id AS case_org, c.flag_1367,
                    c.stage, c.closed_reason, c.cooperation, c.profile AS case_profile, c.hhs_notice_due_at,
                    c.hhs_notice_met_at, c.created_at, c.updated_at,
                    p.id, p.organization_id, p.name, p.birth_date, p.name_dob_index, p.profile
             FROM cases c LEFT JOIN persons p ON p.id = c.person_id WHERE c.id = ?",
        )
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await?
        else {
            return Ok(None);
        };
        let person = if row.try_get::<Option<Uuid>, _>("id")?.is_some() {
            Some(person_from_row(&row)?)
        } else {
            None
        };
        let team = sqlx::query("SELECT user_id, team_role FROM case_team WHERE case_id = ? ORDER BY user_id, team_role")
            .bind(id.as_uuid())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                Ok((
                    UserId::from_uuid(r.try_get("user_id")?),
                    TeamRole::parse(r.try_get("team_role")?).ok_or(StoreError::Corrupt("case_team.team_role"))?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        let consents = sqlx::query(
            "SELECT id, case_id, parties, recipient_org, recipient_role, purpose, fields, signed_on, expires_on, revoked_at, witnessed_by
             FROM consents WHERE case_id = ? ORDER BY signed_on, id",
        )
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(consent_from_row)
        .collect::<StoreResult<Vec<_>>>()?;
        Ok(Some(CaseBundle {
            facts: CaseFacts {
                id,
                organization: OrganizationId::from_uuid(row.try_get("case_org")?),
                team,
                flag_1367: row.try_get("flag_1367")?,
            },
            consents,
            person,
            header: super::record::header_from_row(&row, "case_profile")?,
        }))
    }

    async fn persons_by_index(
        &self,
        index: &[u8; 32],
    ) -> StoreResult<Vec<(StoredPerson, Option<CaseId>)>> {
        sqlx::query(
            "SELECT p.id, p.organization_id, p.name, p.birth_date, p.name_dob_index, p.profile, c.id AS case_id
             FROM persons p LEFT JOIN cases c ON c.person_id = p.id WHERE p.name_dob_index = ? ORDER BY p.id",
        )
        .bind(&index[..])
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(|row| {
            Ok((
                person_from_row(row)?,
                row.try_get::<Option<Uuid>, _>("case_id")?.map(CaseId::from_uuid),
            ))
        })
        .collect()
    }
}

fn emergency_from_row(r: &SqliteRow) -> StoreResult<EmergencyAccess> {
    let reviewed_at = r
        .try_get::<Option<i64>, _>("reviewed_at")?
        .map(|ms| from_millis(ms, "emergency_access.reviewed_at"))
        .transpose()?;
    Ok(EmergencyAccess {
        id: r.try_get("id")?,
        case: CaseId::from_uuid(r.try_get("case_id")?),
        user: UserId::from_uuid(r.try_get("user_id")?),
        organization: OrganizationId::from_uuid(r.try_get("organization_id")?),
        reason: r.try_get("reason")?,
        at: from_millis(r.try_get("at")?, "emergency_access.at")?,
        reviewed: r
            .try_get::<Option<Uuid>, _>("reviewed_by")?
            .map(UserId::from_uuid)
            .zip(reviewed_at),
    })
}
