//! Relief on SQLite: the code is `shared/relief.rs`; the SQL that differs
//! is here.

/// The reminders of a window's deadlines to each team member, once
/// (random ids, hex ids in the dedupe key, a JSON payload).
const QUEUE_DEADLINE_REMINDERS: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT randomblob(16),
                    'deadline:' || hex(d.case_id) || ':' || d.kind || ':' || d.family_member || ':' || d.due_on
                        || ':' || hex(t.user_id),
                    'deadline_reminder', t.user_id, d.case_id,
                    json_object('kind', d.kind, 'pathway', d.pathway, 'family_member', d.family_member,
                                'due_on', d.due_on, 'actor', d.actor),
                    'pending', ?3, ?3
             FROM case_deadlines d JOIN case_team t ON t.case_id = d.case_id
             WHERE d.due_on >= ?1 AND d.due_on <= ?2 AND d.reminded_at IS NULL
             ON CONFLICT (dedupe_key) DO NOTHING";

/// SQLite has one writer: the UPDATE ... RETURNING is the claim.
const CLAIM_MESSAGES: &str =
    "UPDATE outbox SET lease_owner = ?1, lease_until = ?2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND available_at <= ?3
                            AND (lease_until IS NULL OR lease_until < ?3)
                          ORDER BY available_at LIMIT ?4)
             RETURNING id, kind, user_id, case_id, payload, attempts";

include!("../shared/relief.rs");
