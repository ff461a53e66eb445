use super::audit::insert_audit;
use super::record::ts;
use super::rows::rows_of;
use super::rows::{commit_audited, count_of, row_by, rows_by};
use super::{DbConn, DbRow, Store};
use crate::backend::row::Columns;
use crate::{PeopleStore, StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::policy::UserScope;
use haven_domain::{
    AuditAction, AuditEntry, LoginName, OrgKind, Organization, OrganizationId, Role, User, UserId,
};
use sqlx::Row;
use uuid::Uuid;

/// A user with their roles, from `users u`.
macro_rules! user_columns {
    () => {
        concat!(
            "SELECT u.id, u.organization_id, u.login, u.display_name, u.password_hash, \
             u.disabled, u.created_at, \
             (SELECT ",
            string_agg!(),
            "(role, ',') FROM user_roles r WHERE r.user_id = u.id) AS roles"
        )
    };
}

/// Users for the administrator's lists: with whether their second factor is on.
macro_rules! list_users {
    ($where:expr) => {
        concat!(
            user_columns!(),
            ", EXISTS (SELECT 1 FROM user_mfa m WHERE m.user_id = u.id AND m.enabled_at IS NOT NULL) AS mfa_on \
             FROM users u WHERE ",
            $where,
            " ORDER BY u.display_name, u.id"
        )
    };
}

macro_rules! select_user {
    ($where:expr) => {
        concat!(user_columns!(), " FROM users u WHERE ", $where)
    };
}

pub(super) fn org_from_row(row: &DbRow) -> StoreResult<Organization> {
    Ok(Organization {
        id: OrganizationId::from_uuid(row.try_get("id")?),
        name: row.try_get("name")?,
        kind: OrgKind::parse(row.try_get("kind")?)
            .ok_or(StoreError::Corrupt("organizations.kind"))?,
        created_at: row.col("created_at")?,
    })
}

pub(super) fn user_from_row(row: &DbRow) -> StoreResult<User> {
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
        created_at: row.col("created_at")?,
    })
}

