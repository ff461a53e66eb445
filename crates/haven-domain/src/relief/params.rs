//! Every duration, cap and threshold the rules use, as data with effective
//! dates (rules.md §12, §14). Policy changed several times in 2021-2025 and
//! will change again: a new period is a new row here, never an edited
//! constant in the rules. Values marked `uncertain` are [U] in rules.md and
//! the explanation says so wherever they are used.

use serde::Serialize;
use time::Date;
use time::macros::date;

/// A named parameter. The unit is in the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Param {
    MinorAge,
    UChildProxyAge,
    DerivativePrincipalAge,
    SiblingAgeLimit,
    CpTermMonths,
    CpExtensionMonths,
    TBonaFideReviewAvailable,
    TStatusYears,
    TExtensionYears,
    UStatusYears,
    USuppBValidMonths,
    USuppBWarnMonths,
    UBonaFideTermYears,
    AdjustmentPresenceYears,
    AdjustmentSingleAbsenceDays,
    AdjustmentAggregateAbsenceDays,
    HhsMinorNotifyHours,
    HhsInterimDays,
    HhsInterimExtensionDays,
    RcaRmaMonths,
}

/// One value of a parameter over a range of dates: `from` inclusive,
/// `until` exclusive; `None` is open-ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Period {
    pub param: Param,
    #[serde(with = "crate::record::iso_date::option")]
    pub from: Option<Date>,
    #[serde(with = "crate::record::iso_date::option")]
    pub until: Option<Date>,
    pub value: i64,
    /// [U] in rules.md: configurable, and said so in explanations.
    pub uncertain: bool,
    pub rule: &'static str,
    pub source: &'static str,
}

const fn p(
    param: Param,
    from: Option<Date>,
    until: Option<Date>,
    value: i64,
    uncertain: bool,
    rule: &'static str,
    source: &'static str,
) -> Period {
    Period {
        param,
        from,
        until,
        value,
        uncertain,
        rule,
        source,
    }
}

use Param::*;

/// Haven's built-in table (rules.md as of January 2025).
pub const BUILT_IN: &[Period] = &[
    p(
        MinorAge,
        None,
        None,
        18,
        false,
        "D-6",
        "22 U.S.C. 7102; 8 CFR 214.201",
    ),
    p(
        UChildProxyAge,
        None,
        None,
        16,
        false,
        "D-6",
        "8 CFR 214.14(b)(2)-(3)",
    ),
    p(
        DerivativePrincipalAge,
        None,
        None,
        21,
        false,
        "T-10",
        "8 U.S.C. 1101(a)(15)(T)(ii); 8 CFR 214.211",
    ),
    p(
        SiblingAgeLimit,
        None,
        None,
        18,
        false,
        "T-10",
        "8 U.S.C. 1184(o)(5); 8 CFR 214.211(e)",
    ),
    // CP-3: one year (older DHS page) until the ICE CP Resource Guide of
    // 2021-07-30 announced two-year increments; the exact change date is [U].
    p(
        CpTermMonths,
        None,
        Some(date!(2021 - 07 - 30)),
        12,
        true,
        "CP-3",
        "former DHS Continued Presence page",
    ),
    p(
        CpTermMonths,
        Some(date!(2021 - 07 - 30)),
        None,
        24,
        true,
        "CP-3",
        "ICE release of 2021-07-30 (CP Resource Guide)",
    ),
    p(
        CpExtensionMonths,
        None,
        Some(date!(2021 - 07 - 30)),
        12,
        true,
        "CP-3",
        "former DHS Continued Presence page",
    ),
    p(
        CpExtensionMonths,
        Some(date!(2021 - 07 - 30)),
        None,
        24,
        true,
        "CP-3",
        "ICE release of 2021-07-30 (CP Resource Guide)",
    ),
    // T-6: bona fide determinations exist for I-914s filed on or after 2024-08-28.
    p(
        TBonaFideReviewAvailable,
        None,
        Some(date!(2024 - 08 - 28)),
        0,
        false,
        "T-6",
        "89 FR 34864; 8 CFR 214.205",
    ),
    p(
        TBonaFideReviewAvailable,
        Some(date!(2024 - 08 - 28)),
        None,
        1,
        false,
        "T-6",
        "89 FR 34864; 8 CFR 214.205",
    ),
    p(
        TStatusYears,
        None,
        None,
        4,
        false,
        "T-8",
        "8 U.S.C. 1184(o)(7)(A); 8 CFR 214.203(a)",
    ),
    p(
        TExtensionYears,
        None,
        None,
        1,
        false,
        "T-9",
        "8 U.S.C. 1184(o)(7)(B); 8 CFR 214.212(a)",
    ),
    p(
        UStatusYears,
        None,
        None,
        4,
        false,
        "U-10",
        "8 U.S.C. 1184(p)(6); 8 CFR 214.14(g)(1)",
    ),
    p(
        USuppBValidMonths,
        Some(date!(2007 - 09 - 17)),
        None,
        6,
        false,
        "U-7",
        "8 CFR 214.14(c)(2)(i)",
    ),
    p(
        USuppBWarnMonths,
        Some(date!(2007 - 09 - 17)),
        None,
        5,
        false,
        "U-7",
        "rules.md U-7 suggested alert",
    ),
    p(
        UBonaFideTermYears,
        Some(date!(2021 - 06 - 14)),
        None,
        4,
        false,
        "U-9",
        "USCIS PM Vol. 3 Pt. C Ch. 5",
    ),
    p(
        AdjustmentPresenceYears,
        None,
        None,
        3,
        false,
        "T-12",
        "8 U.S.C. 1255(l), 1255(m); 8 CFR 245.23, 245.24",
    ),
    p(
        AdjustmentSingleAbsenceDays,
        None,
        None,
        90,
        false,
        "T-12",
        "8 U.S.C. 1255(l)(3); 8 CFR 245.23(a)(4)",
    ),
    p(
        AdjustmentAggregateAbsenceDays,
        None,
        None,
        180,
        false,
        "T-12",
        "8 U.S.C. 1255(l)(3); 8 CFR 245.23(a)(4)",
    ),
    p(
        HhsMinorNotifyHours,
        Some(date!(2008 - 12 - 23)),
        None,
        24,
        false,
        "HHS-5",
        "22 U.S.C. 7105(b)(1)(H)",
    ),
    p(
        HhsInterimDays,
        Some(date!(2008 - 12 - 23)),
        None,
        90,
        false,
        "HHS-4",
        "22 U.S.C. 7105(b)(1)(G)",
    ),
    p(
        HhsInterimExtensionDays,
        Some(date!(2008 - 12 - 23)),
        None,
        30,
        false,
        "HHS-4",
        "22 U.S.C. 7105(b)(1)(G)",
    ),
    // HHS-8: by the date of eligibility (for victims, the letter date).
    p(
        RcaRmaMonths,
        None,
        Some(date!(2021 - 10 - 01)),
        8,
        false,
        "HHS-8",
        "ACF, 2022-03-31",
    ),
    p(
        RcaRmaMonths,
        Some(date!(2021 - 10 - 01)),
        Some(date!(2025 - 05 - 05)),
        12,
        false,
        "HHS-8",
        "ACF press release, 2022-03-31",
    ),
    p(
        RcaRmaMonths,
        Some(date!(2025 - 05 - 05)),
        None,
        4,
        true,
        "HHS-8",
        "ORR FR notice 2025-03-21; DCL 25-13",
    ),
];

