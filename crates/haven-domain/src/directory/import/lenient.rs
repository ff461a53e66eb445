//! What real 211 exports write, read the way they mean it: weekday names,
//! `9:00am` times, web addresses without a scheme, literal `\n`, and text
//! that went through Windows-1252 or CP437 once too often.

/// A 1.x `weekday` as 1 (Monday) to 7 (Sunday): numbers, English names in
/// any case, and their usual short forms.
#[must_use]
pub fn weekday(raw: &str) -> Option<usize> {
    let t = raw.trim().trim_end_matches('.').to_ascii_lowercase();
    if let Ok(n) = t.parse::<usize>() {
        return (1..=7).contains(&n).then_some(n);
    }
    let days = [
        ("monday", &["mon"][..]),
        ("tuesday", &["tue", "tues"][..]),
        ("wednesday", &["wed", "weds"][..]),
        ("thursday", &["thu", "thur", "thurs"][..]),
        ("friday", &["fri"][..]),
        ("saturday", &["sat"][..]),
        ("sunday", &["sun"][..]),
    ];
    days.iter()
        .position(|(full, short)| t == *full || short.contains(&t.as_str()))
        .map(|i| i + 1)
}

/// A time of day as `HH:MM`: `9:00`, `08:00:00`, `9am`, `9:00 AM`,
/// `10:00 a.m.`, `noon`. `12am` is midnight and `12pm` noon.
#[must_use]
pub fn time_of_day(raw: &str) -> Option<String> {
    let t = raw.trim().to_ascii_lowercase().replace('.', "");
    if t == "noon" {
        return Some("12:00".into());
    }
    if t == "midnight" {
        return Some("00:00".into());
    }
    let (clock, half) = if let Some(c) = t.strip_suffix("am") {
        (c.trim(), Some(false))
    } else if let Some(c) = t.strip_suffix("pm") {
        (c.trim(), Some(true))
    } else {
        (t.as_str(), None)
    };
    let mut parts = clock.split(':');
    let h: u32 = parts.next()?.trim().parse().ok()?;
    let m: u32 = match parts.next() {
        Some(m) => m.trim().parse().ok()?,
        None => 0,
    };
    if let Some(s) = parts.next() {
        let s: u32 = s.trim().parse().ok()?;
        if s > 59 {
            return None;
        }
    }
    if parts.next().is_some() || m > 59 {
        return None;
    }
    let h = match half {
        Some(pm) if (1..=12).contains(&h) => (h % 12) + if pm { 12 } else { 0 },
        Some(_) => return None,
        None if h <= 23 => h,
        None => return None,
    };
    Some(format!("{h:02}:{m:02}"))
}

/// A web address with a scheme (`www.example.org` becomes
/// `https://www.example.org`); `None` when it is not one.
#[must_use]
pub fn web_address(raw: &str) -> Option<String> {
    let t = raw.trim();
    if t.is_empty() || t.contains(char::is_whitespace) {
        return None;
    }
    let lower = t.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        return Some(t.to_owned());
    }
    let host = t.split('/').next().unwrap_or(t);
    (host.contains('.') && !t.contains('@')).then(|| format!("https://{t}"))
}

/// An e-mail address written where a web address belongs.
#[must_use]
pub fn looks_like_email(raw: &str) -> bool {
    let t = raw.trim();
    t.contains('@') && !t.contains('/') && !t.contains(char::is_whitespace)
}

/// Literal two-character `\n` (and `\r\n`) sequences as line breaks.
#[must_use]
pub fn line_breaks(raw: &str) -> String {
    raw.replace("\\r\\n", "\n").replace("\\n", "\n")
}

/// Repairs text that was UTF-8 but was read as Windows-1252 (`â€™`, `Ã©`)
/// or CP437 with the Greek gamma flattened to G (`GÇÖ`): the damage 211
/// exports carry. Correct text is left as it is.
#[must_use]
pub fn repair(raw: &str) -> String {
    let mut s = raw.to_owned();
    if s.contains("GÇ") {
        s = repair_cp437(&s);
    }
    if s.contains('Ã') || s.contains('â') || s.contains('Â') {
        s = repair_1252(&s);
    }
    s
}

/// Each run of characters that Windows-1252 encodes, re-read as UTF-8 when
/// it decodes (and holds something beyond ASCII).
fn repair_1252(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if matches!(c, 'Ã' | 'â' | 'Â') {
            // Try the longest run (2 to 4 characters) that decodes.
            let mut fixed = None;
            for len in (2..=4).rev() {
                if i + len > chars.len() {
                    continue;
                }
                let bytes: Option<Vec<u8>> =
                    chars[i..i + len].iter().map(|c| to_1252(*c)).collect();
                if let Some(b) = bytes
                    && let Ok(t) = std::str::from_utf8(&b)
                    && t.chars().count() == 1
                {
                    fixed = Some((t.to_owned(), len));
                    break;
                }
            }
            if let Some((t, len)) = fixed {
                out.push_str(&t);
                i += len;
                continue;
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Windows-1252 is Latin-1 but for 0x80 to 0x9F.
const HIGH_1252: [char; 32] = [
    '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}',
    '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
];

/// Bytes in Windows-1252, as text: what exports that are not UTF-8 are.
#[must_use]
pub fn from_windows_1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9F => HIGH_1252[usize::from(b - 0x80)],
            _ => char::from(b),
        })
        .collect()
}

