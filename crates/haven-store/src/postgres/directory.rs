//! The directory and referrals on PostgreSQL: the code is
//! `shared/directory.rs`; the search (full-text `tsvector`) and the bulk
//! import (column arrays through `UNNEST`) differ and are here.

// The search's filters, shared by its four shapes. $1 needs, $2 populations,
// $3 funding (every bit), $4 ' code ' or '', $5 age or -1, $6 capacity only,
// $7 limit, $8 tsquery, $9-$12 the box, $13 directory organization or NULL.
macro_rules! search_filter {
    () => {
        " s.status = 'active' AND (s.needs & $1) = $1 AND (s.populations & $2) = $2 AND (s.funding & $3) = $3
          AND ($4 = '' OR strpos(s.languages, $4) > 0)
          AND ($5::int4 < 0 OR ((s.minimum_age IS NULL OR s.minimum_age <= $5) AND (s.maximum_age IS NULL OR s.maximum_age >= $5)))
          AND (NOT $6 OR s.capacity_available > 0)
          AND ($13::uuid IS NULL OR s.organization_id = $13) "
    };
}
macro_rules! search_columns {
    () => {
        "SELECT s.id, s.organization_id, o.haven_org_id, o.name AS organization_name, s.name, s.languages, s.needs, s.capacity_available, s.hours, "
    };
}

const SEARCH_PLAIN: &str = concat!(
    search_columns!(),
    "0.0::float8 AS relevance, NULL::float8 AS latitude, NULL::float8 AS longitude, FALSE AS confidential
     FROM directory_services s LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE $8 = '' AND $9::float8 IS NULL AND $10::float8 IS NULL AND $11::float8 IS NULL AND $12::float8 IS NULL AND ",
    search_filter!(),
    " ORDER BY s.name, s.id LIMIT $7"
);
const SEARCH_WORDS: &str = concat!(
    search_columns!(),
    "ts_rank(s.search, to_tsquery('simple', $8))::float8 AS relevance, NULL::float8 AS latitude, NULL::float8 AS longitude, FALSE AS confidential
     FROM directory_services s
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE s.search @@ to_tsquery('simple', $8)
       AND $9::float8 IS NULL AND $10::float8 IS NULL AND $11::float8 IS NULL AND $12::float8 IS NULL AND ",
    search_filter!(),
    " ORDER BY relevance DESC, s.name LIMIT $7"
);
const SEARCH_NEAR: &str = concat!(
    search_columns!(),
    "0.0::float8 AS relevance, sl.latitude, sl.longitude,
            (SELECT l.confidential FROM directory_locations l WHERE l.id = sl.location_id) AS confidential
     FROM directory_service_locations sl
     JOIN directory_services s ON s.id = sl.service_id
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE $8 = '' AND sl.latitude BETWEEN $9 AND $10 AND sl.longitude BETWEEN $11 AND $12 AND ",
    search_filter!(),
    " LIMIT $7"
);
/// Words near a place: the box and the words both narrow the rows here, so
/// the limit counts matches, never candidates; the folded text comes along
/// so the service scores near-place results the same way on both databases.
const SEARCH_WORDS_NEAR: &str = concat!(
    search_columns!(),
    "0.0::float8 AS relevance, sl.latitude, sl.longitude,
            (SELECT l.confidential FROM directory_locations l WHERE l.id = sl.location_id) AS confidential,
            s.name_text, s.body_text
     FROM directory_service_locations sl
     JOIN directory_services s ON s.id = sl.service_id
     LEFT JOIN directory_organizations o ON o.id = s.organization_id
     WHERE $8::text <> '' AND sl.latitude BETWEEN $9 AND $10 AND sl.longitude BETWEEN $11 AND $12
       AND s.search @@ to_tsquery('simple', $8) AND ",
    search_filter!(),
    " LIMIT $7"
);

/// Each word a prefix, all required: the words are letters and digits
/// only, so nothing in a query is read as tsquery syntax.
fn fts_query(words: &[String]) -> String {
    words
        .iter()
        .map(|w| format!("{w}:*"))
        .collect::<Vec<_>>()
        .join(" & ")
}

/// A reminder to the sender of each referral unanswered since $1.
const REFERRAL_OVERDUE_TO_SENDER: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT gen_random_uuid(), 'referral-overdue:' || r.id || ':' || r.sent_by, 'referral_overdue',
                    r.sent_by, r.case_id, json_build_object('referral', r.id, 'need', r.need, 'side', 'sender')::text,
                    'pending', $2, $2
             FROM referrals r WHERE r.status = 'sent' AND r.reminded_at IS NULL AND r.sent_at < $1
             ON CONFLICT (dedupe_key) DO NOTHING";

