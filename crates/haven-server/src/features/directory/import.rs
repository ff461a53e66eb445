//! The directory's import: what a batch of HSDS records becomes in the store,
//! the report an operator reads, and the dry run with no directory yet.

use super::service::*;
use crate::AppState;
use crate::audit::entry as audit;
use crate::case::sealed::seal_json;
use crate::case::sealed::unseal_json;
use crate::web::error::AppError;
use haven_domain::directory::ServiceFacts;
use haven_domain::directory::attributes::{self};
use haven_domain::directory::geo::{self, Point};
use haven_domain::directory::hsds::{Location, Organization, Service};
use haven_domain::directory::import::{Batch, Rejection};
use haven_domain::policy::Actor;
use haven_domain::{AuditAction, AuditEntry, ServiceId};
use haven_store::{DirLocationRow, DirOrganizationRow, DirServiceRow, DirectoryWrite};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use time::OffsetDateTime;
use uuid::Uuid;

// ---------------------------------------------------------------- import

/// What an import did.
#[derive(Clone, Debug, Default, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub organizations: usize,
    pub locations: usize,
    pub services: usize,
    /// Every rejected row or record, and why. Nothing of a rejected record
    /// was imported.
    #[schema(value_type = Vec<Object>)]
    pub rejected: Vec<Rejection>,
    /// Rows kept with a change the data plainly meant, or child rows left
    /// out that their record does not need, each with why.
    #[schema(value_type = Vec<Object>)]
    pub warnings: Vec<Rejection>,
    /// What was read but not kept.
    pub notes: Vec<String>,
    /// Only checked (`dry_run`): nothing was written.
    pub dry_run: bool,
}

pub(super) fn parse_uuid(s: &str) -> Option<Uuid> {
    Uuid::parse_str(s).ok()
}

pub(super) fn location_point(l: &Location, confidential: bool) -> Option<Point> {
    let zip = l
        .addresses
        .iter()
        .find_map(|a| geo::zip_centroid(&a.postal_code));
    if confidential {
        return zip;
    }
    let own = match (&l.latitude, &l.longitude) {
        (Some(lat), Some(lon)) => lat
            .as_f64()
            .zip(lon.as_f64())
            .and_then(|(a, b)| Point::new(a, b)),
        _ => None,
    };
    own.or(zip)
}

/// A location as everyone outside its organization sees it.
pub(super) fn public_location(l: &Location) -> Location {
    Location {
        addresses: Vec::new(),
        latitude: None,
        longitude: None,
        transportation: None,
        external_identifier: None,
        external_identifier_type: None,
        ..l.clone()
    }
}

pub(super) fn json<T: Serialize>(v: &T) -> Result<String, AppError> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(e.to_string()))
}

pub(super) fn location_row(
    state: &AppState,
    l: &Location,
    now: OffsetDateTime,
) -> Result<DirLocationRow, AppError> {
    let id = parse_uuid(&l.id)
        .ok_or_else(|| AppError::Internal("location id checked at import".into()))?;
    let confidential = attributes::is_confidential(&l.attributes);
    let (record, private_record) = if confidential {
        (
            json(&public_location(l))?,
            Some(seal_json(
                state,
                "directory_locations",
                "private_record",
                &id.to_string(),
                l,
            )?),
        )
    } else {
        (json(l)?, None)
    };
    Ok(DirLocationRow {
        id,
        organization: l.organization_id.as_deref().and_then(parse_uuid),
        confidential,
        point: location_point(l, confidential).map(|p| (p.lat, p.lon)),
        record,
        private_record,
        updated_at: now,
    })
}

