//! Pages for forensic interviews: the interviewers' queue, requests,
//! scheduling, the record with its files and their custody.

use crate::AppState;
use crate::features::interviews::{
    self, EarlierInterview, InterviewLine, InterviewView, RequestInput, ScheduleInput,
};
use crate::web::error::AppError;
use crate::web::form::FormData;
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::Done;
use crate::web::pages::Ids;
use crate::web::pages::{Id, PageError};
use crate::web::pages::{PageFrame, error_page, forbidden, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use haven_domain::policy::{Actor, UserScope};
use haven_domain::{CaseId, InterviewFileId, InterviewId, Role};

fn done_text(lang: Lang, done: Option<&str>) -> Option<String> {
    done.map(|d| lang.t(&format!("iv-done-{d}")))
}

// ------------------------------------------------------------------ queue

#[derive(Template)]
#[template(path = "interviews/interviews.html")]
struct QueuePage {
    page: PageFrame,
    rows: Vec<InterviewLine>,
}

pub async fn queue(State(state): State<AppState>, lang: Lang, SignedIn(me): SignedIn) -> Response {
    match interviews::queue(&state, &Actor::of(&me.user)).await {
        Ok(rows) => render(
            &QueuePage {
                page: PageFrame::new(&state, lang, "/interviews", Some(&me)),
                rows,
            },
            StatusCode::OK,
        ),
        Err(e) => error_page(&state, lang, &e),
    }
}

// ---------------------------------------------------------------- request

#[derive(Template)]
#[template(path = "interviews/interview_new.html")]
struct RequestPage {
    page: PageFrame,
    case_id: CaseId,
    csrf: String,
    earlier: Vec<EarlierInterview>,
    input: RequestInput,
    error: Option<String>,
    error_field: String,
}

async fn request_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    case: CaseId,
    input: RequestInput,
    error: Option<(String, String)>,
    rid: Option<String>,
) -> Result<RequestPage, AppError> {
    let earlier = interviews::earlier(state, &Actor::of(&me.user), case, rid).await?;
    let (error, error_field) = match error {
        Some((m, f)) => (Some(m), f),
        None => (None, String::new()),
    };
    Ok(RequestPage {
        page: PageFrame::new(state, lang, "/cases/", Some(me)),
        case_id: case,
        csrf: me.csrf_token(),
        earlier,
        input,
        error,
        error_field,
    })
}

