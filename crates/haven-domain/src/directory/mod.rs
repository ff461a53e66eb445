//! The local service provider network: an Open Referral HSDS 3.0 directory
//! with Haven's own attributes, search facts, and referrals.
//!
//! - `hsds`: the HSDS 3.0 records (generated from the official schemas).
//! - `import`: HSDS 3.0 JSON, tabular 3.0 and 1.x CSV into one checked batch,
//!   with a report of every rejected row.
//! - `attributes`: what Haven adds (need categories, populations, funding,
//!   capacity, confidential locations), kept as HSDS attributes on export.
//! - `geo`, `text`, `hours`: distance from embedded ZIP centroids, folded
//!   search text, "open now".
//! - `referral`: the closed-loop referral's states and who may move them.

pub mod attributes;
pub mod geo;
pub mod hours;
pub mod hsds;
pub mod import;
pub mod referral;
pub mod text;

use crate::record::{NeedCategory, picklist};
use serde::{Deserialize, Serialize};

picklist!(
    /// Who a service serves, beyond its age range.
    Population {
        Minors => "minors",
        Adults => "adults",
        Women => "women",
        Men => "men",
        ForeignNationals => "foreign_nationals",
        Lgbtq => "lgbtq",
    }
);

picklist!(
    /// Public funding a case worker may need to know about (some grants limit
    /// who may be served or require reporting).
    FundingSource {
        DojOvc => "doj_ovc",
        Hhs => "hhs",
    }
);

/// HSDS service statuses.
pub const SERVICE_STATUSES: [&str; 4] = ["active", "inactive", "defunct", "temporarily closed"];

/// A bit set over a picklist's `ALL`, for compact indexed filters.
pub trait Mask: Copy + PartialEq + 'static {
    const ALL_ITEMS: &'static [Self];
    fn bit(self) -> i64 {
        1 << Self::ALL_ITEMS.iter().position(|x| *x == self).unwrap_or(0)
    }
    fn mask(items: &[Self]) -> i64 {
        items.iter().fold(0, |m, x| m | x.bit())
    }
    fn from_mask(mask: i64) -> Vec<Self> {
        Self::ALL_ITEMS
            .iter()
            .copied()
            .filter(|x| mask & x.bit() != 0)
            .collect()
    }
}

impl Mask for NeedCategory {
    const ALL_ITEMS: &'static [Self] = NeedCategory::ALL;
}
impl Mask for Population {
    const ALL_ITEMS: &'static [Self] = Population::ALL;
}
impl Mask for FundingSource {
    const ALL_ITEMS: &'static [Self] = FundingSource::ALL;
}

/// ISO 639-1 codes with English and native names, for reading the language
/// names older directories publish ("Spanish", "Español") and for display.
pub const LANGUAGES: &[(&str, &str, &str, &str)] = &[
    // (639-1, 639-2/3, English name, native name)
    ("en", "eng", "English", "English"),
    ("es", "spa", "Spanish", "Español"),
    ("zh", "zho", "Chinese", "中文"),
    ("vi", "vie", "Vietnamese", "Tiếng Việt"),
    ("tl", "tgl", "Tagalog", "Tagalog"),
    ("ar", "ara", "Arabic", "العربية"),
    ("fr", "fra", "French", "Français"),
    ("ko", "kor", "Korean", "한국어"),
    ("ru", "rus", "Russian", "Русский"),
    ("ht", "hat", "Haitian Creole", "Kreyòl ayisyen"),
    ("pt", "por", "Portuguese", "Português"),
    ("hi", "hin", "Hindi", "हिन्दी"),
    ("pl", "pol", "Polish", "Polski"),
    ("ur", "urd", "Urdu", "اردو"),
    ("uk", "ukr", "Ukrainian", "Українська"),
    ("th", "tha", "Thai", "ไทย"),
    ("sw", "swa", "Swahili", "Kiswahili"),
    ("so", "som", "Somali", "Soomaali"),
    ("am", "amh", "Amharic", "አማርኛ"),
    ("ne", "nep", "Nepali", "नेपाली"),
    ("sk", "slk", "Slovak", "Slovenčina"),
    ("asl", "sgn", "American Sign Language", "ASL"),
];

