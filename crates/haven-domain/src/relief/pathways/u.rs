//! U nonimmigrant status: the principal (U-1 to U-10, U-13) and family
//! through Supplement A (U-12).

use super::{Ctx, Out, all_true, human};
use crate::record::{ExploitationType, age_on};
use crate::relief::calendar::{add_months, add_years};
use crate::relief::facts::{
    DirectVictim, FamilyMember, IndirectVictim, QualifyingCrime, Relation, SignerRole,
    UCertification,
};
use crate::relief::params::Param;
use crate::relief::{Actor, DeadlineKind, Outcome, Pathway, Status};
use time::Date;

pub(super) fn principal(c: &Ctx) -> Outcome {
    let mut o = Out::new(Pathway::UPrincipal, None);
    if c.citizen_or_lpr() {
        o.line(&["U-1"], "U status is for noncitizens; this person is a U.S. citizen or lawful permanent resident.");
        return o.done(Status::NotApplicable);
    }
    let p = &c.f.u_petition;
    if let Some(denied) = p.denied_on {
        o.line(
            &["U-1"],
            format!("The U petition was finally denied on {}.", human(denied)),
        );
        return o.done(Status::NotEligibleNow);
    }
    if let Some(approved) = p.approved_on {
        let years = c.value(Param::UStatusYears, approved).unwrap_or(4);
        let end = p
            .status_expires_on
            .or_else(|| add_years(approved, i32::try_from(years).ok()?));
        o.line(
            &["U-10"],
            format!(
                "U status was approved on {}; the principal may work incident to status.",
                human(approved)
            ),
        );
        if p.adjustment_filed_on.is_some() {
            o.line(&["U-11", "U-14"], "An application to adjust status (I-485) is pending, which extends U status automatically.");
            return o.done(Status::Obtained);
        }
        if let Some(end) = end {
            if end < c.as_of {
                o.line(&["U-10"], format!("U status ended on {}.", human(end)));
                return o.done(Status::NotEligibleNow);
            }
            o.line(&["U-10", "U-11"], format!("U status lasts until {} (four years in all). An extension needs a newly signed Supplement B with Form I-539, exceptional circumstances, or a pending I-485.", human(end)));
            o.deadline(DeadlineKind::UStatusExpires, end, None, Actor::Advocate, &["U-10", "U-11", "U-14"], false, "U status ends: file for adjustment of status (I-485) or an extension before this date.");
        }
        return o.done(Status::Obtained);
    }
    let cert = certification(c, &mut o);
    if let Some(filed) = p.filed_on {
        o.line(
            &["U-4"],
            format!("The I-918 was filed on {}; USCIS decides.", human(filed)),
        );
        if let Some(bf) = p.bona_fide_on {
            o.line(&["U-9"], format!("USCIS found the petition bona fide on {}: a work permit and deferred action for four years may follow.", human(bf)));
        }
        if let Some(listed) = p.waiting_list_on {
            o.line(&["U-8"], format!("On the waiting list since {}: deferred action or parole, no unlawful presence meanwhile.", human(listed)));
        }
        return o.done(if cert == Some(false) {
            Status::NotEligibleNow
        } else {
            Status::MayQualify
        });
    }
    if c.f.person.citizenship.is_none() {
        o.missing(
            "person.citizenship",
            "Is the person a U.S. citizen, a lawful permanent resident or a foreign national?",
            &["U-1"],
        );
    }
    let crime = qualifying_crime(c, &mut o);
    let u = &c.f.u_crime;
    if u.culpable == Some(true) {
        o.line(
            &["U-1"],
            "A person culpable for the qualifying crime is not its victim for U purposes.",
        );
        return o.done(Status::NotEligibleNow);
    }
    let abuse = u.substantial_abuse;
    if abuse.is_none() {
        o.missing(
            "u_crime.substantial_abuse",
            "Did the person suffer substantial physical or mental abuse from the crime?",
            &["U-1"],
        );
    }
    let proxy = u
        .first_occurred_on
        .and_then(|d| c.age_on(d))
        .map(|a| i64::from(a) < c.value(Param::UChildProxyAge, c.as_of).unwrap_or(16));
    if proxy == Some(true) {
        o.line(&["U-1", "D-6"], "The person was under 16 when the crime began, so a parent, guardian or next friend may hold the information and give the help.");
    }
    let info = u.possesses_information;
    if info.is_none() {
        o.missing("u_crime.possesses_information", "Does the person (or, for a child under 16, a parent or guardian) have credible and reliable information about the crime?", &["U-1"]);
    }
    let helpful = u.helpful;
    if helpful.is_none() {
        o.missing("u_crime.helpful", "Has the person been, is being or is likely to be helpful to the investigation or prosecution?", &["U-1"]);
    }
    let place = u.in_united_states_or_extraterritorial;
    if place.is_none() {
        o.missing("u_crime.in_united_states_or_extraterritorial", "Did the crime happen in the United States (or violate a U.S. law that reaches abroad)?", &["U-1"]);
    }
    if c.f.person.admissible_or_waiver_requested == Some(false) {
        o.step(
            Actor::Advocate,
            &["U-1"],
            "Request a waiver of inadmissibility on Form I-192 with the petition.",
        );
    }
    let indirect =
        c.f.u_crime
            .indirect
            .as_ref()
            .map(|i| indirect_victim(c, i, &mut o));
    let elements = all_true(&[
        crime,
        abuse,
        info,
        helpful,
        place,
        indirect.unwrap_or(Some(true)),
    ]);
    match elements {
        Some(false) => o.line(&["U-1"], "At least one requirement of U status is not met on these facts."),
        Some(true) => o.line(&["U-1"], "The facts meet every requirement USCIS looks at: a qualifying crime in the United States, substantial abuse, information about the crime and helpfulness."),
        None => {}
    }
    // A requirement known to be unmet (no valid certification, U-4) is
    // "not eligible now", with the step that would unlock it above.
    let status = match (elements, cert) {
        (Some(false), _) | (_, Some(false)) => Status::NotEligibleNow,
        (Some(true), Some(true)) => Status::LikelyQualifies,
        (Some(true), None) => Status::MayQualify,
        (None, _) if crime.is_none() || abuse.is_none() => Status::InformationMissing,
        (None, _) => Status::MayQualify,
    };
    o.done(status)
}

