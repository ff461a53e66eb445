//! Times as the people served read and type them: in their UTC offset
//! (`local_utc_offset_minutes`), stored in UTC.

use crate::AppState;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// "2026-12-08T10:00" in local time.
pub fn parse_local(state: &AppState, raw: &str) -> Option<OffsetDateTime> {
    let fmt = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]");
    let t = PrimitiveDateTime::parse(raw.trim(), &fmt).ok()?;
    Some(
        t.assume_offset(state.settings.local_offset())
            .to_offset(UtcOffset::UTC),
    )
}

/// A time shown in local time, "2026-12-08 10:00".
#[must_use]
pub fn local_text(state: &AppState, t: OffsetDateTime) -> String {
    let l = t.to_offset(state.settings.local_offset());
    format!("{} {:02}:{:02}", l.date(), l.hour(), l.minute())
}
