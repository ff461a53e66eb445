//! The facts format (`docs/relief-facts.md`, `docs/relief-facts.schema.json`):
//! what is known about a case on the evaluation date. Partners and auditors
//! check the engine with it, so it is versioned and stable: a field is only
//! ever added, never renamed or given a new meaning.
//!
//! Every yes/no fact is three-valued: `true`, `false`, or absent (unknown).
//! The engine never guesses an unknown fact; it lists it as missing.

use crate::record::{ExploitationType, ResidencyClass, iso_date};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// The version string every facts file carries.
pub const FACTS_FORMAT: &str = "haven.relief-facts/1";

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// Always [`FACTS_FORMAT`].
    pub format: String,
    #[serde(default)]
    pub person: Person,
    #[serde(default)]
    pub trafficking: Trafficking,
    #[serde(default)]
    pub law_enforcement: LawEnforcement,
    #[serde(default)]
    pub continued_presence: ContinuedPresence,
    #[serde(default)]
    pub t_declaration: Signature,
    #[serde(default)]
    pub t_application: Application,
    #[serde(default)]
    pub u_crime: UCrime,
    #[serde(default)]
    pub u_certification: UCertification,
    #[serde(default)]
    pub u_petition: Application,
    #[serde(default)]
    pub hhs: Hhs,
    /// Trips outside the United States since T or U admission (T-12, U-14).
    #[serde(default)]
    pub absences: Vec<Absence>,
    /// Family members who might join through Supplement A (T-10, U-12).
    #[serde(default)]
    pub family: Vec<FamilyMember>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Person {
    #[serde(with = "iso_date::option")]
    pub date_of_birth: Option<Date>,
    /// The date of birth is estimated from an estimated age: results that
    /// depend on age say so (D-6).
    pub date_of_birth_is_estimate: Option<bool>,
    pub citizenship: Option<ResidencyClass>,
    pub in_united_states: Option<bool>,
    /// Unable to cooperate with law enforcement because of physical or
    /// psychological trauma (T-1 exception, HHS-1(a)).
    pub unable_to_cooperate_due_to_trauma: Option<bool>,
    /// Admissible to the United States, or a waiver (I-192) is requested.
    pub admissible_or_waiver_requested: Option<bool>,
    /// Would suffer extreme hardship involving unusual and severe harm on
    /// removal (T-1.4, T-12).
    pub extreme_hardship: Option<bool>,
    /// Good moral character since admission (T-12).
    pub good_moral_character: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Trafficking {
    pub kind: Option<ExploitationType>,
    /// Force, fraud or coercion was used (D-1, D-4).
    pub force_fraud_or_coercion: Option<bool>,
    /// The first act of trafficking (D-6: the T age exemption looks at the
    /// age when at least one act occurred).
    #[serde(with = "iso_date::option")]
    pub first_act_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub last_act_on: Option<Date>,
    /// In the United States (or a port of entry) on account of the
    /// trafficking (T-1.2, T-3).
    pub present_on_account_of_trafficking: Option<bool>,
    /// Substantial reason to believe the person committed an act of a severe
    /// form of trafficking (D-8 bar).
    pub committed_trafficking: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LawEnforcement {
    /// The agency that identified the person or is investigating (CP-1:
    /// only a federal agency can request Continued Presence).
    pub agency_name: Option<String>,
    pub agency_level: Option<AgencyLevel>,
    /// The trafficking was reported to a law-enforcement agency (T-2).
    #[serde(with = "iso_date::option")]
    pub reported_on: Option<Date>,
    /// Has complied with every reasonable request for assistance (T-1.3).
    pub complied_with_reasonable_requests: Option<bool>,
    /// Willing to assist in every reasonable way (HHS-1(a)).
    pub willing_to_assist: Option<bool>,
    /// Law enforcement considers the person a potential witness (CP-1).
    pub potential_witness: Option<bool>,
    /// The investigation or prosecution is complete (T-12: the presence
    /// period may end there).
    #[serde(with = "iso_date::option")]
    pub investigation_completed_on: Option<Date>,
}

/// The level of a law-enforcement agency (CP-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyLevel {
    Federal,
    State,
    Local,
    Tribal,
}

/// Who asked for Continued Presence (CP-1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Requester {
    Federal,
    StateLocalTribal,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ContinuedPresence {
    #[serde(with = "iso_date::option")]
    pub requested_on: Option<Date>,
    pub requested_by: Option<Requester>,
    #[serde(with = "iso_date::option")]
    pub granted_on: Option<Date>,
    /// The expiry on the grant, when known; otherwise computed (CP-3).
    #[serde(with = "iso_date::option")]
    pub expires_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub extension_requested_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub denied_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub revoked_on: Option<Date>,
}

/// A law-enforcement declaration (I-914 Supplement B) or certification
/// (I-918 Supplement B).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Signature {
    #[serde(with = "iso_date::option")]
    pub signed_on: Option<Date>,
    /// Withdrawn or disavowed in writing (T-5, U-13).
    #[serde(with = "iso_date::option")]
    pub withdrawn_on: Option<Date>,
}

