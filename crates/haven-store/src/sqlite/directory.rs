//! The directory and referrals on SQLite: the code is
//! `shared/directory.rs`; the search (FTS5) and the bulk import (JSON
//! arrays through `json_each`) differ and are here.

use serde_json::{Value, json};

// The search's filters, shared by its four shapes. ?1 needs, ?2 populations,
// ?3 funding (every bit), ?4 ' code ' or '', ?5 age or -1, ?6 capacity only,
// ?7 limit, ?8 FTS query, ?9-?12 the box, ?13 directory organization or NULL.
macro_rules! search_filter {
    () => {
        " s.status = 'active' AND (s.needs & ?1) = ?1 AND (s.populations & ?2) = ?2 AND (s.funding & ?3) = ?3
          AND (?4 = '' OR instr(s.languages, ?4) > 0)
          AND (?5 < 0 OR ((s.minimum_age IS NULL OR s.minimum_age <= ?5) AND (s.maximum_age IS NULL OR s.maximum_age >= ?5)))
          AND (NOT ?6 OR s.capacity_available > 0)
          AND (?13 IS NULL OR s.organization_id = ?13) "
    };
}
macro_rules! search_columns {
    () => {
        "SELECT s.id, s.organization_id, o.haven_org_id, o.name AS organization_name, s.name, s.languages, s.needs, s.capacity_available, s.hours, "
    };
}

const SEARCH_PLAIN: &str = concat!(
    search_columns!(),
    "0.0 AS relevance, NULL AS latitude, NULL AS longitude, FALSE AS confidential
     FROM directory_services s LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE ?8 = '' AND ?9 IS NULL AND ",
    search_filter!(),
    " ORDER BY s.name, s.id LIMIT ?7"
);
const SEARCH_WORDS: &str = concat!(
    search_columns!(),
    "f.score AS relevance, NULL AS latitude, NULL AS longitude, FALSE AS confidential
     FROM (SELECT rowid AS rid, -bm25(directory_search, 10.0, 1.0) AS score FROM directory_search WHERE directory_search MATCH ?8) f
     JOIN directory_services s ON s.rowid = f.rid
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE ?9 IS NULL AND ",
    search_filter!(),
    " ORDER BY f.score DESC, s.name LIMIT ?7"
);
const SEARCH_NEAR: &str = concat!(
    search_columns!(),
    "0.0 AS relevance, sl.latitude, sl.longitude,
            (SELECT l.confidential FROM directory_locations l WHERE l.id = sl.location_id) AS confidential
     FROM directory_service_locations sl
     JOIN directory_services s ON s.id = sl.service_id
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE ?8 = '' AND sl.latitude BETWEEN ?9 AND ?10 AND sl.longitude BETWEEN ?11 AND ?12 AND ",
    search_filter!(),
    " LIMIT ?7"
);
/// Words near a place: the box and the words both narrow the rows here, so
/// the limit counts matches, never candidates (a dense city holds more
/// places than any limit); the folded text comes along so the service
/// scores near-place results the same way on both databases.
const SEARCH_WORDS_NEAR: &str = concat!(
    search_columns!(),
    "0.0 AS relevance, sl.latitude, sl.longitude,
            (SELECT l.confidential FROM directory_locations l WHERE l.id = sl.location_id) AS confidential,
            f.name AS name_text, f.body AS body_text
     FROM directory_service_locations sl
     JOIN directory_services s ON s.id = sl.service_id
     JOIN directory_search f ON f.rowid = s.rowid
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE ?8 <> '' AND sl.latitude BETWEEN ?9 AND ?10 AND sl.longitude BETWEEN ?11 AND ?12
       AND s.rowid IN (SELECT rowid FROM directory_search WHERE directory_search MATCH ?8) AND ",
    search_filter!(),
    " LIMIT ?7"
);

