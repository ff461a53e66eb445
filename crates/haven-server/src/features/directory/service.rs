//! The service directory: import, search, records as viewers may see them,
//! HSDS export, links to Haven organizations, capacity, and the hotline
//! directory. One service for the pages, the JSON API and the HSDS API.
//!
//! Directory records are published information, so reading them is not
//! audited; every change is. A confidential location's address and
//! coordinates are decrypted only for staff of the organization it belongs
//! to; everyone else sees its service areas, and distances to it are
//! measured from its ZIP code's centroid.

pub use super::import::*;
use crate::AppState;
use crate::audit::entry as audit;
use crate::web::error::AppError;
use haven_domain::directory::attributes::{self, Capacity, HavenAttributes};
use haven_domain::directory::geo::{self, Point};
use haven_domain::directory::hours::{self, Opening};
use haven_domain::directory::hsds::{Location, Organization, Service};
use haven_domain::directory::{FundingSource, Mask, Population, text};
use haven_domain::policy::{Actor, Scope};
use haven_domain::record::NeedCategory;
use haven_domain::{AuditAction, HotlineId, OrganizationId, Role, ServiceId};
use haven_store::{DirOrganizationRow, DirServiceRow, DirectoryQuery, HotlineRow};
use serde::Serialize;
use std::collections::HashMap;
use time::OffsetDateTime;
use uuid::Uuid;

/// Results per page in the search.
pub const PAGE_SIZE: usize = 20;
/// Candidates read from the database for one search near a place (a box
/// holds few), and for one without a place (the best ranked by the
/// database's full-text ranking; a broader list helps nobody).
/// The most rows one search reads: far above any real result (a common
/// word nationwide matches about 20,000 services), so the count shown is
/// true; past it the result says it is truncated.
const CANDIDATES_NEAR: u32 = 50_000;
const CANDIDATES_ANYWHERE: u32 = 50_000;
/// Radius used when a place is given without one, in miles.
pub const DEFAULT_RADIUS_MILES: f64 = 25.0;

/// Who may change the directory (import, link organizations, edit the
/// hotline list): administrators.
#[must_use]
pub fn may_manage(actor: &Actor) -> bool {
    haven_domain::policy::may_manage_shared_lists(actor)
}

/// Who may read the directory: every signed-in person; a token needs
/// `directory:read` (partners) or `cases:read` (case workers' tools).
#[must_use]
pub fn may_read(actor: &Actor) -> bool {
    actor
        .scopes
        .as_ref()
        .is_none_or(|s| s.contains(&Scope::DirectoryRead) || s.contains(&Scope::CasesRead))
}

// ---------------------------------------------------------------- search

/// A search as a case worker asks it.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub q: String,
    pub need: Option<NeedCategory>,
    pub population: Option<Population>,
    pub funding: Option<FundingSource>,
    pub language: Option<String>,
    pub age: Option<u8>,
    pub open_now: bool,
    pub capacity_only: bool,
    pub near: Option<Point>,
    pub radius_miles: f64,
    /// Limit to one directory organization (the HSDS API's `organization_id`).
    pub organization: Option<Uuid>,
    /// 0-based.
    pub page: usize,
    pub per_page: usize,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Hit {
    #[schema(value_type = String, format = Uuid)]
    pub id: ServiceId,
    pub name: String,
    pub organization: Option<String>,
    /// Miles from the place searched, to the nearest place the service is
    /// offered (a confidential place counts from its ZIP code's centroid).
    pub distance_miles: Option<f64>,
    /// The distance is to a confidential location's ZIP code centroid:
    /// approximate, and shown in whole miles.
    pub distance_approximate: bool,
    pub relevance: f64,
    /// Open at the time of the search, from its weekly schedule; absent when
    /// it publishes none.
    pub open_now: Option<bool>,
    pub languages: Vec<String>,
    pub needs: Vec<String>,
    pub capacity_available: Option<i64>,
    /// Its provider answers referrals in Haven.
    pub referable: bool,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    pub total: usize,
    /// More matched than were ranked: narrow the search.
    pub truncated: bool,
    pub page: usize,
    pub per_page: usize,
}

