//! Relief on PostgreSQL: the code is `shared/relief.rs`; the SQL that
//! differs is here.

/// The reminders of a window's deadlines to each team member, once.
const QUEUE_DEADLINE_REMINDERS: &str = "INSERT INTO outbox (id, dedupe_key, kind, user_id, case_id, payload, status, available_at, created_at)
             SELECT gen_random_uuid(),
                    'deadline:' || d.case_id::text || ':' || d.kind || ':' || d.family_member || ':' || d.due_on::text
                        || ':' || t.user_id::text,
                    'deadline_reminder', t.user_id, d.case_id,
                    json_build_object('kind', d.kind, 'pathway', d.pathway, 'family_member', d.family_member,
                                'due_on', to_char(d.due_on, 'YYYY-MM-DD'), 'actor', d.actor)::text,
                    'pending', $3, $3
             FROM case_deadlines d JOIN case_team t ON t.case_id = d.case_id
             WHERE d.due_on >= $1 AND d.due_on <= $2 AND d.reminded_at IS NULL
             ON CONFLICT (dedupe_key) DO NOTHING";

/// SKIP LOCKED: two instances claiming at once take different rows.
const CLAIM_MESSAGES: &str =
    "UPDATE outbox SET lease_owner = $1, lease_until = $2, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox WHERE status = 'pending' AND available_at <= $3
                            AND (lease_until IS NULL OR lease_until < $3)
                          ORDER BY available_at LIMIT $4 FOR UPDATE SKIP LOCKED)
             RETURNING id, kind, user_id, case_id, payload, attempts";

include!("../shared/relief.rs");
