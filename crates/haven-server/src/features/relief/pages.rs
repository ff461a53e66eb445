//! Pages for relief and benefits: the case's "Relief and benefits" tab (each
//! pathway's status, what is missing, next steps, dates and the explanation
//! with rule IDs; the trackers), declarations and certifications (draft,
//! sign, withdraw, print), the deadline dashboard and the signing queue.
//!
//! The tracker forms are generated from one table of fact paths: each form
//! field is a path in the facts document (docs/relief-facts.md), so a form
//! and the API write the same thing.

use crate::AppState;
use crate::features::relief::{self, DocumentView, ReliefView, code};
use crate::web::error::AppError;
use crate::web::form::{FormData, Opt};
use crate::web::i18n::Lang;
use crate::web::pages::CsrfForm;
use crate::web::pages::Ids;
use crate::web::pages::{Id, PageError};
use crate::web::pages::{PageFrame, error_page, render, see_other, when};
use crate::web::session::{Authenticated, ReqId, SignedIn};
use askama::Template;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::access;
use haven_domain::policy::Actor;
use haven_domain::relief::documents::{DocumentContent, DocumentKind, DocumentStatus};
use haven_domain::relief::facts::{Absence, FamilyMember, QualifyingCrime, Relation};
use haven_domain::relief::{Facts, Outcome, Status};
use haven_domain::{CaseId, DocumentId, MessageId};
use serde_json::Value;
use time::Date;

mod documents;
pub use documents::*;

/// How a tracker field is entered.
#[derive(Clone, Copy)]
enum Input {
    Date,
    YesNo,
    /// Yes, or no/unknown (a fact stored as a plain flag).
    Flag,
    Choice(&'static [&'static str]),
    /// A short text (an agency's or a signer's name).
    Text,
    /// An age in years.
    Age,
}

