//! The service directory, referrals and hotlines in the JSON API, and the
//! read-only Open Referral HSDS 3.0 API for partners (`/hsds/...`, as in the
//! HSDS 3.0 OpenAPI document: `search`, `taxonomy_term_id`,
//! `organization_id`, `page`, `per_page`, `postcode`, `proximity` in meters,
//! `full`). Both use the directory and referral services the pages use.

use crate::AppState;
use crate::features::directory::pages::{SearchParams, search_from};
use crate::features::directory::{self, HotlineInput, ImportReport, Search, SearchResult};
use crate::web::api::Created;
use crate::web::api::{ApiCaller, ApiQuery, JsonObject};
use crate::web::api::{answer, done};
use crate::web::error::{AppError, ErrorBody};
use crate::web::pages::Id;
use crate::web::session::ReqId;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use haven_domain::directory::attributes::{term, term_id};
use haven_domain::directory::geo;
use haven_domain::directory::hsds::{Organization, Service, ServiceAtLocation};
use haven_domain::directory::{FundingSource, Population};
use haven_domain::record::NeedCategory;
use haven_domain::{HotlineId, ServiceId};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

fn read_directory(caller: &ApiCaller) -> Result<(), AppError> {
    if directory::may_read(&caller.actor) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "This token may not read the directory: it needs the directory:read scope.".into(),
        ))
    }
}

/// A query error, in the words the search page uses (English).
fn bad_query(field: &'static str, key: &str) -> AppError {
    AppError::Invalid {
        code: "invalid_query",
        field: Some(field),
        message: crate::web::i18n::Lang::En.t(key),
    }
}

fn json_value<T: Serialize>(v: &T) -> Result<serde_json::Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Internal(e.to_string()))
}

// ---------------------------------------------------------------- search

/// A directory search (every parameter optional).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words; each matches as a prefix, accents and case ignored.
    #[serde(default)]
    pub q: String,
    /// A five-digit ZIP code, or "latitude, longitude".
    #[serde(default)]
    pub near: String,
    /// Miles (1-500, default 25).
    #[serde(default)]
    pub radius: String,
    /// A need category code (as in the needs assessment).
    #[serde(default)]
    pub need: String,
    /// An ISO 639 code or language name.
    #[serde(default)]
    pub language: String,
    /// minors, adults, women, men, foreign_nationals or lgbtq.
    #[serde(default)]
    pub population: String,
    /// The person's age in years.
    #[serde(default)]
    pub age: String,
    /// doj_ovc or hhs.
    #[serde(default)]
    pub funding: String,
    /// Any value: only services open now.
    #[serde(default)]
    pub open_now: String,
    /// Any value: only services with places available now.
    #[serde(default)]
    pub capacity: String,
    /// 1-based page of 20.
    #[serde(default)]
    pub page: String,
}

