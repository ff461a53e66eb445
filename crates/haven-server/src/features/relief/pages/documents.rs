//! Relief document pages: drafting, reading, signing and withdrawing declarations, certifications and requests; the deadline dashboards.

use super::*;
use crate::web::pages::CsrfForm;
use crate::web::pages::Ids;
use haven_domain::relief::facts::{CertifyingAgency, SignerRole};

// ---------------------------------------------------------------- documents

#[derive(Template)]
#[template(path = "relief/document.html")]
struct DocumentPage {
    page: PageFrame,
    csrf: String,
    v: DocumentView,
    title: String,
    status: String,
    notice: Option<String>,
    errors: Vec<String>,
    crimes: Vec<Opt>,
    crime_labels: String,
    signer: String,
    hash: String,
    statements: Vec<Opt>,
    /// I-918 B: who signs and the agency's kind (U-5).
    signer_roles: Vec<Opt>,
    agency_kinds: Vec<Opt>,
    signer_role: String,
    agency_kind: String,
    dob: String,
    crime_from: String,
    crime_to: String,
    gaps: Vec<String>,
    may_see_case: bool,
    intro: String,
    sign_explain: String,
    signed_when: String,
    withdrawn_when: String,
}

const AGENCY_KINDS: [CertifyingAgency; 10] = [
    CertifyingAgency::FederalLawEnforcement,
    CertifyingAgency::StateLawEnforcement,
    CertifyingAgency::LocalLawEnforcement,
    CertifyingAgency::TribalLawEnforcement,
    CertifyingAgency::Prosecutor,
    CertifyingAgency::Judge,
    CertifyingAgency::ChildProtectiveServices,
    CertifyingAgency::Eeoc,
    CertifyingAgency::Dol,
    CertifyingAgency::OtherAuthority,
];

/// The options of a select of facts codes, labelled `relief-choice-<code>`.
fn choice_opts<T: serde::Serialize + PartialEq + Copy>(
    lang: Lang,
    all: &[T],
    chosen: Option<T>,
) -> Vec<Opt> {
    all.iter()
        .map(|x| Opt {
            value: code(x),
            label: lang.t(&format!("relief-choice-{}", code(x))),
            selected: chosen == Some(*x),
        })
        .collect()
}

pub(super) fn statements(lang: Lang, kind: DocumentKind, c: &DocumentContent) -> Vec<Opt> {
    let mut all = vec![("victim_of_the_crime", c.victim_of_the_crime)];
    if kind == DocumentKind::I918b {
        all.extend([
            ("signer_authorized", c.signer_authorized),
            ("agency_responsible", c.agency_responsible),
            ("possesses_information", c.possesses_information),
            ("helpful", c.helpful),
            ("occurred_in_united_states", c.occurred_in_united_states),
        ]);
    }
    all.into_iter()
        .map(|(f, on)| Opt {
            value: f.to_owned(),
            label: lang.t(&format!("relief-doc-stmt-{}-{f}", kind.as_str())),
            selected: on,
        })
        .collect()
}

