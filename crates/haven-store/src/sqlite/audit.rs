//! The audit log on SQLite: the code is `shared/audit.rs`; how entries are
//! written and sealed (one writer connection, the chain under its write
//! lock) is here.

use super::to_millis;

/// Inserts one audit entry on `conn`: callers pass their transaction so the
/// entry commits or rolls back with the action it records.
pub(crate) async fn insert_audit(conn: &mut DbConn, e: &AuditEntry) -> StoreResult<()> {
    insert_row(conn, &crate::entry_row(e), None).await
}

/// Inserts one row, chained with `seal` or unchained.
async fn insert_row(conn: &mut DbConn, row: &AuditRow, seal: Option<&Seal>) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user, actor_org, action, resource_kind, resource_id, request_id,
                                chain_seq, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_millis(row.at))
    .bind(row.actor_user.map(|u| *u.as_uuid()))
    .bind(row.actor_org.map(|o| *o.as_uuid()))
    .bind(row.action.as_str())
    .bind(row.resource_kind.as_deref())
    .bind(row.resource_id.as_deref())
    .bind(row.request_id.as_deref())
    .bind(seal.map(|s| s.chain_seq))
    .bind(seal.map(|s| &s.prev_hash[..]))
    .bind(seal.map(|s| &s.hash[..]))
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts rows one by one on `conn`: chained with `seals`, or unchained.
async fn insert_rows(
    conn: &mut DbConn,
    rows: &[AuditRow],
    seals: Option<&[Seal]>,
) -> StoreResult<()> {
    for (i, row) in rows.iter().enumerate() {
        insert_row(conn, row, seals.and_then(|s| s.get(i))).await?;
    }
    Ok(())
}

/// Unchained entries, in one transaction on the audit writer.
async fn append_unchained(store: &Store, entries: &[AuditEntry]) -> StoreResult<()> {
    let mut guard = store.write_audit().await?;
    let mut tx = guard.begin().await?;
    for e in entries {
        insert_audit(&mut tx, e).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// A transaction that holds the chain: the audit writer's, under the write
/// lock, so nobody else can extend or seal the chain meanwhile.
macro_rules! chain_tx {
    ($store:expr, $tx:ident) => {
        let mut guard = $store.write_audit().await?;
        let mut $tx = guard.begin_chain().await?;
    };
}

/// The audit log's reader: a snapshot that sees every entry.
macro_rules! audit_reader {
    ($store:expr) => {
        &mut *$store.read_audit().await?
    };
}

/// Seals the batch's entries in one statement (a statement per entry cost
/// as much as the entry); how many it sealed. `+chain_seq` keeps the
/// planner off the chain_seq index (every unsealed entry) and on the
/// batch's ids.
async fn seal_rows(conn: &mut DbConn, seals: &[Seal]) -> StoreResult<u64> {
    let batch: Vec<serde_json::Value> = seals
        .iter()
        .map(|s| {
            serde_json::json!([
                s.id,
                s.chain_seq,
                super::hex_json(&s.prev_hash),
                super::hex_json(&s.hash)
            ])
        })
        .collect();
    let done = sqlx::query(
        "UPDATE audit_log SET chain_seq = s.seq, prev_hash = unhex(s.prev), hash = unhex(s.hash)
           FROM (SELECT value ->> 0 AS id, value ->> 1 AS seq, value ->> 2 AS prev, value ->> 3 AS hash
                   FROM json_each(?)) AS s
          WHERE audit_log.id = s.id AND +audit_log.chain_seq IS NULL",
    )
    .bind(serde_json::Value::Array(batch).to_string())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

include!("../shared/audit.rs");