/// Who signed a U certification (U-5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignerRole {
    /// The head of the certifying agency.
    AgencyHead,
    /// A person in a supervisory role the head specifically designated to
    /// issue U certifications.
    DesignatedSupervisor,
    /// A federal, state or local judge.
    Judge,
    /// Anyone else (an investigator, a line prosecutor not designated): not
    /// a certifying official.
    Other,
}

/// The kind of agency a certification comes from (U-5, 214.14(a)(2)).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertifyingAgency {
    FederalLawEnforcement,
    StateLawEnforcement,
    LocalLawEnforcement,
    TribalLawEnforcement,
    Prosecutor,
    Judge,
    ChildProtectiveServices,
    Eeoc,
    Dol,
    /// Another authority responsible for investigating or prosecuting the
    /// crime.
    OtherAuthority,
}

/// The U certification (I-918 Supplement B) and who signed it (U-4, U-5,
/// U-7, U-13).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UCertification {
    /// `false` when it is known that no Supplement B has been signed (U-4);
    /// absent when that is not known. A signing date implies `true`.
    pub signed: Option<bool>,
    #[serde(with = "iso_date::option")]
    pub signed_on: Option<Date>,
    /// Withdrawn or disavowed in writing (U-13).
    #[serde(with = "iso_date::option")]
    pub withdrawn_on: Option<Date>,
    /// The signer's name and title, as on the form.
    pub signer_name: Option<String>,
    pub signer_role: Option<SignerRole>,
    pub agency_name: Option<String>,
    pub agency_kind: Option<CertifyingAgency>,
}

/// An I-914 (T) or I-918 (U) and what followed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Application {
    #[serde(with = "iso_date::option")]
    pub filed_on: Option<Date>,
    pub personal_statement_signed: Option<bool>,
    #[serde(with = "iso_date::option")]
    pub bona_fide_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub waiting_list_on: Option<Date>,
    /// Approved; status starts on this date.
    #[serde(with = "iso_date::option")]
    pub approved_on: Option<Date>,
    /// The expiry on the approval notice or an extension, when known.
    #[serde(with = "iso_date::option")]
    pub status_expires_on: Option<Date>,
    /// Finally denied, appeals exhausted.
    #[serde(with = "iso_date::option")]
    pub denied_on: Option<Date>,
    /// I-485 (adjustment of status) filed.
    #[serde(with = "iso_date::option")]
    pub adjustment_filed_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub adjustment_approved_on: Option<Date>,
    /// U-14: unreasonably refused assistance after status was granted.
    pub refused_assistance_after_grant: Option<bool>,
}

