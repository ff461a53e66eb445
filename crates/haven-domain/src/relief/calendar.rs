//! Calendar arithmetic the rules need: months and years that land on real
//! days. Adding months keeps the day of the month and, when the target month
//! is shorter, falls back to its last day (31 August + 6 months = 28 or 29
//! February). That is the earlier of the two readings at month ends, so a
//! deadline computed here is never later than the law allows.

use time::{Date, Duration, Month};

/// `date` plus `months` calendar months (negative goes back), clamped to the
/// end of a shorter month. `None` only outside the representable range.
#[must_use]
pub fn add_months(date: Date, months: i32) -> Option<Date> {
    let index = date.year() * 12 + i32::from(date.month() as u8) - 1 + months;
    let year = index.div_euclid(12);
    let month = Month::try_from(u8::try_from(index.rem_euclid(12) + 1).ok()?).ok()?;
    let day = date.day().min(month.length(year));
    Date::from_calendar_date(year, month, day).ok()
}

/// `date` plus whole years; 29 February becomes 28 February in common years.
#[must_use]
pub fn add_years(date: Date, years: i32) -> Option<Date> {
    add_months(date, years.checked_mul(12)?)
}

/// `date` plus days, `None` outside the representable range.
#[must_use]
pub fn add_days(date: Date, days: i64) -> Option<Date> {
    date.checked_add(Duration::days(days))
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
#[must_use]
pub fn days_between(from: Date, to: Date) -> i64 {
    (to - from).whole_days()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn month_ends_clamp_to_the_shorter_month() {
        assert_eq!(
            add_months(date!(2025 - 08 - 31), 6),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2027 - 08 - 31), 6),
            Some(date!(2028 - 02 - 29))
        );
        assert_eq!(
            add_months(date!(2026 - 01 - 31), 1),
            Some(date!(2026 - 02 - 28))
        );
        assert_eq!(
            add_months(date!(2026 - 03 - 15), -3),
            Some(date!(2025 - 12 - 15))
        );
        assert_eq!(
            add_months(date!(2026 - 12 - 01), 1),
            Some(date!(2027 - 01 - 01))
        );
    }

    #[test]
    fn leap_day_anniversaries_fall_on_28_february() {
        assert_eq!(
            add_years(date!(2024 - 02 - 29), 1),
            Some(date!(2025 - 02 - 28))
        );
        assert_eq!(
            add_years(date!(2024 - 02 - 29), 4),
            Some(date!(2028 - 02 - 29))
        );
    }
}
