//! Scheduling, cancelling, observing and recording an interview.

use super::*;

// ------------------------------------------------------------- scheduling

/// The result of scheduling.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Scheduled {
    /// The appointment notice, when one was queued.
    pub notice: Option<NoticeQueued>,
    /// Why the victim could not be notified in writing (tell them another way).
    pub notice_problem: Option<String>,
}

/// Who or what is double-booked, as the scheduler knows them.
fn resource_name(resource: &str, interviewer: UserId) -> &'static str {
    match resource.split(':').next() {
        Some("person") => "The person",
        Some("place") => "The place",
        Some("interpreter") => "The interpreter",
        Some("user") if resource == format!("user:{interviewer}") => "The interviewer",
        Some("user") => "The accompanying specialist",
        _ => "A member of the interview team",
    }
}

/// Schedules (or reschedules) an interview.
///
/// # Errors
/// Not the interviewing organization's interviewer or supervisor; an
/// interviewer who may not conduct it; no interpreter when one is needed;
/// a time in the past; a conflict with another appointment.
pub async fn schedule(
    state: &AppState,
    actor: &Actor,
    id: InterviewId,
    input: &ScheduleInput,
    rid: Option<String>,
) -> Result<Scheduled, AppError> {
    let row = state.store.interview(id).await?.ok_or(AppError::NotFound)?;
    if !interview::may_handle(actor, row.org) {
        return Err(AppError::NotFound);
    }
    if !matches!(
        row.status,
        InterviewStatus::Requested | InterviewStatus::Scheduled
    ) {
        return Err(invalid(
            "not_open",
            "status",
            "This interview is completed or cancelled.",
        ));
    }
    let now = haven_domain::now();
    let starts_at = parse_local(state, &input.starts_at).ok_or_else(|| {
        invalid(
            "bad_time",
            "starts_at",
            "starts_at must be a date and time (2026-12-08T10:00).",
        )
    })?;
    if starts_at <= now {
        return Err(invalid(
            "in_the_past",
            "starts_at",
            "Choose a time in the future.",
        ));
    }
    let minutes = if input.minutes == 0 {
        60
    } else {
        i64::from(input.minutes)
    };
    if !(15..=interview::MAX_MINUTES).contains(&minutes) {
        return Err(invalid(
            "bad_length",
            "minutes",
            format!(
                "An interview lasts 15 to {} minutes.",
                interview::MAX_MINUTES
            ),
        ));
    }
    let ends_at = starts_at + Duration::minutes(minutes);
    let interviewer_id = input
        .interviewer_id
        .map(UserId::from_uuid)
        .ok_or_else(|| invalid("required", "interviewer_id", "Choose the interviewer."))?;
    let interviewer = state
        .store
        .user(interviewer_id)
        .await?
        .filter(|u| u.organization_id == row.org && !u.disabled)
        .ok_or_else(|| {
            invalid(
                "unknown_interviewer",
                "interviewer_id",
                "The interviewer must be an active member of the interviewing organization.",
            )
        })?;
    if !interview::may_conduct(&interviewer.roles, row.requires_specialist) {
        return Err(invalid(
            "not_a_specialist",
            "interviewer_id",
            if row.requires_specialist {
                "A child or a traumatized victim is interviewed by a forensic interview specialist (VAP-1)."
            } else {
                "The interviewer must be a forensic interviewer or a law-enforcement agent."
            },
        ));
    }
    let specialist = match input.specialist_id {
        Some(s) => Some(
            state
                .store
                .user(UserId::from_uuid(s))
                .await?
                .filter(|u| !u.disabled && u.roles.contains(&Role::VictimSpecialist))
                .ok_or_else(|| {
                    invalid(
                        "not_a_specialist",
                        "specialist_id",
                        "The accompanying person must be a victim specialist.",
                    )
                })?
                .id,
        ),
        None => None,
    };
    let details = ScheduleDetails {
        place: text("place", &input.place)?,
        interpreter: text("interpreter", &input.interpreter)?,
        interpreter_language: text("interpreter_language", &input.interpreter_language)?,
        observers: text("observers", &input.observers)?,
        notes: text("notes", &input.notes)?,
    };
    if details.place.is_empty() {
        return Err(invalid(
            "required",
            "place",
            "Say where the interview takes place.",
        ));
    }
    if row.interpreter_needed && details.interpreter.is_empty() {
        return Err(invalid(
            "interpreter_required",
            "interpreter",
            "This person needs an interpreter: name the interpreter.",
        ));
    }
    let keys = state.keyring.current();
    let fold = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .to_lowercase()
    };
    let mut resources = vec![format!("user:{}", interviewer.id)];
    if let Some(s) = specialist {
        resources.push(format!("user:{s}"));
    }
    match row.person {
        Some(p) => resources.push(format!("person:{p}")),
        None => resources.push(format!("person:case:{}", row.case)),
    }
    resources.push(format!(
        "place:{}",
        hex(&keys.blind_index("interview place", &fold(&details.place)))
    ));
    if !details.interpreter.is_empty() {
        resources.push(format!(
            "interpreter:{}",
            hex(&keys.blind_index("interview interpreter", &fold(&details.interpreter)))
        ));
    }
    let rs = id.to_string();
    let schedule = seal_json(state, "interviews", "schedule", &rs, &details)?;
    let when = local_text(state, starts_at);
    let mut recipients = vec![interviewer.id, row.requested_by];
    recipients.extend(specialist);
    recipients.sort();
    recipients.dedup();
    let stamp = starts_at.unix_timestamp();
    let messages: Vec<OutboxMessage> = recipients
        .into_iter()
        .map(|u| {
            message(
                "interview_scheduled",
                format!("interview-scheduled:{id}:{stamp}:{u}"),
                u,
                serde_json::json!({"interview": id, "date": when}),
            )
        })
        .collect();
    let (deliveries, notice, notice_problem) = if input.notify_victim {
        let bundle = state
            .store
            .case_bundle(row.case)
            .await?
            .ok_or(AppError::NotFound)?;
        match notices::compose(
            state,
            &bundle.facts,
            bundle.person.as_ref(),
            actor.user,
            NoticeEvent::Appointment,
            Some(&when),
            Some(format!("appointment:{id}:{stamp}")),
            now,
        )
        .await
        {
            Ok((d, q)) => (vec![d], Some(q), None),
            Err(AppError::Invalid { message, .. }) => (Vec::new(), None, Some(message)),
            Err(e) => return Err(e),
        }
    } else {
        (Vec::new(), None, None)
    };
    let outcome = state
        .store
        .schedule_interview(
            &ScheduleWrite {
                id,
                from_status: row.status,
                interviewer: interviewer.id,
                specialist,
                starts_at,
                ends_at,
                schedule: &schedule,
                resources: &resources,
                messages: &messages,
                deliveries: &deliveries,
                now,
            },
            &audit(actor, AuditAction::InterviewScheduled, "interview", id, rid),
        )
        .await?;
    match outcome {
        ScheduleOutcome::Scheduled => Ok(Scheduled {
            notice,
            notice_problem,
        }),
        ScheduleOutcome::Stale => Err(invalid(
            "changed",
            "status",
            "Someone changed this interview meanwhile; reload and try again.",
        )),
        ScheduleOutcome::Conflict {
            resource,
            starts_at,
            ends_at,
            ..
        } => Err(invalid(
            "schedule_conflict",
            "starts_at",
            format!(
                "{} already has an interview from {} to {}. Choose another time.",
                resource_name(&resource, interviewer.id),
                local_text(state, starts_at),
                local_text(state, ends_at)
                    .split(' ')
                    .nth(1)
                    .unwrap_or_default()
            ),
        )),
    }
}

