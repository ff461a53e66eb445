//! Declarations and certifications (I-914 B, I-918 B): drafted from the
//! case, checked before signing, signed by a certifying official (U-5),
//! withdrawn; each signature or withdrawal goes into the case's facts.

use super::service::*;
use crate::AppState;
use crate::case::OpenCase;
use crate::case::open_case;
use crate::case::sealed::seal;
use crate::case::sealed::seal_json;
use crate::case::sealed::unseal_json;
use crate::case::sealed::unseal_text;
use crate::web::error::{AppError, FieldError};
use haven_domain::access::{self, CaseAction, CaseDecision};
use haven_domain::policy::Actor;
use haven_domain::relief::documents::{DocumentContent, DocumentKind, DocumentStatus};
use haven_domain::relief::facts::{QualifyingCrime, UCertification};
use haven_domain::{AuditAction, AuditEntry, CaseId, DocumentId};
use haven_store::{CaseBundle, ReliefWrite, Signing, StoredDocument, Withdrawal};
use sha2::{Digest, Sha256};
use time::{Date, OffsetDateTime};

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

pub(super) fn content_hash(content: &DocumentContent) -> Result<Vec<u8>, AppError> {
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

pub(super) fn check_text(
    problems: &mut Vec<FieldError>,
    field: &'static str,
    value: &str,
    max: usize,
) {
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

pub(super) fn validate_content(c: &DocumentContent) -> Result<(), AppError> {
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

pub(super) fn first_problem(problems: Vec<FieldError>) -> Result<(), AppError> {
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

pub(super) fn signed_already() -> AppError {
    AppError::Invalid {
        code: "already_signed",
        field: None,
        message: "This document is signed: it can no longer change. It can be withdrawn with a written explanation.".into(),
    }
}

pub(super) fn not_editable(view: &DocumentView) -> AppError {
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
pub(super) fn open_for_write(actor: &Actor, bundle: CaseBundle) -> OpenCase {
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
