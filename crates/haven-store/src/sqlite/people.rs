//! People and organizations on SQLite: the code is `shared/people.rs`; what
//! differs is here.

use crate::backend::row::from_millis;

/// A message to each other supervisor of the organization about a grant.
const QUEUE_GRANT_NOTICES: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT randomblob(16), 'role-grant:' || hex(?1) || ':' || hex(u.id), 'role_granted', u.id, NULL,
                    ?2, 'pending', ?3, ?3
             FROM users u JOIN user_roles r ON r.user_id = u.id
             WHERE u.organization_id = ?4 AND r.role = 'supervisor' AND NOT u.disabled AND u.id <> ?5
             ON CONFLICT (dedupe_key) DO NOTHING";

/// Every organization, by name.
async fn all_organizations(store: &Store) -> StoreResult<Vec<Organization>> {
    // The whole list as one row: sqlx hands every row over from SQLite's
    // worker thread, a context switch each, and a national program's
    // hundred organizations are on every case page's release form.
    let json: String = sqlx::query_scalar(
        "SELECT json_group_array(json_array(hex(id), name, kind, created_at) ORDER BY name, id)
         FROM organizations",
    )
    .fetch_one(&mut *store.read().await?)
    .await?;
    let rows: Vec<(String, String, String, i64)> =
        serde_json::from_str(&json).map_err(|_| StoreError::Corrupt("organizations"))?;
    rows.into_iter()
        .map(|(id, name, kind, created_at)| {
            Ok(Organization {
                id: OrganizationId::from_uuid(
                    uuid::Uuid::parse_str(&id)
                        .map_err(|_| StoreError::Corrupt("organizations.id"))?,
                ),
                name,
                kind: OrgKind::parse(&kind).ok_or(StoreError::Corrupt("organizations.kind"))?,
                created_at: from_millis(created_at, "organizations.created_at")?,
            })
        })
        .collect()
}

include!("../shared/people.rs");
