//! Search text: accent- and case-folded words, the same on both databases.

use unicode_normalization::UnicodeNormalization;

/// Lower case without accents: "Refugio Méndez" → "refugio mendez". Search
/// text is stored folded and queries are folded the same way, so a search
/// for "medico" finds "médico" on SQLite and PostgreSQL alike.
#[must_use]
pub fn fold(s: &str) -> String {
    s.nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a query, folded, at most eight, each kept to letters and
/// digits (so nothing in a query is ever read as search syntax).
#[must_use]
pub fn query_words(q: &str) -> Vec<String> {
    fold(q)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(8)
        .map(str::to_owned)
        .collect()
}

/// Folded words of a text, joined by single spaces: what the index stores.
#[must_use]
pub fn index_text<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for part in parts {
        for w in fold(part).split(|c: char| !c.is_alphanumeric()) {
            if !w.is_empty() {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(w);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_removes_accents_and_case() {
        assert_eq!(fold("Refugio MÉDICO Ñandú"), "refugio medico nandu");
        assert_eq!(
            query_words("  médico; \"OR\" *shelter*"),
            ["medico", "or", "shelter"]
        );
        assert_eq!(index_text(["Casa  de", "la Niñez!"]), "casa de la ninez");
    }
}
