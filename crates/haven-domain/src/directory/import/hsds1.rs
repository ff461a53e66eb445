//! Reading HSDS 1.x exports (the CSV datapackage that 211s publish).

use super::lenient;
use super::*;

// ---------------------------------------------------------------- HSDS 1.x

/// A 1.x id as a 3.0 UUID: kept when it is one, otherwise derived (UUID v5)
/// from the table it names a row of. Exports number each table from 1, so
/// service 12 and location 12 are different records and get different ids;
/// a link (`service_id`) derives from the table it points to, so links hold.
fn legacy_id(table: &str, raw: &str) -> String {
    Uuid::parse_str(raw)
        .unwrap_or_else(|_| super::super::attributes::derived_id(&format!("hsds1:{table}:{raw}")))
        .to_string()
}

/// The table a 1.x id column points into (`id`: the row's own table).
fn table_of(field: &str, own: &'static str) -> &'static str {
    match field {
        "organization_id" | "parent_organization_id" => "organizations",
        "service_id" | "link_id" => "services",
        "location_id" => "locations",
        "program_id" => "programs",
        "contact_id" => "contacts",
        "phone_id" => "phones",
        "service_at_location_id" => "service_at_location",
        "taxonomy_term_id" | "taxonomy_id" | "parent_id" => "taxonomy_terms",
        _ => own,
    }
}

/// Rewrites the 1.x tables as 3.0 rows.
pub(super) fn convert_legacy(
    tables: &BTreeMap<String, String>,
    batch: &mut Batch,
) -> Result<Vec<Row>, ImportError> {
    // Literal "\n" in any text is the line break the publisher meant.
    let read = |name: &str, table: &'static str| -> Result<Vec<Row>, ImportError> {
        let mut rows = tables
            .get(name)
            .map_or(Ok(Vec::new()), |text| parse_csv(name, table, text))?;
        for r in &mut rows {
            for v in r.cells.values_mut() {
                if let Value::String(s) = v
                    && s.contains("\\n")
                {
                    *s = lenient::line_breaks(s);
                }
            }
        }
        Ok(rows)
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
                let mapped = legacy_id(table_of(&k, row.table), s);
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
        if r.get("service_id").is_none() {
            batch.warn(
                &r.source(),
                r.get("id"),
                "no service_id: the row names no service and is left out",
            );
            continue;
        }
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
        fix_web(&mut r, "url", batch);
        rename(&mut r, "url", "website");
        if !r.cells.contains_key("description") {
            r.cells
                .insert("description".into(), Value::String(String::new()));
        }
        out.push(r);
    }
    for mut r in read("services.csv", "services")? {
        fix_ids(&mut r);
        fix_web(&mut r, "url", batch);
        if r.get("status").is_none() && r.get("name").is_some() {
            batch.warn(&r.source(), r.get("id"), "no status: imported as active");
            r.cells
                .insert("status".into(), Value::String("active".into()));
        }
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
        let out_of_range = [("latitude", 90.0), ("longitude", 180.0)]
            .into_iter()
            .find_map(|(k, limit): (&str, f64)| {
                let raw = r.get(k)?;
                let v: f64 = raw.parse().ok()?;
                (!(-limit..=limit).contains(&v)).then(|| format!("{k} {raw} is out of range"))
            });
        if let Some(why) = out_of_range {
            batch.reject(&r.source(), r.get("id"), why);
            if let Some(id) = r.get("id") {
                batch.rejected_ids.insert(legacy_id("locations", id));
            }
            continue;
        }
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
            let filled = |k: &str| r.get(k).is_some();
            if ![
                "address_1",
                "address_2",
                "city",
                "state_province",
                "postal_code",
            ]
            .iter()
            .any(|k| filled(k))
            {
                batch.warn(&r.source(), r.get("id"), "every field of the address is empty (a hotline or online service): the address is left out, the location kept");
                continue;
            }
            if r.get("address_1").is_none() {
                batch.warn(&r.source(), r.get("id"), "no street address (withheld or a mobile stop): kept with its city and ZIP code");
                r.cells
                    .insert("address_1".into(), Value::String(String::new()));
            }
            match r.get("country").map(str::to_ascii_uppercase).as_deref() {
                None => {
                    batch.warn(&r.source(), r.get("id"), "no country: read as US");
                    r.cells.insert("country".into(), Value::String("US".into()));
                }
                Some("USA" | "U.S." | "U.S.A." | "UNITED STATES") => {
                    r.cells.insert("country".into(), Value::String("US".into()));
                }
                _ => {}
            }
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
        if r.get("number").is_none() {
            batch.warn(&r.source(), r.get("id"), "no number: the phone is left out");
            continue;
        }
        // A phone belongs to one record: the most specific it names.
        let links = [
            "contact_id",
            "service_at_location_id",
            "service_id",
            "location_id",
            "organization_id",
        ];
        if let Some(first) = links.iter().position(|k| r.get(k).is_some()) {
            for k in &links[first + 1..] {
                r.cells.remove(*k);
            }
        }
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
                    file: r.file.clone(),
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
        if r.get("opens_at").is_none() && r.get("closes_at").is_none() {
            batch.warn(
                &r.source(),
                r.get("id"),
                "no opening or closing time (a closed day): left out",
            );
            continue;
        }
        let mut bad_time = None;
        for k in ["opens_at", "closes_at"] {
            if let Some(raw) = r.get(k).map(str::to_owned) {
                match lenient::time_of_day(&raw) {
                    Some(t) => {
                        r.cells.insert(k.into(), Value::String(format!("{t}:00")));
                    }
                    None => bad_time = Some(format!("{k}: \"{raw}\" is not a time of day")),
                }
            }
        }
        if let Some(why) = bad_time {
            batch.warn(
                &r.source(),
                r.get("id"),
                format!("{why}: the opening is left out"),
            );
            continue;
        }
        // Schedules often have no id: one derived from the file and line.
        if r.get("id").is_none() {
            let id = super::super::attributes::derived_id(&format!(
                "hsds1:schedules:{}:{}",
                r.file, r.line
            ));
            r.cells.insert("id".into(), Value::String(id.to_string()));
        }
        fix_ids(&mut r);
        if let Some(Value::String(day)) = r.cells.remove("weekday") {
            // 1.x numbers the days 1 (Monday) to 7 (Sunday); exports also
            // write their names.
            match lenient::weekday(&day) {
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
                        format!("weekday: \"{day}\" is not a day of the week"),
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
        // The publisher's code (an AIRS / 211 LA code such as BD-1800.2000)
        // is the raw id: kept as the term's code before the id is derived.
        if r.get("code").is_none()
            && let Some(code) = r.get("id").map(str::to_owned)
            && Uuid::parse_str(&code).is_err()
        {
            r.cells.insert("code".into(), Value::String(code));
        }
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

/// A web address without a scheme gets `https://`; an e-mail address
/// written as one moves to `email` when that is empty.
fn fix_web(r: &mut Row, field: &str, batch: &mut Batch) {
    let Some(raw) = r.get(field).map(str::to_owned) else {
        return;
    };
    if lenient::looks_like_email(&raw) {
        r.cells.remove(field);
        if r.get("email").is_none() {
            r.cells.insert("email".into(), Value::String(raw.clone()));
        }
        batch.warn(
            &r.source(),
            r.get("id"),
            format!("{field}: \"{raw}\" is an e-mail address: kept as the e-mail"),
        );
        return;
    }
    match lenient::web_address(&raw) {
        Some(url) if url != raw => {
            batch.warn(
                &r.source(),
                r.get("id"),
                format!("{field}: \"{raw}\" has no scheme: read with https://"),
            );
            r.cells.insert(field.into(), Value::String(url));
        }
        Some(_) => {}
        None => {
            batch.warn(
                &r.source(),
                r.get("id"),
                format!("{field}: \"{raw}\" is not a web address: left out"),
            );
            r.cells.remove(field);
        }
    }
}
