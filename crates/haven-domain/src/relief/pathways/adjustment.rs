//! Adjustment of status to permanent residence for T holders (T-12) and U
//! holders (U-14): three years of continuous presence, broken by a single
//! absence over 90 days or absences over 180 days in all, unless the
//! investigation or prosecution needed or justified them.

use super::{Ctx, Out, human};
use crate::relief::calendar::{add_years, days_between};
use crate::relief::facts::Application;
use crate::relief::params::Param;
use crate::relief::{Actor, DeadlineKind, Outcome, Pathway, Status};
use time::Date;

pub(super) fn t(c: &Ctx) -> Outcome {
    evaluate(
        c,
        Pathway::TAdjustment,
        &c.f.t_application,
        "T",
        "T-12",
        Param::TStatusYears,
    )
}

pub(super) fn u(c: &Ctx) -> Outcome {
    evaluate(
        c,
        Pathway::UAdjustment,
        &c.f.u_petition,
        "U",
        "U-14",
        Param::UStatusYears,
    )
}

fn evaluate(
    c: &Ctx,
    pathway: Pathway,
    app: &Application,
    name: &str,
    rule: &'static str,
    status_years: Param,
) -> Outcome {
    let mut o = Out::new(pathway, None);
    let Some(admitted) = app.approved_on else {
        o.line(&[rule], format!("Adjustment of status is open to people holding {name} status; it has not been granted."));
        return o.done(Status::NotApplicable);
    };
    if let Some(done) = app.adjustment_approved_on {
        o.line(
            &[rule],
            format!("Permanent residence was granted on {}.", human(done)),
        );
        return o.done(Status::Obtained);
    }
    if let Some(filed) = app.adjustment_filed_on {
        o.line(
            &[rule, if name == "T" { "T-9" } else { "U-11" }],
            format!(
                "The I-485 was filed on {}; {name} status is extended while it is pending.",
                human(filed)
            ),
        );
        if name == "T" {
            o.line(
                &["T-12"],
                "Leaving the United States while the I-485 is pending abandons it.",
            );
        }
        return o.done(Status::MayQualify);
    }
    let years = c
        .value(status_years, admitted)
        .and_then(|y| i32::try_from(y).ok())
        .unwrap_or(4);
    let status_end = app.status_expires_on.or_else(|| add_years(admitted, years));
    if let Some(end) = status_end
        && end < c.as_of
    {
        o.line(&[rule], format!("{name} status ended on {} before an I-485 was filed; adjustment needs current {name} status.", human(end)));
        return o.done(Status::NotEligibleNow);
    }
    let presence_years = c
        .value(Param::AdjustmentPresenceYears, admitted)
        .and_then(|y| i32::try_from(y).ok())
        .unwrap_or(3);
    let mut eligible_from = add_years(admitted, presence_years);
    if name == "T" {
        // T-12: three years, or the whole investigation or prosecution if
        // that ended sooner, whichever is less.
        if let Some(done) = c.f.law_enforcement.investigation_completed_on
            && done > admitted
            && eligible_from.is_none_or(|e| done < e)
        {
            o.line(&["T-12"], format!("The investigation or prosecution was completed on {}, before three years had passed: the presence period ends there.", human(done)));
            eligible_from = Some(done);
        }
    }
    let broken = absences(c, &mut o, admitted, rule);
    if broken {
        if name == "U" {
            o.step(Actor::LawEnforcement, &["U-14"], "If the absence was necessary for the investigation or prosecution, the certifying agency can certify that; include it with the I-485.");
        }
        return o.done(Status::NotEligibleNow);
    }
    let Some(from) = eligible_from else {
        return o.done(Status::InformationMissing);
    };
    if let Some(end) = status_end {
        o.deadline(
            DeadlineKind::AdjustmentFileBy,
            end,
            None,
            Actor::Advocate,
            &[rule],
            false,
            format!("Last day of {name} status: the I-485 must be filed while in status."),
        );
    }
    if c.as_of < from {
        o.line(&[rule], format!("{name} status began on {}; continuous presence reaches {presence_years} years on {}.", human(admitted), human(from)));
        o.deadline(
            DeadlineKind::AdjustmentEligibleFrom,
            from,
            None,
            Actor::Advocate,
            &[rule],
            false,
            "First day the I-485 (adjustment of status) can be filed.",
        );
        return o.done(Status::NotEligibleNow);
    }
    o.line(
        &[rule],
        format!(
            "Continuous presence since {} meets the requirement.",
            human(admitted)
        ),
    );
    let status = if name == "T" {
        t_requirements(c, &mut o)
    } else {
        u_requirements(c, &mut o)
    };
    if status != Status::NotEligibleNow {
        o.step(
            Actor::Advocate,
            &[rule],
            format!("Prepare the I-485 and file it while {name} status lasts."),
        );
    }
    o.done(status)
}

