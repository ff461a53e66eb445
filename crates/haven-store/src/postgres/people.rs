//! People and organizations on PostgreSQL: the code is `shared/people.rs`;
//! what differs is here.

/// A message to each other supervisor of the organization about a grant.
const QUEUE_GRANT_NOTICES: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT gen_random_uuid(), 'role-grant:' || $1::text || ':' || u.id::text, 'role_granted', u.id, NULL,
                    $2, 'pending', $3, $3
             FROM users u JOIN user_roles r ON r.user_id = u.id
             WHERE u.organization_id = $4 AND r.role = 'supervisor' AND NOT u.disabled AND u.id <> $5
             ON CONFLICT (dedupe_key) DO NOTHING";

/// Every organization, by name.
async fn all_organizations(store: &Store) -> StoreResult<Vec<Organization>> {
    sqlx::query("SELECT id, name, kind, created_at FROM organizations ORDER BY name, id")
        .fetch_all(store.pool())
        .await?
        .iter()
        .map(org_from_row)
        .collect()
}

include!("../shared/people.rs");
