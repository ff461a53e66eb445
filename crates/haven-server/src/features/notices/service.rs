//! Notices to victims: composed from Fluent templates in the
//! person's language, sent only through their safe channel, at their safe
//! time, and never when they have said stop. Also: opt-outs, staff
//! notification settings (which notifications also come by e-mail), and the
//! organization's own wording of the templates.
//!
//! A notice carries no offender's name, no address and no case details:
//! the templates say that there is news and who to call. When no message may
//! be left, only "please call your specialist" is sent.

use crate::AppState;
use crate::audit::entry as audit;
use crate::case::OpenCase;
use crate::case::open_case;
use crate::case::person_view;
use crate::case::sealed::seal;
use crate::case::sealed::unseal_text;
use crate::web::error::AppError;
use fluent_templates::fluent_bundle::{FluentArgs, FluentBundle, FluentResource, FluentValue};
use fluent_templates::{LanguageIdentifier, Loader};
use haven_domain::access::{CaseFacts, TeamRole};
use haven_domain::notice::{self, Channel, NoRoute, NoticeEvent};
use haven_domain::policy::Actor;
use haven_domain::{AuditAction, AuditEntry, CaseId, DeliveryId, UserId};
use haven_store::{DeliveryRow, StoredPerson, TemplateRow};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use std::collections::HashMap;
use time::OffsetDateTime;

mod templates;
pub use templates::*;