/// Crimes of the statute's U list (U-2, 8 U.S.C. 1101(a)(15)(U)(iii)),
/// including the two the regulation's list omits.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum QualifyingCrime {
    Rape,
    Torture,
    Trafficking,
    Incest,
    DomesticViolence,
    SexualAssault,
    AbusiveSexualContact,
    Prostitution,
    SexualExploitation,
    Stalking,
    FemaleGenitalMutilation,
    BeingHeldHostage,
    Peonage,
    InvoluntaryServitude,
    SlaveTrade,
    Kidnapping,
    Abduction,
    UnlawfulCriminalRestraint,
    FalseImprisonment,
    Blackmail,
    Extortion,
    Manslaughter,
    Murder,
    FeloniousAssault,
    WitnessTampering,
    ObstructionOfJustice,
    Perjury,
    FraudInForeignLaborContracting,
    /// "Any similar activity": substantially similar nature and elements.
    SimilarActivity,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct UCrime {
    pub crimes: Vec<QualifyingCrime>,
    /// When an element of the crime first occurred (D-6: under 16 then, a
    /// parent, guardian or next friend may help instead).
    #[serde(with = "iso_date::option")]
    pub first_occurred_on: Option<Date>,
    /// Occurred in the United States or its territories, or violated a U.S.
    /// law with extraterritorial reach (U-1.4).
    pub in_united_states_or_extraterritorial: Option<bool>,
    pub substantial_abuse: Option<bool>,
    pub possesses_information: Option<bool>,
    pub helpful: Option<bool>,
    /// Culpable for the crime: not a victim (U-1).
    pub culpable: Option<bool>,
    /// The crimes are known and none is on the U-2 list or substantially
    /// similar to one (unlike `crimes` left empty, which means not known).
    pub none_qualifies: bool,
    /// The person is an indirect victim: family of the direct victim (U-3).
    pub indirect: Option<IndirectVictim>,
}

/// What became of the direct victim (U-3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectVictim {
    /// Died as a result of murder or manslaughter.
    Died,
    /// Is incompetent or incapacitated.
    Incapacitated,
    /// Neither: family members are not indirect victims.
    Neither,
}

/// A family member of a direct victim, with the ages at the time of the
/// crime (U-3, 214.14(a)(14)(i)).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct IndirectVictim {
    pub direct_victim: Option<DirectVictim>,
    /// The person's relation to the direct victim.
    pub relation: Option<Relation>,
    /// The person's age when the crime occurred (from the date of birth and
    /// `u_crime.first_occurred_on` when not given).
    pub age_at_crime: Option<u8>,
    pub direct_victim_age_at_crime: Option<u8>,
    /// For a sibling: married at the time of the crime.
    pub married: Option<bool>,
}

/// Which letter HHS issued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CertificationBasis {
    ContinuedPresence,
    TBonaFide,
    TApproved,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Hhs {
    /// A federal, state or local official learned the person may be a
    /// victim (HHS-5 starts here for a minor).
    #[serde(with = "time::serde::rfc3339::option")]
    pub identified_by_official_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub notified_at: Option<OffsetDateTime>,
    /// Request for Assistance (minors) submitted.
    #[serde(with = "iso_date::option")]
    pub rfa_submitted_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub interim_letter_on: Option<Date>,
    pub interim_extended: Option<bool>,
    #[serde(with = "iso_date::option")]
    pub eligibility_letter_on: Option<Date>,
    /// Request for Certification (adults) submitted.
    #[serde(with = "iso_date::option")]
    pub rfc_submitted_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub certification_letter_on: Option<Date>,
    pub certification_basis: Option<CertificationBasis>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Absence {
    #[serde(with = "iso_date::option")]
    pub left_on: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub returned_on: Option<Date>,
    /// Needed for, or certified as justified by, the investigation or
    /// prosecution: does not break continuity (T-12, U-14).
    pub justified_by_investigation: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Sibling,
    /// The adult or minor child of a derivative (T-6 visa, T-10).
    ChildOfDerivative,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FamilyMember {
    /// A label unique in the file (results name the member by it).
    pub id: String,
    pub relation: Option<Relation>,
    #[serde(with = "iso_date::option")]
    pub date_of_birth: Option<Date>,
    pub married: Option<bool>,
    /// Committed the qualifying crime against the principal: barred (U-12).
    pub committed_the_crime: Option<bool>,
    /// Present danger of retaliation for the victim's escape or cooperation
    /// (T-10: parents, siblings and children of derivatives at any age).
    pub present_danger_of_retaliation: Option<bool>,
}

/// A facts file that cannot be evaluated, naming the field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FactsError {
    /// The JSON path, e.g. `t_application.approved_on` or `family[1].id`.
    pub field: String,
    pub message: String,
}

impl FactsError {
    fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Parses a facts file. Errors name the field (`serde_path_to_error`), and
/// impossible facts are refused by [`Facts::validate`].
///
/// # Errors
/// A malformed document, an unknown field or format, or impossible facts.
pub fn parse(json: &str, as_of: Date) -> Result<Facts, FactsError> {
    let mut de = serde_json::Deserializer::from_str(json);
    let facts: Facts = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." { String::new() } else { path };
        FactsError::new(field, e.into_inner().to_string())
    })?;
    facts.validate(as_of)?;
    Ok(facts)
}

