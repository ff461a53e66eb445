//! Notices to victims: the right to be informed, through the
//! victim's own safe channel only.
//!
//! Pure rules: which events a victim hears about and under which rule, how a
//! message may reach them (their safe channel, their safe hours, whether a
//! message may be left at all), opt-out words, and retry back-off. Rendering
//! the words is the server's (Fluent templates); what a message may carry is
//! decided here: never an offender's name, an address or case details.

use crate::record::{SafeChannel, SafeContact, picklist};
use time::{Duration, OffsetDateTime, Time, UtcOffset};

picklist!(
    /// What a notice tells the victim.
    NoticeEvent {
        InvestigationStatus => "investigation_status",
        Arrest => "arrest",
        Charges => "charges",
        ProceedingScheduled => "proceeding_scheduled",
        ReleaseOrDetention => "release_or_detention",
        PleaOrVerdict => "plea_or_verdict",
        Sentence => "sentence",
        Appointment => "appointment",
        ReferralUpdate => "referral_update",
        CallSpecialist => "call_specialist",
    }
);

impl NoticeEvent {
    /// The rule that gives the victim the right to hear of it.
    #[must_use]
    pub const fn rule(self) -> &'static str {
        match self {
            Self::InvestigationStatus
            | Self::Arrest
            | Self::Charges
            | Self::PleaOrVerdict
            | Self::Sentence => "R-2",
            Self::ProceedingScheduled | Self::ReleaseOrDetention => "R-1, R-2",
            Self::Appointment | Self::ReferralUpdate | Self::CallSpecialist => "R-2",
        }
    }

    /// Whether the notice names a date and time (and is refused without).
    #[must_use]
    pub const fn needs_when(self) -> bool {
        matches!(self, Self::ProceedingScheduled | Self::Appointment)
    }
}

picklist!(
    /// How a message leaves Haven.
    Channel {
        Email => "email",
        Sms => "sms",
    }
);

picklist!(
    /// Where a message stands.
    DeliveryStatus {
        Pending => "pending",
        Sent => "sent",
        Failed => "failed",
        OptedOut => "opted_out",
        Cancelled => "cancelled",
    }
);

/// How a notice will go out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoticePlan {
    pub channel: Channel,
    /// The address or number (from the person's profile).
    pub destination: String,
    /// No message may be left: only "please call your specialist" is sent.
    pub reduced: bool,
    /// Put first, so the person knows the message is genuine.
    pub code_word: Option<String>,
    /// Now, or the start of the next safe window.
    pub send_at: OffsetDateTime,
}

/// Why a notice cannot be sent in writing; the team tells the person
/// another way.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NoRoute {
    /// No safe channel is recorded.
    NoSafeChannel,
    /// The safe channel is spoken (phone, in person, through the specialist).
    NotWritten(SafeChannel),
    /// The channel is e-mail or SMS but no address or number is recorded.
    NoAddress(Channel),
}

impl NoRoute {
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::NoSafeChannel => "no_safe_channel",
            Self::NotWritten(_) => "not_written",
            Self::NoAddress(_) => "no_address",
        }
    }
}

/// Parses "HH:MM".
#[must_use]
pub fn parse_clock(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    Time::from_hms(h.parse().ok()?, m.parse().ok()?, 0).ok()
}

