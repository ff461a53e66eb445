//! The case record on the case page: summary, team, needs and plan, tasks,
//! timeline, rights, screening, attachments and funds, as sections the case
//! page (`features::cases`) composes; the team page; attachments.

use crate::AppState;
use crate::case::OpenCase;
use crate::case::PersonView;
use crate::features::record::{self, EntryView, SCREENING_QUESTIONS};
use crate::web::error::{AppError, FieldError};
use crate::web::form::FormData;
use crate::web::form::{Opt, choices, error_text};
use crate::web::i18n::Lang;
use crate::web::pages::when;
use crate::web::session::Authenticated;
use axum::http::StatusCode;
use axum::response::Response;
use haven_domain::access::{self, Compartment, TeamRole};
use haven_domain::policy::{Actor, UserScope};
use haven_domain::record::{self as rec, AgeOn, EntryKind, Stage};
use haven_domain::{AttachmentId, AuditAction, AuditEntry, CaseId, EntryId, UserId};
use std::collections::HashMap;

mod attachments;
pub use attachments::*;

/// A form shown again after it was refused: which form, what was typed, why.
#[derive(Default)]
pub struct Echo {
    pub form: String,
    pub values: HashMap<String, String>,
    pub errors: Vec<String>,
}

impl Echo {
    pub(crate) fn from(form: &str, f: &FormData, errors: &[FieldError], lang: Lang) -> Self {
        let keys = [
            "kind",
            "compartment",
            "text",
            "occurred_on",
            "category",
            "urgency",
            "due_on",
            "language",
            "method",
            "amount",
            "purpose",
            "description",
            "parent_id",
            "note",
        ];
        Self {
            form: form.to_owned(),
            values: keys.iter().map(|k| ((*k).to_owned(), f.one(k))).collect(),
            errors: errors
                .iter()
                .map(|e| {
                    format!(
                        "{}: {}",
                        lang.t(&format!("field-label-{}", e.field)),
                        error_text(lang, e.code)
                    )
                })
                .collect(),
        }
    }
}

pub struct TaskView {
    pub id: EntryId,
    pub title: String,
    pub due: String,
    pub overdue: bool,
    pub assignee: String,
    pub done: bool,
}

pub struct PlanView {
    pub id: EntryId,
    pub goal: String,
    pub target: String,
    pub status: String,
    pub status_code: String,
    pub tasks: Vec<TaskView>,
}

pub struct NeedView {
    pub id: EntryId,
    pub category: String,
    pub category_code: String,
    pub urgency: String,
    pub urgency_code: String,
    pub text: String,
    pub plan: Vec<PlanView>,
}

pub struct EventView {
    pub kind: String,
    pub when: String,
    pub occurred_on: String,
    pub text: String,
    pub by: String,
    pub advocate: bool,
}

pub struct RightsView {
    pub when: String,
    pub items: Vec<String>,
    pub language: String,
    pub method: String,
    pub by: String,
}

pub struct ScreeningView {
    pub when: String,
    pub by: String,
    pub outcome: String,
    pub indicators: Vec<String>,
    pub answers: Vec<(String, String)>,
    pub notes: String,
}

pub struct HhsView {
    pub due: String,
    pub overdue: bool,
    pub met: Option<String>,
}

