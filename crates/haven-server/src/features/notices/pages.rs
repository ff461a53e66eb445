//! Pages for notices: sending a notice to the victim and their opt-outs
//! from the case page, each person's notification settings, and the notice
//! templates for administrators.

use crate::AppState;
use crate::features::notices::{self, NoticeInput, TemplateView};
use crate::web::error::AppError;
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::Id;
use crate::web::pages::PageError;
use crate::web::pages::{PageFrame, error_page, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::CaseId;
use haven_domain::notice::NoticeEvent;
use haven_domain::policy::Actor;

// ---------------------------------------------------- notices (case page)

pub async fn notify(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let input = NoticeInput {
        event: f.one("event"),
        when: f.one("when"),
        call_only: f.flag("call_only"),
    };
    Ok(
        match notices::notify(&state, &Actor::of(&me.user), case, &input, rid).await {
            Ok(q) => {
                let done = if q.status == "opted_out" {
                    "notice-opted-out"
                } else if q.send_at > haven_domain::now() {
                    "notice-held"
                } else {
                    "notice"
                };
                see_other(&format!("/cases/{case}?done={done}#notices"))
            }
            Err(AppError::Invalid { code, .. }) => {
                see_other(&format!("/cases/{case}?notice_error={code}#notices"))
            }
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn opt_out(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let stop = f.one("stop") == "1";
    Ok(
        match notices::set_opt_out(
            &state,
            &Actor::of(&me.user),
            case,
            &f.one("channel"),
            stop,
            rid,
        )
        .await
        {
            Ok(()) => see_other(&format!(
                "/cases/{case}?done={}#notices",
                if stop { "opt-out" } else { "opt-in" }
            )),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

/// The case page's notices section.
pub struct NoticeSection {
    pub history: Vec<NoticeRow>,
    pub channels: Vec<notices::ChannelState>,
    pub events: Vec<(String, String)>,
    pub error: Option<String>,
}

pub struct NoticeRow {
    pub event: String,
    pub rule: String,
    pub channel: String,
    pub lang: String,
    pub status: String,
    pub status_code: String,
    pub text: String,
    pub to: String,
    pub created: String,
    pub sent: String,
    pub reduced: bool,
}

/// Builds the section for an opened case.
///
/// # Errors
/// Store and decryption failures.
pub async fn notice_section(
    state: &AppState,
    lang: Lang,
    open: &crate::case::OpenCase,
    error_code: Option<&str>,
    lists: &mut haven_store::CaseLists,
) -> Result<NoticeSection, AppError> {
    let history = notices::notice_views(state, std::mem::take(&mut lists.deliveries))
        .await?
        .into_iter()
        .map(|n| NoticeRow {
            event: lang.t(&format!("notice-event-{}", n.event)),
            rule: n.rule,
            channel: lang.t(&format!("notice-channel-{}", n.channel)),
            lang: n.lang,
            status: lang.t(&format!("notice-status-{}", n.status)),
            status_code: n.status,
            text: n.text,
            to: n.to,
            created: crate::web::pages::when(n.created_at),
            sent: n.sent_at.map(crate::web::pages::when).unwrap_or_default(),
            reduced: n.reduced,
        })
        .collect();
    let channels = notices::channels(state, open).await?;
    let events = NoticeEvent::ALL
        .iter()
        .map(|e| (e.as_str().to_owned(), lang.t(&format!("notice-event-{e}"))))
        .collect();
    Ok(NoticeSection {
        history,
        channels,
        events,
        error: error_code.map(|c| {
            let key = format!("notice-error-{c}");
            let t = lang.t(&key);
            if t == key {
                lang.t("notice-error-other")
            } else {
                t
            }
        }),
    })
}

// --------------------------------------------------- notification settings

#[derive(Template)]
#[template(path = "notices/notification_settings.html")]
struct SettingsPage {
    page: PageFrame,
    csrf: String,
    settings: Vec<(String, String, bool)>,
    notice: Option<String>,
}

pub async fn settings(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    Query(q): Query<crate::web::pages::Done>,
) -> Result<Response, PageError> {
    Ok(match notices::settings(&state, me.user.id).await {
        Ok(s) => render(
            &SettingsPage {
                page: PageFrame::new(&state, lang, "/account/notifications", Some(&me)),
                csrf: me.csrf_token(),
                settings: s
                    .into_iter()
                    .map(|(k, on)| (lang.t(&format!("settings-kind-{k}")), k, on))
                    .collect(),
                notice: q.done.map(|_| lang.t("settings-saved")),
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&state, lang, &e),
    })
}

pub async fn save_settings(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    Ok(
        match notices::save_settings(&state, &Actor::of(&me.user), &f.many("email"), rid).await {
            Ok(()) => see_other("/account/notifications?done=1"),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

// -------------------------------------------------------------- templates

#[derive(Template)]
#[template(path = "notices/notice_templates.html")]
struct TemplatesPage {
    page: PageFrame,
    csrf: String,
    templates: Vec<TemplateView>,
    notice: Option<String>,
    error: Option<(String, String, String)>,
}

async fn templates_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    notice: Option<String>,
    error: Option<(String, String, String)>,
) -> Result<TemplatesPage, AppError> {
    Ok(TemplatesPage {
        page: PageFrame::new(state, lang, "/admin/templates", Some(me)),
        csrf: me.csrf_token(),
        templates: notices::templates(state, &Actor::of(&me.user)).await?,
        notice,
        error,
    })
}

pub async fn templates(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    Query(q): Query<crate::web::pages::Done>,
) -> Result<Response, PageError> {
    let notice = q.done.map(|_| lang.t("tpl-saved"));
    Ok(
        match templates_page(&state, lang, &me, notice, None).await {
            Ok(p) => render(&p, StatusCode::OK),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn save_template(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let (l, key, text) = (f.one("lang"), f.one("key"), f.one("body"));
    Ok(
        match notices::save_template(&state, &Actor::of(&me.user), &l, &key, &text, rid).await {
            Ok(()) => see_other("/admin/templates?done=1"),
            Err(AppError::Invalid { message, .. }) => {
                match templates_page(
                    &state,
                    lang,
                    &me,
                    None,
                    Some((format!("{l}/{key}"), message, text)),
                )
                .await
                {
                    Ok(p) => render(&p, StatusCode::UNPROCESSABLE_ENTITY),
                    Err(e) => error_page(&state, lang, &e),
                }
            }
            Err(e) => error_page(&state, lang, &e),
        },
    )
}
