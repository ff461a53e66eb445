//! Evaluating every pathway for one case (issue target: median under 50
//! microseconds). The cases are the worked examples of docs/relief-facts.md
//! plus a busy case: three family members, trips abroad, T and U history.
//! Run with `./scripts/bench relief`; medians are in
//! target/criterion/relief/*/new/estimates.json.

use criterion::{Criterion, criterion_group, criterion_main};
use haven_domain::relief::{self, Parameters};
use std::hint::black_box;
use time::macros::date;

const BUSY: &str = r#"{
  "format": "haven.relief-facts/1",
  "person": {"date_of_birth": "2006-02-28", "citizenship": "foreign_national", "in_united_states": true,
             "extreme_hardship": true, "admissible_or_waiver_requested": true, "good_moral_character": true},
  "trafficking": {"kind": "both", "force_fraud_or_coercion": true, "first_act_on": "2021-06-01",
                  "present_on_account_of_trafficking": true, "committed_trafficking": false},
  "law_enforcement": {"reported_on": "2022-01-10", "complied_with_reasonable_requests": true,
                      "willing_to_assist": true, "potential_witness": true},
  "continued_presence": {"requested_on": "2022-02-01", "requested_by": "federal", "granted_on": "2022-03-01",
                         "extension_requested_on": "2024-01-15"},
  "t_declaration": {"signed_on": "2022-04-01"},
  "t_application": {"filed_on": "2022-05-01", "personal_statement_signed": true, "approved_on": "2023-06-01"},
  "u_crime": {"crimes": ["trafficking", "peonage", "stalking"], "first_occurred_on": "2021-06-01",
              "in_united_states_or_extraterritorial": true, "substantial_abuse": true,
              "possesses_information": true, "helpful": true, "culpable": false},
  "u_certification": {"signed_on": "2026-09-15"},
  "hhs": {"identified_by_official_at": "2022-01-10T15:00:00Z", "notified_at": "2022-01-11T09:00:00Z",
          "rfa_submitted_on": "2022-01-11", "interim_letter_on": "2022-01-20", "eligibility_letter_on": "2022-04-01"},
  "absences": [{"left_on": "2024-07-01", "returned_on": "2024-07-20", "justified_by_investigation": false},
               {"left_on": "2025-03-01", "returned_on": "2025-03-10", "justified_by_investigation": true}],
  "family": [{"id": "mother", "relation": "parent", "date_of_birth": "1980-01-01"},
             {"id": "brother", "relation": "sibling", "date_of_birth": "2009-05-05", "married": false},
             {"id": "sister", "relation": "sibling", "date_of_birth": "2004-05-05", "married": false,
              "present_danger_of_retaliation": true}]
}"#;

fn bench(c: &mut Criterion) {
    let as_of = date!(2026 - 11 - 28);
    let params = Parameters::default();
    let cases = [
        (
            "u_certification_clock",
            include_str!("../../../docs/relief-examples/1-u-certification-clock.json"),
        ),
        (
            "minor_identified",
            include_str!("../../../docs/relief-examples/2-minor-identified-by-police.json"),
        ),
        (
            "t_holder_adjustment",
            include_str!("../../../docs/relief-examples/3-t-holder-adjustment.json"),
        ),
        (
            "cp_and_certification",
            include_str!(
                "../../../docs/relief-examples/4-continued-presence-and-certification.json"
            ),
        ),
        ("busy_case_three_family_members", BUSY),
    ];
    let mut group = c.benchmark_group("relief");
    for (name, json) in cases {
        let facts = relief::parse(json, as_of).expect("bench facts are valid");
        group.bench_function(name, |b| {
            b.iter(|| relief::evaluate(black_box(&facts), as_of, &params))
        });
    }
    group.bench_function("parse_and_evaluate_busy_case", |b| {
        b.iter(|| {
            relief::evaluate(
                &relief::parse(black_box(BUSY), as_of).unwrap(),
                as_of,
                &params,
            )
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
