//! Continued Presence (CP-1 to CP-10).

use super::{Ctx, Out, human};
use crate::relief::facts::{AgencyLevel, Requester};
use crate::relief::params::Param;
use crate::relief::{Actor, DeadlineKind, Pathway, Status};

pub(super) fn continued_presence(c: &Ctx) -> crate::relief::Outcome {
    let mut o = Out::new(Pathway::ContinuedPresence, None);
    if c.citizen_or_lpr() {
        o.line(&["CP-1"], "Continued Presence is for noncitizens; this person is a U.S. citizen or lawful permanent resident.");
        return o.done(Status::NotApplicable);
    }
    let cp = &c.f.continued_presence;
    o.line(&["CP-10"], "Continued Presence is never a bargaining chip: help for the victim never depends on cooperation.");
    if let Some(granted) = cp.granted_on {
        if let Some(revoked) = cp.revoked_on {
            o.line(&["CP-9", "CP-11"], format!("Continued Presence granted on {} was revoked on {}. It no longer counts as evidence of compliance for a T application, and an HHS certification based on it needs review.", human(granted), human(revoked)));
            o.step(Actor::LawEnforcement, &["CP-1"], "A federal law-enforcement sponsor may file a new request if the person is again a potential witness.");
            return o.done(Status::NotEligibleNow);
        }
        let period = c.param(Param::CpTermMonths, granted);
        let Some(end) = c.cp_end(granted) else {
            o.line(&["CP-3"], "No Continued Presence term is recorded for the grant date; record the expiry shown on the grant.");
            o.missing(
                "continued_presence.expires_on",
                "When does the Continued Presence grant expire?",
                &["CP-3"],
            );
            return o.done(Status::Obtained);
        };
        let computed = cp.expires_on.is_none();
        if computed {
            let months = period.map_or(0, |p| p.value);
            o.line_with(
                period,
                &["CP-3"],
                format!(
                    "Continued Presence granted on {} runs for {months} months, until {}.",
                    human(granted),
                    human(end)
                ),
            );
        } else {
            o.line(
                &["CP-3"],
                format!(
                    "Continued Presence granted on {} expires on {}.",
                    human(granted),
                    human(end)
                ),
            );
        }
        let uncertain = computed && period.is_some_and(|p| p.uncertain);
        if end >= c.as_of {
            o.deadline(DeadlineKind::ContinuedPresenceExpires, end, None, Actor::LawEnforcement, &["CP-3"], uncertain, "Continued Presence expires; the federal sponsor requests an extension before then.");
            match cp.extension_requested_on {
                Some(d) if d >= granted => o.line(
                    &["CP-3"],
                    format!("An extension was requested on {}.", human(d)),
                ),
                _ => {
                    let ext = c.param(Param::CpExtensionMonths, c.as_of);
                    let months = ext.map_or(0, |p| p.value);
                    o.step(Actor::LawEnforcement, &["CP-3"], format!("Before {}, the federal sponsor asks DHS to extend Continued Presence (extensions run {months} months).", human(end)));
                    o.uncertain(
                        &["CP-3"],
                        "How far ahead DHS wants extension requests is not published.",
                    );
                }
            }
            o.line(&["CP-5"], "Continued Presence usually comes with work authorization; it gives no status beyond the mechanism DHS uses.");
            o.line(&["CP-7"], "The requesting agency must arrange reasonable protection for the person and their family against intimidation, threats and reprisals.");
            o.line(&["CP-8"], "Continued Presence has no derivatives; law enforcement may ask in writing for parole of certain relatives.");
            o.line(&["CP-4"], "If the person files a civil action under 18 U.S.C. 1595, DHS must let them stay until it ends, as long as they pursue it with due diligence.");
            o.line(&["CP-12"], "Information from the trafficker alone cannot be the basis of an adverse finding; Haven keeps Continued Presence records confidential like T and U records.");
            return o.done(Status::Obtained);
        }
        if cp.extension_requested_on.is_some_and(|d| d >= granted) {
            o.line(&["CP-3"], format!("Continued Presence ended on {}; an extension was requested and is awaiting a decision.", human(end)));
            return o.done(Status::MayQualify);
        }
        o.line(
            &["CP-3"],
            format!(
                "Continued Presence ended on {} and no extension was requested.",
                human(end)
            ),
        );
        o.step(Actor::LawEnforcement, &["CP-1", "CP-3"], "The federal sponsor may request Continued Presence again if the person is still a potential witness.");
        return o.done(Status::NotEligibleNow);
    }
    if let Some(denied) = cp.denied_on {
        o.line(&["CP-6"], format!("DHS denied the Continued Presence request on {}. Denials usually follow incomplete documentation or unmet conditions.", human(denied)));
        o.step(
            Actor::LawEnforcement,
            &["CP-6"],
            "The sponsor may correct the documentation and request again.",
        );
        return o.done(Status::NotEligibleNow);
    }
    if let Some(requested) = cp.requested_on {
        o.line(&["CP-2"], format!("Continued Presence was requested on {}; DHS (the Center for Countering Human Trafficking) decides.", human(requested)));
        if cp.requested_by == Some(Requester::StateLocalTribal) {
            o.line(&["CP-1"], "Only a federal law-enforcement official can file the request; a state, local or tribal agency must go through a federal partner.");
            o.step(
                Actor::LawEnforcement,
                &["CP-1"],
                "Ask a federal partner (HSI, FBI or a U.S. Attorney's Office) to file the request.",
            );
        }
        return o.done(Status::MayQualify);
    }
    if c.f.person.citizenship.is_none() {
        o.missing(
            "person.citizenship",
            "Is the person a U.S. citizen, a lawful permanent resident or a foreign national?",
            &["CP-1"],
        );
    }
    let severe = c.severe_form(&mut o);
    let witness = c.f.law_enforcement.potential_witness;
    match witness {
        Some(true) => o.line(&["CP-1"], "Law enforcement considers the person a potential witness."),
        Some(false) => o.line(&["CP-1"], "Continued Presence needs a federal law-enforcement official to state the person may be a potential witness; that is not the case now. Services do not depend on it."),
        None => {
            o.missing("law_enforcement.potential_witness", "Does law enforcement consider the person a potential witness?", &["CP-1"]);
            o.step(Actor::LawEnforcement, &["CP-10"], "If it is not yet known whether the person is a witness, ask local ICE for deferred action as a stopgap; do not substitute it for Continued Presence otherwise.");
        }
    }
    let status = match (severe, witness) {
        (Some(false), _) | (_, Some(false)) => Status::NotEligibleNow,
        (Some(true), Some(true)) => {
            // CP-1: a federal official decides whether to request it, so
            // before a request the person "may qualify", never "likely".
            o.line(&["CP-1"], "Continued Presence is discretionary: only a federal law-enforcement official can request it, and the victim cannot apply.");
            match c.f.law_enforcement.agency_level {
                Some(AgencyLevel::Federal) => o.step(Actor::LawEnforcement, &["CP-1", "CP-10"], "The federal agency working the case can request Continued Presence now: as soon as the person is identified as a victim and potential witness."),
                Some(_) => o.step(Actor::LawEnforcement, &["CP-1"], "A state, local or tribal agency cannot request Continued Presence: partner with a federal agency (HSI, FBI or a U.S. Attorney's Office) that can."),
                None => {
                    o.missing("law_enforcement.agency_level", "Which agency identified the person or is investigating: federal, state, local or tribal?", &["CP-1"]);
                    o.step(Actor::LawEnforcement, &["CP-1", "CP-10"], "A federal law-enforcement official can request Continued Presence as soon as the person is identified as a victim and potential witness; a state, local or tribal agency works through a federal partner (HSI, FBI).");
                }
            }
            Status::MayQualify
        }
        _ => Status::InformationMissing,
    };
    o.done(status)
}
