//! The intake form: register a person and open their case. Each question
//! says why it is asked; every answer but the name can be skipped and filled
//! in later; the form can be saved as a draft and resumed. Search comes first.

use crate::AppState;
use crate::features::record::{
    self, IntakeInput, IntakeOutcome, SCREENING_QUESTIONS, ScreeningAnswer,
};
use crate::web::error::AppError;
use crate::web::form::{FormData, Opt, choices, error_text};
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::{Id, PageError};
use crate::web::pages::{PageFrame, error_page, render, see_other};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::access;
use haven_domain::policy::Actor;
use haven_domain::record as rec;
use haven_domain::{AuditAction, AuditEntry, CaseId, DraftId};
use serde::Deserialize;

/// One question of a form, rendered by the shared question macro.
pub struct Question {
    pub name: String,
    pub label: String,
    /// Why the question is asked (shown under the label).
    pub why: String,
    /// text, email, tel, date, number, textarea, select, checks, check, radios.
    pub kind: &'static str,
    pub value: String,
    pub choices: Vec<Opt>,
    pub error: Option<String>,
}

pub struct Section {
    pub id: &'static str,
    pub title: String,
    pub intro: String,
    pub questions: Vec<Question>,
}

struct Ask<'a> {
    lang: Lang,
    errors: &'a [crate::web::error::FieldError],
}

impl Ask<'_> {
    fn q(&self, name: &str, kind: &'static str, value: String) -> Question {
        Question {
            name: name.to_owned(),
            label: self.lang.t(&format!("intake-{name}")),
            why: self.lang.t(&format!("intake-{name}-why")),
            kind,
            value,
            choices: Vec::new(),
            error: self
                .errors
                .iter()
                .find(|e| e.field == name)
                .map(|e| error_text(self.lang, e.code)),
        }
    }

    fn pick(
        &self,
        name: &str,
        list: &str,
        kind: &'static str,
        codes: &[&'static str],
        selected: &[String],
    ) -> Question {
        Question {
            choices: choices(self.lang, list, codes, selected),
            ..self.q(name, kind, String::new())
        }
    }
}

fn sections(lang: Lang, i: &IntakeInput, errors: &[crate::web::error::FieldError]) -> Vec<Section> {
    let a = Ask { lang, errors };
    let one = |s: &String| vec![s.clone()];
    let section = |id: &'static str, questions| Section {
        id,
        title: lang.t(&format!("intake-section-{id}")),
        intro: lang.t(&format!("intake-section-{id}-intro")),
        questions,
    };
    let mut screening = vec![a.pick(
        "indicators",
        "indicator",
        "checks",
        &rec::Indicator::codes(),
        &i.indicators,
    )];
    for (id, _) in SCREENING_QUESTIONS {
        let answer = i
            .screening_answers
            .iter()
            .find(|x| x.question == *id)
            .map(|x| x.answer.clone())
            .unwrap_or_default();
        let mut q = a.pick(
            &format!("q_{id}"),
            "answer",
            "radios",
            record::ANSWERS,
            &[answer],
        );
        q.label = lang.t(&format!("screen-{id}"));
        q.why = String::new();
        screening.push(q);
    }
    screening.push(a.q("screening_notes", "textarea", i.screening_notes.clone()));
    vec![
        section(
            "person",
            vec![
                a.q("name", "text", i.name.clone()),
                a.q("aliases", "text", i.aliases.join("; ")),
                a.q("birth_date", "date", i.birth_date.clone()),
                a.q(
                    "estimated_age",
                    "number",
                    i.estimated_age.map(|n| n.to_string()).unwrap_or_default(),
                ),
                a.pick(
                    "gender",
                    "gender",
                    "select",
                    &rec::Gender::codes(),
                    &one(&i.gender),
                ),
                a.pick(
                    "residency",
                    "residency",
                    "select",
                    &rec::ResidencyClass::codes(),
                    &one(&i.residency),
                ),
                a.q("citizenship", "text", i.citizenship.join(", ")),
                a.q("nationality", "text", i.nationality.join(", ")),
                a.q("immigration_status", "text", i.immigration_status.clone()),
                a.q("languages", "text", i.languages.join(", ")),
                a.q(
                    "interpreter_needed",
                    "check",
                    flag_value(i.interpreter_needed),
                ),
                a.q("disability", "textarea", i.disability.clone()),
                a.q("accommodations", "textarea", i.accommodations.clone()),
            ],
        ),
        section(
            "contact",
            vec![
                a.pick(
                    "safe_channel",
                    "channel",
                    "select",
                    &rec::SafeChannel::codes(),
                    &one(&i.safe_channel),
                ),
                a.q("phone", "tel", i.phone.clone()),
                a.q("email", "email", i.email.clone()),
                a.q("safe_times", "text", i.safe_times.clone()),
                a.q("safe_from", "time", i.safe_from.clone()),
                a.q("safe_until", "time", i.safe_until.clone()),
                a.q(
                    "may_leave_message",
                    "check",
                    flag_value(i.may_leave_message),
                ),
                a.q("code_word", "text", i.code_word.clone()),
                a.q("address", "textarea", i.address.clone()),
                a.pick(
                    "safety",
                    "safety",
                    "select",
                    &rec::SafetyStatus::codes(),
                    &one(&i.safety),
                ),
                a.q("location", "textarea", i.location.clone()),
            ],
        ),
        section(
            "trafficking",
            vec![
                a.pick(
                    "exploitation",
                    "exploitation",
                    "select",
                    &rec::ExploitationType::codes(),
                    &one(&i.exploitation),
                ),
                a.pick(
                    "means_of_control",
                    "means",
                    "checks",
                    &rec::MeansOfControl::codes(),
                    &i.means_of_control,
                ),
                a.pick(
                    "recruiter_relation",
                    "relation",
                    "select",
                    &rec::RecruiterRelation::codes(),
                    &one(&i.recruiter_relation),
                ),
                a.q(
                    "country_of_exploitation",
                    "text",
                    i.country_of_exploitation.clone(),
                ),
                a.pick(
                    "industry",
                    "industry",
                    "select",
                    &rec::Industry::codes(),
                    &one(&i.industry),
                ),
                a.pick(
                    "identification_source",
                    "source",
                    "select",
                    &rec::IdentificationSource::codes(),
                    &one(&i.identification_source),
                ),
            ],
        ),
        section("screening", screening),
        section(
            "cooperation",
            vec![a.pick(
                "cooperation",
                "cooperation",
                "select",
                &rec::Cooperation::codes(),
                &one(&i.cooperation),
            )],
        ),
    ]
}

