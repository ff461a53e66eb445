//! HHS letters: certification for adults (HHS-1, HHS-2, CP-9), eligibility
//! and interim assistance for minors (HHS-3, HHS-4), the benefit periods
//! they start (HHS-6, HHS-8), and the 24-hour notification (HHS-5).
//!
//! A minor's HHS eligibility never looks at cooperation with law
//! enforcement (7105(b)(1)(G)(iv)(III)): the minor pathways do not read the
//! `law_enforcement`, `continued_presence` or declaration facts at all.

use super::{Ctx, Out, human};
use crate::record::{AgeOn, hhs_notification_applies};
use crate::relief::calendar::{add_days, add_months};
use crate::relief::facts::CertificationBasis;
use crate::relief::params::Param;
use crate::relief::{Actor, DeadlineKind, Outcome, Pathway, Status};
use time::{Date, Duration};

/// HHS-8: RCA/RMA months by the letter date; HHS-6: letters do not expire.
fn benefit_period(c: &Ctx, o: &mut Out, letter: Date) {
    o.line(&["HHS-6", "HHS-7"], format!("The letter of {} does not expire. It opens benefits to the same extent as a refugee (TANF, SNAP, Medicaid and more); benefit agencies verify it by calling HHS at 1-866-401-5510.", human(letter)));
    let period = c.param(Param::RcaRmaMonths, letter);
    let Some(months) = period.map(|p| p.value) else {
        return;
    };
    let Some(end) = i32::try_from(months)
        .ok()
        .and_then(|m| add_months(letter, m))
    else {
        return;
    };
    let uncertain = period.is_some_and(|p| p.uncertain);
    o.line_with(period, &["HHS-8"], format!("Refugee Cash and Medical Assistance, for people not eligible for TANF or Medicaid, last {months} months from the letter date, until {}. States may count months differently.", human(end)));
    if end >= c.as_of {
        o.deadline(
            DeadlineKind::RcaRmaEnds,
            end,
            None,
            Actor::Advocate,
            &["HHS-8"],
            uncertain,
            "Refugee Cash and Medical Assistance end; plan the transition to other support.",
        );
    }
}

