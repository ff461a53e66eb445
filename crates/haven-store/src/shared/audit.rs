use super::{DbConn, Store};
use crate::backend::row::Columns;
use crate::{AuditRow, AuditStore, ChainHasher, Seal, StoreError, StoreResult};
use async_trait::async_trait;
use haven_domain::{AuditEntry, OrganizationId, UserId};
use sqlx::Row;
use uuid::Uuid;

/// The chain's head, read inside the transaction that holds the chain: a
/// statement of its own, so its snapshot includes what the chain's last
/// holder committed.
async fn chain_head(conn: &mut DbConn) -> StoreResult<Option<(i64, Vec<u8>)>> {
    let row = sqlx::query(
        "SELECT chain_seq, hash FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
    )
    .fetch_optional(conn)
    .await?;
    row.map(|r| Ok((r.try_get("chain_seq")?, r.try_get::<Vec<u8>, _>("hash")?)))
        .transpose()
}

/// The chain's head, refused when it is behind or differs from the head this
/// process knows (see [`ChainHasher::known_head`]).
async fn guarded_head(
    conn: &mut DbConn,
    chain: &dyn ChainHasher,
) -> StoreResult<Option<(i64, Vec<u8>)>> {
    let head = chain_head(conn).await?;
    let known = chain.known_head();
    let at_known = match (known, &head) {
        (Some((kseq, _)), Some((seq, _))) if *seq > kseq => Some(
            sqlx::query_scalar::<_, Vec<u8>>(sql!(
                "SELECT hash FROM audit_log WHERE chain_seq = $1"
            ))
            .bind(kseq)
            .fetch_optional(&mut *conn)
            .await?
            .unwrap_or_default(),
        ),
        _ => None,
    };
    crate::check_known_head(head.as_ref(), known, at_known.as_deref())?;
    Ok(head)
}

macro_rules! audit_select {
    ($rest:literal) => {
        sql!(concat!(
            "SELECT id, at, actor_user, actor_org, action, resource_kind, resource_id, request_id, \
             chain_seq, prev_hash, hash FROM audit_log ",
            $rest
        ))
    };
}

fn audit_row(row: &impl Columns) -> StoreResult<AuditRow> {
    Ok(AuditRow {
        id: row.col("id")?,
        at: row.col("at")?,
        actor_user: row
            .col::<Option<Uuid>>("actor_user")?
            .map(UserId::from_uuid),
        actor_org: row
            .col::<Option<Uuid>>("actor_org")?
            .map(OrganizationId::from_uuid),
        action: row.col("action")?,
        resource_kind: row.col("resource_kind")?,
        resource_id: row.col("resource_id")?,
        request_id: row.col("request_id")?,
        chain_seq: row.col("chain_seq")?,
        prev_hash: row.col("prev_hash")?,
        hash: row.col("hash")?,
    })
}

/// Tells the chain what was committed, once it is.
fn committed(chain: &dyn ChainHasher, seals: &[Seal]) {
    if let Some(last) = seals.last() {
        chain.committed(last.chain_seq, last.hash);
    }
}

#[async_trait]
impl AuditStore for Store {
    async fn append_audit(&self, entries: &[AuditEntry]) -> StoreResult<()> {
        append_unchained(self, entries).await
    }

    async fn unsealed_audit(&self, limit: u32) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE chain_seq IS NULL ORDER BY id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(audit_reader!(self))
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn append_chained_audit(
        &self,
        entries: &[AuditEntry],
        chain: &dyn ChainHasher,
    ) -> StoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let rows: Vec<AuditRow> = entries.iter().map(crate::entry_row).collect();
        chain_tx!(self, tx);
        let seals = crate::chain_after(guarded_head(&mut tx, chain).await?, &rows, chain)?;
        insert_rows(&mut tx, &rows, Some(&seals)).await?;
        tx.commit().await?;
        committed(chain, &seals);
        Ok(())
    }

    async fn seal_pending_audit(&self, limit: u32, chain: &dyn ChainHasher) -> StoreResult<u64> {
        chain_tx!(self, tx);
        let rows = sqlx::query(audit_select!(
            "WHERE chain_seq IS NULL ORDER BY id LIMIT $1"
        ))
        .bind(i64::from(limit))
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(audit_row)
        .collect::<StoreResult<Vec<_>>>()?;
        if rows.is_empty() {
            // Let go of the chain now, not when the connection is next used.
            tx.rollback().await?;
            return Ok(0);
        }
        let seals = crate::chain_after(guarded_head(&mut tx, chain).await?, &rows, chain)?;
        // The chain was held throughout: only a writer that ignored it could
        // have sealed them.
        if seal_rows(&mut tx, &seals).await? != seals.len() as u64 {
            return Err(StoreError::Conflict { field: "chain_seq" });
        }
        tx.commit().await?;
        committed(chain, &seals);
        Ok(seals.len() as u64)
    }

    async fn sealed_audit_after(&self, after: i64, limit: u32) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2"
        ))
        .bind(after)
        .bind(i64::from(limit))
        .fetch_all(audit_reader!(self))
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    // The repeated `resource_kind <> 'case_list'` is the resource index's
    // predicate: a query must state it for the planner to use that index.
    async fn audit_for_resource(
        &self,
        kind: &str,
        id: &str,
        limit: u32,
    ) -> StoreResult<Vec<AuditRow>> {
        sqlx::query(audit_select!(
            "WHERE resource_kind = $1 AND resource_kind <> 'case_list' AND resource_id = $2 ORDER BY at DESC, id DESC LIMIT $3"
        ))
        .bind(kind)
        .bind(id)
        .bind(i64::from(limit))
        .fetch_all(audit_reader!(self))
        .await?
        .iter()
        .map(audit_row)
        .collect()
    }

    async fn count_unsealed_audit(&self) -> StoreResult<u64> {
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_log WHERE chain_seq IS NULL")
            .fetch_one(audit_reader!(self))
            .await?;
        u64::try_from(n).map_err(|_| StoreError::Corrupt("audit_log"))
    }
}