fn flag_value(on: bool) -> String {
    if on { "1".into() } else { String::new() }
}

/// The intake input from the form's fields (same names as the API).
fn input_from_form(f: &FormData) -> IntakeInput {
    let list = |k: &str| vec![f.one(k)];
    IntakeInput {
        name: f.one("name"),
        aliases: vec![f.one("aliases")],
        birth_date: f.one("birth_date"),
        // A non-number is kept out (and the form says so by showing it empty).
        estimated_age: f.one("estimated_age").trim().parse().ok(),
        gender: f.one("gender"),
        residency: f.one("residency"),
        citizenship: list("citizenship"),
        nationality: list("nationality"),
        immigration_status: f.one("immigration_status"),
        languages: list("languages"),
        interpreter_needed: f.flag("interpreter_needed"),
        disability: f.one("disability"),
        accommodations: f.one("accommodations"),
        phone: f.one("phone"),
        email: f.one("email"),
        address: f.one("address"),
        safe_channel: f.one("safe_channel"),
        safe_times: f.one("safe_times"),
        safe_from: f.one("safe_from"),
        safe_until: f.one("safe_until"),
        may_leave_message: f.flag("may_leave_message"),
        code_word: f.one("code_word"),
        safety: f.one("safety"),
        location: f.one("location"),
        exploitation: f.one("exploitation"),
        means_of_control: f.many("means_of_control"),
        recruiter_relation: f.one("recruiter_relation"),
        country_of_exploitation: f.one("country_of_exploitation"),
        industry: f.one("industry"),
        identification_source: f.one("identification_source"),
        indicators: f.many("indicators"),
        screening_answers: f
            .prefixed("q_")
            .filter(|(_, v)| !v.is_empty())
            .map(|(q, a)| ScreeningAnswer {
                question: q.to_owned(),
                answer: a.to_owned(),
            })
            .collect(),
        screening_notes: f.one("screening_notes"),
        cooperation: f.one("cooperation"),
        confirm_duplicate: f.flag("confirm_duplicate"),
    }
}

#[derive(Template)]
#[template(path = "cases/case_new.html")]
struct IntakePage {
    page: PageFrame,
    csrf: String,
    draft: Option<DraftId>,
    sections: Vec<Section>,
    errors: Vec<(String, String)>,
    duplicates_here: Vec<CaseId>,
    duplicate_elsewhere: bool,
    saved: bool,
    drafts: Vec<(DraftId, String, String)>,
}

struct IntakeState<'a> {
    input: &'a IntakeInput,
    draft: Option<DraftId>,
    errors: &'a [crate::web::error::FieldError],
    duplicates: (Vec<CaseId>, bool),
    saved: bool,
}

