//! The pathways, one module per family of rules, and what they share: the
//! context (derived facts computed once) and the outcome builder.

mod adjustment;
mod cp;
mod hhs;
mod t;
mod u;

use super::calendar::add_months;
use super::facts::{Facts, FamilyMember};
use super::params::{Param, Parameters, Period};
use super::{Actor, Deadline, DeadlineKind, Line, Missing, Outcome, Pathway, RuleId, Status, Step};
use crate::record::{ExploitationType, ResidencyClass, age_on};
use time::{Date, OffsetDateTime};

pub(super) fn all(facts: &Facts, as_of: Date, params: &Parameters) -> Vec<Outcome> {
    let c = Ctx::new(facts, as_of, params);
    let mut family: Vec<&FamilyMember> = facts.family.iter().collect();
    // Results never depend on the order facts were given in.
    family.sort_by(|a, b| a.id.cmp(&b.id));
    let mut out = vec![cp::continued_presence(&c), t::principal(&c)];
    out.extend(family.iter().map(|m| t::family(&c, m)));
    out.push(adjustment::t(&c));
    out.push(u::principal(&c));
    out.extend(family.iter().map(|m| u::family(&c, m)));
    out.push(adjustment::u(&c));
    out.push(hhs::certification(&c));
    out.push(hhs::eligibility_letter(&c));
    out.push(hhs::interim_assistance(&c));
    out.push(hhs::minor_notification(&c));
    out
}

/// The facts plus what every pathway derives from them.
pub(crate) struct Ctx<'a> {
    pub f: &'a Facts,
    pub as_of: Date,
    params: &'a Parameters,
    pub minor_age: u8,
}

impl<'a> Ctx<'a> {
    fn new(f: &'a Facts, as_of: Date, params: &'a Parameters) -> Self {
        let minor_age = params
            .on(Param::MinorAge, as_of)
            .and_then(|p| u8::try_from(p.value).ok())
            .unwrap_or(18);
        Self {
            f,
            as_of,
            params,
            minor_age,
        }
    }

