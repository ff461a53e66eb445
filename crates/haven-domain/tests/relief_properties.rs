//! Properties of the relief engine that no table can show: a minor's HHS
//! eligibility ignores cooperation, the six-month rule holds at month ends
//! and leap days, the order of facts does not matter, and no input panics.

use haven_domain::record::{ExploitationType, ResidencyClass};
use haven_domain::relief::calendar::add_months;
use haven_domain::relief::facts::{
    Absence, AgencyLevel, Application, CertificationBasis, CertifyingAgency, ContinuedPresence,
    DirectVictim, FamilyMember, Hhs, IndirectVictim, LawEnforcement, Person, QualifyingCrime,
    Relation, Requester, Signature, SignerRole, Trafficking, UCertification, UCrime,
};
use haven_domain::relief::{self, DeadlineKind, FACTS_FORMAT, Facts, Parameters, Pathway, Status};
use proptest::prelude::*;
use time::{Date, OffsetDateTime};

/// Dates between 1900 and 2100 (or the whole range `time` supports).
fn day(wide: bool) -> impl Strategy<Value = Date> {
    let (lo, hi) = if wide {
        (Date::MIN.to_julian_day(), Date::MAX.to_julian_day())
    } else {
        (2_415_021, 2_488_070)
    };
    (lo..=hi).prop_map(|j| Date::from_julian_day(j).expect("in range"))
}

fn od(wide: bool) -> impl Strategy<Value = Option<Date>> {
    proptest::option::of(day(wide))
}

fn ob() -> impl Strategy<Value = Option<bool>> {
    proptest::option::of(any::<bool>())
}

fn at(wide: bool) -> impl Strategy<Value = Option<OffsetDateTime>> {
    proptest::option::of(day(wide).prop_map(|d| d.midnight().assume_utc()))
}

fn application(wide: bool) -> BoxedStrategy<Application> {
    (
        (od(wide), ob(), od(wide), od(wide), od(wide)),
        (od(wide), od(wide), od(wide), od(wide), ob()),
    )
        .prop_map(
            |((filed, ps, bf, wl, ap), (exp, den, adj, adj_ok, refused))| Application {
                filed_on: filed,
                personal_statement_signed: ps,
                bona_fide_on: bf,
                waiting_list_on: wl,
                approved_on: ap,
                status_expires_on: exp,
                denied_on: den,
                adjustment_filed_on: adj,
                adjustment_approved_on: adj_ok,
                refused_assistance_after_grant: refused,
            },
        )
        .boxed()
}

fn signature(wide: bool) -> impl Strategy<Value = Signature> {
    (od(wide), od(wide)).prop_map(|(signed_on, withdrawn_on)| Signature {
        signed_on,
        withdrawn_on,
    })
}

fn u_certification(wide: bool) -> impl Strategy<Value = UCertification> {
    (
        signature(wide),
        proptest::option::of(proptest::sample::select(vec![
            SignerRole::AgencyHead,
            SignerRole::DesignatedSupervisor,
            SignerRole::Judge,
            SignerRole::Other,
        ])),
        proptest::option::of(proptest::sample::select(vec![
            CertifyingAgency::LocalLawEnforcement,
            CertifyingAgency::Prosecutor,
            CertifyingAgency::Eeoc,
        ])),
        any::<bool>(),
    )
        .prop_map(|(s, signer_role, agency_kind, known_none)| UCertification {
            signed: (known_none && s.signed_on.is_none()).then_some(false),
            signed_on: s.signed_on,
            withdrawn_on: s.withdrawn_on,
            signer_name: None,
            signer_role,
            agency_name: None,
            agency_kind,
        })
}