impl Facts {
    /// Refuses facts that cannot all be true: events after the evaluation
    /// date, a decision before its request, an act before birth, duplicate
    /// family labels.
    ///
    /// # Errors
    /// The first impossible fact, by field.
    pub fn validate(&self, as_of: Date) -> Result<(), FactsError> {
        if self.format != FACTS_FORMAT {
            return Err(FactsError::new(
                "format",
                format!("must be \"{FACTS_FORMAT}\" (this engine reads that version)"),
            ));
        }
        let cp = &self.continued_presence;
        let t = &self.t_application;
        let u = &self.u_petition;
        let h = &self.hhs;
        // Events: on or before the evaluation date.
        let events = [
            ("person.date_of_birth", self.person.date_of_birth),
            ("trafficking.first_act_on", self.trafficking.first_act_on),
            ("trafficking.last_act_on", self.trafficking.last_act_on),
            (
                "law_enforcement.reported_on",
                self.law_enforcement.reported_on,
            ),
            (
                "law_enforcement.investigation_completed_on",
                self.law_enforcement.investigation_completed_on,
            ),
            ("continued_presence.requested_on", cp.requested_on),
            ("continued_presence.granted_on", cp.granted_on),
            (
                "continued_presence.extension_requested_on",
                cp.extension_requested_on,
            ),
            ("continued_presence.denied_on", cp.denied_on),
            ("continued_presence.revoked_on", cp.revoked_on),
            ("t_declaration.signed_on", self.t_declaration.signed_on),
            (
                "t_declaration.withdrawn_on",
                self.t_declaration.withdrawn_on,
            ),
            ("u_certification.signed_on", self.u_certification.signed_on),
            (
                "u_certification.withdrawn_on",
                self.u_certification.withdrawn_on,
            ),
            ("u_crime.first_occurred_on", self.u_crime.first_occurred_on),
            ("hhs.rfa_submitted_on", h.rfa_submitted_on),
            ("hhs.interim_letter_on", h.interim_letter_on),
            ("hhs.eligibility_letter_on", h.eligibility_letter_on),
            ("hhs.rfc_submitted_on", h.rfc_submitted_on),
            ("hhs.certification_letter_on", h.certification_letter_on),
            (
                "hhs.identified_by_official_at",
                h.identified_by_official_at.map(OffsetDateTime::date),
            ),
            ("hhs.notified_at", h.notified_at.map(OffsetDateTime::date)),
        ];
        for (field, date) in events {
            after_as_of(field, date, as_of)?;
        }
        for (name, app) in [("t_application", t), ("u_petition", u)] {
            for (field, date) in [
                ("filed_on", app.filed_on),
                ("bona_fide_on", app.bona_fide_on),
                ("waiting_list_on", app.waiting_list_on),
                ("approved_on", app.approved_on),
                ("denied_on", app.denied_on),
                ("adjustment_filed_on", app.adjustment_filed_on),
                ("adjustment_approved_on", app.adjustment_approved_on),
            ] {
                after_as_of(&format!("{name}.{field}"), date, as_of)?;
            }
            for (field, date) in [
                ("bona_fide_on", app.bona_fide_on),
                ("waiting_list_on", app.waiting_list_on),
                ("approved_on", app.approved_on),
                ("denied_on", app.denied_on),
            ] {
                not_before(&format!("{name}.{field}"), date, "filed_on", app.filed_on)?;
                if date.is_some() && app.filed_on.is_none() {
                    return Err(FactsError::new(
                        format!("{name}.{field}"),
                        "is given but filed_on is not: a decision needs a filing",
                    ));
                }
            }
            if app.approved_on.is_some() && app.denied_on.is_some() {
                return Err(FactsError::new(
                    format!("{name}.denied_on"),
                    "an application cannot be both approved and finally denied",
                ));
            }
            not_before(
                &format!("{name}.status_expires_on"),
                app.status_expires_on,
                "approved_on",
                app.approved_on,
            )?;
            not_before(
                &format!("{name}.adjustment_filed_on"),
                app.adjustment_filed_on,
                "approved_on",
                app.approved_on,
            )?;
            if app.adjustment_filed_on.is_some() && app.approved_on.is_none() {
                return Err(FactsError::new(
                    format!("{name}.adjustment_filed_on"),
                    "adjustment of status needs an approved application (approved_on)",
                ));
            }
            not_before(
                &format!("{name}.adjustment_approved_on"),
                app.adjustment_approved_on,
                "adjustment_filed_on",
                app.adjustment_filed_on,
            )?;
            if app.adjustment_approved_on.is_some() && app.adjustment_filed_on.is_none() {
                return Err(FactsError::new(
                    format!("{name}.adjustment_approved_on"),
                    "is given but adjustment_filed_on is not",
                ));
            }
        }
        not_before(
            "continued_presence.granted_on",
            cp.granted_on,
            "requested_on",
            cp.requested_on,
        )?;
        not_before(
            "continued_presence.denied_on",
            cp.denied_on,
            "requested_on",
            cp.requested_on,
        )?;
        not_before(
            "continued_presence.expires_on",
            cp.expires_on,
            "granted_on",
            cp.granted_on,
        )?;
        not_before(
            "continued_presence.revoked_on",
            cp.revoked_on,
            "granted_on",
            cp.granted_on,
        )?;
        if cp.granted_on.is_some() && cp.denied_on.is_some() {
            return Err(FactsError::new(
                "continued_presence.denied_on",
                "a request cannot be both granted and denied",
            ));
        }
        if cp.revoked_on.is_some() && cp.granted_on.is_none() {
            return Err(FactsError::new(
                "continued_presence.revoked_on",
                "is given but granted_on is not",
            ));
        }
        let u = &self.u_certification;
        for (name, signed_on, withdrawn_on) in [
            (
                "t_declaration",
                self.t_declaration.signed_on,
                self.t_declaration.withdrawn_on,
            ),
            ("u_certification", u.signed_on, u.withdrawn_on),
        ] {
            not_before(
                &format!("{name}.withdrawn_on"),
                withdrawn_on,
                "signed_on",
                signed_on,
            )?;
            if withdrawn_on.is_some() && signed_on.is_none() {
                return Err(FactsError::new(
                    format!("{name}.withdrawn_on"),
                    "is given but signed_on is not",
                ));
            }
        }
        if u.signed == Some(false) && u.signed_on.is_some() {
            return Err(FactsError::new(
                "u_certification.signed",
                "is false but signed_on is given",
            ));
        }
        if self.u_crime.none_qualifies && !self.u_crime.crimes.is_empty() {
            return Err(FactsError::new(
                "u_crime.none_qualifies",
                "is true but crimes lists qualifying crimes",
            ));
        }
        if let Some(i) = &self.u_crime.indirect {
            for (field, age) in [
                ("age_at_crime", i.age_at_crime),
                ("direct_victim_age_at_crime", i.direct_victim_age_at_crime),
            ] {
                if age.is_some_and(|a| a > 130) {
                    return Err(FactsError::new(
                        format!("u_crime.indirect.{field}"),
                        "is not a plausible age",
                    ));
                }
            }
        }
        for (field, text) in [
            ("u_certification.signer_name", &u.signer_name),
            ("u_certification.agency_name", &u.agency_name),
            (
                "law_enforcement.agency_name",
                &self.law_enforcement.agency_name,
            ),
        ] {
            if text.as_ref().is_some_and(|t| t.chars().count() > 200) {
                return Err(FactsError::new(field, "is longer than 200 characters"));
            }
        }
        not_before(
            "trafficking.last_act_on",
            self.trafficking.last_act_on,
            "first_act_on",
            self.trafficking.first_act_on,
        )?;
        let birth = self.person.date_of_birth;
        not_before(
            "trafficking.first_act_on",
            self.trafficking.first_act_on,
            "person.date_of_birth",
            birth,
        )?;
        not_before(
            "u_crime.first_occurred_on",
            self.u_crime.first_occurred_on,
            "person.date_of_birth",
            birth,
        )?;
        not_before(
            "hhs.interim_letter_on",
            h.interim_letter_on,
            "rfa_submitted_on",
            h.rfa_submitted_on,
        )?;
        not_before(
            "hhs.eligibility_letter_on",
            h.eligibility_letter_on,
            "rfa_submitted_on",
            h.rfa_submitted_on,
        )?;
        not_before(
            "hhs.certification_letter_on",
            h.certification_letter_on,
            "rfc_submitted_on",
            h.rfc_submitted_on,
        )?;
        if let (Some(found), Some(told)) = (h.identified_by_official_at, h.notified_at)
            && told < found
        {
            return Err(FactsError::new(
                "hhs.notified_at",
                "is before hhs.identified_by_official_at",
            ));
        }
        for (i, a) in self.absences.iter().enumerate() {
            let (Some(left), Some(back)) = (a.left_on, a.returned_on) else {
                if a.left_on.is_none() {
                    return Err(FactsError::new(
                        format!("absences[{i}].left_on"),
                        "is required",
                    ));
                }
                // Still away: counted up to the evaluation date.
                after_as_of(&format!("absences[{i}].left_on"), a.left_on, as_of)?;
                continue;
            };
            after_as_of(&format!("absences[{i}].left_on"), Some(left), as_of)?;
            after_as_of(&format!("absences[{i}].returned_on"), Some(back), as_of)?;
            if back < left {
                return Err(FactsError::new(
                    format!("absences[{i}].returned_on"),
                    "is before left_on",
                ));
            }
        }
        let mut ids: Vec<&str> = Vec::new();
        for (i, m) in self.family.iter().enumerate() {
            let id = m.id.trim();
            if id.is_empty() {
                return Err(FactsError::new(
                    format!("family[{i}].id"),
                    "is required (a label such as \"spouse\" or \"child-1\")",
                ));
            }
            if !is_family_label(id) {
                return Err(FactsError::new(
                    format!("family[{i}].id"),
                    "is a label such as \"spouse\", \"daughter\" or \"child-2\", never a name: labels are stored in plaintext with deadlines and reminders",
                ));
            }
            if ids.contains(&id) {
                return Err(FactsError::new(
                    format!("family[{i}].id"),
                    format!("\"{id}\" is used twice"),
                ));
            }
            ids.push(id);
            if m.relation.is_none() {
                return Err(FactsError::new(
                    format!("family[{i}].relation"),
                    "is required",
                ));
            }
            after_as_of(
                &format!("family[{i}].date_of_birth"),
                m.date_of_birth,
                as_of,
            )?;
        }
        Ok(())
    }
}