/// Each word a quoted prefix: the words are letters and digits only, so
/// nothing in a query is read as FTS5 syntax.
fn fts_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("\"{w}\"*"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A reminder to the sender of each referral unanswered since ?1.
const REFERRAL_OVERDUE_TO_SENDER: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT randomblob(16), 'referral-overdue:' || hex(r.id) || ':' || hex(r.sent_by), 'referral_overdue',
                    r.sent_by, r.case_id, json_object('referral', lower(hex(r.id)), 'need', r.need, 'side', 'sender'),
                    'pending', ?2, ?2
             FROM referrals r WHERE r.status = 'sent' AND r.reminded_at IS NULL AND r.sent_at < ?1
             ON CONFLICT (dedupe_key) DO NOTHING";

/// A reminder to the receiving organization's staff; they get no case id:
/// the case is not theirs to open.
const REFERRAL_OVERDUE_TO_PROVIDER: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT randomblob(16), 'referral-overdue:' || hex(r.id) || ':' || hex(u.id), 'referral_overdue',
                    u.id, NULL, json_object('referral', lower(hex(r.id)), 'need', r.need, 'side', 'provider'),
                    'pending', ?2, ?2
             FROM referrals r JOIN users u ON u.organization_id = r.to_org AND NOT u.disabled
             WHERE r.status = 'sent' AND r.reminded_at IS NULL AND r.sent_at < ?1
               AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role IN ('provider_staff', 'supervisor'))
             ON CONFLICT (dedupe_key) DO NOTHING";

/// Rows per bulk statement.
const BULK: usize = 2_000;

use super::hex_json as hex;

/// Upserts services with their search text and places: one statement per
/// table for the whole chunk (`json_each`), not one per row.
async fn write_services(
    tx: &mut Transaction<'_, Db>,
    services: &[DirServiceRow],
) -> StoreResult<()> {
    let mut rows = Vec::with_capacity(services.len());
    let mut texts = Vec::with_capacity(services.len());
    let mut places = Vec::new();
    for s in services {
        let id = hex(s.id.as_uuid().as_bytes());
        rows.push(json!([
            id,
            s.organization.map(|o| hex(o.as_bytes())),
            s.name,
            s.status,
            s.needs,
            s.populations,
            s.funding,
            languages_column(&s.languages),
            s.minimum_age,
            s.maximum_age,
            s.capacity_available,
            s.hours,
            s.record,
            ts(s.updated_at)
        ]));
        texts.push(json!([id, s.name_text, s.body_text]));
        for (sal, location) in &s.places {
            places.push(json!([hex(sal.as_bytes()), id, hex(location.as_bytes())]));
        }
    }
    let ids = Value::Array(texts).to_string();
    sqlx::query(
        "INSERT INTO directory_services (id, organization_id, name, status, needs, populations, funding, languages,
                minimum_age, maximum_age, capacity_available, hours, record, updated_at)
         SELECT unhex(value->>0), unhex(value->>1), value->>2, value->>3, value->>4, value->>5, value->>6,
                value->>7, value->>8, value->>9, value->>10, value->>11, value->>12, value->>13
         FROM json_each(?) WHERE true
         ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, name = excluded.name,
                status = excluded.status, needs = excluded.needs, populations = excluded.populations,
                funding = excluded.funding, languages = excluded.languages, minimum_age = excluded.minimum_age,
                maximum_age = excluded.maximum_age, capacity_available = excluded.capacity_available,
                hours = excluded.hours, record = excluded.record, updated_at = excluded.updated_at",
    )
    .bind(Value::Array(rows).to_string())
    .execute(&mut **tx)
    .await?;
    // The search index follows (rowid = the service's rowid).
    sqlx::query(
        "DELETE FROM directory_search WHERE rowid IN
            (SELECT s.rowid FROM json_each(?) j JOIN directory_services s ON s.id = unhex(j.value->>0))",
    )
    .bind(&ids)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "INSERT INTO directory_search (rowid, name, body)
         SELECT s.rowid, j.value->>1, j.value->>2 FROM json_each(?) j JOIN directory_services s ON s.id = unhex(j.value->>0)",
    )
    .bind(&ids)
    .execute(&mut **tx)
    .await?;
    sqlx::query("DELETE FROM directory_service_locations WHERE service_id IN (SELECT unhex(value->>0) FROM json_each(?))")
        .bind(&ids)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO directory_service_locations (id, service_id, location_id, latitude, longitude)
         SELECT unhex(j.value->>0), unhex(j.value->>1), l.id, l.latitude, l.longitude
         FROM json_each(?) j JOIN directory_locations l ON l.id = unhex(j.value->>2) WHERE true
         ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id, location_id = excluded.location_id,
                latitude = excluded.latitude, longitude = excluded.longitude",
    )
    .bind(Value::Array(places).to_string())
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Which of these directory organizations and locations exist already.
async fn directory_known(
    store: &Store,
    organizations: &[Uuid],
    locations: &[Uuid],
) -> StoreResult<(BTreeSet<Uuid>, BTreeSet<Uuid>)> {
    let orgs = known_ids(
        store,
        "SELECT id FROM directory_organizations WHERE id IN (SELECT unhex(value) FROM json_each(?))",
        organizations,
    );
    let locs = known_ids(
        store,
        "SELECT id FROM directory_locations WHERE id IN (SELECT unhex(value) FROM json_each(?))",
        locations,
    );
    Ok((orgs.await?, locs.await?))
}