/// Cancels an interview (requester's case team or the interviewing team).
///
/// # Errors
/// Not allowed; already completed or cancelled.
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    id: InterviewId,
    rid: Option<String>,
) -> Result<(), AppError> {
    let a = access(state, actor, id, rid.clone()).await?;
    if !(a.handle || a.edit_case) {
        return Err(AppError::Forbidden(
            "Only the case team or the interviewers can cancel.".into(),
        ));
    }
    let ok = state
        .store
        .change_interview(
            &InterviewChange {
                id,
                from_status: a.row.status,
                to_status: InterviewStatus::Cancelled,
                summary: None,
                add_observer: None,
                now: haven_domain::now(),
            },
            &audit(actor, AuditAction::InterviewUpdated, "interview", id, rid),
        )
        .await?;
    if ok
        && matches!(
            a.row.status,
            InterviewStatus::Requested | InterviewStatus::Scheduled
        )
    {
        Ok(())
    } else {
        Err(invalid(
            "not_open",
            "status",
            "This interview is completed or cancelled.",
        ))
    }
}

/// Adds the actor's organization as an observer of an interview of the
/// person of `case` (instead of a new interview).
///
/// # Errors
/// Not allowed to request on the case; not an interview of this person;
/// completed or cancelled.
pub async fn observe(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    id: InterviewId,
    rid: Option<String>,
) -> Result<(), AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    if !interview::may_request(actor, open.may_edit) {
        return Err(AppError::NotFound);
    }
    let row = state.store.interview(id).await?.ok_or(AppError::NotFound)?;
    let same_person = match (&open.person, row.person) {
        (Some(p), Some(q)) => p.id == q,
        _ => row.case == case,
    };
    if !same_person {
        return Err(AppError::NotFound);
    }
    if !matches!(
        row.status,
        InterviewStatus::Requested | InterviewStatus::Scheduled
    ) {
        return Err(invalid(
            "not_open",
            "status",
            "This interview is completed or cancelled.",
        ));
    }
    let ok = state
        .store
        .change_interview(
            &InterviewChange {
                id,
                from_status: row.status,
                to_status: row.status,
                summary: None,
                add_observer: Some(actor.organization),
                now: haven_domain::now(),
            },
            &audit(actor, AuditAction::InterviewUpdated, "interview", id, rid),
        )
        .await?;
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "changed",
            "status",
            "Someone changed this interview meanwhile; reload and try again.",
        ))
    }
}