pub(super) fn certification(c: &Ctx) -> Outcome {
    let mut o = Out::new(Pathway::HhsCertification, None);
    if c.citizen_or_lpr() {
        o.line(&["HHS-2"], "U.S. citizens and lawful permanent residents need no HHS certification: they can use services and benefits directly.");
        return o.done(Status::NotApplicable);
    }
    let h = &c.f.hhs;
    if let Some(letter) = h.certification_letter_on {
        o.line(
            &["HHS-1"],
            format!("HHS issued a Certification Letter on {}.", human(letter)),
        );
        benefit_period(c, &mut o, letter);
        let cp = &c.f.continued_presence;
        let cp_over = cp.revoked_on.is_some()
            || cp
                .granted_on
                .is_some_and(|g| c.cp_end(g).is_some_and(|e| e < c.as_of));
        if h.certification_basis == Some(CertificationBasis::ContinuedPresence) && cp_over {
            o.uncertain(&["CP-9", "HHS-6"], "The certification rests on Continued Presence, which has ended: the law ties it to Continued Presence, so flag it for review, though HHS letters carry no expiry date.");
        }
        return o.done(Status::Obtained);
    }
    c.note_estimate(&mut o);
    match c.minor_on(c.as_of) {
        Some(true) => {
            o.line(
                &["HHS-1", "HHS-3"],
                "Certification is for adults; a minor gets an Eligibility Letter instead.",
            );
            return o.done(Status::NotApplicable);
        }
        Some(false) => {}
        None => c.ask_birth(
            &mut o,
            "When was the person born? Adults need certification; minors an Eligibility Letter.",
            &["HHS-1", "D-6"],
        ),
    }
    if c.f.person.citizenship.is_none() {
        o.missing(
            "person.citizenship",
            "Is the person a U.S. citizen, a lawful permanent resident or a foreign national?",
            &["HHS-1", "HHS-2"],
        );
    }
    o.step(Actor::Advocate, &["HHS-9"], "Refer the person to TVAP case management: it helps foreign national victims reach certification and enroll in benefits.");
    let severe = c.severe_form(&mut o);
    let willing = c.f.law_enforcement.willing_to_assist;
    let trauma = c.f.person.unable_to_cooperate_due_to_trauma;
    let assist = if willing == Some(true) {
        o.line(&["HHS-1"], "The person is willing to assist in every reasonable way in the investigation and prosecution.");
        Some(true)
    } else if trauma == Some(true) {
        o.line(&["HHS-1"], "The person is unable to cooperate because of physical or psychological trauma, which takes the place of willingness to assist.");
        Some(true)
    } else if willing == Some(false) && trauma == Some(false) {
        o.line(&["HHS-1"], "Adult certification needs willingness to assist law enforcement, or inability to do so because of trauma. Services from Haven's partners never depend on it.");
        Some(false)
    } else {
        if willing.is_none() {
            o.missing("law_enforcement.willing_to_assist", "Is the person willing to assist in every reasonable way, or unable to because of trauma?", &["HHS-1"]);
        } else {
            o.missing("person.unable_to_cooperate_due_to_trauma", "Is the person unable to assist law enforcement because of physical or psychological trauma?", &["HHS-1"]);
        }
        None
    };
    let t = &c.f.t_application;
    let t_ok = t.denied_on.is_none() && (t.bona_fide_on.is_some() || t.approved_on.is_some());
    let cp_ok = c.cp_active().is_some();
    let immigration = if cp_ok {
        o.line(
            &["HHS-1", "CP-9"],
            "Continued Presence is in force: one of the two immigration grounds for certification.",
        );
        Some(true)
    } else if t_ok {
        o.line(&["HHS-1", "T-6"], "A bona fide T application that is not denied (or T status) is one of the two immigration grounds for certification.");
        Some(true)
    } else {
        if t.filed_on.is_some() && t.denied_on.is_none() {
            o.line(&["HHS-1", "T-6"], "The T application has been filed, but a receipt notice is not enough: HHS needs a bona fide determination.");
        }
        o.line(&["HHS-1"], "Certification needs Continued Presence or a bona fide T application that is not denied; neither is in place yet.");
        o.step(Actor::LawEnforcement, &["CP-1", "HHS-1"], "If the person is a potential witness, a federal sponsor can request Continued Presence, which opens certification.");
        o.step(
            Actor::Advocate,
            &["T-4", "HHS-1"],
            "File the T application (I-914) so USCIS can make a bona fide determination.",
        );
        Some(false)
    };
    // A ground known to be absent (HHS-1: neither Continued Presence nor a
    // bona fide or approved T application) is "not eligible now", with the
    // steps that would open it above.
    let status = match (severe, assist, immigration) {
        (Some(false), _, _) | (_, Some(false), _) | (_, _, Some(false)) => Status::NotEligibleNow,
        (Some(true), Some(true), Some(true)) => {
            match h.rfc_submitted_on {
                Some(d) => o.line(&["HHS-1"], format!("A Request for Certification was submitted on {}; HHS usually issues the letter within days of DHS's notice.", human(d))),
                None => o.step(Actor::Advocate, &["HHS-1"], "Submit a Request for Certification to HHS in the Shepherd system (questions: 1-866-401-5510)."),
            }
            Status::LikelyQualifies
        }
        _ => Status::InformationMissing,
    };
    o.done(status)
}

/// Minors qualify by age when the request is made; an RFA received before
/// the 18th birthday still counts after it (D-6, OTIP-PI-16-01).
fn minor_for_hhs(c: &Ctx, o: &mut Out) -> Option<bool> {
    c.note_estimate(o);
    let now = c.minor_on(c.as_of);
    if now == Some(true) {
        return Some(true);
    }
    if let Some(rfa) = c.f.hhs.rfa_submitted_on
        && c.minor_on(rfa) == Some(true)
    {
        o.line(&["D-6", "HHS-3"], "The Request for Assistance reached HHS before the 18th birthday, so a letter can still issue.");
        return Some(true);
    }
    if now.is_none() {
        c.ask_birth(
            o,
            "When was the person born? HHS letters for minors depend on age at the request.",
            &["D-6", "HHS-3"],
        );
    }
    now.map(|_| false)
}

