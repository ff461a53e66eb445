//! Relief and benefits on a case: the trackers' facts, the rules engine's
//! answer, law-enforcement declarations and certifications, the deadline
//! dashboard, and the reminder and delivery jobs. One service for the pages
//! and the API.
//!
//! The person's date of birth and citizenship, the kind of exploitation and
//! the HHS-5 times belong to the case record; the trackers store the rest
//! (`case_relief.facts`, encrypted). Every write re-runs the engine and
//! stores the deadlines it finds, in the same transaction.

use crate::AppState;
use crate::case::OpenCase;
use crate::case::PersonView;
use crate::case::open_case;
use crate::case::person_view;
use crate::case::sealed::seal;
use crate::case::sealed::seal_json;
use crate::case::sealed::unseal_json;
use crate::case::sealed::unseal_text;
use crate::case::trafficking_view;
use crate::web::error::{AppError, FieldError};
use haven_domain::access::{self, CaseAction, CaseDecision};
use haven_domain::policy::Actor;
use haven_domain::relief::documents::{DocumentContent, DocumentKind, DocumentStatus};
use haven_domain::relief::facts::{QualifyingCrime, UCertification};
use haven_domain::relief::{self, Evaluation, FACTS_FORMAT, Facts, Parameters};
use haven_domain::{AuditAction, AuditEntry, CaseId, DocumentId, MessageId};
use haven_store::{
    CaseBundle, DeadlineQuery, DeadlineRow, ReliefWrite, Signing, StoredDocument, Withdrawal,
};
use sha2::{Digest, Sha256};
use time::{Date, Duration, OffsetDateTime};

const TEXT_MAX: usize = 8000;
const SHORT_MAX: usize = 300;

/// The evaluation date: today in UTC.
#[must_use]
pub fn today() -> Date {
    haven_domain::now().date()
}

fn audit(actor: &Actor, action: AuditAction, case: CaseId, rid: Option<String>) -> AuditEntry {
    AuditEntry::new(action)
        .by(actor.user, actor.organization)
        .on("case", case)
        .request(rid)
}

