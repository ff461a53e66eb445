//! Reading HSDS 1.x exports (the CSV datapackage that 211s publish).

use super::*;

// ---------------------------------------------------------------- HSDS 1.x

/// A 1.x id as a 3.0 UUID: kept when it is one, otherwise derived (UUID v5),
/// the same for every table, so links between tables still hold.
fn legacy_id(raw: &str) -> String {
    Uuid::parse_str(raw)
        .unwrap_or_else(|_| super::super::attributes::derived_id(&format!("hsds1:{raw}")))
        .to_string()
}

/// Rewrites the 1.x tables as 3.0 rows.
pub(super) fn convert_legacy(
    tables: &BTreeMap<String, String>,
    batch: &mut Batch,
) -> Result<Vec<Row>, ImportError> {
    let read = |name: &str, table: &'static str| -> Result<Vec<Row>, ImportError> {
        tables
            .get(name)
            .map_or(Ok(Vec::new()), |text| parse_csv(name, table, text))
    };
    let mut out: Vec<Row> = Vec::new();
    let fix_ids = |row: &mut Row| {
        let keys: Vec<String> = row
            .cells
            .keys()
            .filter(|k| *k == "id" || LINKS.contains(&k.as_str()))
            .cloned()
            .collect();
        for k in keys {
            if let Some(Value::String(s)) = row.cells.get(&k) {
                let mapped = legacy_id(s);
                row.cells.insert(k, Value::String(mapped));
            }
        }
    };
    let rename = |row: &mut Row, from: &str, to: &str| {
        if let Some(v) = row.cells.remove(from) {
            row.cells.insert(to.to_owned(), v);
        }
    };
    let mut extra_eligibility: HashMap<String, Vec<String>> = HashMap::new();
    let mut payments: HashMap<String, Vec<String>> = HashMap::new();
    for mut r in read("eligibility.csv", "eligibility")? {
        fix_ids(&mut r);
        if let (Some(s), Some(e)) = (r.get("service_id"), r.get("eligibility")) {
            extra_eligibility
                .entry(s.to_owned())
                .or_default()
                .push(e.to_owned());
        }
    }
    for mut r in read("payments_accepted.csv", "payments")? {
        fix_ids(&mut r);
        if let (Some(s), Some(p)) = (r.get("service_id"), r.get("payment")) {
            payments.entry(s.to_owned()).or_default().push(p.to_owned());
        }
    }
    for mut r in read("organizations.csv", "organizations")? {
        fix_ids(&mut r);
        rename(&mut r, "url", "website");
        if !r.cells.contains_key("description") {
            r.cells
                .insert("description".into(), Value::String(String::new()));
        }
        out.push(r);
    }
    for mut r in read("services.csv", "services")? {
        fix_ids(&mut r);
        r.cells.remove("taxonomy_ids");
        let id = r.get("id").unwrap_or_default().to_owned();
        if let Some(e) = extra_eligibility.get(&id) {
            r.cells.insert(
                "eligibility_description".into(),
                Value::String(e.join("; ")),
            );
        }
        if let Some(p) = payments.get(&id) {
            let fees = r.get("fees").map(|f| format!("{f}. ")).unwrap_or_default();
            r.cells.insert(
                "fees_description".into(),
                Value::String(format!("{fees}Payment accepted: {}", p.join(", "))),
            );
        }
        out.push(r);
    }
    for mut r in read("locations.csv", "locations")? {
        fix_ids(&mut r);
        r.cells
            .insert("location_type".into(), Value::String("physical".into()));
        out.push(r);
    }
    for mut r in read("services_at_location.csv", "service_at_location")? {
        fix_ids(&mut r);
        out.push(r);
    }
    for (file, kind) in [
        ("physical_addresses.csv", "physical"),
        ("postal_addresses.csv", "postal"),
    ] {
        for mut r in read(file, "addresses")? {
            fix_ids(&mut r);
            let more: Vec<String> = ["address_2", "address_3", "address_4"]
                .iter()
                .filter_map(|k| {
                    r.cells
                        .remove(*k)
                        .and_then(|v| v.as_str().map(str::to_owned))
                })
                .collect();
            if !more.is_empty() {
                r.cells
                    .insert("address_2".into(), Value::String(more.join(", ")));
            }
            // The same address id may appear as physical and postal.
            if kind == "postal"
                && let Some(Value::String(id)) = r.cells.get("id")
            {
                let id = super::super::attributes::derived_id(&format!("postal:{id}")).to_string();
                r.cells.insert("id".into(), Value::String(id));
            }
            r.cells
                .insert("address_type".into(), Value::String(kind.into()));
            r.table = "addresses";
            out.push(r);
        }
    }
    for mut r in read("phones.csv", "phones")? {
        fix_ids(&mut r);
        r.cells.remove("department");
        if let Some(Value::String(langs)) = r.cells.remove("language") {
            let phone = r.get("id").unwrap_or_default().to_owned();
            for l in langs
                .split([',', ';'])
                .map(str::trim)
                .filter(|l| !l.is_empty())
            {
                let mut cells = Map::new();
                cells.insert(
                    "id".into(),
                    Value::String(
                        super::super::attributes::derived_id(&format!(
                            "phone-language:{phone}:{l}"
                        ))
                        .to_string(),
                    ),
                );
                cells.insert("phone_id".into(), Value::String(phone.clone()));
                if let Some(code) = language_code(l) {
                    cells.insert("code".into(), Value::String(code));
                }
                cells.insert("name".into(), Value::String(l.to_owned()));
                out.push(Row {
                    table: "languages",
                    line: r.line,
                    cells,
                });
            }
        }
        out.push(r);
    }
    for mut r in read("languages.csv", "languages")? {
        fix_ids(&mut r);
        if let Some(Value::String(l)) = r.cells.remove("language") {
            if let Some(code) = language_code(&l) {
                r.cells.insert("code".into(), Value::String(code));
            }
            r.cells.insert("name".into(), Value::String(l));
        }
        out.push(r);
    }
    for mut r in read("regular_schedules.csv", "schedules")? {
        fix_ids(&mut r);
        if let Some(Value::String(day)) = r.cells.remove("weekday") {
            // 1.x numbers the days 1 (Monday) to 7 (Sunday).
            match day.parse::<usize>().ok().filter(|d| (1..=7).contains(d)) {
                Some(d) => {
                    r.cells
                        .insert("byday".into(), Value::String(WEEKDAYS[d - 1].into()));
                    r.cells
                        .insert("freq".into(), Value::String("WEEKLY".into()));
                }
                None => {
                    r.cells.insert("weekday".into(), Value::Null); // reported below
                    batch.reject(
                        &r.source(),
                        r.get("id"),
                        format!("weekday: \"{day}\" is not 1 (Monday) to 7 (Sunday)"),
                    );
                    r.cells.insert("freq".into(), Value::String("never".into()));
                }
            }
        }
        out.push(r);
    }
    for mut r in read("service_areas.csv", "service_areas")? {
        fix_ids(&mut r);
        rename(&mut r, "service_area", "name");
        out.push(r);
    }
    for mut r in read("accessibility_for_disabilities.csv", "accessibility")? {
        fix_ids(&mut r);
        rename(&mut r, "accessibility", "description");
        out.push(r);
    }
    for (file, table) in [
        ("contacts.csv", "contacts"),
        ("funding.csv", "funding"),
        ("required_documents.csv", "required_documents"),
        ("programs.csv", "programs"),
    ] {
        for mut r in read(file, table)? {
            fix_ids(&mut r);
            if table == "programs" && !r.cells.contains_key("description") {
                r.cells
                    .insert("description".into(), Value::String(String::new()));
            }
            out.push(r);
        }
    }
    // 1.x taxonomy: terms, linked to services as 3.0 attributes.
    for mut r in read("taxonomy.csv", "taxonomy_terms")? {
        fix_ids(&mut r);
        rename(&mut r, "vocabulary", "taxonomy");
        r.cells.remove("parent_name");
        if !r.cells.contains_key("description") {
            let name = r.get("name").unwrap_or_default().to_owned();
            r.cells.insert("description".into(), Value::String(name));
        }
        out.push(r);
    }
    for mut r in read("services_taxonomy.csv", "attributes")? {
        fix_ids(&mut r);
        rename(&mut r, "service_id", "link_id");
        rename(&mut r, "taxonomy_id", "taxonomy_term_id");
        rename(&mut r, "taxonomy_detail", "value");
        r.cells
            .insert("link_type".into(), Value::String("service".into()));
        r.cells
            .insert("link_entity".into(), Value::String("service".into()));
        out.push(r);
    }
    for file in [
        "holiday_schedules.csv",
        "metadata.csv",
        "meta_table_descriptions.csv",
    ] {
        if let Some(text) = tables.get(file) {
            let n = text
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .count();
            if n > 0 {
                batch.notes.push(format!(
                    "{file}: {n} row(s) not imported (HSDS 3.0 has no such table)"
                ));
            }
        }
    }
    Ok(out)
}