/// Searches the directory: filters in SQL, then exact distance, "open now"
/// and ranking here. With words, results rank by relevance (a match in the
/// name counts more) and then distance; without, by distance or name.
///
/// # Errors
/// Storage.
pub async fn search(
    state: &AppState,
    s: &Search,
    now: OffsetDateTime,
) -> Result<SearchResult, AppError> {
    let radius = if s.radius_miles > 0.0 {
        s.radius_miles.min(500.0)
    } else {
        DEFAULT_RADIUS_MILES
    };
    let words = text::query_words(&s.q);
    let q = DirectoryQuery {
        words: words.clone(),
        bbox: s.near.map(|c| {
            let b = geo::bounding_box(c, radius);
            (b.min_lat, b.max_lat, b.min_lon, b.max_lon)
        }),
        needs: s.need.map_or(0, Mask::bit),
        populations: s.population.map_or(0, Mask::bit),
        funding: s.funding.map_or(0, Mask::bit),
        language: s.language.clone(),
        age: s.age.map(i32::from),
        capacity_only: s.capacity_only,
        taxonomy_org: s.organization,
        limit: if s.near.is_some() {
            CANDIDATES_NEAR
        } else {
            CANDIDATES_ANYWHERE
        },
    };
    let rows = state.store.search_directory(&q).await?;
    // Relevance from the two databases' own rankings differs in scale; near a
    // place, both are scored here the same way.
    let truncated = rows.len() >= q.limit as usize;
    // One hit per service: its nearest place in the radius.
    let mut order: Vec<ServiceId> = Vec::new();
    let mut best: HashMap<ServiceId, Hit> = HashMap::new();
    for mut r in rows {
        // Words near a place are matched here (the store sent the text).
        if let Some((name, body)) = &r.text {
            match text::score(&words, name, body) {
                Some(score) => r.relevance = score,
                None => continue,
            }
        }
        let distance = match (s.near, r.point) {
            (Some(c), Some((lat, lon))) => Point::new(lat, lon).map(|p| geo::miles(c, p)),
            _ => None,
        };
        if s.near.is_some() && distance.is_none_or(|d| d > radius) {
            continue;
        }
        let open_now = serde_json::from_str::<Vec<Opening>>(&r.hours)
            .ok()
            .and_then(|o| hours::open_at(&o, now));
        if s.open_now && open_now != Some(true) {
            continue;
        }
        let hit = Hit {
            id: r.id,
            // Encoding damage repaired for reading (the record keeps it).
            name: haven_domain::directory::import::lenient::repair(&r.name),
            organization: r
                .organization_name
                .map(|o| haven_domain::directory::import::lenient::repair(&o)),
            // A confidential place's distance is to its ZIP code's centroid:
            // whole miles, at least one, so it never looks exact.
            distance_miles: distance.map(|d| {
                if r.confidential {
                    d.round().max(1.0)
                } else {
                    (d * 10.0).round() / 10.0
                }
            }),
            distance_approximate: r.confidential,
            relevance: r.relevance,
            open_now,
            languages: r.languages,
            needs: NeedCategory::from_mask(r.needs)
                .iter()
                .map(|n| n.as_str().to_owned())
                .collect(),
            capacity_available: r.capacity_available,
            referable: r.haven_org.is_some(),
        };
        match best.get_mut(&r.id) {
            Some(h) => {
                if hit.distance_miles < h.distance_miles || h.distance_miles.is_none() {
                    h.distance_miles = hit.distance_miles;
                    h.distance_approximate = hit.distance_approximate;
                }
            }
            None => {
                order.push(r.id);
                best.insert(r.id, hit);
            }
        }
    }
    let mut hits: Vec<Hit> = order
        .into_iter()
        .filter_map(|id| best.remove(&id))
        .collect();
    let by_distance = |a: &Hit, b: &Hit| {
        a.distance_miles
            .unwrap_or(f64::MAX)
            .total_cmp(&b.distance_miles.unwrap_or(f64::MAX))
    };
    if !words.is_empty() {
        hits.sort_by(|a, b| {
            b.relevance
                .total_cmp(&a.relevance)
                .then_with(|| by_distance(a, b))
                .then_with(|| a.name.cmp(&b.name))
        });
    } else if s.near.is_some() {
        hits.sort_by(|a, b| by_distance(a, b).then_with(|| a.name.cmp(&b.name)));
    }
    let per_page = s.per_page.clamp(1, 100);
    let total = hits.len();
    let hits = hits
        .into_iter()
        .skip(s.page * per_page)
        .take(per_page)
        .collect();
    Ok(SearchResult {
        hits,
        total,
        truncated,
        page: s.page,
        per_page,
    })
}

