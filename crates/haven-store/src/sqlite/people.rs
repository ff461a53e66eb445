use super::audit::insert_audit;
use super::{SqliteStore, from_millis, to_millis};
use crate::{PeopleStore, StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::policy::UserScope;
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use sqlx::sqlite::SqliteRow;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

macro_rules! list_users {
    ($where:literal) => {
        concat!(
            "SELECT u.id, u.organization_id, u.login, u.display_name, u.password_hash, \
             u.disabled, u.created_at, \
             (SELECT group_concat(role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles, \
             EXISTS (SELECT 1 FROM user_mfa m WHERE m.user_id = u.id AND m.enabled_at IS NOT NULL) AS mfa_on \
             FROM users u WHERE ",
            $where,
            " ORDER BY u.display_name, u.id"
        )
    };
}

macro_rules! select_user {
    ($where:literal) => {
        concat!(
            "SELECT u.id, u.organization_id, u.login, u.display_name, u.password_hash, \
             u.disabled, u.created_at, \
             (SELECT group_concat(role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles \
             FROM users u WHERE ",
            $where
        )
    };
}

pub(super) fn org_from_row(row: &SqliteRow) -> StoreResult<Organization> {
    Ok(Organization {
        id: OrganizationId::from_uuid(row.try_get("id")?),
        name: row.try_get("name")?,
        kind: OrgKind::parse(row.try_get("kind")?)
            .ok_or(StoreError::Corrupt("organizations.kind"))?,
        created_at: from_millis(row.try_get("created_at")?, "organizations.created_at")?,
    })
}

pub(super) fn user_from_row(row: &SqliteRow) -> StoreResult<User> {
    let roles: Option<String> = row.try_get("roles")?;
    Ok(User {
        id: UserId::from_uuid(row.try_get("id")?),
        organization_id: OrganizationId::from_uuid(row.try_get("organization_id")?),
        login: LoginName::parse(row.try_get("login")?)
            .map_err(|_| StoreError::Corrupt("users.login"))?,
        display_name: row.try_get("display_name")?,
        roles: crate::parse_roles(roles.as_deref())?,
        password_hash: row.try_get("password_hash")?,
        disabled: row.try_get("disabled")?,
        created_at: from_millis(row.try_get("created_at")?, "users.created_at")?,
    })
}

#[async_trait]
impl PeopleStore for SqliteStore {
    async fn create_organization(&self, org: &Organization, audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query("INSERT INTO organizations (id, name, kind, created_at) VALUES (?, ?, ?, ?)")
            .bind(org.id.as_uuid())
            .bind(&org.name)
            .bind(org.kind.as_str())
            .bind(to_millis(org.created_at))
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "id"))?;
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        sqlx::query("SELECT id, name, kind, created_at FROM organizations WHERE id = ?")
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.read().await?)
            .await?
            .as_ref()
            .map(org_from_row)
            .transpose()
    }

    async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
        // The whole list as one row: sqlx hands every row over from SQLite's
        // worker thread, a context switch each, and a national program's
        // hundred organizations are on every case page's release form.
        let json: String = sqlx::query_scalar(
            "SELECT json_group_array(json_array(hex(id), name, kind, created_at) ORDER BY name, id)
             FROM organizations",
        )
        .fetch_one(&mut *self.read().await?)
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

    async fn create_user(&self, user: &User, audit: &AuditEntry) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        sqlx::query(
            "INSERT INTO users (id, organization_id, login, display_name, password_hash, disabled, created_at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(user.id.as_uuid())
        .bind(user.organization_id.as_uuid())
        .bind(user.login.as_str())
        .bind(&user.display_name)
        .bind(&user.password_hash)
        .bind(user.disabled)
        .bind(to_millis(user.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "login"))?;
        for role in &user.roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES (?, ?)")
                .bind(user.id.as_uuid())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::unique(e, "roles"))?;
        }
        insert_audit(&mut tx, audit).await?;
        let grantee = crate::Grantee {
            id: user.id,
            organization: user.organization_id,
            name: &user.display_name,
            roles: &user.roles,
        };
        record_grants(&mut tx, &grantee, &[], audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn user(&self, id: UserId) -> StoreResult<Option<User>> {
        sqlx::query(select_user!("u.id = ?"))
            .bind(id.as_uuid())
            .fetch_optional(&mut *self.read().await?)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn user_by_login(&self, login: &LoginName) -> StoreResult<Option<User>> {
        sqlx::query(select_user!("u.login = ?"))
            .bind(login.as_str())
            .fetch_optional(&mut *self.read().await?)
            .await?
            .as_ref()
            .map(user_from_row)
            .transpose()
    }

    async fn set_password_hash(&self, id: UserId, phc: &str) -> StoreResult<()> {
        let done = sqlx::query("UPDATE users SET password_hash = ? WHERE id = ?")
            .bind(phc)
            .bind(id.as_uuid())
            .execute(&mut *self.write().await?)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn update_user_access(
        &self,
        id: UserId,
        roles: &[Role],
        disabled: bool,
        audit: &AuditEntry,
    ) -> StoreResult<()> {
        let mut guard = self.write().await?;
        let mut tx = guard.begin().await?;
        let before = user_access(&mut tx, id).await?;
        let done = sqlx::query("UPDATE users SET disabled = ? WHERE id = ?")
            .bind(disabled)
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query("DELETE FROM user_roles WHERE user_id = ?")
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        for role in roles {
            sqlx::query("INSERT INTO user_roles (user_id, role) VALUES (?, ?)")
                .bind(id.as_uuid())
                .bind(role.as_str())
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::unique(e, "roles"))?;
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = ?")
                .bind(id.as_uuid())
                .execute(&mut *tx)
                .await?;
        }
        if let Some((old, org, name)) = before {
            let grantee = crate::Grantee {
                id,
                organization: org,
                name: &name,
                roles,
            };
            record_grants(&mut tx, &grantee, &old, audit).await?;
        }
        insert_audit(&mut tx, audit).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn role_grants(
        &self,
        organization: OrganizationId,
        limit: u32,
    ) -> StoreResult<Vec<crate::RoleGrant>> {
        sqlx::query(
            "SELECT user_id, role, granted_by, granted_at FROM role_grants
             WHERE organization_id = ? ORDER BY granted_at DESC, id DESC LIMIT ?",
        )
        .bind(organization.as_uuid())
        .bind(i64::from(limit))
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(|r| {
            Ok(crate::RoleGrant {
                user: UserId::from_uuid(r.try_get("user_id")?),
                role: Role::parse(r.try_get("role")?)
                    .ok_or(StoreError::Corrupt("role_grants.role"))?,
                granted_by: r
                    .try_get::<Option<Uuid>, _>("granted_by")?
                    .map(UserId::from_uuid),
                granted_at: from_millis(r.try_get("granted_at")?, "role_grants.granted_at")?,
            })
        })
        .collect()
    }

    async fn list_users(&self, scope: UserScope) -> StoreResult<Vec<(User, bool)>> {
        let (by_org, id) = match scope {
            UserScope::Organization(org) => (true, *org.as_uuid()),
            UserScope::Own(user) => (false, *user.as_uuid()),
        };
        let sql = if by_org {
            list_users!("u.organization_id = ?")
        } else {
            list_users!("u.id = ?")
        };
        sqlx::query(sql)
            .bind(id)
            .fetch_all(&mut *self.read().await?)
            .await?
            .iter()
            .map(|row| Ok((user_from_row(row)?, row.try_get::<bool, _>("mfa_on")?)))
            .collect()
    }

    async fn partner_staff(&self) -> StoreResult<Vec<User>> {
        sqlx::query(list_users!(
            "NOT u.disabled AND u.organization_id IN (SELECT id FROM organizations WHERE kind = 'law_enforcement') \
             AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id \
                         AND r.role IN ('law_enforcement_agent', 'forensic_interviewer'))"
        ))
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let json = ids_json(ids)?;
        sqlx::query(list_users!(
            "u.id IN (SELECT unhex(value) FROM json_each(?))"
        ))
        .bind(json)
        .fetch_all(&mut *self.read().await?)
        .await?
        .iter()
        .map(user_from_row)
        .collect()
    }

    async fn display_names(
        &self,
        ids: &[UserId],
    ) -> StoreResult<std::collections::HashMap<UserId, String>> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let json = ids_json(ids)?;
        let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as(
            "SELECT id, display_name FROM users WHERE id IN (SELECT unhex(value) FROM json_each(?))",
        )
        .bind(json)
        .fetch_all(&mut *self.read().await?)
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| (UserId::from_uuid(id), name))
            .collect())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(&mut *self.read().await?)
            .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("users"))
    }
}

