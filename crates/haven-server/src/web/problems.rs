//! Collecting broken rules of one input, each naming its field, a stable
//! code and the rule, to answer them all at once.

use crate::web::error::{AppError, FieldError};
use time::Date;

use crate::case::sealed::DATE;

/// Collects broken rules; each names its field, a stable code and the rule.
#[derive(Default)]
pub struct Problems(pub Vec<FieldError>);

impl Problems {
    pub fn add(&mut self, field: &'static str, code: &'static str, message: impl Into<String>) {
        self.0.push(FieldError {
            field,
            code,
            message: message.into(),
        });
    }

    /// Free text: trimmed, at most `max` characters.
    pub fn text(&mut self, field: &'static str, raw: &str, max: usize) -> String {
        // Text of invisible characters only (zero-width spaces...) says
        // nothing: it counts as empty, so a required field refuses it.
        let t = haven_domain::text::trim_invisible(raw);
        if raw.contains('\0') {
            self.add(
                field,
                "bad_text",
                format!("{field} must not contain NUL characters."),
            );
            return String::new();
        }
        if t.chars().count() > max {
            self.add(
                field,
                "too_long",
                format!("{field} must be at most {max} characters."),
            );
        }
        t.to_owned()
    }

    /// A time of day, "HH:MM" (24-hour), or empty.
    pub fn clock(&mut self, field: &'static str, raw: &str) -> String {
        let t = raw.trim();
        if t.is_empty() {
            return String::new();
        }
        match haven_domain::notice::parse_clock(t) {
            Some(c) => format!("{:02}:{:02}", c.hour(), c.minute()),
            None => {
                self.add(
                    field,
                    "bad_time",
                    format!("{field} must be a time of day such as 09:30."),
                );
                String::new()
            }
        }
    }

    pub fn required(&mut self, field: &'static str, raw: &str, max: usize) -> String {
        let t = self.text(field, raw, max);
        if t.is_empty() {
            self.add(field, "required", format!("{field} is required."));
        }
        t
    }

    /// A picklist code, or `None` when empty.
    pub fn code<T>(
        &mut self,
        field: &'static str,
        raw: &str,
        parse: fn(&str) -> Option<T>,
        codes: fn() -> Vec<&'static str>,
    ) -> Option<T> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        let v = parse(t);
        if v.is_none() {
            self.add(
                field,
                "not_in_list",
                format!("{field} must be one of: {}.", codes().join(", ")),
            );
        }
        v
    }

    pub fn codes<T>(
        &mut self,
        field: &'static str,
        raw: &[String],
        parse: fn(&str) -> Option<T>,
        codes: fn() -> Vec<&'static str>,
    ) -> Vec<T>
    where
        T: PartialEq,
    {
        let mut out = Vec::new();
        for r in raw.iter().filter(|r| !r.trim().is_empty()) {
            if let Some(v) = self.code(field, r, parse, codes)
                && !out.contains(&v)
            {
                out.push(v);
            }
        }
        out
    }

    /// A YYYY-MM-DD date, or `None` when empty.
    pub fn date(&mut self, field: &'static str, raw: &str) -> Option<Date> {
        let t = raw.trim();
        if t.is_empty() {
            return None;
        }
        let d = Date::parse(t, DATE).ok();
        if d.is_none() {
            self.add(
                field,
                "bad_date",
                format!("{field} must be a date written YYYY-MM-DD."),
            );
        }
        d
    }

    /// A date not in the future.
    pub fn past_date(&mut self, field: &'static str, raw: &str, today: Date) -> Option<Date> {
        let d = self.date(field, raw)?;
        if d > today {
            self.add(
                field,
                "in_future",
                format!("{field} cannot be in the future."),
            );
            return None;
        }
        Some(d)
    }

    /// ISO codes: `len` letters, normalized to upper (countries) or lower
    /// (languages) case.
    pub fn iso_codes(
        &mut self,
        field: &'static str,
        raw: &[String],
        lens: &[usize],
        upper: bool,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in raw.iter().flat_map(|r| r.split(',')) {
            let t = r.trim();
            if t.is_empty() {
                continue;
            }
            if !lens.contains(&t.len()) || !t.chars().all(|c| c.is_ascii_alphabetic()) {
                self.add(
                    field,
                    "bad_code",
                    format!(
                        "{field} takes {} codes (e.g. {}).",
                        if upper {
                            "ISO 3166 two-letter country"
                        } else {
                            "ISO 639 language"
                        },
                        if upper { "MX, GT" } else { "es, en" }
                    ),
                );
                continue;
            }
            let v = if upper {
                t.to_ascii_uppercase()
            } else {
                t.to_ascii_lowercase()
            };
            if !out.contains(&v) {
                out.push(v);
            }
        }
        out
    }

    /// # Errors
    /// When any rule was broken: the first, with the full list.
    pub fn finish(self) -> Result<(), AppError> {
        match self.0.first() {
            None => Ok(()),
            Some(first) => Err(AppError::Invalid {
                code: first.code,
                field: Some(first.field),
                message: first.message.clone(),
            }
            .with_errors(self.0)),
        }
    }
}