/// The tracker forms: (section, fact paths).
const SECTIONS: &[(&str, &[(&str, Input)])] = &[
    (
        "eligibility",
        &[
            ("person.in_united_states", Input::YesNo),
            ("trafficking.force_fraud_or_coercion", Input::YesNo),
            ("trafficking.first_act_on", Input::Date),
            ("trafficking.last_act_on", Input::Date),
            (
                "trafficking.present_on_account_of_trafficking",
                Input::YesNo,
            ),
            ("trafficking.committed_trafficking", Input::YesNo),
            ("person.unable_to_cooperate_due_to_trauma", Input::YesNo),
            ("law_enforcement.agency_name", Input::Text),
            (
                "law_enforcement.agency_level",
                Input::Choice(&["federal", "state", "local", "tribal"]),
            ),
            ("law_enforcement.reported_on", Input::Date),
            (
                "law_enforcement.complied_with_reasonable_requests",
                Input::YesNo,
            ),
            ("law_enforcement.willing_to_assist", Input::YesNo),
            ("law_enforcement.potential_witness", Input::YesNo),
            ("law_enforcement.investigation_completed_on", Input::Date),
            ("person.extreme_hardship", Input::YesNo),
            ("person.admissible_or_waiver_requested", Input::YesNo),
            ("person.good_moral_character", Input::YesNo),
        ],
    ),
    (
        "continued_presence",
        &[
            ("continued_presence.requested_on", Input::Date),
            (
                "continued_presence.requested_by",
                Input::Choice(&["federal", "state_local_tribal"]),
            ),
            ("continued_presence.granted_on", Input::Date),
            ("continued_presence.expires_on", Input::Date),
            ("continued_presence.extension_requested_on", Input::Date),
            ("continued_presence.denied_on", Input::Date),
            ("continued_presence.revoked_on", Input::Date),
        ],
    ),
    (
        "t",
        &[
            ("t_declaration.signed_on", Input::Date),
            ("t_declaration.withdrawn_on", Input::Date),
            ("t_application.filed_on", Input::Date),
            ("t_application.personal_statement_signed", Input::YesNo),
            ("t_application.bona_fide_on", Input::Date),
            ("t_application.waiting_list_on", Input::Date),
            ("t_application.approved_on", Input::Date),
            ("t_application.status_expires_on", Input::Date),
            ("t_application.denied_on", Input::Date),
            ("t_application.adjustment_filed_on", Input::Date),
            ("t_application.adjustment_approved_on", Input::Date),
        ],
    ),
    (
        "u",
        &[
            ("u_crime.first_occurred_on", Input::Date),
            ("u_crime.in_united_states_or_extraterritorial", Input::YesNo),
            ("u_crime.substantial_abuse", Input::YesNo),
            ("u_crime.possesses_information", Input::YesNo),
            ("u_crime.helpful", Input::YesNo),
            ("u_crime.culpable", Input::YesNo),
            ("u_crime.none_qualifies", Input::Flag),
            (
                "u_crime.indirect.direct_victim",
                Input::Choice(&["died", "incapacitated", "neither"]),
            ),
            (
                "u_crime.indirect.relation",
                Input::Choice(&["spouse", "child", "parent", "sibling"]),
            ),
            ("u_crime.indirect.age_at_crime", Input::Age),
            ("u_crime.indirect.direct_victim_age_at_crime", Input::Age),
            ("u_crime.indirect.married", Input::YesNo),
            ("u_certification.signed", Input::YesNo),
            ("u_certification.signed_on", Input::Date),
            ("u_certification.withdrawn_on", Input::Date),
            ("u_certification.signer_name", Input::Text),
            (
                "u_certification.signer_role",
                Input::Choice(&["agency_head", "designated_supervisor", "judge", "other"]),
            ),
            ("u_certification.agency_name", Input::Text),
            (
                "u_certification.agency_kind",
                Input::Choice(&[
                    "federal_law_enforcement",
                    "state_law_enforcement",
                    "local_law_enforcement",
                    "tribal_law_enforcement",
                    "prosecutor",
                    "judge",
                    "child_protective_services",
                    "eeoc",
                    "dol",
                    "other_authority",
                ]),
            ),
            ("u_petition.filed_on", Input::Date),
            ("u_petition.personal_statement_signed", Input::YesNo),
            ("u_petition.bona_fide_on", Input::Date),
            ("u_petition.waiting_list_on", Input::Date),
            ("u_petition.approved_on", Input::Date),
            ("u_petition.status_expires_on", Input::Date),
            ("u_petition.denied_on", Input::Date),
            ("u_petition.adjustment_filed_on", Input::Date),
            ("u_petition.adjustment_approved_on", Input::Date),
            ("u_petition.refused_assistance_after_grant", Input::YesNo),
        ],
    ),
    (
        "hhs",
        &[
            ("hhs.rfa_submitted_on", Input::Date),
            ("hhs.interim_letter_on", Input::Date),
            ("hhs.interim_extended", Input::YesNo),
            ("hhs.eligibility_letter_on", Input::Date),
            ("hhs.rfc_submitted_on", Input::Date),
            ("hhs.certification_letter_on", Input::Date),
            (
                "hhs.certification_basis",
                Input::Choice(&["continued_presence", "t_bona_fide", "t_approved"]),
            ),
        ],
    ),
];

const CRIMES: &[QualifyingCrime] = &[
    QualifyingCrime::Trafficking,
    QualifyingCrime::Peonage,
    QualifyingCrime::InvoluntaryServitude,
    QualifyingCrime::SlaveTrade,
    QualifyingCrime::FraudInForeignLaborContracting,
    QualifyingCrime::SexualExploitation,
    QualifyingCrime::Prostitution,
    QualifyingCrime::Rape,
    QualifyingCrime::SexualAssault,
    QualifyingCrime::AbusiveSexualContact,
    QualifyingCrime::Incest,
    QualifyingCrime::DomesticViolence,
    QualifyingCrime::Stalking,
    QualifyingCrime::Torture,
    QualifyingCrime::FemaleGenitalMutilation,
    QualifyingCrime::BeingHeldHostage,
    QualifyingCrime::Kidnapping,
    QualifyingCrime::Abduction,
    QualifyingCrime::UnlawfulCriminalRestraint,
    QualifyingCrime::FalseImprisonment,
    QualifyingCrime::Blackmail,
    QualifyingCrime::Extortion,
    QualifyingCrime::Manslaughter,
    QualifyingCrime::Murder,
    QualifyingCrime::FeloniousAssault,
    QualifyingCrime::WitnessTampering,
    QualifyingCrime::ObstructionOfJustice,
    QualifyingCrime::Perjury,
    QualifyingCrime::SimilarActivity,
];