/// Ids as a JSON array of hex strings, for `unhex(value) FROM json_each(?)`.
fn ids_json(ids: &[UserId]) -> StoreResult<String> {
    let hex: Vec<String> = ids
        .iter()
        .map(|u| u.as_uuid().simple().to_string())
        .collect();
    serde_json::to_string(&hex).map_err(|_| StoreError::Corrupt("user ids"))
}

/// Records each role of `user` that sees personal data and `before` lacked:
/// the grant, a message to every other supervisor of the organization, and
/// an audit entry, in the caller's transaction.
async fn record_grants(
    conn: &mut SqliteConnection,
    user: &crate::Grantee<'_>,
    before: &[Role],
    audit: &AuditEntry,
) -> StoreResult<()> {
    let at = haven_domain::whole_millis(audit.at);
    for role in crate::granted_roles(before, user.roles) {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO role_grants (id, user_id, organization_id, role, granted_by, granted_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(user.id.as_uuid())
        .bind(user.organization.as_uuid())
        .bind(role.as_str())
        .bind(audit.actor_user.map(|u| *u.as_uuid()))
        .bind(to_millis(at))
        .execute(&mut *conn)
        .await?;
        sqlx::query("INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT randomblob(16), 'role-grant:' || hex(?1) || ':' || hex(u.id), 'role_granted', u.id, NULL,
                    ?2, 'pending', ?3, ?3
             FROM users u JOIN user_roles r ON r.user_id = u.id
             WHERE u.organization_id = ?4 AND r.role = 'supervisor' AND u.disabled = 0 AND u.id <> ?5
             ON CONFLICT (dedupe_key) DO NOTHING")
            .bind(id)
            .bind(crate::grant_payload(user, role))
            .bind(to_millis(at))
            .bind(user.organization.as_uuid())
            .bind(user.id.as_uuid())
            .execute(&mut *conn)
            .await?;
        let entry = AuditEntry {
            action: AuditAction::RoleGranted,
            resource_kind: Some("user"),
            resource_id: Some(user.id.to_string()),
            ..audit.clone()
        };
        insert_audit(&mut *conn, &entry).await?;
    }
    Ok(())
}

/// The roles, organization and name of an account, read in a transaction.
async fn user_access(
    conn: &mut SqliteConnection,
    id: UserId,
) -> StoreResult<Option<(Vec<Role>, OrganizationId, String)>> {
    let Some(row) = sqlx::query("SELECT organization_id, display_name FROM users WHERE id = ?")
        .bind(id.as_uuid())
        .fetch_optional(&mut *conn)
        .await?
    else {
        return Ok(None);
    };
    let roles: Vec<String> = sqlx::query_scalar("SELECT role FROM user_roles WHERE user_id = ?")
        .bind(id.as_uuid())
        .fetch_all(&mut *conn)
        .await?;
    Ok(Some((
        roles.iter().filter_map(|r| Role::parse(r)).collect(),
        OrganizationId::from_uuid(row.try_get("organization_id")?),
        row.try_get("display_name")?,
    )))
}