// ---------------------------------------------------------------- records

/// Where a service is offered, as this viewer may see it.
#[derive(Clone, Debug, Serialize)]
pub struct Place {
    pub sal_id: Uuid,
    pub location: Location,
    pub confidential: bool,
    /// The address is shown (the viewer's own organization).
    pub revealed: bool,
    /// The search point: the location's own, or a confidential one's ZIP
    /// code centroid. Never shown; used to keep places within a radius.
    #[serde(skip)]
    pub point: Option<Point>,
}

#[derive(Clone, Debug)]
pub struct ServiceView {
    pub row: DirServiceRow,
    pub service: Service,
    pub organization: Option<DirOrganizationRow>,
    pub organization_record: Option<Organization>,
    pub places: Vec<Place>,
    pub haven: HavenAttributes,
    pub openings: Vec<Opening>,
}

impl ServiceView {
    /// The Haven organization that answers referrals for it.
    #[must_use]
    pub fn receiving_org(&self) -> Option<OrganizationId> {
        self.organization.as_ref().and_then(|o| o.haven_org)
    }
}

/// Whether `actor` belongs to the organization that runs this directory
/// organization (and so sees its confidential addresses).
fn is_own(actor: Option<&Actor>, org: Option<&DirOrganizationRow>) -> bool {
    match (actor, org.and_then(|o| o.haven_org)) {
        (Some(a), Some(h)) => a.organization == h && a.scopes.is_none(),
        _ => false,
    }
}

/// A service with its organization and places, confidential addresses
/// only for the organization's own staff (`actor`; `None` for partners).
///
/// # Errors
/// Not found; storage.
pub async fn service_view(
    state: &AppState,
    actor: Option<&Actor>,
    id: ServiceId,
) -> Result<ServiceView, AppError> {
    let row = state
        .store
        .directory_service(id)
        .await?
        .ok_or(AppError::NotFound)?;
    let service: Service =
        serde_json::from_str(&row.record).map_err(|e| AppError::Internal(e.to_string()))?;
    let organization = match row.organization {
        Some(o) => state.store.directory_organization(o).await?,
        None => None,
    };
    let organization_record = organization
        .as_ref()
        .and_then(|o| serde_json::from_str::<Organization>(&o.record).ok());
    let own = is_own(actor, organization.as_ref());
    let ids: Vec<Uuid> = row.places.iter().map(|p| p.1).collect();
    let locations = state.store.directory_locations(&ids).await?;
    let mut places = Vec::new();
    for (sal, loc) in &row.places {
        let Some(l) = locations.iter().find(|l| l.id == *loc) else {
            continue;
        };
        let revealed = l.confidential && own;
        let location = if revealed {
            full_location(state, l).await?
        } else {
            serde_json::from_str(&l.record).map_err(|e| AppError::Internal(e.to_string()))?
        };
        places.push(Place {
            sal_id: *sal,
            location,
            confidential: l.confidential,
            revealed,
            point: l.point.and_then(|(lat, lon)| Point::new(lat, lon)),
        });
    }
    let haven = HavenAttributes::read(&service.attributes);
    let openings = serde_json::from_str(&row.hours).unwrap_or_default();
    Ok(ServiceView {
        row,
        service,
        organization,
        organization_record,
        places,
        haven,
        openings,
    })
}