fluent_templates::static_loader! {
    static NOTICES = {
        locales: "./notices",
        fallback_language: "en-US",
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The variables a template may use.
pub const VARIABLES: [&str; 2] = ["specialist", "when"];

/// Every template key, in display order.
#[must_use]
pub fn template_keys() -> Vec<String> {
    let mut keys = vec!["notice-subject".to_owned()];
    keys.extend(NoticeEvent::ALL.iter().map(|e| format!("notice-{e}")));
    keys.push("notice-footer-sms".into());
    keys.push("notice-footer-email".into());
    keys
}

/// The languages notices are written in: one folder each under `notices/`.
#[must_use]
pub fn languages() -> Vec<String> {
    let mut v: Vec<String> = NOTICES.locales().map(ToString::to_string).collect();
    v.sort();
    v
}

fn lang_id(code: &str) -> LanguageIdentifier {
    code.parse()
        .unwrap_or_else(|_| "en-US".parse().expect("en-US"))
}

/// The shipped wording of a template (no arguments filled).
#[must_use]
pub fn shipped(lang: &str, key: &str) -> String {
    // Show the source text with its variables, as a translator sees it.
    let args: HashMap<Cow<'static, str>, FluentValue<'_>> = VARIABLES
        .iter()
        .map(|v| (Cow::Borrowed(*v), FluentValue::from(format!("{{${v}}}"))))
        .collect();
    NOTICES
        .try_lookup_with_args(&lang_id(lang), key, &args)
        .unwrap_or_default()
}

/// Renders `body` (a Fluent pattern) with `args`; errors are the parser's
/// or resolver's messages.
fn render_pattern(lang: &str, body: &str, args: &[(&str, &str)]) -> Result<String, String> {
    let indented = body.trim().replace('\n', "\n    ");
    let source = format!("custom = {indented}\n");
    let res = FluentResource::try_new(source).map_err(|(_, errs)| {
        errs.first()
            .map_or_else(|| "not a Fluent pattern".to_owned(), |e| format!("{e:?}"))
    })?;
    let mut bundle = FluentBundle::new(vec![lang_id(lang)]);
    bundle.set_use_isolating(false);
    bundle
        .add_resource(res)
        .map_err(|_| "not a Fluent pattern".to_owned())?;
    let msg = bundle
        .get_message("custom")
        .and_then(|m| m.value())
        .ok_or_else(|| "the template is empty".to_owned())?;
    let mut fargs = FluentArgs::new();
    for (k, v) in args {
        fargs.set(*k, FluentValue::from(*v));
    }
    let mut errors = Vec::new();
    let out = bundle.format_pattern(msg, Some(&fargs), &mut errors);
    if let Some(e) = errors.first() {
        return Err(format!("{e}"));
    }
    Ok(out.into_owned())
}

/// Checks an organization's wording of a template: a Fluent pattern using
/// only the known variables, not empty, at most 480 characters.
///
/// # Errors
/// Field-level errors naming the problem.
pub fn check_template(lang: &str, key: &str, body: &str) -> Result<String, AppError> {
    let invalid = |code, message: String| AppError::Invalid {
        code,
        field: Some("body"),
        message,
    };
    if !template_keys().iter().any(|k| k == key) {
        return Err(AppError::NotFound);
    }
    if !languages().iter().any(|l| l == lang) {
        return Err(AppError::NotFound);
    }
    let body = body.trim();
    if body.is_empty() {
        return Err(invalid("required", "Write the message.".into()));
    }
    if body.chars().count() > 480 {
        return Err(invalid(
            "too_long",
            "At most 480 characters: a notice must be short.".into(),
        ));
    }
    let sample: Vec<(&str, &str)> = vec![("specialist", "Sam"), ("when", "2026-12-08 10:00")];
    render_pattern(lang, body, &sample).map_err(|e| {
        invalid(
            "bad_template",
            format!(
                "This is not a valid template ({e}). Use only the variables {{$specialist}} and {{$when}}."
            ),
        )
    })?;
    Ok(body.to_owned())
}

/// Renders a template for `org`: its own wording when it has one, else the
/// shipped file.
fn render(
    overrides: &[TemplateRow],
    lang: &str,
    key: &str,
    args: &[(&'static str, &str)],
) -> String {
    if let Some(t) = overrides.iter().find(|t| t.lang == lang && t.key == key)
        && let Ok(s) = render_pattern(lang, &t.body, args)
    {
        return s;
    }
    let fargs: HashMap<Cow<'static, str>, FluentValue<'_>> = args
        .iter()
        .map(|(k, v)| (Cow::Borrowed(*k), FluentValue::from(*v)))
        .collect();
    NOTICES
        .try_lookup_with_args(&lang_id(lang), key, &fargs)
        .unwrap_or_default()
}

/// The keyed hash of an address or number, normalized, for opt-outs.
#[must_use]
pub fn destination_key(state: &AppState, channel: Channel, destination: &str) -> Vec<u8> {
    let normalized = match channel {
        Channel::Email => destination.trim().to_lowercase(),
        // A US number with or without the country code is one number.
        Channel::Sms => notice::e164(destination)
            .unwrap_or_else(|| destination.chars().filter(char::is_ascii_digit).collect()),
    };
    state
        .keyring
        .current()
        .blind_index(&format!("delivery {channel}"), &normalized)
        .to_vec()
}

/// What the team writes to notify the victim.
#[derive(Clone, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct NoticeInput {
    /// One of the notice events (investigation_status, arrest, charges,
    /// proceeding_scheduled, release_or_detention, plea_or_verdict,
    /// sentence, appointment, referral_update, call_specialist).
    pub event: String,
    /// Local date and time ("2026-12-08T10:00") for a court date or an
    /// appointment.
    pub when: String,
    /// Send only "please call your specialist", whatever the event.
    pub call_only: bool,
}

/// A notice as queued: what was decided for it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeQueued {
    #[schema(value_type = String, format = Uuid)]
    pub id: DeliveryId,
    pub channel: String,
    pub lang: String,
    /// Written in English because no template exists in the person's language.
    pub language_fallback: bool,
    /// Only "please call your specialist" (no message may be left).
    pub reduced: bool,
    /// When it goes out (held for the person's safe window).
    #[serde(with = "time::serde::rfc3339")]
    pub send_at: OffsetDateTime,
    /// `opted_out` when the person has said stop: nothing is sent.
    pub status: String,
}

fn no_route(r: NoRoute, lang: crate::web::i18n::Lang) -> AppError {
    let message = match r {
        NoRoute::NoSafeChannel => lang.t("notice-no-channel"),
        NoRoute::NotWritten(c) => lang.t1(
            "notice-not-written",
            "what",
            &lang.t(&format!("pick-channel-{}", c.as_str())),
        ),
        NoRoute::NoAddress(Channel::Email) => lang.t("notice-no-email"),
        NoRoute::NoAddress(Channel::Sms) => lang.t("notice-no-phone"),
    };
    AppError::Invalid {
        code: r.code(),
        field: Some("event"),
        message,
    }
}

/// The name the person knows: the case's owner specialist, else `fallback`.
async fn contact_name(
    state: &AppState,
    facts: &CaseFacts,
    fallback: UserId,
) -> Result<String, AppError> {
    let owner = facts
        .team
        .iter()
        .find(|(_, r)| *r == TeamRole::OwnerSpecialist)
        .map_or(fallback, |(u, _)| *u);
    let names = state.store.display_names(&[owner]).await?;
    Ok(names.get(&owner).map(|n| first_name(n)).unwrap_or_default())
}

/// The first word of a display name: enough to know who to call.
fn first_name(display: &str) -> String {
    display
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned()
}

/// Composes a notice to the person of an opened case. `Err` when it cannot
/// be written (the reason says what to do instead).
///
/// # Errors
/// No written safe channel or no address.
#[allow(clippy::too_many_arguments)]
pub async fn compose(
    state: &AppState,
    facts: &CaseFacts,
    person: Option<&StoredPerson>,
    by: UserId,
    event: NoticeEvent,
    when: Option<&str>,
    dedupe: Option<String>,
    now: OffsetDateTime,
) -> Result<(DeliveryRow, NoticeQueued), AppError> {
    let ui = crate::web::i18n::Lang::En;
    let Some(p) = person else {
        return Err(no_route(NoRoute::NoSafeChannel, ui));
    };
    let person = person_view(state, p).await?;
    let offset = state.settings.local_offset();
    let plan = notice::plan(
        &person.profile.safe_contact,
        &person.profile.phone,
        &person.profile.email,
        now,
        offset,
    )
    .map_err(|r| no_route(r, ui))?;
    let available = languages();
    let available: Vec<&str> = available.iter().map(String::as_str).collect();
    let (lang, fallback) = notice::language(&person.profile.languages, &available);
    let overrides = state.store.templates(facts.organization).await?;
    let specialist = contact_name(state, facts, by).await?;
    let when_text = when.unwrap_or_default();
    let args: [(&'static str, &str); 2] = [("specialist", &specialist), ("when", when_text)];
    let key = if plan.reduced {
        "notice-call_specialist".to_owned()
    } else {
        format!("notice-{event}")
    };
    let mut text = render(&overrides, lang, &key, &args);
    if let Some(code) = &plan.code_word {
        text = format!("{code}: {text}");
    }
    let footer = match plan.channel {
        Channel::Sms => render(&overrides, lang, "notice-footer-sms", &args),
        Channel::Email => render(&overrides, lang, "notice-footer-email", &args),
    };
    let body = format!("{text}\n{footer}");
    let id = DeliveryId::new();
    let row = id.to_string();
    let subject = match plan.channel {
        Channel::Email => Some(seal(
            state,
            "deliveries",
            "subject",
            &row,
            render(&overrides, lang, "notice-subject", &args).as_bytes(),
        )?),
        Channel::Sms => None,
    };
    let delivery = DeliveryRow {
        id,
        dedupe_key: dedupe.unwrap_or_else(|| format!("notice:{id}")),
        audience: "victim".into(),
        channel: plan.channel.as_str().into(),
        kind: event.as_str().into(),
        rule: event.rule().into(),
        lang: lang.to_owned(),
        reduced: plan.reduced,
        case: Some(facts.id),
        user: None,
        destination: seal(
            state,
            "deliveries",
            "destination",
            &row,
            plan.destination.as_bytes(),
        )?,
        destination_key: destination_key(state, plan.channel, &plan.destination),
        subject,
        body: seal(state, "deliveries", "body", &row, body.as_bytes())?,
        status: "pending".into(),
        attempts: 0,
        available_at: plan.send_at,
        last_error: None,
        provider_id: None,
        created_by: Some(by),
        created_at: now,
        sent_at: None,
    };
    let queued = NoticeQueued {
        id,
        channel: delivery.channel.clone(),
        lang: lang.to_owned(),
        language_fallback: fallback,
        reduced: plan.reduced,
        send_at: plan.send_at,
        status: "pending".into(),
    };
    Ok((delivery, queued))
}

/// Sends a notice chosen by the case team.
///
/// # Errors
/// Not allowed to change the case; an unknown event; a court date or
/// appointment without its time; no written safe channel.
pub async fn notify(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    input: &NoticeInput,
    rid: Option<String>,
) -> Result<NoticeQueued, AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    open.require_edit()?;
    let event = NoticeEvent::parse(input.event.trim()).ok_or_else(|| AppError::Invalid {
        code: "unknown_event",
        field: Some("event"),
        message: format!("event must be one of: {}.", NoticeEvent::codes().join(", ")),
    })?;
    let event = if input.call_only {
        NoticeEvent::CallSpecialist
    } else {
        event
    };
    let when = if event.needs_when() {
        // Shown as the team typed it, in local time ("2026-12-08 10:00").
        let at = crate::web::time::parse_local(state, &input.when);
        let shown = at
            .map(|t| crate::web::time::local_text(state, t))
            .ok_or_else(|| AppError::Invalid {
                code: "required",
                field: Some("when"),
                message: "Give the date and time (2026-12-08T10:00).".into(),
            })?;
        Some(shown)
    } else {
        None
    };
    let now = haven_domain::now();
    let (delivery, mut queued) = compose(
        state,
        &open.facts,
        open.person.as_ref(),
        actor.user,
        event,
        when.as_deref(),
        None,
        now,
    )
    .await?;
    let audit = audit(actor, AuditAction::NoticeQueued, "case", case, rid);
    state
        .store
        .queue_deliveries(std::slice::from_ref(&delivery), Some(&audit))
        .await?;
    if let Some(stored) = state.store.delivery(delivery.id).await? {
        queued.status = stored.status;
    }
    Ok(queued)
}

/// The notice of a court date ahead, for the person of an opened
/// case: `None` when the date has passed or there is no written safe channel
/// (the case page says how to reach them instead).
///
/// # Errors
/// Store and encryption failures.
pub async fn court_notice(
    state: &AppState,
    open: &OpenCase,
    entry: haven_domain::EntryId,
    on: time::Date,
    now: OffsetDateTime,
) -> Result<Option<DeliveryRow>, AppError> {
    if on < now.to_offset(state.settings.local_offset()).date() {
        return Ok(None);
    }
    match compose(
        state,
        &open.facts,
        open.person.as_ref(),
        open.actor.user,
        NoticeEvent::ProceedingScheduled,
        Some(&on.to_string()),
        Some(format!("court:{entry}")),
        now,
    )
    .await
    {
        Ok((row, _)) => Ok(Some(row)),
        Err(AppError::Invalid { .. }) => Ok(None),
        Err(e) => Err(e),
    }
}

/// A message on the case's notice history.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct NoticeView {
    #[schema(value_type = String, format = Uuid)]
    pub id: DeliveryId,
    pub event: String,
    pub rule: String,
    pub channel: String,
    pub lang: String,
    pub reduced: bool,
    pub status: String,
    pub attempts: i64,
    /// The words sent (or to be sent).
    pub text: String,
    /// The address or number, mostly hidden.
    pub to: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub send_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    pub sent_at: Option<OffsetDateTime>,
    pub last_error: Option<String>,
}

/// Hides all but the last characters of an address or number.
fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let keep = if s.contains('@') {
        s.find('@')
            .map_or(0, |at| chars.len() - s[..at].chars().count())
    } else {
        2
    };
    let hidden = chars.len().saturating_sub(keep);
    let mut out: String = "•".repeat(hidden.min(6));
    out.extend(&chars[hidden..]);
    out
}

/// The notices sent to the person of an opened case, newest first.
///
/// # Errors
/// Store and decryption failures.
pub async fn case_notices(state: &AppState, open: &OpenCase) -> Result<Vec<NoticeView>, AppError> {
    let rows = state
        .store
        .deliveries_for_case(open.facts.id, CASE_NOTICES_SHOWN)
        .await?;
    notice_views(state, rows).await
}

/// How many of a case's newest notices are shown.
pub const CASE_NOTICES_SHOWN: u32 = 100;

/// [`case_notices`] from rows already read (the case page reads them with
/// its other lists).
///
/// # Errors
/// Decryption failures.
pub async fn notice_views(
    state: &AppState,
    rows: Vec<haven_store::DeliveryRow>,
) -> Result<Vec<NoticeView>, AppError> {
    let mut out = Vec::with_capacity(rows.len());
    for d in rows.into_iter().filter(|d| d.audience == "victim") {
        let row = d.id.to_string();
        let text = unseal_text(state, "deliveries", "body", &row, &d.body).await?;
        let to = unseal_text(state, "deliveries", "destination", &row, &d.destination).await?;
        out.push(NoticeView {
            id: d.id,
            event: d.kind,
            rule: d.rule,
            channel: d.channel,
            lang: d.lang,
            reduced: d.reduced,
            status: d.status,
            attempts: d.attempts,
            text,
            to: mask(&to),
            created_at: d.created_at,
            send_at: d.available_at,
            sent_at: d.sent_at,
            last_error: d.last_error,
        });
    }
    Ok(out)
}

/// The person's written channels and whether each has said stop.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ChannelState {
    pub channel: String,
    /// Mostly hidden.
    pub to: String,
    pub opted_out: bool,
}

