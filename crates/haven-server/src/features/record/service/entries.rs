//! Entries on a case: needs, plan items, tasks, events, rights, screenings, notes, and their changes.

use super::*;

// ---------------------------------------------------------------- entries

/// The encrypted part of an entry. Which fields are used depends on the kind.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct EntryDetails {
    /// The note, summary, need description, goal or task title.
    pub text: String,
    #[serde(with = "rec::iso_date::option")]
    pub occurred_on: Option<Date>,
    pub urgency: Option<Urgency>,
    pub rights: Vec<RightsItem>,
    /// ISO 639 code of the language the rights were explained in.
    pub language: String,
    /// How: oral, written, both.
    pub method: String,
    pub screening: Option<Screening>,
    pub from_stage: Option<Stage>,
    pub to_stage: Option<Stage>,
    pub closed_reason: Option<ClosedReason>,
}

/// The plain (queryable) columns of an entry.
#[derive(Clone, Debug, Default)]
pub struct EntryColumns {
    pub category: Option<String>,
    pub status: Option<String>,
    pub due_on: Option<Date>,
    pub assignee: Option<UserId>,
    pub parent: Option<EntryId>,
}

#[allow(clippy::too_many_arguments)] // one constructor for every entry kind
pub(super) fn new_entry(
    state: &AppState,
    case: CaseId,
    by: UserId,
    kind: EntryKind,
    compartment: Compartment,
    cols: EntryColumns,
    details: &EntryDetails,
    at: OffsetDateTime,
) -> Result<StoredEntry, AppError> {
    let id = EntryId::new();
    Ok(StoredEntry {
        id,
        case,
        kind,
        compartment,
        category: cols.category,
        status: cols.status,
        due_on: cols.due_on,
        assignee: cols.assignee,
        parent: cols.parent,
        body: seal_json(state, "case_entries", "body", &id.to_string(), details)?,
        by,
        at,
        updated_at: at,
    })
}

/// A new entry on a case, from a form or the API.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EntryInput {
    /// contact, service, court, interview, note, need, plan_item, task or
    /// rights. (Status changes and screenings have their own operations.)
    pub kind: String,
    /// advocate or shared; advocate notes are closed to law enforcement.
    pub compartment: String,
    /// Note or summary; need description; plan goal; task title.
    pub text: String,
    /// YYYY-MM-DD: when a contact, service, court date or interview happened.
    pub occurred_on: String,
    /// Need category (needs); for plan items it comes from the need.
    pub category: String,
    /// immediate, high, medium or low (needs).
    pub urgency: String,
    /// The need a plan item serves, or the plan item a task belongs to.
    pub parent_id: Option<uuid::Uuid>,
    /// Plan target date or task due date, YYYY-MM-DD.
    pub due_on: String,
    /// Task assignee (a user of the case's organization).
    pub assignee: Option<uuid::Uuid>,
    /// Rights items explained (rights).
    pub rights: Vec<String>,
    /// ISO 639 language the rights were explained in.
    pub language: String,
    /// oral, written or both.
    pub method: String,
    /// A court date ahead is told to the person through their safe channel
    /// timely notice of court proceedings); `true` holds that notice
    /// when telling them now would not be safe or appropriate.
    pub hold_notice: bool,
}

/// A change to an entry: plan status, task done, dates, text.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct EntryPatch {
    /// Plan item: planned, in_progress, achieved, discontinued. Task: open or done.
    pub status: Option<String>,
    /// YYYY-MM-DD, or "" to clear.
    pub due_on: Option<String>,
    pub assignee: Option<uuid::Uuid>,
    pub text: Option<String>,
}

