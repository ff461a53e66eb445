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