async fn intake_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    s: IntakeState<'_>,
    status: StatusCode,
) -> Response {
    let mut drafts = Vec::new();
    match state.store.drafts(me.user.id).await {
        Ok(list) => {
            for d in list {
                let label = match crate::case::sealed::unseal_json::<IntakeInput>(
                    state,
                    "intake_drafts",
                    "body",
                    &d.id.to_string(),
                    &d.body,
                )
                .await
                {
                    Ok(i) if !i.name.trim().is_empty() => i.name,
                    _ => lang.t("intake-draft-unnamed"),
                };
                drafts.push((d.id, label, crate::web::pages::when(d.updated_at)));
            }
        }
        Err(e) => return error_page(state, lang, &e.into()),
    }
    let page = IntakePage {
        page: PageFrame::new(state, lang, "/cases/new", Some(me)),
        csrf: me.csrf_token(),
        draft: s.draft,
        sections: sections(lang, s.input, s.errors),
        errors: s
            .errors
            .iter()
            .map(|e| {
                (
                    e.field.to_owned(),
                    format!(
                        "{}: {}",
                        lang.t(&format!("intake-{}", e.field)),
                        error_text(lang, e.code)
                    ),
                )
            })
            .collect(),
        duplicates_here: s.duplicates.0,
        duplicate_elsewhere: s.duplicates.1,
        saved: s.saved,
        drafts,
    };
    render(&page, status)
}

#[derive(Deserialize, Default)]
pub struct NewQuery {
    draft: Option<String>,
    saved: Option<String>,
}

pub async fn new_case(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    if access::may_open_case(&actor).is_none() {
        return Err(AppError::NotFound.into());
    }
    let (draft, input) = match q.draft.as_deref().map(str::parse::<DraftId>) {
        Some(Ok(id)) => match record::load_draft(&state, &actor, id).await {
            Ok((_, input)) => (Some(id), input),
            Err(e) => return Err(PageError::from(e)),
        },
        Some(Err(_)) => return Err(PageError::from(AppError::NotFound)),
        None => (None, IntakeInput::default()),
    };
    Ok(intake_page(
        &state,
        lang,
        &me,
        IntakeState {
            input: &input,
            draft,
            errors: &[],
            duplicates: (Vec::new(), false),
            saved: q.saved.is_some(),
        },
        StatusCode::OK,
    )
    .await)
}

/// Register, or save as a draft (`action=draft`).
pub async fn create_case(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    if access::may_open_case(&actor).is_none() {
        return Err(AppError::NotFound.into());
    }
    let input = input_from_form(&f);
    let draft = match f.one("draft") {
        d if d.is_empty() => None,
        d => match d.parse::<DraftId>() {
            Ok(id) => Some(id),
            Err(_) => return Err(PageError::from(AppError::NotFound)),
        },
    };
    if f.one("action") == "draft" {
        return Ok(
            match record::save_draft(&state, &actor, draft, &input, rid).await {
                Ok(id) => see_other(&format!("/cases/new?draft={id}&saved=1")),
                Err(e) => error_page(&state, lang, &e),
            },
        );
    }
    let shown = |errors: &[crate::web::error::FieldError], dup: (Vec<CaseId>, bool), status| {
        let state = state.clone();
        let me = &me;
        let input = &input;
        let errors = errors.to_vec();
        async move {
            intake_page(
                &state,
                lang,
                me,
                IntakeState {
                    input,
                    draft,
                    errors: &errors,
                    duplicates: dup,
                    saved: false,
                },
                status,
            )
            .await
        }
    };
    Ok(
        match record::create_intake(&state, &actor, &input, draft, rid).await {
            Ok(IntakeOutcome::Created(id)) => see_other(&format!("/cases/{id}")),
            Ok(IntakeOutcome::PossibleDuplicates { here, elsewhere }) => {
                shown(&[], (here, elsewhere), StatusCode::OK).await
            }
            Err(AppError::InvalidMany(_, errors)) => {
                shown(
                    &errors,
                    (Vec::new(), false),
                    StatusCode::UNPROCESSABLE_ENTITY,
                )
                .await
            }
            Err(e) => error_page(&state, lang, &e),
        },
    )
}

/// Deletes one of the worker's drafts.
pub async fn delete_draft(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Id(id): Id<DraftId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let audit = AuditEntry::new(AuditAction::IntakeDraftDeleted)
        .by(me.user.id, me.user.organization_id)
        .on("intake_draft", id)
        .request(rid);
    Ok(
        match state.store.delete_draft(me.user.id, id, &audit).await {
            Ok(true) => see_other("/cases/new"),
            Ok(false) => error_page(&state, lang, &AppError::NotFound),
            Err(e) => error_page(&state, lang, &e.into()),
        },
    )
}
