//! Embedded, per-backend schema migrations.
//!
//! Each backend has its own numbered SQL files (see `migrations/`), compiled
//! into the binary. Each migration runs in its own transaction together with
//! the row that records it, so a crash leaves either all or none of it.

/// One schema change.
#[derive(Clone, Copy, Debug)]
pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub(crate) const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/sqlite/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "sign_in_failures",
        sql: include_str!("../migrations/sqlite/0002_sign_in_failures.sql"),
    },
    Migration {
        version: 3,
        name: "keys_and_audit",
        sql: include_str!("../migrations/sqlite/0003_keys_and_audit.sql"),
    },
    Migration {
        version: 4,
        name: "mfa",
        sql: include_str!("../migrations/sqlite/0004_mfa.sql"),
    },
    Migration {
        version: 5,
        name: "api_tokens",
        sql: include_str!("../migrations/sqlite/0005_api_tokens.sql"),
    },
    Migration {
        version: 6,
        name: "case_access",
        sql: include_str!("../migrations/sqlite/0006_case_access.sql"),
    },
    Migration {
        version: 7,
        name: "persons",
        sql: include_str!("../migrations/sqlite/0007_persons.sql"),
    },
    Migration {
        version: 8,
        name: "emergency_access",
        sql: include_str!("../migrations/sqlite/0008_emergency_access.sql"),
    },
    Migration {
        version: 9,
        name: "case_record",
        sql: include_str!("../migrations/sqlite/0009_case_record.sql"),
    },
    Migration {
        version: 10,
        name: "relief",
        sql: include_str!("../migrations/sqlite/0010_relief.sql"),
    },
    Migration {
        version: 11,
        name: "directory",
        sql: include_str!("../migrations/sqlite/0011_directory.sql"),
    },
    Migration {
        version: 12,
        name: "interviews_notices",
        sql: include_str!("../migrations/sqlite/0012_interviews_notices.sql"),
    },
    Migration {
        version: 13,
        name: "case_stage_counts",
        sql: include_str!("../migrations/sqlite/0013_case_stage_counts.sql"),
    },
    Migration {
        version: 14,
        name: "team_caseloads",
        sql: include_str!("../migrations/sqlite/0014_team_caseloads.sql"),
    },
    Migration {
        version: 15,
        name: "audit_resource_index",
        sql: include_str!("../migrations/sqlite/0015_audit_resource_index.sql"),
    },
    Migration {
        version: 16,
        name: "release_purpose_sealed",
        sql: include_str!("../migrations/sqlite/0016_release_purpose_sealed.sql"),
    },
];

pub(crate) const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sql: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "sign_in_failures",
        sql: include_str!("../migrations/postgres/0002_sign_in_failures.sql"),
    },
    Migration {
        version: 3,
        name: "keys_and_audit",
        sql: include_str!("../migrations/postgres/0003_keys_and_audit.sql"),
    },
    Migration {
        version: 4,
        name: "mfa",
        sql: include_str!("../migrations/postgres/0004_mfa.sql"),
    },
    Migration {
        version: 5,
        name: "api_tokens",
        sql: include_str!("../migrations/postgres/0005_api_tokens.sql"),
    },
    Migration {
        version: 6,
        name: "case_access",
        sql: include_str!("../migrations/postgres/0006_case_access.sql"),
    },
    Migration {
        version: 7,
        name: "persons",
        sql: include_str!("../migrations/postgres/0007_persons.sql"),
    },
    Migration {
        version: 8,
        name: "emergency_access",
        sql: include_str!("../migrations/postgres/0008_emergency_access.sql"),
    },
    Migration {
        version: 9,
        name: "case_record",
        sql: include_str!("../migrations/postgres/0009_case_record.sql"),
    },
    Migration {
        version: 10,
        name: "relief",
        sql: include_str!("../migrations/postgres/0010_relief.sql"),
    },
    Migration {
        version: 11,
        name: "directory",
        sql: include_str!("../migrations/postgres/0011_directory.sql"),
    },
    Migration {
        version: 12,
        name: "interviews_notices",
        sql: include_str!("../migrations/postgres/0012_interviews_notices.sql"),
    },
    Migration {
        version: 13,
        name: "case_stage_counts",
        sql: include_str!("../migrations/postgres/0013_case_stage_counts.sql"),
    },
    Migration {
        version: 14,
        name: "team_caseloads",
        sql: include_str!("../migrations/postgres/0014_team_caseloads.sql"),
    },
    Migration {
        version: 15,
        name: "audit_resource_index",
        sql: include_str!("../migrations/postgres/0015_audit_resource_index.sql"),
    },
    Migration {
        version: 16,
        name: "release_purpose_sealed",
        sql: include_str!("../migrations/postgres/0016_release_purpose_sealed.sql"),
    },
];

/// Applied migrations compared with those this binary knows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SchemaStatus {
    pub applied: Vec<i64>,
    pub known: Vec<i64>,
}

impl SchemaStatus {
    pub(crate) fn new(mut applied: Vec<i64>, known: &[Migration]) -> Self {
        applied.sort_unstable();
        Self {
            applied,
            known: known.iter().map(|m| m.version).collect(),
        }
    }

    /// Every known migration is applied and nothing else.
    #[must_use]
    pub fn is_current(&self) -> bool {
        self.applied == self.known
    }

    /// Versions this binary would apply.
    #[must_use]
    pub fn pending(&self) -> Vec<i64> {
        self.known
            .iter()
            .copied()
            .filter(|v| !self.applied.contains(v))
            .collect()
    }

    /// Versions in the database that this binary does not know: the database
    /// was migrated by a newer Haven, and this one must not touch it.
    #[must_use]
    pub fn unknown(&self) -> Vec<i64> {
        self.applied
            .iter()
            .copied()
            .filter(|v| !self.known.contains(v))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_from_one() {
        for set in [SQLITE, POSTGRES] {
            for (i, m) in set.iter().enumerate() {
                assert_eq!(m.version, i as i64 + 1, "{}", m.name);
            }
        }
        assert_eq!(
            SQLITE.len(),
            POSTGRES.len(),
            "both backends share one schema history"
        );
    }

    #[test]
    fn status_reports_pending_and_unknown() {
        let all: Vec<i64> = SQLITE.iter().map(|m| m.version).collect();
        let s = SchemaStatus::new(vec![], SQLITE);
        assert!(!s.is_current());
        assert_eq!(s.pending(), all);
        let mut with_unknown = all.clone();
        with_unknown.push(99);
        let s = SchemaStatus::new(with_unknown, SQLITE);
        assert_eq!(s.unknown(), vec![99]);
        assert!(!s.is_current());
        let mut reversed = all.clone();
        reversed.reverse();
        assert!(SchemaStatus::new(reversed, SQLITE).is_current());
        assert!(!SchemaStatus::new(vec![1], SQLITE).is_current());
    }
}
