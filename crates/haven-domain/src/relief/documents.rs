//! Law-enforcement declarations (I-914 Supplement B, T-5) and certifications
//! (I-918 Supplement B, U-4 to U-6): their kinds, their content, and what a
//! document must say before it can be signed.

use super::facts::{CertifyingAgency, QualifyingCrime, SignerRole};
use crate::record::iso_date;
use serde::{Deserialize, Serialize};
use time::Date;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// I-914 Supplement B, Declaration for Trafficking Victim (T-5).
    I914b,
    /// I-918 Supplement B, U Nonimmigrant Status Certification (U-4).
    I918b,
}

impl DocumentKind {
    pub const ALL: [Self; 2] = [Self::I914b, Self::I918b];

    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::I914b => "i914b",
            Self::I918b => "i918b",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// The rule the document serves.
    #[must_use]
    pub const fn rule(self) -> &'static str {
        match self {
            Self::I914b => "T-5",
            Self::I918b => "U-6",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentStatus {
    Draft,
    Signed,
    Withdrawn,
}

impl DocumentStatus {
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Signed => "signed",
            Self::Withdrawn => "withdrawn",
        }
    }

    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Draft, Self::Signed, Self::Withdrawn]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// What the document says. Stored encrypted; its SHA-256 is taken at
/// signing and shown on the printed document.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DocumentContent {
    /// The certifying or declaring agency, as it should appear on the form.
    pub agency_name: String,
    pub victim_name: String,
    #[serde(with = "iso_date::option")]
    pub victim_date_of_birth: Option<Date>,
    /// I-918 B: the qualifying crimes (the statute's list, U-2).
    pub crimes: Vec<QualifyingCrime>,
    #[serde(with = "iso_date::option")]
    pub crime_from: Option<Date>,
    #[serde(with = "iso_date::option")]
    pub crime_to: Option<Date>,
    /// Where the crime occurred (city, state, or the U.S. law reaching
    /// abroad).
    pub crime_location: String,
    /// The criminal statutes investigated or prosecuted.
    pub statutes: String,
    /// What happened, in the agency's words.
    pub description: String,
    /// Known or documented injuries (U-1 substantial abuse).
    pub injuries: String,
    /// How the victim has been, is being or is likely to be helpful.
    pub helpfulness: String,
    /// U-6: the signer is an authorized certifying official.
    pub signer_authorized: bool,
    /// I-918 B, U-5: who signs (the agency's head, a supervisor the head
    /// designated, or a judge; nobody else may) and the kind of agency.
    pub signer_role: Option<SignerRole>,
    pub agency_kind: Option<CertifyingAgency>,
    /// U-6: the agency detects, investigates, prosecutes, convicts or
    /// sentences the crime.
    pub agency_responsible: bool,
    /// U-6 (I-918 B): a victim of qualifying criminal activity the agency is
    /// investigating or prosecuting. T-5 (I-914 B): a victim of a severe form
    /// of trafficking.
    pub victim_of_the_crime: bool,
    /// U-6: possesses information about the crime.
    pub possesses_information: bool,
    /// U-6: has been, is being or is likely to be helpful.
    pub helpful: bool,
    /// U-6: the crime violated U.S. law or occurred in the United States.
    pub occurred_in_united_states: bool,
}

/// A required part that is empty or unconfirmed: the field and the rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Gap {
    pub field: &'static str,
    pub rule: &'static str,
}

impl DocumentContent {
    /// What is still missing before the document can be signed. USCIS may
    /// reject a Supplement B with blank required fields (U-6), so Haven does
    /// not let one be signed incomplete.
    #[must_use]
    pub fn gaps(&self, kind: DocumentKind) -> Vec<Gap> {
        let rule = kind.rule();
        let mut gaps = Vec::new();
        let mut need = |empty: bool, field: &'static str| {
            if empty {
                gaps.push(Gap { field, rule });
            }
        };
        need(!crate::text::has_visible(&self.agency_name), "agency_name");
        need(!crate::text::has_visible(&self.victim_name), "victim_name");
        need(!crate::text::has_visible(&self.description), "description");
        need(!self.victim_of_the_crime, "victim_of_the_crime");
        if kind == DocumentKind::I918b {
            need(self.crimes.is_empty(), "crimes");
            need(
                !crate::text::has_visible(&self.crime_location),
                "crime_location",
            );
            need(!crate::text::has_visible(&self.helpfulness), "helpfulness");
            need(!self.signer_authorized, "signer_authorized");
            need(self.agency_kind.is_none(), "agency_kind");
            need(!self.agency_responsible, "agency_responsible");
            need(!self.possesses_information, "possesses_information");
            need(!self.helpful, "helpful");
            need(!self.occurred_in_united_states, "occurred_in_united_states");
        }
        // U-5: only the head, a supervisor the head designated, or a judge.
        let certifier = matches!(
            self.signer_role,
            Some(SignerRole::AgencyHead | SignerRole::DesignatedSupervisor | SignerRole::Judge)
        );
        if kind == DocumentKind::I918b && !certifier {
            gaps.push(Gap {
                field: "signer_role",
                rule: "U-5",
            });
        }
        gaps
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certification_needs_every_statement_of_u6() {
        let mut c = DocumentContent {
            agency_name: "Agency".into(),
            victim_name: "Name".into(),
            description: "What happened".into(),
            victim_of_the_crime: true,
            ..DocumentContent::default()
        };
        assert!(
            c.gaps(DocumentKind::I914b).is_empty(),
            "a declaration needs less"
        );
        let gaps: Vec<_> = c
            .gaps(DocumentKind::I918b)
            .iter()
            .map(|g| g.field)
            .collect();
        assert!(
            gaps.contains(&"helpful")
                && gaps.contains(&"crimes")
                && gaps.contains(&"signer_authorized")
        );
        c.crimes = vec![QualifyingCrime::Trafficking];
        c.crime_location = "Houston, Texas".into();
        c.helpfulness = "Gave a statement".into();
        c.signer_authorized = true;
        c.agency_responsible = true;
        c.possesses_information = true;
        c.helpful = true;
        c.occurred_in_united_states = true;
        c.agency_kind = Some(CertifyingAgency::LocalLawEnforcement);
        c.signer_role = Some(SignerRole::Other);
        let gaps = c.gaps(DocumentKind::I918b);
        assert!(
            gaps.len() == 1 && gaps[0].field == "signer_role" && gaps[0].rule == "U-5",
            "U-5: only the head, a designated supervisor or a judge may sign: {gaps:?}"
        );
        c.signer_role = Some(SignerRole::AgencyHead);
        assert!(c.gaps(DocumentKind::I918b).is_empty());
    }
}
