//! Cases, releases and emergency access on PostgreSQL: the code is
//! `shared/cases.rs`; the case bundle (one round trip) is read here.

/// A case with its person, team and releases.
async fn case_bundle(store: &Store, id: CaseId) -> StoreResult<Option<CaseBundle>> {
    // One round trip: the case and its person on every row, the team as
    // two parallel arrays, one row per consent (or one row without).
    let rows = sqlx::query("SELECT c.id AS case_id, c.organization_id AS case_org, c.flag_1367,
                c.stage, c.closed_reason, c.cooperation, c.profile AS case_profile, c.hhs_notice_due_at,
                c.hhs_notice_met_at, c.created_at, c.updated_at,
                p.id, p.organization_id, p.name, p.birth_date, p.name_dob_index, p.profile,
                ARRAY(SELECT t.user_id FROM case_team t WHERE t.case_id = c.id
                      ORDER BY t.user_id, t.team_role) AS team_users,
                ARRAY(SELECT t.team_role FROM case_team t WHERE t.case_id = c.id
                      ORDER BY t.user_id, t.team_role) AS team_roles,
                k.id AS consent_id, k.parties, k.recipient_org, k.recipient_role, k.purpose, k.witnessed_by, k.fields,
                k.signed_on, k.expires_on, k.revoked_at
         FROM cases c LEFT JOIN persons p ON p.id = c.person_id LEFT JOIN consents k ON k.case_id = c.id
         WHERE c.id = $1
         ORDER BY k.signed_on, k.id")
    .bind(id.as_uuid())
    .fetch_all(store.pool())
    .await?;
    let Some(row) = rows.first() else {
        return Ok(None);
    };
    let users: Vec<Uuid> = row.try_get("team_users")?;
    let roles: Vec<String> = row.try_get("team_roles")?;
    let team = users
        .into_iter()
        .zip(roles)
        .map(|(u, r)| {
            Ok((
                UserId::from_uuid(u),
                TeamRole::parse(&r).ok_or(StoreError::Corrupt("case_team.team_role"))?,
            ))
        })
        .collect::<StoreResult<Vec<_>>>()?;
    let mut consents = Vec::new();
    for r in &rows {
        if r.try_get::<Option<Uuid>, _>("consent_id")?.is_some() {
            consents.push(consent_from_row_with_id(r, "consent_id")?);
        }
    }
    bundle_from_row(row, id, team, consents).map(Some)
}

include!("../shared/cases.rs");