/// The parameter table the engine reads. `Default` is the built-in table;
/// another table (a policy change not yet in a release) can be given.
#[derive(Clone, Debug)]
pub struct Parameters {
    periods: Vec<Period>,
}

impl Default for Parameters {
    fn default() -> Self {
        Self {
            periods: BUILT_IN.to_vec(),
        }
    }
}

impl Parameters {
    /// A table from periods. Overlapping periods of one parameter are
    /// refused: a date must never have two answers.
    ///
    /// # Errors
    /// Names the parameter whose periods overlap.
    pub fn new(periods: Vec<Period>) -> Result<Self, Param> {
        for (i, a) in periods.iter().enumerate() {
            for b in &periods[i + 1..] {
                if a.param == b.param && overlaps(a, b) {
                    return Err(a.param);
                }
            }
        }
        Ok(Self { periods })
    }

    /// The value in effect on `on`, or `None` when no period covers it (the
    /// rule did not exist yet).
    #[must_use]
    pub fn on(&self, param: Param, on: Date) -> Option<&Period> {
        self.periods.iter().find(|x| {
            x.param == param && x.from.is_none_or(|f| on >= f) && x.until.is_none_or(|u| on < u)
        })
    }

    /// Every period, for `haven relief parameters` and the docs.
    #[must_use]
    pub fn periods(&self) -> &[Period] {
        &self.periods
    }
}

fn overlaps(a: &Period, b: &Period) -> bool {
    let starts_before_b_ends = match (a.from, b.until) {
        (Some(f), Some(u)) => f < u,
        _ => true,
    };
    let b_starts_before_a_ends = match (b.from, a.until) {
        (Some(f), Some(u)) => f < u,
        _ => true,
    };
    starts_before_b_ends && b_starts_before_a_ends
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_table_has_one_answer_per_date() {
        assert!(Parameters::new(BUILT_IN.to_vec()).is_ok());
    }

    #[test]
    fn rca_rma_months_follow_the_letter_date() {
        let t = Parameters::default();
        let months = |d| t.on(RcaRmaMonths, d).map(|p| p.value);
        assert_eq!(months(date!(2021 - 09 - 30)), Some(8));
        assert_eq!(months(date!(2021 - 10 - 01)), Some(12));
        assert_eq!(months(date!(2025 - 05 - 04)), Some(12));
        assert_eq!(months(date!(2025 - 05 - 05)), Some(4));
    }

    #[test]
    fn overlapping_periods_are_refused() {
        let mut periods = BUILT_IN.to_vec();
        periods.push(p(
            CpTermMonths,
            Some(date!(2023 - 01 - 01)),
            None,
            36,
            false,
            "CP-3",
            "test",
        ));
        assert_eq!(Parameters::new(periods).unwrap_err(), CpTermMonths);
    }
}
