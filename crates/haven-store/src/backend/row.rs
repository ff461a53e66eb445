//! One row decoder for every shape of the same row: a SQLite row, a binary
//! PostgreSQL row, and that row rendered by PostgreSQL's `json_agg` so that
//! several small lists come back in one statement (the case page).
//!
//! A decoder written against [`Columns`] reads `r.col("name")` with the type
//! it needs. SQLite keeps times as milliseconds since the epoch and dates as
//! `YYYY-MM-DD` text; the JSON side follows PostgreSQL's own rendering of
//! each type (uuid and text as strings, bytea as `\x` hex, bigint as a
//! number, timestamptz as ISO 8601 with its offset).

use crate::{StoreError, StoreResult};
use serde_json::{Map, Value};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};
use uuid::Uuid;

/// A row a decoder reads by column name.
pub(crate) trait Columns {
    fn col<'r, T: Cell<'r>>(&'r self, name: &'static str) -> StoreResult<T>;
}

/// A column value, as the binary protocol and as `to_json` give it.
pub(crate) trait Cell<'r>: Sized {
    fn from_pg(row: &'r PgRow, name: &'static str) -> StoreResult<Self>;
    fn from_sqlite(row: &'r SqliteRow, name: &'static str) -> StoreResult<Self>;
    /// `None` when the JSON value is not this type's rendering.
    fn from_json(v: &'r Value) -> Option<Self>;
}

impl Columns for PgRow {
    fn col<'r, T: Cell<'r>>(&'r self, name: &'static str) -> StoreResult<T> {
        T::from_pg(self, name)
    }
}

impl Columns for SqliteRow {
    fn col<'r, T: Cell<'r>>(&'r self, name: &'static str) -> StoreResult<T> {
        T::from_sqlite(self, name)
    }
}

/// One element of a `json_agg(row)` array.
pub(crate) struct JsonRow(pub Map<String, Value>);

impl Columns for JsonRow {
    fn col<'r, T: Cell<'r>>(&'r self, name: &'static str) -> StoreResult<T> {
        // A missing key is a query that does not select the column, not NULL.
        let v = self.0.get(name).ok_or(StoreError::Corrupt(name))?;
        T::from_json(v).ok_or(StoreError::Corrupt(name))
    }
}

/// Parses a `json_agg` result (NULL for no rows) and decodes each element.
pub(crate) fn json_rows<T>(
    agg: Option<String>,
    decode: impl Fn(&JsonRow) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let Some(text) = agg else {
        return Ok(Vec::new());
    };
    let rows: Vec<Map<String, Value>> =
        serde_json::from_str(&text).map_err(|_| StoreError::Corrupt("json_agg"))?;
    rows.into_iter().map(|m| decode(&JsonRow(m))).collect()
}

macro_rules! cell {
    ($t:ty, |$v:ident| $json:expr) => {
        cell!(
            $t,
            |$v| $json,
            |row, name| Ok(row.try_get::<$t, _>(name)?),
            |row, name| Ok(row.try_get::<Option<$t>, _>(name)?)
        );
    };
    ($t:ty, |$v:ident| $json:expr, |$r:ident, $n:ident| $lite:expr, |$ro:ident, $no:ident| $lite_opt:expr) => {
        impl<'r> Cell<'r> for $t {
            fn from_pg(row: &'r PgRow, name: &'static str) -> StoreResult<Self> {
                Ok(row.try_get(name)?)
            }
            fn from_sqlite($r: &'r SqliteRow, $n: &'static str) -> StoreResult<Self> {
                $lite
            }
            fn from_json($v: &'r Value) -> Option<Self> {
                $json
            }
        }
        impl<'r> Cell<'r> for Option<$t> {
            fn from_pg(row: &'r PgRow, name: &'static str) -> StoreResult<Self> {
                Ok(row.try_get(name)?)
            }
            fn from_sqlite($ro: &'r SqliteRow, $no: &'static str) -> StoreResult<Self> {
                $lite_opt
            }
            fn from_json(v: &'r Value) -> Option<Self> {
                if v.is_null() {
                    Some(None)
                } else {
                    <$t as Cell<'r>>::from_json(v).map(Some)
                }
            }
        }
    };
}

