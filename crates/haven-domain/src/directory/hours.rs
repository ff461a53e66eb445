//! Opening hours from HSDS schedules, for the "open now" filter.
//!
//! Only weekly schedules with days and times can answer "open now"; a service
//! whose hours are only described in words is not claimed to be open.

use super::hsds::Schedule;
use serde::{Deserialize, Serialize};
use time::{OffsetDateTime, UtcOffset};

/// Open on `day` (0 = Monday) from `opens` to `closes`, minutes after
/// midnight at UTC offset `offset` minutes. `closes <= opens` runs past
/// midnight.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Opening {
    pub day: u8,
    pub opens: u16,
    pub closes: u16,
    pub offset: i16,
}

const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// "09:00", "09:00:00" or "9:00" → minutes after midnight ("24:00" is the
/// end of the day); "8:00pm", "9am" and "10:00 a.m." as they mean.
#[must_use]
pub fn minutes(s: &str) -> Option<u16> {
    // "10:00 a.m." and "2:00 p.m." end with a dot: compare without dots.
    let lower = s.trim().to_ascii_lowercase().replace('.', "");
    if lower.ends_with("am") || lower.ends_with("pm") {
        let t = super::import::lenient::time_of_day(&lower)?;
        let (h, m) = t.split_once(':')?;
        return Some(h.parse::<u16>().ok()? * 60 + m.parse::<u16>().ok()?);
    }
    let mut it = s.trim().split(':');
    let h: u16 = it.next()?.trim().parse().ok()?;
    // Minutes are the first two digits: "09:00-05:00" and "09:00Z" carry a zone.
    let m: u16 = it.next().unwrap_or("00").get(..2)?.parse().ok()?;
    (h < 24 && m < 60 || h == 24 && m == 0).then_some(h * 60 + m)
}

/// The weekly openings a schedule states. `default_offset` (minutes) is used
/// when the schedule has no `timezone`.
#[must_use]
pub fn openings(schedules: &[Schedule], default_offset: i16) -> Vec<Opening> {
    let mut out = Vec::new();
    for s in schedules {
        if s.freq
            .as_deref()
            .is_some_and(|f| !f.eq_ignore_ascii_case("WEEKLY"))
        {
            continue;
        }
        let (Some(opens), Some(closes)) = (
            s.opens_at.as_deref().and_then(minutes),
            s.closes_at.as_deref().and_then(minutes),
        ) else {
            continue;
        };
        let offset = s
            .timezone
            .as_ref()
            .and_then(serde_json::Number::as_f64)
            .filter(|h| (-14.0..=14.0).contains(h))
            .map_or(default_offset, |h| (h * 60.0).round() as i16);
        for day in s.byday.as_deref().unwrap_or("").split(',') {
            let code = day.trim().to_ascii_uppercase();
            if let Some(d) = DAYS.iter().position(|x| *x == code) {
                out.push(Opening {
                    day: d as u8,
                    opens,
                    closes,
                    offset,
                });
            }
        }
    }
    out
}

/// Whether any opening covers `now`. `None` when there are no openings.
#[must_use]
pub fn open_at(openings: &[Opening], now: OffsetDateTime) -> Option<bool> {
    if openings.is_empty() {
        return None;
    }
    Some(openings.iter().any(|o| {
        let Ok(offset) = UtcOffset::from_whole_seconds(i32::from(o.offset) * 60) else {
            return false;
        };
        let local = now.to_offset(offset);
        let day = local.weekday().number_days_from_monday();
        let minute = u16::from(local.hour()) * 60 + u16::from(local.minute());
        if o.closes > o.opens {
            day == o.day && (o.opens..o.closes).contains(&minute)
        } else {
            // Past midnight: the evening of `day` and the morning after.
            (day == o.day && minute >= o.opens) || (day == (o.day + 1) % 7 && minute < o.closes)
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    fn schedule(byday: &str, opens: &str, closes: &str, tz: Option<i64>) -> Schedule {
        Schedule {
            id: "s".into(),
            freq: Some("WEEKLY".into()),
            byday: Some(byday.into()),
            opens_at: Some(opens.into()),
            closes_at: Some(closes.into()),
            timezone: tz.map(Into::into),
            ..Schedule::default()
        }
    }

    #[test]
    fn weekday_hours_in_the_schedule_timezone() {
        let o = openings(
            &[schedule("MO,TU,WE,TH,FR", "09:00:00", "17:00", Some(-5))],
            0,
        );
        assert_eq!(o.len(), 5);
        // Tuesday 2026-12-01 15:00 UTC is 10:00 at UTC-5: open.
        assert_eq!(open_at(&o, datetime!(2026-12-01 15:00 UTC)), Some(true));
        // 23:00 UTC is 18:00 at UTC-5: closed.
        assert_eq!(open_at(&o, datetime!(2026-12-01 23:00 UTC)), Some(false));
        // Saturday: closed.
        assert_eq!(open_at(&o, datetime!(2026-12-05 15:00 UTC)), Some(false));
    }

    #[test]
    fn am_and_pm_are_read_as_meant() {
        assert_eq!(minutes("8:00pm"), Some(20 * 60));
        assert_eq!(minutes("9am"), Some(9 * 60));
        assert_eq!(minutes("12:00 PM"), Some(12 * 60));
        assert_eq!(minutes("12am"), Some(0));
        assert_eq!(minutes("10:00 a.m."), Some(10 * 60));
        assert_eq!(minutes("2:00 p.m."), Some(14 * 60));
        assert_eq!(minutes("13pm"), None);
    }

    #[test]
    fn overnight_hours_and_unknown_hours() {
        let o = openings(&[schedule("FR", "20:00", "06:00", None)], -300);
        assert_eq!(open_at(&o, datetime!(2026-12-05 08:00 UTC)), Some(true)); // Sat 03:00 local
        assert_eq!(open_at(&o, datetime!(2026-12-05 12:00 UTC)), Some(false)); // Sat 07:00 local
        assert_eq!(open_at(&[], datetime!(2026-12-05 12:00 UTC)), None);
        assert_eq!(minutes("24:00"), Some(1440));
        assert_eq!(minutes("25:00"), None);
    }
}
