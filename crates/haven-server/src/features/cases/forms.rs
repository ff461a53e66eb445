//! The forms of the case page: each posts to an operation of the record
//! (or funds), then goes back to the case; a refused form shows the case
//! page again with the reader's input and the reasons.

use crate::AppState;
use crate::features::funds::{self, FundRequestInput};
use crate::features::record::pages::{
    Echo, attachment_bytes, attachment_response, posted_case, set_team, store_attachment,
};
use crate::features::record::{self, EntryInput, EntryPatch};
use crate::web::error::{AppError, FieldError};
use crate::web::form::FormData;
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::Id;
use crate::web::pages::Ids;
use crate::web::pages::{PageError, check_csrf};
use crate::web::pages::{error_page, forbidden, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::AttachmentId;
use haven_domain::CaseId;
use haven_domain::EntryId;

// ---------------------------------------------------------------- form handlers

/// After a form: back to the case at the section, or the page again with
/// the reader's input and the reasons.
/// Which form was posted, and where on the page it lives.
struct Place<'a> {
    form: &'a str,
    anchor: &'a str,
}

async fn after(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: CaseId,
    place: Place<'_>,
    f: &FormData,
    result: Result<(), AppError>,
) -> Response {
    let Place { form, anchor } = place;
    match result {
        Ok(()) => see_other(&format!("/cases/{id}?done={form}#{anchor}")),
        Err(AppError::InvalidMany(_, errors)) => {
            let echo = Echo::from(form, f, &errors, lang);
            crate::features::cases::pages::case_page_with(
                state,
                lang,
                me,
                id,
                echo,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(AppError::Invalid { code, field, .. }) => {
            let errors = [FieldError {
                field: field.unwrap_or("form"),
                code,
                message: String::new(),
            }];
            let echo = Echo::from(form, f, &errors, lang);
            crate::features::cases::pages::case_page_with(
                state,
                lang,
                me,
                id,
                echo,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => error_page(state, lang, &e),
    }
}

/// A form on the case page: CSRF check, open the case (policy and audit),
/// run the operation, then [`after`].
macro_rules! case_form {
    ($name:ident, $form:literal, $anchor:literal, |$state:ident, $case:ident, $f:ident, $rid:ident| $body:expr) => {
        pub async fn $name(
            State($state): State<AppState>,
            lang: Lang,
            SignedIn(me): SignedIn,
            ReqId($rid): ReqId,
            Id(id): Id<CaseId>,
            body: Bytes,
        ) -> Response {
            let $f = FormData::parse(&body);
            if !me.csrf_matches(&$f.one("csrf")) {
                return forbidden(&$state, lang);
            }
            let $case = match posted_case(&$state, &me, id, $rid.clone()).await {
                Ok(c) => c,
                Err(e) => return error_page(&$state, lang, &e),
            };
            let result: Result<(), AppError> = $body;
            after(
                &$state,
                lang,
                &me,
                id,
                Place {
                    form: $form,
                    anchor: $anchor,
                },
                &$f,
                result,
            )
            .await
        }
    };
}

fn entry_input(f: &FormData) -> EntryInput {
    EntryInput {
        kind: f.one("kind"),
        compartment: f.one("compartment"),
        text: f.one("text"),
        occurred_on: f.one("occurred_on"),
        category: f.one("category"),
        urgency: f.one("urgency"),
        parent_id: f.one("parent_id").parse().ok(),
        due_on: f.one("due_on"),
        assignee: f.one("assignee").parse().ok(),
        rights: f.many("rights"),
        language: f.one("language"),
        method: f.one("method"),
        hold_notice: f.one("hold_notice") == "yes",
    }
}

/// Records an entry; each kind has its own form (and echo) on the page.
pub async fn add_entry(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let case = match posted_case(&state, &me, id, rid.clone()).await {
        Ok(c) => c,
        Err(e) => return Err(PageError::from(e)),
    };
    let input = entry_input(&f);
    let (form, anchor) = match input.kind.as_str() {
        "need" => ("need", "plan"),
        "plan_item" => ("plan_item", "plan"),
        "task" => ("task", "tasks"),
        "rights" => ("rights", "rights"),
        _ => ("event", "timeline"),
    };
    let result = record::record_entry(&state, &case, &input, rid)
        .await
        .map(|_| ());
    Ok(after(&state, lang, &me, id, Place { form, anchor }, &f, result).await)
}

case_form!(
    update_entry,
    "entry-update",
    "plan",
    |state, case, f, rid| {
        match f.one("entry").parse::<EntryId>() {
            Ok(entry) => {
                let patch = EntryPatch {
                    status: Some(f.one("status")).filter(|s| !s.is_empty()),
                    due_on: None,
                    assignee: None,
                    text: None,
                };
                record::update_entry(&state, &case, entry, &patch, rid).await
            }
            Err(_) => Err(AppError::NotFound),
        }
    }
);

case_form!(change_stage, "stage", "summary", |state, case, f, rid| {
    record::change_stage(
        &state,
        &case,
        &f.one("stage"),
        &f.one("closed_reason"),
        &f.one("note"),
        rid,
    )
    .await
});

case_form!(
    set_cooperation,
    "cooperation",
    "summary",
    |state, case, f, rid| {
        record::set_cooperation(&state, &case, &f.one("cooperation"), rid).await
    }
);

case_form!(hhs_notified, "hhs", "summary", |state, case, f, rid| {
    record::mark_hhs_notified(&state, &case, rid).await
});

case_form!(request_funds, "funds", "funds", |state, case, f, rid| {
    let input = FundRequestInput {
        fund_id: f.one("fund_id").parse().ok(),
        amount: f.one("amount"),
        purpose: f.one("purpose"),
        urgency: f.one("urgency"),
        description: f.one("description"),
    };
    funds::request_funds(&state, &case, &input, rid)
        .await
        .map(|_| ())
});

case_form!(change_team, "team", "team", |state, case, f, rid| {
    set_team(
        &state,
        &case,
        &f.one("user"),
        &f.one("role"),
        f.one("op") != "remove",
        rid,
    )
    .await
});

pub async fn upload_attachment(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<CaseId>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let (mut csrf, mut compartment, mut file_name, mut content) =
        (String::new(), String::new(), String::new(), Vec::new());
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or_default().to_owned();
                if name == "file" {
                    file_name = field.file_name().unwrap_or_default().to_owned();
                }
                let Ok(bytes) = field.bytes().await else {
                    return Ok(too_large(&state, lang));
                };
                match name.as_str() {
                    "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
                    "compartment" => compartment = String::from_utf8_lossy(&bytes).into_owned(),
                    "file" => content = bytes.to_vec(),
                    _ => {}
                }
            }
            Ok(None) => break,
            Err(_) => return Ok(too_large(&state, lang)),
        }
    }
    check_csrf(&me, &csrf)?;
    let case = match posted_case(&state, &me, id, rid.clone()).await {
        Ok(c) => c,
        Err(e) => return Err(PageError::from(e)),
    };
    let result = store_attachment(&state, &case, &file_name, &compartment, &content, rid)
        .await
        .map(|_| ());
    let f = FormData::parse(&Bytes::new());
    Ok(after(
        &state,
        lang,
        &me,
        id,
        Place {
            form: "attachment",
            anchor: "attachments",
        },
        &f,
        result,
    )
    .await)
}

fn too_large(state: &AppState, lang: Lang) -> Response {
    error_page(
        state,
        lang,
        &AppError::Invalid {
            code: "too_large",
            field: Some("file"),
            message: lang.t("err-too_large"),
        },
    )
}

/// Sends an attachment: the read is audited first; advocate files stay
/// closed to those who may not see advocate records.
pub async fn download_attachment(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Ids(id, attachment): Ids<CaseId, AttachmentId>,
) -> Result<Response, PageError> {
    let case = match posted_case(&state, &me, id, rid).await {
        Ok(c) => c,
        Err(e) => return Err(PageError::from(e)),
    };
    Ok(match attachment_bytes(&state, &case, attachment).await {
        Ok((name, kind, bytes)) => attachment_response(&name, &kind, bytes),
        Err(e) => error_page(&state, lang, &e),
    })
}