/// Records a typed entry. Validation names the field and the rule.
///
/// # Errors
/// Validation; not allowed to edit; a parent of the wrong kind.
pub async fn record_entry(
    state: &AppState,
    case: &OpenCase,
    input: &EntryInput,
    rid: Option<String>,
) -> Result<EntryId, AppError> {
    case.require_edit()?;
    let now = haven_domain::now();
    let mut p = Problems::default();
    let kind = p.code("kind", &input.kind, EntryKind::parse, EntryKind::codes);
    if input.kind.trim().is_empty() {
        p.add(
            "kind",
            "required",
            format!(
                "kind is required: one of {}.",
                EntryKind::codes().join(", ")
            ),
        );
    }
    if matches!(kind, Some(EntryKind::StatusChange | EntryKind::Screening)) {
        p.add(
            "kind",
            "not_allowed",
            "kind status_change and screening are recorded by their own operations.",
        );
    }
    let compartment = match input.compartment.trim() {
        "" | "shared" => Compartment::Shared,
        "advocate" => Compartment::Advocate,
        _ => {
            p.add(
                "compartment",
                "not_in_list",
                "compartment must be one of: advocate, shared.",
            );
            Compartment::Shared
        }
    };
    // A refusal, not a mistake in the input: answered like every other.
    if !access::may_write_compartment(&case.actor, compartment) {
        return Err(AppError::Forbidden(
            "Advocate records are written by victim services only.".into(),
        ));
    }
    let mut cols = EntryColumns::default();
    let mut details = EntryDetails::default();
    let today = now.date();
    match kind {
        Some(EntryKind::Contact | EntryKind::Service | EntryKind::Court | EntryKind::Interview) => {
            details.text = p.required("text", &input.text, TEXT_MAX);
            details.occurred_on = p.date("occurred_on", &input.occurred_on);
        }
        Some(EntryKind::Note) => details.text = p.required("text", &input.text, TEXT_MAX),
        Some(EntryKind::Need) => {
            let cat = p.code(
                "category",
                &input.category,
                NeedCategory::parse,
                NeedCategory::codes,
            );
            if cat.is_none() && input.category.trim().is_empty() {
                p.add("category", "required", "category is required for a need.");
            }
            let urgency = p.code("urgency", &input.urgency, Urgency::parse, Urgency::codes);
            details.urgency = Some(urgency.unwrap_or(Urgency::Medium));
            cols.category = cat.map(|c| c.as_str().to_owned());
            cols.status = details.urgency.map(|u| u.as_str().to_owned());
            details.text = p.text("text", &input.text, TEXT_MAX);
        }
        Some(EntryKind::PlanItem) => {
            details.text = p.required("text", &input.text, TEXT_MAX);
            cols.due_on = p.date("due_on", &input.due_on);
            cols.status = Some(PlanStatus::Planned.as_str().to_owned());
            match input.parent_id.map(EntryId::from_uuid) {
                Some(need) => match state.store.entry(case.facts.id, need).await? {
                    Some(e) if e.kind == EntryKind::Need => {
                        cols.category = e.category;
                        cols.parent = Some(need);
                    }
                    _ => p.add(
                        "parent_id",
                        "not_a_need",
                        "parent_id must be a need on this case.",
                    ),
                },
                None => p.add(
                    "parent_id",
                    "required",
                    "parent_id (the need this plan item serves) is required.",
                ),
            }
        }
        Some(EntryKind::Task) => {
            details.text = p.required("text", &input.text, SHORT_MAX);
            cols.due_on = p.date("due_on", &input.due_on);
            cols.status = Some("open".into());
            cols.assignee = Some(match input.assignee {
                Some(u) => {
                    let u = UserId::from_uuid(u);
                    match state.store.user(u).await? {
                        Some(user)
                            if user.organization_id == case.facts.organization
                                || case.facts.team.iter().any(|(t, _)| *t == u) =>
                        {
                            u
                        }
                        _ => {
                            p.add(
                                "assignee",
                                "unknown_user",
                                "assignee must be on the case team or a user of the case's organization.",
                            );
                            case.actor.user
                        }
                    }
                }
                None => case.actor.user,
            });
            if let Some(parent) = input.parent_id.map(EntryId::from_uuid) {
                match state.store.entry(case.facts.id, parent).await? {
                    Some(e) if e.kind == EntryKind::PlanItem => cols.parent = Some(parent),
                    _ => p.add(
                        "parent_id",
                        "not_a_plan_item",
                        "parent_id must be a plan item on this case.",
                    ),
                }
            }
        }
        Some(EntryKind::Rights) => {
            details.rights = p.codes(
                "rights",
                &input.rights,
                RightsItem::parse,
                RightsItem::codes,
            );
            if details.rights.is_empty() && input.rights.is_empty() {
                p.add(
                    "rights",
                    "required",
                    "rights: choose at least one right explained.",
                );
            }
            details.language = p
                .iso_codes(
                    "language",
                    std::slice::from_ref(&input.language),
                    &[2, 3],
                    false,
                )
                .into_iter()
                .next()
                .unwrap_or_default();
            if details.language.is_empty() && input.language.trim().is_empty() {
                p.add(
                    "language",
                    "required",
                    "language: say which language the rights were explained in.",
                );
            }
            details.method = match input.method.trim() {
                m @ ("oral" | "written" | "both") => m.to_owned(),
                _ => {
                    p.add(
                        "method",
                        "not_in_list",
                        "method must be one of: oral, written, both.",
                    );
                    String::new()
                }
            };
            details.occurred_on = p
                .past_date("occurred_on", &input.occurred_on, today)
                .or(Some(today));
            details.text = p.text("text", &input.text, TEXT_MAX);
        }
        _ => {}
    }
    p.finish()?;
    let kind = kind.ok_or_else(|| AppError::Internal("kind checked above".into()))?;
    let entry = new_entry(
        state,
        case.facts.id,
        case.actor.user,
        kind,
        compartment,
        cols,
        &details,
        now,
    )?;
    let notices = match (kind, details.occurred_on) {
        (EntryKind::Court, Some(on)) if !input.hold_notice => {
            crate::features::notices::court_notice(state, case, entry.id, on, now).await?
        }
        _ => None,
    };
    let audit = audit_by(&case.actor, AuditAction::EntryRecorded, rid).on("case", case.facts.id);
    state
        .store
        .add_entry(&entry, &audit, notices.as_slice())
        .await?;
    Ok(entry.id)
}

