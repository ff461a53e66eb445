use super::*;
use time::macros::date;

#[test]
fn soundex_groups_spelling_variants() {
    assert_eq!(soundex("maria"), soundex("marya"));
    assert_eq!(soundex("robert"), "R163");
    assert_eq!(soundex("rupert"), "R163");
    assert_eq!(soundex("ashcraft"), "A261");
    assert_ne!(soundex("lopez"), soundex("garcia"));
}

#[test]
fn name_tokens_fold_accents_and_case() {
    assert_eq!(
        name_tokens("  José  LÓPEZ-García "),
        ["jose", "lopez", "garcia"]
    );
}

#[test]
fn intake_validation_names_every_broken_field() {
    let input = IntakeInput {
        name: " ".into(),
        birth_date: "2030-01-01".into(),
        gender: "robot".into(),
        languages: vec!["spanish".into()],
        email: "nope".into(),
        safe_channel: "pigeon".into(),
        screening_answers: vec![ScreeningAnswer {
            question: "forced_work".into(),
            answer: "maybe".into(),
        }],
        ..IntakeInput::default()
    };
    let Err(AppError::InvalidMany(_, errors)) = validate_intake(&input, date!(2026 - 11 - 28))
    else {
        panic!("invalid input must be refused");
    };
    let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
    for expected in [
        ("name", "required"),
        ("birth_date", "in_future"),
        ("gender", "not_in_list"),
        ("languages", "bad_code"),
        ("email", "bad_email"),
        ("safe_channel", "not_in_list"),
        ("screening_answers", "not_in_list"),
    ] {
        assert!(fields.contains(&expected), "{expected:?} in {fields:?}");
    }
}

#[test]
fn a_minimal_intake_is_a_name() {
    let v = validate_intake(
        &IntakeInput {
            name: "  Ana   Ruiz ".into(),
            estimated_age: Some(16),
            languages: vec!["ES, en".into()],
            screening_answers: vec![ScreeningAnswer {
                question: "documents_held".into(),
                answer: "yes".into(),
            }],
            ..IntakeInput::default()
        },
        date!(2026 - 11 - 28),
    )
    .unwrap();
    assert_eq!(v.name, "Ana Ruiz");
    assert_eq!(v.profile.languages, ["es", "en"]);
    assert_eq!(
        v.profile.estimated_age.map(|e| e.years),
        Some(16),
        "kept when there is no date of birth"
    );
    assert_eq!(
        v.screening.outcome,
        Some(ScreeningOutcome::IndicatorsPresent)
    );
    assert_eq!(v.cooperation, Cooperation::Unknown);
}
