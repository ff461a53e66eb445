//! T nonimmigrant status: the principal (T-1 to T-9) and family through
//! Supplement A (T-10).

use super::{Ctx, Out, all_true, human};
use crate::record::age_on;
use crate::relief::calendar::add_years;
use crate::relief::facts::{FamilyMember, Relation};
use crate::relief::params::Param;
use crate::relief::{Actor, DeadlineKind, Outcome, Pathway, Status};

pub(super) fn principal(c: &Ctx) -> Outcome {
    let mut o = Out::new(Pathway::TPrincipal, None);
    if c.citizen_or_lpr() {
        o.line(&["T-1"], "T status is for noncitizens; this person is a U.S. citizen or lawful permanent resident.");
        return o.done(Status::NotApplicable);
    }
    let t = &c.f.t_application;
    declaration_lines(c, &mut o);
    if let Some(denied) = t.denied_on {
        o.line(
            &["T-1"],
            format!("The T application was finally denied on {}.", human(denied)),
        );
        return o.done(Status::NotEligibleNow);
    }
    if let Some(approved) = t.approved_on {
        let years = c.param(Param::TStatusYears, approved);
        let end = t
            .status_expires_on
            .or_else(|| add_years(approved, i32::try_from(years.map_or(4, |p| p.value)).ok()?));
        o.line(&["T-8"], format!("T status was approved on {}. The principal may work incident to status; family members file for work permits separately.", human(approved)));
        let Some(end) = end else {
            return o.done(Status::Obtained);
        };
        if t.adjustment_filed_on.is_some() {
            o.line(&["T-9", "T-12"], "An application to adjust status (I-485) is pending, which extends T status automatically.");
            return o.done(Status::Obtained);
        }
        if end < c.as_of {
            o.line(
                &["T-9"],
                format!(
                    "T status ended on {} without an application to adjust status.",
                    human(end)
                ),
            );
            return o.done(Status::NotEligibleNow);
        }
        o.line(&["T-8", "T-9"], format!("T status lasts until {}. It can be extended in one-year periods when law enforcement certifies the person's presence is needed, or for exceptional circumstances.", human(end)));
        o.deadline(DeadlineKind::TStatusExpires, end, None, Actor::Advocate, &["T-8", "T-9", "T-12"], false, "T status ends: file for adjustment of status (I-485) or an extension before this date.");
        o.step(Actor::Advocate, &["T-9", "T-12"], format!("File the I-485 (adjustment of status) or an extension before {}: not applying during T status ends the status.", human(end)));
        o.line(
            &["T-8"],
            "The principal needs advance parole before leaving the United States.",
        );
        return o.done(Status::Obtained);
    }
    if let Some(filed) = t.filed_on {
        o.line(
            &["T-4"],
            format!(
                "The I-914 was filed on {}; USCIS alone decides.",
                human(filed)
            ),
        );
        // After filing, still say why no law-enforcement contact was needed.
        if c.minor_at_an_act() == Some(true) {
            o.line(&["T-1"], "No contact with law enforcement was needed: the person was under 18 at an act of trafficking.");
        } else if c.f.person.unable_to_cooperate_due_to_trauma == Some(true) {
            o.line(&["T-1"], "No compliance with requests from law enforcement was needed: the person is unable to cooperate because of physical or psychological trauma.");
        }
        o.line(&["T-14"], "USCIS generally does not refer a T applicant for removal while the application is pending or after a denial, absent serious aggravating circumstances.");
        o.uncertain(&["T-14"], "National policy on Notices to Appear changed in 2025: check the current USCIS memo before advising on the risk of a denial.");
        if let Some(listed) = t.waiting_list_on {
            o.line(&["T-7"], format!("On the waiting list since {} because the annual cap was reached; no unlawful presence accrues meanwhile.", human(listed)));
        }
        if let Some(bf) = t.bona_fide_on {
            o.line(&["T-6"], format!("USCIS found the application bona fide on {}: a final removal order is stayed, and deferred action and a work permit (category (c)(40)) may be granted.", human(bf)));
            o.uncertain(&["T-6"], "How long T deferred action and the (c)(40) work permit last is not stated in the regulation.");
        } else if c.value(Param::TBonaFideReviewAvailable, filed) == Some(1) {
            o.line(&["T-6"], "Filed on or after 28 August 2024, so USCIS first reviews it for a bona fide determination (properly filed and complete, signed personal statement, background checks).");
            if t.personal_statement_signed != Some(true) {
                if t.personal_statement_signed.is_none() {
                    o.missing(
                        "t_application.personal_statement_signed",
                        "Was a signed personal statement included?",
                        &["T-4", "T-6"],
                    );
                } else {
                    o.line(&["T-4", "T-6"], "The application has no signed personal statement, which the bona fide review needs.");
                }
                o.step(
                    Actor::Advocate,
                    &["T-4", "T-6"],
                    "Make sure a signed, detailed personal statement is in the application.",
                );
            }
        } else {
            o.line(&["T-6"], "Filed before 28 August 2024: a bona fide review happens only if USCIS issues a request for evidence.");
        }
        return o.done(Status::MayQualify);
    }
    // Not filed yet: the six elements of T-1.
    if c.f.person.citizenship.is_none() {
        o.missing(
            "person.citizenship",
            "Is the person a U.S. citizen, a lawful permanent resident or a foreign national?",
            &["T-1"],
        );
    }
    let severe = c.severe_form(&mut o);
    let presence = all_true(&[
        c.f.person.in_united_states,
        c.f.trafficking.present_on_account_of_trafficking,
    ]);
    match presence {
        Some(true) => o.line(&["T-1", "T-3"], "The person is in the United States on account of the trafficking (there is no time limit for past trafficking)."),
        Some(false) => o.line(&["T-1", "T-3"], "T status needs presence in the United States on account of the trafficking; the facts say otherwise. Reentry for continued victimization, law-enforcement processes or unavailable treatment still counts."),
        None => {
            if c.f.person.in_united_states.is_none() {
                o.missing("person.in_united_states", "Is the person in the United States (or at a port of entry)?", &["T-1", "T-3"]);
            }
            if c.f.trafficking.present_on_account_of_trafficking.is_none() {
                o.missing("trafficking.present_on_account_of_trafficking", "Is the person in the United States on account of the trafficking?", &["T-1", "T-3"]);
            }
        }
    }
    let compliance = compliance(c, &mut o);
    let hardship = c.f.person.extreme_hardship;
    match hardship {
        Some(true) => o.line(&["T-1"], "Removal would cause extreme hardship involving unusual and severe harm."),
        Some(false) => o.line(&["T-1"], "T status needs extreme hardship involving unusual and severe harm on removal; the facts say there would be none."),
        None => o.missing("person.extreme_hardship", "Would removal cause extreme hardship involving unusual and severe harm?", &["T-1"]),
    }
    let admissible = c.f.person.admissible_or_waiver_requested;
    match admissible {
        Some(true) => {}
        Some(false) => o.step(
            Actor::Advocate,
            &["T-1"],
            "Request a waiver of inadmissibility on Form I-192 with the application.",
        ),
        None => o.missing(
            "person.admissible_or_waiver_requested",
            "Is the person admissible, or will a waiver (I-192) be requested?",
            &["T-1"],
        ),
    }
    let bar = c.f.trafficking.committed_trafficking;
    if bar == Some(true) {
        o.line(&["D-8", "T-1"], "There is substantial reason to believe the person committed an act of severe trafficking, which bars T status. (Being forced to commit crimes while trafficked is not this bar.)");
    } else if bar.is_none() {
        o.missing("trafficking.committed_trafficking", "Is there any reason to believe the person trafficked others (not crimes they were forced to commit)?", &["D-8"]);
    }
    let status =
        if [severe, presence, compliance, hardship].contains(&Some(false)) || bar == Some(true) {
            Status::NotEligibleNow
        } else if severe.is_none() || presence.is_none() {
            Status::InformationMissing
        } else if compliance == Some(true)
            && hardship == Some(true)
            && admissible == Some(true)
            && bar == Some(false)
        {
            Status::LikelyQualifies
        } else {
            Status::MayQualify
        };
    if matches!(status, Status::LikelyQualifies | Status::MayQualify) {
        o.step(Actor::Advocate, &["T-4"], "Prepare the I-914 with a signed, detailed personal statement and supporting evidence; USCIS charges no fee.");
    }
    o.done(status)
}

