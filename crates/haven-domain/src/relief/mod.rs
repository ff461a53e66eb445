//! The immigration-relief and benefits rules engine (rules.md §2-§6).
//!
//! Pure and deterministic: [`evaluate`] takes the facts of a case as of a
//! date and the parameter table, and returns one [`Outcome`] per pathway
//! (and per family member for the Supplement A pathways). It never reads the
//! clock, the database or the order facts were given in. Every explanation
//! line cites the rule IDs it applies; lines that rest on an item marked [U]
//! in rules.md say so.
//!
//! Haven shows these results to case workers as guidance. USCIS, DHS and HHS
//! decide; the engine never says anyone "is eligible", only what the facts
//! suggest and what is still missing.

pub mod calendar;
pub mod documents;
pub mod facts;
pub mod params;
mod pathways;

pub use facts::{FACTS_FORMAT, Facts, FactsError, parse};
pub use params::{Param, Parameters, Period};

use serde::Serialize;
use time::{Date, OffsetDateTime};

/// The version string of the result document.
pub const RESULT_FORMAT: &str = "haven.relief-result/1";

/// A rule ID from rules.md, e.g. `"U-7"`.
pub type RuleId = &'static str;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pathway {
    ContinuedPresence,
    TPrincipal,
    TFamily,
    TAdjustment,
    UPrincipal,
    UFamily,
    UAdjustment,
    HhsCertification,
    HhsEligibilityLetter,
    HhsInterimAssistance,
    HhsMinorNotification,
}

impl Pathway {
    pub const ALL: [Self; 11] = [
        Self::ContinuedPresence,
        Self::TPrincipal,
        Self::TFamily,
        Self::TAdjustment,
        Self::UPrincipal,
        Self::UFamily,
        Self::UAdjustment,
        Self::HhsCertification,
        Self::HhsEligibilityLetter,
        Self::HhsInterimAssistance,
        Self::HhsMinorNotification,
    ];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::ContinuedPresence => "continued_presence",
            Self::TPrincipal => "t_principal",
            Self::TFamily => "t_family",
            Self::TAdjustment => "t_adjustment",
            Self::UPrincipal => "u_principal",
            Self::UFamily => "u_family",
            Self::UAdjustment => "u_adjustment",
            Self::HhsCertification => "hhs_certification",
            Self::HhsEligibilityLetter => "hhs_eligibility_letter",
            Self::HhsInterimAssistance => "hhs_interim_assistance",
            Self::HhsMinorNotification => "hhs_minor_notification",
        }
    }
}

/// Where a pathway stands. For `hhs_minor_notification`, `likely_qualifies`
/// means the 24-hour duty applies and is not yet met, `obtained` that it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    NotApplicable,
    MayQualify,
    LikelyQualifies,
    InformationMissing,
    NotEligibleNow,
    Obtained,
}

impl Status {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::NotApplicable => "not_applicable",
            Self::MayQualify => "may_qualify",
            Self::LikelyQualifies => "likely_qualifies",
            Self::InformationMissing => "information_missing",
            Self::NotEligibleNow => "not_eligible_now",
            Self::Obtained => "obtained",
        }
    }
}

/// Who must act on a next step or deadline.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Actor {
    Victim,
    Advocate,
    LawEnforcement,
    Uscis,
    Hhs,
}

/// One sentence of the explanation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Line {
    pub text: String,
    pub rules: Vec<RuleId>,
    /// Rests on an item marked [U] in rules.md (the text says so too).
    pub uncertain: bool,
}

/// A fact the engine needs and does not have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// Path in the facts format, e.g. `u_certification.signed_on`.
    pub field: String,
    pub question: String,
    pub rules: Vec<RuleId>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub actor: Actor,
    pub action: String,
    pub rules: Vec<RuleId>,
}

/// What a deadline or expiry date is. Stable codes: reminders and the
/// deadline dashboard key on them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineKind {
    ContinuedPresenceExpires,
    TStatusExpires,
    UStatusExpires,
    USupplementBWarning,
    UFileBy,
    AdjustmentEligibleFrom,
    AdjustmentFileBy,
    #[serde(rename = "t_file_before_age_21")]
    TFileBeforeAge21,
    #[serde(rename = "rfa_before_age_18")]
    RfaBeforeAge18,
    InterimAssistanceEnds,
    RcaRmaEnds,
    HhsNotificationDue,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Deadline {
    pub kind: DeadlineKind,
    #[serde(with = "crate::record::iso_date")]
    pub on: Date,
    /// An exact time when the rule counts hours (HHS-5).
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    pub actor: Actor,
    pub what: String,
    pub rules: Vec<RuleId>,
    pub uncertain: bool,
}

/// One pathway's result.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub pathway: Pathway,
    /// The family member's label for Supplement A pathways.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_member: Option<String>,
    pub status: Status,
    pub missing: Vec<Missing>,
    pub next_steps: Vec<Step>,
    pub deadlines: Vec<Deadline>,
    pub explanation: Vec<Line>,
}

/// Every pathway for one case.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Evaluation {
    pub format: &'static str,
    #[serde(with = "crate::record::iso_date")]
    pub as_of: Date,
    pub outcomes: Vec<Outcome>,
}

impl Evaluation {
    /// Every deadline of every pathway, soonest first.
    #[must_use]
    pub fn deadlines(&self) -> Vec<(&Outcome, &Deadline)> {
        let mut all: Vec<_> = self
            .outcomes
            .iter()
            .flat_map(|o| o.deadlines.iter().map(move |d| (o, d)))
            .collect();
        all.sort_by_key(|(o, d)| (d.on, d.kind, o.pathway, o.family_member.clone()));
        all
    }
}

/// Evaluates every pathway. The facts should have passed
/// [`Facts::validate`]; the engine does not panic on facts that did not, it
/// only gives less useful answers.
#[must_use]
pub fn evaluate(facts: &Facts, as_of: Date, params: &Parameters) -> Evaluation {
    Evaluation {
        format: RESULT_FORMAT,
        as_of,
        outcomes: pathways::all(facts, as_of, params),
    }
}
