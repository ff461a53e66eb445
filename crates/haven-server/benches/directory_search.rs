//! The service directory at 100,000 services, on SQLite and PostgreSQL:
//!   - importing 100,000 services (HSDS 3.0 JSON: 10,000 organizations, each
//!     with its locations and services nested) through the same import the
//!     pages and `haven directory import` use (issue target: under 60 s);
//!   - a search combining words, a 25-mile radius around a ZIP code, a
//!     language and a need category, through the search service the pages
//!     and API use (issue target: p95 under 20 ms).
//!
//! The data is fictional and reproducible (a fixed seed): services at ZIP
//! code centroids across the country, jittered, with names and descriptions
//! drawn from a vocabulary of English and Spanish words.
//!
//! Run with `./scripts/bench directory`. Prints the figures for BENCHMARKS.md.

use haven_domain::directory::geo;
use haven_server::features::directory::{self, Search};
use haven_server::{AppState, HashCost, KeyringHandle, Settings};
use haven_store::testing;
use std::time::Instant;

const SERVICES: usize = 100_000;
const PER_ORG: usize = 10;
const QUERIES: usize = 1_000;

const WORDS: &[&str] = &[
    "shelter",
    "housing",
    "legal",
    "immigration",
    "counseling",
    "clinic",
    "medical",
    "dental",
    "food",
    "pantry",
    "clothing",
    "transport",
    "rides",
    "interpretation",
    "employment",
    "training",
    "childcare",
    "family",
    "reunification",
    "case",
    "management",
    "crisis",
    "hotline",
    "safety",
    "advocacy",
    "refugio",
    "vivienda",
    "ayuda",
    "médica",
    "atención",
    "niñez",
    "familia",
    "empleo",
    "asesoría",
    "trauma",
    "survivors",
    "youth",
    "women",
    "men",
    "recovery",
    "support",
    "court",
    "accompaniment",
    "benefits",
    "cash",
    "assistance",
    "education",
    "literacy",
    "english",
    "classes",
    "health",
    "mental",
    "substance",
    "detox",
    "emergency",
    "transitional",
    "long",
    "term",
    "community",
];
const LANGS: &[&str] = &["en", "es", "zh", "vi", "ar", "fr", "ko", "ru", "ht", "pt"];
const NEEDS: &[&str] = &[
    "safety",
    "housing",
    "medical",
    "dental",
    "mental_health",
    "substance_use",
    "legal_criminal",
    "legal_civil",
    "legal_immigration",
    "interpretation",
    "food_clothing",
    "financial",
    "transportation",
    "education",
    "employment_training",
    "childcare",
    "family_reunification",
    "case_management",
];

/// A small deterministic generator (xorshift), so every run builds the same data.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn unit(&mut self) -> f64 {
        (self.next() % 1_000_000) as f64 / 1_000_000.0
    }
}

fn uuid(rng: &mut Rng) -> String {
    uuid::Uuid::from_u64_pair(
        rng.next(),
        rng.next() & 0x0fff_ffff_ffff_ffff | 0x8000_0000_0000_0000,
    )
    .to_string()
}

/// ZIP codes that have a centroid, with it.
fn zips() -> Vec<(String, geo::Point)> {
    (501..99_999)
        .filter_map(|z| {
            let zip = format!("{z:05}");
            geo::zip_centroid(&zip).map(|p| (zip, p))
        })
        .collect()
}

fn attr(rng: &mut Rng, code: &str, value: &str) -> serde_json::Value {
    serde_json::json!({"id": uuid(rng), "value": value, "taxonomy_term": {"id": haven_domain::directory::attributes::term_id(code).to_string(), "code": code, "name": code, "description": "Haven attribute"}})
}

