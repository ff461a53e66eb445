//! Every state-changing route the server registers is in the matrix, or
//! listed with where its authorization is tested.

/// State-changing routes the matrix does not try itself, each with where its
/// authorization is tested (or why none applies). Kept in step with the
/// server by `every_write_route_is_in_the_matrix`.
pub const COVERED_ELSEWHERE: &[(&str, &str, &str)] = &[
    (
        "POST",
        "/sign-in",
        "before authentication: tests/http/account.rs sign-in tests; security::twenty_failures_behind_the_proxy_lock_every_user_out",
    ),
    (
        "POST",
        "/sign-in/mfa",
        "the session's own second factor: tests/http/account.rs roles_that_see_personal_data_must_enrol_and_then_use_totp",
    ),
    (
        "POST",
        "/mfa/setup",
        "the session's own second factor: tests/http/account.rs roles_that_see_personal_data_must_enrol_and_then_use_totp",
    ),
    (
        "POST",
        "/sign-out",
        "the session's own: tests/http/account.rs sign_out_needs_the_session_token_and_ends_the_session",
    ),
    (
        "POST",
        "/account/sign-out-everywhere",
        "own sessions: tests/http/account.rs sign_out_everywhere_ends_every_session_of_the_account",
    ),
    (
        "POST",
        "/account/tokens",
        "own tokens, never above the owner: tests/http/account.rs a_token_never_exceeds_its_owner_and_expired_tokens_fail",
    ),
    (
        "POST",
        "/account/tokens/{id}/revoke",
        "own tokens: tests/http/account.rs api_tokens_act_as_their_owner_within_their_scopes_until_revoked",
    ),
    ("POST", "/account/notifications", "own settings"),
    (
        "PUT",
        "/api/v1/account/notification-settings",
        "own settings",
    ),
    (
        "POST",
        "/notifications/{id}/read",
        "own notifications (store checks the reader)",
    ),
    (
        "POST",
        "/api/v1/notifications/{id}/read",
        "own notifications (store checks the reader)",
    ),
    (
        "POST",
        "/cases",
        "access::may_open_case, as api_open_case: tests/http/cases.rs a_registered_case_is_seen_by_its_team_and_supervisors_only",
    ),
    (
        "POST",
        "/cases/drafts/{id}/delete",
        "own drafts: tests/http/cases.rs intake_searches_first_through_the_api_and_drafts_belong_to_their_author",
    ),
    (
        "POST",
        "/api/v1/intake-drafts",
        "may_open_case: security::a_release_recipient_edits_advocate_notes_and_analysts_keep_drafts",
    ),
    (
        "PUT",
        "/api/v1/intake-drafts/{id}",
        "own drafts: tests/http/cases.rs intake_searches_first_through_the_api_and_drafts_belong_to_their_author",
    ),
    (
        "POST",
        "/cases/{id}/hhs-notified",
        "record::mark_hhs_notified (may_edit_case): tests/http/record.rs a_minor_identified_by_an_official_starts_the_24_hour_hhs_clock",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/hhs-notification",
        "record::mark_hhs_notified (may_edit_case): tests/http/record.rs a_minor_identified_by_an_official_starts_the_24_hour_hhs_clock",
    ),
    (
        "POST",
        "/cases/{id}/attachments",
        "store_attachment, as api_attach_file: tests/http/record.rs attachments_are_checked_encrypted_and_come_back_byte_for_byte",
    ),
    (
        "POST",
        "/fund-requests/{id}/disburse",
        "funds::disburse: tests/http/funds.rs fund_decisions_respect_limits_roles_and_the_balance",
    ),
    (
        "POST",
        "/api/v1/fund-requests/{id}/disbursement",
        "funds::disburse: tests/http/funds.rs fund_decisions_respect_limits_roles_and_the_balance",
    ),
    (
        "POST",
        "/cases/{id}/relief/facts/{section}",
        "relief::update_facts, as api_relief_facts; R-3: security::law_enforcement_reads_a_1367_protected_case_s_immigration_information",
    ),
    (
        "POST",
        "/cases/{id}/relief/list/{list}",
        "relief::update_facts, as api_relief_facts",
    ),
    (
        "POST",
        "/documents/{id}/{action}",
        "document policy (may_sign_le_document...): haven-domain access tests; tests/http/? relief tests",
    ),
    (
        "POST",
        "/api/v1/documents/{id}/signature",
        "may_sign_le_document: tests/http/? relief tests",
    ),
    (
        "POST",
        "/api/v1/documents/{id}/withdrawal",
        "may_sign_le_document: tests/http/? relief tests",
    ),
    (
        "POST",
        "/api/v1/relief/evaluate",
        "writes nothing: evaluates posted facts",
    ),
    (
        "POST",
        "/cases/{id}/interviews",
        "interview::may_request: haven-domain interview tests; haven-store tests/interviews.rs",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/interviews",
        "interview::may_request: haven-domain interview tests",
    ),
    (
        "POST",
        "/cases/{id}/interviews/{interview}/observe",
        "interview::may_request",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/interviews/{interview_id}/observers",
        "interview::may_request",
    ),
    (
        "POST",
        "/interviews/{id}/schedule",
        "interview::may_handle / may_conduct",
    ),
    (
        "PUT",
        "/api/v1/interviews/{id}/schedule",
        "interview::may_handle / may_conduct",
    ),
    ("POST", "/interviews/{id}/{action}", "interview::may_handle"),
    (
        "POST",
        "/api/v1/interviews/{id}/cancellation",
        "interview::may_handle or may_edit_case",
    ),
    (
        "POST",
        "/api/v1/interviews/{id}/record",
        "interview::may_handle + may_write_compartment",
    ),
    ("POST", "/interviews/{id}/files", "interview file access"),
    (
        "POST",
        "/api/v1/interviews/{id}/files",
        "interview file access",
    ),
    (
        "POST",
        "/interviews/{id}/files/{file}/{action}",
        "interview file access",
    ),
    (
        "POST",
        "/api/v1/interview-files/{id}/transfers",
        "interview file access",
    ),
    (
        "POST",
        "/api/v1/interview-files/{id}/verification",
        "interview file access",
    ),
    (
        "POST",
        "/cases/{id}/notices",
        "notices::notify (may_edit_case)",
    ),
    (
        "POST",
        "/cases/{id}/opt-outs",
        "notices::set_opt_out (may_edit_case)",
    ),
    (
        "DELETE",
        "/api/v1/cases/{id}/opt-outs/{channel}",
        "notices::set_opt_out (may_edit_case)",
    ),
    (
        "POST",
        "/admin/templates",
        "directory::may_manage (administrators)",
    ),
    (
        "DELETE",
        "/api/v1/notice-templates/{lang}/{key}",
        "directory::may_manage (administrators)",
    ),
    (
        "POST",
        "/api/v1/sms/inbound",
        "the SMS provider's token, not a person: tests/http.rs",
    ),
    (
        "POST",
        "/directory/services/{id}/capacity",
        "directory::may_update_capacity: tests/http/? directory tests",
    ),
    (
        "PUT",
        "/api/v1/directory/services/{id}/capacity",
        "directory::may_update_capacity: tests/http/? directory tests",
    ),
    (
        "POST",
        "/directory/import",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/api/v1/directory/import",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/directory/organizations/{id}/link",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "PUT",
        "/api/v1/directory/organizations/{id}/link",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/hotlines/{id}",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/hotlines/{id}/delete",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "PUT",
        "/api/v1/hotlines/{id}",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "DELETE",
        "/api/v1/hotlines/{id}",
        "directory::may_manage, as api_add_hotline",
    ),
    (
        "POST",
        "/cases/{id}/referrals",
        "referral::may_send (may_edit_case): haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/api/v1/cases/{id}/referrals",
        "referral::may_send (may_edit_case): haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/referrals/{id}/withdraw",
        "referral::may_send: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/api/v1/referrals/{id}/withdrawal",
        "referral::may_send: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/referrals/{id}",
        "referral::may_handle_incoming: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/api/v1/referrals/incoming/{id}/responses",
        "referral::may_handle_incoming: haven-domain tests/referral_policy.rs",
    ),
    (
        "POST",
        "/review/emergency/{id}",
        "the owning organization's other supervisors: tests/http/cases.rs supervisors_break_glass_with_a_reason_and_another_supervisor_reviews_it",
    ),
];