/// Where notices to the person of an opened case can go, and opt-outs.
///
/// # Errors
/// Store and decryption failures.
pub async fn channels(state: &AppState, open: &OpenCase) -> Result<Vec<ChannelState>, AppError> {
    let Some(p) = &open.person else {
        return Ok(Vec::new());
    };
    let person = person_view(state, p).await?;
    let mut out = Vec::new();
    for (channel, dest) in [
        (Channel::Sms, person.profile.phone.trim()),
        (Channel::Email, person.profile.email.trim()),
    ] {
        if dest.is_empty() {
            continue;
        }
        let key = destination_key(state, channel, dest);
        out.push(ChannelState {
            channel: channel.as_str().into(),
            to: mask(dest),
            opted_out: state.store.is_opted_out(&key, channel.as_str()).await?,
        });
    }
    Ok(out)
}

/// Records (or, with `stop == false`, lifts) the person's "stop" on a
/// channel, as told to the team. A stop takes effect at once: pending
/// messages to that address are closed.
///
/// # Errors
/// Not allowed to change the case; no such channel on the person.
pub async fn set_opt_out(
    state: &AppState,
    actor: &Actor,
    case: CaseId,
    channel: &str,
    stop: bool,
    rid: Option<String>,
) -> Result<(), AppError> {
    let open = open_case(state, actor, case, rid.clone()).await?;
    open.require_edit()?;
    let channel = Channel::parse(channel).ok_or_else(|| AppError::Invalid {
        code: "unknown_channel",
        field: Some("channel"),
        message: "channel must be sms or email.".into(),
    })?;
    let Some(p) = &open.person else {
        return Err(AppError::NotFound);
    };
    let person = person_view(state, p).await?;
    let dest = match channel {
        Channel::Sms => person.profile.phone,
        Channel::Email => person.profile.email,
    };
    if dest.trim().is_empty() {
        return Err(AppError::Invalid {
            code: "no_address",
            field: Some("channel"),
            message: "No address or number is recorded for this channel.".into(),
        });
    }
    let key = destination_key(state, channel, &dest);
    let audit = audit(actor, AuditAction::OptOutRecorded, "case", case, rid);
    if stop {
        state
            .store
            .record_opt_out(
                &key,
                channel.as_str(),
                "staff",
                haven_domain::now(),
                Some(&audit),
            )
            .await?;
    } else {
        state
            .store
            .remove_opt_out(&key, channel.as_str(), &audit)
            .await?;
    }
    Ok(())
}