/// A reminder to the receiving organization's staff; they get no case id:
/// the case is not theirs to open.
const REFERRAL_OVERDUE_TO_PROVIDER: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT gen_random_uuid(), 'referral-overdue:' || r.id || ':' || u.id, 'referral_overdue',
                    u.id, NULL::uuid, json_build_object('referral', r.id, 'need', r.need, 'side', 'provider')::text,
                    'pending', $2, $2
             FROM referrals r JOIN users u ON u.organization_id = r.to_org AND NOT u.disabled
             WHERE r.status = 'sent' AND r.reminded_at IS NULL AND r.sent_at < $1
               AND EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = u.id AND ur.role IN ('provider_staff', 'supervisor'))
             ON CONFLICT (dedupe_key) DO NOTHING";

/// Rows per bulk statement.
const BULK: usize = 2_000;

/// Upserts services with their search text and places: one statement per
/// table for the whole chunk (column arrays through `UNNEST`).
async fn write_services(
    tx: &mut Transaction<'_, Db>,
    services: &[DirServiceRow],
) -> StoreResult<()> {
    let ids: Vec<Uuid> = services.iter().map(|s| *s.id.as_uuid()).collect();
    let orgs: Vec<Option<Uuid>> = services.iter().map(|s| s.organization).collect();
    let names: Vec<&str> = services.iter().map(|s| s.name.as_str()).collect();
    let status: Vec<&str> = services.iter().map(|s| s.status.as_str()).collect();
    let needs: Vec<i64> = services.iter().map(|s| s.needs).collect();
    let pops: Vec<i64> = services.iter().map(|s| s.populations).collect();
    let funding: Vec<i64> = services.iter().map(|s| s.funding).collect();
    let langs: Vec<String> = services
        .iter()
        .map(|s| languages_column(&s.languages))
        .collect();
    let min: Vec<Option<i32>> = services.iter().map(|s| s.minimum_age).collect();
    let max: Vec<Option<i32>> = services.iter().map(|s| s.maximum_age).collect();
    let cap: Vec<Option<i64>> = services.iter().map(|s| s.capacity_available).collect();
    let hours: Vec<&str> = services.iter().map(|s| s.hours.as_str()).collect();
    let records: Vec<&str> = services.iter().map(|s| s.record.as_str()).collect();
    let at: Vec<OffsetDateTime> = services.iter().map(|s| s.updated_at).collect();
    let name_text: Vec<&str> = services.iter().map(|s| s.name_text.as_str()).collect();
    let body_text: Vec<&str> = services.iter().map(|s| s.body_text.as_str()).collect();
    sqlx::query(sql!("INSERT INTO directory_services (id, organization_id, name, status, needs, populations, funding, languages,
                minimum_age, maximum_age, capacity_available, hours, record, updated_at, name_text, body_text)
         SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::int8[], $6::int8[], $7::int8[],
                $8::text[], $9::int4[], $10::int4[], $11::int8[], $12::text[], $13::text[], $14::timestamptz[],
                $15::text[], $16::text[])
         ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id, name = excluded.name,
                status = excluded.status, needs = excluded.needs, populations = excluded.populations,
                funding = excluded.funding, languages = excluded.languages, minimum_age = excluded.minimum_age,
                maximum_age = excluded.maximum_age, capacity_available = excluded.capacity_available,
                hours = excluded.hours, record = excluded.record, updated_at = excluded.updated_at,
                name_text = excluded.name_text, body_text = excluded.body_text"))
    .bind(&ids)
    .bind(&orgs)
    .bind(&names)
    .bind(&status)
    .bind(&needs)
    .bind(&pops)
    .bind(&funding)
    .bind(&langs)
    .bind(&min)
    .bind(&max)
    .bind(&cap)
    .bind(&hours)
    .bind(&records)
    .bind(&at)
    .bind(&name_text)
    .bind(&body_text)
    .execute(&mut **tx)
    .await?;
    sqlx::query(sql!(
        "DELETE FROM directory_service_locations WHERE service_id = ANY($1)"
    ))
    .bind(&ids)
    .execute(&mut **tx)
    .await?;
    // One row per place id (a later one wins), as ON CONFLICT needs.
    let mut seen = std::collections::HashMap::new();
    for s in services {
        for (sal, location) in &s.places {
            seen.insert(*sal, (*s.id.as_uuid(), *location));
        }
    }
    let sals: Vec<Uuid> = seen.keys().copied().collect();
    let svc: Vec<Uuid> = sals.iter().map(|k| seen[k].0).collect();
    let locs: Vec<Uuid> = sals.iter().map(|k| seen[k].1).collect();
    sqlx::query(sql!("INSERT INTO directory_service_locations (id, service_id, location_id, latitude, longitude)
         SELECT p.id, p.service_id, l.id, l.latitude, l.longitude
         FROM UNNEST($1::uuid[], $2::uuid[], $3::uuid[]) AS p (id, service_id, location_id)
         JOIN directory_locations l ON l.id = p.location_id
         ON CONFLICT (id) DO UPDATE SET service_id = excluded.service_id, location_id = excluded.location_id,
                latitude = excluded.latitude, longitude = excluded.longitude"))
    .bind(&sals)
    .bind(&svc)
    .bind(&locs)
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
    let orgs: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM directory_organizations WHERE id = ANY($1)")
            .bind(organizations)
            .fetch_all(store.pool())
            .await?;
    let locs: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM directory_locations WHERE id = ANY($1)")
            .bind(locations)
            .fetch_all(store.pool())
            .await?;
    Ok((orgs.into_iter().collect(), locs.into_iter().collect()))
}

/// Writes an import in one transaction.
async fn import_directory(
    store: &Store,
    w: DirectoryWrite<'_>,
    audit: &AuditEntry,
) -> StoreResult<()> {
    write_tx!(store, tx);
    for chunk in w.organizations.chunks(BULK) {
        let ids: Vec<Uuid> = chunk.iter().map(|o| o.id).collect();
        let names: Vec<&str> = chunk.iter().map(|o| o.name.as_str()).collect();
        let records: Vec<&str> = chunk.iter().map(|o| o.record.as_str()).collect();
        let at: Vec<OffsetDateTime> = chunk.iter().map(|o| o.updated_at).collect();
        sqlx::query(sql!(
            "INSERT INTO directory_organizations (id, name, record, updated_at)
             SELECT * FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::timestamptz[])
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, record = excluded.record,
                    updated_at = excluded.updated_at"
        ))
        .bind(&ids)
        .bind(&names)
        .bind(&records)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
    }
    for chunk in w.locations.chunks(BULK) {
        let ids: Vec<Uuid> = chunk.iter().map(|l| l.id).collect();
        let orgs: Vec<Option<Uuid>> = chunk.iter().map(|l| l.organization).collect();
        let conf: Vec<bool> = chunk.iter().map(|l| l.confidential).collect();
        let lat: Vec<Option<f64>> = chunk.iter().map(|l| l.point.map(|p| p.0)).collect();
        let lon: Vec<Option<f64>> = chunk.iter().map(|l| l.point.map(|p| p.1)).collect();
        let records: Vec<&str> = chunk.iter().map(|l| l.record.as_str()).collect();
        let private: Vec<Option<Vec<u8>>> =
            chunk.iter().map(|l| l.private_record.clone()).collect();
        let at: Vec<OffsetDateTime> = chunk.iter().map(|l| l.updated_at).collect();
        sqlx::query(sql!("INSERT INTO directory_locations (id, organization_id, confidential, latitude, longitude, record,
                    private_record, updated_at)
             SELECT * FROM UNNEST($1::uuid[], $2::uuid[], $3::bool[], $4::float8[], $5::float8[], $6::text[],
                    $7::bytea[], $8::timestamptz[])
             ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,
                    confidential = excluded.confidential, latitude = excluded.latitude,
                    longitude = excluded.longitude, record = excluded.record,
                    private_record = excluded.private_record, updated_at = excluded.updated_at"))
        .bind(&ids)
        .bind(&orgs)
        .bind(&conf)
        .bind(&lat)
        .bind(&lon)
        .bind(&records)
        .bind(&private)
        .bind(&at)
        .execute(&mut *tx)
        .await?;
        // Services already offered there move with the location.
        sqlx::query(sql!("UPDATE directory_service_locations sl SET latitude = l.latitude, longitude = l.longitude
             FROM directory_locations l WHERE l.id = sl.location_id AND sl.location_id = ANY($1)"))
        .bind(&ids)
        .execute(&mut *tx)
        .await?;
    }
    for chunk in w.services.chunks(BULK) {
        write_services(&mut tx, chunk).await?;
    }
    commit_audited(tx, audit).await
}

include!("../shared/directory.rs");