/// The trackers' stored facts, or an empty document.
async fn stored_facts(state: &AppState, case: CaseId) -> Result<Facts, AppError> {
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
async fn compose(
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
fn strip_record_fields(f: &mut Facts) {
    f.format = FACTS_FORMAT.into();
    f.person.date_of_birth = None;
    f.person.date_of_birth_is_estimate = None;
    f.person.citizenship = None;
    f.trafficking.kind = None;
    f.hhs.identified_by_official_at = None;
    f.hhs.notified_at = None;
}

fn facts_error(e: relief::FactsError) -> AppError {
    AppError::InvalidAt {
        code: "impossible_facts",
        path: e.field,
        message: e.message,
    }
}

fn deadline_rows(case: CaseId, e: &Evaluation) -> Vec<DeadlineRow> {
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
fn linked_to_application(f: &Facts) -> bool {
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
async fn prepare_write(
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
async fn open_relief_for_edit(
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

async fn write_facts(
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

// ---------------------------------------------------------------- documents

/// A declaration or certification, decrypted, with what the reader may do.
pub struct DocumentView {
    pub doc: StoredDocument,
    pub content: DocumentContent,
    pub withdrawal_reason: Option<String>,
    /// The content still hashes to what was signed.
    pub hash_verified: Option<bool>,
    pub may_edit: bool,
    pub may_sign: bool,
    pub may_withdraw: bool,
    /// The reader may open the case itself (not only this document).
    pub case_visible: bool,
    /// The case behind it, as read for the decision (reused to write its
    /// facts when signing or withdrawing).
    bundle: CaseBundle,
}

fn content_hash(content: &DocumentContent) -> Result<Vec<u8>, AppError> {
    let bytes = serde_json::to_vec(content).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(Sha256::digest(&bytes).to_vec())
}

#[must_use]
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Drafts a declaration (I-914 B) or certification (I-918 B) on a case,
/// filled from the case: the agency, the victim's name and date of birth,
/// the crimes and their dates. The agent completes it; a certifying
/// official signs it.
///
/// # Errors
/// Not found; not law enforcement on the case team.
pub async fn draft_document(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    kind: DocumentKind,
    rid: Option<String>,
) -> Result<DocumentId, AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    if !access::may_draft_le_document(actor, &open.facts) {
        return Err(AppError::Forbidden(
            "Declarations and certifications are drafted by law-enforcement staff on the case team."
                .into(),
        ));
    }
    let (facts, person) = compose(state, &open, stored_facts(state, case).await?).await?;
    let agency = state
        .store
        .organization(actor.organization)
        .await?
        .map(|o| o.name)
        .unwrap_or_default();
    let (victim_name, victim_dob) =
        person.map_or((String::new(), None), |v| (v.name, v.birth_date));
    let mut crimes = facts.u_crime.crimes.clone();
    if crimes.is_empty() && facts.trafficking.kind.is_some() {
        crimes.push(QualifyingCrime::Trafficking);
    }
    let content = DocumentContent {
        agency_name: agency,
        victim_name,
        victim_date_of_birth: victim_dob,
        crimes: if kind == DocumentKind::I918b {
            crimes
        } else {
            Vec::new()
        },
        crime_from: facts
            .trafficking
            .first_act_on
            .or(facts.u_crime.first_occurred_on),
        crime_to: facts.trafficking.last_act_on,
        ..DocumentContent::default()
    };
    let id = DocumentId::new();
    let now = haven_domain::now();
    let doc = StoredDocument {
        id,
        case,
        kind,
        agency: actor.organization,
        status: DocumentStatus::Draft,
        content: seal_json(
            state,
            "relief_documents",
            "content",
            &id.to_string(),
            &content,
        )?,
        content_sha256: None,
        drafted_by: actor.user,
        drafted_at: now,
        updated_at: now,
        signed_by: None,
        signer_role: None,
        signed_at: None,
        withdrawn_by: None,
        withdrawn_at: None,
        withdrawal_reason: None,
    };
    state
        .store
        .create_document(&doc, &audit(actor, AuditAction::DocumentDrafted, case, rid))
        .await?;
    Ok(id)
}

/// Opens a document: the case team (whoever may view the case) and the
/// certifying officials of its agency. Audited before anything is
/// decrypted; a refusal is answered "not found".
///
/// # Errors
/// Not found or refused; decryption failures.
pub async fn open_document(
    state: &AppState,
    actor: &Actor,
    id: DocumentId,
    rid: Option<String>,
) -> Result<DocumentView, AppError> {
    let Some(doc) = state.store.document(id).await? else {
        return Err(AppError::NotFound);
    };
    let Some(bundle) = state.store.case_bundle(doc.case).await? else {
        return Err(AppError::NotFound);
    };
    let view = access::authorize_case(
        actor,
        CaseAction::View,
        &bundle.facts,
        &bundle.consents,
        haven_domain::now(),
    );
    let entry = |a| {
        AuditEntry::new(a)
            .by(actor.user, actor.organization)
            .on("relief_document", id)
            .request(rid.clone())
    };
    if !access::may_read_le_document(actor, view, doc.agency) {
        state
            .store
            .append_audit(&[entry(AuditAction::AccessDenied)])
            .await?;
        return Err(AppError::NotFound);
    }
    state
        .audit_writer
        .record(entry(AuditAction::DocumentRead))
        .await?;
    let row = id.to_string();
    let content: DocumentContent =
        unseal_json(state, "relief_documents", "content", &row, &doc.content).await?;
    let withdrawal_reason = match &doc.withdrawal_reason {
        Some(b) => {
            Some(unseal_text(state, "relief_documents", "withdrawal_reason", &row, b).await?)
        }
        None => None,
    };
    let hash_verified = match &doc.content_sha256 {
        Some(h) => Some(content_hash(&content)? == *h),
        None => None,
    };
    let signer = access::may_sign_le_document(actor, doc.agency);
    let drafter =
        doc.agency == actor.organization && access::may_draft_le_document(actor, &bundle.facts);
    let draft = doc.status == DocumentStatus::Draft;
    Ok(DocumentView {
        case_visible: matches!(view, CaseDecision::Allow | CaseDecision::AllowEmergency),
        bundle,
        may_edit: draft && (signer || drafter),
        may_sign: draft && signer,
        may_withdraw: doc.status == DocumentStatus::Signed && signer,
        doc,
        content,
        withdrawal_reason,
        hash_verified,
    })
}

fn check_text(problems: &mut Vec<FieldError>, field: &'static str, value: &str, max: usize) {
    if value.chars().count() > max {
        problems.push(FieldError {
            field,
            code: "too_long",
            message: format!("At most {max} characters."),
        });
    }
    if value.contains('\0') {
        problems.push(FieldError {
            field,
            code: "bad_text",
            message: "Text may not contain NUL characters.".into(),
        });
    }
}

fn validate_content(c: &DocumentContent) -> Result<(), AppError> {
    let mut problems = Vec::new();
    for (field, value) in [
        ("agency_name", &c.agency_name),
        ("victim_name", &c.victim_name),
        ("crime_location", &c.crime_location),
    ] {
        check_text(&mut problems, field, value, SHORT_MAX);
    }
    for (field, value) in [
        ("statutes", &c.statutes),
        ("description", &c.description),
        ("injuries", &c.injuries),
        ("helpfulness", &c.helpfulness),
    ] {
        check_text(&mut problems, field, value, TEXT_MAX);
    }
    if let (Some(from), Some(to)) = (c.crime_from, c.crime_to)
        && to < from
    {
        problems.push(FieldError {
            field: "crime_to",
            code: "before_start",
            message: "The end of the crime is before its start.".into(),
        });
    }
    first_problem(problems)
}

fn first_problem(problems: Vec<FieldError>) -> Result<(), AppError> {
    let Some(first) = problems.first().cloned() else {
        return Ok(());
    };
    Err(AppError::Invalid {
        code: first.code,
        field: Some(first.field),
        message: first.message,
    }
    .with_errors(problems))
}

/// Saves a draft's content.
///
/// # Errors
/// Not allowed; not a draft any more; invalid text.
pub async fn save_document(
    state: &AppState,
    actor: &Actor,
    id: DocumentId,
    content: &DocumentContent,
    rid: Option<String>,
) -> Result<(), AppError> {
    let view = open_document(state, actor, id, rid.clone()).await?;
    if !view.may_edit {
        return Err(not_editable(&view));
    }
    validate_content(content)?;
    let sealed = seal_json(
        state,
        "relief_documents",
        "content",
        &id.to_string(),
        content,
    )?;
    let changed = state
        .store
        .update_document_draft(
            id,
            &sealed,
            haven_domain::now(),
            &audit(actor, AuditAction::DocumentDrafted, view.doc.case, rid),
        )
        .await?;
    if changed {
        Ok(())
    } else {
        Err(signed_already())
    }
}

fn signed_already() -> AppError {
    AppError::Invalid {
        code: "already_signed",
        field: None,
        message: "This document is signed: it can no longer change. It can be withdrawn with a written explanation.".into(),
    }
}

fn not_editable(view: &DocumentView) -> AppError {
    if view.doc.status == DocumentStatus::Draft {
        AppError::Forbidden("Only the drafting agency's law-enforcement staff and its certifying officials change a draft.".into())
    } else {
        signed_already()
    }
}

/// Signs a draft: a certifying official of its agency, with every required
/// statement made (U-6). The signature date goes into the case's facts (the
/// six-month rule of U-7 starts there), in the same transaction.
///
/// # Errors
/// Not allowed; required content missing (each field named); not a draft.
pub async fn sign_document(
    state: &AppState,
    actor: &Actor,
    id: DocumentId,
    rid: Option<String>,
) -> Result<Date, AppError> {
    let view = open_document(state, actor, id, rid.clone()).await?;
    if view.doc.status != DocumentStatus::Draft {
        return Err(signed_already());
    }
    if !view.may_sign {
        return Err(AppError::Forbidden(
            "Only a certifying official of the agency that drafted it can sign this document (U-5, T-5).".into(),
        ));
    }
    let gaps = view.content.gaps(view.doc.kind);
    if !gaps.is_empty() {
        let problems = gaps
            .iter()
            .map(|g| FieldError {
                field: g.field,
                code: "required_to_sign",
                message: format!("Required before signing ({}).", g.rule),
            })
            .collect();
        return first_problem(problems).map(|()| today());
    }
    let hash = content_hash(&view.content)?;
    let case = view.doc.case;
    let open = open_for_write(actor, view.bundle);
    let mut facts = stored_facts(state, case).await?;
    let signed_on = today();
    match view.doc.kind {
        // U-5: who signed, for which agency, goes with the signature, so a
        // re-signing starts the six months from the new date.
        DocumentKind::I918b => {
            let signer = state.store.user(actor.user).await?;
            facts.u_certification = UCertification {
                signed: None,
                signed_on: Some(signed_on),
                withdrawn_on: None,
                signer_name: signer.map(|u| u.display_name),
                signer_role: view.content.signer_role,
                agency_name: Some(view.content.agency_name.trim().to_owned()),
                agency_kind: view.content.agency_kind,
            };
        }
        DocumentKind::I914b => {
            facts.t_declaration.signed_on = Some(signed_on);
            facts.t_declaration.withdrawn_on = None;
        }
    }
    let (sealed, deadlines, flag, _) = prepare_write(state, &open, facts).await?;
    let role = haven_domain::Role::CertifyingOfficial.as_str();
    let signing = Signing {
        document: id,
        by: actor.user,
        role,
        at: haven_domain::now(),
        content_sha256: &hash,
    };
    let write = ReliefWrite {
        case,
        facts: &sealed,
        by: actor.user,
        at: signing.at,
        deadlines: &deadlines,
        flag_1367: flag,
    };
    if state
        .store
        .sign_document(
            &signing,
            &write,
            &audit(actor, AuditAction::DocumentSigned, case, rid),
        )
        .await?
    {
        Ok(signed_on)
    } else {
        Err(signed_already())
    }
}

/// The case behind a document, for writing its facts on behalf of a signer
/// who may not be on the case team: the document policy already allowed
/// it, and the write is audited as the signer's.
fn open_for_write(actor: &Actor, bundle: CaseBundle) -> OpenCase {
    OpenCase {
        may_edit: false,
        advocate: false,
        immigration: false,
        facts: bundle.facts,
        consents: bundle.consents,
        person: bundle.person,
        header: bundle.header,
        actor: actor.clone(),
    }
}

/// Withdraws (disavows) a signed document with a written explanation (T-5,
/// U-13). The case's facts record the withdrawal when this document's
/// signature is the one they hold.
///
/// # Errors
/// Not allowed; no explanation; not signed.
pub async fn withdraw_document(
    state: &AppState,
    actor: &Actor,
    id: DocumentId,
    reason: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    let view = open_document(state, actor, id, rid.clone()).await?;
    if !view.may_withdraw {
        return Err(if view.doc.status == DocumentStatus::Signed {
            AppError::Forbidden(
                "Only a certifying official of the signing agency can withdraw this document."
                    .into(),
            )
        } else {
            AppError::Invalid {
                code: "not_signed",
                field: None,
                message: "Only a signed document can be withdrawn.".into(),
            }
        });
    }
    let reason = haven_domain::text::trim_invisible(reason);
    if !haven_domain::text::has_visible(reason) {
        return Err(AppError::Invalid {
            code: "required",
            field: Some("reason"),
            message: "A withdrawal needs a written explanation (T-5, U-13).".into(),
        });
    }
    let mut problems = Vec::new();
    check_text(&mut problems, "reason", reason, TEXT_MAX);
    first_problem(problems)?;
    let case = view.doc.case;
    let signed_on = view.doc.signed_at.map(OffsetDateTime::date);
    let kind = view.doc.kind;
    let open = open_for_write(actor, view.bundle);
    let mut facts = stored_facts(state, case).await?;
    let (current, withdrawn_on) = match kind {
        DocumentKind::I918b => (
            facts.u_certification.signed_on,
            &mut facts.u_certification.withdrawn_on,
        ),
        DocumentKind::I914b => (
            facts.t_declaration.signed_on,
            &mut facts.t_declaration.withdrawn_on,
        ),
    };
    if current.is_some() && current == signed_on {
        *withdrawn_on = Some(today());
    }
    let (sealed, deadlines, flag, _) = prepare_write(state, &open, facts).await?;
    let at = haven_domain::now();
    let sealed_reason = seal(
        state,
        "relief_documents",
        "withdrawal_reason",
        &id.to_string(),
        reason.as_bytes(),
    )?;
    let write = ReliefWrite {
        case,
        facts: &sealed,
        by: actor.user,
        at,
        deadlines: &deadlines,
        flag_1367: flag,
    };
    if state
        .store
        .withdraw_document(
            &Withdrawal {
                document: id,
                by: actor.user,
                at,
                reason: &sealed_reason,
            },
            &write,
            &audit(actor, AuditAction::DocumentWithdrawn, case, rid),
        )
        .await?
    {
        Ok(())
    } else {
        Err(AppError::Invalid {
            code: "not_signed",
            field: None,
            message: "Only a signed document can be withdrawn.".into(),
        })
    }
}

/// Drafts waiting for the actor's signature (certifying officials only).
///
/// # Errors
/// Store failures.
pub async fn awaiting_signature(
    state: &AppState,
    actor: &Actor,
) -> Result<Vec<StoredDocument>, AppError> {
    if !access::may_sign_le_document(actor, actor.organization) {
        return Ok(Vec::new());
    }
    Ok(state.store.drafts_for_agency(actor.organization).await?)
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
async fn may_be_told(state: &AppState, m: &haven_store::ClaimedMessage) -> Result<bool, AppError> {
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