/// Changes a plan item's or task's status, dates or text.
///
/// # Errors
/// Validation; missing entry; not allowed.
pub async fn update_entry(
    state: &AppState,
    case: &OpenCase,
    id: EntryId,
    patch: &EntryPatch,
    rid: Option<String>,
) -> Result<(), AppError> {
    case.require_edit()?;
    let e = state
        .store
        .entry(case.facts.id, id)
        .await?
        .filter(|e| case.sees(e.compartment))
        .ok_or(AppError::NotFound)?;
    // Advocate entries are changed by victim services only, like they are
    // written (a release may let law enforcement read them, never edit).
    if !access::may_write_compartment(&case.actor, e.compartment) {
        return Err(AppError::Forbidden(
            "Advocate records are changed by victim services only.".into(),
        ));
    }
    let mut details: EntryDetails =
        unseal_json(state, "case_entries", "body", &id.to_string(), &e.body).await?;
    let mut p = Problems::default();
    let mut status = e.status.clone();
    if let Some(s) = &patch.status {
        let ok = match e.kind {
            EntryKind::PlanItem => PlanStatus::parse(s).is_some(),
            EntryKind::Task => s == "open" || s == "done",
            _ => false,
        };
        if ok {
            status = Some(s.clone());
        } else {
            p.add(
                "status",
                "not_in_list",
                match e.kind {
                    EntryKind::PlanItem => {
                        "status must be one of: planned, in_progress, achieved, discontinued."
                    }
                    EntryKind::Task => "status must be open or done.",
                    _ => "status can only change on plan items and tasks.",
                },
            );
        }
    }
    let due_on = match &patch.due_on {
        Some(d) => p.date("due_on", d),
        None => e.due_on,
    };
    let assignee = match patch.assignee {
        Some(u) if e.kind == EntryKind::Task => {
            let u = UserId::from_uuid(u);
            match state.store.user(u).await? {
                Some(user)
                    if user.organization_id == case.facts.organization
                        || case.facts.team.iter().any(|(t, _)| *t == u) =>
                {
                    Some(u)
                }
                _ => {
                    p.add(
                        "assignee",
                        "unknown_user",
                        "assignee must be on the case team or a user of the case's organization.",
                    );
                    e.assignee
                }
            }
        }
        _ => e.assignee,
    };
    if let Some(t) = &patch.text {
        details.text = p.required("text", t, TEXT_MAX);
    }
    p.finish()?;
    let update = EntryUpdate {
        id,
        case: case.facts.id,
        status,
        due_on,
        assignee,
        body: seal_json(state, "case_entries", "body", &id.to_string(), &details)?,
        at: haven_domain::now(),
    };
    let audit = audit_by(&case.actor, AuditAction::EntryUpdated, rid).on("case", case.facts.id);
    if state.store.update_entry(&update, &audit).await? {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Moves a case to another stage, with a timeline entry. Closing needs a
/// reason; a closed case only reopens.
///
/// # Errors
/// Validation; the stage changed meanwhile (conflict); not allowed.
pub async fn change_stage(
    state: &AppState,
    case: &OpenCase,
    to: &str,
    reason: &str,
    note: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    case.require_edit()?;
    let mut p = Problems::default();
    let from = case.header.stage;
    let to = p.code("stage", to, Stage::parse, Stage::codes);
    if to.is_none() {
        p.add("stage", "required", "stage is required.");
    }
    let reason = p.code(
        "closed_reason",
        reason,
        ClosedReason::parse,
        ClosedReason::codes,
    );
    if let Some(to) = to {
        if !rec::may_change_stage(from, to) {
            p.add(
                "stage",
                "not_allowed",
                format!(
                    "A case at stage {from} cannot move to {to}: a closed case can only be reopened."
                ),
            );
        }
        if to == Stage::Closed && reason.is_none() {
            p.add(
                "closed_reason",
                "required",
                "closed_reason is required to close a case.",
            );
        }
    }
    let note = p.text("note", note, TEXT_MAX);
    p.finish()?;
    let to = to.ok_or_else(|| AppError::Internal("stage checked above".into()))?;
    let now = haven_domain::now();
    let reason = reason.filter(|_| to == Stage::Closed);
    let entry = new_entry(
        state,
        case.facts.id,
        case.actor.user,
        EntryKind::StatusChange,
        Compartment::Shared,
        EntryColumns::default(),
        &EntryDetails {
            text: note,
            from_stage: Some(from),
            to_stage: Some(to),
            closed_reason: reason,
            ..EntryDetails::default()
        },
        now,
    )?;
    let audit = audit_by(&case.actor, AuditAction::CaseStageChanged, rid).on("case", case.facts.id);
    let change = HeaderChange::Stage { from, to, reason };
    if state
        .store
        .update_case_header(case.facts.id, &change, Some(&entry), now, &audit)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::Invalid {
            code: "stage_changed",
            field: Some("stage"),
            message: "Someone else changed this case's stage a moment ago. Reload and try again."
                .into(),
        })
    }
}

