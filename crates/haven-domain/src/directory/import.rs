//! Reading HSDS into one checked batch: HSDS 3.0 JSON (single records,
//! arrays and paginated lists, in full or list form), tabular 3.0 CSV, and
//! the older 1.x CSV still published by many 211 directories.
//!
//! Every record is read into the generated HSDS 3.0 types and checked (ids
//! are UUIDs, enumerations hold allowed values, names present, ages in
//! order). Nested records are pulled apart into organizations, locations
//! and services, so a re-import updates each by id. A row that fails takes
//! its whole top-level record with it, and the report says which row and
//! why: nothing is imported half.

use super::hsds::{Location, Organization, Service};
use super::language_code;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use uuid::Uuid;

mod hsds1;
pub mod lenient;
use hsds1::convert_legacy;

/// One rejected row or record, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Rejection {
    /// Where it came from: "services.csv row 4" or "item 3".
    pub source: String,
    pub id: Option<String>,
    pub reason: String,
}

/// What an import read.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    /// Without nested services or locations.
    pub organizations: Vec<Organization>,
    /// Without the nested `service_at_locations[].location` (by id instead).
    pub locations: Vec<Location>,
    /// Without the nested organization; service-at-location records name
    /// their location by id.
    pub services: Vec<Service>,
    pub rejected: Vec<Rejection>,
    /// Rows kept with a change the data plainly meant (a weekday name read
    /// as its number, a default `active` status), or a child row dropped
    /// that its parent does not need (a phone without a number).
    pub warnings: Vec<Rejection>,
    /// Ids of records rejected here, so what links to them is said to go
    /// with them rather than reported again.
    pub rejected_ids: BTreeSet<String>,
    /// What was read but not kept (e.g. 1.x holiday schedules).
    pub notes: Vec<String>,
    /// Positions by id, so a repeated id replaces its record in constant time.
    seen: HashMap<(u8, String), usize>,
}

/// The input cannot be read at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("the file is not JSON: {0}")]
    NotJson(String),
    #[error("{file}: {message}")]
    Csv { file: String, message: String },
    #[error("no HSDS tables found (expected organizations.csv and services.csv)")]
    NoTables,
}

impl Batch {
    fn warn(&mut self, source: &str, id: Option<&str>, reason: impl Into<String>) {
        self.warnings.push(Rejection {
            source: source.to_owned(),
            id: id.map(str::to_owned),
            reason: reason.into(),
        });
    }

    fn reject(&mut self, source: &str, id: Option<&str>, reason: impl Into<String>) {
        self.rejected.push(Rejection {
            source: source.to_owned(),
            id: id.map(str::to_owned),
            reason: reason.into(),
        });
    }

    /// Links to organizations and locations that are neither in this batch
    /// nor among `known_*` (already stored): a service keeps going without
    /// its organization (a warning), and a place at an unknown location is
    /// dropped (rejected) while the service stays.
    pub fn resolve(&mut self, known_orgs: &BTreeSet<String>, known_locations: &BTreeSet<String>) {
        let orgs: BTreeSet<String> = self.organizations.iter().map(|o| o.id.clone()).collect();
        let locs: BTreeSet<String> = self.locations.iter().map(|l| l.id.clone()).collect();
        let mut warnings = Vec::new();
        let mut rejected = Vec::new();
        let gone = &self.rejected_ids;
        for s in &mut self.services {
            // The service is right without its organization: kept, unlinked.
            if let Some(o) = s.organization_id.clone()
                && !orgs.contains(&o)
                && !known_orgs.contains(&o)
            {
                warnings.push((
                    s.id.clone(),
                    format!("organization {o} is not in the import or the directory: the service is kept without it"),
                ));
                s.organization_id = None;
            }
            // A place that does not exist is dropped; the service stays.
            s.service_at_locations.retain(|sal| match &sal.location_id {
                Some(l) if gone.contains(l) => {
                    warnings.push((
                        sal.id.clone(),
                        format!("left out with location {l}, which was rejected"),
                    ));
                    false
                }
                Some(l) if !locs.contains(l) && !known_locations.contains(l) => {
                    rejected.push((
                        sal.id.clone(),
                        format!("location {l} is not in the import or the directory"),
                    ));
                    false
                }
                _ => true,
            });
        }
        for (id, reason) in warnings {
            self.warn(&format!("service {id}"), Some(&id), reason);
        }
        for (id, reason) in rejected {
            self.reject(&format!("service_at_location {id}"), Some(&id), reason);
        }
        self.reindex();
    }

