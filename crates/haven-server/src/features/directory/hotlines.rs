//! The hotline directory: the list an administrator keeps, the lines on the
//! case page, and the printable list for a victim in English or Spanish.

use crate::AppState;
use crate::features::directory::{self};
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::{Id, PageError};
use crate::web::pages::{PageFrame, error_page, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::HotlineId;
use haven_domain::policy::Actor;
use serde::Deserialize;

/// A hotline line for the case page and the printable list.
pub struct HotlineLine {
    pub id: HotlineId,
    pub position: i32,
    pub name: String,
    pub phone: String,
    pub tel: String,
    pub text_number: String,
    pub description: String,
    pub name_en: String,
    pub name_es: String,
    pub description_en: String,
    pub description_es: String,
}

/// The hotline directory in `lang`.
///
/// # Errors
/// Storage.
pub async fn hotline_lines(state: &AppState, lang: Lang) -> Result<Vec<HotlineLine>, AppError> {
    Ok(state
        .lists
        .hotlines
        .get(|| state.store.hotlines())
        .await?
        .iter()
        .cloned()
        .map(|h| HotlineLine {
            id: h.id,
            position: h.position,
            name: if lang == Lang::Es {
                h.name_es.clone()
            } else {
                h.name_en.clone()
            },
            tel: h
                .phone
                .chars()
                .filter(|c| c.is_ascii_digit() || *c == '+')
                .collect(),
            phone: h.phone,
            text_number: h.text_number,
            description: if lang == Lang::Es {
                h.description_es.clone()
            } else {
                h.description_en.clone()
            },
            name_en: h.name_en,
            name_es: h.name_es,
            description_en: h.description_en,
            description_es: h.description_es,
        })
        .collect())
}

// ---------------------------------------------------------------- hotlines

#[derive(Template)]
#[template(path = "directory/hotlines.html")]
struct HotlinesPage {
    page: PageFrame,
    lines: Vec<HotlineLine>,
    manage: bool,
    error: Option<String>,
    csrf: String,
}

pub async fn hotlines(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
) -> Result<Response, PageError> {
    Ok(hotlines_with(&state, lang, &me, None).await)
}

async fn hotlines_with(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    error: Option<String>,
) -> Response {
    let has_error = error.is_some();
    match hotline_lines(state, lang).await {
        Ok(lines) => render(
            &HotlinesPage {
                page: PageFrame::new(state, lang, "/hotlines", Some(me)),
                lines,
                manage: directory::may_manage(&Actor::of(&me.user)),
                error,
                csrf: me.csrf_token(),
            },
            if has_error {
                StatusCode::UNPROCESSABLE_ENTITY
            } else {
                StatusCode::OK
            },
        ),
        Err(e) => error_page(state, lang, &e),
    }
}

pub async fn save_hotline(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    id: Option<Path<String>>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let id = match id {
        Some(Path(s)) => match s.parse::<HotlineId>() {
            Ok(h) => Some(h),
            Err(_) => return Err(PageError::from(AppError::NotFound)),
        },
        None => None,
    };
    let input = directory::HotlineInput {
        position: f.one("position").trim().parse().unwrap_or(100),
        name_en: f.one("name_en"),
        name_es: f.one("name_es"),
        phone: f.one("phone"),
        text_number: f.one("text_number"),
        description_en: f.one("description_en"),
        description_es: f.one("description_es"),
    };
    Ok(
        match directory::save_hotline(&state, &Actor::of(&me.user), id, &input, rid).await {
            Ok(_) => see_other("/hotlines"),
            Err(AppError::InvalidMany(first, _)) => {
                hotlines_with(&state, lang, &me, Some(first.body().message)).await
            }
            Err(e @ AppError::Invalid { .. }) => {
                hotlines_with(&state, lang, &me, Some(e.body().message)).await
            }
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn delete_hotline(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<HotlineId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    Ok(
        match directory::delete_hotline(&state, &Actor::of(&me.user), id, rid).await {
            Ok(()) => see_other("/hotlines"),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

#[derive(Template)]
#[template(path = "directory/hotlines_print.html")]
struct HotlinesPrint {
    lang: Lang,
    lines: Vec<HotlineLine>,
}

impl HotlinesPrint {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct PrintParams {
    #[serde(default)]
    pub lang: String,
}

/// The hotline list to hand to a victim, in the language asked for (not
/// necessarily the worker's), with no case data on it.
pub async fn hotlines_print(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(_me): SignedIn,
    Query(q): Query<PrintParams>,
) -> Result<Response, PageError> {
    let print_lang = Lang::parse(&q.lang).unwrap_or(lang);
    Ok(match hotline_lines(&state, print_lang).await {
        Ok(lines) => render(
            &HotlinesPrint {
                lang: print_lang,
                lines,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&state, lang, &e),
    })
}
