//! Table tests for the relief engine: at least one case per rule ID the
//! engine cites (a test below reads the engine's sources to make sure), each
//! checking the status, the dates and that the explanation cites the rule.

use haven_domain::relief::{self, DeadlineKind, Outcome, Parameters, Pathway, Status};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use time::Date;
use time::macros::format_description;

fn date(s: &str) -> Date {
    Date::parse(s, format_description!("[year]-[month]-[day]")).expect("test date")
}

/// An adult foreign national, labor trafficking by force, in the U.S.
fn base() -> Value {
    json!({
        "format": "haven.relief-facts/1",
        "person": {"date_of_birth": "1990-05-02", "citizenship": "foreign_national", "in_united_states": true},
        "trafficking": {"kind": "labor", "force_fraud_or_coercion": true, "first_act_on": "2019-03-01",
                        "present_on_account_of_trafficking": true, "committed_trafficking": false}
    })
}

fn merge(a: &mut Value, b: Value) {
    match (a, b) {
        (Value::Object(a), Value::Object(b)) => {
            for (k, v) in b {
                merge(a.entry(k).or_insert(Value::Null), v);
            }
        }
        (a, b) => *a = b,
    }
}

fn with(patch: Value) -> Value {
    let mut v = base();
    merge(&mut v, patch);
    v
}

