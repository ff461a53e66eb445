//! `haven relief`: the worked examples of docs/relief-facts.md give the
//! results the document states, and bad facts files are refused naming the
//! field. No database, configuration or key is involved.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/relief-examples")
}

fn relief(args: &[&str]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_haven"));
    for (k, _) in std::env::vars() {
        if k.starts_with("HAVEN_") {
            c.env_remove(k);
        }
    }
    // Proves no data directory is touched: it does not exist.
    c.env("HAVEN_DATA_DIR", "/nonexistent/haven-relief-test");
    c.arg("relief")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run haven")
}

fn evaluate(file: &str) -> Value {
    let path = examples().join(file);
    let out = relief(&[
        "evaluate",
        "--facts",
        path.to_str().unwrap(),
        "--as-of",
        "2026-11-28",
    ]);
    assert!(
        out.status.success(),
        "{file}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn outcome<'a>(result: &'a Value, pathway: &str, member: Option<&str>) -> &'a Value {
    result["outcomes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["pathway"] == pathway && o["family_member"].as_str() == member)
        .unwrap_or_else(|| panic!("no {pathway} outcome"))
}

fn deadline(o: &Value, kind: &str) -> String {
    o["deadlines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} deadline in {o}"))["on"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[test]
fn example_1_the_u_certification_clock() {
    let r = evaluate("1-u-certification-clock.json");
    assert_eq!(r["format"], "haven.relief-result/1");
    let u = outcome(&r, "u_principal", None);
    assert_eq!(u["status"], "likely_qualifies");
    assert_eq!(deadline(u, "u_file_by"), "2027-02-28");
    assert_eq!(deadline(u, "u_supplement_b_warning"), "2027-01-31");
    // CP-1: discretionary, so "may qualify" until a federal official asks.
    assert_eq!(
        outcome(&r, "continued_presence", None)["status"],
        "may_qualify"
    );
    assert_eq!(
        outcome(&r, "hhs_certification", None)["status"],
        "not_eligible_now"
    );
    assert_eq!(
        outcome(&r, "t_family", Some("daughter"))["status"],
        "may_qualify"
    );
    assert_eq!(
        outcome(&r, "u_family", Some("daughter"))["status"],
        "may_qualify"
    );
}

#[test]
fn example_2_a_minor_identified_by_police() {
    let r = evaluate("2-minor-identified-by-police.json");
    let n = outcome(&r, "hhs_minor_notification", None);
    assert_eq!(n["status"], "likely_qualifies");
    let due = n["deadlines"][0]["at"].as_str().unwrap();
    assert_eq!(due, "2026-11-28T21:15:00-05:00");
    assert_eq!(
        outcome(&r, "hhs_eligibility_letter", None)["status"],
        "likely_qualifies"
    );
    assert_eq!(
        outcome(&r, "hhs_interim_assistance", None)["status"],
        "likely_qualifies"
    );
    assert_eq!(
        deadline(
            outcome(&r, "hhs_eligibility_letter", None),
            "rfa_before_age_18"
        ),
        "2029-05-19"
    );
    let t = outcome(&r, "t_principal", None);
    let missing: Vec<&str> = t["missing"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["field"].as_str().unwrap())
        .collect();
    assert!(
        !missing.contains(&"law_enforcement.reported_on"),
        "no law-enforcement contact for a minor: {missing:?}"
    );
}

#[test]
fn example_3_a_t_holder_ready_to_adjust() {
    let r = evaluate("3-t-holder-adjustment.json");
    let a = outcome(&r, "t_adjustment", None);
    assert_eq!(a["status"], "likely_qualifies");
    assert_eq!(deadline(a, "adjustment_file_by"), "2027-03-15");
    let text: String = a["explanation"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["text"].as_str().unwrap())
        .collect();
    assert!(text.contains("76 days"), "{text}");
}

#[test]
fn example_4_continued_presence_and_certification() {
    let r = evaluate("4-continued-presence-and-certification.json");
    let cp = outcome(&r, "continued_presence", None);
    assert_eq!(cp["status"], "obtained");
    assert_eq!(deadline(cp, "continued_presence_expires"), "2027-07-15");
    assert!(
        cp["explanation"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["uncertain"] == true)
    );
    let cert = outcome(&r, "hhs_certification", None);
    assert_eq!(cert["status"], "obtained");
    let text = cert.to_string();
    assert!(
        text.contains("2025-11-28") && text.contains("HHS-8"),
        "{text}"
    );
}

#[test]
fn a_bad_facts_file_is_refused_naming_the_field() {
    let dir = std::env::temp_dir().join(format!("haven-relief-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        (
            r#"{"format":"haven.relief-facts/1","t_application":{"filed_on":"2025-02-01","approved_on":"2025-01-01"}}"#,
            "t_application.approved_on",
        ),
        (
            r#"{"format":"haven.relief-facts/1","person":{"date_of_birth":"1990-13-01"}}"#,
            "person.date_of_birth",
        ),
        (
            r#"{"format":"haven.relief-facts/1","family":[{"id":"a","relation":"cousin"}]}"#,
            "family[0].relation",
        ),
        (r#"{"format":"haven.relief-facts/9"}"#, "format"),
    ];
    for (i, (json, field)) in cases.iter().enumerate() {
        let path = dir.join(format!("{i}.json"));
        std::fs::write(&path, json).unwrap();
        let out = relief(&[
            "evaluate",
            "--facts",
            path.to_str().unwrap(),
            "--as-of",
            "2026-11-28",
        ]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{json} was accepted");
        assert!(out.stdout.is_empty(), "no partial result on stdout");
        assert!(
            err.contains(&format!("`{field}`")),
            "{json}: the error names {field}: {err}"
        );
    }
    let out = relief(&["evaluate", "--facts", "/nonexistent.json"]);
    assert!(!out.status.success());
    let out = relief(&[
        "evaluate",
        "--facts",
        dir.join("0.json").to_str().unwrap(),
        "--as-of",
        "28/11/2026",
    ]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("--as-of"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn the_parameter_table_prints_with_dates_and_sources() {
    let out = relief(&["parameters"]);
    assert!(out.status.success());
    let table: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rca: Vec<_> = table
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["param"] == "rca_rma_months")
        .collect();
    assert_eq!(rca.len(), 3);
    assert!(
        rca.iter()
            .any(|p| p["from"] == "2025-05-05" && p["value"] == 4 && p["uncertain"] == true)
    );
    assert!(
        rca.iter()
            .all(|p| p["rule"] == "HHS-8" && !p["source"].as_str().unwrap().is_empty())
    );
}