/// A character's Windows-1252 byte.
fn to_1252(c: char) -> Option<u8> {
    let n = u32::from(c);
    if n < 0x80 || (0xA0..=0xFF).contains(&n) {
        return u8::try_from(n).ok();
    }
    HIGH_1252
        .iter()
        .position(|h| *h == c)
        .and_then(|p| u8::try_from(0x80 + p).ok())
}

/// `GÇ` + a CP437 character: U+2000 to U+203F punctuation (’ “ ” – — …).
fn repair_cp437(s: &str) -> String {
    // CP437 characters for the third byte 0x80..0xBF, as they appear.
    const CP437: [char; 64] = [
        'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', 'É', 'æ',
        'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', 'á', 'í', 'ó', 'ú',
        'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', '░', '▒', '▓', '│', '┤', '╡',
        '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐',
    ];
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find("GÇ") {
        out.push_str(&rest[..at]);
        let after = &rest[at + "GÇ".len()..];
        match after
            .chars()
            .next()
            .and_then(|c| CP437.iter().position(|x| *x == c))
        {
            Some(p) => {
                let code = 0x2000 + u32::try_from(p).unwrap_or(0);
                out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                rest = &after[after.chars().next().map_or(0, char::len_utf8)..];
            }
            None => {
                out.push_str("GÇ");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_as_211s_write_them() {
        for (raw, n) in [
            ("1", 1),
            ("Monday", 1),
            ("monday", 1),
            ("MONDAY", 1),
            ("Mon", 1),
            ("Tues", 2),
            ("Thurs", 4),
            ("Thu", 4),
            ("sun", 7),
            ("7", 7),
        ] {
            assert_eq!(weekday(raw), Some(n), "{raw}");
        }
        assert_eq!(weekday("0"), None);
        assert_eq!(weekday("Funday"), None);
    }

    #[test]
    fn times_as_211s_write_them() {
        for (raw, t) in [
            ("9:00am", "09:00"),
            ("9am", "09:00"),
            ("12pm", "12:00"),
            ("12:00pm", "12:00"),
            ("12am", "00:00"),
            ("8:00pm", "20:00"),
            ("8:30 AM", "08:30"),
            ("12:00 PM", "12:00"),
            ("10:00 a.m.", "10:00"),
            ("2:00 p.m.", "14:00"),
            ("08:00:00", "08:00"),
            ("17:00", "17:00"),
            ("23:59", "23:59"),
            ("0:00", "00:00"),
        ] {
            assert_eq!(time_of_day(raw).as_deref(), Some(t), "{raw}");
        }
        for bad in ["25:00", "13pm", "9:75", "soon", ""] {
            assert_eq!(time_of_day(bad), None, "{bad}");
        }
    }

    #[test]
    fn web_addresses_get_a_scheme_and_emails_are_told_apart() {
        assert_eq!(
            web_address("www.example.org").as_deref(),
            Some("https://www.example.org")
        );
        assert_eq!(
            web_address("pbworkforce.org/jobs").as_deref(),
            Some("https://pbworkforce.org/jobs")
        );
        assert_eq!(web_address("http://a.org").as_deref(), Some("http://a.org"));
        assert_eq!(web_address("intake@tenantlegalaid.org"), None);
        assert!(looks_like_email("intake@tenantlegalaid.org"));
        assert!(!looks_like_email("https://a.org/@me"));
    }

    #[test]
    fn encoding_damage_is_repaired_and_good_text_left_alone() {
        assert_eq!(repair("Itâ€™s"), "It’s");
        assert_eq!(repair("rÃ©sumÃ©"), "résumé");
        assert_eq!(repair("KreyÃ²l"), "Kreyòl");
        assert_eq!(repair("rights â€“ leases"), "rights – leases");
        assert_eq!(repair("â€œEveryone eats.â€\u{9d}"), "“Everyone eats.”");
        assert_eq!(repair("DonGÇÖt"), "Don’t");
        assert_eq!(repair("18GÇô64"), "18–64");
        for good in ["Hội Người Việt", "Kreyòl", "Âge d’or", "plain"] {
            assert_eq!(repair(good), good);
        }
        assert_eq!(line_breaks("a\\nb"), "a\nb");
    }
}

#[cfg(test)]
mod language_tests {
    use crate::directory::language_code;

    /// How 211 exports write languages (names and codes, English and
    /// Spanish, damaged text), to ISO 639-1.
    #[test]
    fn language_names_and_codes_as_directories_write_them() {
        for (raw, code) in [
            ("Spanish", "es"),
            ("es", "es"),
            ("spa", "es"),
            ("es-US", "es"),
            ("Español", "es"),
            ("Creole", "ht"),
            ("KreyÃ²l", "ht"),
            ("Kreyòl", "ht"),
            ("Haitian Creole", "ht"),
            ("Criollo haitiano", "ht"),
            ("English", "en"),
            ("Inglés", "en"),
            ("vie", "vi"),
            ("Vietnamita", "vi"),
            ("Tagalog", "tl"),
            ("Filipino", "tl"),
            ("ASL", "asl"),
            ("American Sign Language", "asl"),
            ("Lengua de señas", "asl"),
            ("Chinese (Mandarin)", "zh"),
            ("Mandarin", "zh"),
            ("Cantonese", "zh"),
        ] {
            assert_eq!(language_code(raw).as_deref(), Some(code), "{raw}");
        }
        assert_eq!(language_code("Klingon"), None, "unknown names stay text");
    }
}