fn indirect() -> impl Strategy<Value = Option<IndirectVictim>> {
    proptest::option::of(
        (
            proptest::option::of(proptest::sample::select(vec![
                DirectVictim::Died,
                DirectVictim::Incapacitated,
                DirectVictim::Neither,
            ])),
            relation(),
            proptest::option::of(0_u8..40),
            proptest::option::of(0_u8..40),
            ob(),
        )
            .prop_map(|(direct_victim, relation, age, direct_age, married)| {
                IndirectVictim {
                    direct_victim,
                    relation,
                    age_at_crime: age,
                    direct_victim_age_at_crime: direct_age,
                    married,
                }
            }),
    )
}

fn residency() -> impl Strategy<Value = Option<ResidencyClass>> {
    proptest::option::of(proptest::sample::select(ResidencyClass::ALL.to_vec()))
}

fn kind() -> impl Strategy<Value = Option<ExploitationType>> {
    proptest::option::of(proptest::sample::select(ExploitationType::ALL.to_vec()))
}

fn relation() -> impl Strategy<Value = Option<Relation>> {
    proptest::option::of(proptest::sample::select(vec![
        Relation::Spouse,
        Relation::Child,
        Relation::Parent,
        Relation::Sibling,
        Relation::ChildOfDerivative,
    ]))
}

fn crimes() -> impl Strategy<Value = Vec<QualifyingCrime>> {
    proptest::collection::vec(
        proptest::sample::select(vec![
            QualifyingCrime::Trafficking,
            QualifyingCrime::Stalking,
            QualifyingCrime::Peonage,
            QualifyingCrime::FraudInForeignLaborContracting,
            QualifyingCrime::SimilarActivity,
            QualifyingCrime::Rape,
        ]),
        0..4,
    )
}