pub(super) fn service_row(
    state: &AppState,
    s: &Service,
    organization: Option<&Organization>,
    locations: &[&Location],
    now: OffsetDateTime,
) -> Result<DirServiceRow, AppError> {
    let facts = ServiceFacts::of(
        s,
        organization,
        locations,
        state.settings.directory_utc_offset_minutes,
    );
    let id = parse_uuid(&s.id)
        .ok_or_else(|| AppError::Internal("service id checked at import".into()))?;
    let mut record = s.clone();
    record.organization = None;
    let places = s
        .service_at_locations
        .iter()
        .filter_map(|sal| {
            Some((
                parse_uuid(&sal.id)?,
                parse_uuid(sal.location_id.as_deref()?)?,
            ))
        })
        .collect();
    Ok(DirServiceRow {
        id: ServiceId::from_uuid(id),
        organization: s.organization_id.as_deref().and_then(parse_uuid),
        name: s.name.trim().to_owned(),
        status: facts.status.clone(),
        needs: facts.needs,
        populations: facts.populations,
        funding: facts.funding,
        languages: facts.languages.clone(),
        minimum_age: facts.minimum_age,
        maximum_age: facts.maximum_age,
        capacity_available: facts.capacity_available,
        hours: json(&facts.hours)?,
        record: json(&record)?,
        name_text: facts.name_text,
        body_text: facts.body_text,
        places,
        updated_at: now,
    })
}

/// Full records of stored locations (decrypted for confidential ones), for
/// deriving the search facts of services imported without them.
pub(super) async fn stored_locations(
    state: &AppState,
    ids: &[Uuid],
) -> Result<Vec<Location>, AppError> {
    let mut out = Vec::new();
    for row in state.store.directory_locations(ids).await? {
        out.push(full_location(state, &row).await?);
    }
    Ok(out)
}

pub(super) async fn full_location(
    state: &AppState,
    row: &DirLocationRow,
) -> Result<Location, AppError> {
    match &row.private_record {
        Some(p) => {
            unseal_json(
                state,
                "directory_locations",
                "private_record",
                &row.id.to_string(),
                p,
            )
            .await
        }
        None => serde_json::from_str(&row.record).map_err(|e| AppError::Internal(e.to_string())),
    }
}

