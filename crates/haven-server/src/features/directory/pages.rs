//! Pages for the service directory: the search with its filters, a
//! service's page (with the capacity form for its own staff), and the
//! administrator's import and organization links.

use crate::AppState;
use crate::features::directory::{self, Search, SearchResult, ServiceView};
use crate::web::error::AppError;
use crate::web::form::{Opt, language_opts, languages_text, need_label, opts};
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::{Id, PageError, check_csrf};
use crate::web::pages::{PageFrame, error_page, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::ServiceId;
use haven_domain::directory::geo::{self, Point};
use haven_domain::directory::import::lenient::repair;
use haven_domain::directory::{FundingSource, Population};
use haven_domain::policy::Actor;
use haven_domain::record::NeedCategory;
use serde::Deserialize;
use uuid::Uuid;

// ---------------------------------------------------------------- search

#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub near: String,
    #[serde(default)]
    pub radius: String,
    #[serde(default)]
    pub need: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub population: String,
    #[serde(default)]
    pub age: String,
    #[serde(default)]
    pub funding: String,
    #[serde(default)]
    pub open_now: String,
    #[serde(default)]
    pub capacity: String,
    #[serde(default)]
    pub page: String,
    /// Searching for a case's plan item: results offer "Refer".
    #[serde(default)]
    pub case: String,
    #[serde(default)]
    pub plan_item: String,
}

/// A place from "10001", "10001-1234" or "40.75, -73.99".
pub fn parse_place(s: &str) -> Result<Option<Point>, &'static str> {
    let s = s.trim();
    if s.is_empty() {
        return Ok(None);
    }
    if let Some((a, b)) = s.split_once(',') {
        let (Ok(lat), Ok(lon)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
            return Err("dir-error-place");
        };
        return Point::new(lat, lon).map(Some).ok_or("dir-error-place");
    }
    geo::zip_centroid(s).map(Some).ok_or("dir-error-zip")
}

pub const RADII: [u32; 6] = [5, 10, 25, 50, 100, 250];

/// The search a query string asks for, or the message key of what is wrong.
pub fn search_from(p: &SearchParams) -> Result<Search, &'static str> {
    let near = parse_place(&p.near)?;
    let radius = match p.radius.trim() {
        "" => directory::DEFAULT_RADIUS_MILES,
        r => match r.parse::<u32>() {
            Ok(r) if (1..=500).contains(&r) => f64::from(r),
            _ => return Err("dir-error-radius"),
        },
    };
    let pick = |s: &str| (!s.trim().is_empty()).then(|| s.trim().to_owned());
    let need = match pick(&p.need) {
        Some(n) => Some(NeedCategory::parse(&n).ok_or("dir-error-filter")?),
        None => None,
    };
    let population = match pick(&p.population) {
        Some(n) => Some(Population::parse(&n).ok_or("dir-error-filter")?),
        None => None,
    };
    let funding = match pick(&p.funding) {
        Some(n) => Some(FundingSource::parse(&n).ok_or("dir-error-filter")?),
        None => None,
    };
    let language = match pick(&p.language) {
        Some(l) => Some(haven_domain::directory::language_code(&l).ok_or("dir-error-filter")?),
        None => None,
    };
    let age = match pick(&p.age) {
        Some(a) => Some(
            a.parse::<u8>()
                .ok()
                .filter(|a| *a <= 120)
                .ok_or("dir-error-age")?,
        ),
        None => None,
    };
    Ok(Search {
        q: p.q.chars().take(200).collect(),
        need,
        population,
        funding,
        language,
        age,
        open_now: !p.open_now.is_empty(),
        capacity_only: !p.capacity.is_empty(),
        near,
        radius_miles: radius,
        organization: None,
        page: p.page.parse::<usize>().unwrap_or(1).clamp(1, 1000) - 1,
        per_page: directory::PAGE_SIZE,
    })
}

pub struct HitRow {
    pub id: ServiceId,
    pub name: String,
    pub organization: String,
    pub distance: String,
    pub open_now: Option<bool>,
    pub languages: String,
    pub needs: String,
    pub capacity: String,
    pub referable: bool,
}