/// The matrix's rows, by method and route, for the coverage check.
pub const IN_MATRIX: &[(&str, &str)] = &[
    ("POST", "/api/v1/cases/{id}/consents"),
    ("DELETE", "/api/v1/cases/{id}/consents/{consent_id}"),
    ("POST", "/cases/{id}/consents"),
    ("POST", "/cases/{id}/consents/{consent_id}/revoke"),
    ("POST", "/api/v1/cases/{id}/entries"),
    ("POST", "/cases/{id}/entries"),
    ("PATCH", "/api/v1/cases/{id}/entries/{entry_id}"),
    ("PUT", "/api/v1/cases/{id}/cooperation"),
    ("POST", "/api/v1/cases/{id}/stage"),
    ("POST", "/api/v1/cases/{id}/team"),
    ("POST", "/api/v1/cases/{id}/attachments"),
    ("PUT", "/api/v1/cases/{id}/relief/facts"),
    ("POST", "/api/v1/cases/{id}/documents"),
    ("POST", "/cases/{id}/emergency"),
    ("POST", "/api/v1/cases"),
    ("POST", "/api/v1/funds"),
    ("POST", "/api/v1/cases/{id}/fund-requests"),
    ("POST", "/api/v1/fund-requests/{id}/decision"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/{id}"),
    ("POST", "/api/v1/users/{id}/mfa-reset"),
    ("POST", "/api/v1/organizations"),
    ("POST", "/admin/users/{id}/access"),
    ("POST", "/api/v1/hotlines"),
    ("POST", "/cases/{id}/stage"),
    ("POST", "/cases/{id}/cooperation"),
    ("POST", "/cases/{id}/team"),
    ("POST", "/cases/{id}/entries/update"),
    ("POST", "/cases/{id}/fund-requests"),
    ("POST", "/cases/{id}/documents"),
    ("POST", "/api/v1/cases/{id}/notices"),
    ("PUT", "/api/v1/cases/{id}/opt-outs/{channel}"),
    ("PUT", "/api/v1/documents/{id}"),
    ("POST", "/admin/users"),
    ("POST", "/admin/users/{id}/reset-mfa"),
    ("POST", "/admin/users/{id}/end-sessions"),
    ("DELETE", "/api/v1/users/{id}/sessions"),
    ("POST", "/admin/organizations"),
    ("POST", "/hotlines"),
    ("PUT", "/api/v1/notice-templates/{lang}/{key}"),
    ("POST", "/funds"),
    ("POST", "/funds/{id}/add"),
    ("POST", "/fund-requests/{id}/decide"),
];

/// Every `.route("…", …)` registration of the server that answers a state-
/// changing method, and every API handler registered with `routes!` (its
/// method and path are in its `#[utoipa::path(...)]`), read from its source.
fn registered_write_routes() -> Vec<(String, String)> {
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    let mut stack = vec![src];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    let mut out = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let mut api = text.as_str();
        while let Some(at) = api.find("#[utoipa::path(") {
            api = &api[at + "#[utoipa::path(".len()..];
            let method = api
                .split(',')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_uppercase();
            let Some(p) = api.find("path = \"") else {
                break;
            };
            let after = &api[p + "path = \"".len()..];
            let Some(end) = after.find('"') else { break };
            if matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
                out.push((method, after[..end].to_owned()));
            }
        }
        let mut rest = text.as_str();
        while let Some(at) = rest.find(".route(") {
            rest = &rest[at + ".route(".len()..];
            let Some(q) = rest.find('"') else { break };
            let after = &rest[q + 1..];
            let Some(end) = after.find('"') else { break };
            let path = after[..end].to_owned();
            // The method router: up to the call's closing parenthesis.
            let mut depth = 1;
            let mut close = 0;
            for (i, c) in rest.char_indices() {
                match c {
                    '(' => depth += 1,
                    ')' => {
                        depth -= 1;
                        if depth == 0 {
                            close = i;
                            break;
                        }
                    }
                    _ => {}
                }
            }
            let methods = &rest[..close];
            for (m, needle) in [
                ("POST", "post("),
                ("PUT", "put("),
                ("PATCH", "patch("),
                ("DELETE", "delete("),
            ] {
                let hit = methods.match_indices(needle).any(|(i, _)| {
                    i == 0
                        || !methods.as_bytes()[i - 1].is_ascii_alphanumeric()
                            && methods.as_bytes()[i - 1] != b'_'
                });
                if hit {
                    out.push((m.to_owned(), path.clone()));
                }
            }
            rest = &rest[close..];
        }
    }
    out.sort();
    out.dedup();
    out
}

#[test]
fn every_write_route_is_in_the_matrix() {
    let routes = registered_write_routes();
    assert!(
        routes.len() > 90,
        "the scan found the routes: {}",
        routes.len()
    );
    let listed = |m: &str, p: &str| {
        IN_MATRIX.iter().any(|(lm, lp)| *lm == m && *lp == p)
            || COVERED_ELSEWHERE
                .iter()
                .any(|(lm, lp, _)| *lm == m && *lp == p)
    };
    let missing: Vec<_> = routes.iter().filter(|(m, p)| !listed(m, p)).collect();
    assert!(
        missing.is_empty(),
        "state-changing routes missing from the write matrix (add a row, or say where they are tested): {missing:#?}"
    );
    let stale: Vec<_> = IN_MATRIX
        .iter()
        .map(|(m, p)| (*m, *p))
        .chain(COVERED_ELSEWHERE.iter().map(|(m, p, _)| (*m, *p)))
        .filter(|(m, p)| !routes.iter().any(|(rm, rp)| rm == m && rp == p))
        .collect();
    assert!(
        stale.is_empty(),
        "listed routes that no longer exist: {stale:#?}"
    );
}
