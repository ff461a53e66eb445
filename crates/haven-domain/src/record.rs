//! The case record: the person, the trafficking profile, screening, stages,
//! the timeline, needs and the service plan, tasks and the rights notice.
//!
//! Picklists follow IOM's HTCDS 2.0 where it has a field for the concept (the
//! HTCDS field is named on each list). Every list is a closed enum with a
//! stable snake_case code: the code is what is stored and what the API speaks;
//! labels come from the locale files.

use serde::{Deserialize, Serialize};
use time::{Date, Duration, OffsetDateTime};

// Dates as ISO 8601 calendar dates (YYYY-MM-DD) in JSON.
time::serde::format_description!(
    pub iso_date,
    Date,
    "[year]-[month]-[day]"
);

/// A closed picklist: stable codes, `ALL` in display order, parse and print.
macro_rules! picklist {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, ::serde::Serialize, ::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            #[must_use]
            pub const fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $code),+ }
            }

            #[must_use]
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some(Self::$variant),)+ _ => None }
            }

            /// Every code, for error messages and schemas.
            #[must_use]
            pub fn codes() -> Vec<&'static str> {
                Self::ALL.iter().map(|v| v.as_str()).collect()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

pub(crate) use picklist;

picklist!(
    /// HTCDS `prs_Gender`.
    Gender {
        Feminine => "feminine",
        Masculine => "masculine",
        TransgenderFeminine => "transgender_feminine",
        TransgenderMasculine => "transgender_masculine",
        NonConforming => "non_conforming",
        Unknown => "unknown",
    }
);

picklist!(
    /// Whether the person is a U.S. citizen, a lawful permanent resident or a
    /// foreign national: it decides which relief and benefit rules apply.
    ResidencyClass {
        UsCitizen => "us_citizen",
        LawfulPermanentResident => "lawful_permanent_resident",
        ForeignNational => "foreign_national",
        Unknown => "unknown",
    }
);

picklist!(
    /// How the person may be contacted safely.
    SafeChannel {
        Phone => "phone",
        Sms => "sms",
        Email => "email",
        InPerson => "in_person",
        ThroughSpecialist => "through_specialist",
    }
);

picklist!(
    /// The person's current safety, as the worker judges it now.
    SafetyStatus {
        Safe => "safe",
        AtRisk => "at_risk",
        InDanger => "in_danger",
        Unknown => "unknown",
    }
);

picklist!(
    /// The exploitation types the issue and the law distinguish (HTCDS
    /// `vic_TypeOfExploitation` collapsed to the TVPA's sex / labor split).
    ExploitationType {
        Sex => "sex",
        Labor => "labor",
        Both => "both",
        Other => "other",
        Unknown => "unknown",
    }
);

picklist!(
    /// HTCDS `vic_MethodsOfControl`.
    MeansOfControl {
        PhysicalThreats => "physical_threats",
        ThreatsLawEnforcement => "threats_law_enforcement",
        ThreatensFamily => "threatens_children_family",
        DebtBondage => "debt_bondage",
        FalsePromises => "false_promises",
        PhysicalAbuse => "physical_abuse",
        SexualAbuse => "sexual_abuse",
        TakesEarnings => "takes_earnings",
        RestrictsFinancialAccess => "restricts_financial_access",
        RestrictsMedicalCare => "restricts_medical_care",
        WithholdsNecessities => "withholds_necessities",
        PsychologicalAbuse => "psychological_abuse",
        PsychoactiveSubstance => "psychoactive_substance",
        ExcessiveWorkingHours => "excessive_working_hours",
        WithholdsDocuments => "withholds_documents",
        Other => "other",
    }
);

picklist!(
    /// HTCDS `vic_RelationshipToTrafficker`.
    RecruiterRelation {
        Familial => "familial",
        Acquainted => "acquainted",
        Unacquainted => "unacquainted",
        Unknown => "unknown",
    }
);

picklist!(
    /// HTCDS `vic_ForcedLabourIndustry` (ISIC sections), plus the commercial
    /// sex industry.
    Industry {
        Agriculture => "agriculture",
        Mining => "mining",
        Manufacturing => "manufacturing",
        Construction => "construction",
        Retail => "retail",
        Transportation => "transportation",
        Hospitality => "accommodation_food",
        DomesticWork => "domestic_work",
        Cleaning => "cleaning_support_services",
        BeautyServices => "beauty_services",
        CommercialSex => "commercial_sex",
        Other => "other",
        Unknown => "unknown",
    }
);

