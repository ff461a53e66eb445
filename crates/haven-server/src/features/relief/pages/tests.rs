use super::*;
use axum::body::Bytes;

/// Every label the relief pages look up exists in both languages.
#[test]
fn every_relief_label_is_translated() {
    use haven_domain::relief::{Actor as A, DeadlineKind as K, Pathway};
    let mut keys: Vec<String> = Vec::new();
    for (section, fields) in SECTIONS {
        keys.push(format!("relief-section-{section}"));
        keys.push(format!("relief-section-{section}-why"));
        for (path, input) in *fields {
            keys.push(key(path));
            if let Input::Choice(codes) = input {
                keys.extend(codes.iter().map(|c| format!("relief-choice-{c}")));
            }
        }
    }
    keys.extend(
        Pathway::ALL
            .iter()
            .map(|p| format!("relief-pathway-{}", p.as_str())),
    );
    for s in [
        Status::NotApplicable,
        Status::MayQualify,
        Status::LikelyQualifies,
        Status::InformationMissing,
        Status::NotEligibleNow,
        Status::Obtained,
    ] {
        keys.push(format!("relief-status-{}", s.as_str()));
    }
    for a in [A::Victim, A::Advocate, A::LawEnforcement, A::Uscis, A::Hhs] {
        keys.push(format!("relief-actor-{}", code(&a)));
    }
    for k in [
        K::ContinuedPresenceExpires,
        K::TStatusExpires,
        K::UStatusExpires,
        K::USupplementBWarning,
        K::UFileBy,
        K::AdjustmentEligibleFrom,
        K::AdjustmentFileBy,
        K::TFileBeforeAge21,
        K::RfaBeforeAge18,
        K::InterimAssistanceEnds,
        K::RcaRmaEnds,
        K::HhsNotificationDue,
    ] {
        keys.push(format!("relief-deadline-{}", code(&k)));
    }
    keys.extend(CRIMES.iter().map(|c| format!("relief-crime-{}", code(c))));
    keys.extend(
        RELATIONS
            .iter()
            .map(|r| format!("relief-relation-{}", code(r))),
    );
    for kind in DocumentKind::ALL {
        keys.push(format!("relief-doc-{}", kind.as_str()));
        for s in statements(Lang::En, kind, &DocumentContent::default()) {
            keys.push(format!("relief-doc-stmt-{}-{}", kind.as_str(), s.value));
        }
        for g in DocumentContent::default().gaps(kind) {
            keys.push(format!("relief-doc-field-{}", g.field));
        }
    }
    for s in ["draft", "signed", "withdrawn"] {
        keys.push(format!("relief-docstatus-{s}"));
    }
    for kind in DocumentKind::ALL {
        keys.push(format!("relief-doc-intro-{}", kind.as_str()));
        keys.push(format!("relief-doc-sign-explain-{}", kind.as_str()));
    }
    for q in [
        "married",
        "committed_the_crime",
        "present_danger_of_retaliation",
    ] {
        keys.push(format!("relief-fam-{q}"));
    }
    for e in [
        "impossible_facts",
        "invalid",
        "required",
        "not_allowed",
        "other",
        "already_signed",
        "not_signed",
        "required_to_sign",
        "too_long",
        "bad_text",
        "before_start",
    ] {
        keys.push(format!("relief-error-{e}"));
    }
    for d in ["saved", "drafted", "signed", "withdrawn"] {
        keys.push(format!("relief-done-{d}"));
    }
    for lang in Lang::ALL {
        for k in &keys {
            assert_ne!(&lang.t(k), k, "{k} is missing in {}", lang.code());
        }
    }
}

#[test]
fn a_section_form_writes_the_facts_paths() {
    let facts = Facts {
        format: haven_domain::relief::FACTS_FORMAT.into(),
        ..Facts::default()
    };
    let body = Bytes::from_static(
        b"continued_presence.requested_on=2026-01-05&continued_presence.requested_by=federal&continued_presence.granted_on=",
    );
    let next = apply_section(&facts, "continued_presence", &FormData::parse(&body)).unwrap();
    assert_eq!(
        next.continued_presence.requested_on,
        Some(time::macros::date!(2026 - 01 - 05))
    );
    assert!(next.continued_presence.granted_on.is_none());
    let bad = Bytes::from_static(b"continued_presence.requested_on=05/01/2026");
    match apply_section(&facts, "continued_presence", &FormData::parse(&bad)) {
        Err(AppError::InvalidAt { path, .. }) => {
            assert_eq!(path, "continued_presence.requested_on")
        }
        _ => panic!("a bad date names its field"),
    }
    let body =
        Bytes::from_static(b"u_crime.crimes=stalking&u_crime.crimes=peonage&u_crime.helpful=yes");
    let next = apply_section(&facts, "u", &FormData::parse(&body)).unwrap();
    assert_eq!(
        next.u_crime.crimes,
        [QualifyingCrime::Stalking, QualifyingCrime::Peonage]
    );
    assert_eq!(next.u_crime.helpful, Some(true));
}