pub(super) fn eligibility_letter(c: &Ctx) -> Outcome {
    let mut o = Out::new(Pathway::HhsEligibilityLetter, None);
    if c.citizen_or_lpr() {
        o.line(
            &["HHS-2"],
            "U.S. citizen and lawful permanent resident children need no HHS letter.",
        );
        return o.done(Status::NotApplicable);
    }
    let h = &c.f.hhs;
    if let Some(letter) = h.eligibility_letter_on {
        o.line(
            &["HHS-3", "HHS-6"],
            format!(
                "HHS issued an Eligibility Letter on {}; it stays usable after the 18th birthday.",
                human(letter)
            ),
        );
        benefit_period(c, &mut o, letter);
        return o.done(Status::Obtained);
    }
    match minor_for_hhs(c, &mut o) {
        Some(false) => {
            o.line(
                &["HHS-3", "HHS-1"],
                "Eligibility Letters are for children; an adult needs certification.",
            );
            return o.done(Status::NotApplicable);
        }
        None => {
            c.severe_form(&mut o);
            return o.done(Status::InformationMissing);
        }
        Some(true) => {}
    }
    o.line(&["HHS-3"], "A foreign-national child who is a victim of a severe form of trafficking is eligible without certification, Continued Presence or a T application. HHS may not require cooperation with law enforcement.");
    let severe = c.severe_form(&mut o);
    if h.rfa_submitted_on.is_none()
        && c.minor_on(c.as_of) == Some(true)
        && let Some(day) = c.last_day_before_age(c.minor_age)
    {
        o.deadline(
            DeadlineKind::RfaBeforeAge18,
            day,
            None,
            Actor::Advocate,
            &["D-6", "HHS-3"],
            false,
            "Submit the Request for Assistance before the 18th birthday.",
        );
    }
    let status = match severe {
        Some(false) => Status::NotEligibleNow,
        None => Status::InformationMissing,
        Some(true) => {
            match h.rfa_submitted_on {
                Some(d) => o.line(&["HHS-3"], format!("A Request for Assistance was submitted on {}; HHS decides when the information, taken as a whole, shows eligibility.", human(d))),
                None => o.step(Actor::Advocate, &["HHS-3"], "Submit a Request for Assistance to HHS in the Shepherd system (OTIP child protection specialists: 202-205-4582)."),
            }
            Status::LikelyQualifies
        }
    };
    o.done(status)
}

pub(super) fn interim_assistance(c: &Ctx) -> Outcome {
    let mut o = Out::new(Pathway::HhsInterimAssistance, None);
    if c.citizen_or_lpr() {
        o.line(
            &["HHS-2"],
            "U.S. citizen and lawful permanent resident children need no HHS letter.",
        );
        return o.done(Status::NotApplicable);
    }
    let h = &c.f.hhs;
    if let Some(letter) = h.interim_letter_on {
        let days_p = c.param(Param::HhsInterimDays, letter);
        let days = days_p.map_or(90, |p| p.value);
        let ext = if h.interim_extended == Some(true) {
            c.value(Param::HhsInterimExtensionDays, letter)
                .unwrap_or(30)
        } else {
            0
        };
        o.line(&["HHS-4"], format!("HHS issued an Interim Assistance Letter on {}: assistance for {days} days{}. It does not decide whether the child is a victim.", human(letter), if ext > 0 { format!(", extended by {ext}") } else { String::new() }));
        if h.eligibility_letter_on.is_some() {
            o.line(
                &["HHS-3", "HHS-4"],
                "An Eligibility Letter has since been issued and replaces it.",
            );
            return o.done(Status::Obtained);
        }
        if let Some(end) = add_days(letter, days + ext) {
            if end >= c.as_of {
                o.deadline(
                    DeadlineKind::InterimAssistanceEnds,
                    end,
                    None,
                    Actor::Hhs,
                    &["HHS-4"],
                    false,
                    "Interim assistance ends; HHS must decide long-term eligibility before then.",
                );
                if ext == 0 {
                    o.line(
                        &["HHS-4"],
                        "HHS can extend the interim period once, by 30 days.",
                    );
                }
            } else {
                o.line(
                    &["HHS-4"],
                    format!(
                        "The interim period ended on {} without an Eligibility Letter on record.",
                        human(end)
                    ),
                );
                o.step(
                    Actor::Advocate,
                    &["HHS-4"],
                    "Ask HHS about the long-term eligibility decision.",
                );
                return o.done(Status::NotEligibleNow);
            }
        }
        return o.done(Status::Obtained);
    }
    match minor_for_hhs(c, &mut o) {
        Some(false) => {
            o.line(&["HHS-4"], "Interim assistance is for children.");
            return o.done(Status::NotApplicable);
        }
        None => return o.done(Status::InformationMissing),
        Some(true) => {}
    }
    o.line(&["HHS-4"], "When HHS receives credible information that a child may have been trafficked, it must promptly decide on interim assistance (up to 90 days, extendable by 30).");
    let status = match (c.f.trafficking.kind, c.severe_form(&mut o)) {
        (_, Some(false)) => Status::NotEligibleNow,
        (_, Some(true)) => Status::LikelyQualifies,
        (Some(k), None) if k != crate::record::ExploitationType::Unknown => Status::MayQualify,
        _ => Status::InformationMissing,
    };
    if matches!(status, Status::LikelyQualifies | Status::MayQualify)
        && h.rfa_submitted_on.is_none()
    {
        o.step(Actor::Advocate, &["HHS-4"], "Submit a Request for Assistance now; interim assistance can start before all facts are known.");
    }
    o.done(status)
}