/// The ids `sql` finds among `ids`, asked 500 at a time (one JSON array of
/// hex strings a statement).
async fn known_ids(store: &Store, sql: &'static str, ids: &[Uuid]) -> StoreResult<BTreeSet<Uuid>> {
    let mut found = BTreeSet::new();
    for chunk in ids.chunks(500) {
        let hex: Vec<String> = chunk.iter().map(|u| u.simple().to_string()).collect();
        let list = serde_json::to_string(&hex).unwrap_or_default();
        for id in sqlx::query_scalar::<_, Uuid>(sql)
            .bind(list)
            .fetch_all(&mut *store.read().await?)
            .await?
        {
            found.insert(id);
        }
    }
    Ok(found)
}

/// Writes an import in one transaction.
async fn import_directory(
    store: &Store,
    w: DirectoryWrite<'_>,
    audit: &AuditEntry,
) -> StoreResult<()> {
    write_tx!(store, tx);
    for chunk in w.organizations.chunks(BULK) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|o| json!([hex(o.id.as_bytes()), o.name, o.record, ts(o.updated_at)]))
            .collect();
        sqlx::query(
            "INSERT INTO directory_organizations (id, name, record, updated_at)
             SELECT unhex(value->>0), value->>1, value->>2, value->>3 FROM json_each(?) WHERE true
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, record = excluded.record,
                    updated_at = excluded.updated_at",
        )
        .bind(Value::Array(rows).to_string())
        .execute(&mut *tx)
        .await?;
    }
    for chunk in w.locations.chunks(BULK) {
        let rows: Vec<Value> = chunk
            .iter()
            .map(|l| {
                json!([
                    hex(l.id.as_bytes()),
                    l.organization.map(|o| hex(o.as_bytes())),
                    i64::from(l.confidential),
                    l.point.map(|p| p.0),
                    l.point.map(|p| p.1),
                    l.record,
                    l.private_record.as_deref().map(hex),
                    ts(l.updated_at)
                ])
            })
            .collect();
        let rows = Value::Array(rows).to_string();
        sqlx::query(
            "INSERT INTO directory_locations (id, organization_id, confidential, latitude, longitude, record,
                    private_record, updated_at)
             SELECT unhex(value->>0), unhex(value->>1), value->>2, value->>3, value->>4, value->>5,
                    unhex(value->>6), value->>7
             FROM json_each(?) WHERE true
             ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,
                    confidential = excluded.confidential, latitude = excluded.latitude,
                    longitude = excluded.longitude, record = excluded.record,
                    private_record = excluded.private_record, updated_at = excluded.updated_at",
        )
        .bind(&rows)
        .execute(&mut *tx)
        .await?;
        // Services already offered there move with the location.
        sqlx::query(
            "UPDATE directory_service_locations AS sl SET latitude = l.latitude, longitude = l.longitude
             FROM directory_locations l
             WHERE l.id = sl.location_id AND sl.location_id IN (SELECT unhex(value->>0) FROM json_each(?))",
        )
        .bind(&rows)
        .execute(&mut *tx)
        .await?;
    }
    for chunk in w.services.chunks(BULK) {
        write_services(&mut tx, chunk).await?;
    }
    commit_audited(tx, audit).await
}

include!("../shared/directory.rs");