/// U-2: the statute's list (the regulation's omits two crimes).
fn qualifying_crime(c: &Ctx, o: &mut Out) -> Option<bool> {
    let mut crimes = c.f.u_crime.crimes.clone();
    crimes.sort();
    crimes.dedup();
    if crimes.is_empty() {
        if matches!(
            c.f.trafficking.kind,
            Some(ExploitationType::Sex | ExploitationType::Labor | ExploitationType::Both)
        ) {
            o.line(&["U-2"], "Trafficking is a qualifying crime for U status.");
            return Some(true);
        }
        if c.f.u_crime.none_qualifies {
            o.line(&["U-2"], "None of the crimes the person suffered is on the list of qualifying criminal activity or substantially similar to one, and U status needs one.");
            o.step(Actor::Advocate, &["U-2"], "Check every element of what happened against the list (for example extortion, felonious assault, false imprisonment, peonage, trafficking): if one matches, record it.");
            return Some(false);
        }
        o.missing(
            "u_crime.crimes",
            "Which crimes was the person a victim of?",
            &["U-2"],
        );
        return None;
    }
    if crimes.iter().any(|x| {
        matches!(
            x,
            QualifyingCrime::Stalking | QualifyingCrime::FraudInForeignLaborContracting
        )
    }) {
        o.line(&["U-2"], "Stalking and fraud in foreign labor contracting are on the statute's list of qualifying crimes, though the older regulation omits them; Haven follows the statute.");
    } else {
        o.line(
            &["U-2"],
            "The crime is on the statute's list of qualifying criminal activity.",
        );
    }
    if crimes.contains(&QualifyingCrime::SimilarActivity) {
        o.line(&["U-2"], "A \"similar activity\" counts only if its nature and elements are substantially similar to a listed crime.");
    }
    Some(true)
}