fn generate(zips: &[(String, geo::Point)]) -> String {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut orgs = Vec::with_capacity(SERVICES / PER_ORG);
    for o in 0..SERVICES / PER_ORG {
        let org_id = uuid(&mut rng);
        let mut locations = Vec::new();
        let mut services = Vec::new();
        for _ in 0..PER_ORG {
            let (zip, c) = &zips[rng.below(zips.len())];
            let loc_id = uuid(&mut rng);
            let confidential = rng.below(10) == 0;
            let mut loc = serde_json::json!({
                "id": loc_id, "location_type": "physical", "name": format!("Site {o}"),
                "latitude": c.lat + (rng.unit() - 0.5) * 0.04, "longitude": c.lon + (rng.unit() - 0.5) * 0.04,
                "addresses": [{"id": uuid(&mut rng), "address_1": format!("{} Main Street", rng.below(9000) + 1), "city": "Town", "state_province": "ST", "postal_code": zip, "country": "US", "address_type": "physical"}]
            });
            if confidential {
                loc["attributes"] =
                    serde_json::json!([attr(&mut rng, "haven:confidential_location", "")]);
            }
            locations.push(loc);
            let words: Vec<&str> = (0..12).map(|_| rng.pick(WORDS)).collect();
            let mut attributes = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let n = rng.pick(NEEDS);
                attributes.push(attr(&mut rng, &format!("haven:need:{n}"), ""));
            }
            if rng.below(3) == 0 {
                let beds = rng.below(20).to_string();
                attributes.push(attr(&mut rng, "haven:capacity:available", &beds));
            }
            let mut langs = vec!["en"];
            for _ in 0..rng.below(3) {
                langs.push(rng.pick(LANGS));
            }
            if rng.below(3) == 0 {
                langs.push("es");
            }
            langs.sort_unstable();
            langs.dedup();
            services.push(serde_json::json!({
                "id": uuid(&mut rng), "name": format!("{} {} services", words[0], words[1]), "status": "active",
                "description": words[2..].join(" "),
                "languages": langs.iter().map(|l| serde_json::json!({"id": uuid(&mut Rng(rng.next())), "code": l})).collect::<Vec<_>>(),
                "service_at_locations": [{"id": uuid(&mut rng), "location_id": loc_id}],
                "schedules": [{"id": uuid(&mut rng), "freq": "WEEKLY", "byday": "MO,TU,WE,TH,FR", "opens_at": "09:00", "closes_at": "17:00"}],
                "attributes": attributes,
            }));
        }
        orgs.push(serde_json::json!({"id": org_id, "name": format!("Bench provider {o}"), "description": "Fictional provider for the directory benchmark.", "locations": locations, "services": services}));
    }
    serde_json::to_string(&orgs).unwrap()
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let zips = zips();
        let started = Instant::now();
        let json = generate(&zips);
        eprintln!("generated {SERVICES} services ({} MB of HSDS JSON) in {:.1} s", json.len() / 1_000_000, started.elapsed().as_secs_f64());
        for db in testing::both().await {
            let master = haven_crypto::SecretKey::generate();
            let keys = KeyringHandle::load(&db.store, master).await.unwrap();
            let state = AppState::new(db.store.clone(), Settings::default(), HashCost::TEST, keys);

            let started = Instant::now();
            let batch = haven_domain::directory::import::from_json(&json).unwrap();
            let parsed = started.elapsed().as_secs_f64();
            let report = directory::import(&state, None, batch, false, None).await.unwrap();
            let total = started.elapsed().as_secs_f64();
            assert_eq!(report.services, SERVICES);
            assert!(report.rejected.is_empty());
            println!(
                "{}: import of {} organizations, {} locations, {} services: {total:.1} s ({parsed:.1} s reading and checking the JSON)",
                db.name, report.organizations, report.locations, report.services
            );

            // The combined search: a word, 25 miles around a ZIP code, a
            // language and a need, as a case worker asks it.
            let mut rng = Rng(42);
            let mut times = Vec::with_capacity(QUERIES);
            let mut found = 0usize;
            let now = haven_domain::now();
            for i in 0..QUERIES + 50 {
                let (_, center) = &zips[rng.below(zips.len())];
                let s = Search {
                    q: rng.pick(WORDS).to_owned(),
                    near: Some(*center),
                    radius_miles: 25.0,
                    language: Some("es".into()),
                    need: haven_domain::record::NeedCategory::parse(rng.pick(NEEDS)),
                    per_page: 20,
                    ..Search::default()
                };
                let t = Instant::now();
                let r = directory::search(&state, &s, now).await.unwrap();
                let ms = t.elapsed().as_secs_f64() * 1000.0;
                if i >= 50 {
                    times.push(ms);
                    found += r.total;
                }
            }
            times.sort_by(f64::total_cmp);
            println!(
                "{}: search (words + 25 miles + language + need), {QUERIES} queries: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.1} results on average",
                db.name,
                percentile(&times, 0.50),
                percentile(&times, 0.95),
                percentile(&times, 0.99),
                times[times.len() - 1],
                found as f64 / QUERIES as f64
            );
            // A broad search: one common word, no place.
            let mut broad = Vec::new();
            for _ in 0..200 {
                let s = Search { q: rng.pick(WORDS).to_owned(), per_page: 20, ..Search::default() };
                let t = Instant::now();
                directory::search(&state, &s, now).await.unwrap();
                broad.push(t.elapsed().as_secs_f64() * 1000.0);
            }
            broad.sort_by(f64::total_cmp);
            println!(
                "{}: broad search (one word, nationwide, best 200 ranked), 200 queries: p50 {:.1} ms, p95 {:.1} ms",
                db.name,
                percentile(&broad, 0.50),
                percentile(&broad, 0.95)
            );
            db.store.close().await;
        }
    });
}