pub async fn new_request(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
) -> Result<Response, PageError> {
    Ok(
        match request_page(&state, lang, &me, case, RequestInput::default(), None, rid).await {
            Ok(p) => render(&p, StatusCode::OK),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

fn request_input(f: &FormData) -> RequestInput {
    RequestInput {
        reason: f.one("reason"),
        planned_on: f.one("planned_on"),
        traumatized: f.flag("traumatized"),
        trauma_notes: f.one("trauma_notes"),
        developmental: f.one("developmental"),
        cultural: f.one("cultural"),
        language: f.one("language"),
        interpreter_needed: f.flag("interpreter_needed"),
        observers_wanted: f.one("observers_wanted"),
        organization_id: None,
        repeat_reason: f.one("repeat_reason"),
    }
}

pub async fn create_request(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let input = request_input(&f);
    Ok(
        match interviews::request(&state, &Actor::of(&me.user), case, &input, rid.clone()).await {
            Ok(iid) => see_other(&format!("/interviews/{iid}?done=requested")),
            Err(AppError::Invalid { message, field, .. }) => {
                let field = field.unwrap_or_default().to_owned();
                match request_page(&state, lang, &me, case, input, Some((message, field)), rid)
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

pub async fn observe(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Ids(case, iid): Ids<CaseId, InterviewId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    Ok(
        match interviews::observe(&state, &Actor::of(&me.user), case, iid, rid).await {
            Ok(()) => see_other(&format!("/cases/{case}?done=observing#interviews")),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

// ----------------------------------------------------------------- detail

pub struct Person {
    pub id: String,
    pub name: String,
}

#[derive(Template)]
#[template(path = "interviews/interview.html")]
struct DetailPage {
    page: PageFrame,
    iv: InterviewView,
    csrf: String,
    notice: Option<String>,
    error: Option<String>,
    interviewers: Vec<Person>,
    specialists: Vec<Person>,
    form: ScheduleForm,
    limit_mb: u64,
}

#[derive(Default)]
pub struct ScheduleForm {
    pub starts_at: String,
    pub minutes: String,
    pub interviewer_id: String,
    pub specialist_id: String,
    pub interpreter: String,
    pub interpreter_language: String,
    pub place: String,
    pub observers: String,
    pub notes: String,
}

#[allow(clippy::too_many_arguments)]
async fn detail_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: InterviewId,
    notice: Option<String>,
    error: Option<String>,
    form: Option<ScheduleForm>,
    rid: Option<String>,
) -> Result<DetailPage, AppError> {
    let actor = Actor::of(&me.user);
    let iv = interviews::view(state, &actor, id, rid).await?;
    let (interviewers, specialists) = if iv.may_handle {
        let staff = state
            .store
            .list_users(UserScope::Organization(iv.organization_id))
            .await?;
        let interviewers = staff
            .iter()
            .filter(|(u, _)| {
                !u.disabled
                    && haven_domain::interview::may_conduct(&u.roles, iv.requires_specialist)
            })
            .map(|(u, _)| Person {
                id: u.id.to_string(),
                name: u.display_name.clone(),
            })
            .collect();
        // The case team's specialists accompany the person.
        let bundle = state.store.case_bundle(iv.case_id).await?;
        let team: Vec<_> = bundle
            .map(|b| b.facts.team.iter().map(|(u, _)| *u).collect())
            .unwrap_or_default();
        let specialists = state
            .store
            .users_by_ids(&team)
            .await?
            .into_iter()
            .filter(|u| !u.disabled && u.roles.contains(&Role::VictimSpecialist))
            .map(|u| Person {
                id: u.id.to_string(),
                name: u.display_name,
            })
            .collect();
        (interviewers, specialists)
    } else {
        (Vec::new(), Vec::new())
    };
    let form = form.unwrap_or_else(|| ScheduleForm {
        minutes: "60".into(),
        interpreter_language: if iv.interpreter_needed {
            iv.language.clone()
        } else {
            String::new()
        },
        ..ScheduleForm::default()
    });
    Ok(DetailPage {
        page: PageFrame::new(state, lang, "/interviews", Some(me)),
        iv,
        csrf: me.csrf_token(),
        notice,
        error,
        interviewers,
        specialists,
        form,
        limit_mb: state.settings.recording_limit_bytes / (1024 * 1024),
    })
}

pub async fn detail(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
    Query(q): Query<Done>,
) -> Result<Response, PageError> {
    let notice = done_text(lang, q.done.as_deref());
    Ok(
        match detail_page(&state, lang, &me, id, notice, None, None, rid).await {
            Ok(p) => render(&p, StatusCode::OK),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

async fn refused(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: InterviewId,
    message: String,
    form: Option<ScheduleForm>,
    rid: Option<String>,
) -> Response {
    match detail_page(state, lang, me, id, None, Some(message), form, rid).await {
        Ok(p) => render(&p, StatusCode::UNPROCESSABLE_ENTITY),
        Err(e) => error_page(state, lang, &e),
    }
}

pub async fn schedule(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let form = ScheduleForm {
        starts_at: f.one("starts_at"),
        minutes: f.one("minutes"),
        interviewer_id: f.one("interviewer_id"),
        specialist_id: f.one("specialist_id"),
        interpreter: f.one("interpreter"),
        interpreter_language: f.one("interpreter_language"),
        place: f.one("place"),
        observers: f.one("observers"),
        notes: f.one("notes"),
    };
    let input = ScheduleInput {
        starts_at: form.starts_at.clone(),
        minutes: form.minutes.trim().parse().unwrap_or(0),
        interviewer_id: uuid::Uuid::parse_str(form.interviewer_id.trim()).ok(),
        specialist_id: uuid::Uuid::parse_str(form.specialist_id.trim()).ok(),
        interpreter: form.interpreter.clone(),
        interpreter_language: form.interpreter_language.clone(),
        place: form.place.clone(),
        observers: form.observers.clone(),
        notes: form.notes.clone(),
        notify_victim: f.flag("notify_victim"),
    };
    Ok(
        match interviews::schedule(&state, &Actor::of(&me.user), id, &input, rid.clone()).await {
            Ok(s) => {
                let done = if s.notice_problem.is_some() {
                    "scheduled-no-notice"
                } else if s.notice.is_some() {
                    "scheduled-notice"
                } else {
                    "scheduled"
                };
                see_other(&format!("/interviews/{id}?done={done}"))
            }
            Err(AppError::Invalid { message, .. }) => {
                refused(&state, lang, &me, id, message, Some(form), rid).await
            }
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

pub async fn action(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Ids(id, action): Ids<InterviewId, String>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    let result = match action.as_str() {
        "cancel" => interviews::cancel(&state, &actor, id, rid.clone()).await,
        "record" => {
            interviews::record(
                &state,
                &actor,
                id,
                &f.one("summary"),
                &f.one("compartment"),
                rid.clone(),
            )
            .await
        }
        _ => Err(AppError::NotFound),
    };
    Ok(match result {
        Ok(()) => see_other(&format!("/interviews/{id}?done={action}")),
        Err(AppError::Invalid { message, .. }) => {
            refused(&state, lang, &me, id, message, None, rid).await
        }
        Err(e) => error_page(&state, lang, &e),
    })
}

/// Multipart upload: `csrf`, `kind`, then `file` (streamed, in that order).
pub async fn upload(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewId>,
    mut form: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = String::new();
    let mut kind = String::new();
    let actor = Actor::of(&me.user);
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                return Ok(
                    refused(&state, lang, &me, id, lang.t("iv-upload-failed"), None, rid).await,
                );
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("kind") => kind = field.text().await.unwrap_or_default(),
            Some("file") => {
                if !me.csrf_matches(&csrf) {
                    return Ok(forbidden(&state, lang));
                }
                let name = field.file_name().unwrap_or_default().to_owned();
                let content_type = field
                    .content_type()
                    .unwrap_or("application/octet-stream")
                    .to_owned();
                let result = interviews::store_file(
                    &state,
                    &actor,
                    id,
                    &kind,
                    &name,
                    &content_type,
                    field,
                    rid.clone(),
                )
                .await;
                return Ok(match result {
                    Ok(_) => see_other(&format!("/interviews/{id}?done=stored#files")),
                    Err(AppError::Invalid { message, .. }) => {
                        refused(&state, lang, &me, id, message, None, rid).await
                    }
                    Err(e) => error_page(&state, lang, &e),
                });
            }
            _ => {}
        }
    }
    Ok(refused(&state, lang, &me, id, lang.t("iv-upload-none"), None, rid).await)
}

pub async fn download(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<InterviewFileId>,
) -> Result<Response, PageError> {
    Ok(
        match interviews::download(&state, &Actor::of(&me.user), id, rid).await {
            Ok(d) => file_response(d),
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

/// A download: always an attachment, never shown inline.
pub fn file_response(d: interviews::FileDownload) -> Response {
    let safe: String = d
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (header::CONTENT_TYPE, d.content_type),
            (header::CONTENT_LENGTH, d.size.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
            (
                header::HeaderName::from_static("x-content-sha256"),
                d.sha256,
            ),
        ],
        Body::from_stream(d.chunks),
    )
        .into_response()
}

pub async fn file_action(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Path((iid, fid, action)): Path<(String, String, String)>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let (Ok(iid), Ok(fid)) = (iid.parse::<InterviewId>(), fid.parse::<InterviewFileId>()) else {
        return Err(AppError::NotFound.into());
    };
    let actor = Actor::of(&me.user);
    let result = match action.as_str() {
        "transfer" => interviews::transfer(
            &state,
            &actor,
            fid,
            &f.one("recipient"),
            &f.one("purpose"),
            rid.clone(),
        )
        .await
        .map(|()| "transferred"),
        "verify" => interviews::verify(&state, &actor, fid, rid.clone())
            .await
            .map(|ok| if ok { "verified" } else { "verify-failed" }),
        _ => Err(AppError::NotFound),
    };
    Ok(match result {
        Ok(done) => see_other(&format!("/interviews/{iid}?done={done}#files")),
        Err(AppError::Invalid { message, .. }) => {
            refused(&state, lang, &me, iid, message, None, rid).await
        }
        Err(e) => error_page(&state, lang, &e),
    })
}

/// The case page's interviews section.
pub struct CaseInterviews {
    pub lines: Vec<interviews::InterviewLine>,
    pub may_request: bool,
}

/// The interviews of an opened case, from the rows the case page read.
///
/// # Errors
/// Store and decryption failures.
pub async fn case_section(
    state: &AppState,
    open: &crate::case::OpenCase,
    lists: &mut haven_store::CaseLists,
) -> Result<CaseInterviews, AppError> {
    Ok(CaseInterviews {
        lines: interviews::lines(state, std::mem::take(&mut lists.interviews)).await?,
        may_request: haven_domain::interview::may_request(&open.actor, open.may_edit),
    })
}
