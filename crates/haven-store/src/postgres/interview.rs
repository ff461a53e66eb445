//! Interviews, files, deliveries, opt-outs and templates on PostgreSQL: the
//! code is `shared/interview.rs`; the schedule's locks are here.

/// Each resource's lock (taken in a fixed order) serializes the check and
/// the booking against another schedule of it.
async fn lock_resources(tx: &mut Transaction<'_, Db>, mut keys: Vec<&String>) -> StoreResult<()> {
    keys.sort();
    for k in keys {
        sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 7))")
            .bind(k)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

include!("../shared/interview.rs");