/// An SMS reply from the provider: "STOP" (or ALTO, BAJA...) opts the
/// number out at once. Returns whether it was an opt-out.
///
/// # Errors
/// Store failures.
pub async fn inbound_sms(state: &AppState, from: &str, text: &str) -> Result<bool, AppError> {
    if !notice::is_opt_out(text) {
        return Ok(false);
    }
    let key = destination_key(state, Channel::Sms, from);
    let audit = AuditEntry::new(AuditAction::OptOutRecorded).on("channel", "sms");
    state
        .store
        .record_opt_out(&key, "sms", "reply", haven_domain::now(), Some(&audit))
        .await?;
    Ok(true)
}

// ------------------------------------------------------------ staff settings

/// The kinds of staff notification a person can also receive by e-mail.
pub const STAFF_KINDS: [&str; 3] = ["deadlines", "referrals", "interviews"];

/// Which setting an outbox message kind falls under.
#[must_use]
pub fn staff_kind(message_kind: &str) -> &'static str {
    if message_kind.starts_with("referral") {
        "referrals"
    } else if message_kind.starts_with("interview") {
        "interviews"
    } else {
        "deadlines"
    }
}

/// A person's settings: every kind, with e-mail on or off (off unless set).
///
/// # Errors
/// Store failures.
pub async fn settings(state: &AppState, user: UserId) -> Result<Vec<(String, bool)>, AppError> {
    let saved = state.store.notification_settings(user).await?;
    Ok(STAFF_KINDS
        .iter()
        .map(|k| {
            let on = saved.iter().any(|(s, e)| s == k && *e);
            ((*k).to_owned(), on)
        })
        .collect())
}