const RELATIONS: &[Relation] = &[
    Relation::Spouse,
    Relation::Child,
    Relation::Parent,
    Relation::Sibling,
    Relation::ChildOfDerivative,
];

fn key(path: &str) -> String {
    format!("relief-f-{}", path.replace('.', "-"))
}

fn at_path<'a>(v: &'a Value, path: &str) -> &'a Value {
    path.split('.')
        .fold(v, |v, part| v.get(part).unwrap_or(&Value::Null))
}

fn set_path(v: &mut Value, path: &str, new: Value) {
    let mut cur = v;
    let parts: Vec<&str> = path.split('.').collect();
    for part in &parts[..parts.len() - 1] {
        if !cur.get(*part).is_some_and(Value::is_object) {
            cur[*part] = Value::Object(serde_json::Map::new());
        }
        cur = &mut cur[*part];
    }
    cur[parts[parts.len() - 1]] = new;
}

/// One field of a tracker form, ready to render.
pub struct FieldView {
    pub name: String,
    pub id: String,
    pub label: String,
    pub kind: &'static str,
    pub value: String,
    pub options: Vec<Opt>,
}

pub struct SectionView {
    pub code: &'static str,
    pub title: String,
    pub why: String,
    pub fields: Vec<FieldView>,
}

fn sections(lang: Lang, facts: &Value) -> Vec<SectionView> {
    SECTIONS
        .iter()
        .map(|(section, fields)| SectionView {
            code: section,
            title: lang.t(&format!("relief-section-{section}")),
            why: lang.t(&format!("relief-section-{section}-why")),
            fields: fields
                .iter()
                .map(|(path, input)| {
                    let v = at_path(facts, path);
                    let text = match v {
                        Value::Number(n) => n.to_string(),
                        v => v.as_str().unwrap_or_default().to_owned(),
                    };
                    let opt = |value: &str, key: &str, selected: bool| Opt {
                        value: value.to_owned(),
                        label: lang.t(key),
                        selected,
                    };
                    let (kind, options) = match input {
                        Input::Date => ("date", Vec::new()),
                        Input::Text => ("text", Vec::new()),
                        Input::Age => ("number", Vec::new()),
                        Input::YesNo => (
                            "select",
                            vec![
                                opt("", "relief-unknown", v.is_null()),
                                opt("yes", "relief-yes", v == &Value::Bool(true)),
                                opt("no", "relief-no", v == &Value::Bool(false)),
                            ],
                        ),
                        Input::Flag => (
                            "select",
                            vec![
                                opt("", "relief-no-or-unknown", v != &Value::Bool(true)),
                                opt("yes", "relief-yes", v == &Value::Bool(true)),
                            ],
                        ),
                        Input::Choice(codes) => (
                            "select",
                            std::iter::once(opt("", "relief-unknown", v.is_null()))
                                .chain(
                                    codes
                                        .iter()
                                        .map(|c| opt(c, &format!("relief-choice-{c}"), text == *c)),
                                )
                                .collect(),
                        ),
                    };
                    FieldView {
                        name: (*path).to_owned(),
                        id: path.replace('.', "-"),
                        label: lang.t(&key(path)),
                        kind,
                        value: text,
                        options,
                    }
                })
                .collect(),
        })
        .collect()
}