/// Counts absences after admission; true when continuity is broken.
fn absences(c: &Ctx, o: &mut Out, admitted: Date, rule: &'static str) -> bool {
    let single_max = c
        .value(Param::AdjustmentSingleAbsenceDays, admitted)
        .unwrap_or(90);
    let total_max = c
        .value(Param::AdjustmentAggregateAbsenceDays, admitted)
        .unwrap_or(180);
    let mut total = 0_i64;
    let mut longest = 0_i64;
    let mut unknown: Vec<(Date, Date)> = Vec::new();
    for a in &c.f.absences {
        let Some(left) = a.left_on else { continue };
        let back = a.returned_on.unwrap_or(c.as_of);
        let start = left.max(admitted);
        if back <= start {
            continue;
        }
        match a.justified_by_investigation {
            Some(true) => continue,
            Some(false) => {}
            None => unknown.push((left, back)),
        }
        let days = days_between(start, back);
        total += days;
        longest = longest.max(days);
    }
    if !unknown.is_empty() {
        // Named by dates, not list position: the result must not depend on
        // the order trips were listed in.
        unknown.sort();
        let trips: Vec<String> = unknown
            .iter()
            .map(|(l, b)| format!("{} to {}", human(*l), human(*b)))
            .collect();
        o.missing(
            "absences.justified_by_investigation",
            format!("Were these trips needed for, or justified by, the investigation or prosecution: {}?", trips.join(", ")),
            &[rule],
        );
    }
    if longest > single_max {
        o.line(&[rule], format!("An absence of {longest} days is longer than {single_max} days, which breaks continuous presence unless the investigation needed it."));
        return true;
    }
    if total > total_max {
        o.line(&[rule], format!("Absences add up to {total} days, more than {total_max}, which breaks continuous presence unless the investigation needed them."));
        return true;
    }
    if total > 0 {
        o.line(&[rule], format!("Absences since admission add up to {total} days (limits: {single_max} for one trip, {total_max} in all).{}", if unknown.is_empty() { "" } else { " Trips the investigation required do not count." }));
    }
    false
}

fn t_requirements(c: &Ctx, o: &mut Out) -> Status {
    let p = &c.f.person;
    let gmc = p.good_moral_character;
    match gmc {
        Some(true) => o.line(&["T-12"], "Good moral character since admission."),
        Some(false) => o.line(&["T-12"], "Good moral character is required, but problems caused by or incident to the trafficking can be waived."),
        None => o.missing("person.good_moral_character", "Has the person had good moral character since T admission?", &["T-12"]),
    }
    let under_18 = c.minor_at_an_act() == Some(true);
    let ground = c.f.law_enforcement.complied_with_reasonable_requests == Some(true)
        || p.extreme_hardship == Some(true)
        || under_18
        || p.unable_to_cooperate_due_to_trauma == Some(true);
    if ground {
        o.line(&["T-12"], "One of the required grounds is met: compliance with reasonable requests, extreme hardship, being under 18 at the trafficking, or trauma established at T approval.");
    } else {
        // Ask for the grounds not yet known; those known to be absent are
        // facts, not gaps.
        let le = &c.f.law_enforcement;
        if le.complied_with_reasonable_requests.is_none() {
            o.missing(
                "law_enforcement.complied_with_reasonable_requests",
                "Has the person complied with reasonable requests since admission?",
                &["T-12"],
            );
        }
        if p.extreme_hardship.is_none() {
            o.missing(
                "person.extreme_hardship",
                "Would removal cause extreme hardship involving unusual and severe harm?",
                &["T-12"],
            );
        }
        if c.minor_at_an_act().is_none() {
            c.ask_age_at_act(
                o,
                "Under 18 at the trafficking is one of the grounds for adjustment.",
                &["T-12", "D-6"],
            );
        }
        if p.unable_to_cooperate_due_to_trauma.is_none() {
            o.missing(
                "person.unable_to_cooperate_due_to_trauma",
                "Was trauma that prevents cooperation established when T status was approved?",
                &["T-12"],
            );
        }
    }
    if gmc == Some(true) && ground {
        Status::LikelyQualifies
    } else {
        Status::MayQualify
    }
}

fn u_requirements(c: &Ctx, o: &mut Out) -> Status {
    match c.f.u_petition.refused_assistance_after_grant {
        Some(true) => {
            o.line(&["U-14"], "Adjustment is barred when the person unreasonably refused assistance after U status was granted.");
            Status::NotEligibleNow
        }
        Some(false) => {
            o.line(&["U-14"], "USCIS also weighs humanitarian grounds, family unity or the public interest; there is no annual cap.");
            Status::LikelyQualifies
        }
        None => {
            o.missing(
                "u_petition.refused_assistance_after_grant",
                "Has the person unreasonably refused to assist since U status was granted?",
                &["U-14"],
            );
            Status::MayQualify
        }
    }
}
