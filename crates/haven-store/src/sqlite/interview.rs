//! Interviews, files, deliveries, opt-outs and templates on SQLite: the code
//! is `shared/interview.rs`.

/// One writer: the check and the booking cannot interleave with another
/// schedule.
async fn lock_resources(_tx: &mut Transaction<'_, Db>, _keys: Vec<&String>) -> StoreResult<()> {
    Ok(())
}

include!("../shared/interview.rs");
