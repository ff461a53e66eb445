use super::record::{day, ts};
use super::rows::rows_by;
use super::rows::{change_one, commit_audited};
use super::{DbRow, Store};
use crate::backend::row::Columns;
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
use time::OffsetDateTime;
use uuid::Uuid;

/// The case bundle from the case-and-person row, the team and releases.
fn bundle_from_row(
    row: &DbRow,
    id: CaseId,
    team: Vec<(UserId, TeamRole)>,
    consents: Vec<Consent>,
) -> StoreResult<CaseBundle> {
    let person = if row.try_get::<Option<Uuid>, _>("id")?.is_some() {
        Some(person_from_row(row)?)
    } else {
        None
    };
    Ok(CaseBundle {
        facts: CaseFacts {
            id,
            organization: OrganizationId::from_uuid(row.try_get("case_org")?),
            team,
            flag_1367: row.try_get("flag_1367")?,
        },
        consents,
        person,
        header: super::record::header_from_row(row, "case_profile")?,
    })
}

fn consent_from_row(r: &DbRow) -> StoreResult<Consent> {
    consent_from_row_with_id(r, "id")
}

/// A consent read from a row whose `id` column is something else's (the
/// case bundle's rows carry the person's).
fn consent_from_row_with_id(r: &DbRow, id: &str) -> StoreResult<Consent> {
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
        id: ConsentId::from_uuid(r.try_get(id)?),
        case: CaseId::from_uuid(r.try_get("case_id")?),
        parties: decode_parties(r.try_get("parties")?)?,
        recipient,
        purpose: r
            .try_get::<Option<Vec<u8>>, _>("purpose")?
            .unwrap_or_default(),
        witnessed_by: r
            .try_get::<Option<Uuid>, _>("witnessed_by")?
            .map(UserId::from_uuid),
        fields: decode_fields(r.try_get("fields")?)?,
        signed_on: r.col("signed_on")?,
        expires_on: r.col("expires_on")?,
        revoked_at: r.col("revoked_at")?,
    })
}

