//! Relief and benefits on a case: the trackers' facts, the rules engine's
//! answer, law-enforcement declarations and certifications, the deadline
//! dashboard, and the reminder and delivery jobs. One service for the pages
//! and the API.
//!
//! The person's date of birth and citizenship, the kind of exploitation and
//! the HHS-5 times belong to the case record; the trackers store the rest
//! (`case_relief.facts`, encrypted). Every write re-runs the engine and
//! stores the deadlines it finds, in the same transaction.

pub use super::documents::*;
use crate::AppState;
use crate::case::OpenCase;
use crate::case::PersonView;
use crate::case::open_case;
use crate::case::person_view;
use crate::case::sealed::seal_json;
use crate::case::sealed::unseal_json;
use crate::case::sealed::unseal_text;
use crate::case::trafficking_view;
use crate::web::error::AppError;
use haven_domain::access::{self};
use haven_domain::policy::Actor;
use haven_domain::relief::{self, Evaluation, FACTS_FORMAT, Facts, Parameters};
use haven_domain::{AuditAction, AuditEntry, CaseId, MessageId};
use haven_store::{DeadlineQuery, DeadlineRow, ReliefWrite, StoredDocument};
use time::{Date, Duration, OffsetDateTime};

pub(super) const TEXT_MAX: usize = 8000;
pub(super) const SHORT_MAX: usize = 300;

/// The evaluation date: today in UTC.
#[must_use]
pub fn today() -> Date {
    haven_domain::now().date()
}

pub(super) fn audit(
    actor: &Actor,
    action: AuditAction,
    case: CaseId,
    rid: Option<String>,
) -> AuditEntry {
    AuditEntry::new(action)
        .by(actor.user, actor.organization)
        .on("case", case)
        .request(rid)
}

/// The trackers' stored facts, or an empty document.
pub(super) async fn stored_facts(state: &AppState, case: CaseId) -> Result<Facts, AppError> {
    match state.store.relief(case).await? {
        Some(r) => unseal_json(state, "case_relief", "facts", &case.to_string(), &r.facts).await,
        None => Ok(Facts {
            format: FACTS_FORMAT.into(),
            ..Facts::default()
        }),
    }
}

/// What the case record knows, put into the facts: it wins over anything
/// the trackers hold for the same field. The decrypted person comes back too,
/// for callers that show or copy it.
pub(super) async fn compose(
    state: &AppState,
    open: &OpenCase,
    mut f: Facts,
) -> Result<(Facts, Option<PersonView>), AppError> {
    let mut view = None;
    if let Some(p) = &open.person {
        let person = person_view(state, p).await?;
        f.person.date_of_birth = person.birth_date;
        f.person.date_of_birth_is_estimate = None;
        // An estimated age ("about 24") stands in for a date of birth, and
        // every age-dependent answer says it is estimated (D-6).
        if let (None, Some(e)) = (person.birth_date, person.profile.estimated_age) {
            f.person.date_of_birth =
                haven_domain::relief::calendar::add_years(e.on, -i32::from(e.years));
            f.person.date_of_birth_is_estimate = Some(true);
        }
        f.person.citizenship = person.profile.residency;
        view = Some(person);
    }
    let profile = trafficking_view(state, open).await?;
    f.trafficking.kind = profile.exploitation;
    if let Some(due) = open.header.hhs_notice_due_at {
        f.hhs.identified_by_official_at = Some(due - Duration::hours(24));
        f.hhs.notified_at = open.header.hhs_notice_met_at;
    }
    Ok((f, view))
}

/// The fields the case record owns, cleared before the trackers' facts are
/// stored (they are composed back on every read).
pub(super) fn strip_record_fields(f: &mut Facts) {
    f.format = FACTS_FORMAT.into();
    f.person.date_of_birth = None;
    f.person.date_of_birth_is_estimate = None;
    f.person.citizenship = None;
    f.trafficking.kind = None;
    f.hhs.identified_by_official_at = None;
    f.hhs.notified_at = None;
}

pub(super) fn facts_error(e: relief::FactsError) -> AppError {
    AppError::InvalidAt {
        code: "impossible_facts",
        path: e.field,
        message: e.message,
    }
}

pub(super) fn deadline_rows(case: CaseId, e: &Evaluation) -> Vec<DeadlineRow> {
    let mut rows: Vec<DeadlineRow> = Vec::new();
    for o in &e.outcomes {
        for d in &o.deadlines {
            let row = DeadlineRow {
                case,
                kind: code(&d.kind),
                family_member: o.family_member.clone().unwrap_or_default(),
                pathway: o.pathway.as_str().to_owned(),
                actor: code(&d.actor),
                due_on: d.on,
                due_at: d.at,
            };
            // One row per kind and family member (the table's key): a kind
            // two pathways share keeps the earlier date.
            match rows
                .iter_mut()
                .find(|r| r.kind == row.kind && r.family_member == row.family_member)
            {
                Some(existing) if existing.due_on <= row.due_on => {}
                Some(existing) => *existing = row,
                None => rows.push(row),
            }
        }
    }
    rows
}