/// The first moment at or after `now` inside the daily safe window
/// `[from, until)` in local time (`offset`); a window that ends before it
/// starts runs over midnight. No window (or an unreadable one) means now.
#[must_use]
pub fn next_safe_time(
    contact: &SafeContact,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> OffsetDateTime {
    let (Some(from), Some(until)) = (
        parse_clock(&contact.safe_from),
        parse_clock(&contact.safe_until),
    ) else {
        return now;
    };
    if from == until {
        return now;
    }
    let local = now.to_offset(offset);
    let t = local.time();
    let inside = if from < until {
        from <= t && t < until
    } else {
        t >= from || t < until
    };
    if inside {
        return now;
    }
    let start_today = local.replace_time(from);
    let start = if start_today > local {
        start_today
    } else {
        start_today + Duration::days(1)
    };
    start.to_offset(UtcOffset::UTC)
}

/// How a notice may reach a person, or why it cannot be written.
///
/// # Errors
/// [`NoRoute`] when the person's safe channel is not a written one or no
/// address is recorded for it.
pub fn plan(
    contact: &SafeContact,
    phone: &str,
    email: &str,
    now: OffsetDateTime,
    offset: UtcOffset,
) -> Result<NoticePlan, NoRoute> {
    let (channel, destination) = match contact.channel {
        None => return Err(NoRoute::NoSafeChannel),
        Some(SafeChannel::Sms) => (Channel::Sms, phone.trim()),
        Some(SafeChannel::Email) => (Channel::Email, email.trim()),
        Some(other) => return Err(NoRoute::NotWritten(other)),
    };
    // A number that cannot be dialled is no number (the provider would refuse it).
    if destination.is_empty() || (channel == Channel::Sms && e164(destination).is_none()) {
        return Err(NoRoute::NoAddress(channel));
    }
    let code = contact.code_word.trim();
    Ok(NoticePlan {
        channel,
        destination: destination.to_owned(),
        reduced: !contact.may_leave_message,
        code_word: (!code.is_empty()).then(|| code.to_owned()),
        send_at: next_safe_time(contact, now, offset),
    })
}

/// The language a notice is written in: the person's first language that
/// has templates, else English. `true` when it fell back.
#[must_use]
pub fn language<'a>(person: &[String], available: &[&'a str]) -> (&'a str, bool) {
    for code in person {
        let code = code.trim().to_ascii_lowercase();
        if let Some(l) = available.iter().find(|a| {
            let a = a.to_ascii_lowercase();
            a == code || a.split('-').next() == Some(code.as_str())
        }) {
            return (l, false);
        }
    }
    let english = available.iter().find(|a| a.starts_with("en")).copied();
    (english.unwrap_or("en-US"), !person.is_empty())
}

/// Words that mean "stop sending me messages", in the languages Haven
/// writes in (carriers use the English ones).
const OPT_OUT_WORDS: [&str; 10] = [
    "stop",
    "stopall",
    "unsubscribe",
    "cancel",
    "end",
    "quit",
    "alto",
    "baja",
    "parar",
    "detener",
];

/// A phone number in E.164 form ("+15550104477"): its digits, a US
/// number without country code taken as +1. `None` when too short or too
/// long to be a number.
#[must_use]
pub fn e164(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(char::is_ascii_digit).collect();
    let full = if digits.len() == 10 && !raw.trim_start().starts_with('+') {
        format!("1{digits}")
    } else {
        digits
    };
    (8..=15).contains(&full.len()).then(|| format!("+{full}"))
}

/// Whether a reply asks for no more messages.
#[must_use]
pub fn is_opt_out(reply: &str) -> bool {
    let word = reply
        .trim()
        .trim_matches(|c: char| !c.is_alphanumeric())
        .to_lowercase();
    OPT_OUT_WORDS.contains(&word.as_str())
}

/// Attempts before a message is marked failed.
pub const MAX_ATTEMPTS: i64 = 8;

