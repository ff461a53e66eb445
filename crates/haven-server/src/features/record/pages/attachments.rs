//! Attachments on a case: upload checks, encryption at rest, download.

use super::*;
use crate::web::pages::Id;

// ---------------------------------------------------------------- attachments

/// What an uploaded file really is, from its first bytes (the declared type
/// is not trusted). Only these kinds are kept.
#[must_use]
pub fn sniff_content_type(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(b"\xff\xd8\xff") {
        Some("image/jpeg")
    } else if !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        Some("text/plain; charset=utf-8")
    } else {
        None
    }
}

/// Stores an attachment, encrypted, with its SHA-256.
///
/// # Errors
/// Too large, empty, a kind not accepted, not allowed.
pub async fn store_attachment(
    state: &AppState,
    case: &OpenCase,
    file_name: &str,
    compartment: &str,
    content: &[u8],
    rid: Option<String>,
) -> Result<AttachmentId, AppError> {
    use sha2::Digest;
    case.require_edit()?;
    let mut p = crate::web::problems::Problems::default();
    let compartment = match compartment {
        "advocate" => Compartment::Advocate,
        _ => Compartment::Shared,
    };
    if !access::may_write_compartment(&case.actor, compartment) {
        p.add(
            "compartment",
            "not_allowed",
            "Advocate records are written by victim services only.",
        );
    }
    let name = p.text("file", file_name, 200);
    let limit = state.settings.attachment_limit_bytes;
    let kind = sniff_content_type(content);
    if content.is_empty() {
        p.add("file", "required", "Choose a file to attach.");
    } else if content.len() > limit {
        p.add(
            "file",
            "too_large",
            format!("file must be at most {} MB.", limit / (1024 * 1024)),
        );
    } else if kind.is_none() {
        p.add(
            "file",
            "bad_type",
            "file must be a PDF, PNG, JPEG or plain text file.",
        );
    }
    p.finish()?;
    let id = AttachmentId::new();
    let row = id.to_string();
    let name = if name.is_empty() {
        "attachment".to_owned()
    } else {
        name
    };
    let meta = haven_store::AttachmentMeta {
        id,
        case: case.facts.id,
        compartment,
        name: crate::case::sealed::seal(state, "case_attachments", "name", &row, name.as_bytes())?,
        content_type: kind.unwrap_or("application/octet-stream").to_owned(),
        size: content.len() as u64,
        sha256: sha2::Sha256::digest(content).into(),
        by: case.actor.user,
        at: haven_domain::now(),
    };
    let sealed = crate::case::sealed::seal(state, "case_attachments", "content", &row, content)?;
    let audit = AuditEntry::new(AuditAction::AttachmentAdded)
        .by(case.actor.user, case.actor.organization)
        .on("case", case.facts.id)
        .request(rid);
    state.store.add_attachment(&meta, &sealed, &audit).await?;
    Ok(id)
}

/// The decrypted name, type and content of an attachment the case's reader
/// may see.
///
/// # Errors
/// Not found (or not visible); decryption failures.
pub async fn attachment_bytes(
    state: &AppState,
    case: &OpenCase,
    aid: AttachmentId,
) -> Result<(String, String, Vec<u8>), AppError> {
    let (meta, sealed) = state
        .store
        .attachment(case.facts.id, aid)
        .await?
        .filter(|(m, _)| case.sees(m.compartment))
        .ok_or(AppError::NotFound)?;
    let row = aid.to_string();
    let name =
        crate::case::sealed::unseal_text(state, "case_attachments", "name", &row, &meta.name)
            .await?;
    let bytes =
        crate::case::sealed::unseal(state, "case_attachments", "content", &row, &sealed).await?;
    Ok((name, meta.content_type, bytes))
}

/// A download: always "attachment" (never rendered inline), with a name
/// reduced to safe ASCII.
#[must_use]
pub fn attachment_response(name: &str, kind: &str, bytes: Vec<u8>) -> Response {
    use axum::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let safe: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || ".-_ ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    (
        [
            (CONTENT_TYPE, kind.to_owned()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{safe}\""),
            ),
            (CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

#[derive(askama::Template)]
#[template(path = "record/team.html")]
struct TeamPage {
    page: crate::web::pages::PageFrame,
    csrf: String,
    case_id: CaseId,
    team: Vec<String>,
    candidates: Vec<(UserId, String)>,
    roles: Vec<(&'static str, String)>,
}

/// The form that adds someone to a case team: the case organization's
/// people and partner agencies' agents and interviewers. Kept off the case
/// page, which then needs no staff list.
pub async fn team_page(
    axum::extract::State(state): axum::extract::State<AppState>,
    lang: Lang,
    crate::web::session::SignedIn(me): crate::web::session::SignedIn,
    crate::web::session::ReqId(rid): crate::web::session::ReqId,
    Id(id): Id<CaseId>,
) -> axum::response::Response {
    let r = async {
        let case = posted_case(&state, &me, id, rid).await?;
        if !access::may_manage_team(&case.actor, &case.facts) {
            return Err(AppError::Forbidden(
                "The team is managed by the owner specialist and supervisors.".into(),
            ));
        }
        let on_team: Vec<UserId> = case.facts.team.iter().map(|(u, _)| *u).collect();
        let names: HashMap<UserId, String> = state.store.display_names(&on_team).await?;
        let mut candidates: Vec<(UserId, String)> = state
            .store
            .list_users(UserScope::Organization(case.facts.organization))
            .await?
            .into_iter()
            .filter(|(u, _)| !u.disabled)
            .map(|(u, _)| (u.id, u.display_name))
            .collect();
        for u in state.store.partner_staff().await? {
            if u.organization_id != case.facts.organization {
                candidates.push((u.id, u.display_name));
            }
        }
        candidates.sort_by(|a, b| a.1.cmp(&b.1));
        let team = case
            .facts
            .team
            .iter()
            .map(|(u, r)| {
                format!(
                    "{}: {}",
                    names
                        .get(u)
                        .cloned()
                        .unwrap_or_else(|| lang.t("history-someone-else")),
                    lang.t(&format!("team-{}", r.as_str()))
                )
            })
            .collect();
        let page = TeamPage {
            page: crate::web::pages::PageFrame::new(
                &state,
                lang,
                &format!("/cases/{id}/team"),
                Some(&me),
            ),
            csrf: me.csrf_token(),
            case_id: case.facts.id,
            team,
            candidates,
            roles: TeamRole::ALL
                .iter()
                .map(|r| (r.as_str(), lang.t(&format!("pick-teamrole-{}", r.as_str()))))
                .collect(),
        };
        Ok(crate::web::pages::render(&page, axum::http::StatusCode::OK))
    }
    .await;
    match r {
        Ok(res) => res,
        Err(e) => crate::web::pages::error_page(&state, lang, &e),
    }
}