/// The HSDS 3.0 full service record as published to partners: organization
/// and locations nested, confidential addresses left out, Haven's
/// attributes written as HSDS attributes.
#[must_use]
pub fn export_service(v: &ServiceView) -> Service {
    let mut s = v.service.clone();
    s.attributes.retain(|a| !attributes::is_haven(a));
    s.attributes.extend(v.haven.write(&s.id));
    s.organization = v.organization_record.clone().map(|mut o| {
        o.locations.clear();
        Box::new(o)
    });
    for sal in &mut s.service_at_locations {
        if sal.service_id.is_none() {
            sal.service_id = Some(s.id.clone());
        }
        if let Some(p) = v.places.iter().find(|p| p.sal_id.to_string() == sal.id) {
            let mut l = if p.revealed {
                public_location(&p.location)
            } else {
                p.location.clone()
            };
            if p.confidential && !l.attributes.iter().any(attributes::is_haven) {
                l.attributes.push(attributes::attribute(
                    &l.id,
                    "location",
                    attributes::CONFIDENTIAL,
                    String::new(),
                ));
            }
            sal.location = Some(Box::new(l));
        }
    }
    s
}

/// The list form of a service (no nested lists beyond its own fields).
#[must_use]
pub fn export_service_brief(v: &ServiceView) -> Service {
    let mut s = export_service(v);
    s.service_at_locations.clear();
    s
}