/// Applies a submitted tracker section to the facts (as JSON).
fn apply_section(facts: &Facts, section: &str, f: &FormData) -> Result<Facts, AppError> {
    let Some((_, fields)) = SECTIONS.iter().find(|(s, _)| *s == section) else {
        return Err(AppError::NotFound);
    };
    let mut v = serde_json::to_value(facts).map_err(|e| AppError::Internal(e.to_string()))?;
    for (path, input) in *fields {
        let raw = f.one(path);
        let raw = raw.trim();
        let new = match input {
            Input::YesNo => match raw {
                "yes" => Value::Bool(true),
                "no" => Value::Bool(false),
                _ => Value::Null,
            },
            Input::Flag => Value::Bool(raw == "yes"),
            Input::Age if raw.is_empty() => Value::Null,
            Input::Age => match raw.parse::<u8>() {
                Ok(n) => Value::from(n),
                Err(_) => {
                    return Err(AppError::InvalidAt {
                        code: "invalid",
                        path: (*path).to_owned(),
                        message: "An age in whole years, from 0 to 130.".into(),
                    });
                }
            },
            Input::Date | Input::Choice(_) | Input::Text if raw.is_empty() => Value::Null,
            Input::Date | Input::Choice(_) | Input::Text => Value::String(raw.to_owned()),
        };
        set_path(&mut v, path, new);
    }
    // An indirect victim is recorded only when something is said about it.
    if at_path(&v, "u_crime.indirect")
        .as_object()
        .is_some_and(|o| o.values().all(Value::is_null))
    {
        set_path(&mut v, "u_crime.indirect", Value::Null);
    }
    if section == "u" {
        let crimes: Vec<Value> = f
            .many("u_crime.crimes")
            .into_iter()
            .map(Value::String)
            .collect();
        set_path(&mut v, "u_crime.crimes", Value::Array(crimes));
    }
    let json = v.to_string();
    let mut de = serde_json::Deserializer::from_str(&json);
    serde_path_to_error::deserialize(&mut de).map_err(|e| AppError::InvalidAt {
        code: "invalid",
        path: e.path().to_string(),
        message: "This value is not valid here.".into(),
    })
}

// ---------------------------------------------------------------- views

pub struct LineView {
    pub text: String,
    pub rules: String,
    pub uncertain: bool,
}

pub struct DeadlineView {
    pub on: String,
    pub what: String,
    pub actor: String,
    pub rules: String,
    pub soon: bool,
}

pub struct OutcomeView {
    pub title: String,
    pub status: String,
    pub status_code: &'static str,
    pub missing: Vec<LineView>,
    pub steps: Vec<(String, LineView)>,
    pub deadlines: Vec<DeadlineView>,
    pub explanation: Vec<LineView>,
}

fn rules(r: &[&str]) -> String {
    r.join(", ")
}

fn outcome_view(lang: Lang, o: &Outcome, today: Date) -> OutcomeView {
    let mut title = lang.t(&format!("relief-pathway-{}", o.pathway.as_str()));
    if let Some(m) = &o.family_member {
        title = format!("{title}: {m}");
    }
    OutcomeView {
        title,
        status: lang.t(&format!("relief-status-{}", o.status.as_str())),
        status_code: o.status.as_str(),
        missing: o
            .missing
            .iter()
            .map(|m| LineView {
                text: m.question.clone(),
                rules: rules(&m.rules),
                uncertain: false,
            })
            .collect(),
        steps: o
            .next_steps
            .iter()
            .map(|s| {
                (
                    lang.t(&format!("relief-actor-{}", code(&s.actor))),
                    LineView {
                        text: s.action.clone(),
                        rules: rules(&s.rules),
                        uncertain: false,
                    },
                )
            })
            .collect(),
        deadlines: o
            .deadlines
            .iter()
            .map(|d| DeadlineView {
                on: d.at.map_or_else(
                    || d.on.to_string(),
                    |t| when(t.to_offset(time::UtcOffset::UTC)),
                ),
                what: lang.t(&format!("relief-deadline-{}", code(&d.kind))),
                actor: lang.t(&format!("relief-actor-{}", code(&d.actor))),
                rules: rules(&d.rules),
                soon: (d.on - today).whole_days() <= 30,
            })
            .collect(),
        explanation: o
            .explanation
            .iter()
            .map(|l| LineView {
                text: l.text.clone(),
                rules: rules(&l.rules),
                uncertain: l.uncertain,
            })
            .collect(),
    }
}