/// Everything the record part of the case page shows.
pub struct RecordSections {
    pub case_id: CaseId,
    pub may_edit: bool,
    pub advocate: bool,
    pub may_manage_team: bool,
    pub stage: String,
    pub stage_code: &'static str,
    pub closed_reason: Option<String>,
    pub stages: Vec<Opt>,
    pub closed_reasons: Vec<Opt>,
    pub cooperation: Vec<Opt>,
    pub cooperation_label: String,
    pub hhs: Option<HhsView>,
    pub age: String,
    pub minor: bool,
    pub person_facts: Vec<(String, String)>,
    /// The person's first language (ISO 639), to search services in it.
    pub first_language: String,
    pub trafficking_facts: Vec<(String, String)>,
    pub team: Vec<(UserId, &'static str, String)>,
    pub team_roles: Vec<Opt>,
    pub needs: Vec<NeedView>,
    pub open_tasks: Vec<TaskView>,
    pub plan_items: Vec<(EntryId, String)>,
    pub timeline: Vec<EventView>,
    pub timeline_total: u64,
    pub rights: Vec<RightsView>,
    pub screenings: Vec<ScreeningView>,
    pub attachments: Vec<(AttachmentId, String, String, String, String)>,
    pub need_categories: Vec<Opt>,
    pub urgencies: Vec<Opt>,
    pub event_kinds: Vec<Opt>,
    pub rights_items: Vec<Opt>,
    pub plan_statuses: Vec<Opt>,
    pub members: Vec<(UserId, String)>,
    pub echo: Echo,
}

impl RecordSections {
    /// What the reader typed in `form` before it was refused.
    #[must_use]
    pub fn v(&self, form: &str, field: &str) -> String {
        if self.echo.form == form {
            self.echo.values.get(field).cloned().unwrap_or_default()
        } else {
            String::new()
        }
    }

    #[must_use]
    pub fn errors_for(&self, form: &str) -> Vec<String> {
        if self.echo.form == form {
            self.echo.errors.clone()
        } else {
            Vec::new()
        }
    }

    /// Errors of forms that have no message area of their own (small
    /// buttons and selects), shown at the top of the page.
    #[must_use]
    pub fn top_errors(&self) -> Vec<String> {
        if matches!(
            self.echo.form.as_str(),
            "entry-update" | "cooperation" | "hhs" | "paid"
        ) {
            self.echo.errors.clone()
        } else {
            Vec::new()
        }
    }

    #[must_use]
    pub fn sel(&self, form: &str, field: &str, code: &str) -> bool {
        self.v(form, field) == code
    }
}

fn label(lang: Lang, list: &str, code: &str) -> String {
    lang.t(&format!("pick-{list}-{code}"))
}

fn age_text(lang: Lang, age: AgeOn) -> (String, bool) {
    match age {
        AgeOn::Known(a) => (lang.t1("age-known", "count", &a.to_string()), a < 18),
        AgeOn::Estimated(a) => (lang.t1("age-estimated", "count", &a.to_string()), a < 18),
        AgeOn::Unknown => (lang.t("age-unknown"), false),
    }
}

fn person_facts(lang: Lang, p: &PersonView) -> Vec<(String, String)> {
    let pr = &p.profile;
    let mut out = Vec::new();
    let mut add = |k: &str, v: String| {
        if !v.trim().is_empty() {
            out.push((lang.t(&format!("intake-{k}")), v));
        }
    };
    add("aliases", pr.aliases.join("; "));
    add(
        "birth_date",
        p.birth_date
            .map(|d| d.format(crate::case::sealed::DATE).unwrap_or_default())
            .unwrap_or_default(),
    );
    add(
        "gender",
        pr.gender
            .map(|g| label(lang, "gender", g.as_str()))
            .unwrap_or_default(),
    );
    add(
        "residency",
        pr.residency
            .map(|g| label(lang, "residency", g.as_str()))
            .unwrap_or_default(),
    );
    add("citizenship", pr.citizenship.join(", "));
    add("nationality", pr.nationality.join(", "));
    add("immigration_status", pr.immigration_status.clone());
    add("languages", pr.languages.join(", "));
    if pr.interpreter_needed {
        add("interpreter_needed", lang.t("yes"));
    }
    add("disability", pr.disability.clone());
    add("accommodations", pr.accommodations.clone());
    add(
        "safe_channel",
        pr.safe_contact
            .channel
            .map(|c| label(lang, "channel", c.as_str()))
            .unwrap_or_default(),
    );
    add("phone", pr.phone.clone());
    add("email", pr.email.clone());
    add("safe_times", pr.safe_contact.safe_times.clone());
    if !pr.safe_contact.safe_from.is_empty() || !pr.safe_contact.safe_until.is_empty() {
        add(
            "safe_window",
            format!(
                "{}–{}",
                pr.safe_contact.safe_from, pr.safe_contact.safe_until
            ),
        );
    }
    add(
        "may_leave_message",
        lang.t(if pr.safe_contact.may_leave_message {
            "yes"
        } else {
            "no"
        }),
    );
    add("code_word", pr.safe_contact.code_word.clone());
    add("address", pr.address.clone());
    add(
        "safety",
        pr.safety
            .map(|s| label(lang, "safety", s.as_str()))
            .unwrap_or_default(),
    );
    add("location", pr.location.clone());
    out
}

fn trafficking_facts(lang: Lang, t: &rec::TraffickingProfile) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut add = |k: &str, v: String| {
        if !v.trim().is_empty() {
            out.push((lang.t(&format!("intake-{k}")), v));
        }
    };
    add(
        "exploitation",
        t.exploitation
            .map(|x| label(lang, "exploitation", x.as_str()))
            .unwrap_or_default(),
    );
    add(
        "means_of_control",
        t.means_of_control
            .iter()
            .map(|m| label(lang, "means", m.as_str()))
            .collect::<Vec<_>>()
            .join(", "),
    );
    add(
        "recruiter_relation",
        t.recruiter_relation
            .map(|x| label(lang, "relation", x.as_str()))
            .unwrap_or_default(),
    );
    add("country_of_exploitation", t.country_of_exploitation.clone());
    add(
        "industry",
        t.industry
            .map(|x| label(lang, "industry", x.as_str()))
            .unwrap_or_default(),
    );
    add(
        "identification_source",
        t.identification_source
            .map(|x| label(lang, "source", x.as_str()))
            .unwrap_or_default(),
    );
    out
}