    /// The parameter in effect on `on`.
    pub fn param(&self, param: Param, on: Date) -> Option<&'a Period> {
        self.params.on(param, on)
    }

    pub fn value(&self, param: Param, on: Date) -> Option<i64> {
        self.param(param, on).map(|p| p.value)
    }

    /// U.S. citizens and lawful permanent residents need none of the
    /// immigration pathways or HHS letters (HHS-2).
    pub fn citizen_or_lpr(&self) -> bool {
        matches!(
            self.f.person.citizenship,
            Some(ResidencyClass::UsCitizen | ResidencyClass::LawfulPermanentResident)
        )
    }

    /// Age in whole years on a date (D-6), when the birth date is known.
    pub fn age_on(&self, on: Date) -> Option<u8> {
        self.f.person.date_of_birth.and_then(|b| age_on(b, on))
    }

    /// Says so when an age-dependent answer rests on an estimated age.
    pub fn note_estimate(&self, o: &mut Out) {
        if self.f.person.date_of_birth_is_estimate == Some(true)
            && self.f.person.date_of_birth.is_some()
        {
            o.line(&["D-6"], "The age used here is estimated; confirm the date of birth, since the answer depends on it.");
        }
    }

    pub fn minor_on(&self, on: Date) -> Option<bool> {
        self.age_on(on).map(|a| a < self.minor_age)
    }

    /// D-6: under 18 when at least one act of trafficking occurred. An act
    /// certainly happened by each of these dates: the last act, the
    /// identification by an official, and today; under 18 on any of them
    /// means under 18 at an act. Only the first act, the earliest, can show
    /// the person was an adult at every act; otherwise "unknown", never
    /// "adult". (Cooperation facts are not read: a minor's HHS answers may
    /// not depend on them, HHS-3.)
    pub fn minor_at_an_act(&self) -> Option<bool> {
        let t = &self.f.trafficking;
        if let Some(first) = t.first_act_on {
            return self.minor_on(first);
        }
        [
            t.last_act_on,
            self.f
                .hhs
                .identified_by_official_at
                .map(OffsetDateTime::date),
            Some(self.as_of),
        ]
        .into_iter()
        .flatten()
        .any(|by| self.minor_on(by) == Some(true))
        .then_some(true)
    }

    /// Asks for the birth date unless it was given (a given date that cannot
    /// decide, such as one after the evaluation date, is the validator's to
    /// refuse, not a missing fact).
    pub fn ask_birth(&self, o: &mut Out, question: &str, rules: &[RuleId]) {
        if self.f.person.date_of_birth.is_none() {
            o.missing("person.date_of_birth", question, rules);
        }
    }

    /// What to ask when [`Ctx::minor_at_an_act`] is unknown: the birth date
    /// if it is missing, else the date of the first act.
    pub fn ask_age_at_act(&self, o: &mut Out, why: &str, rules: &[RuleId]) {
        if self.f.person.date_of_birth.is_none() {
            o.missing(
                "person.date_of_birth",
                format!("When was the person born? {why}"),
                rules,
            );
        } else if self.f.trafficking.first_act_on.is_none() {
            o.missing(
                "trafficking.first_act_on",
                format!("When did the first act of trafficking happen? {why}"),
                rules,
            );
        }
    }

    /// The day before the birthday on which the person turns `years`.
    pub fn last_day_before_age(&self, years: u8) -> Option<Date> {
        let birth = self.f.person.date_of_birth?;
        add_months(birth, i32::from(years) * 12)?.previous_day()
    }

    /// D-1, D-5: a severe form of trafficking. Sex trafficking of a person
    /// under 18 needs no force, fraud or coercion; labor trafficking always
    /// does, minors included.
    pub fn severe_form(&self, o: &mut Out) -> Option<bool> {
        let t = &self.f.trafficking;
        let ffc = t.force_fraud_or_coercion;
        let minor = self.minor_at_an_act();
        let kind = match t.kind {
            None | Some(ExploitationType::Unknown) => {
                o.missing(
                    "trafficking.kind",
                    "What kind of exploitation was it: sex, labor, both or other?",
                    &["D-1"],
                );
                return None;
            }
            Some(k) => k,
        };
        let sex_prong = matches!(kind, ExploitationType::Sex | ExploitationType::Both);
        if sex_prong {
            o.line(&["D-2", "D-3"], "Sex trafficking is recruiting, harboring, transporting, providing, obtaining, patronizing or soliciting a person for a commercial sex act: any sex act for which anything of value is given or received.");
        }
        if ffc == Some(true) {
            o.line(&["D-1", "D-4", "D-7"], "The facts describe trafficking through force, fraud or coercion: a severe form of trafficking, so the person is a victim of a severe form.");
            return Some(true);
        }
        if sex_prong && minor == Some(true) {
            o.line(&["D-1", "D-5", "D-6", "D-7"], "The person was under 18 at an act of sex trafficking, so force, fraud or coercion need not be shown: a severe form of trafficking, and the person is its victim.");
            return Some(true);
        }
        if ffc == Some(false) && (!sex_prong || minor == Some(false)) {
            o.line(&["D-1", "D-5"], "Without force, fraud or coercion (and, for sex trafficking, with an adult victim) the facts do not describe a severe form of trafficking.");
            return Some(false);
        }
        if ffc.is_none() {
            o.missing("trafficking.force_fraud_or_coercion", "Was force, fraud or coercion used (including threats, debt or abuse of the legal process)?", &["D-1", "D-4"]);
        }
        if sex_prong && minor.is_none() {
            self.ask_age_at_act(
                o,
                "Sex trafficking of someone under 18 needs no force, fraud or coercion.",
                &["D-5", "D-6"],
            );
        }
        if !sex_prong {
            o.line(&["D-5"], "Labor trafficking is a severe form only with force, fraud or coercion, even for a child.");
        }
        None
    }

    /// Continued Presence in force on the evaluation date, with its end.
    pub fn cp_active(&self) -> Option<Date> {
        let cp = &self.f.continued_presence;
        let granted = cp.granted_on?;
        if cp.revoked_on.is_some() {
            return None;
        }
        let end = self.cp_end(granted)?;
        (end >= self.as_of).then_some(end)
    }

    /// CP-3: the expiry on the grant, or the term in force when granted.
    pub fn cp_end(&self, granted: Date) -> Option<Date> {
        let cp = &self.f.continued_presence;
        cp.expires_on.or_else(|| {
            let months = self.value(Param::CpTermMonths, granted)?;
            add_months(granted, i32::try_from(months).ok()?)
        })
    }
}