pub struct DocumentRow {
    pub id: DocumentId,
    pub kind: String,
    pub status: String,
    pub drafted: String,
    pub signed: String,
}

fn document_rows(lang: Lang, docs: &[haven_store::StoredDocument]) -> Vec<DocumentRow> {
    docs.iter()
        .map(|d| DocumentRow {
            id: d.id,
            kind: lang.t(&format!("relief-doc-{}", d.kind.as_str())),
            status: lang.t(&format!("relief-docstatus-{}", d.status.as_str())),
            drafted: when(d.drafted_at),
            signed: d.signed_at.map(when).unwrap_or_default(),
        })
        .collect()
}

pub struct FamilyRow {
    pub index: usize,
    pub label: String,
    pub relation: String,
    pub born: String,
}

#[derive(Template)]
#[template(path = "relief/relief.html")]
struct ReliefPage {
    page: PageFrame,
    csrf: String,
    case_id: CaseId,
    name: String,
    as_of: String,
    notice: Option<String>,
    error: Option<String>,
    may_edit: bool,
    may_draft: bool,
    active: Vec<OutcomeView>,
    inactive: Vec<OutcomeView>,
    sections: Vec<SectionView>,
    crimes: Vec<(String, String, bool)>,
    relations: Vec<crate::web::form::Opt>,
    family_questions: Vec<(&'static str, String)>,
    family: Vec<FamilyRow>,
    absences: Vec<(usize, String, String, String)>,
    documents: Vec<DocumentRow>,
}

#[derive(serde::Deserialize, Default)]
pub struct NoticeQuery {
    done: Option<String>,
    error: Option<String>,
    field: Option<String>,
    days: Option<u32>,
    mine: Option<String>,
}

fn error_text(lang: Lang, q: &NoticeQuery) -> Option<String> {
    q.error.as_ref().map(|code| {
        let base = lang.t(&format!("relief-error-{code}"));
        match &q.field {
            Some(f) if !f.is_empty() => format!("{base} ({})", lang_field(lang, f)),
            _ => base,
        }
    })
}

/// A field path shown with its label when there is one.
fn lang_field(lang: Lang, path: &str) -> String {
    let k = key(path);
    let label = lang.t(&k);
    if label == k {
        path.to_owned()
    } else {
        format!("{label}: {path}")
    }
}

async fn relief_page(
    state: &AppState,
    lang: Lang,
    me: &Authenticated,
    case: CaseId,
    q: &NoticeQuery,
    rid: Option<String>,
) -> Result<Response, AppError> {
    let actor = Actor::of(&me.user);
    let ReliefView {
        open,
        name,
        tracker,
        facts,
        evaluation,
        documents,
    } = relief::relief_view(state, &actor, case, rid).await?;
    let today = relief::today();
    let (inactive, active): (Vec<_>, Vec<_>) = evaluation
        .outcomes
        .iter()
        .partition(|o| o.status == Status::NotApplicable);
    let tracker_json =
        serde_json::to_value(&tracker).map_err(|e| AppError::Internal(e.to_string()))?;
    let page = ReliefPage {
        page: PageFrame::new(state, lang, &format!("/cases/{case}/relief"), Some(me)),
        csrf: me.csrf_token(),
        case_id: case,
        name,
        as_of: today.to_string(),
        notice: q.done.as_ref().map(|d| lang.t(&format!("relief-done-{d}"))),
        error: error_text(lang, q),
        may_edit: open.may_edit,
        may_draft: access::may_draft_le_document(&actor, &open.facts),
        active: active
            .iter()
            .map(|o| outcome_view(lang, o, today))
            .collect(),
        inactive: inactive
            .iter()
            .map(|o| outcome_view(lang, o, today))
            .collect(),
        sections: sections(lang, &tracker_json),
        crimes: CRIMES
            .iter()
            .map(|c| {
                (
                    code(c),
                    lang.t(&format!("relief-crime-{}", code(c))),
                    tracker.u_crime.crimes.contains(c),
                )
            })
            .collect(),
        relations: RELATIONS
            .iter()
            .map(|r| crate::web::form::Opt {
                value: code(r),
                label: lang.t(&format!("relief-relation-{}", code(r))),
                selected: false,
            })
            .collect(),
        family_questions: [
            "married",
            "committed_the_crime",
            "present_danger_of_retaliation",
        ]
        .into_iter()
        .map(|q| (q, lang.t(&format!("relief-fam-{q}"))))
        .collect(),
        family: facts
            .family
            .iter()
            .enumerate()
            .map(|(i, m)| FamilyRow {
                index: i,
                label: m.id.clone(),
                relation: m
                    .relation
                    .map(|r| lang.t(&format!("relief-relation-{}", code(&r))))
                    .unwrap_or_default(),
                born: m.date_of_birth.map(|d| d.to_string()).unwrap_or_default(),
            })
            .collect(),
        absences: facts
            .absences
            .iter()
            .enumerate()
            .map(|(i, a)| {
                (
                    i,
                    a.left_on.map(|d| d.to_string()).unwrap_or_default(),
                    a.returned_on.map(|d| d.to_string()).unwrap_or_default(),
                    match a.justified_by_investigation {
                        Some(true) => lang.t("relief-yes"),
                        Some(false) => lang.t("relief-no"),
                        None => lang.t("relief-unknown"),
                    },
                )
            })
            .collect(),
        documents: document_rows(lang, &documents),
    };
    Ok(render(&page, StatusCode::OK))
}

pub async fn show(
    State(state): State<AppState>,
    lang: Lang,
    SignedIn(me): SignedIn,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    Query(q): Query<NoticeQuery>,
) -> Result<Response, PageError> {
    Ok(relief_page(&state, lang, &me, case, &q, rid).await?)
}

/// Back to the relief tab with the outcome of a form.
/// After a form: to `base` with the outcome in the query (codes and field
/// paths only, never a value typed), at `anchor`; "not found" goes to
/// `lost`.
fn outcome_redirect(
    base: &str,
    anchor: &str,
    lost: &str,
    r: Result<(), AppError>,
    done: &str,
) -> Response {
    let hash = if anchor.is_empty() {
        String::new()
    } else {
        format!("#{anchor}")
    };
    match r {
        Ok(()) => see_other(&format!("{base}?done={done}{hash}")),
        Err(AppError::InvalidMany(first, _)) => {
            outcome_redirect(base, anchor, lost, Err(*first), done)
        }
        Err(AppError::InvalidAt { code, path, .. }) => see_other(&format!(
            "{base}?error={code}&field={}{hash}",
            urlencode(&path)
        )),
        Err(AppError::Invalid { code, field, .. }) => see_other(&format!(
            "{base}?error={code}&field={}{hash}",
            field.unwrap_or_default()
        )),
        Err(AppError::Forbidden(_)) => see_other(&format!("{base}?error=not_allowed{hash}")),
        Err(AppError::NotFound) => see_other(lost),
        Err(_) => see_other(&format!("{base}?error=other{hash}")),
    }
}

fn back(case: CaseId, r: Result<(), AppError>, done: &str, anchor: &str) -> Response {
    outcome_redirect(&format!("/cases/{case}/relief"), anchor, "/cases", r, done)
}

/// An optional YYYY-MM-DD form field: empty is `None`, anything else must
/// be a date.
fn form_date(f: &FormData, key: &str) -> Result<Option<Date>, ()> {
    let v = f.one(key);
    let v = v.trim();
    if v.is_empty() {
        return Ok(None);
    }
    Date::parse(v, time::macros::format_description!("[year]-[month]-[day]"))
        .map(Some)
        .map_err(|_| ())
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// Saves one tracker section.
pub async fn save_section(
    State(state): State<AppState>,
    ReqId(rid): ReqId,
    Ids(case, section): Ids<CaseId, String>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    let r = async {
        // The stored facts are read only after the case is opened and the
        // policy allowed the change.
        relief::update_facts(
            &state,
            &actor,
            case,
            |facts| {
                *facts = apply_section(facts, &section, &f)?;
                Ok(())
            },
            rid,
        )
        .await
        .map(|_| ())
    }
    .await;
    Ok(back(case, r, "saved", &format!("tracker-{section}")))
}

/// Adds or removes a family member or a trip abroad.
pub async fn change_list(
    State(state): State<AppState>,
    ReqId(rid): ReqId,
    Ids(case, list): Ids<CaseId, String>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let actor = Actor::of(&me.user);
    let remove = f.one("remove").parse::<usize>().ok();
    let date = |k: &str| {
        form_date(&f, k).map_err(|()| AppError::InvalidAt {
            code: "invalid",
            path: format!("{list}.{k}"),
            message: "Not a date.".into(),
        })
    };
    let yes_no = |k: &str| match f.one(k).as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let r: Result<(), AppError> = async {
        match list.as_str() {
            "family" => {
                let member = if remove.is_none() {
                    let relation = RELATIONS
                        .iter()
                        .copied()
                        .find(|r| code(r) == f.one("relation"))
                        .ok_or(AppError::InvalidAt {
                            code: "required",
                            path: "family.relation".into(),
                            message: "Choose a relation.".into(),
                        })?;
                    Some(FamilyMember {
                        id: String::new(),
                        relation: Some(relation),
                        date_of_birth: date("date_of_birth")?,
                        married: yes_no("married"),
                        committed_the_crime: yes_no("committed_the_crime"),
                        present_danger_of_retaliation: yes_no("present_danger_of_retaliation"),
                    })
                } else {
                    None
                };
                relief::update_facts(
                    &state,
                    &actor,
                    case,
                    |facts| {
                        match (remove, member) {
                            (Some(i), _) if i < facts.family.len() => {
                                facts.family.remove(i);
                            }
                            (_, Some(mut m)) => {
                                // Labels, never names: the relation and a number.
                                let rel = m.relation.map(|r| code(&r)).unwrap_or_default();
                                let n = (1..)
                                    .find(|n| {
                                        !facts.family.iter().any(|x| x.id == format!("{rel}-{n}"))
                                    })
                                    .unwrap_or(1);
                                m.id = format!("{rel}-{n}");
                                facts.family.push(m);
                            }
                            _ => {}
                        }
                        Ok(())
                    },
                    rid,
                )
                .await
                .map(|_| ())
            }
            "absences" => {
                let trip = if remove.is_none() {
                    Some(Absence {
                        left_on: Some(date("left_on")?.ok_or(AppError::InvalidAt {
                            code: "required",
                            path: "absences.left_on".into(),
                            message: "When did the person leave?".into(),
                        })?),
                        returned_on: date("returned_on")?,
                        justified_by_investigation: yes_no("justified_by_investigation"),
                    })
                } else {
                    None
                };
                relief::update_facts(
                    &state,
                    &actor,
                    case,
                    |facts| {
                        match (remove, trip) {
                            (Some(i), _) if i < facts.absences.len() => {
                                facts.absences.remove(i);
                            }
                            (_, Some(t)) => facts.absences.push(t),
                            _ => {}
                        }
                        Ok(())
                    },
                    rid,
                )
                .await
                .map(|_| ())
            }
            _ => Err(AppError::NotFound),
        }
    }
    .await;
    Ok(back(case, r, "saved", &format!("tracker-{list}")))
}

/// Drafts a declaration or certification and opens it.
pub async fn draft(
    State(state): State<AppState>,
    ReqId(rid): ReqId,
    Id(case): Id<CaseId>,
    CsrfForm { me, form: f }: CsrfForm,
) -> Result<Response, PageError> {
    let Some(kind) = DocumentKind::parse(&f.one("kind")) else {
        return Ok(back(
            case,
            Err(AppError::Invalid {
                code: "invalid",
                field: Some("kind"),
                message: String::new(),
            }),
            "",
            "documents",
        ));
    };
    Ok(
        match relief::draft_document(&state, &Actor::of(&me.user), case, kind, rid).await {
            Ok(doc) => see_other(&format!("/documents/{doc}?done=drafted")),
            Err(e) => back(case, Err(e), "", "documents"),
        },
    )
}

#[cfg(test)]
mod tests;