struct Case {
    rule: &'static str,
    name: &'static str,
    as_of: &'static str,
    facts: Value,
    pathway: Pathway,
    member: Option<&'static str>,
    status: Status,
    deadline: Option<(DeadlineKind, &'static str)>,
    missing: Option<&'static str>,
    /// A field that must NOT be reported missing.
    not_missing: Option<&'static str>,
    uncertain: bool,
}

const fn case(rule: &'static str, name: &'static str, pathway: Pathway, status: Status) -> Case {
    Case {
        rule,
        name,
        as_of: "2026-11-28",
        facts: Value::Null,
        pathway,
        member: None,
        status,
        deadline: None,
        missing: None,
        not_missing: None,
        uncertain: false,
    }
}

impl Case {
    fn facts(mut self, patch: Value) -> Self {
        self.facts = with(patch);
        self
    }
    fn on(mut self, as_of: &'static str) -> Self {
        self.as_of = as_of;
        self
    }
    fn member(mut self, id: &'static str) -> Self {
        self.member = Some(id);
        self
    }
    fn deadline(mut self, kind: DeadlineKind, on: &'static str) -> Self {
        self.deadline = Some((kind, on));
        self
    }
    fn missing(mut self, field: &'static str) -> Self {
        self.missing = Some(field);
        self
    }
    fn not_missing(mut self, field: &'static str) -> Self {
        self.not_missing = Some(field);
        self
    }
    fn uncertain(mut self) -> Self {
        self.uncertain = true;
        self
    }
}

fn cites(o: &Outcome, rule: &str) -> bool {
    o.explanation.iter().any(|l| l.rules.contains(&rule))
        || o.next_steps.iter().any(|s| s.rules.contains(&rule))
        || o.missing.iter().any(|m| m.rules.contains(&rule))
        || o.deadlines.iter().any(|d| d.rules.contains(&rule))
}

fn run(c: &Case) -> Outcome {
    let facts_value = if c.facts.is_null() {
        base()
    } else {
        c.facts.clone()
    };
    let as_of = date(c.as_of);
    let facts = relief::parse(&facts_value.to_string(), as_of)
        .unwrap_or_else(|e| panic!("{} ({}): facts refused: {e}", c.rule, c.name));
    let result = relief::evaluate(&facts, as_of, &Parameters::default());
    result
        .outcomes
        .into_iter()
        .find(|o| o.pathway == c.pathway && o.family_member.as_deref() == c.member)
        .unwrap_or_else(|| panic!("{} ({}): no outcome for {:?}", c.rule, c.name, c.pathway))
}

const ALL_U_ELEMENTS: &str = r#"{"substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true}"#;

fn u_elements() -> Value {
    serde_json::from_str(ALL_U_ELEMENTS).unwrap()
}

#[allow(clippy::too_many_lines)]
fn cases() -> Vec<Case> {
    use DeadlineKind as K;
    use Pathway as P;
    use Status as S;
    vec![
        // Definitions.
        case("D-1", "force, fraud or coercion makes labor trafficking severe", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"law_enforcement": {"potential_witness": true}})),
        case("D-4", "coercion is part of the severe-form finding", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"law_enforcement": {"potential_witness": true}})),
        case("D-2", "sex trafficking defined, with patronizing and soliciting", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"trafficking": {"kind": "sex"}, "law_enforcement": {"potential_witness": true}})),
        case("D-3", "a commercial sex act", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"trafficking": {"kind": "sex"}, "law_enforcement": {"potential_witness": true}})),
        case("D-7", "a victim of a severe form", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"law_enforcement": {"potential_witness": true}})),
        case("HHS-9", "TVAP case management helps reach certification", P::HhsCertification, S::NotEligibleNow)
            .facts(json!({"law_enforcement": {"willing_to_assist": true}})),
        case("D-5", "sex trafficking of a minor needs no force, fraud or coercion", P::HhsEligibilityLetter, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2010-01-01"}, "trafficking": {"kind": "sex", "force_fraud_or_coercion": false, "first_act_on": "2025-01-01"}})),
        case("D-5", "labor trafficking of a minor still needs force, fraud or coercion", P::HhsEligibilityLetter, S::NotEligibleNow)
            .facts(json!({"person": {"date_of_birth": "2010-01-01"}, "trafficking": {"kind": "labor", "force_fraud_or_coercion": false, "first_act_on": "2025-01-01"}})),
        case("D-6", "17 at the first act: no law-enforcement contact needed", P::TPrincipal, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2006-06-01", "extreme_hardship": true, "admissible_or_waiver_requested": true}, "trafficking": {"first_act_on": "2024-05-31"}}))
            .not_missing("law_enforcement.reported_on"),
        case("D-6", "18 on the day of the first act: contact needed", P::TPrincipal, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2006-06-01", "extreme_hardship": true, "admissible_or_waiver_requested": true}, "trafficking": {"first_act_on": "2024-06-01"}}))
            .missing("law_enforcement.reported_on"),
        case("D-6", "a child today, the first act's date unknown: no contact needed even after a refusal", P::TPrincipal, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2012-01-01", "extreme_hardship": true, "admissible_or_waiver_requested": true},
                          "trafficking": {"first_act_on": null}, "law_enforcement": {"complied_with_reasonable_requests": false}}))
            .not_missing("person.date_of_birth"),
        case("D-6", "under 18 at the last act, the first act's date unknown: under 18 at an act", P::TPrincipal, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2007-01-01", "extreme_hardship": true, "admissible_or_waiver_requested": true},
                          "trafficking": {"first_act_on": null, "last_act_on": "2024-06-01"}}))
            .not_missing("law_enforcement.reported_on"),
        case("T-1", "an adult who may have been a minor at an act is not refused for declining law enforcement", P::TPrincipal, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2000-01-01", "extreme_hardship": true, "admissible_or_waiver_requested": true},
                          "trafficking": {"first_act_on": null}, "law_enforcement": {"complied_with_reasonable_requests": false}}))
            .missing("trafficking.first_act_on"),
        case("HHS-3", "a child, the first act's date unknown: an Eligibility Letter is likely", P::HhsEligibilityLetter, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2012-01-01"}, "trafficking": {"kind": "sex", "force_fraud_or_coercion": null, "first_act_on": null}}))
            .not_missing("person.date_of_birth"),
        case("D-5", "force, fraud or coercion known absent is not asked again", P::TPrincipal, S::InformationMissing)
            .facts(json!({"person": {"date_of_birth": "2000-01-01"}, "trafficking": {"kind": "sex", "force_fraud_or_coercion": false, "first_act_on": null}}))
            .not_missing("trafficking.force_fraud_or_coercion"),
        case("D-8", "a person who trafficked others is barred from T status", P::TPrincipal, S::NotEligibleNow)
            .facts(json!({"trafficking": {"committed_trafficking": true}})),
        // Continued Presence.
        // Class 5: Continued Presence is discretionary, so before a request
        // the answer is "may qualify", with the next step for the agency.
        case("CP-1", "a victim and potential witness: federal LE should request", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"law_enforcement": {"potential_witness": true}})),
        case("CP-1", "only local police: partner with a federal agency", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"law_enforcement": {"potential_witness": true, "agency_level": "local", "agency_name": "County Sheriff"}}))
            .not_missing("law_enforcement.agency_level"),
        case("CP-1", "the agency's level is asked when it decides the next step", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"law_enforcement": {"potential_witness": true}}))
            .missing("law_enforcement.agency_level"),
        case("CP-1", "not a potential witness", P::ContinuedPresence, S::NotEligibleNow)
            .facts(json!({"law_enforcement": {"potential_witness": false}})),
        case("CP-1", "a state agency must go through a federal partner", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"continued_presence": {"requested_on": "2026-11-01", "requested_by": "state_local_tribal"}})),
        case("CP-1", "U.S. citizens need no Continued Presence", P::ContinuedPresence, S::NotApplicable)
            .facts(json!({"person": {"citizenship": "us_citizen"}})),
        case("CP-2", "DHS decides a pending request", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"continued_presence": {"requested_on": "2026-11-01", "requested_by": "federal"}})),
        case("CP-3", "granted before 2021-07-30: one year", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"requested_on": "2021-05-01", "granted_on": "2021-06-01"}}))
            .on("2022-01-01").deadline(K::ContinuedPresenceExpires, "2022-06-01").uncertain(),
        case("CP-3", "granted after 2021-07-30: two years", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"requested_on": "2025-12-01", "granted_on": "2026-01-10"}}))
            .deadline(K::ContinuedPresenceExpires, "2028-01-10").uncertain(),
        case("CP-3", "the expiry on the grant wins", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"granted_on": "2026-01-10", "expires_on": "2027-01-09"}}))
            .deadline(K::ContinuedPresenceExpires, "2027-01-09"),
        case("CP-3", "expired with no extension requested", P::ContinuedPresence, S::NotEligibleNow)
            .facts(json!({"continued_presence": {"granted_on": "2023-01-10"}})),
        case("CP-3", "expired with an extension pending", P::ContinuedPresence, S::MayQualify)
            .facts(json!({"continued_presence": {"granted_on": "2023-01-10", "extension_requested_on": "2024-12-01"}})),
        case("CP-5", "CP in force usually brings work authorization", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"granted_on": "2026-01-10"}})),
        case("CP-4", "a civil action under 1595 extends the stay", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"granted_on": "2026-01-10"}})),
        case("CP-7", "the requesting agency's protection duty", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"granted_on": "2026-01-10"}})),
        case("CP-8", "no derivatives; parole for relatives", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"granted_on": "2026-01-10"}})),
        case("CP-12", "confidential like T and U", P::ContinuedPresence, S::Obtained)
            .facts(json!({"continued_presence": {"granted_on": "2026-01-10"}})),
        case("CP-6", "a denied request", P::ContinuedPresence, S::NotEligibleNow)
            .facts(json!({"continued_presence": {"requested_on": "2026-01-10", "denied_on": "2026-03-01"}})),
        case("CP-9", "CP in force is a ground for adult certification", P::HhsCertification, S::LikelyQualifies)
            .facts(json!({"continued_presence": {"granted_on": "2026-01-10"}, "law_enforcement": {"willing_to_assist": true}})),
        case("CP-9", "a CP-based certification after CP was revoked is flagged", P::HhsCertification, S::Obtained)
            .facts(json!({"continued_presence": {"granted_on": "2024-01-10", "revoked_on": "2026-02-01"},
                          "hhs": {"certification_letter_on": "2024-02-01", "certification_basis": "continued_presence"}}))
            .uncertain(),
        case("CP-10", "witness status unknown: deferred action as a stopgap", P::ContinuedPresence, S::InformationMissing)
            .missing("law_enforcement.potential_witness"),
        case("CP-11", "revoked CP stops counting as evidence", P::ContinuedPresence, S::NotEligibleNow)
            .facts(json!({"continued_presence": {"granted_on": "2024-01-10", "revoked_on": "2026-02-01"}})),
        // T.
        case("T-1", "every element met", P::TPrincipal, S::LikelyQualifies)
            .facts(json!({"person": {"extreme_hardship": true, "admissible_or_waiver_requested": true}, "law_enforcement": {"reported_on": "2025-01-05"}})),
        case("T-1", "no extreme hardship", P::TPrincipal, S::NotEligibleNow)
            .facts(json!({"person": {"extreme_hardship": false}, "law_enforcement": {"reported_on": "2025-01-05"}})),
        case("T-1", "refused a reasonable request", P::TPrincipal, S::NotEligibleNow)
            .facts(json!({"law_enforcement": {"reported_on": "2025-01-05", "complied_with_reasonable_requests": false}})),
        case("T-1", "U.S. citizens need no T status", P::TPrincipal, S::NotApplicable)
            .facts(json!({"person": {"citizenship": "us_citizen"}})),
        case("T-2", "no exception: report at least once", P::TPrincipal, S::MayQualify)
            .facts(json!({"person": {"extreme_hardship": true, "admissible_or_waiver_requested": true}}))
            .missing("law_enforcement.reported_on"),
        case("T-2", "trauma exception: no contact at all", P::TPrincipal, S::LikelyQualifies)
            .facts(json!({"person": {"extreme_hardship": true, "admissible_or_waiver_requested": true, "unable_to_cooperate_due_to_trauma": true}}))
            .not_missing("law_enforcement.reported_on"),
        case("T-3", "not present on account of trafficking", P::TPrincipal, S::NotEligibleNow)
            .facts(json!({"trafficking": {"present_on_account_of_trafficking": false}})),
        case("T-3", "presence unknown", P::TPrincipal, S::InformationMissing)
            .facts(json!({"trafficking": {"present_on_account_of_trafficking": null}}))
            .missing("trafficking.present_on_account_of_trafficking"),
        case("T-4", "filed and pending", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_application": {"filed_on": "2024-01-15"}})),
        case("T-14", "no referral for removal while pending (policy uncertain)", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_application": {"filed_on": "2024-01-15"}})).uncertain(),
        case("T-1", "after filing, the age exception is still explained", P::TPrincipal, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2010-01-01"}, "trafficking": {"first_act_on": "2025-01-01"}, "t_application": {"filed_on": "2026-02-01"}})),
        case("T-5", "an optional declaration was signed", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_declaration": {"signed_on": "2026-01-15"}, "t_application": {"filed_on": "2026-02-01", "personal_statement_signed": true}})),
        case("T-5", "a withdrawn declaration no longer counts", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_declaration": {"signed_on": "2026-01-15", "withdrawn_on": "2026-05-01"}, "t_application": {"filed_on": "2026-02-01", "personal_statement_signed": true}})),
        case("T-6", "filed after 2024-08-28 without a personal statement", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_application": {"filed_on": "2024-09-01"}}))
            .missing("t_application.personal_statement_signed"),
        case("T-6", "bona fide determination", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_application": {"filed_on": "2024-09-01", "personal_statement_signed": true, "bona_fide_on": "2025-03-01"}})),
        case("T-6", "a receipt is not enough for HHS certification", P::HhsCertification, S::NotEligibleNow)
            .facts(json!({"t_application": {"filed_on": "2026-09-01"}, "law_enforcement": {"willing_to_assist": true}})),
        case("T-7", "on the waiting list", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_application": {"filed_on": "2024-09-01", "bona_fide_on": "2025-03-01", "waiting_list_on": "2025-09-01", "personal_statement_signed": true}})),
        case("T-8", "approved: four years of status", P::TPrincipal, S::Obtained)
            .facts(json!({"t_application": {"filed_on": "2021-05-01", "approved_on": "2022-03-01"}}))
            .on("2025-01-01").deadline(K::TStatusExpires, "2026-03-01"),
        case("T-8", "approved on a leap day", P::TPrincipal, S::Obtained)
            .facts(json!({"t_application": {"filed_on": "2023-05-01", "approved_on": "2024-02-29"}}))
            .deadline(K::TStatusExpires, "2028-02-29"),
        case("T-9", "status ended without an I-485", P::TPrincipal, S::NotEligibleNow)
            .facts(json!({"t_application": {"filed_on": "2021-05-01", "approved_on": "2022-03-01"}})),
        case("T-9", "a pending I-485 extends status", P::TPrincipal, S::Obtained)
            .facts(json!({"t_application": {"filed_on": "2021-05-01", "approved_on": "2022-03-01", "adjustment_filed_on": "2025-06-01"}})),
        case("T-10", "a parent joins a principal under 21 at filing", P::TFamily, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2006-01-01"}, "t_application": {"filed_on": "2026-10-01"},
                          "family": [{"id": "mother", "relation": "parent"}]}))
            .member("mother"),
        case("T-10", "a parent of an adult principal needs a present danger", P::TFamily, S::NotEligibleNow)
            .facts(json!({"family": [{"id": "mother", "relation": "parent", "present_danger_of_retaliation": false}]}))
            .member("mother"),
        case("T-10", "present danger of retaliation opens parents at any age", P::TFamily, S::MayQualify)
            .facts(json!({"family": [{"id": "mother", "relation": "parent", "present_danger_of_retaliation": true}]}))
            .member("mother"),
        case("T-10", "a sibling under 18 at filing stays eligible after turning 18", P::TFamily, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2006-01-01"}, "t_application": {"filed_on": "2024-01-02"},
                          "family": [{"id": "brother", "relation": "sibling", "date_of_birth": "2006-12-31", "married": false}]}))
            .member("brother"),
        case("T-10", "a married child cannot join", P::TFamily, S::NotEligibleNow)
            .facts(json!({"family": [{"id": "son", "relation": "child", "date_of_birth": "2008-01-01", "married": true}]}))
            .member("son"),
        case("T-10", "file before the principal turns 21", P::TFamily, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2006-03-01"}, "family": [{"id": "mother", "relation": "parent"}]}))
            .member("mother").deadline(K::TFileBeforeAge21, "2027-02-28"),
        case("T-10", "a derivative's child needs a present danger", P::TFamily, S::NotEligibleNow)
            .facts(json!({"family": [{"id": "nephew", "relation": "child_of_derivative", "present_danger_of_retaliation": false}]}))
            .member("nephew"),
        case("T-10", "principal approved: the spouse likely qualifies", P::TFamily, S::LikelyQualifies)
            .facts(json!({"t_application": {"filed_on": "2024-01-15", "approved_on": "2025-01-15"}, "family": [{"id": "spouse", "relation": "spouse"}]}))
            .member("spouse"),
        case("T-11", "a withdrawn declaration is a revocation ground", P::TPrincipal, S::MayQualify)
            .facts(json!({"t_declaration": {"signed_on": "2026-01-15", "withdrawn_on": "2026-05-01"}, "t_application": {"filed_on": "2026-02-01", "personal_statement_signed": true}})),
        case("T-12", "three years not yet reached", P::TAdjustment, S::NotEligibleNow)
            .facts(json!({"t_application": {"filed_on": "2019-05-01", "approved_on": "2020-01-01"}}))
            .on("2022-06-01").deadline(K::AdjustmentEligibleFrom, "2023-01-01"),
        case("T-12", "three years reached, good character and compliance", P::TAdjustment, S::LikelyQualifies)
            .facts(json!({"t_application": {"filed_on": "2019-05-01", "approved_on": "2020-01-01"}, "person": {"good_moral_character": true},
                          "law_enforcement": {"complied_with_reasonable_requests": true}}))
            .on("2023-06-01").deadline(K::AdjustmentFileBy, "2024-01-01"),
        case("T-12", "a single absence over 90 days breaks continuity", P::TAdjustment, S::NotEligibleNow)
            .facts(json!({"t_application": {"filed_on": "2019-05-01", "approved_on": "2020-01-01"},
                          "absences": [{"left_on": "2021-01-01", "returned_on": "2021-04-11", "justified_by_investigation": false}]}))
            .on("2023-06-01"),
        case("T-12", "an absence the investigation needed does not count", P::TAdjustment, S::MayQualify)
            .facts(json!({"t_application": {"filed_on": "2019-05-01", "approved_on": "2020-01-01"},
                          "absences": [{"left_on": "2021-01-01", "returned_on": "2021-04-11", "justified_by_investigation": true}]}))
            .on("2023-06-01"),
        case("T-12", "absences over 180 days in all break continuity", P::TAdjustment, S::NotEligibleNow)
            .facts(json!({"t_application": {"filed_on": "2019-05-01", "approved_on": "2020-01-01"},
                          "absences": [{"left_on": "2020-03-01", "returned_on": "2020-05-10", "justified_by_investigation": false},
                                       {"left_on": "2021-03-01", "returned_on": "2021-05-10", "justified_by_investigation": false},
                                       {"left_on": "2022-03-01", "returned_on": "2022-05-10", "justified_by_investigation": false}]}))
            .on("2023-06-01"),
        case("T-12", "a completed investigation shortens the wait", P::TAdjustment, S::MayQualify)
            .facts(json!({"t_application": {"filed_on": "2019-05-01", "approved_on": "2020-01-01"}, "law_enforcement": {"investigation_completed_on": "2021-06-01"}}))
            .on("2021-07-01"),
        // U.
        case("U-1", "every element and a valid certification", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-10-01"}})),
        case("U-1", "culpable for the crime", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_crime": {"culpable": true}})),
        case("U-1", "no substantial abuse", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_crime": {"substantial_abuse": false, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true}})),
        case("U-1", "under 16 at the crime: a parent may help", P::UPrincipal, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2012-01-01"}, "trafficking": {"first_act_on": "2026-01-01"},
                          "u_crime": {"first_occurred_on": "2026-01-01", "substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true}})),
        case("U-2", "stalking is on the statute's list", P::UPrincipal, S::MayQualify)
            .facts(json!({"trafficking": {"kind": null, "force_fraud_or_coercion": null},
                          "u_crime": {"crimes": ["stalking"], "substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true}})),
        case("U-2", "no crime known", P::UPrincipal, S::InformationMissing)
            .facts(json!({"trafficking": {"kind": null}})).missing("u_crime.crimes"),
        case("U-4", "no certification yet", P::UPrincipal, S::MayQualify)
            .facts(json!({"u_crime": u_elements()}))
            .missing("u_certification.signed_on"),
        case("U-5", "who may sign", P::UPrincipal, S::MayQualify)
            .facts(json!({"u_crime": u_elements()})),
        // Class 3: who signed decides whether there is a certification.
        case("U-5", "signed by an investigator: no certification, no clock", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-10-01", "signer_role": "other", "agency_kind": "local_law_enforcement"}}))
            .not_missing("u_certification.signed_on"),
        case("U-5", "signed by a judge: valid, the six months run", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-10-01", "signer_role": "judge", "agency_kind": "judge"}}))
            .deadline(K::UFileBy, "2027-04-01"),
        case("U-5", "re-signed by the agency's head: the clock starts at the new signature", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-11-02", "signer_role": "agency_head", "agency_kind": "eeoc"}}))
            .deadline(K::UFileBy, "2027-05-02"),
        case("U-5", "an unknown signer is asked about, not held against the petition", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-10-01"}}))
            .missing("u_certification.signer_role"),
        // Class 4: a requirement known to be unmet is "not eligible now".
        case("U-4", "signed, the date not yet recorded: asked for", P::UPrincipal, S::MayQualify)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed": true}}))
            .missing("u_certification.signed_on"),
        case("U-4", "known: no certification has been signed", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed": false}}))
            .not_missing("u_certification.signed_on"),
        case("U-2", "the crimes are known and none qualifies", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"trafficking": {"kind": null, "force_fraud_or_coercion": null},
                          "u_crime": {"none_qualifies": true, "substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true}}))
            .not_missing("u_crime.crimes"),
        // U-3: indirect victims.
        case("U-3", "the spouse of a murdered victim", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": {"crimes": ["murder"], "indirect": {"direct_victim": "died", "relation": "spouse"},
                                      "substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true},
                          "u_certification": {"signed_on": "2026-10-01", "signer_role": "agency_head"}})),
        case("U-3", "a sibling of 17 of an incapacitated victim of 19", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": {"crimes": ["felonious_assault"], "indirect": {"direct_victim": "incapacitated", "relation": "sibling", "age_at_crime": 17, "direct_victim_age_at_crime": 19, "married": false},
                                      "substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true},
                          "u_certification": {"signed_on": "2026-10-01", "signer_role": "designated_supervisor"}})),
        case("U-3", "the parent of a victim who was 30: not an indirect victim", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_crime": {"crimes": ["murder"], "indirect": {"direct_victim": "died", "relation": "parent", "direct_victim_age_at_crime": 30},
                                      "substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true}})),
        case("U-3", "a child whose age at the crime is unknown", P::UPrincipal, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": null}, "u_crime": {"crimes": ["murder"], "indirect": {"direct_victim": "died", "relation": "child"},
                                      "substantial_abuse": true, "possesses_information": true, "helpful": true, "in_united_states_or_extraterritorial": true}}))
            .missing("u_crime.indirect.age_at_crime"),
        case("U-6", "what the certification states", P::UPrincipal, S::MayQualify)
            .facts(json!({"u_crime": u_elements()})),
        case("U-7", "signed on 31 August: file by 28 February", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-08-31"}}))
            .deadline(K::UFileBy, "2027-02-28"),
        case("U-7", "the warning at five months", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-08-31"}}))
            .deadline(K::USupplementBWarning, "2027-01-31"),
        case("U-7", "leap year: file by 29 February", P::UPrincipal, S::LikelyQualifies)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2027-08-31"}}))
            .on("2027-09-01").deadline(K::UFileBy, "2028-02-29"),
        case("U-7", "filed the day after six months: not valid", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_certification": {"signed_on": "2026-03-31"}, "u_petition": {"filed_on": "2026-10-01"}})),
        case("U-7", "filed on the last day: valid", P::UPrincipal, S::MayQualify)
            .facts(json!({"u_certification": {"signed_on": "2026-03-31"}, "u_petition": {"filed_on": "2026-09-30"}})),
        case("U-7", "six months passed before filing: a new signature is needed", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-01-15"}}))
            .not_missing("u_certification.signed_on"),
        case("U-8", "waiting list", P::UPrincipal, S::MayQualify)
            .facts(json!({"u_certification": {"signed_on": "2025-01-15"}, "u_petition": {"filed_on": "2025-03-01", "waiting_list_on": "2026-01-01"}})),
        case("U-9", "bona fide determination", P::UPrincipal, S::MayQualify)
            .facts(json!({"u_certification": {"signed_on": "2025-01-15"}, "u_petition": {"filed_on": "2025-03-01", "bona_fide_on": "2026-01-01"}})),
        case("U-10", "approved: four years", P::UPrincipal, S::Obtained)
            .facts(json!({"u_petition": {"filed_on": "2023-03-01", "approved_on": "2024-02-29"}}))
            .deadline(K::UStatusExpires, "2028-02-29"),
        case("U-11", "a pending I-485 extends U status", P::UPrincipal, S::Obtained)
            .facts(json!({"u_petition": {"filed_on": "2019-03-01", "approved_on": "2021-01-01", "adjustment_filed_on": "2024-06-01"}})),
        case("U-12", "a parent of an adult principal cannot join", P::UFamily, S::NotEligibleNow)
            .facts(json!({"family": [{"id": "father", "relation": "parent"}]})).member("father"),
        case("U-12", "a parent of a principal under 21 may join", P::UFamily, S::MayQualify)
            .facts(json!({"person": {"date_of_birth": "2007-01-01"}, "family": [{"id": "father", "relation": "parent"}]})).member("father"),
        case("U-12", "no U category for a derivative's child", P::UFamily, S::NotApplicable)
            .facts(json!({"family": [{"id": "nephew", "relation": "child_of_derivative"}]})).member("nephew"),
        case("U-12", "a family member who committed the crime is barred", P::UFamily, S::NotEligibleNow)
            .facts(json!({"family": [{"id": "spouse", "relation": "spouse", "committed_the_crime": true}]})).member("spouse"),
        case("U-13", "a withdrawn certification", P::UPrincipal, S::NotEligibleNow)
            .facts(json!({"u_crime": u_elements(), "u_certification": {"signed_on": "2026-09-01", "withdrawn_on": "2026-10-01"}}))
            .not_missing("u_certification.signed_on"),
        case("U-14", "three years of U status, no refusal", P::UAdjustment, S::LikelyQualifies)
            .facts(json!({"u_petition": {"filed_on": "2019-03-01", "approved_on": "2021-01-01", "refused_assistance_after_grant": false}}))
            .on("2024-03-01"),
        case("U-14", "refused assistance after the grant", P::UAdjustment, S::NotEligibleNow)
            .facts(json!({"u_petition": {"filed_on": "2019-03-01", "approved_on": "2021-01-01", "refused_assistance_after_grant": true}}))
            .on("2024-03-01"),
        // HHS.
        case("HHS-1", "adult, willing, with a bona fide T application", P::HhsCertification, S::LikelyQualifies)
            .facts(json!({"t_application": {"filed_on": "2025-01-01", "bona_fide_on": "2025-06-01"}, "law_enforcement": {"willing_to_assist": true}})),
        case("HHS-1", "trauma takes the place of willingness", P::HhsCertification, S::LikelyQualifies)
            .facts(json!({"t_application": {"filed_on": "2025-01-01", "approved_on": "2025-06-01"}, "person": {"unable_to_cooperate_due_to_trauma": true}})),
        case("HHS-1", "neither Continued Presence nor a bona fide T application: not eligible now", P::HhsCertification, S::NotEligibleNow)
            .facts(json!({"trafficking": {"force_fraud_or_coercion": null}, "law_enforcement": {"willing_to_assist": true}})),
        case("HHS-1", "a minor gets an eligibility letter instead", P::HhsCertification, S::NotApplicable)
            .facts(json!({"person": {"date_of_birth": "2012-01-01"}})),
        case("HHS-2", "lawful permanent residents need no letter", P::HhsEligibilityLetter, S::NotApplicable)
            .facts(json!({"person": {"citizenship": "lawful_permanent_resident", "date_of_birth": "2012-01-01"}})),
        case("HHS-3", "a minor qualifies without any cooperation", P::HhsEligibilityLetter, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2010-04-15"}, "trafficking": {"first_act_on": "2025-01-01"},
                          "law_enforcement": {"willing_to_assist": false, "complied_with_reasonable_requests": false}}))
            .deadline(K::RfaBeforeAge18, "2028-04-14"),
        case("HHS-3", "an RFA made before 18 still counts after", P::HhsEligibilityLetter, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2008-11-01"}, "trafficking": {"first_act_on": "2025-01-01"}, "hhs": {"rfa_submitted_on": "2026-10-15"}})),
        case("HHS-4", "interim assistance: 90 days", P::HhsInterimAssistance, S::Obtained)
            .facts(json!({"person": {"date_of_birth": "2010-04-15"}, "hhs": {"rfa_submitted_on": "2026-09-25", "interim_letter_on": "2026-10-01"}}))
            .deadline(K::InterimAssistanceEnds, "2026-12-30"),
        case("HHS-4", "interim assistance extended by 30 days", P::HhsInterimAssistance, S::Obtained)
            .facts(json!({"person": {"date_of_birth": "2010-04-15"}, "hhs": {"interim_letter_on": "2026-10-01", "interim_extended": true}}))
            .deadline(K::InterimAssistanceEnds, "2027-01-29"),
        case("HHS-4", "a child with a credible account", P::HhsInterimAssistance, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2010-04-15"}})),
        case("HHS-5", "an official identified a foreign-national child", P::HhsMinorNotification, S::LikelyQualifies)
            .facts(json!({"person": {"date_of_birth": "2010-04-15"}, "hhs": {"identified_by_official_at": "2026-11-27T22:30:00Z"}}))
            .deadline(K::HhsNotificationDue, "2026-11-28"),
        case("HHS-5", "notified in time", P::HhsMinorNotification, S::Obtained)
            .facts(json!({"person": {"date_of_birth": "2010-04-15"}, "hhs": {"identified_by_official_at": "2026-11-27T22:30:00Z", "notified_at": "2026-11-28T09:00:00Z"}})),
        case("HHS-5", "an adult: no notification duty", P::HhsMinorNotification, S::NotApplicable)
            .facts(json!({"hhs": {"identified_by_official_at": "2026-11-27T22:30:00Z"}})),
        case("HHS-6", "letters do not expire", P::HhsEligibilityLetter, S::Obtained)
            .facts(json!({"person": {"date_of_birth": "2008-01-01"}, "hhs": {"eligibility_letter_on": "2025-06-01"}})),
        case("HHS-7", "what a letter opens", P::HhsCertification, S::Obtained)
            .facts(json!({"hhs": {"certification_letter_on": "2026-06-01", "certification_basis": "t_bona_fide"}})),
        case("HHS-8", "letter before 2021-10-01: 8 months", P::HhsCertification, S::Obtained)
            .facts(json!({"hhs": {"certification_letter_on": "2021-09-30"}})).on("2022-01-01")
            .deadline(K::RcaRmaEnds, "2022-05-30"),
        case("HHS-8", "letter from 2021-10-01: 12 months", P::HhsCertification, S::Obtained)
            .facts(json!({"hhs": {"certification_letter_on": "2022-01-15"}})).on("2022-03-01")
            .deadline(K::RcaRmaEnds, "2023-01-15"),
        case("HHS-8", "letter from 2025-05-05: 4 months", P::HhsCertification, S::Obtained)
            .facts(json!({"hhs": {"certification_letter_on": "2025-05-05"}})).on("2025-06-01")
            .deadline(K::RcaRmaEnds, "2025-09-05").uncertain(),
    ]
}

#[test]
fn every_case_of_the_table() {
    let mut failures = Vec::new();
    for c in cases() {
        let o = run(&c);
        let label = format!("{} ({})", c.rule, c.name);
        if o.status != c.status {
            failures.push(format!(
                "{label}: status {:?}, expected {:?}; {:#?}",
                o.status, c.status, o.explanation
            ));
            continue;
        }
        if !cites(&o, c.rule) {
            failures.push(format!("{label}: nothing cites {}", c.rule));
        }
        if let Some((kind, on)) = c.deadline
            && !o
                .deadlines
                .iter()
                .any(|d| d.kind == kind && d.on == date(on))
        {
            failures.push(format!(
                "{label}: expected {kind:?} on {on}, got {:?}",
                o.deadlines
            ));
        }
        if let Some(field) = c.missing
            && !o.missing.iter().any(|m| m.field == field)
        {
            failures.push(format!(
                "{label}: {field} should be missing: {:?}",
                o.missing
            ));
        }
        if let Some(field) = c.not_missing
            && o.missing.iter().any(|m| m.field == field)
        {
            failures.push(format!("{label}: {field} should not be missing"));
        }
        if c.uncertain
            && !o
                .explanation
                .iter()
                .any(|l| l.uncertain && l.text.contains("Uncertain"))
        {
            failures.push(format!("{label}: the [U] item must say so"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every rule ID the engine cites has a case in the table.
#[test]
fn the_table_covers_every_rule_the_engine_cites() {
    let sources = [
        include_str!("../src/relief/pathways/mod.rs"),
        include_str!("../src/relief/pathways/cp.rs"),
        include_str!("../src/relief/pathways/t.rs"),
        include_str!("../src/relief/pathways/u.rs"),
        include_str!("../src/relief/pathways/hhs.rs"),
        include_str!("../src/relief/pathways/adjustment.rs"),
    ];
    let mut cited = BTreeSet::new();
    for src in sources {
        for piece in src.split('"').skip(1).step_by(2) {
            let is_rule = piece.split_once('-').is_some_and(|(p, n)| {
                matches!(p, "D" | "CP" | "T" | "U" | "HHS")
                    && !n.is_empty()
                    && n.chars().all(|c| c.is_ascii_digit())
            });
            if is_rule {
                cited.insert(piece.to_owned());
            }
        }
    }
    let tested: BTreeSet<String> = cases().iter().map(|c| c.rule.to_owned()).collect();
    let untested: Vec<_> = cited.difference(&tested).collect();
    assert!(
        cited.len() > 30,
        "the scan found the engine's rules: {cited:?}"
    );
    assert!(
        untested.is_empty(),
        "rules cited by the engine without a table case: {untested:?}"
    );
}

#[test]
fn outcomes_for_every_pathway_and_family_member() {
    let facts = relief::parse(
        &with(json!({"family": [{"id": "wife", "relation": "spouse"}, {"id": "son", "relation": "child"}]})).to_string(),
        date("2026-11-28"),
    )
    .unwrap();
    let result = relief::evaluate(&facts, date("2026-11-28"), &Parameters::default());
    let seen: BTreeSet<Pathway> = result.outcomes.iter().map(|o| o.pathway).collect();
    assert_eq!(seen.len(), Pathway::ALL.len());
    let members: Vec<_> = result
        .outcomes
        .iter()
        .filter(|o| o.pathway == Pathway::TFamily)
        .map(|o| o.family_member.clone().unwrap())
        .collect();
    assert_eq!(
        members,
        ["son", "wife"],
        "family results are sorted by label"
    );
}

#[test]
fn impossible_or_malformed_facts_name_the_field() {
    let as_of = date("2026-11-28");
    let cases = [
        (
            json!({"t_application": {"filed_on": "2025-01-01", "approved_on": "2024-01-01"}}),
            "t_application.approved_on",
        ),
        (
            json!({"t_application": {"approved_on": "2024-01-01"}}),
            "t_application.approved_on",
        ),
        (
            json!({"continued_presence": {"granted_on": "2027-01-01"}}),
            "continued_presence.granted_on",
        ),
        (
            json!({"trafficking": {"first_act_on": "1980-01-01"}}),
            "trafficking.first_act_on",
        ),
        (
            json!({"u_certification": {"withdrawn_on": "2026-01-01"}}),
            "u_certification.withdrawn_on",
        ),
        (
            json!({"family": [{"id": "spouse", "relation": "spouse"}, {"id": "spouse", "relation": "child"}]}),
            "family[1].id",
        ),
        (
            json!({"family": [{"id": "Maria Lopez", "relation": "child"}]}),
            "family[0].id",
        ),
        (
            json!({"family": [{"id": "maria", "relation": "child"}]}),
            "family[0].id",
        ),
        (
            json!({"absences": [{"left_on": "2026-05-01", "returned_on": "2026-04-01"}]}),
            "absences[0].returned_on",
        ),
        (
            json!({"person": {"date_of_birth": "31/12/1990"}}),
            "person.date_of_birth",
        ),
        (
            json!({"person": {"citizenship": "martian"}}),
            "person.citizenship",
        ),
        (
            json!({"u_crime": {"crimes": ["jaywalking"]}}),
            "u_crime.crimes[0]",
        ),
        (json!({"person": {"favourite_colour": "blue"}}), "person"),
        (json!({"format": "haven.relief-facts/2"}), "format"),
        (
            json!({"hhs": {"identified_by_official_at": "2026-11-20T10:00:00Z", "notified_at": "2026-11-19T10:00:00Z"}}),
            "hhs.notified_at",
        ),
    ];
    for (patch, field) in cases {
        let err =
            relief::parse(&with(patch.clone()).to_string(), as_of).expect_err(&patch.to_string());
        assert!(
            err.field.starts_with(field),
            "{patch}: expected field {field}, got {err:?}"
        );
        assert!(!err.message.is_empty());
    }
    assert!(relief::parse("{not json", as_of).is_err());
}

/// docs/relief-facts.schema.json and the engine describe the same format:
/// an instance with every field the schema lists is accepted, and every
/// field the engine writes is in the schema.
#[test]
fn the_json_schema_and_the_engine_agree_field_for_field() {
    let schema: Value =
        serde_json::from_str(include_str!("../../../docs/relief-facts.schema.json")).unwrap();
    fn sample(s: &Value) -> Value {
        if let Some(c) = s.get("const") {
            return c.clone();
        }
        if let Some(e) = s.get("enum") {
            return e[0].clone();
        }
        match s["type"].as_str() {
            Some("object") => Value::Object(
                s["properties"]
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.clone(), sample(v)))
                    .collect(),
            ),
            Some("array") => Value::Array(vec![sample(&s["items"])]),
            Some("boolean") => Value::Bool(true),
            Some("integer") => json!(s["minimum"].as_i64().unwrap_or(0) + 1),
            Some("string") if s["format"] == "date" => json!("2020-01-01"),
            Some("string") if s["format"] == "date-time" => json!("2020-01-01T10:00:00Z"),
            Some("string") => json!("label"),
            other => panic!("schema type {other:?} has no sample"),
        }
    }
    let full = sample(&schema);
    // Read without `validate`: the sample is complete, not coherent (it is
    // both approved and denied); `deny_unknown_fields` does the checking.
    let facts: relief::Facts = serde_json::from_value(full.clone())
        .unwrap_or_else(|e| panic!("the engine refuses a schema field: {e}"));
    // Serialized back, None fields are written as null: every key shows.
    let written = serde_json::to_value(&facts).unwrap();
    fn keys_in_schema(v: &Value, s: &Value, path: &str) {
        match v {
            Value::Object(map) => {
                let props = s["properties"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{path}: not an object in the schema"));
                for (k, child) in map {
                    let sub = props.get(k).unwrap_or_else(|| {
                        panic!("{path}.{k} is written by the engine but not in the schema")
                    });
                    keys_in_schema(child, sub, &format!("{path}.{k}"));
                }
            }
            Value::Array(items) => items
                .iter()
                .for_each(|i| keys_in_schema(i, &s["items"], &format!("{path}[]"))),
            _ => {}
        }
    }
    keys_in_schema(&written, &schema, "");
    assert_eq!(written, full, "every schema field is read back unchanged");
}

/// docs/relief-facts.md's coverage table names every rule of §1 to §6 of
/// the rules and IND-4: "engine" exactly for the rules the engine cites,
/// and a reason for every other.
#[test]
fn the_coverage_table_names_every_rule_and_where_it_applies() {
    let doc = include_str!("../../../docs/relief-facts.md");
    let section = doc
        .split("\n## ")
        .find(|s| s.starts_with("Rules coverage"))
        .expect("a Rules coverage section");
    let mut rows = std::collections::BTreeMap::new();
    for line in section.lines() {
        if let Some(rest) = line.strip_prefix("| `")
            && let Some((rule, tail)) = rest.split_once("` | ")
        {
            rows.insert(rule.to_owned(), tail.trim_end_matches(" |").to_owned());
        }
    }
    let sections = [("D", 8), ("CP", 12), ("T", 14), ("U", 15), ("HHS", 9)];
    let mut rules: Vec<String> = sections
        .iter()
        .flat_map(|(p, n)| (1..=*n).map(move |i| format!("{p}-{i}")))
        .collect();
    rules.push("IND-4".into());
    let sources = [
        include_str!("../src/relief/pathways/mod.rs"),
        include_str!("../src/relief/pathways/cp.rs"),
        include_str!("../src/relief/pathways/t.rs"),
        include_str!("../src/relief/pathways/u.rs"),
        include_str!("../src/relief/pathways/hhs.rs"),
        include_str!("../src/relief/pathways/adjustment.rs"),
    ];
    for rule in &rules {
        let row = rows
            .get(rule)
            .unwrap_or_else(|| panic!("{rule} has no row in the coverage table"));
        let cited = sources.iter().any(|s| s.contains(&format!("\"{rule}\"")));
        assert_eq!(
            row.starts_with("engine:"),
            cited,
            "{rule}: the table says {row:?}, the engine {} it",
            if cited { "cites" } else { "does not cite" }
        );
        assert!(row.len() > 20, "{rule}: say where or why not");
    }
    assert_eq!(rows.len(), rules.len(), "rows for rules outside the list");
}