    /// Adds another batch's records (a later id replaces an earlier one).
    pub fn merge(&mut self, other: Batch) {
        for o in other.organizations {
            let id = o.id.clone();
            upsert(&mut self.seen, 0, &mut self.organizations, id, o);
        }
        for l in other.locations {
            let id = l.id.clone();
            upsert(&mut self.seen, 1, &mut self.locations, id, l);
        }
        for s in other.services {
            let id = s.id.clone();
            upsert(&mut self.seen, 2, &mut self.services, id, s);
        }
        self.rejected.extend(other.rejected);
        self.warnings.extend(other.warnings);
        self.rejected_ids.extend(other.rejected_ids);
        self.notes.extend(other.notes);
    }

    fn reindex(&mut self) {
        self.seen.clear();
        for (i, o) in self.organizations.iter().enumerate() {
            self.seen.insert((0, o.id.clone()), i);
        }
        for (i, l) in self.locations.iter().enumerate() {
            self.seen.insert((1, l.id.clone()), i);
        }
        for (i, s) in self.services.iter().enumerate() {
            self.seen.insert((2, s.id.clone()), i);
        }
    }

    fn add_organization(&mut self, mut v: Value, source: &str) {
        let services = take_array(&mut v, "services");
        let locations = take_array(&mut v, "locations");
        let Some(org) = self.check::<Organization>(v, source) else {
            return;
        };
        for (i, mut l) in locations.into_iter().enumerate() {
            set_if_missing(&mut l, "organization_id", &org.id);
            self.add_location(l, &format!("{source}, location {}", i + 1));
        }
        for (i, mut s) in services.into_iter().enumerate() {
            set_if_missing(&mut s, "organization_id", &org.id);
            self.add_service(s, &format!("{source}, service {}", i + 1));
        }
        let id = org.id.clone();
        upsert(&mut self.seen, 0, &mut self.organizations, id, org);
    }

    fn add_location(&mut self, v: Value, source: &str) {
        if let Some(l) = self.check::<Location>(v, source) {
            let id = l.id.clone();
            upsert(&mut self.seen, 1, &mut self.locations, id, l);
        }
    }

    fn add_service(&mut self, mut v: Value, source: &str) {
        if let Some(org) = v.as_object_mut().and_then(|o| o.remove("organization"))
            && org.is_object()
        {
            if let Some(id) = org.get("id").and_then(Value::as_str) {
                set_if_missing(&mut v, "organization_id", id);
            }
            self.add_organization(org, &format!("{source}, organization"));
        }
        if let Some(sals) = v
            .get_mut("service_at_locations")
            .and_then(Value::as_array_mut)
        {
            let mut nested = Vec::new();
            for sal in sals.iter_mut() {
                if let Some(loc) = sal.as_object_mut().and_then(|o| o.remove("location"))
                    && loc.is_object()
                {
                    if let Some(id) = loc.get("id").and_then(Value::as_str) {
                        set_if_missing(sal, "location_id", id);
                    }
                    nested.push(loc);
                }
                if let Some(o) = sal.as_object_mut() {
                    o.remove("service");
                }
            }
            for (i, l) in nested.into_iter().enumerate() {
                self.add_location(l, &format!("{source}, location {}", i + 1));
            }
        }
        let id = v.get("id").and_then(Value::as_str).map(str::to_owned);
        if let Some(mut s) = self.check::<Service>(v, source) {
            for sal in &mut s.service_at_locations {
                if sal.service_id.is_none() {
                    sal.service_id = id.clone();
                }
            }
            let id = s.id.clone();
            upsert(&mut self.seen, 2, &mut self.services, id, s);
        }
    }