/// The snake_case code of a serde enum value.
pub fn code<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_value(v)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// T, U (and VAWA) applications bring the 1367 protections.
pub(super) fn linked_to_application(f: &Facts) -> bool {
    f.t_application.filed_on.is_some() || f.u_petition.filed_on.is_some()
}

/// A case's relief tab: the composed facts and the engine's answer.
pub struct ReliefView {
    pub open: OpenCase,
    /// The person's name (empty for a case without a person).
    pub name: String,
    /// The trackers' facts as stored (what the forms edit).
    pub tracker: Facts,
    pub facts: Facts,
    pub evaluation: Evaluation,
    pub documents: Vec<StoredDocument>,
}

/// Opens the case (audited) and evaluates every pathway as of today.
///
/// # Errors
/// Not found or refused; decryption failures.
pub async fn relief_view(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    rid: Option<String>,
) -> Result<ReliefView, AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    open.require_immigration(state, rid).await?;
    let stored = stored_facts(state, case).await?;
    let (facts, person) = compose(state, &open, stored.clone()).await?;
    let evaluation = relief::evaluate(&facts, today(), &Parameters::default());
    let documents = state.store.documents_for_case(case).await?;
    Ok(ReliefView {
        open,
        name: person.map(|p| p.name).unwrap_or_default(),
        tracker: stored,
        facts,
        evaluation,
        documents,
    })
}

/// The deadlines and the write of `stored` (tracker facts) for an opened
/// case, after checking the composed facts are possible.
pub(super) async fn prepare_write(
    state: &AppState,
    open: &OpenCase,
    mut stored: Facts,
) -> Result<(Vec<u8>, Vec<DeadlineRow>, bool, Evaluation), AppError> {
    strip_record_fields(&mut stored);
    let (composed, _) = compose(state, open, stored.clone()).await?;
    let today = today();
    composed.validate(today).map_err(facts_error)?;
    let evaluation = relief::evaluate(&composed, today, &Parameters::default());
    let deadlines = deadline_rows(open.facts.id, &evaluation);
    let sealed = seal_json(
        state,
        "case_relief",
        "facts",
        &open.facts.id.to_string(),
        &stored,
    )?;
    Ok((
        sealed,
        deadlines,
        linked_to_application(&stored),
        evaluation,
    ))
}

/// Replaces the trackers' facts of a case (the whole document), validated:
/// an impossible fact is refused naming its path, and nothing is written.
///
/// # Errors
/// Not allowed to edit; impossible facts; store failures.
pub async fn save_facts(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    facts: Facts,
    rid: Option<String>,
) -> Result<Evaluation, AppError> {
    let open = open_relief_for_edit(state, actor, case, rid.clone()).await?;
    write_facts(state, &open, facts, rid).await
}

/// Opens a case to change its relief facts: audited, then refused unless the
/// actor may see its immigration information and edit it, before any
/// stored fact is decrypted.
pub(super) async fn open_relief_for_edit(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    rid: Option<String>,
) -> Result<OpenCase, AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    open.require_immigration(state, rid).await?;
    open.require_edit()?;
    Ok(open)
}

pub(super) async fn write_facts(
    state: &AppState,
    open: &OpenCase,
    facts: Facts,
    rid: Option<String>,
) -> Result<Evaluation, AppError> {
    let actor = &open.actor;
    let case = open.facts.id;
    let (sealed, deadlines, flag, evaluation) = prepare_write(state, open, facts).await?;
    let write = ReliefWrite {
        case,
        facts: &sealed,
        by: actor.user,
        at: haven_domain::now(),
        deadlines: &deadlines,
        flag_1367: flag,
    };
    state
        .store
        .save_relief(&write, &audit(actor, AuditAction::ReliefUpdated, case, rid))
        .await?;
    Ok(evaluation)
}

/// Changes part of the trackers' facts (a page's form section).
///
/// # Errors
/// As [`save_facts`].
pub async fn update_facts(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    change: impl FnOnce(&mut Facts) -> Result<(), AppError>,
    rid: Option<String>,
) -> Result<Evaluation, AppError> {
    let open = open_relief_for_edit(state, actor, case, rid.clone()).await?;
    let mut facts = stored_facts(state, case).await?;
    change(&mut facts)?;
    write_facts(state, &open, facts, rid).await
}

// ---------------------------------------------------------------- deadlines

/// One upcoming deadline on a case the actor may see.
pub struct UpcomingDeadline {
    pub row: DeadlineRow,
    pub name: String,
}