/// Saves a person's own settings.
///
/// # Errors
/// An unknown kind; store failures.
pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    email: &[String],
    rid: Option<String>,
) -> Result<(), AppError> {
    if let Some(bad) = email.iter().find(|k| !STAFF_KINDS.contains(&k.as_str())) {
        return Err(AppError::Invalid {
            code: "unknown_kind",
            field: Some("email"),
            message: format!(
                "{bad} is not a notification kind; use {}.",
                STAFF_KINDS.join(", ")
            ),
        });
    }
    let values: Vec<(String, bool)> = STAFF_KINDS
        .iter()
        .map(|k| ((*k).to_owned(), email.iter().any(|e| e == k)))
        .collect();
    let audit = audit(
        actor,
        AuditAction::NotificationSettingsChanged,
        "user",
        actor.user,
        rid,
    );
    state
        .store
        .save_notification_settings(actor.user, &values, &audit)
        .await?;
    Ok(())
}

/// A reminder in the reader's language, from the codes and dates it carries.
pub fn reminder_text(lang: crate::web::i18n::Lang, kind: &str, payload: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(payload).unwrap_or_default();
    let field = |k: &str| {
        v.get(k)
            .and_then(|x| x.as_str())
            .unwrap_or_default()
            .to_owned()
    };
    match kind {
        "deadline_reminder" => {
            let what = lang.t(&format!("relief-deadline-{}", field("kind")));
            let member = field("family_member");
            let what = if member.is_empty() {
                what
            } else {
                format!("{what} ({member})")
            };
            lang.t_args(
                "home-reminder",
                &[("what", what.as_str()), ("date", field("due_on").as_str())],
            )
        }
        "referral_received" | "referral_withdrawn" | "referral_overdue" => {
            let what = lang.t(&format!("pick-need-{}", field("need")));
            lang.t1(&format!("home-{}", kind.replace('_', "-")), "what", &what)
        }
        "role_granted" => {
            let role = lang.t(&format!("role-{}", field("role")));
            lang.t_args(
                "home-role-granted",
                &[("name", field("name").as_str()), ("role", role.as_str())],
            )
        }
        "interview_requested" => lang.t("home-interview-requested"),
        "interview_scheduled" => lang.t1("home-interview-scheduled", "date", &field("date")),
        "referral_updated" => {
            let what = lang.t(&format!("pick-need-{}", field("need")));
            let status = lang.t(&format!("ref-status-{}", field("status")));
            lang.t_args(
                "home-referral-updated",
                &[("what", what.as_str()), ("status", status.as_str())],
            )
        }
        _ => lang.t("home-reminder-other"),
    }
}