    /// A full service-at-location record: its service with this one place.
    fn add_service_at_location(&mut self, mut v: Value, source: &str) {
        let Some(mut service) = v.as_object_mut().and_then(|o| o.remove("service")) else {
            self.reject(
                source,
                v.get("id").and_then(Value::as_str),
                "a service_at_location record needs its service",
            );
            return;
        };
        if let Some(o) = service.as_object_mut() {
            o.insert("service_at_locations".into(), Value::Array(vec![v]));
        }
        self.add_service(service, source);
    }

    /// Reads `v` as `T` and checks it; rejects with the field path.
    fn check<T: DeserializeOwned + serde::Serialize>(
        &mut self,
        v: Value,
        source: &str,
    ) -> Option<T> {
        let id = v.get("id").and_then(Value::as_str).map(str::to_owned);
        let record: T = match serde_path_to_error::deserialize(v) {
            Ok(r) => r,
            Err(e) => {
                let path = e.path().to_string();
                let msg = e.into_inner().to_string();
                let reason = if path == "." {
                    msg
                } else {
                    format!("{path}: {msg}")
                };
                self.reject(source, id.as_deref(), reason);
                return None;
            }
        };
        let mut problems = Vec::new();
        let value = serde_json::to_value(&record).unwrap_or(Value::Null);
        check_value(&value, "", &mut problems);
        if problems.is_empty() {
            Some(record)
        } else {
            self.reject(source, id.as_deref(), problems.join("; "));
            None
        }
    }
}

fn take_array(v: &mut Value, key: &str) -> Vec<Value> {
    match v.as_object_mut().and_then(|o| o.remove(key)) {
        Some(Value::Array(a)) => a,
        _ => Vec::new(),
    }
}

fn set_if_missing(v: &mut Value, key: &str, value: &str) {
    if let Some(o) = v.as_object_mut()
        && o.get(key).is_none_or(Value::is_null)
    {
        o.insert(key.to_owned(), Value::String(value.to_owned()));
    }
}

/// Later records with the same id replace earlier ones (`kind` keeps the
/// three lists' ids apart).
fn upsert<T>(
    seen: &mut HashMap<(u8, String), usize>,
    kind: u8,
    list: &mut Vec<T>,
    id: String,
    item: T,
) {
    match seen.get(&(kind, id.clone())) {
        Some(&i) => list[i] = item,
        None => {
            seen.insert((kind, id), list.len());
            list.push(item);
        }
    }
}

/// Link columns that the standard types as UUIDs (`tax_id` and
/// `external_identifier` are not).
const LINKS: [&str; 13] = [
    "organization_id",
    "service_id",
    "location_id",
    "program_id",
    "contact_id",
    "phone_id",
    "service_at_location_id",
    "parent_organization_id",
    "link_id",
    "taxonomy_term_id",
    "taxonomy_id",
    "parent_id",
    "resource_id",
];

const LOCATION_TYPES: [&str; 3] = ["physical", "postal", "virtual"];
const WEEKDAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];