/// Records the victim's stance on cooperating with law enforcement. It
/// changes nothing else (victim-centered: services never depend on it).
///
/// # Errors
/// Validation; not allowed.
pub async fn set_cooperation(
    state: &AppState,
    case: &OpenCase,
    value: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    case.require_edit()?;
    let mut p = Problems::default();
    let c = p.code("cooperation", value, Cooperation::parse, Cooperation::codes);
    if c.is_none() {
        p.add(
            "cooperation",
            "required",
            format!(
                "cooperation must be one of: {}.",
                Cooperation::codes().join(", ")
            ),
        );
    }
    p.finish()?;
    let c = c.ok_or_else(|| AppError::Internal("checked above".into()))?;
    let audit = audit_by(&case.actor, AuditAction::CaseUpdated, rid).on("case", case.facts.id);
    state
        .store
        .update_case_header(
            case.facts.id,
            &HeaderChange::Cooperation(c),
            None,
            haven_domain::now(),
            &audit,
        )
        .await?;
    Ok(())
}

/// Records that HHS was notified (HHS-5), which stops the 24-hour clock.
///
/// # Errors
/// Nothing is due; not allowed.
pub async fn mark_hhs_notified(
    state: &AppState,
    case: &OpenCase,
    rid: Option<String>,
) -> Result<(), AppError> {
    case.require_edit()?;
    if case.header.hhs_notice_due_at.is_none() {
        return Err(AppError::Invalid {
            code: "not_due",
            field: None,
            message: "No HHS notification is due on this case (HHS-5 applies to minors identified by officials).".into(),
        });
    }
    let now = haven_domain::now();
    let audit = audit_by(&case.actor, AuditAction::HhsNotified, rid).on("case", case.facts.id);
    state
        .store
        .update_case_header(
            case.facts.id,
            &HeaderChange::HhsNotified(now),
            None,
            now,
            &audit,
        )
        .await?;
    Ok(())
}

/// Whether a role may be on a team in `role`.
#[must_use]
pub fn fits_team_role(roles: &[Role], team: TeamRole) -> bool {
    match team {
        TeamRole::OwnerSpecialist => roles.contains(&Role::VictimSpecialist),
        TeamRole::Agent => roles
            .iter()
            .any(|r| matches!(r, Role::LawEnforcementAgent | Role::CertifyingOfficial)),
        TeamRole::Interviewer => roles.contains(&Role::ForensicInterviewer),
        TeamRole::Supervisor => roles.contains(&Role::Supervisor),
    }
}

/// A decrypted entry for display.
pub struct EntryView {
    pub entry: StoredEntry,
    pub details: EntryDetails,
}

/// The entries of an opened case the actor may see, decrypted.
///
/// # Errors
/// When a value does not decrypt.
pub async fn entries_view(
    state: &AppState,
    case: &OpenCase,
    timeline_limit: u32,
) -> Result<(Vec<EntryView>, u64), AppError> {
    let (entries, total) = state
        .store
        .case_entries(case.facts.id, timeline_limit)
        .await?;
    Ok((visible_entries(state, case, entries).await?, total))
}

/// The entries the actor may see, of those read for an opened case,
/// decrypted.
///
/// # Errors
/// When a value does not decrypt.
pub async fn visible_entries(
    state: &AppState,
    case: &OpenCase,
    entries: Vec<StoredEntry>,
) -> Result<Vec<EntryView>, AppError> {
    let mut out = Vec::with_capacity(entries.len());
    for e in entries.into_iter().filter(|e| case.sees(e.compartment)) {
        let details =
            unseal_json(state, "case_entries", "body", &e.id.to_string(), &e.body).await?;
        out.push(EntryView { entry: e, details });
    }
    Ok(out)
}