fn facts(wide: bool) -> BoxedStrategy<Facts> {
    let person = (od(wide), ob(), residency(), ob(), ob(), ob(), ob(), ob())
        .prop_map(
            |(dob, estimate, cit, in_us, trauma, adm, hard, gmc)| Person {
                date_of_birth: dob,
                date_of_birth_is_estimate: estimate,
                citizenship: cit,
                in_united_states: in_us,
                unable_to_cooperate_due_to_trauma: trauma,
                admissible_or_waiver_requested: adm,
                extreme_hardship: hard,
                good_moral_character: gmc,
            },
        )
        .boxed();
    let trafficking = (kind(), ob(), od(wide), od(wide), ob(), ob())
        .prop_map(|(kind, ffc, first, last, present, committed)| Trafficking {
            kind,
            force_fraud_or_coercion: ffc,
            first_act_on: first,
            last_act_on: last,
            present_on_account_of_trafficking: present,
            committed_trafficking: committed,
        })
        .boxed();
    let level = proptest::option::of(proptest::sample::select(vec![
        AgencyLevel::Federal,
        AgencyLevel::State,
        AgencyLevel::Local,
        AgencyLevel::Tribal,
    ]));
    let le = (od(wide), ob(), ob(), ob(), od(wide), level)
        .prop_map(|(rep, comp, will, wit, done, level)| LawEnforcement {
            agency_name: None,
            agency_level: level,
            reported_on: rep,
            complied_with_reasonable_requests: comp,
            willing_to_assist: will,
            potential_witness: wit,
            investigation_completed_on: done,
        })
        .boxed();
    let cp = (
        od(wide),
        proptest::option::of(prop_oneof![
            Just(Requester::Federal),
            Just(Requester::StateLocalTribal)
        ]),
        od(wide),
        od(wide),
        od(wide),
        od(wide),
        od(wide),
    )
        .prop_map(
            |(req, by, granted, exp, ext, denied, revoked)| ContinuedPresence {
                requested_on: req,
                requested_by: by,
                granted_on: granted,
                expires_on: exp,
                extension_requested_on: ext,
                denied_on: denied,
                revoked_on: revoked,
            },
        )
        .boxed();
    let u_crime = (
        crimes(),
        od(wide),
        ob(),
        ob(),
        ob(),
        ob(),
        ob(),
        any::<bool>(),
        indirect(),
    )
        .prop_map(
            |(crimes, first, place, abuse, info, helpful, culpable, none, indirect)| UCrime {
                none_qualifies: none && crimes.is_empty(),
                indirect,
                crimes,
                first_occurred_on: first,
                in_united_states_or_extraterritorial: place,
                substantial_abuse: abuse,
                possesses_information: info,
                helpful,
                culpable,
            },
        )
        .boxed();
    let hhs = (
        (at(wide), at(wide), od(wide), od(wide), ob()),
        (
            od(wide),
            od(wide),
            od(wide),
            proptest::option::of(prop_oneof![
                Just(CertificationBasis::ContinuedPresence),
                Just(CertificationBasis::TBonaFide),
                Just(CertificationBasis::TApproved)
            ]),
        ),
    )
        .prop_map(
            |((found, told, rfa, interim, ext), (elig, rfc, cert, basis))| Hhs {
                identified_by_official_at: found,
                notified_at: told,
                rfa_submitted_on: rfa,
                interim_letter_on: interim,
                interim_extended: ext,
                eligibility_letter_on: elig,
                rfc_submitted_on: rfc,
                certification_letter_on: cert,
                certification_basis: basis,
            },
        )
        .boxed();
    let absences = proptest::collection::vec(
        (od(wide), od(wide), ob()).prop_map(|(l, r, j)| Absence {
            left_on: l,
            returned_on: r,
            justified_by_investigation: j,
        }),
        0..4,
    )
    .boxed();
    let family = proptest::collection::vec((relation(), od(wide), ob(), ob(), ob()), 0..4)
        .prop_map(|members| {
            members
                .into_iter()
                .enumerate()
                .map(
                    |(i, (relation, dob, married, crime, danger))| FamilyMember {
                        id: format!("relative-{i}"),
                        relation,
                        date_of_birth: dob,
                        married,
                        committed_the_crime: crime,
                        present_danger_of_retaliation: danger,
                    },
                )
                .collect::<Vec<_>>()
        })
        .boxed();
    (
        (person, trafficking, le, cp),
        (
            signature(wide),
            application(wide),
            u_crime,
            u_certification(wide),
        ),
        (application(wide), hhs, absences, family),
    )
        .prop_map(
            |(
                (person, trafficking, law_enforcement, continued_presence),
                (t_declaration, t_application, u_crime, u_certification),
                (u_petition, hhs, absences, family),
            )| Facts {
                format: FACTS_FORMAT.into(),
                person,
                trafficking,
                law_enforcement,
                continued_presence,
                t_declaration,
                t_application,
                u_crime,
                u_certification,
                u_petition,
                hhs,
                absences,
                family,
            },
        )
        .boxed()
}

fn outcome(facts: &Facts, as_of: Date, pathway: Pathway) -> relief::Outcome {
    relief::evaluate(facts, as_of, &Parameters::default())
        .outcomes
        .into_iter()
        .find(|o| o.pathway == pathway)
        .expect("every pathway has an outcome")
}