/// The checks the types cannot make, over the whole record: ids are UUIDs,
/// enumerations hold allowed values, names are present, ages in order.
/// Coordinates outside the globe are kept (the schema allows them) but never
/// used for distance.
fn check_value(v: &Value, path: &str, problems: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, val) in o {
                let here = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                if let Value::String(s) = val {
                    if (k == "id" || LINKS.contains(&k.as_str())) && Uuid::parse_str(s).is_err() {
                        problems.push(format!("{here}: \"{s}\" is not a UUID"));
                    }
                    let allowed: Option<&[&str]> = match k.as_str() {
                        "location_type" | "address_type" => Some(&LOCATION_TYPES),
                        "wkst" => Some(&WEEKDAYS),
                        "freq" => Some(&["WEEKLY", "MONTHLY"]),
                        "status" if path.is_empty() => Some(&super::SERVICE_STATUSES),
                        _ => None,
                    };
                    if let Some(allowed) = allowed
                        && !allowed.contains(&s.as_str())
                    {
                        problems.push(format!(
                            "{here}: \"{s}\" is not one of {}",
                            allowed.join(", ")
                        ));
                    }
                    if k == "name" && path.is_empty() && s.trim().is_empty() {
                        problems.push(format!("{here}: must not be empty"));
                    }
                }
                if matches!(k.as_str(), "minimum_age" | "maximum_age")
                    && val.as_f64().is_some_and(|x| x < 0.0)
                {
                    problems.push(format!("{here}: must not be negative"));
                }
                check_value(val, &here, problems);
            }
            if let (Some(min), Some(max)) = (
                o.get("minimum_age").and_then(Value::as_f64),
                o.get("maximum_age").and_then(Value::as_f64),
            ) && min > max
            {
                problems.push(format!(
                    "{}minimum_age: {min} is above maximum_age {max}",
                    prefix(path)
                ));
            }
        }
        Value::Array(a) => {
            for (i, val) in a.iter().enumerate() {
                check_value(val, &format!("{path}[{i}]"), problems);
            }
        }
        _ => {}
    }
}

fn prefix(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}.")
    }
}

/// Reads HSDS 3.0 JSON: one record, an array, or a paginated list page
/// (`{"contents": [...]}`) of organizations, services, locations or
/// service-at-location records, in full or list form.
///
/// # Errors
/// When the text is not JSON.
pub fn from_json(text: &str) -> Result<Batch, ImportError> {
    let v: Value = serde_json::from_str(text).map_err(|e| ImportError::NotJson(e.to_string()))?;
    let items = match v {
        Value::Array(a) => a,
        Value::Object(mut o) if o.get("contents").is_some_and(Value::is_array) => {
            match o.remove("contents") {
                Some(Value::Array(a)) => a,
                _ => Vec::new(),
            }
        }
        other => vec![other],
    };
    let mut batch = Batch::default();
    for (i, item) in items.into_iter().enumerate() {
        let source = format!("item {}", i + 1);
        batch.add_any(item, &source);
    }
    Ok(batch)
}

impl Batch {
    fn add_any(&mut self, item: Value, source: &str) {
        let has = |k: &str| item.get(k).is_some_and(|v| !v.is_null());
        if !item.is_object() {
            self.reject(source, None, "not an HSDS record (expected an object)");
        } else if has("service") {
            self.add_service_at_location(item, source);
        } else if has("location_type") {
            self.add_location(item, source);
        } else if has("status") {
            self.add_service(item, source);
        } else if has("services") || (has("name") && has("description")) {
            self.add_organization(item, source);
        } else {
            let id = item.get("id").and_then(Value::as_str).map(str::to_owned);
            self.reject(source, id.as_deref(), "cannot tell which HSDS record this is (a service needs status, a location location_type, an organization name and description)");
        }
    }
}

// ---------------------------------------------------------------- tables

/// One CSV row: its table, line number and non-empty cells.
#[derive(Clone, Debug)]
struct Row {
    table: &'static str,
    /// The user's own file name, for the report.
    file: std::sync::Arc<str>,
    line: usize,
    cells: Map<String, Value>,
}

impl Row {
    fn get(&self, k: &str) -> Option<&str> {
        self.cells.get(k).and_then(Value::as_str)
    }
    fn source(&self) -> String {
        format!("{} row {}", self.file, self.line)
    }
}

const NUMERIC: [&str; 10] = [
    "minimum_age",
    "maximum_age",
    "year_incorporated",
    "extension",
    "timezone",
    "count",
    "interval",
    "amount",
    "latitude",
    "longitude",
];