fn person_from_row(r: &DbRow) -> StoreResult<StoredPerson> {
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
impl CaseAccessStore for Store {
    async fn create_case(
        &self,
        case: &CaseFacts,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!(
            "INSERT INTO cases (id, organization_id, flag_1367, created_at) VALUES ($1, $2, $3, $4)"
        ))
        .bind(case.id.as_uuid())
        .bind(case.organization.as_uuid())
        .bind(case.flag_1367)
        .bind(ts(at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "case id"))?;
        for (user, role) in &case.team {
            sqlx::query(sql!(
                "INSERT INTO case_team (case_id, user_id, team_role) VALUES ($1, $2, $3)"
            ))
            .bind(case.id.as_uuid())
            .bind(user.as_uuid())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "team"))?;
        }
        commit_audited(tx, audit).await
    }

    async fn case_facts(&self, id: CaseId) -> StoreResult<Option<CaseFacts>> {
        let Some(row) = sqlx::query(sql!(
            "SELECT id, organization_id, flag_1367 FROM cases WHERE id = $1"
        ))
        .bind(id.as_uuid())
        .fetch_optional(reader!(self))
        .await?
        else {
            return Ok(None);
        };
        let team = sqlx::query(sql!("SELECT user_id, team_role FROM case_team WHERE case_id = $1 ORDER BY user_id, team_role"))
            .bind(id.as_uuid())
            .fetch_all(reader!(self))
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
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO consents (id, case_id, parties, recipient_org, recipient_role, legacy_purpose, purpose, fields,
                                   signed_on, expires_on, revoked_at, witnessed_by)
             VALUES ($1, $2, $3, $4, $5, '', $6, $7, $8, $9, NULL, $10)"))
        .bind(c.id.as_uuid())
        .bind(c.case.as_uuid())
        .bind(encode_parties(&c.parties))
        .bind(org)
        .bind(role)
        .bind(&c.purpose)
        .bind(encode_fields(&c.fields))
        .bind(day(Some(c.signed_on)))
        .bind(day(Some(c.expires_on)))
        .bind(c.witnessed_by.map(|u| *u.as_uuid()))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "consent id"))?;
        commit_audited(tx, audit).await
    }

    async fn legacy_consent_purposes(&self, limit: u32) -> StoreResult<Vec<(ConsentId, String)>> {
        sqlx::query(sql!("SELECT id, legacy_purpose FROM consents WHERE legacy_purpose <> '' ORDER BY id LIMIT $1"))
            .bind(i64::from(limit))
            .fetch_all(reader!(self))
            .await?
            .iter()
            .map(|r| Ok((ConsentId::from_uuid(r.try_get("id")?), r.try_get("legacy_purpose")?)))
            .collect()
    }

    async fn seal_consent_purpose(&self, id: ConsentId, sealed: &[u8]) -> StoreResult<()> {
        sqlx::query(sql!(
            "UPDATE consents SET purpose = $1, legacy_purpose = '' WHERE id = $2"
        ))
        .bind(sealed)
        .bind(id.as_uuid())
        .execute(writer!(self))
        .await?;
        Ok(())
    }

    async fn revoke_consent(
        &self,
        id: ConsentId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!(
            "UPDATE consents SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL"
        ))
        .bind(ts(at))
        .bind(id.as_uuid());
        change_one(self, q, audit).await
    }

    async fn consents_for_case(&self, case: CaseId) -> StoreResult<Vec<Consent>> {
        let sql = sql!("SELECT id, case_id, parties, recipient_org, recipient_role, purpose, fields, signed_on, expires_on, revoked_at, witnessed_by
             FROM consents WHERE case_id = $1 ORDER BY signed_on, id");
        rows_by(self, sql, case.as_uuid(), consent_from_row).await
    }

    async fn record_emergency_access(
        &self,
        e: &EmergencyAccess,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!(
            "INSERT INTO emergency_access (id, case_id, user_id, organization_id, reason, at)
             VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(e.id)
        .bind(e.case.as_uuid())
        .bind(e.user.as_uuid())
        .bind(e.organization.as_uuid())
        .bind(&e.reason)
        .bind(ts(e.at))
        .execute(&mut *tx)
        .await?;
        commit_audited(tx, audit).await
    }

    async fn pending_emergency_access(
        &self,
        organization: OrganizationId,
    ) -> StoreResult<Vec<EmergencyAccess>> {
        let sql = sql!("SELECT e.id, e.case_id, e.user_id, e.organization_id, e.reason, e.at, e.reviewed_by, e.reviewed_at
             FROM emergency_access e JOIN cases c ON c.id = e.case_id
             WHERE c.organization_id = $1 AND e.reviewed_at IS NULL ORDER BY e.at, e.id");
        rows_by(self, sql, organization.as_uuid(), emergency_from_row).await
    }

    async fn emergency_access_for_case(&self, case: CaseId) -> StoreResult<Vec<EmergencyAccess>> {
        let sql = sql!(
            "SELECT id, case_id, user_id, organization_id, reason, at, reviewed_by, reviewed_at
             FROM emergency_access WHERE case_id = $1 ORDER BY at DESC, id DESC"
        );
        rows_by(self, sql, case.as_uuid(), emergency_from_row).await
    }

    async fn review_emergency_access(
        &self,
        id: Uuid,
        reviewer: UserId,
        at: OffsetDateTime,
        audit: &AuditEntry,
    ) -> StoreResult<bool> {
        let q = sqlx::query(sql!(
            "UPDATE emergency_access SET reviewed_by = $1, reviewed_at = $2
             WHERE id = $3 AND reviewed_at IS NULL AND user_id <> $4"
        ))
        .bind(reviewer.as_uuid())
        .bind(ts(at))
        .bind(id)
        .bind(reviewer.as_uuid());
        change_one(self, q, audit).await
    }

    async fn case_bundle(&self, id: CaseId) -> StoreResult<Option<CaseBundle>> {
        case_bundle(self, id).await
    }

    async fn persons_by_index(
        &self,
        index: &[u8; 32],
    ) -> StoreResult<Vec<(StoredPerson, Option<CaseId>)>> {
        sqlx::query(sql!("SELECT p.id, p.organization_id, p.name, p.birth_date, p.name_dob_index, p.profile, c.id AS case_id
             FROM persons p LEFT JOIN cases c ON c.person_id = p.id WHERE p.name_dob_index = $1 ORDER BY p.id"))
        .bind(&index[..])
        .fetch_all(reader!(self))
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

fn emergency_from_row(r: &DbRow) -> StoreResult<EmergencyAccess> {
    let reviewed_at = r.col::<Option<OffsetDateTime>>("reviewed_at")?;
    Ok(EmergencyAccess {
        id: r.try_get("id")?,
        case: CaseId::from_uuid(r.try_get("case_id")?),
        user: UserId::from_uuid(r.try_get("user_id")?),
        organization: OrganizationId::from_uuid(r.try_get("organization_id")?),
        reason: r.try_get("reason")?,
        at: r.col("at")?,
        reviewed: r
            .try_get::<Option<Uuid>, _>("reviewed_by")?
            .map(UserId::from_uuid)
            .zip(reviewed_at),
    })
}
