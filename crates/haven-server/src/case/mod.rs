//! Opening a case: the one policy's decision, the read's audit entry, and the
//! facts, releases, person and header every feature builds on. Features open
//! cases here; none opens another feature's.

pub mod sealed;

use crate::AppState;
use crate::audit::PendingAudit;
use crate::web::error::AppError;
use haven_domain::access::{self, CaseAction, CaseFacts, Compartment};
use haven_domain::consent::Consent;
use haven_domain::policy::Actor;
use haven_domain::record::{self as rec, AgeOn, PersonProfile, TraffickingProfile};
use haven_domain::{AuditAction, AuditEntry, CaseId, PersonId};
use haven_store::{CaseHeader, StoredPerson};
use sealed::{DATE, unseal_json, unseal_text};
use time::Date;

/// A case loaded for `actor`, after the policy said yes.
pub struct OpenCase {
    pub facts: CaseFacts,
    pub consents: Vec<Consent>,
    pub person: Option<StoredPerson>,
    pub header: CaseHeader,
    pub actor: Actor,
    pub may_edit: bool,
    /// May see advocate (victim-services) records.
    pub advocate: bool,
    /// May see immigration information (relief and benefits): always, unless
    /// the case carries the 1367 flag and the reader is outside the owning
    /// organization's victim services without a release covering it.
    pub immigration: bool,
}

impl OpenCase {
    /// Refuses, audited and answered "not found", a reader who may not see
    /// this case's immigration information.
    ///
    /// # Errors
    /// [`AppError::NotFound`] when refused; store failures.
    pub async fn require_immigration(
        &self,
        state: &AppState,
        rid: Option<String>,
    ) -> Result<(), AppError> {
        if self.immigration {
            return Ok(());
        }
        state
            .store
            .append_audit(&[AuditEntry::new(AuditAction::AccessDenied)
                .by(self.actor.user, self.actor.organization)
                .on("case_relief", self.facts.id)
                .request(rid)])
            .await?;
        Err(AppError::NotFound)
    }

    /// The compartments this actor may read.
    #[must_use]
    pub fn sees(&self, c: Compartment) -> bool {
        c == Compartment::Shared || self.advocate
    }

    /// # Errors
    /// [`AppError::Forbidden`] when the actor may read but not change it.
    pub fn require_edit(&self) -> Result<(), AppError> {
        if self.may_edit {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "You may read this case but not change it: only its team and supervisors can."
                    .into(),
            ))
        }
    }
}

/// Loads a case, asks the policy, and audits: a refusal is recorded and
/// answered "not found"; a read is durable before anything is decrypted.
///
/// # Errors
/// [`AppError::NotFound`] when missing or refused; store failures.
pub async fn open_case(
    state: &AppState,
    actor: &Actor,
    id: CaseId,
    rid: Option<String>,
) -> Result<OpenCase, AppError> {
    open_case_as(state, actor, id, rid, false).await
}

/// [`open_case`], or, right after a recorded emergency opening
/// (`emergency`), the same without the team check: read-only, shared
/// records only.
///
/// # Errors
/// As [`open_case`].
pub async fn open_case_as(
    state: &AppState,
    actor: &Actor,
    id: CaseId,
    rid: Option<String>,
    emergency: bool,
) -> Result<OpenCase, AppError> {
    let (open, audit) = open_case_pending(state, actor, id, rid, emergency).await?;
    audit.durable().await?;
    Ok(open)
}

/// [`open_case_as`] without waiting for the read's audit entry to be
/// durable: for a page that has more to read and render first. The caller
/// awaits the [`PendingAudit`] before its response leaves the server.
///
/// # Errors
/// As [`open_case`].
pub async fn open_case_pending(
    state: &AppState,
    actor: &Actor,
    id: CaseId,
    rid: Option<String>,
    emergency: bool,
) -> Result<(OpenCase, PendingAudit), AppError> {
    let Some(bundle) = state.store.case_bundle(id).await? else {
        return Err(AppError::NotFound);
    };
    let now = haven_domain::now();
    let by = |a| {
        AuditEntry::new(a)
            .by(actor.user, actor.organization)
            .on("case", id)
            .request(rid.clone())
    };
    if !emergency
        && !access::authorize_case(
            actor,
            CaseAction::View,
            &bundle.facts,
            &bundle.consents,
            now,
        )
        .is_allowed()
    {
        state
            .store
            .append_audit(&[by(AuditAction::AccessDenied)])
            .await?;
        return Err(AppError::NotFound);
    }
    let audit = if state.settings.audit_reads {
        state
            .audit_writer
            .submit(by(AuditAction::RecordViewed))
            .await?
    } else {
        PendingAudit::nothing()
    };
    let advocate = access::authorize_case(
        actor,
        CaseAction::ViewCompartment(Compartment::Advocate),
        &bundle.facts,
        &bundle.consents,
        now,
    )
    .is_allowed();
    let immigration = access::may_see_immigration(actor, &bundle.facts, &bundle.consents, now);
    let open = OpenCase {
        may_edit: !emergency && access::may_edit_case(actor, &bundle.facts),
        advocate: advocate && !emergency,
        immigration: immigration && !emergency,
        facts: bundle.facts,
        consents: bundle.consents,
        person: bundle.person,
        header: bundle.header,
        actor: actor.clone(),
    };
    Ok((open, audit))
}

/// The person's decrypted identity and profile.
pub struct PersonView {
    pub id: PersonId,
    pub name: String,
    pub birth_date: Option<Date>,
    pub profile: PersonProfile,
}

impl PersonView {
    /// Age today (D-6): known, estimated or unknown.
    #[must_use]
    pub fn age(&self, on: Date) -> AgeOn {
        rec::age_at(self.birth_date, self.profile.estimated_age, on)
    }
}

/// Decrypts the person of an opened case.
///
/// # Errors
/// When a value does not decrypt.
pub async fn person_view(state: &AppState, p: &StoredPerson) -> Result<PersonView, AppError> {
    let row = p.id.to_string();
    let name = unseal_text(state, "persons", "name", &row, &p.name).await?;
    let birth_date = match &p.birth_date {
        Some(b) => {
            let t = unseal_text(state, "persons", "birth_date", &row, b).await?;
            Some(
                Date::parse(&t, DATE)
                    .map_err(|_| AppError::Internal("persons.birth_date is not a date".into()))?,
            )
        }
        None => None,
    };
    let profile = match &p.profile {
        Some(b) => unseal_json(state, "persons", "profile", &row, b).await?,
        None => PersonProfile::default(),
    };
    Ok(PersonView {
        id: p.id,
        name,
        birth_date,
        profile,
    })
}

impl PersonView {
    /// The person as `case`'s reader may see them: on a case protected by
    /// 8 U.S.C. 1367, immigration status and residency are left out for
    /// readers outside the owner's victim services without a release
    /// covering them.
    #[must_use]
    pub fn for_reader(mut self, case: &OpenCase) -> Self {
        if !case.immigration {
            self.profile.immigration_status.clear();
            self.profile.residency = None;
        }
        self
    }
}

/// The trafficking profile of an opened case.
///
/// # Errors
/// When it does not decrypt.
pub async fn trafficking_view(
    state: &AppState,
    case: &OpenCase,
) -> Result<TraffickingProfile, AppError> {
    match &case.header.profile {
        Some(b) => unseal_json(state, "cases", "profile", &case.facts.id.to_string(), b).await,
        None => Ok(TraffickingProfile::default()),
    }
}
