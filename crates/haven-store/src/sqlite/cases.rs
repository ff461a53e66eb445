//! Cases, releases and emergency access on SQLite: the code is
//! `shared/cases.rs`; the case bundle is read here.

/// A case with its person, team and releases.
async fn case_bundle(store: &Store, id: CaseId) -> StoreResult<Option<CaseBundle>> {
    let mut conn = store.read().await?;
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
    let team = sqlx::query(
        "SELECT user_id, team_role FROM case_team WHERE case_id = ? ORDER BY user_id, team_role",
    )
    .bind(id.as_uuid())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok((
            UserId::from_uuid(r.try_get("user_id")?),
            TeamRole::parse(r.try_get("team_role")?)
                .ok_or(StoreError::Corrupt("case_team.team_role"))?,
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
    bundle_from_row(&row, id, team, consents).map(Some)
}

include!("../shared/cases.rs");