/// Other names directories use for a language, in English and Spanish,
/// folded (no accents, lower case). Some are read for US directories:
/// "Creole" is Haitian Creole, "Filipino" is Tagalog's code (ISO 639-1 has
/// none for Filipino), and Chinese varieties are Chinese.
pub const LANGUAGE_ALIASES: &[(&str, &str)] = &[
    ("creole", "ht"),
    ("haitian", "ht"),
    ("kreyol", "ht"),
    ("criollo", "ht"),
    ("criollo haitiano", "ht"),
    ("creole haitiano", "ht"),
    ("filipino", "tl"),
    ("tagalo", "tl"),
    ("mandarin", "zh"),
    ("cantonese", "zh"),
    ("chino", "zh"),
    ("chino mandarin", "zh"),
    ("cantones", "zh"),
    ("sign language", "asl"),
    ("lengua de senas", "asl"),
    ("lenguaje de senas", "asl"),
    ("espanol", "es"),
    ("castellano", "es"),
    ("ingles", "en"),
    ("vietnamita", "vi"),
    ("arabe", "ar"),
    ("frances", "fr"),
    ("coreano", "ko"),
    ("ruso", "ru"),
    ("portugues", "pt"),
    ("ucraniano", "uk"),
    ("somali", "so"),
    ("amharico", "am"),
    ("suajili", "sw"),
    ("polaco", "pl"),
];

/// An ISO 639-1 code from a code ("es", "spa", "es-MX") or a name in
/// English or Spanish ("Spanish", "español", "Creole", "Chinese (Mandarin)"),
/// repairing encoding damage first ("KreyÃ²l"). `None` when it cannot be
/// told: the name is then kept as text.
#[must_use]
pub fn language_code(s: &str) -> Option<String> {
    let t = text::fold(import::lenient::repair(s.trim()).as_str());
    if t.is_empty() {
        return None;
    }
    // "Chinese (Mandarin)": the language, then the variety.
    if let Some((lang, variety)) = t.split_once('(') {
        let variety = variety.trim_end_matches(')').trim();
        return language_code(lang.trim()).or_else(|| language_code(variety));
    }
    if let Some((_, code)) = LANGUAGE_ALIASES.iter().find(|(alias, _)| *alias == t) {
        return Some((*code).to_owned());
    }
    let base = t.split(['-', '_']).next().unwrap_or(&t);
    for (one, three, en, native) in LANGUAGES {
        if base == *one || base == *three || t == text::fold(en) || t == text::fold(native) {
            return Some((*one).to_owned());
        }
    }
    (base.len() == 2 && base.bytes().all(|b| b.is_ascii_lowercase())).then(|| base.to_owned())
}

/// A language's name for display, or its code.
#[must_use]
pub fn language_name(code: &str, native: bool) -> String {
    LANGUAGES.iter().find(|l| l.0 == code).map_or_else(
        || code.to_owned(),
        |l| (if native { l.3 } else { l.2 }).to_owned(),
    )
}

/// Haven's needs for a publisher's taxonomy code (AIRS / 211 LA): every
/// row of `data/taxonomy/airs-needs.csv` whose prefix the code starts with
/// at a code boundary.
#[must_use]
pub fn needs_of_code(code: &str) -> Vec<NeedCategory> {
    static TABLE: std::sync::OnceLock<Vec<(String, NeedCategory)>> = std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        include_str!("../../../../data/taxonomy/airs-needs.csv")
            .lines()
            .skip(1)
            .filter_map(|l| {
                let mut f = l.split(',');
                let prefix = f.next()?.trim().to_ascii_uppercase();
                let need = NeedCategory::parse(f.next()?.trim())?;
                Some((prefix, need))
            })
            .collect()
    });
    let code = code.trim().to_ascii_uppercase();
    let mut needs: Vec<NeedCategory> = table
        .iter()
        .filter(|(p, _)| {
            code.strip_prefix(p.as_str())
                .is_some_and(|rest| rest.is_empty() || rest.starts_with(['-', '.']))
        })
        .map(|(_, n)| *n)
        .collect();
    needs.sort();
    needs.dedup();
    needs
}