/// T-1.3 and T-2: cooperation with law enforcement, unless an exception
/// applies (then no contact at all is required).
fn compliance(c: &Ctx, o: &mut Out) -> Option<bool> {
    c.note_estimate(o);
    let minor = c.minor_at_an_act();
    if minor == Some(true) {
        o.line(&["T-1", "T-2", "D-6"], "The person was under 18 when an act of trafficking occurred, so no contact with law enforcement is required at all.");
        return Some(true);
    }
    if c.f.person.unable_to_cooperate_due_to_trauma == Some(true) {
        o.line(&["T-1", "T-2"], "The person cannot cooperate because of physical or psychological trauma, so no contact with law enforcement is required (a statement from a qualified professional helps).");
        return Some(true);
    }
    if minor == Some(false) {
        o.line(&["T-1", "D-6"], "The person was 18 or older at the first act of trafficking, so the age exception does not apply.");
    }
    let le = &c.f.law_enforcement;
    if le.complied_with_reasonable_requests == Some(false) {
        o.line(&["T-1", "T-2"], "The facts say a reasonable request for assistance was refused. Whether a request was reasonable depends on trauma, safety, age and other factors; review this with an attorney.");
        if minor.is_none() {
            // Under 18 at any act, no cooperation is needed: a refusal
            // cannot decide until age at the acts is known.
            o.line(&["T-1", "D-6"], "If the person was under 18 at any act of trafficking, the refusal does not matter: no law-enforcement contact is required. Evidence of age (a birth certificate, passport or other record) settles it.");
            c.ask_age_at_act(
                o,
                "Under 18 at any act of trafficking, no law-enforcement contact is needed.",
                &["T-1", "D-6"],
            );
            return None;
        }
        return Some(false);
    }
    match le.reported_on {
        Some(d) => {
            o.line(&["T-2"], format!("The trafficking was reported to law enforcement on {}; one documented contact may be enough.", human(d)));
            Some(true)
        }
        None => {
            if minor.is_none() {
                c.ask_age_at_act(
                    o,
                    "Under 18 at any act of trafficking, no law-enforcement contact is needed.",
                    &["T-1", "D-6"],
                );
            }
            o.missing("law_enforcement.reported_on", "Has the trafficking been reported to a law-enforcement agency (police, labor agency, child or adult protective services, EEOC...)?", &["T-2"]);
            o.step(Actor::Advocate, &["T-2"], "Unless an age or trauma exception applies, help the person report to an agency with jurisdiction; one documented contact by phone or online can be enough.");
            None
        }
    }
}

