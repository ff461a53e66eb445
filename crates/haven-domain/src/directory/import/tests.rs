use super::*;

fn sample(dir: &str) -> BTreeMap<String, String> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/hsds/");
    std::fs::read_dir(format!("{root}{dir}"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".csv"))
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect()
}

fn example(name: &str) -> String {
    std::fs::read_to_string(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/hsds/spec-3.0/examples/"
        )
        .to_owned()
            + name,
    )
    .unwrap()
}

#[test]
fn every_json_example_reads() {
    for (file, services, orgs) in [
        ("service_full.json", 1, 1),
        ("service_list.json", 1, 1),
        ("organization_full.json", 1, 1),
        ("organization_list.json", 0, 1),
        ("service_at_location_full.json", 1, 1),
        ("service_at_location_list.json", 1, 1),
    ] {
        let b = from_json(&example(file)).unwrap();
        assert!(b.rejected.is_empty(), "{file}: {:?}", b.rejected);
        assert_eq!(b.services.len(), services, "{file}");
        assert_eq!(b.organizations.len(), orgs, "{file}");
    }
    let b = from_json(&example("location.json")).unwrap();
    assert_eq!((b.locations.len(), b.rejected.len()), (1, 0));
}

#[test]
fn the_tabular_3_0_example_nests() {
    let b = from_tables(&sample("spec-3.0/examples/csv")).unwrap();
    assert!(b.rejected.is_empty(), "{:?}", b.rejected);
    assert_eq!(
        (b.organizations.len(), b.services.len(), b.locations.len()),
        (1, 1, 1)
    );
    let s = &b.services[0];
    assert_eq!(s.service_at_locations.len(), 1);
    // The phone row names a contact, service, location and organization:
    // it goes with the most specific (the contact, which goes with the service).
    assert_eq!(s.contacts.len(), 1);
    assert_eq!(s.contacts[0].phones.len(), 1);
    assert!(!b.locations[0].addresses.is_empty());
}

#[test]
fn the_1_x_sample_converts() {
    let b = from_tables(&sample("sample-1.1/all_resources")).unwrap();
    assert!(b.rejected.is_empty(), "{:?}", b.rejected);
    assert_eq!(b.services.len(), 13);
    assert!(b.organizations.len() >= 3);
    let helpline = b
        .services
        .iter()
        .find(|s| s.name == "Never Homeless Helpline")
        .unwrap();
    assert_eq!(helpline.eligibility_description.as_deref(), Some("adult"));
    let codes: Vec<_> = helpline
        .languages
        .iter()
        .filter_map(|l| l.code.as_deref())
        .collect();
    assert!(codes.contains(&"es"), "{codes:?}");
    assert!(
        helpline
            .schedules
            .iter()
            .chain(
                helpline
                    .service_at_locations
                    .iter()
                    .flat_map(|s| s.schedules.iter())
            )
            .any(|s| s.byday.as_deref() == Some("MO"))
    );
    assert!(b.notes.iter().any(|n| n.contains("holiday_schedules.csv")));
    // The truncated program id became a stable UUID.
    assert!(
        b.organizations
            .iter()
            .flat_map(|o| o.programs.iter())
            .all(|p| Uuid::parse_str(&p.id).is_ok())
    );
}

#[test]
fn bad_rows_are_reported_and_take_their_record_with_them() {
    let mut t = sample("spec-3.0/examples/csv");
    let phones = t.get_mut("phones.csv").unwrap();
    let mut lines: Vec<String> = phones.lines().map(str::to_owned).collect();
    // Make the extension not a number.
    let header: Vec<&str> = lines[0].split(',').collect();
    let ext = header.iter().position(|h| *h == "extension").unwrap();
    let mut cells: Vec<String> = lines[1].split(',').map(str::to_owned).collect();
    cells[ext] = "ext. 5".into();
    lines[1] = cells.join(",");
    *phones = lines.join("\n");
    let b = from_tables(&t).unwrap();
    assert!(
        b.rejected
            .iter()
            .any(|r| r.source == "phones.csv row 2" && r.reason.contains("extension")),
        "{:?}",
        b.rejected
    );
    let parent_rejected = b
        .rejected
        .iter()
        .any(|r| r.reason.contains("because phones.csv row 2 was rejected"));
    assert!(parent_rejected, "{:?}", b.rejected);
}

