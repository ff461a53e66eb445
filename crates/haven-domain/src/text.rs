//! Free text as people type it: what counts as "said something".
//!
//! A reason of ten zero-width spaces or a name of one invisible character
//! looks filled in to a check that only trims ASCII spaces, and says nothing.
//! Every required free-text field is checked with [`visible_chars`].

/// Characters that take no visible space: format and control characters,
/// zero-width and joiner characters, invisible fillers, bidirectional
/// controls, variation selectors and tags.
#[must_use]
pub fn is_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(
            c,
            '\u{00AD}'                      // soft hyphen
            | '\u{034F}'                    // combining grapheme joiner
            | '\u{061C}'                    // Arabic letter mark
            | '\u{115F}' | '\u{1160}'       // Hangul fillers
            | '\u{17B4}' | '\u{17B5}'       // Khmer inherent vowels
            | '\u{180B}'..='\u{180F}'       // Mongolian selectors and vowel separator
            | '\u{200B}'..='\u{200F}'       // zero-width space, joiners, marks
            | '\u{202A}'..='\u{202E}'       // bidirectional embedding
            | '\u{2060}'..='\u{206F}'       // word joiner, invisible operators, bidi isolates
            | '\u{3164}'                    // Hangul filler
            | '\u{FE00}'..='\u{FE0F}'       // variation selectors
            | '\u{FEFF}'                    // zero-width no-break space
            | '\u{FFA0}'                    // halfwidth Hangul filler
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1D173}'..='\u{1D17A}'     // musical format characters
            | '\u{E0000}'..='\u{E007F}'     // tags
            | '\u{E0100}'..='\u{E01EF}' // variation selectors supplement
        )
}

/// How many characters of `s` can be seen.
#[must_use]
pub fn visible_chars(s: &str) -> usize {
    s.chars().filter(|c| !is_invisible(*c)).count()
}

/// Whether `s` says anything at all.
#[must_use]
pub fn has_visible(s: &str) -> bool {
    s.chars().any(|c| !is_invisible(c))
}

/// `s` without the invisible characters at either end (inner ones are kept:
/// a zero-width joiner inside a word can be part of how it is spelled).
#[must_use]
pub fn trim_invisible(s: &str) -> &str {
    s.trim_matches(is_invisible)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invisible_only_text_says_nothing() {
        for s in [
            "",
            "   ",
            "\u{200B}".repeat(10).as_str(),
            "\u{FEFF}\u{2060}\u{200D}",
            "\u{3164}",
            "\u{E0041}\u{E0042}",
            "\t\n\r",
        ] {
            assert!(!has_visible(s), "{s:?}");
            assert_eq!(visible_chars(s), 0, "{s:?}");
        }
    }

    #[test]
    fn real_text_in_any_script_is_visible() {
        for s in ["a", "José", "Nguyễn", "محمد", "李", "👍", "Ø"] {
            assert!(has_visible(s), "{s:?}");
        }
        assert_eq!(visible_chars("a\u{200B}b c"), 3);
        assert_eq!(trim_invisible("\u{200B} Ana \u{FEFF}"), "Ana");
    }
}
