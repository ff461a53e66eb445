//! The case record, once for pages and API: intake (validation that names
//! every field, search before create, drafts), entries, stage, cooperation
//! and the HHS notice; each authorized, encrypted and written with its audit
//! entry in one transaction. Opening a case is `crate::case`.
//!
//! Nothing here asks whether the victim cooperates with law enforcement
//! before doing something: cooperation is recorded, never a condition.

use crate::AppState;
use crate::case::OpenCase;
use crate::case::sealed::DATE;
use crate::case::sealed::{seal, seal_json, unseal_json};
use crate::web::problems::Problems;

/// Longest free-text answer kept (characters).
const TEXT_MAX: usize = 4000;
const SHORT_MAX: usize = 200;
use crate::web::error::AppError;
use haven_domain::access::{self, CaseAction, CaseFacts, Compartment, TeamRole};
use haven_domain::policy::Actor;
use haven_domain::record::{
    self as rec, ClosedReason, Cooperation, EntryKind, EstimatedAge, Gender, Indicator,
    NeedCategory, PersonProfile, PlanStatus, ResidencyClass, RightsItem, SafeChannel, SafeContact,
    SafetyStatus, ScreeningOutcome, Stage, TraffickingProfile, Urgency,
};
use haven_domain::{AuditAction, AuditEntry, CaseId, DraftId, EntryId, PersonId, Role, UserId};
use haven_store::{
    CaseHeader, EntryUpdate, HeaderChange, NewIntake, StoredDraft, StoredEntry, StoredPerson,
};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

mod entries;
pub use entries::*;

// ---------------------------------------------------------------- validation

/// The structured screening questions (after IND-3's core topics), each with
/// the indicators a "yes" points to. The wording lives in the locale files.
pub const SCREENING_QUESTIONS: &[(&str, &[Indicator])] = &[
    (
        "forced_work",
        &[Indicator::RecruitedForOtherJob, Indicator::ExcessiveHours],
    ),
    ("cannot_leave", &[Indicator::NoFreedomOfMovement]),
    ("documents_held", &[Indicator::NoControlOfDocuments]),
    ("debt", &[Indicator::DebtGarnished]),
    (
        "threats",
        &[Indicator::ThreatsToFamily, Indicator::DeportationThreats],
    ),
    ("unpaid", &[Indicator::RecruitedForOtherJob]),
    ("commercial_sex", &[Indicator::JuvenileCommercialSex]),
    ("living_controlled", &[Indicator::UnsuitableLiving]),
];

pub const ANSWERS: &[&str] = &["yes", "no", "unsure", "declined"];

/// One answer to a screening question.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ScreeningAnswer {
    /// One of the screening question ids (see the OpenAPI description).
    pub question: String,
    /// yes, no, unsure or declined.
    pub answer: String,
}

/// A new person and case, as typed in the intake form or sent to the API.
/// Every field but `name` may be left empty and filled in later.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct IntakeInput {
    pub name: String,
    pub aliases: Vec<String>,
    /// YYYY-MM-DD.
    pub birth_date: String,
    /// When the date of birth is unknown: the age as estimated today.
    pub estimated_age: Option<u8>,
    pub gender: String,
    /// us_citizen, lawful_permanent_resident, foreign_national or unknown.
    pub residency: String,
    /// ISO 3166 alpha-2 codes.
    pub citizenship: Vec<String>,
    pub nationality: Vec<String>,
    pub immigration_status: String,
    /// ISO 639 codes, preferred first.
    pub languages: Vec<String>,
    pub interpreter_needed: bool,
    pub disability: String,
    pub accommodations: String,
    pub phone: String,
    pub email: String,
    pub address: String,
    pub safe_channel: String,
    pub safe_times: String,
    /// Start of the daily window for written messages ("HH:MM", local).
    pub safe_from: String,
    /// End of that window ("HH:MM").
    pub safe_until: String,
    pub may_leave_message: bool,
    pub code_word: String,
    pub safety: String,
    pub location: String,
    pub exploitation: String,
    pub means_of_control: Vec<String>,
    pub recruiter_relation: String,
    /// ISO 3166 alpha-2.
    pub country_of_exploitation: String,
    pub industry: String,
    pub identification_source: String,
    /// IND-1 / IND-2 indicator codes observed.
    pub indicators: Vec<String>,
    pub screening_answers: Vec<ScreeningAnswer>,
    pub screening_notes: String,
    pub cooperation: String,
    /// Create even though a possible duplicate was shown.
    pub confirm_duplicate: bool,
}

