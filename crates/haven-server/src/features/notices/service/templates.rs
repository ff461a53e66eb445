//! Notice templates: the shipped wording per language and each organization's own.

use super::*;

// ------------------------------------------------------------------ templates

/// A template as an administrator sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TemplateView {
    pub lang: String,
    pub key: String,
    /// The shipped wording.
    pub shipped: String,
    /// The organization's own wording, if any.
    pub custom: Option<String>,
}

fn require_admin(actor: &Actor) -> Result<(), AppError> {
    if haven_domain::policy::may_manage_shared_lists(actor) {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Every template in every language, with the organization's wording.
///
/// # Errors
/// Not an administrator of the organization.
pub async fn templates(state: &AppState, actor: &Actor) -> Result<Vec<TemplateView>, AppError> {
    require_admin(actor)?;
    let custom = state.store.templates(actor.organization).await?;
    let mut out = Vec::new();
    for lang in languages() {
        for key in template_keys() {
            out.push(TemplateView {
                shipped: shipped(&lang, &key),
                custom: custom
                    .iter()
                    .find(|t| t.lang == lang && t.key == key)
                    .map(|t| t.body.clone()),
                lang: lang.clone(),
                key,
            });
        }
    }
    Ok(out)
}

/// Saves (or with an empty body, removes) the organization's wording.
///
/// # Errors
/// Not an administrator; an unknown template; a body that is not a valid
/// template.
pub async fn save_template(
    state: &AppState,
    actor: &Actor,
    lang: &str,
    key: &str,
    body: &str,
    rid: Option<String>,
) -> Result<(), AppError> {
    require_admin(actor)?;
    let audit = audit(
        actor,
        AuditAction::TemplateSaved,
        "organization",
        actor.organization,
        rid,
    );
    if !haven_domain::text::has_visible(body) {
        if !template_keys().iter().any(|k| k == key) || !languages().iter().any(|l| l == lang) {
            return Err(AppError::NotFound);
        }
        state
            .store
            .delete_template(actor.organization, lang, key, &audit)
            .await?;
        return Ok(());
    }
    let body = check_template(lang, key, body)?;
    state
        .store
        .save_template(
            &TemplateRow {
                organization: actor.organization,
                lang: lang.to_owned(),
                key: key.to_owned(),
                body,
                updated_by: actor.user,
                updated_at: haven_domain::now(),
            },
            &audit,
        )
        .await?;
    Ok(())
}

/// For tests and the organization's preview: a template rendered with
/// sample values.
#[must_use]
pub fn preview(org_templates: &[TemplateRow], lang: &str, key: &str) -> String {
    render(
        org_templates,
        lang,
        key,
        &[("specialist", "Sam"), ("when", "2026-12-08 10:00")],
    )
}