cell!(Uuid, |v| Uuid::parse_str(v.as_str()?).ok());
cell!(String, |v| v.as_str().map(str::to_owned));
cell!(&'r str, |v| v.as_str());
cell!(i64, |v| v.as_i64());
cell!(bool, |v| v.as_bool());
cell!(Vec<u8>, |v| unhex(v.as_str()?.strip_prefix("\\x")?));
cell!(
    OffsetDateTime,
    |v| OffsetDateTime::parse(v.as_str()?, &Rfc3339).ok(),
    |row, name| from_millis(row.try_get(name)?, name),
    |row, name| row
        .try_get::<Option<i64>, _>(name)?
        .map(|ms| from_millis(ms, name))
        .transpose()
);
cell!(
    Date,
    |v| Date::parse(v.as_str()?, DAY).ok(),
    |row, name| parse_day(row.try_get(name)?, name),
    |row, name| row
        .try_get::<Option<&str>, _>(name)?
        .map(|d| parse_day(d, name))
        .transpose()
);

/// SQLite's times: milliseconds since the epoch.
pub(crate) fn to_millis(t: OffsetDateTime) -> i64 {
    i64::try_from(t.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX)
}

pub(crate) fn from_millis(ms: i64, what: &'static str) -> StoreResult<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map_err(|_| StoreError::Corrupt(what))
}

fn parse_day(s: &str, what: &'static str) -> StoreResult<Date> {
    Date::parse(s, DAY).map_err(|_| StoreError::Corrupt(what))
}

/// A date as PostgreSQL renders it in JSON and SQLite stores it.
const DAY: &[time::format_description::BorrowedFormatItem<'static>] =
    time::macros::format_description!("[year]-[month]-[day]");

fn unhex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| char::from(c).to_digit(16);
    let b = s.as_bytes();
    if !b.len().is_multiple_of(2) {
        return None;
    }
    b.chunks_exact(2)
        .map(|p| u8::try_from(digit(p[0])? * 16 + digit(p[1])?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(v: Value) -> JsonRow {
        let Value::Object(m) = v else { unreachable!() };
        JsonRow(m)
    }

    #[test]
    fn reads_postgresqls_json_rendering_of_each_type() {
        let r = row(serde_json::json!({
            "id": "01a238b5-bedb-70a4-9f40-8c713b47f785",
            "name": "x", "n": 9_007_199_254_740_993_i64, "ok": true,
            "b": "\\x00ff10", "at": "2026-12-02T21:52:45.123456+00:00", "none": null,
            "day": "2026-02-28"
        }));
        assert_eq!(
            r.col::<Uuid>("id").unwrap().to_string(),
            "01a238b5-bedb-70a4-9f40-8c713b47f785"
        );
        assert_eq!(r.col::<&str>("name").unwrap(), "x");
        assert_eq!(r.col::<i64>("n").unwrap(), 9_007_199_254_740_993);
        assert!(r.col::<bool>("ok").unwrap());
        assert_eq!(r.col::<Vec<u8>>("b").unwrap(), vec![0, 255, 16]);
        let at: OffsetDateTime = r.col("at").unwrap();
        assert_eq!(at.microsecond(), 123_456);
        assert_eq!(r.col::<Option<Vec<u8>>>("none").unwrap(), None);
        assert_eq!(
            r.col::<Date>("day").unwrap(),
            time::macros::date!(2026 - 02 - 28)
        );
        assert_eq!(
            r.col::<Option<String>>("name").unwrap().as_deref(),
            Some("x")
        );
    }

    #[test]
    fn a_wrong_type_or_a_missing_column_is_corrupt_not_null() {
        let r = row(serde_json::json!({"n": "1", "b": "00ff", "odd": "\\x0"}));
        assert!(matches!(r.col::<i64>("n"), Err(StoreError::Corrupt("n"))));
        assert!(r.col::<Vec<u8>>("b").is_err());
        assert!(r.col::<Vec<u8>>("odd").is_err());
        assert!(matches!(
            r.col::<Option<String>>("absent"),
            Err(StoreError::Corrupt("absent"))
        ));
    }
}
