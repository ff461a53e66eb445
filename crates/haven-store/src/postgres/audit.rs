//! The audit log on PostgreSQL: the code is `shared/audit.rs`; how entries
//! are written (one statement per batch) and sealed (under an advisory lock
//! that every instance takes) is here.

/// Inserts one audit entry on `conn`: callers pass their transaction so the
/// entry commits or rolls back with the action it records.
pub(crate) async fn insert_audit(conn: &mut DbConn, e: &AuditEntry) -> StoreResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user, actor_org, action, resource_kind, resource_id, request_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(e.at)
    .bind(e.actor_user.map(|u| *u.as_uuid()))
    .bind(e.actor_org.map(|o| *o.as_uuid()))
    .bind(e.action.as_str())
    .bind(e.resource_kind)
    .bind(e.resource_id.as_deref())
    .bind(e.request_id.as_deref())
    .execute(conn)
    .await?;
    Ok(())
}

/// Inserts a batch in one statement (atomic without a transaction around
/// it), ids in the batch's order: chained with `seals`, or unchained.
async fn insert_rows(
    conn: &mut DbConn,
    rows: &[AuditRow],
    seals: Option<&[Seal]>,
) -> StoreResult<()> {
    let seal = |i: usize| seals.and_then(|s| s.get(i));
    sqlx::query(
        "INSERT INTO audit_log (at, actor_user, actor_org, action, resource_kind, resource_id, request_id,
                                chain_seq, prev_hash, hash)
         SELECT at, actor_user, actor_org, action, resource_kind, resource_id, request_id, seq, prev, hash
         FROM UNNEST($1::timestamptz[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::bigint[], $9::bytea[], $10::bytea[])
              WITH ORDINALITY AS e (at, actor_user, actor_org, action, resource_kind, resource_id, request_id,
                                    seq, prev, hash, n)
         ORDER BY n",
    )
    .bind(rows.iter().map(|r| r.at).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.actor_user.map(|u| *u.as_uuid())).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.actor_org.map(|o| *o.as_uuid())).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.action.as_str()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.resource_kind.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.resource_id.as_deref()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.request_id.as_deref()).collect::<Vec<_>>())
    .bind((0..rows.len()).map(|i| seal(i).map(|s| s.chain_seq)).collect::<Vec<_>>())
    .bind((0..rows.len()).map(|i| seal(i).map(|s| &s.prev_hash[..])).collect::<Vec<_>>())
    .bind((0..rows.len()).map(|i| seal(i).map(|s| &s.hash[..])).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(())
}

/// A transaction holding the chain: whoever extends it holds this
/// transaction-scoped advisory lock (0x6861_7665_6e41_7564, "havenAud"), on
/// every instance sharing the database. `BEGIN` and the lock in one round
/// trip.
async fn begin_chain(store: &Store) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
    Ok(store
        .pool()
        .begin_with("BEGIN; SELECT pg_advisory_xact_lock(7521423030698997092)")
        .await?)
}

/// One statement for the whole batch: one round trip instead of one per
/// entry plus two.
async fn append_unchained(store: &Store, entries: &[AuditEntry]) -> StoreResult<()> {
    match entries {
        [] => Ok(()),
        [e] => insert_audit(&mut *store.pool().acquire().await?, e).await,
        _ => {
            let rows: Vec<AuditRow> = entries.iter().map(crate::entry_row).collect();
            insert_rows(&mut *store.pool().acquire().await?, &rows, None).await
        }
    }
}

/// A transaction that holds the chain (see [`begin_chain`]).
macro_rules! chain_tx {
    ($store:expr, $tx:ident) => {
        let mut $tx = begin_chain($store).await?;
    };
}

/// The audit log's reader: the pool.
macro_rules! audit_reader {
    ($store:expr) => {
        $store.pool()
    };
}

/// Seals the batch's entries in one statement (a statement per entry cost
/// as much as the entry); how many it sealed. "Unsealed" is written as
/// coalesce(chain_seq, 0) = 0 (sequence numbers start at 1) so that the
/// planner walks the batch's ids by primary key instead of every unsealed
/// entry for each of them.
async fn seal_rows(conn: &mut DbConn, seals: &[Seal]) -> StoreResult<u64> {
    let done = sqlx::query(
        "UPDATE audit_log a SET chain_seq = s.seq, prev_hash = s.prev, hash = s.hash
           FROM UNNEST($1::bigint[], $2::bigint[], $3::bytea[], $4::bytea[]) AS s(id, seq, prev, hash)
          WHERE a.id = s.id AND coalesce(a.chain_seq, 0) = 0",
    )
    .bind(seals.iter().map(|s| s.id).collect::<Vec<_>>())
    .bind(seals.iter().map(|s| s.chain_seq).collect::<Vec<_>>())
    .bind(seals.iter().map(|s| &s.prev_hash[..]).collect::<Vec<_>>())
    .bind(seals.iter().map(|s| &s.hash[..]).collect::<Vec<_>>())
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

include!("../shared/audit.rs");
