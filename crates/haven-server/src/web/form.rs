//! Reading `application/x-www-form-urlencoded` bodies that repeat keys
//! (checkbox groups), which serde's form extractor cannot express.

use crate::web::i18n::Lang;
use axum::body::Bytes;

pub struct FormData(Vec<(String, String)>);

impl FormData {
    #[must_use]
    pub fn parse(body: &Bytes) -> Self {
        Self(url::form_urlencoded::parse(body).into_owned().collect())
    }

    /// The first value of `key`, or "".
    #[must_use]
    pub fn one(&self, key: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map_or_else(String::new, |(_, v)| v.clone())
    }

    /// Every value of `key`, in order.
    #[must_use]
    pub fn many(&self, key: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .collect()
    }

    /// A checkbox: present with a non-empty value.
    #[must_use]
    pub fn flag(&self, key: &str) -> bool {
        self.0.iter().any(|(k, v)| k == key && !v.is_empty())
    }

    /// Pairs whose key starts with `prefix`, the prefix removed.
    pub fn prefixed<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.0
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
    }
}

/// One choice of a list or checkbox group.
pub struct Choice {
    pub code: &'static str,
    pub label: String,
    pub on: bool,
}

/// Labels of a picklist's codes, from `pick-<list>-<code>`.
pub fn choices(lang: Lang, list: &str, codes: &[&'static str], selected: &[String]) -> Vec<Choice> {
    codes
        .iter()
        .map(|c| Choice {
            code: c,
            label: lang.t(&format!("pick-{list}-{c}")),
            on: selected.iter().any(|s| s == c),
        })
        .collect()
}

/// An error message for a field, in the reader's language.
pub fn error_text(lang: Lang, code: &str) -> String {
    let key = format!("err-{code}");
    let t = lang.t(&key);
    if t == key { lang.t("err-other") } else { t }
}