/// The newest timeline events a case page shows (the rest are counted).
pub const TIMELINE_SHOWN: u32 = 100;

/// Builds the record sections of an opened case.
///
/// # Errors
/// Store or decryption failures.
pub async fn record_sections(
    state: &AppState,
    lang: Lang,
    case: &OpenCase,
    person: &PersonView,
    echo: Echo,
    lists: &mut haven_store::CaseLists,
) -> Result<RecordSections, AppError> {
    let now = haven_domain::now();
    let today = now.date();
    let timeline_total = lists.timeline_total;
    let entries = record::visible_entries(state, case, std::mem::take(&mut lists.entries)).await?;
    let stored_attachments = std::mem::take(&mut lists.attachments);
    // Names of the people the page mentions only (the team, authors,
    // assignees, uploaders, requesters), read with the lists.
    let members: HashMap<UserId, String> = std::mem::take(&mut lists.names);
    let name = |u: UserId| {
        members
            .get(&u)
            .map_or_else(|| lang.t("history-someone-else"), Clone::clone)
    };
    let trafficking = crate::case::trafficking_view(state, case).await?;

    let task_view = |e: &EntryView| TaskView {
        id: e.entry.id,
        title: e.details.text.clone(),
        due: e
            .entry
            .due_on
            .map(|d| d.format(crate::case::sealed::DATE).unwrap_or_default())
            .unwrap_or_default(),
        overdue: e.entry.status.as_deref() == Some("open")
            && e.entry.due_on.is_some_and(|d| d < today),
        assignee: e.entry.assignee.map(name).unwrap_or_default(),
        done: e.entry.status.as_deref() == Some("done"),
    };
    let of_kind = |k: EntryKind| entries.iter().filter(move |e| e.entry.kind == k);
    let mut needs: Vec<NeedView> = of_kind(EntryKind::Need)
        .map(|e| NeedView {
            id: e.entry.id,
            category_code: e.entry.category.clone().unwrap_or_default(),
            category: e
                .entry
                .category
                .as_deref()
                .map(|c| label(lang, "need", c))
                .unwrap_or_default(),
            urgency: e
                .details
                .urgency
                .map(|u| label(lang, "urgency", u.as_str()))
                .unwrap_or_default(),
            urgency_code: e
                .details
                .urgency
                .map(|u| u.as_str().to_owned())
                .unwrap_or_default(),
            text: e.details.text.clone(),
            plan: of_kind(EntryKind::PlanItem)
                .filter(|p| p.entry.parent == Some(e.entry.id))
                .map(|p| PlanView {
                    id: p.entry.id,
                    goal: p.details.text.clone(),
                    target: p
                        .entry
                        .due_on
                        .map(|d| d.format(crate::case::sealed::DATE).unwrap_or_default())
                        .unwrap_or_default(),
                    status: p
                        .entry
                        .status
                        .as_deref()
                        .map(|s| label(lang, "plan", s))
                        .unwrap_or_default(),
                    status_code: p.entry.status.clone().unwrap_or_default(),
                    tasks: of_kind(EntryKind::Task)
                        .filter(|t| t.entry.parent == Some(p.entry.id))
                        .map(task_view)
                        .collect(),
                })
                .collect(),
        })
        .collect();
    // Most urgent first.
    needs.sort_by_key(|n| {
        rec::Urgency::parse(&n.urgency_code).map_or(9, |u| {
            rec::Urgency::ALL.iter().position(|x| *x == u).unwrap_or(9)
        })
    });
    let mut open_tasks: Vec<TaskView> = of_kind(EntryKind::Task)
        .filter(|t| t.entry.status.as_deref() == Some("open"))
        .map(task_view)
        .collect();
    open_tasks.sort_by(|a, b| (a.due.is_empty(), &a.due).cmp(&(b.due.is_empty(), &b.due)));
    let timeline = entries
        .iter()
        .filter(|e| e.entry.kind.is_timeline())
        .map(|e| {
            let text = if e.entry.kind == EntryKind::StatusChange {
                let to = e.details.to_stage.map(Stage::as_str).unwrap_or_default();
                let mut t = lang.t1("timeline-stage", "name", &label(lang, "stage", to));
                if let Some(r) = e.details.closed_reason {
                    t = format!("{t} ({})", label(lang, "closed", r.as_str()));
                }
                if !e.details.text.is_empty() {
                    t = format!("{t}: {}", e.details.text);
                }
                t
            } else {
                e.details.text.clone()
            };
            EventView {
                kind: label(lang, "entry", e.entry.kind.as_str()),
                when: when(e.entry.at),
                occurred_on: e
                    .details
                    .occurred_on
                    .map(|d| d.format(crate::case::sealed::DATE).unwrap_or_default())
                    .unwrap_or_default(),
                text,
                by: name(e.entry.by),
                advocate: e.entry.compartment == Compartment::Advocate,
            }
        })
        .collect();
    let rights = of_kind(EntryKind::Rights)
        .map(|e| RightsView {
            when: e
                .details
                .occurred_on
                .map(|d| d.format(crate::case::sealed::DATE).unwrap_or_default())
                .unwrap_or_else(|| when(e.entry.at)),
            items: e
                .details
                .rights
                .iter()
                .map(|r| format!("{} ({})", label(lang, "right", r.as_str()), r.rule()))
                .collect(),
            language: e.details.language.clone(),
            method: lang.t(&format!("rights-method-{}", e.details.method)),
            by: name(e.entry.by),
        })
        .collect();
    let screenings = of_kind(EntryKind::Screening)
        .filter_map(|e| {
            let s = e.details.screening.as_ref()?;
            Some(ScreeningView {
                when: when(e.entry.at),
                by: name(e.entry.by),
                outcome: s
                    .outcome
                    .map(|o| label(lang, "outcome", o.as_str()))
                    .unwrap_or_default(),
                indicators: s
                    .indicators
                    .iter()
                    .map(|i| format!("{} ({})", label(lang, "indicator", i.as_str()), i.rule()))
                    .collect(),
                answers: s
                    .answers
                    .iter()
                    .map(|a| {
                        (
                            lang.t(&format!("screen-{}", a.question)),
                            label(lang, "answer", &a.answer),
                        )
                    })
                    .collect(),
                notes: s.notes.clone(),
            })
        })
        .collect();
    let mut attachments = Vec::new();
    for a in stored_attachments {
        if !case.sees(a.compartment) {
            continue;
        }
        let file = crate::case::sealed::unseal_text(
            state,
            "case_attachments",
            "name",
            &a.id.to_string(),
            &a.name,
        )
        .await?;
        attachments.push((
            a.id,
            file,
            a.content_type.clone(),
            format!("{:.1} KB", a.size as f64 / 1024.0),
            format!("{} — {}", when(a.at), name(a.by)),
        ));
    }
    let stage = case.header.stage;
    let age = person.age(today);
    let (age_label, minor) = age_text(lang, age);
    let may_manage_team = access::may_manage_team(&case.actor, &case.facts);
    // Tasks go to people on the team (only they can see the case).
    let mut member_list: Vec<(UserId, String)> = case
        .facts
        .team
        .iter()
        .map(|(u, _)| (*u, name(*u)))
        .collect();
    member_list.sort_by(|a, b| a.1.cmp(&b.1));
    member_list.dedup_by(|a, b| a.0 == b.0);
    Ok(RecordSections {
        case_id: case.facts.id,
        may_edit: case.may_edit,
        advocate: case.advocate,
        may_manage_team,
        stage: label(lang, "stage", stage.as_str()),
        stage_code: stage.as_str(),
        closed_reason: case
            .header
            .closed_reason
            .map(|r| label(lang, "closed", r.as_str())),
        stages: choices(
            lang,
            "stage",
            &Stage::ALL
                .iter()
                .filter(|s| rec::may_change_stage(stage, **s))
                .map(|s| s.as_str())
                .collect::<Vec<_>>(),
            &[],
        ),
        closed_reasons: choices(lang, "closed", &rec::ClosedReason::codes(), &[]),
        cooperation: choices(
            lang,
            "cooperation",
            &rec::Cooperation::codes(),
            &[case.header.cooperation.as_str().to_owned()],
        ),
        cooperation_label: label(lang, "cooperation", case.header.cooperation.as_str()),
        hhs: case.header.hhs_notice_due_at.map(|due| HhsView {
            due: when(due),
            overdue: case.header.hhs_notice_met_at.is_none() && due < now,
            met: case.header.hhs_notice_met_at.map(when),
        }),
        age: age_label,
        minor,
        person_facts: person_facts(lang, person),
        first_language: person
            .profile
            .languages
            .first()
            .cloned()
            .unwrap_or_default(),
        trafficking_facts: trafficking_facts(lang, &trafficking),
        team: case
            .facts
            .team
            .iter()
            .map(|(u, r)| {
                (
                    *u,
                    r.as_str(),
                    format!("{}: {}", name(*u), lang.t(&format!("team-{}", r.as_str()))),
                )
            })
            .collect(),
        team_roles: choices(
            lang,
            "teamrole",
            &TeamRole::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            &[],
        ),
        plan_items: of_kind(EntryKind::PlanItem)
            .map(|p| (p.entry.id, p.details.text.clone()))
            .collect(),
        needs,
        open_tasks,
        timeline,
        timeline_total,
        rights,
        screenings,
        attachments,
        need_categories: choices(lang, "need", &rec::NeedCategory::codes(), &[]),
        urgencies: choices(lang, "urgency", &rec::Urgency::codes(), &[]),
        event_kinds: choices(
            lang,
            "entry",
            &["contact", "service", "court", "interview", "note"],
            &[],
        ),
        rights_items: choices(lang, "right", &rec::RightsItem::codes(), &[]),
        plan_statuses: choices(lang, "plan", &rec::PlanStatus::codes(), &[]),
        members: member_list,
        echo,
    })
}