/// The tables of HSDS 3.0 a tabular import reads, in the order they nest.
const TABLES_3: [&str; 19] = [
    "organizations",
    "services",
    "locations",
    "service_at_location",
    "addresses",
    "phones",
    "languages",
    "schedules",
    "service_areas",
    "accessibility",
    "contacts",
    "cost_options",
    "funding",
    "programs",
    "required_documents",
    "organization_identifiers",
    "attributes",
    "taxonomy_terms",
    "taxonomies",
];

fn parse_csv(file: &str, table: &'static str, text: &str) -> Result<Vec<Row>, ImportError> {
    let err = |m: String| ImportError::Csv {
        file: file.to_owned(),
        message: m,
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| err(e.to_string()))?
        .iter()
        .map(|h| h.trim().to_owned())
        .collect();
    let mut rows = Vec::new();
    let file: std::sync::Arc<str> = file.into();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| err(e.to_string()))?;
        let mut cells = Map::new();
        for (h, cell) in headers.iter().zip(rec.iter()) {
            let cell = cell.trim();
            if !cell.is_empty() {
                cells.insert(h.clone(), Value::String(cell.to_owned()));
            }
        }
        rows.push(Row {
            table,
            file: file.clone(),
            line: i + 2,
            cells,
        });
    }
    Ok(rows)
}

/// Reads a tabular datapackage: `tables` maps file names ("services.csv") to
/// their text. HSDS 1.x is recognised by its table names
/// (`services_at_location.csv`, `regular_schedules.csv`, `physical_addresses.csv`).
///
/// # Errors
/// When a CSV file cannot be parsed, or there are no HSDS tables.
pub fn from_tables(tables: &BTreeMap<String, String>) -> Result<Batch, ImportError> {
    let legacy = [
        "services_at_location.csv",
        "regular_schedules.csv",
        "physical_addresses.csv",
    ]
    .iter()
    .any(|t| tables.contains_key(*t));
    let mut batch = Batch::default();
    let rows = if legacy {
        convert_legacy(tables, &mut batch)?
    } else {
        let mut rows = Vec::new();
        for t in TABLES_3 {
            if let Some(text) = tables.get(&format!("{t}.csv")) {
                rows.extend(parse_csv(&format!("{t}.csv"), t, text)?);
            }
        }
        for name in tables.keys() {
            let t = name.trim_end_matches(".csv");
            if name.ends_with(".csv") && !TABLES_3.contains(&t) {
                batch.notes.push(format!(
                    "{name}: not read (Haven keeps HSDS metadata of its own)"
                ));
            }
        }
        rows
    };
    if !rows
        .iter()
        .any(|r| r.table == "organizations" || r.table == "services")
    {
        return Err(ImportError::NoTables);
    }
    assemble(rows, &mut batch);
    Ok(batch)
}

/// Which parent a child row belongs to: the first link column that names a
/// row in the import (a phone of a contact of a service goes with the contact).
fn parent_links(table: &str) -> &'static [(&'static str, &'static str)] {
    match table {
        "phones" => &[
            ("contact_id", "contacts"),
            ("service_at_location_id", "service_at_location"),
            ("service_id", "services"),
            ("location_id", "locations"),
            ("organization_id", "organizations"),
        ],
        "contacts" => &[
            ("service_at_location_id", "service_at_location"),
            ("service_id", "services"),
            ("location_id", "locations"),
            ("organization_id", "organizations"),
        ],
        "schedules" => &[
            ("service_at_location_id", "service_at_location"),
            ("service_id", "services"),
            ("location_id", "locations"),
        ],
        "languages" => &[
            ("phone_id", "phones"),
            ("service_id", "services"),
            ("location_id", "locations"),
        ],
        "funding" => &[
            ("service_id", "services"),
            ("organization_id", "organizations"),
        ],
        "service_at_location" | "service_areas" | "cost_options" | "required_documents" => {
            &[("service_id", "services")]
        }
        "addresses" | "accessibility" => &[("location_id", "locations")],
        "programs" | "organization_identifiers" => &[("organization_id", "organizations")],
        _ => &[],
    }
}