picklist!(
    /// Who identified the person.
    IdentificationSource {
        LawEnforcementOperation => "law_enforcement_operation",
        Hotline => "hotline",
        SelfReferral => "self_referral",
        Ngo => "ngo",
        HealthCare => "health_care",
        Other => "other",
    }
);

picklist!(
    /// Stages of a case. A closed case carries a reason.
    Stage {
        Identified => "identified",
        Stabilizing => "stabilizing",
        ReceivingServices => "receiving_services",
        LongTermSupport => "long_term_support",
        Closed => "closed",
        Reopened => "reopened",
    }
);

picklist!(
    /// Why a case was closed.
    ClosedReason {
        GoalsMet => "goals_met",
        LostContact => "lost_contact",
        Declined => "declined_services",
        Transferred => "transferred",
        Relocated => "relocated",
        Deceased => "deceased",
        Other => "other",
    }
);

picklist!(
    /// The victim's stance on working with law enforcement. Recorded because
    /// relief pathways ask; never a condition for any service (victim-centered).
    Cooperation {
        Unknown => "unknown",
        Cooperating => "cooperating",
        Considering => "considering",
        Declined => "declined",
    }
);

picklist!(
    /// The needs-assessment domains; referrals and directory services use the
    /// same list.
    NeedCategory {
        Safety => "safety",
        Housing => "housing",
        Medical => "medical",
        Dental => "dental",
        MentalHealth => "mental_health",
        SubstanceUse => "substance_use",
        LegalCriminal => "legal_criminal",
        LegalCivil => "legal_civil",
        LegalImmigration => "legal_immigration",
        Interpretation => "interpretation",
        FoodClothing => "food_clothing",
        Financial => "financial",
        Transportation => "transportation",
        Education => "education",
        Employment => "employment_training",
        Childcare => "childcare",
        FamilyReunification => "family_reunification",
        CaseManagement => "case_management",
    }
);

picklist!(
    /// How soon a need must be met.
    Urgency {
        Immediate => "immediate",
        High => "high",
        Medium => "medium",
        Low => "low",
    }
);

picklist!(
    /// A service-plan item's progress.
    PlanStatus {
        Planned => "planned",
        InProgress => "in_progress",
        Achieved => "achieved",
        Discontinued => "discontinued",
    }
);

picklist!(
    /// Every kind of entry on a case. The first six make up the timeline.
    EntryKind {
        Contact => "contact",
        Service => "service",
        Court => "court",
        Interview => "interview",
        Note => "note",
        StatusChange => "status_change",
        Need => "need",
        PlanItem => "plan_item",
        Task => "task",
        Rights => "rights",
        Screening => "screening",
    }
);

impl EntryKind {
    /// Timeline events (as opposed to the structured record: needs, plan
    /// items, tasks, rights notices and screenings).
    #[must_use]
    pub const fn is_timeline(self) -> bool {
        matches!(
            self,
            Self::Contact
                | Self::Service
                | Self::Court
                | Self::Interview
                | Self::Note
                | Self::StatusChange
        )
    }
}

picklist!(
    /// The rights a victim is informed of: the CVRA list (R-1, 18 U.S.C.
    /// 3771(a)), the services of R-2 (34 U.S.C. 20141) and the TVPA-specific
    /// information of 28 CFR 1100.33.
    RightsItem {
        CvraProtection => "cvra_protection",
        CvraNotice => "cvra_notice",
        CvraNotExcluded => "cvra_not_excluded",
        CvraBeHeard => "cvra_be_heard",
        CvraConfer => "cvra_confer",
        CvraRestitution => "cvra_restitution",
        CvraNoDelay => "cvra_no_delay",
        CvraDignity => "cvra_dignity",
        CvraPleaInformed => "cvra_plea_informed",
        CvraInformedOfRights => "cvra_informed_of_rights",
        ServicesAvailable => "services_available",
        ProtectionArranged => "protection_arranged",
        LegalImmigrationHelp => "legal_immigration_help",
        Benefits => "benefits",
        Confidentiality => "confidentiality",
        Compensation => "compensation",
        ImmigrationBenefits => "immigration_benefits",
        Interpreters => "interpreters",
    }
);