/// A screening, as stored (encrypted) in a screening entry. Screening, never
/// a legal finding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Screening {
    pub indicators: Vec<Indicator>,
    pub answers: Vec<ScreeningAnswer>,
    pub outcome: Option<ScreeningOutcome>,
    pub notes: String,
}

impl Screening {
    fn is_empty(&self) -> bool {
        self.indicators.is_empty() && self.answers.is_empty() && self.notes.is_empty()
    }

    /// What the answers and indicators suggest (never a finding).
    fn suggested_outcome(&self) -> ScreeningOutcome {
        let yes = self.answers.iter().any(|a| a.answer == "yes");
        let unsure = self
            .answers
            .iter()
            .any(|a| a.answer == "unsure" || a.answer == "declined");
        if yes || !self.indicators.is_empty() {
            ScreeningOutcome::IndicatorsPresent
        } else if unsure {
            ScreeningOutcome::Inconclusive
        } else {
            ScreeningOutcome::NoIndicators
        }
    }
}

pub struct ValidIntake {
    pub name: String,
    pub birth_date: Option<Date>,
    pub profile: PersonProfile,
    pub trafficking: TraffickingProfile,
    pub screening: Screening,
    pub cooperation: Cooperation,
}

/// Checks an intake; every broken rule is reported at once.
///
/// # Errors
/// [`AppError::InvalidMany`] naming each field.
pub fn validate_intake(input: &IntakeInput, today: Date) -> Result<ValidIntake, AppError> {
    let mut p = Problems::default();
    let name = p.required("name", &input.name, SHORT_MAX);
    let name = name.split_whitespace().collect::<Vec<_>>().join(" ");
    let birth_date = p.past_date("birth_date", &input.birth_date, today);
    // Year 0 or -1 is past too, and its age does not fit a u8.
    if let Some(b) = birth_date
        && rec::age_on(b, today).is_none_or(|a| a > 120)
    {
        p.add(
            "birth_date",
            "implausible",
            "birth_date gives an age over 120.",
        );
    }
    let estimated_age = match input.estimated_age {
        Some(a) if a > 120 => {
            p.add(
                "estimated_age",
                "out_of_range",
                "estimated_age must be between 0 and 120.",
            );
            None
        }
        Some(a) => Some(EstimatedAge {
            years: a,
            on: today,
        }),
        None => None,
    };
    let aliases = input
        .aliases
        .iter()
        .flat_map(|a| a.split(';'))
        .map(|a| p.text("aliases", a, SHORT_MAX))
        .filter(|a| !a.is_empty())
        .collect();
    let email = p.text("email", &input.email, SHORT_MAX);
    if !email.is_empty() && (!email.contains('@') || email.contains(char::is_whitespace)) {
        p.add(
            "email",
            "bad_email",
            "email must look like name@example.org.",
        );
    }
    let phone = p.text("phone", &input.phone, 40);
    if !phone
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
    {
        p.add(
            "phone",
            "bad_phone",
            "phone may hold digits, spaces and + - ( ) . only.",
        );
    }
    let profile = PersonProfile {
        aliases,
        estimated_age: if birth_date.is_some() {
            None
        } else {
            estimated_age
        },
        gender: p.code("gender", &input.gender, Gender::parse, Gender::codes),
        citizenship: p.iso_codes("citizenship", &input.citizenship, &[2], true),
        nationality: p.iso_codes("nationality", &input.nationality, &[2], true),
        residency: p.code(
            "residency",
            &input.residency,
            ResidencyClass::parse,
            ResidencyClass::codes,
        ),
        immigration_status: p.text("immigration_status", &input.immigration_status, SHORT_MAX),
        languages: p.iso_codes("languages", &input.languages, &[2, 3], false),
        interpreter_needed: input.interpreter_needed,
        disability: p.text("disability", &input.disability, TEXT_MAX),
        accommodations: p.text("accommodations", &input.accommodations, TEXT_MAX),
        phone,
        email,
        address: p.text("address", &input.address, TEXT_MAX),
        safe_contact: SafeContact {
            channel: p.code(
                "safe_channel",
                &input.safe_channel,
                SafeChannel::parse,
                SafeChannel::codes,
            ),
            safe_times: p.text("safe_times", &input.safe_times, SHORT_MAX),
            may_leave_message: input.may_leave_message,
            code_word: p.text("code_word", &input.code_word, 100),
            safe_from: p.clock("safe_from", &input.safe_from),
            safe_until: p.clock("safe_until", &input.safe_until),
        },
        safety: p.code(
            "safety",
            &input.safety,
            SafetyStatus::parse,
            SafetyStatus::codes,
        ),
        location: p.text("location", &input.location, TEXT_MAX),
    };
    let country = p.iso_codes(
        "country_of_exploitation",
        std::slice::from_ref(&input.country_of_exploitation),
        &[2],
        true,
    );
    let trafficking = TraffickingProfile {
        exploitation: p.code(
            "exploitation",
            &input.exploitation,
            rec::ExploitationType::parse,
            rec::ExploitationType::codes,
        ),
        means_of_control: p.codes(
            "means_of_control",
            &input.means_of_control,
            rec::MeansOfControl::parse,
            rec::MeansOfControl::codes,
        ),
        recruiter_relation: p.code(
            "recruiter_relation",
            &input.recruiter_relation,
            rec::RecruiterRelation::parse,
            rec::RecruiterRelation::codes,
        ),
        country_of_exploitation: country.into_iter().next().unwrap_or_default(),
        industry: p.code(
            "industry",
            &input.industry,
            rec::Industry::parse,
            rec::Industry::codes,
        ),
        identification_source: p.code(
            "identification_source",
            &input.identification_source,
            rec::IdentificationSource::parse,
            rec::IdentificationSource::codes,
        ),
    };
    let mut answers = Vec::new();
    for a in &input.screening_answers {
        if a.answer.trim().is_empty() {
            continue;
        }
        if !SCREENING_QUESTIONS.iter().any(|(q, _)| *q == a.question) {
            p.add(
                "screening_answers",
                "not_in_list",
                format!(
                    "screening_answers question must be one of: {}.",
                    SCREENING_QUESTIONS
                        .iter()
                        .map(|(q, _)| *q)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            );
        } else if !ANSWERS.contains(&a.answer.as_str()) {
            p.add(
                "screening_answers",
                "not_in_list",
                "screening_answers answer must be one of: yes, no, unsure, declined.",
            );
        } else if !answers
            .iter()
            .any(|x: &ScreeningAnswer| x.question == a.question)
        {
            answers.push(a.clone());
        }
    }
    let mut screening = Screening {
        indicators: p.codes(
            "indicators",
            &input.indicators,
            Indicator::parse,
            Indicator::codes,
        ),
        answers,
        outcome: None,
        notes: p.text("screening_notes", &input.screening_notes, TEXT_MAX),
    };
    if !screening.is_empty() {
        screening.outcome = Some(screening.suggested_outcome());
    }
    let cooperation = p
        .code(
            "cooperation",
            &input.cooperation,
            Cooperation::parse,
            Cooperation::codes,
        )
        .unwrap_or(Cooperation::Unknown);
    p.finish()?;
    Ok(ValidIntake {
        name,
        birth_date,
        profile,
        trafficking,
        screening,
        cooperation,
    })
}

// ---------------------------------------------------------------- matching

/// Lower-cased words of a name, accents and punctuation removed.
#[must_use]
pub fn name_tokens(name: &str) -> Vec<String> {
    name.split(|c: char| c.is_whitespace() || c == '-' || c == ',')
        .map(|w| {
            w.chars()
                .filter_map(fold_accent)
                .collect::<String>()
                .to_lowercase()
        })
        .filter(|w| w.len() >= 2)
        .collect()
}

fn fold_accent(c: char) -> Option<char> {
    let folded = match c {
        'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'Á' | 'À' | 'Â' | 'Ä' | 'Ã' => 'a',
        'é' | 'è' | 'ê' | 'ë' | 'É' | 'È' | 'Ê' | 'Ë' => 'e',
        'í' | 'ì' | 'î' | 'ï' | 'Í' | 'Ì' | 'Î' | 'Ï' => 'i',
        'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'Ó' | 'Ò' | 'Ô' | 'Ö' | 'Õ' => 'o',
        'ú' | 'ù' | 'û' | 'ü' | 'Ú' | 'Ù' | 'Û' | 'Ü' => 'u',
        'ñ' | 'Ñ' => 'n',
        'ç' | 'Ç' => 'c',
        c if c.is_alphanumeric() => c,
        _ => return None,
    };
    Some(folded)
}

/// American Soundex of one word: spelling variants (Maria, Marya) share it.
#[must_use]
pub fn soundex(word: &str) -> String {
    fn digit(c: char) -> char {
        match c {
            'b' | 'f' | 'p' | 'v' => '1',
            'c' | 'g' | 'j' | 'k' | 'q' | 's' | 'x' | 'z' => '2',
            'd' | 't' => '3',
            'l' => '4',
            'm' | 'n' => '5',
            'r' => '6',
            'h' | 'w' => '-',
            _ => '0',
        }
    }
    let letters: Vec<char> = word.chars().filter(char::is_ascii_alphabetic).collect();
    let Some(&first) = letters.first() else {
        return String::new();
    };
    let mut out = String::from(first.to_ascii_uppercase());
    let mut last = digit(first);
    for &c in &letters[1..] {
        let d = digit(c);
        if d == '-' {
            continue;
        }
        if d != '0' && d != last {
            out.push(d);
            if out.len() == 4 {
                break;
            }
        }
        last = d;
    }
    while out.len() < 4 {
        out.push('0');
    }
    out
}

/// The close-match keys of a person: each name word with the date of birth,
/// the phonetic name with the date of birth, and the sorted name with the
/// birth year (a mistyped day or month still matches). Without a date of
/// birth, the sorted name alone.
#[must_use]
pub fn match_keys(keys: &haven_crypto::Keyring, name: &str, birth: Option<Date>) -> Vec<[u8; 32]> {
    let mut tokens = name_tokens(name);
    let mut plain = Vec::new();
    match birth {
        Some(b) => {
            let dob = b.format(DATE).unwrap_or_default();
            for t in &tokens {
                plain.push(format!("word|{t}|{dob}"));
            }
            let mut sounds: Vec<String> = tokens.iter().map(|t| soundex(t)).collect();
            sounds.sort_unstable();
            plain.push(format!("sound|{}|{dob}", sounds.join(" ")));
            tokens.sort_unstable();
            plain.push(format!("year|{}|{}", tokens.join(" "), b.year()));
        }
        None => {
            tokens.sort_unstable();
            plain.push(format!("name|{}", tokens.join(" ")));
        }
    }
    plain
        .iter()
        .map(|p| keys.blind_index("person close match", p))
        .collect()
}

/// The exact blind-index input: lower-cased, single-spaced name and the date.
#[must_use]
pub fn name_dob_key(name: &str, dob: Date) -> String {
    let name = name
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase();
    format!("{name}|{}", dob.format(DATE).unwrap_or_default())
}

// ---------------------------------------------------------------- opening a case

/// Government staff, for HHS-5: the statute's "official".
fn is_government(actor: &Actor) -> bool {
    access::acts_for_law_enforcement(&actor.roles)
}

// ---------------------------------------------------------------- intake

/// What an intake attempt came to.
pub enum IntakeOutcome {
    Created(CaseId),
    /// Search before create found possible matches; nothing was written.
    PossibleDuplicates {
        /// Cases in the worker's organization (exact or close).
        here: Vec<CaseId>,
        /// The exact name and date of birth exist in another organization.
        elsewhere: bool,
    },
}

fn audit_by(actor: &Actor, action: AuditAction, rid: Option<String>) -> AuditEntry {
    AuditEntry::new(action)
        .by(actor.user, actor.organization)
        .request(rid)
}

/// Registers a person and opens their case: search first, then one
/// transaction (person, case, team, screening entry, close-match keys,
/// audit, the draft removed).
///
/// # Errors
/// Validation errors naming each field; not allowed to open cases.
pub async fn create_intake(
    state: &AppState,
    actor: &Actor,
    input: &IntakeInput,
    draft: Option<DraftId>,
    rid: Option<String>,
) -> Result<IntakeOutcome, AppError> {
    let Some(team_role) = access::may_open_case(actor) else {
        return Err(AppError::Forbidden(
            "Only specialists, agents and supervisors register victims.".into(),
        ));
    };
    let now = haven_domain::now();
    let v = validate_intake(input, now.date())?;
    let keys = state.keyring.current();
    let index = v
        .birth_date
        .map(|d| keys.blind_index("person name+dob", &name_dob_key(&v.name, d)));
    let close = match_keys(&keys, &v.name, v.birth_date);
    if !input.confirm_duplicate {
        let exact = match index {
            Some(ix) => state.store.persons_by_index(&ix).await?,
            None => Vec::new(),
        };
        let mut candidates: Vec<CaseId> = exact
            .iter()
            .filter(|(p, _)| p.organization == actor.organization)
            .filter_map(|(_, c)| *c)
            .collect();
        for (_, case, _) in state
            .store
            .close_matches(actor.organization, &close, 10)
            .await?
        {
            if let Some(c) = case
                && !candidates.contains(&c)
            {
                candidates.push(c);
            }
        }
        let mut elsewhere = exact
            .iter()
            .any(|(p, _)| p.organization != actor.organization);
        // Only cases the caller may open are named; any other match is
        // "a record may exist elsewhere", never an id.
        let mut here = Vec::with_capacity(candidates.len());
        for c in candidates {
            let open = match state.store.case_bundle(c).await? {
                Some(b) => {
                    access::authorize_case(actor, CaseAction::View, &b.facts, &b.consents, now)
                        .is_allowed()
                }
                None => false,
            };
            if open {
                here.push(c);
            } else {
                elsewhere = true;
            }
        }
        // Every probe is audited, found or not: it says whether a person is
        // known, so a run of probes must show.
        let mut probe = audit_by(actor, AuditAction::DuplicateProbe, rid.clone());
        if !here.is_empty() {
            let ids: Vec<String> = here.iter().map(ToString::to_string).collect();
            probe = probe.on("case_list", ids.join(","));
        }
        state.audit_writer.record(probe).await?;
        if !here.is_empty() || elsewhere {
            return Ok(IntakeOutcome::PossibleDuplicates { here, elsewhere });
        }
    }
    let person_id = PersonId::new();
    let case_id = CaseId::new();
    let prow = person_id.to_string();
    let crow = case_id.to_string();
    let person = StoredPerson {
        id: person_id,
        organization: actor.organization,
        name: seal(state, "persons", "name", &prow, v.name.as_bytes())?,
        birth_date: v
            .birth_date
            .map(|d| {
                seal(
                    state,
                    "persons",
                    "birth_date",
                    &prow,
                    d.format(DATE).unwrap_or_default().as_bytes(),
                )
            })
            .transpose()?,
        name_dob_index: index,
        profile: Some(seal_json(state, "persons", "profile", &prow, &v.profile)?),
    };
    let age = rec::age_at(v.birth_date, v.profile.estimated_age, now.date());
    let header = CaseHeader {
        stage: Stage::Identified,
        closed_reason: None,
        cooperation: v.cooperation,
        profile: Some(seal_json(state, "cases", "profile", &crow, &v.trafficking)?),
        hhs_notice_due_at: rec::hhs_notification_deadline(
            is_government(actor),
            v.profile.residency,
            age,
            now,
        ),
        hhs_notice_met_at: None,
        created_at: now,
        updated_at: now,
    };
    let facts = CaseFacts {
        id: case_id,
        organization: actor.organization,
        team: vec![(actor.user, team_role)],
        flag_1367: false,
    };
    let mut entries = Vec::new();
    if !v.screening.is_empty() {
        entries.push(new_entry(
            state,
            case_id,
            actor.user,
            EntryKind::Screening,
            Compartment::Advocate,
            EntryColumns::default(),
            &EntryDetails {
                screening: Some(v.screening),
                ..EntryDetails::default()
            },
            now,
        )?);
    }
    let audit = audit_by(actor, AuditAction::CaseCreated, rid).on("case", case_id);
    state
        .store
        .create_intake(
            &NewIntake {
                person: &person,
                match_keys: &close,
                facts: &facts,
                header: &header,
                entries: &entries,
                draft: draft.map(|d| (actor.user, d)),
            },
            &audit,
        )
        .await?;
    Ok(IntakeOutcome::Created(case_id))
}

/// Saves (creating or replacing) an intake draft of `actor`.
///
/// # Errors
/// Store failures; a draft id of someone else's.
pub async fn save_draft(
    state: &AppState,
    actor: &Actor,
    id: Option<DraftId>,
    input: &IntakeInput,
    rid: Option<String>,
) -> Result<DraftId, AppError> {
    // A draft is the start of a registration: only those who register
    // victims keep one (the page and the API alike).
    if access::may_open_case(actor).is_none() {
        return Err(AppError::Forbidden(
            "Only specialists, agents and supervisors register victims.".into(),
        ));
    }
    let now = haven_domain::now();
    let (id, created_at) = match id {
        Some(id) => match state.store.draft(actor.user, id).await? {
            Some(d) => (id, d.created_at),
            None => return Err(AppError::NotFound),
        },
        None => (DraftId::new(), now),
    };
    let body = seal_json(state, "intake_drafts", "body", &id.to_string(), input)?;
    let draft = StoredDraft {
        id,
        user: actor.user,
        body,
        created_at,
        updated_at: now,
    };
    let audit = audit_by(actor, AuditAction::IntakeDraftSaved, rid).on("intake_draft", id);
    state.store.save_draft(&draft, &audit).await?;
    Ok(id)
}

/// A draft's content, for its author only.
///
/// # Errors
/// [`AppError::NotFound`] for anyone else's or a missing draft.
pub async fn load_draft(
    state: &AppState,
    actor: &Actor,
    id: DraftId,
) -> Result<(StoredDraft, IntakeInput), AppError> {
    let d = state
        .store
        .draft(actor.user, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let input = unseal_json(state, "intake_drafts", "body", &id.to_string(), &d.body).await?;
    Ok((d, input))
}

#[cfg(test)]
mod tests;