/// The list field a child table fills in its parent.
fn field_of(table: &str) -> &'static str {
    match table {
        "service_at_location" => "service_at_locations",
        "phones" => "phones",
        "contacts" => "contacts",
        "schedules" => "schedules",
        "languages" => "languages",
        "funding" => "funding",
        "service_areas" => "service_areas",
        "cost_options" => "cost_options",
        "required_documents" => "required_documents",
        "addresses" => "addresses",
        "accessibility" => "accessibility",
        "programs" => "programs",
        "organization_identifiers" => "organization_identifiers",
        _ => "attributes",
    }
}

/// Checks one row against its type; the reason if it fails.
fn row_problem(row: &Row) -> Option<String> {
    use super::hsds as h;
    fn try_as<T: DeserializeOwned + serde::Serialize>(v: &Value) -> Option<String> {
        match serde_path_to_error::deserialize::<_, T>(v.clone()) {
            Ok(r) => {
                let mut p = Vec::new();
                check_value(&serde_json::to_value(&r).unwrap_or(Value::Null), "", &mut p);
                (!p.is_empty()).then(|| p.join("; "))
            }
            Err(e) => {
                let path = e.path().to_string();
                Some(format!("{path}: {}", e.into_inner()))
            }
        }
    }
    let v = Value::Object(row.cells.clone());
    match row.table {
        "organizations" => try_as::<h::Organization>(&v),
        "services" => try_as::<h::Service>(&v),
        "locations" => try_as::<h::Location>(&v),
        "service_at_location" => try_as::<h::ServiceAtLocation>(&v),
        "addresses" => try_as::<h::Address>(&v),
        "phones" => try_as::<h::Phone>(&v),
        "languages" => try_as::<h::Language>(&v),
        "schedules" => try_as::<h::Schedule>(&v),
        "service_areas" => try_as::<h::ServiceArea>(&v),
        "accessibility" => try_as::<h::Accessibility>(&v),
        "contacts" => try_as::<h::Contact>(&v),
        "cost_options" => try_as::<h::CostOption>(&v),
        "funding" => try_as::<h::Funding>(&v),
        "programs" => try_as::<h::Program>(&v),
        "required_documents" => try_as::<h::RequiredDocument>(&v),
        "organization_identifiers" => try_as::<h::OrganizationIdentifier>(&v),
        "attributes" => try_as::<h::Attribute>(&v),
        "taxonomy_terms" => try_as::<h::TaxonomyTerm>(&v),
        "taxonomies" => try_as::<h::Taxonomy>(&v),
        _ => None,
    }
}