/// The e-mail copy of a staff notification, when its reader asked for one.
/// It says what happened in codes and dates only and asks them to sign in:
/// no personal data leaves Haven by staff e-mail.
///
/// # Errors
/// Store failures.
pub async fn staff_email(
    state: &AppState,
    user: UserId,
    message: &haven_store::ClaimedMessage,
    now: OffsetDateTime,
) -> Result<Option<DeliveryRow>, AppError> {
    let kind = staff_kind(&message.kind);
    let wanted = state
        .store
        .notification_settings(user)
        .await?
        .iter()
        .any(|(k, on)| k == kind && *on);
    if !wanted {
        return Ok(None);
    }
    let Some(person) = state.store.user(user).await? else {
        return Ok(None);
    };
    let address = person.login.as_str().to_owned();
    if !address.contains('@') || person.disabled {
        return Ok(None);
    }
    let lang = crate::web::i18n::Lang::En;
    let text = reminder_text(lang, &message.kind, &message.payload);
    let body = format!("{text}\n\n{}", lang.t("notice-staff-sign-in"));
    staff_row(
        state,
        StaffMessage {
            dedupe_key: format!("staff-email:{}", message.id),
            channel: Channel::Email,
            kind: &message.kind,
            user: Some(user),
            to: &address,
            subject: &lang.t("notice-staff-subject"),
            body: &body,
        },
        now,
    )
    .map(Some)
}