#[derive(Template)]
#[template(path = "directory/directory.html")]
struct DirectoryPage {
    page: PageFrame,
    p: SearchParams,
    error: Option<String>,
    searched: bool,
    hits: Vec<HitRow>,
    summary: String,
    needs: Vec<Opt>,
    languages: Vec<Opt>,
    populations: Vec<Opt>,
    fundings: Vec<Opt>,
    radii: Vec<Opt>,
    prev: Option<String>,
    next: Option<String>,
    /// Query string carrying the case context to service pages.
    context: String,
    manage: bool,
}

fn context_of(p: &SearchParams) -> String {
    if p.case.is_empty() {
        String::new()
    } else {
        format!(
            "?case={}&plan_item={}",
            urlencode(&p.case),
            urlencode(&p.plan_item)
        )
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn page_link(p: &SearchParams, page: usize) -> String {
    let mut s = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in [
        ("q", &p.q),
        ("near", &p.near),
        ("radius", &p.radius),
        ("need", &p.need),
        ("language", &p.language),
        ("population", &p.population),
        ("age", &p.age),
        ("funding", &p.funding),
        ("open_now", &p.open_now),
        ("capacity", &p.capacity),
        ("case", &p.case),
        ("plan_item", &p.plan_item),
    ] {
        if !v.is_empty() {
            s.append_pair(k, v);
        }
    }
    s.append_pair("page", &page.to_string());
    format!("/directory?{}", s.finish())
}

fn hit_rows(lang: Lang, r: &SearchResult) -> Vec<HitRow> {
    r.hits
        .iter()
        .map(|h| HitRow {
            id: h.id,
            name: h.name.clone(),
            organization: h.organization.clone().unwrap_or_default(),
            distance: h
                .distance_miles
                .map(|d| {
                    if h.distance_approximate {
                        lang.t1("dir-miles-about", "count", &format!("{d:.0}"))
                    } else {
                        lang.t1("dir-miles", "count", &format!("{d:.1}"))
                    }
                })
                .unwrap_or_default(),
            open_now: h.open_now,
            languages: languages_text(&h.languages),
            needs: h
                .needs
                .iter()
                .map(|n| need_label(lang, n))
                .collect::<Vec<_>>()
                .join(", "),
            capacity: h
                .capacity_available
                .map(|c| lang.t1("dir-capacity-available", "count", &c.to_string()))
                .unwrap_or_default(),
            referable: h.referable,
        })
        .collect()
}

pub async fn search_page(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    Query(p): Query<SearchParams>,
) -> Result<Response, PageError> {
    let searched = [
        &p.q,
        &p.near,
        &p.need,
        &p.language,
        &p.population,
        &p.age,
        &p.funding,
        &p.open_now,
        &p.capacity,
    ]
    .iter()
    .any(|v| !v.is_empty());
    let (mut error, mut hits, mut summary, mut prev, mut next) =
        (None, Vec::new(), String::new(), None, None);
    if searched {
        match search_from(&p) {
            Err(key) => error = Some(lang.t(key)),
            Ok(s) => match directory::search(&state, &s, haven_domain::now()).await {
                Ok(r) => {
                    hits = hit_rows(lang, &r);
                    summary = if r.truncated {
                        lang.t1("dir-results-many", "count", &r.total.to_string())
                    } else {
                        lang.t1("dir-results", "count", &r.total.to_string())
                    };
                    if r.page > 0 {
                        prev = Some(page_link(&p, r.page));
                    }
                    if (r.page + 1) * r.per_page < r.total {
                        next = Some(page_link(&p, r.page + 2));
                    }
                }
                Err(e) => return Err(PageError::from(e)),
            },
        }
    }
    let radius = if p.radius.is_empty() {
        "25".to_owned()
    } else {
        p.radius.clone()
    };
    let page = DirectoryPage {
        page: PageFrame::new(&state, lang, "/directory", Some(&me)),
        error,
        searched,
        hits,
        summary,
        needs: opts(
            NeedCategory::ALL,
            NeedCategory::as_str,
            |c| need_label(lang, c),
            &p.need,
        ),
        languages: language_opts(&p.language),
        populations: opts(
            Population::ALL,
            Population::as_str,
            |c| lang.t(&format!("dir-pop-{c}")),
            &p.population,
        ),
        fundings: opts(
            FundingSource::ALL,
            FundingSource::as_str,
            |c| lang.t(&format!("dir-funding-{c}")),
            &p.funding,
        ),
        radii: RADII
            .iter()
            .map(|r| Opt {
                value: r.to_string(),
                label: lang.t1("dir-miles", "count", &r.to_string()),
                selected: r.to_string() == radius,
            })
            .collect(),
        prev,
        next,
        context: context_of(&p),
        manage: directory::may_manage(&Actor::of(&me.user)),
        p,
    };
    Ok(render(&page, StatusCode::OK))
}

// ---------------------------------------------------------------- service

#[derive(Debug, Default, Deserialize)]
pub struct ContextParams {
    #[serde(default)]
    pub case: String,
    #[serde(default)]
    pub plan_item: String,
    #[serde(default)]
    pub done: String,
}

pub struct PlaceRow {
    pub name: String,
    pub address: String,
    pub confidential: bool,
    pub revealed: bool,
    pub phones: String,
}

#[derive(Template)]
#[template(path = "directory/service.html")]
struct ServicePage {
    page: PageFrame,
    v: ServiceView,
    name: String,
    org_name: String,
    description: String,
    eligibility: String,
    ages: String,
    languages: String,
    needs: String,
    populations: String,
    funding: String,
    fees: String,
    hours: Vec<String>,
    hours_text: Vec<String>,
    phones: Vec<String>,
    areas: Vec<String>,
    places: Vec<PlaceRow>,
    capacity: String,
    capacity_form: bool,
    capacity_available: String,
    capacity_maximum: String,
    capacity_unit: String,
    refer_href: Option<String>,
    referable: bool,
    notice: Option<String>,
    csrf: String,
}

const DAY_KEYS: [&str; 7] = [
    "day-mo", "day-tu", "day-we", "day-th", "day-fr", "day-sa", "day-su",
];

fn hhmm(m: u16) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

pub async fn service_page(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    Id(id): Id<ServiceId>,
    Query(c): Query<ContextParams>,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    let v = match directory::service_view(&state, Some(&actor), id).await {
        Ok(v) => v,
        Err(e) => return Err(PageError::from(e)),
    };
    let s = &v.service;
    let ages = match (
        s.minimum_age.as_ref().and_then(|n| n.as_i64()),
        s.maximum_age.as_ref().and_then(|n| n.as_i64()),
    ) {
        (Some(a), Some(b)) => lang.t_args(
            "dir-ages-range",
            &[("min", &a.to_string()), ("max", &b.to_string())],
        ),
        (Some(a), None) => lang.t1("dir-ages-from", "min", &a.to_string()),
        (None, Some(b)) => lang.t1("dir-ages-to", "max", &b.to_string()),
        (None, None) => String::new(),
    };
    let hours = v
        .openings
        .iter()
        .map(|o| {
            let d = lang.t(DAY_KEYS[usize::from(o.day % 7)]);
            if o.opens == 0 && o.closes >= 1440 {
                lang.t1("dir-hours-all-day", "day", &d)
            } else {
                format!("{d}: {}–{}", hhmm(o.opens), hhmm(o.closes))
            }
        })
        .collect();
    let hours_text = s
        .schedules
        .iter()
        .filter_map(|x| x.description.clone())
        .filter(|d| !d.trim().is_empty())
        .collect::<Vec<_>>();
    // Every number the service has: its own, its contacts', and its
    // organization's (a place's own numbers are shown with the place).
    let mut phones: Vec<String> = s
        .phones
        .iter()
        .chain(s.contacts.iter().flat_map(|c| c.phones.iter()))
        .chain(v.organization_record.iter().flat_map(|o| o.phones.iter()))
        .map(|p| p.number.trim_matches('"').to_owned())
        .collect();
    let mut seen = std::collections::HashSet::new();
    phones.retain(|n| seen.insert(n.clone()));
    let places = v
        .places
        .iter()
        .map(|p| PlaceRow {
            name: p.location.name.clone().unwrap_or_default(),
            address: p
                .location
                .addresses
                .iter()
                .map(|a| {
                    [
                        Some(a.address_1.as_str()),
                        a.address_2.as_deref(),
                        Some(a.city.as_str()),
                        Some(a.state_province.as_str()),
                        Some(a.postal_code.as_str()),
                    ]
                    .into_iter()
                    .flatten()
                    .filter(|x| !x.trim().is_empty())
                    .collect::<Vec<_>>()
                    .join(", ")
                })
                .collect::<Vec<_>>()
                .join("; "),
            confidential: p.confidential,
            revealed: p.revealed,
            // The numbers for this service at this place, then the place's.
            phones: s
                .service_at_locations
                .iter()
                .filter(|x| x.id == p.sal_id.to_string())
                .flat_map(|x| x.phones.iter())
                .chain(p.location.phones.iter())
                .map(|x| x.number.clone())
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect();
    let cap = v.haven.capacity.clone();
    let refer_href = (!c.case.is_empty() && v.receiving_org().is_some()).then(|| {
        format!(
            "/cases/{}/referrals/new?service={}&plan_item={}",
            urlencode(&c.case),
            v.row.id,
            urlencode(&c.plan_item)
        )
    });
    let page = ServicePage {
        page: PageFrame::new(&state, lang, "/directory", Some(&me)),
        // Encoding damage in the publisher's text is repaired for reading;
        // the stored record keeps what was published.
        name: repair(&v.row.name),
        org_name: v
            .organization
            .as_ref()
            .map(|o| repair(&o.name))
            .unwrap_or_default(),
        description: repair(s.description.as_deref().unwrap_or_default()),
        eligibility: repair(s.eligibility_description.as_deref().unwrap_or_default()),
        ages,
        languages: languages_text(&v.row.languages),
        needs: v
            .haven
            .needs
            .iter()
            .map(|n| need_label(lang, n.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
        populations: v
            .haven
            .populations
            .iter()
            .map(|p| lang.t(&format!("dir-pop-{p}")))
            .collect::<Vec<_>>()
            .join(", "),
        funding: v
            .haven
            .funding
            .iter()
            .map(|p| lang.t(&format!("dir-funding-{p}")))
            .collect::<Vec<_>>()
            .join(", "),
        fees: s
            .fees_description
            .clone()
            .or_else(|| s.fees.clone())
            .unwrap_or_default(),
        hours,
        hours_text,
        phones,
        areas: s
            .service_areas
            .iter()
            .filter_map(|a| a.name.clone().or_else(|| a.description.clone()))
            .collect(),
        places,
        capacity: cap
            .as_ref()
            .map(|c| match c.maximum {
                Some(m) => lang.t_args(
                    "dir-capacity-of",
                    &[
                        ("count", &c.available.to_string()),
                        ("max", &m.to_string()),
                        ("unit", &c.unit),
                    ],
                ),
                None => lang.t1("dir-capacity-available", "count", &c.available.to_string()),
            })
            .unwrap_or_default(),
        capacity_form: directory::may_update_capacity(&actor, &v),
        capacity_available: cap
            .as_ref()
            .map(|c| c.available.to_string())
            .unwrap_or_default(),
        capacity_maximum: cap
            .as_ref()
            .and_then(|c| c.maximum)
            .map(|m| m.to_string())
            .unwrap_or_default(),
        capacity_unit: cap
            .as_ref()
            .map(|c| c.unit.clone())
            .unwrap_or_else(|| "beds".to_owned()),
        referable: v.receiving_org().is_some(),
        refer_href,
        notice: (c.done == "capacity").then(|| lang.t("dir-capacity-saved")),
        csrf: me.csrf_token(),
        v,
    };
    Ok(render(&page, StatusCode::OK))
}

pub async fn update_capacity(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<ServiceId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let num = |k: &str| -> Result<Option<u32>, AppError> {
        let v = f.one(k);
        if v.trim().is_empty() {
            return Ok(None);
        }
        v.trim()
            .parse::<u32>()
            .map(Some)
            .map_err(|_| AppError::Invalid {
                code: "not_a_number",
                field: None,
                message: lang.t("dir-capacity-number"),
            })
    };
    let r = async {
        let (a, m) = (num("available")?, num("maximum")?);
        directory::update_capacity(&state, &Actor::of(&me.user), id, a, m, &f.one("unit"), rid)
            .await
    }
    .await;
    Ok(match r {
        Ok(()) => see_other(&format!("/directory/services/{id}?done=capacity")),
        Err(e) => error_page(&state, lang, &e),
    })
}

// ---------------------------------------------------------------- admin

pub struct OrgRow {
    pub id: Uuid,
    pub name: String,
    pub linked: String,
}

#[derive(Template)]
#[template(path = "directory/directory_manage.html")]
struct ManagePage {
    page: PageFrame,
    report: Option<directory::ImportReport>,
    error: Option<String>,
    orgs: Vec<OrgRow>,
    havens: Vec<(String, String)>,
    total: u64,
    offset: u32,
    prev: Option<u32>,
    next: Option<u32>,
    csrf: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct ManageParams {
    #[serde(default)]
    pub offset: u32,
}

async fn manage_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    offset: u32,
    report: Option<directory::ImportReport>,
    error: Option<String>,
) -> Result<ManagePage, AppError> {
    if !directory::may_manage(&Actor::of(&me.user)) {
        return Err(AppError::NotFound);
    }
    let (rows, total) = state.store.directory_organization_page(offset, 50).await?;
    let havens: Vec<(String, String)> = state
        .store
        .list_organizations()
        .await?
        .into_iter()
        .filter(|o| {
            o.kind == haven_domain::OrgKind::ServiceProvider || o.kind == haven_domain::OrgKind::Ngo
        })
        .map(|o| (o.id.to_string(), o.name))
        .collect();
    Ok(ManagePage {
        page: PageFrame::new(state, lang, "/directory/manage", Some(me)),
        report,
        error,
        orgs: rows
            .into_iter()
            .map(|o| OrgRow {
                id: o.id,
                name: o.name,
                linked: o.haven_org.map(|h| h.to_string()).unwrap_or_default(),
            })
            .collect(),
        havens,
        total,
        offset,
        prev: (offset > 0).then(|| offset.saturating_sub(50)),
        next: (u64::from(offset) + 50 < total).then_some(offset + 50),
        csrf: me.csrf_token(),
    })
}

pub async fn manage(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    Query(q): Query<ManageParams>,
) -> Result<Response, PageError> {
    Ok(
        match manage_page(&state, lang, &me, q.offset, None, None).await {
            Ok(p) => render(&p, StatusCode::OK),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn import_upload(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut dry_run, mut files) = (String::new(), false, Vec::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                let file_name = field.file_name().unwrap_or_default().to_owned();
                let Ok(bytes) = field.bytes().await else {
                    return Ok(error_page(
                        &state,
                        lang,
                        &AppError::Invalid {
                            code: "too_large",
                            field: Some("files"),
                            message: lang.t("dir-import-too-large"),
                        },
                    ));
                };
                match name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "dry_run" => dry_run = !bytes.is_empty(),
                    "files" if !file_name.is_empty() => files.push((file_name, bytes.to_vec())),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => {
                return Err(PageError::from(AppError::Invalid {
                    code: "too_large",
                    field: Some("files"),
                    message: lang.t("dir-import-too-large"),
                }));
            }
        }
    }
    check_csrf(&me, &csrf)?;
    let actor = Actor::of(&me.user);
    // Refused before anything is unpacked, like every refusal.
    if !directory::may_manage(&actor) {
        return Err(PageError::from(AppError::NotFound));
    }
    let r = async {
        if files.is_empty() {
            return Err(AppError::Invalid {
                code: "required",
                field: Some("files"),
                message: lang.t("dir-import-choose"),
            });
        }
        let batch = directory::batch_from_files(directory::package::unpack(files)?)?;
        directory::import(&state, Some(&actor), batch, dry_run, rid).await
    }
    .await;
    let (report, error) = match r {
        Ok(rep) => (Some(rep), None),
        Err(AppError::Invalid { message, .. }) => (None, Some(message)),
        Err(e) => return Err(PageError::from(e)),
    };
    Ok(
        match manage_page(&state, lang, &me, 0, report, error).await {
            Ok(p) => render(&p, StatusCode::OK),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn link_org(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<Uuid>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let haven = match f.one("haven").as_str() {
        "" => None,
        h => match h.parse() {
            Ok(h) => Some(h),
            Err(_) => return Err(PageError::from(AppError::NotFound)),
        },
    };
    Ok(
        match directory::link_organization(&state, &Actor::of(&me.user), id, haven, rid).await {
            Ok(()) => see_other(&format!(
                "/directory/manage?offset={}",
                f.one("offset").parse::<u32>().unwrap_or(0)
            )),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}