pub(super) fn minor_notification(c: &Ctx) -> Outcome {
    let mut o = Out::new(Pathway::HhsMinorNotification, None);
    let h = &c.f.hhs;
    let Some(found) = h.identified_by_official_at else {
        o.line(&["HHS-5"], "The 24-hour notification starts when a federal, state or local official identifies a possible victim under 18; no such identification is recorded.");
        o.uncertain(
            &["HHS-5"],
            "The statute names officials; Haven recommends NGO workers notify HHS just as fast.",
        );
        return o.done(Status::NotApplicable);
    };
    c.note_estimate(&mut o);
    let age = c.age_on(found.date()).map_or(AgeOn::Unknown, AgeOn::Known);
    let hours = c.value(Param::HhsMinorNotifyHours, found.date());
    let Some(hours) = hours else {
        o.line(&["HHS-5"], "The 24-hour notification did not exist yet on the identification date (it dates from 2008-12-23).");
        return o.done(Status::NotApplicable);
    };
    if age == AgeOn::Unknown {
        c.ask_birth(&mut o, "When was the person born? A possible victim under 18 must be reported to HHS within 24 hours.", &["HHS-5", "D-6"]);
        return o.done(Status::InformationMissing);
    }
    if !hhs_notification_applies(true, c.f.person.citizenship, age) {
        o.line(&["HHS-5"], "The person was not a foreign-national minor when identified, so the 24-hour notification does not apply.");
        return o.done(Status::NotApplicable);
    }
    let due = found + Duration::hours(hours);
    if let Some(told) = h.notified_at {
        if told <= due {
            o.line(
                &["HHS-5"],
                format!("HHS was notified within {hours} hours of identification."),
            );
        } else {
            o.line(
                &["HHS-5"],
                format!("HHS was notified, but more than {hours} hours after identification."),
            );
        }
        return o.done(Status::Obtained);
    }
    o.line(&["HHS-5"], format!("A possible victim under 18 was identified by an official: HHS must be notified within {hours} hours, by {due}."));
    o.deadline(
        DeadlineKind::HhsNotificationDue,
        due.date(),
        Some(due),
        Actor::LawEnforcement,
        &["HHS-5"],
        false,
        "Notify HHS (Request for Assistance in Shepherd).",
    );
    if due < c.as_of.midnight().assume_utc() {
        o.line(&["HHS-5"], "The deadline has passed: notify HHS now.");
    }
    o.step(
        Actor::LawEnforcement,
        &["HHS-5"],
        "Notify HHS now by submitting a Request for Assistance in Shepherd.",
    );
    o.done(Status::LikelyQualifies)
}
