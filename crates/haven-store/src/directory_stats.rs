//! Loop-closure figures, computed the same way for both backends from the
//! referrals' statuses and times.

use crate::directory::ReferralStats;
use haven_domain::OrganizationId;
use std::collections::BTreeMap;
use time::OffsetDateTime;

pub(crate) struct Fact {
    pub to_org: OrganizationId,
    pub status: String,
    pub decline_reason: Option<String>,
    pub sent_at: OffsetDateTime,
    pub answered_at: Option<OffsetDateTime>,
    pub accepted_at: Option<OffsetDateTime>,
}

fn hours(from: OffsetDateTime, to: OffsetDateTime) -> f64 {
    (to - from).as_seconds_f64() / 3600.0
}

pub(crate) fn summarize(facts: &[Fact]) -> Vec<ReferralStats> {
    let mut by_org: BTreeMap<OrganizationId, Vec<&Fact>> = BTreeMap::new();
    for f in facts {
        by_org.entry(f.to_org).or_default().push(f);
    }
    by_org
        .into_iter()
        .map(|(org, fs)| {
            let count =
                |s: &[&str]| fs.iter().filter(|f| s.contains(&f.status.as_str())).count() as i64;
            let answered: Vec<f64> = fs
                .iter()
                .filter_map(|f| f.answered_at.map(|a| hours(f.sent_at, a)))
                .collect();
            let mut accept: Vec<f64> = fs
                .iter()
                .filter_map(|f| f.accepted_at.map(|a| hours(f.sent_at, a)))
                .collect();
            accept.sort_by(f64::total_cmp);
            let mut reasons: BTreeMap<String, i64> = BTreeMap::new();
            for f in &fs {
                if let Some(r) = &f.decline_reason {
                    *reasons.entry(r.clone()).or_default() += 1;
                }
            }
            let mut decline_reasons: Vec<(String, i64)> = reasons.into_iter().collect();
            decline_reasons.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            ReferralStats {
                to_org: Some(org),
                total: fs.len() as i64,
                waiting: count(&["sent"]),
                accepted: fs.iter().filter(|f| f.accepted_at.is_some()).count() as i64,
                declined: count(&["declined"]),
                completed: count(&["completed"]),
                unable_to_contact: count(&["unable_to_contact"]),
                mean_hours_to_answer: (!answered.is_empty())
                    .then(|| answered.iter().sum::<f64>() / answered.len() as f64),
                median_hours_to_accept: (!accept.is_empty()).then(|| {
                    let n = accept.len();
                    if n % 2 == 1 {
                        accept[n / 2]
                    } else {
                        (accept[n / 2 - 1] + accept[n / 2]) / 2.0
                    }
                }),
                decline_reasons,
            }
        })
        .collect()
}
