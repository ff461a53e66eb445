//! Haven's attributes on top of HSDS, kept as HSDS `attribute` records that
//! point to terms of Haven's own taxonomy, so an export carries them and an
//! import of that export reads them back.
//!
//! Term codes: `haven:need:<need>`, `haven:population:<population>`,
//! `haven:funding:<source>`, `haven:capacity:available|maximum|unit` (value
//! in the attribute, after HSDS 3.1 `service_capacity`), and
//! `haven:confidential_location` on a location.

use super::hsds::{Attribute, Taxonomy, TaxonomyTerm};
use super::{FundingSource, Population};
use crate::record::NeedCategory;
use uuid::Uuid;

/// The namespace of Haven's deterministic directory ids (UUID v5).
pub const NAMESPACE: Uuid = Uuid::from_u128(0x6a1c_2f4e_9b3d_4c7a_8e51_0d2b_7f39_a4c6);

pub const TAXONOMY_NAME: &str = "Haven";
pub const CONFIDENTIAL: &str = "haven:confidential_location";

/// A stable id derived from a name in Haven's namespace.
#[must_use]
pub fn derived_id(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// The id of one of Haven's taxonomy terms (what `taxonomy_term_id` filters use).
#[must_use]
pub fn term_id(code: &str) -> Uuid {
    derived_id(&format!("term:{code}"))
}

/// Capacity, after HSDS 3.1 `service_capacity`: e.g. 3 of 20 beds available.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capacity {
    pub available: u32,
    pub maximum: Option<u32>,
    pub unit: String,
}

/// What Haven adds to a service.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HavenAttributes {
    pub needs: Vec<NeedCategory>,
    pub populations: Vec<Population>,
    pub funding: Vec<FundingSource>,
    pub capacity: Option<Capacity>,
}

fn code_of(a: &Attribute) -> Option<String> {
    if let Some(t) = &a.taxonomy_term
        && let Some(code) = &t.code
        && code.starts_with("haven:")
    {
        return Some(code.clone());
    }
    // A tabular export names the term by id only.
    let id = a.taxonomy_term_id.as_deref()?;
    all_codes()
        .into_iter()
        .find(|c| term_id(c).to_string() == id)
}

fn all_codes() -> Vec<String> {
    let mut v: Vec<String> = NeedCategory::ALL
        .iter()
        .map(|n| format!("haven:need:{n}"))
        .chain(
            Population::ALL
                .iter()
                .map(|p| format!("haven:population:{p}")),
        )
        .chain(
            FundingSource::ALL
                .iter()
                .map(|f| format!("haven:funding:{f}")),
        )
        .collect();
    for c in ["available", "maximum", "unit"] {
        v.push(format!("haven:capacity:{c}"));
    }
    v.push(CONFIDENTIAL.to_owned());
    v
}

/// Whether an attribute is one of Haven's (replaced on every write).
#[must_use]
pub fn is_haven(a: &Attribute) -> bool {
    code_of(a).is_some()
}

impl HavenAttributes {
    #[must_use]
    pub fn read(attributes: &[Attribute]) -> Self {
        let mut out = Self::default();
        let (mut available, mut maximum, mut unit) = (None, None, String::new());
        for a in attributes {
            let Some(code) = code_of(a) else { continue };
            let value = a.value.as_deref().unwrap_or("").trim();
            if let Some(n) = code
                .strip_prefix("haven:need:")
                .and_then(NeedCategory::parse)
            {
                out.needs.push(n);
            } else if let Some(p) = code
                .strip_prefix("haven:population:")
                .and_then(Population::parse)
            {
                out.populations.push(p);
            } else if let Some(f) = code
                .strip_prefix("haven:funding:")
                .and_then(FundingSource::parse)
            {
                out.funding.push(f);
            } else if code == "haven:capacity:available" {
                available = value.parse().ok();
            } else if code == "haven:capacity:maximum" {
                maximum = value.parse().ok();
            } else if code == "haven:capacity:unit" {
                unit = value.to_owned();
            }
        }
        out.needs.sort();
        out.needs.dedup();
        out.populations.sort();
        out.populations.dedup();
        out.funding.sort();
        out.funding.dedup();
        out.capacity = available.map(|available| Capacity {
            available,
            maximum,
            unit,
        });
        out
    }