/// T-5: the optional law-enforcement declaration.
fn declaration_lines(c: &Ctx, o: &mut Out) {
    let d = &c.f.t_declaration;
    match (d.signed_on, d.withdrawn_on) {
        (Some(s), Some(w)) => o.line(&["T-5", "T-11"], format!("The law-enforcement declaration signed on {} was withdrawn on {}: it no longer counts as evidence of cooperation.", human(s), human(w))),
        (Some(s), None) => o.line(&["T-5"], format!("A law-enforcement declaration (I-914 Supplement B) was signed on {}. It is optional evidence with no special weight; USCIS decides.", human(s))),
        _ => o.line(&["T-5"], "A law-enforcement declaration (I-914 Supplement B) is optional: it is not required and gives no special weight."),
    }
}

/// T-10: family members through Supplement A, with the age-out protections
/// (ages are taken at the principal's filing).
pub(super) fn family(c: &Ctx, m: &FamilyMember) -> Outcome {
    let mut o = Out::new(Pathway::TFamily, Some(&m.id));
    if c.citizen_or_lpr() {
        o.line(&["T-10"], "Family members join a T principal; this person is a U.S. citizen or lawful permanent resident.");
        return o.done(Status::NotApplicable);
    }
    let t = &c.f.t_application;
    let adult_age = c
        .value(Param::DerivativePrincipalAge, c.as_of)
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(21);
    let sibling_age = c
        .value(Param::SiblingAgeLimit, c.as_of)
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(18);
    let reference = t.filed_on.unwrap_or(c.as_of);
    let principal_young = c.age_on(reference).map(|a| a < adult_age);
    if t.filed_on.is_none()
        && principal_young == Some(true)
        && let Some(day) = c.last_day_before_age(adult_age)
    {
        o.deadline(DeadlineKind::TFileBeforeAge21, day, None, Actor::Advocate, &["T-10"], false, "File the principal's I-914 before the 21st birthday to keep parents and siblings eligible.");
    }
    let member_age = m.date_of_birth.and_then(|b| age_on(b, reference));
    let relation_ok = match m.relation {
        Some(Relation::Spouse) => {
            o.line(
                &["T-10"],
                "A spouse may join at any age of the principal (T-2).",
            );
            Some(true)
        }
        Some(Relation::Child) => {
            unmarried_under(&mut o, m, member_age, adult_age, "A child", "T-3")
        }
        Some(Relation::Parent) => young_or_danger(
            c,
            &mut o,
            principal_young,
            m.present_danger_of_retaliation,
            "A parent (T-4)",
        ),
        Some(Relation::Sibling) => {
            let base = unmarried_under(&mut o, m, member_age, sibling_age, "A sibling", "T-5");
            super::all_true(&[
                base,
                young_or_danger(
                    c,
                    &mut o,
                    principal_young,
                    m.present_danger_of_retaliation,
                    "A sibling (T-5)",
                ),
            ])
        }
        Some(Relation::ChildOfDerivative) => {
            if m.present_danger_of_retaliation == Some(true) {
                o.line(&["T-10"], "A child of a derivative may join (T-6) because of a present danger of retaliation.");
                Some(true)
            } else {
                o.line(&["T-10"], "A child of a derivative may join only when there is a present danger of retaliation.");
                m.present_danger_of_retaliation.map(|_| false)
            }
        }
        None => None,
    };
    if m.present_danger_of_retaliation.is_none() && relation_ok != Some(true) {
        o.missing(format!("family.{}.present_danger_of_retaliation", m.id), "Is this family member in present danger of retaliation for the victim's escape or cooperation?", &["T-10"]);
    }
    if relation_ok == Some(false) {
        return o.done(Status::NotEligibleNow);
    }
    o.line(&["T-10"], "A derivative is approved only after the principal is; derivatives do not count against the annual cap.");
    let status = match (relation_ok, t.approved_on, t.denied_on) {
        (_, _, Some(_)) => {
            o.line(&["T-10"], "The principal's application was denied, so family members cannot be approved through it.");
            Status::NotEligibleNow
        }
        (Some(true), Some(_), _) => Status::LikelyQualifies,
        (Some(true), None, _) => Status::MayQualify,
        _ => Status::InformationMissing,
    };
    if status != Status::NotEligibleNow {
        o.step(Actor::Advocate, &["T-10"], "File Supplement A for this family member with the I-914 or later; the relationship must exist at filing and continue.");
    }
    o.done(status)
}