/// U-5: only the head of a certifying agency, a supervisor the head
/// designated, or a judge can sign. An unknown signer is asked about and
/// not held against the petition; an unauthorized one means there is no
/// valid certification, so no six-month clock runs from it.
fn authorized_signer(s: &UCertification, signed: Date, o: &mut Out) -> bool {
    let agency = match (&s.agency_name, s.agency_kind) {
        (Some(name), _) if !name.trim().is_empty() => format!(" ({})", name.trim()),
        _ => String::new(),
    };
    match s.signer_role {
        None => {
            o.missing("u_certification.signer_role", "Who signed Supplement B: the head of the agency, a supervisor the head designated, a judge, or someone else?", &["U-5"]);
            true
        }
        Some(SignerRole::Other) => {
            o.line(&["U-5"], format!("Supplement B signed on {}{agency} was not signed by the agency's head, a supervisor the head designated, or a judge: it is not a valid certification and cannot support the petition. The six months run only from a valid signature.", human(signed)));
            o.step(Actor::LawEnforcement, &["U-5", "U-7"], "Ask the head of the certifying agency, a supervisor the head designated, or a judge to sign a new Supplement B.");
            false
        }
        Some(role) => {
            let who = match role {
                SignerRole::AgencyHead => "the head of the certifying agency",
                SignerRole::DesignatedSupervisor => "a supervisor the agency's head designated",
                _ => "a judge",
            };
            o.line(
                &["U-5"],
                format!("Supplement B was signed by {who}{agency}, who may certify."),
            );
            true
        }
    }
}

/// U-4, U-5, U-7, U-13: the certification and the six-month rule.
fn certification(c: &Ctx, o: &mut Out) -> Option<bool> {
    let s = &c.f.u_certification;
    let filed = c.f.u_petition.filed_on;
    let Some(signed) = s.signed_on else {
        match s.signed {
            None => o.missing(
                "u_certification.signed_on",
                "Has a certifying official signed Form I-918 Supplement B?",
                &["U-4"],
            ),
            Some(true) => o.missing(
                "u_certification.signed_on",
                "On what date was Supplement B signed? The six months to file run from it.",
                &["U-4", "U-7"],
            ),
            Some(false) => {}
        }
        o.line(&["U-4"], "A U petition must include a law-enforcement certification (I-918 Supplement B); without it the petitioner is ineligible.");
        o.step(Actor::LawEnforcement, &["U-4", "U-5", "U-6"], "Ask the certifying agency to sign Supplement B: its head, a supervisor the head designated, or a judge may sign. Signing is at the agency's discretion.");
        return if filed.is_some() || s.signed == Some(false) {
            Some(false)
        } else {
            None
        };
    };
    if !authorized_signer(s, signed, o) {
        return Some(false);
    }
    if let Some(w) = s.withdrawn_on {
        o.line(&["U-13"], format!("The certification signed on {} was withdrawn on {}; it no longer supports the petition.", human(signed), human(w)));
        o.step(
            Actor::LawEnforcement,
            &["U-4", "U-13"],
            "A new, valid certification (Supplement B) is needed.",
        );
        return Some(false);
    }
    let period = c.param(Param::USuppBValidMonths, signed);
    let months = period.map_or(6, |p| p.value);
    let months32 = i32::try_from(months).unwrap_or(6);
    let valid_until = add_months(signed, months32)?;
    let warn = c
        .value(Param::USuppBWarnMonths, signed)
        .and_then(|w| add_months(signed, i32::try_from(w).ok()?));
    if let Some(f) = filed {
        if f > valid_until {
            o.line(&["U-7"], format!("Supplement B was signed on {} and the I-918 was filed on {}, more than {months} months later: it is not valid initial evidence. A newly signed Supplement B is needed.", human(signed), human(f)));
            return Some(false);
        }
        o.line(
            &["U-7"],
            format!(
                "Supplement B was signed on {}, within {months} months before filing.",
                human(signed)
            ),
        );
        return Some(true);
    }
    if c.as_of > valid_until {
        o.line(&["U-7"], format!("Supplement B was signed on {}; the I-918 had to be filed by {}. A newly signed Supplement B is needed before filing.", human(signed), human(valid_until)));
        o.step(
            Actor::LawEnforcement,
            &["U-7"],
            "Sign a new Supplement B: the petition needs one signed within the six months before filing.",
        );
        o.step(
            Actor::LawEnforcement,
            &["U-7"],
            "Ask the certifying official for a newly signed Supplement B.",
        );
        return Some(false);
    }
    o.line(&["U-7"], format!("Supplement B was signed on {}: file the I-918 no later than {} ({months} months; at month ends Haven uses the earlier date).", human(signed), human(valid_until)));
    o.deadline(
        DeadlineKind::UFileBy,
        valid_until,
        None,
        Actor::Advocate,
        &["U-7"],
        false,
        "Last day to file the I-918 with this Supplement B.",
    );
    if let Some(w) = warn {
        if c.as_of >= w {
            o.line(
                &["U-7"],
                "Less than a month is left to file with this Supplement B.",
            );
        } else {
            o.deadline(
                DeadlineKind::USupplementBWarning,
                w,
                None,
                Actor::Advocate,
                &["U-7"],
                false,
                "One month left to file the I-918 with this Supplement B.",
            );
        }
    }
    o.step(
        Actor::Advocate,
        &["U-7"],
        format!(
            "File the I-918 with Supplement B by {}.",
            human(valid_until)
        ),
    );
    Some(true)
}