/// Records a held interview: its summary in a compartment; completes it.
///
/// # Errors
/// Not the interviewing team; not scheduled; the advocate compartment from
/// a law-enforcement role.
pub async fn record(
    state: &AppState,
    actor: &Actor,
    id: InterviewId,
    summary: &str,
    compartment: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    let row = state.store.interview(id).await?.ok_or(AppError::NotFound)?;
    if !interview::may_handle(actor, row.org) {
        return Err(AppError::NotFound);
    }
    let summary = text("summary", summary)?;
    if summary.is_empty() {
        return Err(invalid("required", "summary", "Write the summary."));
    }
    let comp = match compartment {
        "advocate" => Compartment::Advocate,
        "shared" | "" => Compartment::Shared,
        _ => {
            return Err(invalid(
                "bad_code",
                "compartment",
                "compartment must be advocate or shared.",
            ));
        }
    };
    if !may_write_compartment(actor, comp) {
        return Err(invalid(
            "compartment_not_allowed",
            "compartment",
            "Advocate-confidential records are written by victim services only.",
        ));
    }
    if row.status != InterviewStatus::Scheduled && row.status != InterviewStatus::Completed {
        return Err(invalid(
            "not_scheduled",
            "status",
            "Schedule the interview first.",
        ));
    }
    let sealed = seal(
        state,
        "interviews",
        "summary",
        &id.to_string(),
        summary.as_bytes(),
    )?;
    let comp_code = if comp == Compartment::Advocate {
        "advocate"
    } else {
        "shared"
    };
    let ok = state
        .store
        .change_interview(
            &InterviewChange {
                id,
                from_status: row.status,
                to_status: InterviewStatus::Completed,
                summary: Some((&sealed, comp_code)),
                add_observer: None,
                now: haven_domain::now(),
            },
            &audit(actor, AuditAction::InterviewUpdated, "interview", id, rid),
        )
        .await?;
    if ok {
        Ok(())
    } else {
        Err(invalid(
            "changed",
            "status",
            "Someone changed this interview meanwhile; reload and try again.",
        ))
    }
}