fn unmarried_under(
    o: &mut Out,
    m: &FamilyMember,
    age: Option<u8>,
    limit: u8,
    who: &str,
    class: &str,
) -> Option<bool> {
    if m.married == Some(true) {
        o.line(
            &["T-10"],
            format!("{who} must be unmarried to join ({class})."),
        );
        return Some(false);
    }
    if m.married.is_none() {
        o.missing(
            format!("family.{}.married", m.id),
            "Is this family member married?",
            &["T-10"],
        );
    }
    match age {
        Some(a) if a < limit => {
            o.line(&["T-10"], format!("{who} under {limit} at the principal's filing stays eligible even after turning {limit} ({class})."));
            m.married.map(|married| !married)
        }
        Some(_) => {
            o.line(
                &["T-10"],
                format!("{who} must be under {limit} at the principal's filing ({class})."),
            );
            Some(false)
        }
        None => {
            if m.date_of_birth.is_none() {
                o.missing(
                    format!("family.{}.date_of_birth", m.id),
                    "When was this family member born?",
                    &["T-10"],
                );
            }
            None
        }
    }
}

fn young_or_danger(
    c: &Ctx,
    o: &mut Out,
    principal_young: Option<bool>,
    danger: Option<bool>,
    who: &str,
) -> Option<bool> {
    if danger == Some(true) {
        o.line(&["T-10"], format!("{who} may join at any age of the principal because of a present danger of retaliation."));
        return Some(true);
    }
    match principal_young {
        Some(true) => {
            o.line(&["T-10"], format!("{who} may join because the principal was under 21 at filing (still counted as under 21 after turning 21)."));
            Some(true)
        }
        Some(false) => {
            o.line(
                &["T-10"],
                format!(
                    "{who} may join an adult principal only with a present danger of retaliation."
                ),
            );
            danger.map(|_| false)
        }
        None => {
            c.ask_birth(
                o,
                "When was the principal born? Parents and siblings can join a principal under 21.",
                &["T-10", "D-6"],
            );
            None
        }
    }
}