/// Deadlines due in the next `days` days on the actor's cases (or only the
/// cases whose team they are on), soonest first. Showing names is a read of
/// those cases: one audit entry names them all.
///
/// # Errors
/// Store and decryption failures.
pub async fn upcoming(
    state: &AppState,
    actor: &Actor,
    days: u32,
    mine_only: bool,
    rid: Option<String>,
) -> Result<Vec<UpcomingDeadline>, AppError> {
    let now = haven_domain::now();
    let from = now.date();
    let q = DeadlineQuery {
        filter: access::case_filter(actor),
        mine_only,
        from,
        to: from + Duration::days(i64::from(days)),
        limit: 200,
        now,
    };
    let mut rows = state.store.upcoming_deadlines(&q).await?;
    // Deadlines are immigration information: on a 1367-protected case they
    // show only to those the policy lets see it.
    let mut protected: Vec<CaseId> = rows
        .iter()
        .filter(|r| r.flag_1367)
        .map(|r| r.deadline.case)
        .collect();
    protected.sort_unstable();
    protected.dedup();
    let mut hidden = Vec::new();
    for case in protected {
        let visible = match state.store.case_bundle(case).await? {
            Some(b) => access::may_see_immigration(actor, &b.facts, &b.consents, now),
            None => false,
        };
        if !visible {
            hidden.push(case);
        }
    }
    rows.retain(|r| !hidden.contains(&r.deadline.case));
    if !rows.is_empty() {
        // Each case once (a case's deadlines need not be adjacent in date order).
        let mut ids: Vec<String> = rows.iter().map(|r| r.deadline.case.to_string()).collect();
        ids.sort_unstable();
        ids.dedup();
        state
            .audit_writer
            .record(
                AuditEntry::new(AuditAction::RecordsListed)
                    .by(actor.user, actor.organization)
                    .on("case_list", ids.join(","))
                    .request(rid),
            )
            .await?;
    }
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let name = match (&r.person, &r.name) {
            (Some(p), Some(n)) => unseal_text(state, "persons", "name", &p.to_string(), n).await?,
            _ => String::new(),
        };
        out.push(UpcomingDeadline {
            row: r.deadline,
            name,
        });
    }
    Ok(out)
}

// ---------------------------------------------------------------- jobs

/// Queues today's reminders once a day, whichever instance gets there first:
/// one per case-team member for each deadline due within
/// `reminder_days_ahead`. Returns how many were queued, or `None` when
/// another instance holds the job or it already ran today.
///
/// # Errors
/// Store failures.
pub async fn queue_reminders(
    state: &AppState,
    owner: &str,
    now: OffsetDateTime,
) -> Result<Option<u64>, AppError> {
    let today = now.date();
    if !state
        .store
        .start_daily_job(
            "deadline_reminders",
            owner,
            today,
            now,
            now + Duration::minutes(10),
        )
        .await?
    {
        return Ok(None);
    }
    let to = today + Duration::days(i64::from(state.settings.reminder_days_ahead));
    let queued = state
        .store
        .enqueue_deadline_reminders(today, to, now)
        .await?;
    if queued > 0 {
        state
            .store
            .append_audit(&[AuditEntry::new(AuditAction::RemindersQueued).on("reminders", queued)])
            .await?;
    }
    state
        .store
        .finish_daily_job("deadline_reminders", owner, today)
        .await?;
    Ok(Some(queued))
}

/// Delivers pending staff notifications claimed under a lease; each message
/// becomes exactly one notification even when several instances run.
///
/// # Errors
/// Store failures.
pub async fn deliver_messages(
    state: &AppState,
    owner: &str,
    now: OffsetDateTime,
) -> Result<usize, AppError> {
    let claimed = state
        .store
        .claim_messages(owner, now, now + Duration::minutes(5), 200)
        .await?;
    let mut delivered = 0;
    for m in claimed {
        if !may_be_told(state, &m).await? {
            state
                .store
                .withhold_message(
                    m.id,
                    owner,
                    now,
                    "withheld: the reader may not see it (R-3)",
                )
                .await?;
            continue;
        }
        let email = crate::features::notices::staff_email(state, m.user, &m, now).await?;
        if state
            .store
            .deliver_notification(m.id, owner, now, email.as_ref())
            .await?
        {
            delivered += 1;
        }
    }
    Ok(delivered)
}

/// Whether a staff message's reader may see what it is about: a deadline
/// reminder on a 1367-protected case reaches only those who may see the
/// case's immigration information, checked when it is delivered, so a
/// release revoked since it was queued counts.
pub(super) async fn may_be_told(
    state: &AppState,
    m: &haven_store::ClaimedMessage,
) -> Result<bool, AppError> {
    let (Some(case), "deadline_reminder") = (m.case, m.kind.as_str()) else {
        return Ok(true);
    };
    let Some(user) = state.store.user(m.user).await? else {
        return Ok(false);
    };
    let Some(b) = state.store.case_bundle(case).await? else {
        return Ok(false);
    };
    Ok(access::may_see_immigration(
        &Actor::of(&user),
        &b.facts,
        &b.consents,
        haven_domain::now(),
    ))
}

/// Marks a notification read.
///
/// # Errors
/// Not the reader's; store failures.
pub async fn mark_read(state: &AppState, actor: &Actor, id: MessageId) -> Result<(), AppError> {
    if state
        .store
        .mark_notification_read(actor.user, id, haven_domain::now())
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}