async fn document_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    id: DocumentId,
    q: &NoticeQuery,
    rid: Option<String>,
) -> Result<Response, AppError> {
    let actor = Actor::of(&me.user);
    let v = relief::open_document(state, &actor, id, rid).await?;
    let c = &v.content;
    let signer = match v.doc.signed_by {
        Some(u) => state
            .store
            .user(u)
            .await?
            .map(|u| u.display_name)
            .unwrap_or_default(),
        None => String::new(),
    };
    let may_see_case = v.case_visible;
    let mut errors = Vec::new();
    if let Some(e) = error_text(lang, q) {
        errors.push(e);
    }
    let gaps = if v.doc.status == DocumentStatus::Draft {
        c.gaps(v.doc.kind)
            .iter()
            .map(|g| {
                format!(
                    "{} ({})",
                    lang.t(&format!("relief-doc-field-{}", g.field)),
                    g.rule
                )
            })
            .collect()
    } else {
        Vec::new()
    };
    let page = DocumentPage {
        page: PageFrame::new(state, lang, &format!("/documents/{id}"), Some(me)),
        csrf: me.csrf_token(),
        title: lang.t(&format!("relief-doc-{}", v.doc.kind.as_str())),
        status: lang.t(&format!("relief-docstatus-{}", v.doc.status.as_str())),
        notice: q.done.as_ref().map(|d| lang.t(&format!("relief-done-{d}"))),
        errors,
        crimes: CRIMES
            .iter()
            .map(|x| Opt {
                value: code(x),
                label: lang.t(&format!("relief-crime-{}", code(x))),
                selected: c.crimes.contains(x),
            })
            .collect(),
        signer_roles: choice_opts(
            lang,
            &[
                SignerRole::AgencyHead,
                SignerRole::DesignatedSupervisor,
                SignerRole::Judge,
            ],
            c.signer_role,
        ),
        agency_kinds: choice_opts(lang, &AGENCY_KINDS, c.agency_kind),
        signer_role: c
            .signer_role
            .map(|r| lang.t(&format!("relief-choice-{}", code(&r))))
            .unwrap_or_default(),
        agency_kind: c
            .agency_kind
            .map(|k| lang.t(&format!("relief-choice-{}", code(&k))))
            .unwrap_or_default(),
        crime_labels: c
            .crimes
            .iter()
            .map(|x| lang.t(&format!("relief-crime-{}", code(x))))
            .collect::<Vec<_>>()
            .join(", "),
        signer,
        hash: v
            .doc
            .content_sha256
            .as_deref()
            .map(relief::hex)
            .unwrap_or_default(),
        statements: statements(lang, v.doc.kind, c),
        dob: c
            .victim_date_of_birth
            .map(|d| d.to_string())
            .unwrap_or_default(),
        crime_from: c.crime_from.map(|d| d.to_string()).unwrap_or_default(),
        crime_to: c.crime_to.map(|d| d.to_string()).unwrap_or_default(),
        gaps,
        may_see_case,
        intro: lang.t(&format!("relief-doc-intro-{}", v.doc.kind.as_str())),
        signed_when: v.doc.signed_at.map(when).unwrap_or_default(),
        withdrawn_when: v.doc.withdrawn_at.map(when).unwrap_or_default(),
        sign_explain: lang.t(&format!("relief-doc-sign-explain-{}", v.doc.kind.as_str())),
        v,
    };
    Ok(render(&page, StatusCode::OK))
}

pub async fn document(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(id): Id<DocumentId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(document_page(&state, lang, &me, id, &q, rid).await?)
}

fn back_to_document(id: DocumentId, r: Result<(), AppError>, done: &str) -> Response {
    outcome_redirect(&format!("/documents/{id}"), "", "/", r, done)
}

fn content_from_form(f: &FormData) -> Result<DocumentContent, AppError> {
    let date = |k: &'static str| {
        form_date(f, k).map_err(|()| AppError::Invalid {
            code: "invalid",
            field: Some(k),
            message: "Not a date.".into(),
        })
    };
    let crimes = f
        .many("crimes")
        .iter()
        .filter_map(|c| CRIMES.iter().copied().find(|x| code(x) == *c))
        .collect();
    Ok(DocumentContent {
        agency_name: f.one("agency_name"),
        victim_name: f.one("victim_name"),
        victim_date_of_birth: date("victim_date_of_birth")?,
        crimes,
        crime_from: date("crime_from")?,
        crime_to: date("crime_to")?,
        crime_location: f.one("crime_location"),
        statutes: f.one("statutes"),
        description: f.one("description"),
        injuries: f.one("injuries"),
        helpfulness: f.one("helpfulness"),
        signer_authorized: f.flag("signer_authorized"),
        signer_role: serde_json::from_value(Value::String(f.one("signer_role"))).ok(),
        agency_kind: serde_json::from_value(Value::String(f.one("agency_kind"))).ok(),
        agency_responsible: f.flag("agency_responsible"),
        victim_of_the_crime: f.flag("victim_of_the_crime"),
        possesses_information: f.flag("possesses_information"),
        helpful: f.flag("helpful"),
        occurred_in_united_states: f.flag("occurred_in_united_states"),
    })
}