/// Whether the facts give a value for a field named as a missing line
/// names it (`person.date_of_birth`, `family.<id>.married`).
fn given(facts: &Facts, field: &str) -> bool {
    let json = serde_json::to_value(facts).expect("serializes");
    let mut at = &json;
    for part in field.split('.') {
        at = match at {
            serde_json::Value::Array(items) => match items
                .iter()
                .find(|m| m.get("id").and_then(|v| v.as_str()) == Some(part))
            {
                Some(m) => m,
                None => return false,
            },
            v => match v.get(part) {
                Some(next) => next,
                None => return false,
            },
        };
    }
    // "unknown" is an answer that says the fact is not known.
    !at.is_null() && at.as_str() != Some("unknown") && at.as_array().is_none_or(|a| !a.is_empty())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// HHS-3: "may not require cooperation with law enforcement". For a
    /// minor, changing every cooperation fact changes nothing in the
    /// Eligibility Letter or interim assistance results.
    #[test]
    fn a_minors_hhs_eligibility_never_depends_on_cooperation(
        base in facts(false),
        other in facts(false),
        age_days in 0_i64..(18 * 365),
        as_of in day(false),
    ) {
        let mut a = base;
        a.person.date_of_birth = as_of.checked_sub(time::Duration::days(age_days));
        let mut b = a.clone();
        b.law_enforcement = other.law_enforcement;
        b.continued_presence = other.continued_presence;
        b.t_declaration = other.t_declaration;
        b.u_certification = other.u_certification;
        b.person.unable_to_cooperate_due_to_trauma = other.person.unable_to_cooperate_due_to_trauma;
        for pathway in [Pathway::HhsEligibilityLetter, Pathway::HhsInterimAssistance] {
            prop_assert_eq!(outcome(&a, as_of, pathway), outcome(&b, as_of, pathway));
        }
    }

    /// U-7 at every day of the calendar, month ends and 29 February
    /// included: the last filing day is the signing date plus six calendar
    /// months (clamped to the month's end); filing that day keeps the
    /// certification valid, the day after does not; the window is always
    /// between 181 and 184 days.
    #[test]
    fn the_six_month_rule_holds_at_month_ends_and_leap_days(
        signed in day(false),
        offset in 150_i64..220,
    ) {
        let last = add_months(signed, 6).expect("in range");
        let window = (last - signed).whole_days();
        prop_assert!((181..=184).contains(&window), "{signed} -> {last}: {window} days");
        let filed = signed + time::Duration::days(offset);
        let mut f = Facts { format: FACTS_FORMAT.into(), ..Facts::default() };
        f.person.citizenship = Some(ResidencyClass::ForeignNational);
        f.u_crime = UCrime {
            crimes: vec![QualifyingCrime::Trafficking],
            in_united_states_or_extraterritorial: Some(true),
            substantial_abuse: Some(true),
            possesses_information: Some(true),
            helpful: Some(true),
            culpable: Some(false),
            ..UCrime::default()
        };
        f.u_certification.signed_on = Some(signed);
        // Before filing: the deadline is the last day.
        let before = outcome(&f, signed, Pathway::UPrincipal);
        prop_assert!(before.deadlines.iter().any(|d| d.kind == DeadlineKind::UFileBy && d.on == last));
        // Filed: valid exactly when filed on or before the last day.
        f.u_petition.filed_on = Some(filed);
        let after = outcome(&f, filed, Pathway::UPrincipal);
        prop_assert_eq!(after.status == Status::NotEligibleNow, filed > last, "signed {} filed {}", signed, filed);
    }

    /// Results do not depend on the order family members, absences or
    /// crimes are listed in.
    #[test]
    fn the_result_does_not_depend_on_the_order_of_facts(f in facts(false), as_of in day(false)) {
        let mut g = f.clone();
        g.family.reverse();
        g.absences.reverse();
        g.u_crime.crimes.reverse();
        let params = Parameters::default();
        prop_assert_eq!(relief::evaluate(&f, as_of, &params), relief::evaluate(&g, as_of, &params));
    }

    /// No input makes the engine panic, valid or not, at any date `time`
    /// can represent; and every line it writes cites at least one rule.
    #[test]
    fn no_input_makes_the_engine_panic(f in facts(true), as_of in day(true)) {
        let _ = f.validate(as_of);
        let result = relief::evaluate(&f, as_of, &Parameters::default());
        for o in &result.outcomes {
            prop_assert!(o.explanation.iter().all(|l| !l.rules.is_empty() && !l.text.is_empty()));
            prop_assert!(o.next_steps.iter().all(|s| !s.rules.is_empty()));
            prop_assert!(o.missing.iter().all(|m| !m.rules.is_empty()));
            prop_assert!(o.deadlines.iter().all(|d| !d.rules.is_empty()));
        }
    }

    /// The same, through the JSON parser: arbitrary facts serialized and
    /// read back evaluate identically (the format round-trips).
    #[test]
    fn the_facts_format_round_trips(f in facts(false)) {
        let json = serde_json::to_string(&f).expect("serializes");
        let back: Facts = serde_json::from_str(&json).expect("reads back");
        prop_assert_eq!(&back, &f);
    }

    /// A missing-fact line appears only for a fact not given: a given fact
    /// is never reported as missing.
    #[test]
    fn no_fact_given_is_listed_as_missing(f in facts(false), as_of in day(false)) {
        for o in relief::evaluate(&f, as_of, &Parameters::default()).outcomes {
            for m in &o.missing {
                prop_assert!(!given(&f, &m.field), "{:?}: {} is given, yet listed as missing", o.pathway, m.field);
            }
        }
    }

    /// T-1 3, D-6, HHS-3: for a person who may have been under 18 at an act
    /// (the first act's date unknown), a "not eligible now" never rests on
    /// cooperation: making every cooperation fact favourable leaves it.
    #[test]
    fn a_possible_minor_is_never_refused_for_not_cooperating(
        f in facts(false),
        as_of in day(false),
        reported in day(false),
    ) {
        let mut a = f;
        a.trafficking.first_act_on = None;
        let mut b = a.clone();
        b.law_enforcement.complied_with_reasonable_requests = Some(true);
        b.law_enforcement.willing_to_assist = Some(true);
        b.law_enforcement.reported_on = Some(reported.min(as_of));
        for pathway in [Pathway::TPrincipal, Pathway::HhsEligibilityLetter, Pathway::HhsInterimAssistance] {
            if outcome(&a, as_of, pathway).status == Status::NotEligibleNow {
                prop_assert_eq!(outcome(&b, as_of, pathway).status, Status::NotEligibleNow, "{:?}", pathway);
            }
        }
    }
}