/// Imports a batch: checks links against the batch and the stored
/// directory, then writes every accepted record in one transaction.
///
/// # Errors
/// Not an administrator; storage.
pub async fn import(
    state: &AppState,
    actor: Option<&Actor>,
    mut batch: Batch,
    dry_run: bool,
    rid: Option<String>,
) -> Result<ImportReport, AppError> {
    if actor.is_some_and(|a| !may_manage(a)) {
        // Answered like "not found", as every refusal is.
        return Err(AppError::NotFound);
    }
    let org_refs: Vec<Uuid> = batch
        .services
        .iter()
        .filter_map(|s| s.organization_id.as_deref().and_then(parse_uuid))
        .chain(
            batch
                .locations
                .iter()
                .filter_map(|l| l.organization_id.as_deref().and_then(parse_uuid)),
        )
        .collect();
    let loc_refs: Vec<Uuid> = batch
        .services
        .iter()
        .flat_map(|s| s.service_at_locations.iter())
        .filter_map(|sal| sal.location_id.as_deref().and_then(parse_uuid))
        .collect();
    let (known_orgs, known_locs) = state.store.directory_known(&org_refs, &loc_refs).await?;
    let as_strings =
        |s: &BTreeSet<Uuid>| s.iter().map(Uuid::to_string).collect::<BTreeSet<String>>();
    batch.resolve(&as_strings(&known_orgs), &as_strings(&known_locs));
    let now = haven_domain::now();

    let orgs: HashMap<&str, &Organization> = batch
        .organizations
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let mut locs: HashMap<String, Location> = batch
        .locations
        .iter()
        .map(|l| (l.id.clone(), l.clone()))
        .collect();
    let missing: Vec<Uuid> = loc_refs
        .iter()
        .filter(|u| !locs.contains_key(&u.to_string()))
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    for l in stored_locations(state, &missing).await? {
        locs.insert(l.id.clone(), l);
    }
    let mut stored_orgs: HashMap<String, Organization> = HashMap::new();
    for id in known_orgs {
        if let Some(row) = state.store.directory_organization(id).await?
            && let Ok(o) = serde_json::from_str::<Organization>(&row.record)
        {
            stored_orgs.insert(o.id.clone(), o);
        }
    }

    let mut org_rows = Vec::with_capacity(batch.organizations.len());
    for o in &batch.organizations {
        org_rows.push(DirOrganizationRow {
            id: parse_uuid(&o.id)
                .ok_or_else(|| AppError::Internal("org id checked at import".into()))?,
            name: o.name.trim().to_owned(),
            record: json(o)?,
            haven_org: None,
            updated_at: now,
        });
    }
    // A location may name an organization that is in neither the import nor
    // the directory: it keeps the id in its record, without the link.
    let mut loc_rows = Vec::with_capacity(batch.locations.len());
    for l in &batch.locations {
        let mut row = location_row(state, l, now)?;
        if let Some(o) = row.organization
            && !orgs.contains_key(o.to_string().as_str())
            && !stored_orgs.contains_key(&o.to_string())
        {
            row.organization = None;
        }
        loc_rows.push(row);
    }
    let mut service_rows = Vec::with_capacity(batch.services.len());
    for s in &batch.services {
        let org = s
            .organization_id
            .as_deref()
            .and_then(|id| orgs.get(id).copied().or_else(|| stored_orgs.get(id)));
        let places: Vec<&Location> = s
            .service_at_locations
            .iter()
            .filter_map(|sal| locs.get(sal.location_id.as_deref()?))
            .collect();
        service_rows.push(service_row(state, s, org, &places, now)?);
    }
    let report = ImportReport {
        organizations: org_rows.len(),
        locations: loc_rows.len(),
        services: service_rows.len(),
        rejected: batch.rejected,
        warnings: batch.warnings,
        notes: batch.notes,
        dry_run,
    };
    if !dry_run && report.organizations + report.locations + report.services > 0 {
        let what = format!(
            "{}+{}+{}",
            report.organizations, report.locations, report.services
        );
        // The operator's command line has no signed-in actor.
        let entry = match actor {
            Some(a) => audit(a, AuditAction::DirectoryImported, "directory", what, rid),
            None => AuditEntry::new(AuditAction::DirectoryImported).on("directory", what),
        };
        state
            .store
            .import_directory(
                DirectoryWrite {
                    organizations: &org_rows,
                    locations: &loc_rows,
                    services: &service_rows,
                },
                &entry,
            )
            .await?;
    }
    Ok(report)
}

/// A dry run with no directory to compare with (no database yet): what an
/// import would keep and reject, computed without opening or creating
/// anything.
#[must_use]
pub fn check_without_directory(mut batch: Batch) -> ImportReport {
    batch.resolve(&BTreeSet::new(), &BTreeSet::new());
    ImportReport {
        organizations: batch.organizations.len(),
        locations: batch.locations.len(),
        services: batch.services.len(),
        rejected: batch.rejected,
        warnings: batch.warnings,
        notes: batch.notes,
        dry_run: true,
    }
}

/// Reads an uploaded datapackage or JSON file set: JSON files are read as
/// HSDS JSON, CSV files together as one tabular package.
///
/// # Errors
/// A file that cannot be read at all.
pub fn batch_from_files(files: Vec<(String, String)>) -> Result<Batch, AppError> {
    let bad = |m: String| AppError::Invalid {
        code: "unreadable",
        field: Some("files"),
        message: m,
    };
    let mut tables: BTreeMap<String, String> = BTreeMap::new();
    let mut batch = Batch::default();
    for (name, text) in files {
        let base = name
            .rsplit(['/', '\\'])
            .next()
            .unwrap_or(&name)
            .to_ascii_lowercase();
        if base.ends_with(".csv") {
            tables.insert(base, text);
        } else if base.ends_with(".json") && base != "datapackage.json" {
            let b = haven_domain::directory::import::from_json(&text)
                .map_err(|e| bad(format!("{base}: {e}")))?;
            batch.merge(b);
        }
    }
    if !tables.is_empty() {
        let b = haven_domain::directory::import::from_tables(&tables)
            .map_err(|e| bad(e.to_string()))?;
        batch.merge(b);
    }
    Ok(batch)
}