/// Builds one outcome, line by line.
pub(crate) struct Out {
    o: Outcome,
}

impl Out {
    pub fn new(pathway: Pathway, family_member: Option<&str>) -> Self {
        Self {
            o: Outcome {
                pathway,
                family_member: family_member.map(str::to_owned),
                status: Status::InformationMissing,
                missing: Vec::new(),
                next_steps: Vec::new(),
                deadlines: Vec::new(),
                explanation: Vec::new(),
            },
        }
    }

    pub fn line(&mut self, rules: &[RuleId], text: impl Into<String>) {
        self.o.explanation.push(Line {
            text: text.into(),
            rules: rules.to_vec(),
            uncertain: false,
        });
    }

    /// A line resting on a [U] item: the text says so.
    pub fn uncertain(&mut self, rules: &[RuleId], text: impl Into<String>) {
        let mut text = text.into();
        text.push_str(" [Uncertain: this point is not settled in the sources Haven follows; it is a setting that can change. Check current policy.]");
        self.o.explanation.push(Line {
            text,
            rules: rules.to_vec(),
            uncertain: true,
        });
    }

    /// A line whose figure comes from a parameter: uncertain when the
    /// parameter is.
    pub fn line_with(
        &mut self,
        period: Option<&Period>,
        rules: &[RuleId],
        text: impl Into<String>,
    ) {
        if period.is_some_and(|p| p.uncertain) {
            self.uncertain(rules, text);
        } else {
            self.line(rules, text);
        }
    }

    pub fn missing(
        &mut self,
        field: impl Into<String>,
        question: impl Into<String>,
        rules: &[RuleId],
    ) {
        let field = field.into();
        if self.o.missing.iter().any(|m| m.field == field) {
            return;
        }
        self.o.missing.push(Missing {
            field,
            question: question.into(),
            rules: rules.to_vec(),
        });
    }

    pub fn step(&mut self, actor: Actor, rules: &[RuleId], action: impl Into<String>) {
        self.o.next_steps.push(Step {
            actor,
            action: action.into(),
            rules: rules.to_vec(),
        });
    }

    #[allow(clippy::too_many_arguments)]
    pub fn deadline(
        &mut self,
        kind: DeadlineKind,
        on: Date,
        at: Option<OffsetDateTime>,
        actor: Actor,
        rules: &[RuleId],
        uncertain: bool,
        what: impl Into<String>,
    ) {
        self.o.deadlines.push(Deadline {
            kind,
            on,
            at,
            actor,
            what: what.into(),
            rules: rules.to_vec(),
            uncertain,
        });
    }

    pub fn done(mut self, status: Status) -> Outcome {
        self.o.status = status;
        self.o.deadlines.sort_by_key(|d| (d.on, d.kind));
        self.o
    }
}

/// Three facts: all true, any false, or otherwise unknown.
pub(crate) fn all_true(facts: &[Option<bool>]) -> Option<bool> {
    if facts.contains(&Some(false)) {
        Some(false)
    } else if facts.iter().all(|f| *f == Some(true)) {
        Some(true)
    } else {
        None
    }
}

pub(crate) fn human(d: Date) -> String {
    d.to_string()
}