impl RightsItem {
    /// The rule the item comes from, for the notice and the audit trail.
    #[must_use]
    pub const fn rule(self) -> &'static str {
        match self {
            Self::CvraProtection
            | Self::CvraNotice
            | Self::CvraNotExcluded
            | Self::CvraBeHeard
            | Self::CvraConfer
            | Self::CvraRestitution
            | Self::CvraNoDelay
            | Self::CvraDignity
            | Self::CvraPleaInformed
            | Self::CvraInformedOfRights => "R-1",
            Self::ServicesAvailable | Self::ProtectionArranged => "R-2",
            Self::LegalImmigrationHelp
            | Self::Benefits
            | Self::Confidentiality
            | Self::Compensation
            | Self::ImmigrationBenefits
            | Self::Interpreters => "28 CFR 1100.33",
        }
    }
}

picklist!(
    /// Screening indicators: the DHS Blue Campaign list (IND-1) and the DHS
    /// categorized list (IND-2). Indicators are not proof.
    Indicator {
        Disconnected => "disconnected",
        StoppedSchool => "stopped_school",
        BehaviorChange => "behavior_change",
        JuvenileCommercialSex => "juvenile_commercial_sex",
        Disoriented => "disoriented",
        SignsOfAbuse => "signs_of_abuse",
        Fearful => "fearful",
        DeniedNecessities => "denied_necessities",
        ControllingCompanion => "controlling_companion",
        Coached => "coached",
        UnsuitableLiving => "unsuitable_living",
        NoPossessions => "no_possessions",
        NoFreedomOfMovement => "no_freedom_of_movement",
        NoControlOfDocuments => "no_control_of_documents",
        RecruitedForOtherJob => "recruited_for_other_job",
        DebtGarnished => "debt_garnished",
        ExcessiveHours => "excessive_hours",
        ThreatsToFamily => "threats_to_family",
        DeportationThreats => "deportation_threats",
        CannotContactFamily => "cannot_contact_family",
        UnknownDestination => "unknown_destination",
    }
);

impl Indicator {
    /// IND-1 (Blue Campaign) or IND-2 (categorized list).
    #[must_use]
    pub const fn rule(self) -> &'static str {
        match self {
            Self::RecruitedForOtherJob
            | Self::DebtGarnished
            | Self::ExcessiveHours
            | Self::ThreatsToFamily
            | Self::DeportationThreats
            | Self::CannotContactFamily
            | Self::UnknownDestination => "IND-2",
            _ => "IND-1",
        }
    }
}

picklist!(
    /// What a screening suggests. Never a legal finding.
    ScreeningOutcome {
        NoIndicators => "no_indicators",
        IndicatorsPresent => "indicators_present",
        Inconclusive => "inconclusive",
    }
);

/// Safe-contact preferences: how, when and whether to reach the person.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SafeContact {
    pub channel: Option<SafeChannel>,
    /// Free text, e.g. "weekdays 10:00-12:00".
    pub safe_times: String,
    pub may_leave_message: bool,
    pub code_word: String,
    /// The daily window ("HH:MM", local time) in which written messages may
    /// arrive; messages wait for it. Empty: any time.
    #[serde(default)]
    pub safe_from: String,
    #[serde(default)]
    pub safe_until: String,
}

/// The personal details of a person beyond name and date of birth. Stored as
/// one encrypted document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersonProfile {
    pub aliases: Vec<String>,
    /// When the date of birth is unknown: the age the worker estimated, and
    /// when. Minor status is computed from it (D-6), marked as estimated.
    pub estimated_age: Option<EstimatedAge>,
    pub gender: Option<Gender>,
    /// ISO 3166 alpha-2 codes.
    pub citizenship: Vec<String>,
    pub nationality: Vec<String>,
    pub residency: Option<ResidencyClass>,
    pub immigration_status: String,
    /// ISO 639 codes, first is preferred.
    pub languages: Vec<String>,
    pub interpreter_needed: bool,
    pub disability: String,
    pub accommodations: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub safe_contact: SafeContact,
    pub safety: Option<SafetyStatus>,
    pub location: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EstimatedAge {
    pub years: u8,
    #[serde(with = "iso_date")]
    pub on: Date,
}

/// The trafficking profile of a case. Stored encrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct TraffickingProfile {
    pub exploitation: Option<ExploitationType>,
    pub means_of_control: Vec<MeansOfControl>,
    pub recruiter_relation: Option<RecruiterRelation>,
    /// ISO 3166 alpha-2.
    pub country_of_exploitation: String,
    pub industry: Option<Industry>,
    pub identification_source: Option<IdentificationSource>,
}