/// How good a status is for the person, for comparing two answers about
/// the same pathway (`None`: not applicable, nothing to compare).
fn rank(s: Status) -> Option<u8> {
    match s {
        Status::NotApplicable => None,
        Status::NotEligibleNow => Some(0),
        Status::InformationMissing => Some(1),
        Status::MayQualify => Some(2),
        Status::LikelyQualifies => Some(3),
        Status::Obtained => Some(4),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// A fact the law treats as favourable (a certification by an
    /// authorized signer, a Continued Presence grant, a T approval) never
    /// makes an answer worse.
    #[test]
    fn a_favourable_fact_never_makes_a_status_worse(f in facts(false), as_of in day(false)) {
        let mut certified = f.clone();
        if certified.u_petition.filed_on.is_none() {
            certified.u_certification = UCertification {
                signed_on: Some(as_of),
                signer_role: Some(SignerRole::AgencyHead),
                ..UCertification::default()
            };
        }
        let mut granted = f.clone();
        granted.continued_presence = ContinuedPresence {
            requested_on: Some(as_of),
            requested_by: Some(Requester::Federal),
            granted_on: Some(as_of),
            ..ContinuedPresence::default()
        };
        let mut approved = f.clone();
        approved.t_application.filed_on = Some(approved.t_application.filed_on.map_or(as_of, |d| d.min(as_of)));
        approved.t_application.approved_on = Some(as_of);
        approved.t_application.denied_on = None;
        approved.t_application.status_expires_on = None;
        for (better, pathways) in [
            (&certified, vec![Pathway::UPrincipal]),
            (&granted, vec![Pathway::ContinuedPresence, Pathway::HhsCertification]),
            (&approved, vec![Pathway::TPrincipal, Pathway::HhsCertification]),
        ] {
            for pathway in pathways {
                let before = outcome(&f, as_of, pathway).status;
                let after = outcome(better, as_of, pathway).status;
                if let (Some(b), Some(a)) = (rank(before), rank(after)) {
                    prop_assert!(a >= b, "{:?}: {:?} became {:?}", pathway, before, after);
                }
            }
        }
    }
}