/// Opens the case a form posts to, after the CSRF check.
pub(crate) async fn posted_case(
    state: &AppState,
    me: &Authenticated,
    id: CaseId,
    rid: Option<String>,
) -> Result<OpenCase, AppError> {
    crate::case::open_case(state, &Actor::of(&me.user), id, rid).await
}

/// Adds or removes a team member.
///
/// # Errors
/// Not allowed; unknown user; a role the user cannot hold.
pub async fn set_team(
    state: &AppState,
    case: &OpenCase,
    user: &str,
    role: &str,
    add: bool,
    rid: Option<String>,
) -> Result<(), AppError> {
    if !access::may_manage_team(&case.actor, &case.facts) {
        return Err(AppError::Forbidden(
            "The team is managed by the owner specialist and supervisors.".into(),
        ));
    }
    let mut p = crate::web::problems::Problems::default();
    let role = p.code("role", role, TeamRole::parse, || {
        TeamRole::ALL.iter().map(|r| r.as_str()).collect()
    });
    let user = match user.parse::<UserId>() {
        Ok(u) => state.store.user(u).await?,
        Err(_) => None,
    };
    // A law-enforcement organization's enabled account (its roles are
    // checked against the team role below).
    let partner = match &user {
        Some(u) if add && !u.disabled && u.organization_id != case.facts.organization => state
            .store
            .organization(u.organization_id)
            .await?
            .is_some_and(|o| o.kind == haven_domain::OrgKind::LawEnforcement),
        _ => false,
    };
    match (&user, role) {
        (None, _) => p.add(
            "user",
            "unknown_user",
            "user must be a user of the case's organization.",
        ),
        // Partner agencies: an agent or interviewer of a law-enforcement
        // organization may join another organization's case team.
        (Some(u), r)
            if add
                && u.organization_id != case.facts.organization
                && !(matches!(r, Some(TeamRole::Agent | TeamRole::Interviewer)) && partner) =>
        {
            p.add(
                "user",
                "unknown_user",
                "user must be a user of the case's organization, or a law-enforcement agent or interviewer of a partner agency.",
            );
        }
        (Some(u), Some(r)) if add && !record::fits_team_role(&u.roles, r) => {
            p.add(
                "role",
                "wrong_role",
                "This person's roles do not fit that place on the team.",
            );
        }
        _ => {}
    }
    if role.is_none() {
        p.add("role", "required", "role is required.");
    }
    p.finish()?;
    let (Some(user), Some(role)) = (user, role) else {
        return Err(AppError::Internal("checked above".into()));
    };
    if !add
        && role == TeamRole::OwnerSpecialist
        && case
            .facts
            .team
            .iter()
            .filter(|(_, r)| *r == TeamRole::OwnerSpecialist)
            .count()
            <= 1
    {
        return Err(AppError::Invalid {
            code: "last_owner",
            field: Some("role"),
            message: "A case keeps an owner specialist: add the new owner first.".into(),
        });
    }
    let audit = AuditEntry::new(AuditAction::TeamChanged)
        .by(case.actor.user, case.actor.organization)
        .on("case", case.facts.id)
        .request(rid);
    state
        .store
        .set_team_member(case.facts.id, user.id, role, add, &audit)
        .await?;
    Ok(())
}