/// The whole directory as HSDS 3.0 JSON values: every organization (without
/// nested lists), then every service as a full record, as partners see them.
///
/// # Errors
/// Storage.
pub async fn export_all(state: &AppState) -> Result<Vec<serde_json::Value>, AppError> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let (orgs, total) = state.store.directory_organization_page(offset, 500).await?;
        for o in &orgs {
            out.push(
                serde_json::from_str(&o.record).map_err(|e| AppError::Internal(e.to_string()))?,
            );
        }
        offset += 500;
        if u64::from(offset) >= total || orgs.is_empty() {
            break;
        }
    }
    let mut offset = 0;
    loop {
        let (rows, total) = state
            .store
            .directory_service_page(None, offset, 500)
            .await?;
        for r in &rows {
            let v = service_view(state, None, r.id).await?;
            out.push(
                serde_json::to_value(export_service(&v))
                    .map_err(|e| AppError::Internal(e.to_string()))?,
            );
        }
        offset += 500;
        if u64::from(offset) >= total || rows.is_empty() {
            break;
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------- changes

/// Links a directory organization to the Haven organization that answers
/// its referrals (or unlinks it).
///
/// # Errors
/// Not an administrator; unknown organization.
pub async fn link_organization(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    haven: Option<OrganizationId>,
    rid: Option<String>,
) -> Result<(), AppError> {
    if !may_manage(actor) {
        // Answered like "not found", as every refusal is.
        return Err(AppError::NotFound);
    }
    if let Some(h) = haven
        && state.store.organization(h).await?.is_none()
    {
        return Err(AppError::Invalid {
            code: "unknown_organization",
            field: Some("haven_organization"),
            message: "No such Haven organization.".into(),
        });
    }
    let entry = audit(
        actor,
        AuditAction::DirectoryLinked,
        "directory_organization",
        id,
        rid,
    );
    if state
        .store
        .link_directory_organization(id, haven, &entry)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Who may update a service's capacity: provider staff and supervisors of
/// the organization that runs it, and administrators.
#[must_use]
pub fn may_update_capacity(actor: &Actor, v: &ServiceView) -> bool {
    let own = v.receiving_org() == Some(actor.organization)
        && actor
            .roles
            .iter()
            .any(|r| matches!(r, Role::ProviderStaff | Role::Supervisor));
    (own || may_manage(actor))
        && actor
            .scopes
            .as_ref()
            .is_none_or(|s| s.contains(&Scope::ReferralsWrite) || s.contains(&Scope::AdminWrite))
}

/// Sets how many places are available now (beds, slots).
///
/// # Errors
/// Not allowed; a number out of range.
pub async fn update_capacity(
    state: &AppState,
    actor: &Actor,
    id: ServiceId,
    available: Option<u32>,
    maximum: Option<u32>,
    unit: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    let v = service_view(state, Some(actor), id).await?;
    if !may_update_capacity(actor, &v) {
        return Err(AppError::NotFound);
    }
    if let (Some(a), Some(m)) = (available, maximum)
        && a > m
    {
        return Err(AppError::Invalid {
            code: "above_maximum",
            field: Some("available"),
            message: "Available places cannot be more than the maximum.".into(),
        });
    }
    let mut haven = v.haven.clone();
    haven.capacity = available.map(|available| Capacity {
        available,
        maximum,
        unit: unit.trim().chars().take(40).collect(),
    });
    let mut service = v.service.clone();
    service.attributes.retain(|a| !attributes::is_haven(a));
    service.attributes.extend(haven.write(&service.id));
    let locations: Vec<Location> = v.places.iter().map(|p| p.location.clone()).collect();
    let refs: Vec<&Location> = locations.iter().collect();
    let mut row = service_row(
        state,
        &service,
        v.organization_record.as_ref(),
        &refs,
        haven_domain::now(),
    )?;
    row.places = v.row.places.clone();
    let entry = audit(
        actor,
        AuditAction::DirectoryServiceUpdated,
        "service",
        id,
        rid,
    );
    if state.store.update_directory_service(&row, &entry).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

// ---------------------------------------------------------------- hotlines

/// A hotline entry to save.
#[derive(Clone, Debug, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct HotlineInput {
    pub position: i32,
    pub name_en: String,
    pub name_es: String,
    pub phone: String,
    pub text_number: String,
    pub description_en: String,
    pub description_es: String,
}

/// Saves (adds or changes) a hotline entry.
///
/// # Errors
/// Not an administrator; a missing name or number.
pub async fn save_hotline(
    state: &AppState,
    actor: &Actor,
    id: Option<HotlineId>,
    input: &HotlineInput,
    rid: Option<String>,
) -> Result<HotlineId, AppError> {
    if !may_manage(actor) {
        // Answered like "not found", as every refusal is.
        return Err(AppError::NotFound);
    }
    let mut p = crate::web::problems::Problems::default();
    let name_en = p.required("name_en", &input.name_en, 120);
    let name_es = p.required("name_es", &input.name_es, 120);
    let phone = p.required("phone", &input.phone, 40);
    if !phone.is_empty()
        && !phone
            .chars()
            .all(|c| c.is_ascii_digit() || "+-() .".contains(c))
    {
        p.add(
            "phone",
            "bad_phone",
            "A phone number has digits, spaces and + - ( ) only.",
        );
    }
    let text_number = p.text("text_number", &input.text_number, 40);
    let description_en = p.text("description_en", &input.description_en, 400);
    let description_es = p.text("description_es", &input.description_es, 400);
    p.finish()?;
    let id = id.unwrap_or_default();
    let row = HotlineRow {
        id,
        position: input.position.clamp(0, 1000),
        name_en,
        name_es,
        phone,
        text_number,
        description_en,
        description_es,
        updated_at: haven_domain::now(),
    };
    state
        .store
        .save_hotline(
            &row,
            &audit(actor, AuditAction::HotlineSaved, "hotline", id, rid),
        )
        .await?;
    state.lists.hotlines.forget();
    Ok(id)
}

/// Removes a hotline entry.
///
/// # Errors
/// Not an administrator; not found.
pub async fn delete_hotline(
    state: &AppState,
    actor: &Actor,
    id: HotlineId,
    rid: Option<String>,
) -> Result<(), AppError> {
    if !may_manage(actor) {
        // Answered like "not found", as every refusal is.
        return Err(AppError::NotFound);
    }
    if state
        .store
        .delete_hotline(
            id,
            &audit(actor, AuditAction::HotlineDeleted, "hotline", id, rid),
        )
        .await?
    {
        state.lists.hotlines.forget();
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