/// U-12: family through Supplement A; ages at the principal's filing.
pub(super) fn family(c: &Ctx, m: &FamilyMember) -> Outcome {
    let mut o = Out::new(Pathway::UFamily, Some(&m.id));
    if c.citizen_or_lpr() {
        o.line(&["U-12"], "Family members join a U principal; this person is a U.S. citizen or lawful permanent resident.");
        return o.done(Status::NotApplicable);
    }
    let p = &c.f.u_petition;
    if m.committed_the_crime == Some(true) {
        o.line(
            &["U-12"],
            "A family member who committed the qualifying crime cannot join.",
        );
        return o.done(Status::NotEligibleNow);
    }
    let adult_age = c
        .value(Param::DerivativePrincipalAge, c.as_of)
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(21);
    let sibling_age = c
        .value(Param::SiblingAgeLimit, c.as_of)
        .and_then(|v| u8::try_from(v).ok())
        .unwrap_or(18);
    let reference = p.filed_on.unwrap_or(c.as_of);
    let principal_young = c.age_on(reference).map(|a| a < adult_age);
    let member_age = m.date_of_birth.and_then(|b| age_on(b, reference));
    let under = |o: &mut Out, limit: u8, who: &str| -> Option<bool> {
        if m.married == Some(true) {
            o.line(&["U-12"], format!("{who} must be unmarried to join."));
            return Some(false);
        }
        match member_age {
            Some(a) if a < limit => {
                o.line(
                    &["U-12"],
                    format!("{who} under {limit} at the principal's filing stays eligible."),
                );
                m.married.map(|x| !x).or_else(|| {
                    o.missing(
                        format!("family.{}.married", m.id),
                        "Is this family member married?",
                        &["U-12"],
                    );
                    None
                })
            }
            Some(_) => {
                o.line(
                    &["U-12"],
                    format!("{who} must be under {limit} at the principal's filing."),
                );
                Some(false)
            }
            None => {
                if m.date_of_birth.is_none() {
                    o.missing(
                        format!("family.{}.date_of_birth", m.id),
                        "When was this family member born?",
                        &["U-12"],
                    );
                }
                None
            }
        }
    };
    let young = |o: &mut Out, who: &str| -> Option<bool> {
        match principal_young {
            Some(true) => {
                o.line(
                    &["U-12"],
                    format!("{who} may join because the principal was under 21 at filing."),
                );
                Some(true)
            }
            Some(false) => {
                o.line(
                    &["U-12"],
                    format!("{who} may join only a principal under 21."),
                );
                Some(false)
            }
            None => {
                c.ask_birth(o, "When was the principal born? Parents and siblings can join a principal under 21.", &["U-12", "D-6"]);
                None
            }
        }
    };
    let relation_ok = match m.relation {
        Some(Relation::Spouse) => {
            o.line(&["U-12"], "A spouse may join (U-2 status).");
            Some(true)
        }
        Some(Relation::Child) => under(&mut o, adult_age, "A child (U-3)"),
        Some(Relation::Parent) => young(&mut o, "A parent (U-4)"),
        Some(Relation::Sibling) => {
            let base = under(&mut o, sibling_age, "A sibling (U-5)");
            all_true(&[base, young(&mut o, "A sibling (U-5)")])
        }
        Some(Relation::ChildOfDerivative) => {
            o.line(
                &["U-12"],
                "U status has no category for a derivative's child.",
            );
            return o.done(Status::NotApplicable);
        }
        None => None,
    };
    if relation_ok == Some(false) {
        return o.done(Status::NotEligibleNow);
    }
    if m.committed_the_crime.is_none() {
        o.missing(
            format!("family.{}.committed_the_crime", m.id),
            "Did this family member commit the crime?",
            &["U-12"],
        );
    }
    let status = match (relation_ok, p.approved_on, p.denied_on) {
        (_, _, Some(_)) => {
            o.line(
                &["U-12"],
                "The principal's petition was denied, so family members cannot join through it.",
            );
            Status::NotEligibleNow
        }
        (Some(true), Some(_), _) if m.committed_the_crime == Some(false) => Status::LikelyQualifies,
        (Some(true), _, _) => Status::MayQualify,
        _ => Status::InformationMissing,
    };
    if status != Status::NotEligibleNow {
        o.step(
            Actor::Advocate,
            &["U-12"],
            "File Supplement A for this family member with the I-918 or later.",
        );
    }
    o.done(status)
}