/// The printable rights notice, in English or Spanish (R-1, R-2, 28 CFR
/// 1100.33). Nothing personal is on it, so it can be handed over as is.
pub async fn rights_notice(
    lang: Lang,
    axum::extract::Query(q): axum::extract::Query<HashMap<String, String>>,
) -> Response {
    let notice_lang = q.get("lang").and_then(|c| Lang::parse(c)).unwrap_or(lang);
    let page = RightsNotice {
        lang: notice_lang,
        items: rec::RightsItem::ALL
            .iter()
            .map(|r| {
                (
                    notice_lang.t(&format!("pick-right-{}", r.as_str())),
                    notice_lang.t(&format!("notice-right-{}", r.as_str())),
                    r.rule(),
                )
            })
            .collect(),
        hotlines: notice_lang.t("notice-hotlines"),
    };
    crate::web::pages::render(&page, StatusCode::OK)
}

#[derive(askama::Template)]
#[template(path = "record/rights_notice.html")]
struct RightsNotice {
    lang: Lang,
    items: Vec<(String, String, &'static str)>,
    hotlines: String,
}

impl RightsNotice {
    fn t(&self, key: &str) -> String {
        self.lang.t(key)
    }
}

/// Screening question ids with their labels, for templates and the API doc.
#[must_use]
pub fn screening_questions(lang: Lang) -> Vec<(&'static str, String)> {
    SCREENING_QUESTIONS
        .iter()
        .map(|(id, _)| (*id, lang.t(&format!("screen-{id}"))))
        .collect()
}