#[test]
fn json_errors_name_the_field() {
    let b = from_json(r#"[{"id":"not-a-uuid","name":"X","status":"open"},{"id":"9f0c8b1e-1c1d-4c55-9a57-5b1f7c1e7a11","name":"Y","status":"active","minimum_age":"twelve"}]"#).unwrap();
    assert_eq!(b.services.len(), 0);
    assert_eq!(b.rejected.len(), 2);
    assert!(
        b.rejected[0]
            .reason
            .contains("id: \"not-a-uuid\" is not a UUID")
    );
    assert!(
        b.rejected[0]
            .reason
            .contains("status: \"open\" is not one of")
    );
    assert!(
        b.rejected[1].reason.starts_with("minimum_age:"),
        "{}",
        b.rejected[1].reason
    );
    assert!(matches!(from_json("{"), Err(ImportError::NotJson(_))));
}

/// A county 211's HSDS 1.x export as published, with every quirk real
/// exports have (tests/fixtures/hsds1-county/EXPECTED.md): only the rows
/// that are genuinely wrong are rejected.
#[test]
fn a_real_shaped_211_export_imports_with_only_wrong_rows_rejected() {
    let root = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/hsds1-county/data/"
    );
    let tables: BTreeMap<String, String> = std::fs::read_dir(root)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read_to_string(e.path()).unwrap(),
            )
        })
        .collect();
    let mut b = from_tables(&tables).unwrap();
    b.resolve(&BTreeSet::new(), &BTreeSet::new());
    assert_eq!(
        (b.organizations.len(), b.services.len(), b.locations.len()),
        (25, 42, 35),
        "rejected: {:#?}",
        b.rejected
    );
    // Raw ids restart at 1 in every table: 25 + 42 + 35 distinct records.
    let ids: BTreeSet<&str> = b
        .organizations
        .iter()
        .map(|o| o.id.as_str())
        .chain(b.services.iter().map(|s| s.id.as_str()))
        .chain(b.locations.iter().map(|l| l.id.as_str()))
        .collect();
    assert_eq!(ids.len(), 102);
    // The three wrong rows, and nothing else, are errors, named by the
    // publisher's own file and line.
    let mut errors: Vec<String> = b
        .rejected
        .iter()
        .map(|r| format!("{}: {}", r.source, r.reason))
        .collect();
    errors.sort();
    assert_eq!(errors.len(), 3, "{errors:#?}");
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("services.csv row 44") && e.contains("name")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.starts_with("locations.csv row 32") && e.contains("latitude 999")),
        "{errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("location") && e.contains("is not in the import")),
        "{errors:#?}"
    );
    // Kept as meant: a default status, weekday names, am/pm times and hours
    // past midnight (service 4 opens 20:00 and closes 07:00 every night).
    assert!(b.services.iter().all(|s| !s.status.is_empty()));
    let warned = |what: &str| {
        b.warnings
            .iter()
            .filter(|w| w.reason.contains(what))
            .count()
    };
    assert_eq!(warned("no status"), 4);
    assert_eq!(warned("no country"), 6);
    assert_eq!(warned("no number"), 2);
    assert_eq!(warned("no service_id"), 2);
    assert_eq!(warned("organization"), 3);
    let nights = b
        .services
        .iter()
        .find(|s| {
            s.schedules.len() == 7
                && s.schedules
                    .iter()
                    .all(|x| x.opens_at.as_deref() == Some("20:00:00"))
        })
        .expect("the shelter open every night");
    assert!(
        nights
            .schedules
            .iter()
            .all(|x| x.closes_at.as_deref() == Some("07:00:00"))
    );
    // Literal \n became a line break; a URL without a scheme got one.
    assert!(b.services.iter().any(|s| {
        s.description
            .as_deref()
            .is_some_and(|d| d.contains("\nBring photo ID"))
    }));
    assert!(
        b.organizations
            .iter()
            .any(|o| o.website.as_deref() == Some("https://www.newriverfoodbank.org"))
    );
    assert!(b.organizations.iter().any(|o| o.email.as_deref() == Some("intake@tenantlegalaid.org") && o.website.is_none()));
    // The publisher's AIRS codes are kept on the terms, and map to Haven's
    // needs (data/taxonomy/airs-needs.csv).
    let codes: BTreeSet<&str> = b
        .services
        .iter()
        .flat_map(|s| s.attributes.iter())
        .filter_map(|a| a.taxonomy_term.as_ref()?.code.as_deref())
        .collect();
    assert!(
        codes.contains("BD-1800.2000") && codes.contains("BH-3800.7000"),
        "{codes:?}"
    );
    use crate::record::NeedCategory as N;
    assert_eq!(
        super::super::needs_of_code("BD-1800.2000"),
        [N::FoodClothing]
    );
    assert_eq!(
        super::super::needs_of_code("BH-1800.1500-100"),
        [N::Safety, N::Housing]
    );
    assert_eq!(
        super::super::needs_of_code("LV-1600.2400"),
        [N::Medical, N::Dental]
    );
    assert!(
        super::super::needs_of_code("BHX-1").is_empty(),
        "a prefix ends at a code boundary"
    );
    assert!(
        super::super::needs_of_code("TJ-3000").is_empty(),
        "information services name no need"
    );
}