struct Tables {
    rows: Vec<Row>,
    /// (parent table, parent id) → child row indexes, in file order.
    children: HashMap<(&'static str, String), Vec<usize>>,
    /// table → id → row index.
    by_id: HashMap<(&'static str, String), usize>,
    /// Row indexes that failed their own checks.
    bad: BTreeSet<usize>,
}

impl Tables {
    /// The row as JSON with its children nested; the first rejected row
    /// inside it, if any.
    fn build(&self, i: usize, out_bad: &mut Option<usize>, depth: u8) -> Value {
        if self.bad.contains(&i) && out_bad.is_none() {
            *out_bad = Some(i);
        }
        let row = &self.rows[i];
        let mut obj = row.cells.clone();
        // HSDS nests a few levels deep; a row that is its own descendant (an
        // attribute linked to itself) would nest forever.
        if depth > 8 {
            if out_bad.is_none() {
                *out_bad = Some(i);
            }
            return Value::Object(obj);
        }
        if let Some(id) = row.get("id") {
            if let Some(kids) = self.children.get(&(row.table, id.to_owned())) {
                for &k in kids {
                    let field = field_of(self.rows[k].table);
                    let child = self.build(k, out_bad, depth + 1);
                    let slot = obj
                        .entry(field.to_owned())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = slot {
                        a.push(child);
                    }
                }
            }
            if let Some(kids) = self.children.get(&("@attributes", id.to_owned())) {
                for &k in kids {
                    let child = self.build(k, out_bad, depth + 1);
                    let slot = obj
                        .entry("attributes".to_owned())
                        .or_insert_with(|| Value::Array(Vec::new()));
                    if let Value::Array(a) = slot {
                        a.push(child);
                    }
                }
            }
        }
        if row.table == "attributes"
            && let Some(term) = row.get("taxonomy_term_id")
            && let Some(&t) = self.by_id.get(&("taxonomy_terms", term.to_owned()))
        {
            let mut term = self.rows[t].cells.clone();
            if let Some(tax) = term.get("taxonomy_id").and_then(Value::as_str)
                && let Some(&x) = self.by_id.get(&("taxonomies", tax.to_owned()))
            {
                term.insert(
                    "taxonomy_detail".into(),
                    Value::Object(self.rows[x].cells.clone()),
                );
            }
            obj.insert("taxonomy_term".into(), Value::Object(term));
        }
        Value::Object(obj)
    }
}

fn assemble(mut rows: Vec<Row>, batch: &mut Batch) {
    // Numbers are text in CSV: convert the numeric columns, or reject the row.
    let mut bad = BTreeSet::new();
    for (i, row) in rows.iter_mut().enumerate() {
        for col in NUMERIC {
            if let Some(Value::String(s)) = row.cells.get(col) {
                match s.parse::<f64>().ok().and_then(serde_json::Number::from_f64) {
                    Some(n) => {
                        let n = if n
                            .as_f64()
                            .is_some_and(|f| f.fract() == 0.0 && f.abs() < 1e15)
                        {
                            serde_json::Number::from(n.as_f64().unwrap_or(0.0) as i64)
                        } else {
                            n
                        };
                        row.cells.insert(col.to_owned(), Value::Number(n));
                    }
                    None => {
                        batch.reject(
                            &row.source(),
                            row.get("id"),
                            format!("{col}: \"{s}\" is not a number"),
                        );
                        bad.insert(i);
                    }
                }
            }
        }
    }
    for (i, row) in rows.iter().enumerate() {
        if !bad.contains(&i)
            && let Some(problem) = row_problem(row)
        {
            batch.reject(&row.source(), row.get("id"), problem);
            bad.insert(i);
        }
    }
    let mut t = Tables {
        children: HashMap::new(),
        by_id: HashMap::new(),
        bad,
        rows: Vec::new(),
    };
    for (i, row) in rows.iter().enumerate() {
        if let Some(id) = row.get("id") {
            t.by_id.insert((row.table, id.to_owned()), i);
        }
    }
    for (i, row) in rows.iter().enumerate() {
        if row.table == "attributes" {
            if let Some(link) = row.get("link_id") {
                t.children
                    .entry(("@attributes", link.to_owned()))
                    .or_default()
                    .push(i);
            }
            continue;
        }
        for (col, parent) in parent_links(row.table) {
            // The most specific parent that is in the import.
            if let Some(pid) = row.get(col)
                && t.by_id.contains_key(&(*parent, pid.to_owned()))
            {
                t.children
                    .entry((parent, pid.to_owned()))
                    .or_default()
                    .push(i);
                break;
            }
        }
    }
    t.rows = rows;
    for table in ["organizations", "locations", "services"] {
        for i in 0..t.rows.len() {
            if t.rows[i].table != table {
                continue;
            }
            let source = t.rows[i].source();
            let mut first_bad = None;
            let v = t.build(i, &mut first_bad, 0);
            if let Some(b) = first_bad {
                let why = if b == i {
                    continue; // already reported
                } else {
                    format!("not imported because {} was rejected", t.rows[b].source())
                };
                batch.reject(&source, t.rows[i].get("id"), why);
                continue;
            }
            match table {
                "organizations" => batch.add_organization(v, &source),
                "locations" => batch.add_location(v, &source),
                _ => batch.add_service(v, &source),
            }
        }
    }
}

#[cfg(test)]
mod tests;
