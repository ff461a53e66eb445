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
fn new_entry(
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

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn soundex_groups_spelling_variants() {
        assert_eq!(soundex("maria"), soundex("marya"));
        assert_eq!(soundex("robert"), "R163");
        assert_eq!(soundex("rupert"), "R163");
        assert_eq!(soundex("ashcraft"), "A261");
        assert_ne!(soundex("lopez"), soundex("garcia"));
    }

    #[test]
    fn name_tokens_fold_accents_and_case() {
        assert_eq!(
            name_tokens("  José  LÓPEZ-García "),
            ["jose", "lopez", "garcia"]
        );
    }

    #[test]
    fn intake_validation_names_every_broken_field() {
        let input = IntakeInput {
            name: " ".into(),
            birth_date: "2030-01-01".into(),
            gender: "robot".into(),
            languages: vec!["spanish".into()],
            email: "nope".into(),
            safe_channel: "pigeon".into(),
            screening_answers: vec![ScreeningAnswer {
                question: "forced_work".into(),
                answer: "maybe".into(),
            }],
            ..IntakeInput::default()
        };
        let Err(AppError::InvalidMany(_, errors)) = validate_intake(&input, date!(2026 - 11 - 28))
        else {
            panic!("invalid input must be refused");
        };
        let fields: Vec<_> = errors.iter().map(|e| (e.field, e.code)).collect();
        for expected in [
            ("name", "required"),
            ("birth_date", "in_future"),
            ("gender", "not_in_list"),
            ("languages", "bad_code"),
            ("email", "bad_email"),
            ("safe_channel", "not_in_list"),
            ("screening_answers", "not_in_list"),
        ] {
            assert!(fields.contains(&expected), "{expected:?} in {fields:?}");
        }
    }

    #[test]
    fn a_minimal_intake_is_a_name() {
        let v = validate_intake(
            &IntakeInput {
                name: "  Ana   Ruiz ".into(),
                estimated_age: Some(16),
                languages: vec!["ES, en".into()],
                screening_answers: vec![ScreeningAnswer {
                    question: "documents_held".into(),
                    answer: "yes".into(),
                }],
                ..IntakeInput::default()
            },
            date!(2026 - 11 - 28),
        )
        .unwrap();
        assert_eq!(v.name, "Ana Ruiz");
        assert_eq!(v.profile.languages, ["es", "en"]);
        assert_eq!(
            v.profile.estimated_age.map(|e| e.years),
            Some(16),
            "kept when there is no date of birth"
        );
        assert_eq!(
            v.screening.outcome,
            Some(ScreeningOutcome::IndicatorsPresent)
        );
        assert_eq!(v.cooperation, Cooperation::Unknown);
    }
}
