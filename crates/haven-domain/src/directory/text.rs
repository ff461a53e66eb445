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
        // Encoding damage is repaired first, so "itâ€™s" is found as "it's".
        for w in fold(&super::import::lenient::repair(part)).split(|c: char| !c.is_alphanumeric()) {
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

/// How well folded `name` and `body` texts (as [`index_text`] makes them)
/// match folded query words: every word must begin some word of either (as
/// the databases' prefix search does); each match in the name counts ten,
/// in the body one. `None` when a word matches nowhere.
#[must_use]
pub fn score(words: &[String], name: &str, body: &str) -> Option<f64> {
    let mut total = 0.0;
    for w in words {
        let hits = |text: &str| {
            text.split(' ')
                .filter(|t| t.starts_with(w.as_str()))
                .count()
        };
        let (n, b) = (hits(name), hits(body));
        if n + b == 0 {
            return None;
        }
        total += 10.0 * n as f64 + b as f64;
    }
    Some(total)
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

    #[test]
    fn scores_need_every_word_and_weigh_the_name() {
        let w = query_words("shelt legal");
        assert_eq!(score(&w, "shelter now", "legal help"), Some(11.0));
        assert_eq!(score(&w, "legal shelter", ""), Some(20.0));
        assert_eq!(score(&w, "shelter", "food"), None, "every word must match");
        assert_eq!(
            score(&query_words("médica"), "", "atencion medica"),
            Some(1.0)
        );
    }
}
