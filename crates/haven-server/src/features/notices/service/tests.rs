use super::*;
use haven_domain::OrganizationId;

#[test]
fn every_template_exists_in_every_language_with_known_variables() {
    for lang in languages() {
        for key in template_keys() {
            let text = shipped(&lang, &key);
            assert!(!text.is_empty(), "{lang} {key}");
            assert!(
                check_template(&lang, &key, &text).is_ok(),
                "{lang} {key}: {text}"
            );
        }
    }
    assert!(languages().contains(&"es".to_owned()));
    assert!(languages().contains(&"en-US".to_owned()));
}

#[test]
fn templates_never_say_what_the_case_is_about() {
    for lang in languages() {
        for key in template_keys() {
            let text = shipped(&lang, &key).to_lowercase();
            for word in [
                "traffick", "trata", "victim", "víctima", "police", "policía",
            ] {
                assert!(!text.contains(word), "{lang} {key}: {word}");
            }
        }
    }
}

#[test]
fn custom_wording_is_checked() {
    assert!(
        check_template(
            "es",
            "notice-appointment",
            "Cita el {$when} con {$specialist}."
        )
        .is_ok()
    );
    let e = check_template("es", "notice-appointment", "Cita con {$offender}").unwrap_err();
    assert!(matches!(
        e,
        AppError::Invalid {
            code: "bad_template",
            ..
        }
    ));
    let e = check_template("es", "notice-appointment", "Cita {").unwrap_err();
    assert!(matches!(
        e,
        AppError::Invalid {
            code: "bad_template",
            ..
        }
    ));
    assert!(matches!(
        check_template("fr-XX", "notice-appointment", "x"),
        Err(AppError::NotFound)
    ));
    let custom = vec![TemplateRow {
        organization: OrganizationId::new(),
        lang: "es".into(),
        key: "notice-appointment".into(),
        body: "Cita: {$when}.".into(),
        updated_by: UserId::new(),
        updated_at: haven_domain::now(),
    }];
    assert_eq!(
        preview(&custom, "es", "notice-appointment"),
        "Cita: 2026-12-08 10:00."
    );
    assert!(
        preview(&[], "es", "notice-appointment").starts_with("Tiene una cita el 2026-12-08 10:00.")
    );
}

#[test]
fn addresses_are_masked() {
    assert_eq!(mask("+1 555 010 0199"), "••••••99");
    assert_eq!(mask("maria@example.test"), "•••••@example.test");
}