    /// HSDS attributes for a record (`link_entity` "service"), each pointing
    /// to its term with the term written out.
    #[must_use]
    pub fn write(&self, link_id: &str) -> Vec<Attribute> {
        let mut v: Vec<(String, String)> = Vec::new();
        v.extend(
            self.needs
                .iter()
                .map(|n| (format!("haven:need:{n}"), String::new())),
        );
        v.extend(
            self.populations
                .iter()
                .map(|p| (format!("haven:population:{p}"), String::new())),
        );
        v.extend(
            self.funding
                .iter()
                .map(|f| (format!("haven:funding:{f}"), String::new())),
        );
        if let Some(c) = &self.capacity {
            v.push(("haven:capacity:available".into(), c.available.to_string()));
            if let Some(m) = c.maximum {
                v.push(("haven:capacity:maximum".into(), m.to_string()));
            }
            if !c.unit.is_empty() {
                v.push(("haven:capacity:unit".into(), c.unit.clone()));
            }
        }
        v.into_iter()
            .map(|(code, value)| attribute(link_id, "service", &code, value))
            .collect()
    }
}

/// One Haven attribute on a record.
#[must_use]
pub fn attribute(link_id: &str, entity: &str, code: &str, value: String) -> Attribute {
    Attribute {
        id: derived_id(&format!("attribute:{link_id}:{code}")).to_string(),
        link_id: Some(link_id.to_owned()),
        taxonomy_term_id: Some(term_id(code).to_string()),
        link_type: Some(entity.to_owned()),
        link_entity: Some(entity.to_owned()),
        value: (!value.is_empty()).then_some(value),
        taxonomy_term: Some(Box::new(term(code))),
        metadata: Vec::new(),
    }
}

/// A term of Haven's taxonomy, written out.
#[must_use]
pub fn term(code: &str) -> TaxonomyTerm {
    let taxonomy_id = derived_id("taxonomy:haven").to_string();
    TaxonomyTerm {
        id: term_id(code).to_string(),
        code: Some(code.to_owned()),
        name: code.rsplit(':').next().unwrap_or(code).replace('_', " "),
        description: format!("Haven attribute {code}"),
        taxonomy: Some(TAXONOMY_NAME.to_owned()),
        taxonomy_id: Some(taxonomy_id.clone()),
        taxonomy_detail: Some(Box::new(Taxonomy {
            id: taxonomy_id,
            name: TAXONOMY_NAME.to_owned(),
            description:
                "Haven's need categories, populations, funding, capacity and confidential locations"
                    .to_owned(),
            ..Taxonomy::default()
        })),
        ..TaxonomyTerm::default()
    }
}

/// Whether a location is flagged confidential (a shelter's address).
#[must_use]
pub fn is_confidential(attributes: &[Attribute]) -> bool {
    attributes
        .iter()
        .any(|a| code_of(a).as_deref() == Some(CONFIDENTIAL) && a.value.as_deref() != Some("false"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_round_trip_with_and_without_the_term_written_out() {
        let h = HavenAttributes {
            needs: vec![NeedCategory::Housing, NeedCategory::Safety],
            populations: vec![Population::Women, Population::ForeignNationals],
            funding: vec![FundingSource::DojOvc],
            capacity: Some(Capacity {
                available: 3,
                maximum: Some(12),
                unit: "beds".into(),
            }),
        };
        let mut written = h.write("f2a1e3c4-0000-4000-8000-000000000001");
        let mut sorted = h.clone();
        sorted.needs.sort();
        sorted.populations.sort();
        assert_eq!(HavenAttributes::read(&written), sorted);
        for a in &mut written {
            a.taxonomy_term = None;
        }
        assert_eq!(HavenAttributes::read(&written), sorted);
        assert!(written.iter().all(is_haven));
    }

    #[test]
    fn confidential_flag() {
        let a = attribute("x", "location", CONFIDENTIAL, String::new());
        assert!(is_confidential(std::slice::from_ref(&a)));
        assert!(!is_confidential(&[]));
    }
}