/// Searches the directory: ranked by relevance and distance, with the
/// distance in miles.
#[utoipa::path(get, path = "/api/v1/directory/search", tag = "directory", params(SearchQuery),
    responses((status = 200, body = SearchResult), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> Response {
    let r = async {
        read_directory(&caller)?;
        let p = SearchParams {
            q: q.q,
            near: q.near,
            radius: q.radius,
            need: q.need,
            language: q.language,
            population: q.population,
            age: q.age,
            funding: q.funding,
            open_now: q.open_now,
            capacity: q.capacity,
            page: q.page,
            case: String::new(),
            plan_item: String::new(),
        };
        let s = search_from(&p).map_err(|k| bad_query("query", k))?;
        directory::search(&state, &s, haven_domain::now()).await
    }
    .await;
    answer(StatusCode::OK, r)
}

/// A directory service as an HSDS 3.0 full record (a confidential
/// location's address only for its own organization).
#[utoipa::path(get, path = "/api/v1/directory/services/{id}", tag = "directory",
    params(("id" = uuid::Uuid, Path, description = "The service's id")),
    responses((status = 200, body = Object, description = "HSDS 3.0 service"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_service(
    State(state): State<AppState>,
    caller: ApiCaller,
    Id(id): Id<ServiceId>,
) -> Response {
    let r = async {
        read_directory(&caller)?;
        let v = directory::service_view(&state, Some(&caller.actor), id).await?;
        let mut s = directory::export_service(&v);
        // The own organization sees its confidential addresses here too.
        for sal in &mut s.service_at_locations {
            if let Some(p) = v
                .places
                .iter()
                .find(|p| p.revealed && p.sal_id.to_string() == sal.id)
            {
                sal.location = Some(Box::new(p.location.clone()));
            }
        }
        json_value(&s)
    }
    .await;
    answer(StatusCode::OK, r)
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ImportQuery {
    /// true: check and report only.
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// Imports HSDS 3.0 JSON (one record, an array, or a list page), or an
/// HSDS datapackage as a zip (`application/zip`), into the
/// directory (administrators). Records update by id; the report lists
/// every rejected record and why; nothing of a rejected record is written.
#[utoipa::path(post, path = "/api/v1/directory/import", tag = "directory", params(ImportQuery),
    request_body(content = Object, description = "HSDS 3.0 JSON"),
    responses((status = 200, body = ImportReport), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "Not an administrator"), (status = 422, body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    ApiQuery(q): ApiQuery<ImportQuery>,
    body: Bytes,
) -> Response {
    let r = async {
        // Refused before anything is read or unpacked, like every refusal.
        if !directory::may_manage(&caller.actor) {
            return Err(AppError::NotFound);
        }
        let batch = if body.starts_with(b"PK\x03\x04") {
            // A published datapackage, read as the command line reads it.
            let files = directory::package::unpack(vec![("upload.zip".into(), body.to_vec())])?;
            directory::batch_from_files(files)?
        } else {
            let text = std::str::from_utf8(&body).map_err(|_| AppError::Invalid {
                code: "not_json",
                field: None,
                message: "The body must be HSDS JSON in UTF-8, or a zip.".into(),
            })?;
            haven_domain::directory::import::from_json(text).map_err(|e| AppError::Invalid {
                code: "not_json",
                field: None,
                message: e.to_string().chars().take(300).collect(),
            })?
        };
        directory::import(
            &state,
            Some(&caller.actor),
            batch,
            q.dry_run.unwrap_or(false),
            rid,
        )
        .await
    }
    .await;
    answer(StatusCode::OK, r)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct Link {
    /// The Haven organization whose staff answer this organization's
    /// referrals, or null to unlink.
    pub haven_organization_id: Option<Uuid>,
}

/// Links a directory organization to the Haven organization that answers
/// its referrals (administrators).
#[utoipa::path(put, path = "/api/v1/directory/organizations/{id}/link", tag = "directory",
    params(("id" = uuid::Uuid, Path, description = "The directory organization's id")), request_body = Link,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn link(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<Uuid>,
    JsonObject(body): JsonObject<Link>,
) -> Response {
    let r = async {
        directory::link_organization(
            &state,
            &caller.actor,
            id,
            body.haven_organization_id
                .map(haven_domain::OrganizationId::from_uuid),
            rid,
        )
        .await
    }
    .await;
    done(r)
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct CapacityBody {
    /// Places available now; null clears the capacity.
    pub available: Option<u32>,
    pub maximum: Option<u32>,
    /// What is counted, e.g. "beds".
    #[serde(default)]
    pub unit: String,
}

/// Sets a service's places available (its provider's staff, or administrators).
#[utoipa::path(put, path = "/api/v1/directory/services/{id}/capacity", tag = "directory",
    params(("id" = uuid::Uuid, Path, description = "The service's id")), request_body = CapacityBody,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn capacity(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<ServiceId>,
    JsonObject(body): JsonObject<CapacityBody>,
) -> Response {
    let r = async {
        directory::update_capacity(
            &state,
            &caller.actor,
            id,
            body.available,
            body.maximum,
            &body.unit,
            rid,
        )
        .await
    }
    .await;
    done(r)
}

// ---------------------------------------------------------------- hotlines

#[derive(Serialize, ToSchema)]
pub struct HotlineBody {
    pub id: Uuid,
    pub position: i32,
    pub name_en: String,
    pub name_es: String,
    pub phone: String,
    pub text_number: String,
    pub description_en: String,
    pub description_es: String,
}

/// The hotline and resource directory.
#[utoipa::path(get, path = "/api/v1/hotlines", tag = "directory",
    responses((status = 200, body = Vec<HotlineBody>), (status = 401, body = ErrorBody)))]
pub async fn hotlines(State(state): State<AppState>, _caller: ApiCaller) -> Response {
    let r = state
        .store
        .hotlines()
        .await
        .map_err(AppError::from)
        .map(|v| {
            v.into_iter()
                .map(|h| HotlineBody {
                    id: *h.id.as_uuid(),
                    position: h.position,
                    name_en: h.name_en,
                    name_es: h.name_es,
                    phone: h.phone,
                    text_number: h.text_number,
                    description_en: h.description_en,
                    description_es: h.description_es,
                })
                .collect::<Vec<_>>()
        });
    answer(StatusCode::OK, r)
}

/// Adds a hotline entry (administrators).
#[utoipa::path(post, path = "/api/v1/hotlines", tag = "directory", request_body = HotlineInput,
    responses((status = 201, body = Created, description = "The new entry's id"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody, description = "Not an administrator"), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_hotline(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    JsonObject(body): JsonObject<HotlineInput>,
) -> Response {
    let r = directory::save_hotline(&state, &caller.actor, None, &body, rid)
        .await
        .map(|id| Created { id: *id.as_uuid() });
    answer(StatusCode::CREATED, r)
}

/// Changes a hotline entry (administrators).
#[utoipa::path(put, path = "/api/v1/hotlines/{id}", tag = "directory",
    params(("id" = uuid::Uuid, Path, description = "The entry's id")), request_body = HotlineInput,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_hotline(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<HotlineId>,
    JsonObject(body): JsonObject<HotlineInput>,
) -> Response {
    let r = async {
        if !state.store.hotlines().await?.iter().any(|h| h.id == id) {
            return Err(AppError::NotFound);
        }
        directory::save_hotline(&state, &caller.actor, Some(id), &body, rid)
            .await
            .map(|_| ())
    }
    .await;
    done(r)
}

/// Removes a hotline entry (administrators).
#[utoipa::path(delete, path = "/api/v1/hotlines/{id}", tag = "directory",
    params(("id" = uuid::Uuid, Path, description = "The entry's id")),
    responses((status = 204), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_hotline(
    State(state): State<AppState>,
    caller: ApiCaller,
    ReqId(rid): ReqId,
    Id(id): Id<HotlineId>,
) -> Response {
    let r = async { directory::delete_hotline(&state, &caller.actor, id, rid).await }.await;
    done(r)
}

// ---------------------------------------------------------------- HSDS API

/// An HSDS 3.0 paginated list.
#[derive(Serialize, ToSchema)]
pub struct Page {
    pub total_items: u64,
    pub total_pages: u64,
    pub page_number: u64,
    pub size: u64,
    pub first_page: bool,
    pub last_page: bool,
    pub empty: bool,
    #[schema(value_type = Vec<Object>)]
    pub contents: Vec<serde_json::Value>,
}

fn page(total: u64, page_number: u64, per_page: u64, contents: Vec<serde_json::Value>) -> Page {
    let total_pages = total.div_ceil(per_page.max(1)).max(1);
    Page {
        total_items: total,
        total_pages,
        page_number,
        size: contents.len() as u64,
        first_page: page_number <= 1,
        last_page: page_number >= total_pages,
        empty: contents.is_empty(),
        contents,
    }
}

/// The HSDS API's query parameters.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HsdsQuery {
    /// Full text search.
    #[serde(default)]
    pub search: Option<String>,
    /// One of Haven's taxonomy terms (GET /hsds/taxonomy_terms): a need
    /// category, a population or a funding source.
    #[serde(default)]
    pub taxonomy_term_id: Option<String>,
    #[serde(default)]
    pub organization_id: Option<String>,
    /// 1-based.
    #[serde(default)]
    pub page: Option<u32>,
    /// 1-100, default 50.
    #[serde(default)]
    pub per_page: Option<u32>,
    /// A U.S. ZIP code: with `proximity`, results within that many meters
    /// of its centroid (16,093 m, ten miles, when `proximity` is absent).
    #[serde(default)]
    pub postcode: Option<String>,
    /// Meters from the postcode's centroid.
    #[serde(default)]
    pub proximity: Option<String>,
    /// true: fully nested records.
    #[serde(default)]
    pub full: Option<bool>,
}

impl HsdsQuery {
    fn paging(&self) -> (u64, u64) {
        (
            u64::from(self.page.unwrap_or(1).clamp(1, 100_000)),
            u64::from(self.per_page.unwrap_or(50).clamp(1, 100)),
        )
    }

    fn filters_given(&self) -> bool {
        self.search.as_deref().is_some_and(|s| !s.trim().is_empty())
            || self.taxonomy_term_id.is_some()
            || self.postcode.is_some()
    }

    /// The directory search this query asks for.
    fn to_search(&self) -> Result<Search, AppError> {
        let (page, per_page) = self.paging();
        let mut s = Search {
            q: self.search.clone().unwrap_or_default(),
            radius_miles: directory::DEFAULT_RADIUS_MILES,
            page: usize::try_from(page - 1).unwrap_or(0),
            per_page: usize::try_from(per_page).unwrap_or(50),
            ..Search::default()
        };
        if let Some(t) = &self.taxonomy_term_id {
            let t = t.trim();
            let known = |code: String| term_id(&code).to_string() == t;
            if let Some(n) = NeedCategory::ALL
                .iter()
                .find(|n| known(format!("haven:need:{n}")))
            {
                s.need = Some(*n);
            } else if let Some(p) = Population::ALL
                .iter()
                .find(|p| known(format!("haven:population:{p}")))
            {
                s.population = Some(*p);
            } else if let Some(f) = FundingSource::ALL
                .iter()
                .find(|f| known(format!("haven:funding:{f}")))
            {
                s.funding = Some(*f);
            } else {
                return Err(AppError::Invalid {
                    code: "unknown_taxonomy_term",
                    field: Some("taxonomy_term_id"),
                    message: "Not one of Haven's taxonomy terms (see /hsds/taxonomy_terms).".into(),
                });
            }
        }
        if let Some(o) = &self.organization_id {
            s.organization = Some(Uuid::parse_str(o.trim()).map_err(|_| AppError::Invalid {
                code: "bad_id",
                field: Some("organization_id"),
                message: "organization_id: not a UUID.".into(),
            })?);
        }
        if let Some(pc) = &self.postcode {
            s.near =
                Some(geo::zip_centroid(pc).ok_or_else(|| bad_query("postcode", "dir-error-zip"))?);
            s.radius_miles = match &self.proximity {
                Some(m) => {
                    let m: f64 = m
                        .trim()
                        .parse()
                        .ok()
                        .filter(|m: &f64| *m > 0.0 && *m <= 804_672.0)
                        .ok_or_else(|| AppError::Invalid {
                            code: "invalid_query",
                            field: Some("proximity"),
                            message:
                                "proximity: meters, more than 0 and at most 804672 (500 miles)."
                                    .into(),
                        })?;
                    m / 1609.344
                }
                None => 10.0,
            };
        }
        Ok(s)
    }
}

/// The HSDS API: which version and where its description is.
#[utoipa::path(get, path = "/hsds/", tag = "hsds",
    responses((status = 200, body = Object, description = "version, profile, openapi_url"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn hsds_root(caller: ApiCaller) -> Response {
    match read_directory(&caller) {
        Ok(()) => Json(serde_json::json!({
            "version": "3.0",
            "profile": "https://docs.openreferral.org/en/latest/hsds/",
            "openapi_url": "/api/openapi.json"
        }))
        .into_response(),
        Err(e) => e.into_response(),
    }
}

/// HSDS services: a page of services in list form (`full=true`: full records).
#[utoipa::path(get, path = "/hsds/services", tag = "hsds", params(HsdsQuery),
    responses((status = 200, body = Page), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hsds_services(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<HsdsQuery>,
) -> Response {
    let r = async {
        read_directory(&caller)?;
        let (page_number, per_page) = q.paging();
        let full = q.full.unwrap_or(false);
        let (ids, total): (Vec<ServiceId>, u64) =
            if q.filters_given() || q.organization_id.is_some() {
                let s = q.to_search()?;
                let r = directory::search(&state, &s, haven_domain::now()).await?;
                (r.hits.iter().map(|h| h.id).collect(), r.total as u64)
            } else {
                let offset = u32::try_from((page_number - 1) * per_page).unwrap_or(u32::MAX);
                let (rows, total) = state
                    .store
                    .directory_service_page(None, offset, u32::try_from(per_page).unwrap_or(50))
                    .await?;
                (rows.iter().map(|r| r.id).collect(), total)
            };
        let mut contents = Vec::with_capacity(ids.len());
        for id in ids {
            let v = directory::service_view(&state, None, id).await?;
            contents.push(json_value(&if full {
                directory::export_service(&v)
            } else {
                directory::export_service_brief(&v)
            })?);
        }
        Ok(page(total, page_number, per_page, contents))
    }
    .await;
    answer(StatusCode::OK, r)
}

/// One HSDS service, fully nested.
#[utoipa::path(get, path = "/hsds/services/{id}", tag = "hsds",
    params(("id" = uuid::Uuid, Path, description = "The service's id")),
    responses((status = 200, body = Object, description = "HSDS 3.0 service"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hsds_service(
    State(state): State<AppState>,
    caller: ApiCaller,
    Id(id): Id<ServiceId>,
) -> Response {
    let r = async {
        read_directory(&caller)?;
        let v = directory::service_view(&state, None, id).await?;
        json_value(&directory::export_service(&v))
    }
    .await;
    answer(StatusCode::OK, r)
}

/// HSDS organizations, a page at a time.
#[utoipa::path(get, path = "/hsds/organizations", tag = "hsds", params(HsdsQuery),
    responses((status = 200, body = Page), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hsds_organizations(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<HsdsQuery>,
) -> Response {
    let r = async {
        read_directory(&caller)?;
        let (page_number, per_page) = q.paging();
        let offset = u32::try_from((page_number - 1) * per_page).unwrap_or(u32::MAX);
        let (rows, total) = state
            .store
            .directory_organization_page(offset, u32::try_from(per_page).unwrap_or(50))
            .await?;
        let contents = rows
            .iter()
            .map(|o| serde_json::from_str(&o.record).map_err(|e| AppError::Internal(e.to_string())))
            .collect::<Result<Vec<serde_json::Value>, _>>()?;
        Ok(page(total, page_number, per_page, contents))
    }
    .await;
    answer(StatusCode::OK, r)
}

/// One HSDS organization with its services (list form).
#[utoipa::path(get, path = "/hsds/organizations/{id}", tag = "hsds",
    params(("id" = uuid::Uuid, Path, description = "The organization's id")),
    responses((status = 200, body = Object, description = "HSDS 3.0 organization"), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn hsds_organization(
    State(state): State<AppState>,
    caller: ApiCaller,
    Id(id): Id<Uuid>,
) -> Response {
    let r = async {
        read_directory(&caller)?;
        let row = state
            .store
            .directory_organization(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let org: Organization =
            serde_json::from_str(&row.record).map_err(|e| AppError::Internal(e.to_string()))?;
        let mut value = json_value(&org)?;
        let (services, _) = state.store.directory_service_page(Some(id), 0, 500).await?;
        let mut list = Vec::new();
        for s in services {
            let v = directory::service_view(&state, None, s.id).await?;
            let mut brief: Service = directory::export_service_brief(&v);
            brief.organization = None;
            list.push(json_value(&brief)?);
        }
        if let Some(o) = value.as_object_mut() {
            o.insert("services".into(), serde_json::Value::Array(list));
        }
        Ok(value)
    }
    .await;
    answer(StatusCode::OK, r)
}

/// HSDS service-at-location records (each with its location, public form,
/// and its service), filterable by place: `postcode` and `proximity`.
#[utoipa::path(get, path = "/hsds/service_at_locations", tag = "hsds", params(HsdsQuery),
    responses((status = 200, body = Page), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn hsds_service_at_locations(
    State(state): State<AppState>,
    caller: ApiCaller,
    ApiQuery(q): ApiQuery<HsdsQuery>,
) -> Response {
    let r = async {
        read_directory(&caller)?;
        let (page_number, per_page) = q.paging();
        let s = q.to_search()?;
        let r = directory::search(&state, &s, haven_domain::now()).await?;
        let mut contents = Vec::new();
        for h in &r.hits {
            let v = directory::service_view(&state, None, h.id).await?;
            let full = directory::export_service(&v);
            let brief = directory::export_service_brief(&v);
            for sal in &full.service_at_locations {
                // With a postcode, only the places within the proximity.
                if let Some(center) = s.near {
                    let inside = v
                        .places
                        .iter()
                        .find(|p| p.sal_id.to_string() == sal.id)
                        .and_then(|p| p.point)
                        .is_some_and(|p| geo::miles(center, p) <= s.radius_miles);
                    if !inside {
                        continue;
                    }
                }
                let item = ServiceAtLocation {
                    service_id: Some(full.id.clone()),
                    ..sal.clone()
                };
                let mut value = json_value(&item)?;
                if let Some(o) = value.as_object_mut() {
                    o.insert("service".into(), json_value(&brief)?);
                }
                contents.push(value);
            }
        }
        Ok(page(r.total as u64, page_number, per_page, contents))
    }
    .await;
    answer(StatusCode::OK, r)
}

/// Haven's taxonomy terms: need categories, populations and funding sources
/// (what `taxonomy_term_id` filters on).
#[utoipa::path(get, path = "/hsds/taxonomy_terms", tag = "hsds",
    responses((status = 200, body = Page), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn hsds_taxonomy_terms(caller: ApiCaller) -> Response {
    let r = (|| {
        read_directory(&caller)?;
        let codes: Vec<String> = NeedCategory::ALL
            .iter()
            .map(|n| format!("haven:need:{n}"))
            .chain(
                Population::ALL
                    .iter()
                    .map(|p| format!("haven:population:{p}")),
            )
            .chain(
                FundingSource::ALL
                    .iter()
                    .map(|f| format!("haven:funding:{f}")),
            )
            .collect();
        let contents = codes
            .iter()
            .map(|c| json_value(&term(c)))
            .collect::<Result<Vec<_>, _>>()?;
        let n = contents.len() as u64;
        Ok(page(n, 1, n, contents))
    })();
    answer(StatusCode::OK, r)
}

/// The directory, hotline and HSDS routes.
/// This feature's API: each route with its OpenAPI description.
pub fn routes(upload_limit: usize) -> OpenApiRouter<AppState> {
    use axum::extract::DefaultBodyLimit;
    OpenApiRouter::new()
        .routes(routes!(search))
        .routes(routes!(get_service))
        .routes(routes!(capacity))
        .routes(crate::web::api::layered(
            routes!(import),
            DefaultBodyLimit::max(upload_limit),
        ))
        .routes(routes!(link))
        .routes(routes!(hotlines, add_hotline))
        .routes(routes!(put_hotline, delete_hotline))
        .route("/hsds", axum::routing::get(hsds_root))
        .routes(routes!(hsds_root))
        .routes(routes!(hsds_services))
        .routes(routes!(hsds_service))
        .routes(routes!(hsds_organizations))
        .routes(routes!(hsds_organization))
        .routes(routes!(hsds_service_at_locations))
        .routes(routes!(hsds_taxonomy_terms))
}