/// Saves a draft, signs it, or withdraws a signed document.
pub async fn document_action(
    State(state): State<AppState>,
    lang: Lang,
    ReqId(rid): ReqId,
    Ids(id, action): Ids<DocumentId, String>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    Ok(match action.as_str() {
        "save" => {
            let r = match content_from_form(&f) {
                Ok(c) => relief::save_document(&state, &actor, id, &c, rid).await,
                Err(e) => Err(e),
            };
            back_to_document(id, r, "saved")
        }
        "sign" => back_to_document(
            id,
            relief::sign_document(&state, &actor, id, rid)
                .await
                .map(|_| ()),
            "signed",
        ),
        "withdraw" => back_to_document(
            id,
            relief::withdraw_document(&state, &actor, id, &f.one("reason"), rid).await,
            "withdrawn",
        ),
        _ => error_page(&state, lang, &AppError::NotFound),
    })
}

// ---------------------------------------------------------------- dashboards

pub struct UpcomingRow {
    pub case: CaseId,
    pub name: String,
    pub on: String,
    pub what: String,
    pub pathway: String,
    pub actor: String,
    pub member: String,
}

#[derive(Template)]
#[template(path = "relief/deadlines.html")]
struct DeadlinesPage {
    page: PageFrame,
    days: u32,
    mine: bool,
    choices: Vec<u32>,
    rows: Vec<UpcomingRow>,
    to_sign: Vec<(DocumentId, String, String)>,
}

pub async fn deadlines(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    let days = q
        .days
        .filter(|d| [7, 14, 30, 60, 90, 180, 365].contains(d))
        .unwrap_or(30);
    let mine = q.mine.as_deref() == Some("1");
    let actor = Actor::of(&me.user);
    let r = async {
        let rows = relief::upcoming(&state, &actor, days, mine, rid).await?;
        let to_sign = relief::awaiting_signature(&state, &actor).await?;
        Ok::<_, AppError>((rows, to_sign))
    }
    .await;
    Ok(match r {
        Ok((rows, to_sign)) => {
            let page = DeadlinesPage {
                page: PageFrame::new(&state, lang, "/relief/deadlines", Some(&me)),
                days,
                mine,
                choices: vec![7, 14, 30, 60, 90, 180, 365],
                rows: rows
                    .into_iter()
                    .map(|u| UpcomingRow {
                        case: u.row.case,
                        name: u.name,
                        on: u.row.due_at.map_or_else(
                            || u.row.due_on.to_string(),
                            |t| when(t.to_offset(time::UtcOffset::UTC)),
                        ),
                        what: lang.t(&format!("relief-deadline-{}", u.row.kind)),
                        pathway: lang.t(&format!("relief-pathway-{}", u.row.pathway)),
                        actor: lang.t(&format!("relief-actor-{}", u.row.actor)),
                        member: u.row.family_member,
                    })
                    .collect(),
                to_sign: to_sign
                    .iter()
                    .map(|d| {
                        (
                            d.id,
                            lang.t(&format!("relief-doc-{}", d.kind.as_str())),
                            when(d.drafted_at),
                        )
                    })
                    .collect(),
            };
            render(&page, StatusCode::OK)
        }
        Err(e) => error_page(&state, lang, &e),
    })
}

/// Marks a notification read, back to the home page.
pub async fn read_notification(
    State(state): State<AppState>,
    Id(id): Id<MessageId>,
    CsrfForm { me, .. }: CsrfForm,
) -> Result<Response, PageError> {
    let _ = relief::mark_read(&state, &Actor::of(&me.user), id).await;
    Ok(see_other("/#reminders"))
}