/// Age in whole years on `on` of someone born on `birth` (D-6: a minor "has
/// not attained 18 years of age"). A 29 February birthday is reached on
/// 1 March in common years.
#[must_use]
pub fn age_on(birth: Date, on: Date) -> Option<u8> {
    if on < birth {
        return None;
    }
    let mut years = on.year() - birth.year();
    if (on.month() as u8, on.day()) < (birth.month() as u8, birth.day()) {
        years -= 1;
    }
    u8::try_from(years).ok()
}

/// What is known about a person's age on a date.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AgeOn {
    Known(u8),
    Estimated(u8),
    Unknown,
}

impl AgeOn {
    /// Minor on that date (D-6). Unknown age is not assumed either way.
    #[must_use]
    pub const fn is_minor(self) -> Option<bool> {
        match self {
            Self::Known(a) | Self::Estimated(a) => Some(a < 18),
            Self::Unknown => None,
        }
    }
}

/// Age on `on` from a recorded date of birth, or else from an estimate
/// (the estimate ages with time).
#[must_use]
pub fn age_at(birth: Option<Date>, estimate: Option<EstimatedAge>, on: Date) -> AgeOn {
    if let Some(b) = birth {
        return age_on(b, on).map_or(AgeOn::Unknown, AgeOn::Known);
    }
    match estimate {
        Some(e) if on >= e.on => {
            let elapsed = age_on(e.on, on).unwrap_or(0);
            AgeOn::Estimated(e.years.saturating_add(elapsed))
        }
        Some(e) => AgeOn::Estimated(e.years),
        None => AgeOn::Unknown,
    }
}

/// Stage changes a worker may make: any open stage to any other, closing
/// only with a reason, and a closed case only reopens.
#[must_use]
pub fn may_change_stage(from: Stage, to: Stage) -> bool {
    match (from, to) {
        (a, b) if a == b => false,
        (Stage::Closed, Stage::Reopened) => true,
        (Stage::Closed, _) | (_, Stage::Reopened) => false,
        _ => true,
    }
}

/// HHS-5: whether the 24-hour notification applies: identified by
/// government staff, a foreign national (or unknown), and a minor (known or
/// estimated) on the day of identification.
#[must_use]
pub fn hhs_notification_applies(
    identified_by_government: bool,
    residency: Option<ResidencyClass>,
    age: AgeOn,
) -> bool {
    let foreign = !matches!(
        residency,
        Some(ResidencyClass::UsCitizen | ResidencyClass::LawfulPermanentResident)
    );
    identified_by_government && foreign && age.is_minor() == Some(true)
}

/// HHS-5: an official who discovers that a person under 18 may be a victim
/// must notify HHS within 24 hours (the hours are a dated parameter, read at
/// the identification date). Returns the deadline when it applies.
#[must_use]
pub fn hhs_notification_deadline(
    identified_by_government: bool,
    residency: Option<ResidencyClass>,
    age: AgeOn,
    identified_at: OffsetDateTime,
) -> Option<OffsetDateTime> {
    let hours = crate::relief::Parameters::default()
        .on(
            crate::relief::Param::HhsMinorNotifyHours,
            identified_at.date(),
        )
        .map_or(24, |p| p.value);
    hhs_notification_applies(identified_by_government, residency, age)
        .then(|| identified_at + Duration::hours(hours))
}

/// Amounts of money in whole cents.
pub type Cents = i64;

picklist!(
    /// What an emergency-fund payment is for.
    FundPurpose {
        Lodging => "lodging",
        Food => "food",
        Clothing => "clothing",
        Transportation => "transportation",
        Medical => "medical",
        Phone => "phone",
        Documents => "documents",
        Childcare => "childcare",
        Relocation => "relocation",
        Other => "other",
    }
);

picklist!(
    /// How an emergency-fund payment was made. A closed list, not free text:
    /// a typed "method" would name people and places in a plaintext column.
    /// The details belong in the request's (encrypted) description.
    PaymentMethod {
        Cash => "cash",
        Check => "check",
        Card => "card",
        BankTransfer => "bank_transfer",
        Voucher => "voucher",
        PaidToVendor => "paid_to_vendor",
        Other => "other",
    }
);