/// U-3: family of a direct victim who died of murder or manslaughter, or
/// is incompetent or incapacitated, count as victims: a spouse, children
/// under 21, and, when the direct victim was under 21, parents and
/// unmarried siblings under 18; ages at the time of the crime.
fn indirect_victim(c: &Ctx, i: &IndirectVictim, o: &mut Out) -> Option<bool> {
    let direct = match i.direct_victim {
        Some(DirectVictim::Neither) => {
            o.line(&["U-3"], "Family members count as indirect victims only when the direct victim died of murder or manslaughter or is incompetent or incapacitated.");
            return Some(false);
        }
        Some(_) => Some(true),
        None => {
            o.missing("u_crime.indirect.direct_victim", "Did the direct victim die of murder or manslaughter, or is the direct victim incompetent or incapacitated?", &["U-3"]);
            None
        }
    };
    let own_age = i.age_at_crime.map(i64::from).or_else(|| {
        c.f.u_crime
            .first_occurred_on
            .and_then(|d| c.age_on(d))
            .map(i64::from)
    });
    let under = |age: Option<i64>, limit: i64| age.map(|a| a < limit);
    let direct_age = i.direct_victim_age_at_crime.map(i64::from);
    let ask_own = |o: &mut Out| {
        if own_age.is_none() {
            o.missing(
                "u_crime.indirect.age_at_crime",
                "How old was the person when the crime happened?",
                &["U-3"],
            );
        }
    };
    let ask_direct = |o: &mut Out| {
        if direct_age.is_none() {
            o.missing(
                "u_crime.indirect.direct_victim_age_at_crime",
                "How old was the direct victim when the crime happened?",
                &["U-3"],
            );
        }
    };
    let relation = match i.relation {
        Some(Relation::Spouse) => Some(true),
        Some(Relation::Child) => {
            ask_own(o);
            under(own_age, 21)
        }
        Some(Relation::Parent) => {
            ask_direct(o);
            under(direct_age, 21)
        }
        Some(Relation::Sibling) => {
            ask_direct(o);
            ask_own(o);
            if i.married.is_none() {
                o.missing(
                    "u_crime.indirect.married",
                    "Was the person married when the crime happened?",
                    &["U-3"],
                );
            }
            all_true(&[
                under(direct_age, 21),
                under(own_age, 18),
                i.married.map(|m| !m),
            ])
        }
        Some(Relation::ChildOfDerivative) => Some(false),
        None => {
            o.missing(
                "u_crime.indirect.relation",
                "How is the person related to the direct victim?",
                &["U-3"],
            );
            None
        }
    };
    match all_true(&[direct, relation]) {
        Some(true) => o.line(&["U-3"], "The person is an indirect victim: family of a direct victim who died or is incapacitated, within the ages the rule sets."),
        Some(false) => o.line(&["U-3"], "As family of the direct victim, the person is not an indirect victim: only a spouse, children under 21, and (when the direct victim was under 21) parents and unmarried siblings under 18 at the time of the crime are."),
        None => {}
    }
    all_true(&[direct, relation])
}