fn after_as_of(field: &str, date: Option<Date>, as_of: Date) -> Result<(), FactsError> {
    match date {
        Some(d) if d > as_of => Err(FactsError::new(
            field,
            format!(
                "{d} is after the evaluation date {as_of}: facts are what is known on that date"
            ),
        )),
        _ => Ok(()),
    }
}

fn not_before(
    field: &str,
    date: Option<Date>,
    other: &str,
    earlier: Option<Date>,
) -> Result<(), FactsError> {
    match (date, earlier) {
        (Some(d), Some(e)) if d < e => Err(FactsError::new(
            field,
            format!("{d} is before {other} ({e})"),
        )),
        _ => Ok(()),
    }
}

/// The words a family label may be made of: relations, never names. A label
/// is one of them, optionally with a number (`child-2`).
const FAMILY_WORDS: &[&str] = &[
    "spouse",
    "husband",
    "wife",
    "partner",
    "child",
    "son",
    "daughter",
    "stepchild",
    "stepson",
    "stepdaughter",
    "parent",
    "mother",
    "father",
    "stepmother",
    "stepfather",
    "guardian",
    "sibling",
    "brother",
    "sister",
    "half_brother",
    "half_sister",
    "grandchild",
    "grandson",
    "granddaughter",
    "grandparent",
    "grandmother",
    "grandfather",
    "child_of_derivative",
    "niece",
    "nephew",
    "aunt",
    "uncle",
    "cousin",
    "relative",
];

/// Whether `id` is a family label Haven may keep in plaintext (see
/// [`FAMILY_WORDS`]).
#[must_use]
pub fn is_family_label(id: &str) -> bool {
    let (word, number) = match id.rsplit_once('-') {
        Some((w, n)) => (w, Some(n)),
        None => (id, None),
    };
    FAMILY_WORDS.contains(&word)
        && number
            .is_none_or(|n| !n.is_empty() && n.len() <= 3 && n.bytes().all(|b| b.is_ascii_digit()))
}