/// A message to staff or an operator (never to a victim: no rule, no case).
struct StaffMessage<'a> {
    dedupe_key: String,
    channel: Channel,
    kind: &'a str,
    user: Option<UserId>,
    to: &'a str,
    subject: &'a str,
    body: &'a str,
}

/// The outbox row of a staff message, its address, subject and body sealed.
fn staff_row(
    state: &AppState,
    m: StaffMessage<'_>,
    now: OffsetDateTime,
) -> Result<DeliveryRow, AppError> {
    let id = DeliveryId::new();
    let row = id.to_string();
    Ok(DeliveryRow {
        id,
        dedupe_key: m.dedupe_key,
        audience: "staff".into(),
        channel: m.channel.as_str().into(),
        kind: m.kind.to_owned(),
        rule: String::new(),
        lang: "en-US".into(),
        reduced: false,
        case: None,
        user: m.user,
        destination: seal(state, "deliveries", "destination", &row, m.to.as_bytes())?,
        destination_key: destination_key(state, m.channel, m.to),
        subject: Some(seal(
            state,
            "deliveries",
            "subject",
            &row,
            m.subject.as_bytes(),
        )?),
        body: seal(state, "deliveries", "body", &row, m.body.as_bytes())?,
        status: "pending".into(),
        attempts: 0,
        available_at: now,
        last_error: None,
        provider_id: None,
        created_by: None,
        created_at: now,
        sent_at: None,
    })
}

/// Queues `count` test messages to one address or number, for an operator
/// checking the way out (and for the delivery benchmark). They carry no
/// personal data; each batch of a thousand is one audit entry. Returns how
/// many were queued.
///
/// # Errors
/// An address that is not one; store failures.
pub async fn queue_test(
    state: &AppState,
    channel: Channel,
    to: &str,
    count: u32,
) -> Result<u64, AppError> {
    let to = to.trim();
    let valid = match channel {
        Channel::Email => to.contains('@') && !to.contains(char::is_whitespace),
        Channel::Sms => notice::e164(to).is_some(),
    };
    if !valid {
        return Err(AppError::Invalid {
            code: "no_address",
            field: Some("to"),
            message: format!("{to} is not an {channel} address."),
        });
    }
    let now = haven_domain::now();
    let run = uuid::Uuid::now_v7();
    let mut queued = 0;
    let mut start = 0;
    while start < count {
        let end = count.min(start + 1000);
        let mut rows = Vec::with_capacity((end - start) as usize);
        for n in start + 1..=end {
            let body = format!("Haven delivery test {n} of {count}. No action is needed.");
            rows.push(staff_row(
                state,
                StaffMessage {
                    dedupe_key: format!("test:{run}:{n}"),
                    channel,
                    kind: "delivery_test",
                    user: None,
                    to,
                    subject: "Haven delivery test",
                    body: &body,
                },
                now,
            )?);
        }
        let audit = AuditEntry::new(AuditAction::NoticeQueued).on("outbox", "test");
        queued += state.store.queue_deliveries(&rows, Some(&audit)).await?;
        start = end;
    }
    Ok(queued)
}

#[cfg(test)]
mod tests;