#[async_trait]
impl PeopleStore for Store {
    async fn create_organization(&self, org: &Organization, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!(
            "INSERT INTO organizations (id, name, kind, created_at) VALUES ($1, $2, $3, $4)"
        ))
        .bind(org.id.as_uuid())
        .bind(&org.name)
        .bind(org.kind.as_str())
        .bind(ts(org.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "id"))?;
        commit_audited(tx, audit).await
    }

    async fn organization(&self, id: OrganizationId) -> StoreResult<Option<Organization>> {
        let sql = sql!("SELECT id, name, kind, created_at FROM organizations WHERE id = $1");
        row_by(self, sql, id.as_uuid(), org_from_row).await
    }

    async fn list_organizations(&self) -> StoreResult<Vec<Organization>> {
        all_organizations(self).await
    }

    async fn create_user(&self, user: &User, audit: &AuditEntry) -> StoreResult<()> {
        write_tx!(self, tx);
        sqlx::query(sql!("INSERT INTO users (id, organization_id, login, display_name, password_hash, disabled, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)"))
        .bind(user.id.as_uuid())
        .bind(user.organization_id.as_uuid())
        .bind(user.login.as_str())
        .bind(&user.display_name)
        .bind(&user.password_hash)
        .bind(user.disabled)
        .bind(ts(user.created_at))
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::unique(e, "login"))?;
        for role in &user.roles {
            sqlx::query(sql!(
                "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)"
            ))
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
        let sql = sql!(select_user!("u.id = $1"));
        row_by(self, sql, id.as_uuid(), user_from_row).await
    }

    async fn user_by_login(&self, login: &LoginName) -> StoreResult<Option<User>> {
        let sql = sql!(select_user!("u.login = $1"));
        row_by(self, sql, login.as_str(), user_from_row).await
    }

    async fn set_password_hash(&self, id: UserId, phc: &str) -> StoreResult<()> {
        let done = sqlx::query(sql!("UPDATE users SET password_hash = $1 WHERE id = $2"))
            .bind(phc)
            .bind(id.as_uuid())
            .execute(writer!(self))
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
        write_tx!(self, tx);
        let before = user_access(&mut tx, id).await?;
        let done = sqlx::query(sql!("UPDATE users SET disabled = $1 WHERE id = $2"))
            .bind(disabled)
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        sqlx::query(sql!("DELETE FROM user_roles WHERE user_id = $1"))
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
        for role in roles {
            sqlx::query(sql!(
                "INSERT INTO user_roles (user_id, role) VALUES ($1, $2)"
            ))
            .bind(id.as_uuid())
            .bind(role.as_str())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::unique(e, "roles"))?;
        }
        if disabled {
            sqlx::query(sql!("DELETE FROM sessions WHERE user_id = $1"))
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
        commit_audited(tx, audit).await
    }

    async fn role_grants(
        &self,
        organization: OrganizationId,
        limit: u32,
    ) -> StoreResult<Vec<crate::RoleGrant>> {
        sqlx::query(sql!(
            "SELECT user_id, role, granted_by, granted_at FROM role_grants
             WHERE organization_id = $1 ORDER BY granted_at DESC, id DESC LIMIT $2"
        ))
        .bind(organization.as_uuid())
        .bind(i64::from(limit))
        .fetch_all(reader!(self))
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
                granted_at: r.col("granted_at")?,
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
            sql!(list_users!("u.organization_id = $1"))
        } else {
            sql!(list_users!("u.id = $1"))
        };
        sqlx::query(sql)
            .bind(id)
            .fetch_all(reader!(self))
            .await?
            .iter()
            .map(|row| Ok((user_from_row(row)?, row.try_get::<bool, _>("mfa_on")?)))
            .collect()
    }

    async fn partner_staff(&self) -> StoreResult<Vec<User>> {
        let q = sqlx::query(sql!(list_users!(
            "NOT u.disabled AND u.organization_id IN (SELECT id FROM organizations WHERE kind = 'law_enforcement') \
             AND EXISTS (SELECT 1 FROM user_roles r WHERE r.user_id = u.id \
                         AND r.role IN ('law_enforcement_agent', 'forensic_interviewer'))"
        )));
        rows_of(self, q, user_from_row).await
    }

    async fn users_by_ids(&self, ids: &[UserId]) -> StoreResult<Vec<User>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = sql!(list_users!(concat!("u.id ", in_ids!())));
        rows_by(self, sql, super::id_list(ids)?, user_from_row).await
    }

    async fn display_names(
        &self,
        ids: &[UserId],
    ) -> StoreResult<std::collections::HashMap<UserId, String>> {
        if ids.is_empty() {
            return Ok(std::collections::HashMap::new());
        }
        let rows: Vec<(uuid::Uuid, String)> = sqlx::query_as(sql!(concat!(
            "SELECT id, display_name FROM users WHERE id ",
            in_ids!()
        )))
        .bind(super::id_list(ids)?)
        .fetch_all(reader!(self))
        .await?;
        Ok(rows
            .into_iter()
            .map(|(id, name)| (UserId::from_uuid(id), name))
            .collect())
    }

    async fn count_users(&self) -> StoreResult<u64> {
        count_of(self, sqlx::query(sql!("SELECT count(*) FROM users"))).await
    }
}

/// Records each role of `user` that sees personal data and `before` lacked:
/// the grant, a message to every other supervisor of the organization, and
/// an audit entry, in the caller's transaction.
async fn record_grants(
    conn: &mut DbConn,
    user: &crate::Grantee<'_>,
    before: &[Role],
    audit: &AuditEntry,
) -> StoreResult<()> {
    let at = haven_domain::whole_millis(audit.at);
    for role in crate::granted_roles(before, user.roles) {
        let id = Uuid::now_v7();
        sqlx::query(sql!(
            "INSERT INTO role_grants (id, user_id, organization_id, role, granted_by, granted_at)
             VALUES ($1, $2, $3, $4, $5, $6)"
        ))
        .bind(id)
        .bind(user.id.as_uuid())
        .bind(user.organization.as_uuid())
        .bind(role.as_str())
        .bind(audit.actor_user.map(|u| *u.as_uuid()))
        .bind(ts(at))
        .execute(&mut *conn)
        .await?;
        sqlx::query(sql!(QUEUE_GRANT_NOTICES))
            .bind(id)
            .bind(crate::grant_payload(user, role))
            .bind(ts(at))
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
    conn: &mut DbConn,
    id: UserId,
) -> StoreResult<Option<(Vec<Role>, OrganizationId, String)>> {
    let Some(row) = sqlx::query(sql!(
        "SELECT organization_id, display_name FROM users WHERE id = $1"
    ))
    .bind(id.as_uuid())
    .fetch_optional(&mut *conn)
    .await?
    else {
        return Ok(None);
    };
    let roles: Vec<String> =
        sqlx::query_scalar(sql!("SELECT role FROM user_roles WHERE user_id = $1"))
            .bind(id.as_uuid())
            .fetch_all(&mut *conn)
            .await?;
    Ok(Some((
        roles.iter().filter_map(|r| Role::parse(r)).collect(),
        OrganizationId::from_uuid(row.try_get("organization_id")?),
        row.try_get("display_name")?,
    )))
}