/// What the search index keeps about a service: filters as bit sets and
/// codes, folded text, hours. Derived from the HSDS record and its locations
/// every time it is written.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ServiceFacts {
    pub status: String,
    pub needs: i64,
    pub populations: i64,
    pub funding: i64,
    /// ISO 639-1 codes, sorted, without repeats.
    pub languages: Vec<String>,
    pub minimum_age: Option<i32>,
    pub maximum_age: Option<i32>,
    pub capacity_available: Option<i64>,
    /// Folded name and alternate name (ranked higher).
    pub name_text: String,
    /// Folded description, eligibility, organization name, languages, areas.
    pub body_text: String,
    pub hours: Vec<hours::Opening>,
}

impl ServiceFacts {
    /// Facts of `service` offered at `locations` by `organization`.
    #[must_use]
    pub fn of(
        service: &hsds::Service,
        organization: Option<&hsds::Organization>,
        locations: &[&hsds::Location],
        default_utc_offset_minutes: i16,
    ) -> Self {
        let haven = attributes::HavenAttributes::read(&service.attributes);
        let mut languages: Vec<String> = service
            .languages
            .iter()
            .chain(locations.iter().flat_map(|l| l.languages.iter()))
            .chain(service.phones.iter().flat_map(|p| p.languages.iter()))
            .filter_map(|l| {
                l.code
                    .as_deref()
                    .and_then(language_code)
                    .or_else(|| l.name.as_deref().and_then(language_code))
            })
            .collect();
        languages.sort();
        languages.dedup();
        let age = |n: &Option<serde_json::Number>| {
            n.as_ref()
                .and_then(serde_json::Number::as_f64)
                .map(|v| v.clamp(0.0, 200.0) as i32)
        };
        let mut schedules: Vec<hsds::Schedule> = service.schedules.clone();
        for sal in &service.service_at_locations {
            schedules.extend(sal.schedules.iter().cloned());
        }
        for l in locations {
            schedules.extend(l.schedules.iter().cloned());
        }
        let language_names: Vec<String> = languages
            .iter()
            .flat_map(|c| [language_name(c, false), language_name(c, true)])
            .collect();
        let name_text = text::index_text(
            [
                Some(service.name.as_str()),
                service.alternate_name.as_deref(),
            ]
            .into_iter()
            .flatten(),
        );
        let body_text = text::index_text(
            [
                service.description.as_deref(),
                service.eligibility_description.as_deref(),
                service.interpretation_services.as_deref(),
                organization.map(|o| o.name.as_str()),
            ]
            .into_iter()
            .flatten()
            .chain(
                service
                    .service_areas
                    .iter()
                    .filter_map(|a| a.name.as_deref()),
            )
            .chain(haven.needs.iter().map(|n| n.as_str()))
            .chain(
                service
                    .attributes
                    .iter()
                    .filter_map(|a| Some(a.taxonomy_term.as_ref()?.name.as_str())),
            )
            .chain(language_names.iter().map(String::as_str)),
        );
        // The publisher's taxonomy counts too, so "find a service" for a
        // plan item finds imported services.
        let mut needs = haven.needs.clone();
        needs.extend(
            service
                .attributes
                .iter()
                .filter_map(|a| a.taxonomy_term.as_ref()?.code.as_deref())
                .flat_map(needs_of_code),
        );
        Self {
            status: service.status.clone(),
            needs: NeedCategory::mask(&needs),
            populations: Population::mask(&haven.populations),
            funding: FundingSource::mask(&haven.funding),
            languages,
            minimum_age: age(&service.minimum_age),
            maximum_age: age(&service.maximum_age),
            capacity_available: haven.capacity.as_ref().map(|c| i64::from(c.available)),
            name_text,
            body_text,
            hours: hours::openings(&schedules, default_utc_offset_minutes),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn language_codes_from_codes_and_names() {
        assert_eq!(language_code("es").as_deref(), Some("es"));
        assert_eq!(language_code("spa").as_deref(), Some("es"));
        assert_eq!(language_code("es-MX").as_deref(), Some("es"));
        assert_eq!(language_code("Spanish").as_deref(), Some("es"));
        assert_eq!(language_code("ESPAÑOL").as_deref(), Some("es"));
        assert_eq!(language_code("ur").as_deref(), Some("ur"));
        assert_eq!(language_code("Klingon"), None);
    }

    #[test]
    fn masks_round_trip() {
        let needs = [NeedCategory::Housing, NeedCategory::LegalImmigration];
        let m = NeedCategory::mask(&needs);
        assert_eq!(NeedCategory::from_mask(m), needs);
        assert_eq!(NeedCategory::mask(&[]), 0);
    }
}