picklist!(
    /// The life of an emergency-fund request.
    FundRequestStatus {
        Requested => "requested",
        Approved => "approved",
        Denied => "denied",
        Disbursed => "disbursed",
    }
);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::{date, datetime};

    #[test]
    fn age_counts_whole_years_d6() {
        assert_eq!(
            age_on(date!(2008 - 11 - 28), date!(2026 - 11 - 27)),
            Some(17)
        );
        assert_eq!(
            age_on(date!(2008 - 11 - 28), date!(2026 - 11 - 28)),
            Some(18)
        );
        assert_eq!(age_on(date!(2026 - 11 - 29), date!(2026 - 11 - 28)), None);
    }

    #[test]
    fn leap_day_birthday_is_reached_on_1_march_in_common_years() {
        let born = date!(2008 - 02 - 29);
        assert_eq!(age_on(born, date!(2026 - 02 - 28)), Some(17));
        assert_eq!(age_on(born, date!(2026 - 03 - 01)), Some(18));
        assert_eq!(age_on(born, date!(2024 - 02 - 29)), Some(16));
    }

    #[test]
    fn estimated_age_ages_with_time_and_says_it_is_estimated() {
        let e = EstimatedAge {
            years: 16,
            on: date!(2025 - 06 - 01),
        };
        assert_eq!(
            age_at(None, Some(e), date!(2026 - 05 - 31)),
            AgeOn::Estimated(16)
        );
        assert_eq!(
            age_at(None, Some(e), date!(2027 - 06 - 01)),
            AgeOn::Estimated(18)
        );
        assert_eq!(age_at(None, None, date!(2026 - 01 - 01)).is_minor(), None);
        // A recorded date of birth wins over an estimate.
        assert_eq!(
            age_at(Some(date!(2000 - 01 - 01)), Some(e), date!(2026 - 01 - 01)),
            AgeOn::Known(26)
        );
    }

    #[test]
    fn stage_changes() {
        assert!(may_change_stage(Stage::Identified, Stage::Stabilizing));
        assert!(may_change_stage(Stage::ReceivingServices, Stage::Closed));
        assert!(may_change_stage(Stage::Closed, Stage::Reopened));
        assert!(!may_change_stage(Stage::Closed, Stage::Stabilizing));
        assert!(!may_change_stage(Stage::Identified, Stage::Reopened));
        assert!(!may_change_stage(Stage::Stabilizing, Stage::Stabilizing));
        assert!(may_change_stage(Stage::Reopened, Stage::ReceivingServices));
    }

    #[test]
    fn hhs_5_deadline_for_minor_foreign_nationals_found_by_officials() {
        let at = datetime!(2026-11-28 09:00 UTC);
        let due = hhs_notification_deadline(
            true,
            Some(ResidencyClass::ForeignNational),
            AgeOn::Known(15),
            at,
        );
        assert_eq!(due, Some(datetime!(2026-11-29 09:00 UTC)));
        // Unknown residency still starts the clock: the duty is to notify.
        assert!(hhs_notification_deadline(true, None, AgeOn::Estimated(16), at).is_some());
        assert!(
            hhs_notification_deadline(false, None, AgeOn::Known(15), at).is_none(),
            "NGO identification does not start the statutory clock"
        );
        assert!(
            hhs_notification_deadline(true, Some(ResidencyClass::UsCitizen), AgeOn::Known(15), at)
                .is_none()
        );
        assert!(hhs_notification_deadline(true, None, AgeOn::Known(18), at).is_none());
        assert!(hhs_notification_deadline(true, None, AgeOn::Unknown, at).is_none());
    }

    #[test]
    fn picklist_codes_round_trip() {
        for n in NeedCategory::ALL {
            assert_eq!(NeedCategory::parse(n.as_str()), Some(*n));
        }
        for r in RightsItem::ALL {
            assert!(["R-1", "R-2", "28 CFR 1100.33"].contains(&r.rule()));
        }
        assert_eq!(NeedCategory::ALL.len(), 18);
        assert_eq!(Indicator::parse("nope"), None);
    }

    proptest! {
        #[test]
        fn age_is_monotonic_and_minor_ends_at_18th_birthday(
            y in 1950i32..2030, doy in 1u16..=365, later in 0i64..40_000
        ) {
            let birth = Date::from_ordinal_date(y, doy).unwrap();
            let on = birth + Duration::days(later);
            let a = age_on(birth, on).unwrap();
            let b = age_on(birth, on + Duration::days(1)).unwrap();
            prop_assert!(b == a || b == a + 1);
            let eighteen = birth.replace_year(birth.year() + 18)
                .unwrap_or_else(|_| Date::from_calendar_date(birth.year() + 18, time::Month::March, 1).unwrap());
            prop_assert_eq!(age_on(birth, on).unwrap() < 18, on < eighteen);
        }
    }
}