/// When to try again after `attempts` failed tries: 30 s doubling, at most an
/// hour.
#[must_use]
pub fn retry_after(attempts: i64) -> Duration {
    let exp = attempts.clamp(1, 8) - 1;
    Duration::seconds((30_i64 << exp).min(3600))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_are_written_in_e164() {
        assert_eq!(e164("(555) 010-4477").as_deref(), Some("+15550104477"));
        assert_eq!(e164("1-555-010-4477").as_deref(), Some("+15550104477"));
        assert_eq!(e164("+52 55 1234 5678").as_deref(), Some("+525512345678"));
        assert_eq!(e164("call me"), None);
        assert_eq!(e164("12345"), None);
    }
    use time::macros::{datetime, offset};

    fn contact(channel: Option<SafeChannel>, from: &str, until: &str) -> SafeContact {
        SafeContact {
            channel,
            safe_times: String::new(),
            may_leave_message: true,
            code_word: String::new(),
            safe_from: from.into(),
            safe_until: until.into(),
        }
    }

    #[test]
    fn only_written_safe_channels_carry_notices() {
        let now = datetime!(2026-12-01 15:00 UTC);
        let o = offset!(-5);
        let sms = plan(
            &contact(Some(SafeChannel::Sms), "", ""),
            "+1 555 0100",
            "",
            now,
            o,
        )
        .unwrap();
        assert_eq!(sms.channel, Channel::Sms);
        assert_eq!(sms.send_at, now);
        assert_eq!(
            plan(
                &contact(Some(SafeChannel::Phone), "", ""),
                "+1 555",
                "a@b.test",
                now,
                o
            ),
            Err(NoRoute::NotWritten(SafeChannel::Phone))
        );
        assert_eq!(
            plan(&contact(None, "", ""), "+1", "", now, o),
            Err(NoRoute::NoSafeChannel)
        );
        assert_eq!(
            plan(
                &contact(Some(SafeChannel::Email), "", ""),
                "+1",
                " ",
                now,
                o
            ),
            Err(NoRoute::NoAddress(Channel::Email))
        );
    }

    #[test]
    fn no_message_left_means_a_reduced_notice_and_the_code_word_goes_first() {
        let mut c = contact(Some(SafeChannel::Email), "", "");
        c.may_leave_message = false;
        c.code_word = " bluebird ".into();
        let p = plan(
            &c,
            "",
            "x@y.test",
            datetime!(2026-12-01 15:00 UTC),
            offset!(UTC),
        )
        .unwrap();
        assert!(p.reduced);
        assert_eq!(p.code_word.as_deref(), Some("bluebird"));
    }

    #[test]
    fn messages_wait_for_the_safe_window() {
        let o = offset!(-5);
        let c = contact(Some(SafeChannel::Sms), "10:00", "12:00");
        // 08:00 local: wait until 10:00 local = 15:00 UTC.
        assert_eq!(
            next_safe_time(&c, datetime!(2026-12-01 13:00 UTC), o),
            datetime!(2026-12-01 15:00 UTC)
        );
        // 11:00 local: now.
        assert_eq!(
            next_safe_time(&c, datetime!(2026-12-01 16:00 UTC), o),
            datetime!(2026-12-01 16:00 UTC)
        );
        // 13:00 local: tomorrow 10:00.
        assert_eq!(
            next_safe_time(&c, datetime!(2026-12-01 18:00 UTC), o),
            datetime!(2026-12-02 15:00 UTC)
        );
        // Over midnight: 22:00-06:00, at 23:30 local it is safe; at 07:00 wait.
        let night = contact(Some(SafeChannel::Sms), "22:00", "06:00");
        assert_eq!(
            next_safe_time(&night, datetime!(2026-12-02 04:30 UTC), o),
            datetime!(2026-12-02 04:30 UTC)
        );
        assert_eq!(
            next_safe_time(&night, datetime!(2026-12-02 12:00 UTC), o),
            datetime!(2026-12-03 03:00 UTC)
        );
        // Unreadable or empty windows do not hold messages.
        let bad = contact(Some(SafeChannel::Sms), "25:00", "12:00");
        assert_eq!(
            next_safe_time(&bad, datetime!(2026-12-01 13:00 UTC), o),
            datetime!(2026-12-01 13:00 UTC)
        );
    }

    #[test]
    fn language_falls_back_to_english_and_says_so() {
        let avail = ["en-US", "es"];
        assert_eq!(language(&["es".into()], &avail), ("es", false));
        assert_eq!(language(&["fr".into(), "es".into()], &avail), ("es", false));
        assert_eq!(language(&["fr".into()], &avail), ("en-US", true));
        assert_eq!(language(&["en".into()], &avail), ("en-US", false));
        assert_eq!(language(&[], &avail), ("en-US", false));
    }

    #[test]
    fn opt_out_words() {
        for w in ["STOP", "stop.", " Alto ", "BAJA", "unsubscribe"] {
            assert!(is_opt_out(w), "{w}");
        }
        for w in ["stop by tomorrow", "hello", ""] {
            assert!(!is_opt_out(w), "{w}");
        }
    }

    #[test]
    fn back_off_doubles_and_is_capped() {
        assert_eq!(retry_after(1), Duration::seconds(30));
        assert_eq!(retry_after(2), Duration::seconds(60));
        assert_eq!(retry_after(7), Duration::seconds(1920));
        assert_eq!(retry_after(20), Duration::seconds(3600));
    }

    #[test]
    fn every_event_cites_a_rule() {
        for e in NoticeEvent::ALL {
            assert!(e.rule().starts_with("R-"), "{e}");
        }
    }
}
