//! Reading `application/x-www-form-urlencoded` bodies that repeat keys
//! (checkbox groups), which serde's form extractor cannot express.

use crate::web::i18n::Lang;
use axum::body::Bytes;
use haven_domain::directory::{LANGUAGES, language_name};

pub struct FormData(Vec<(String, String)>);

impl<S: Send + Sync> axum::extract::FromRequest<S> for FormData {
    type Rejection = axum::extract::rejection::BytesRejection;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::parse(&Bytes::from_request(req, state).await?))
    }
}

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

/// Labels of a picklist's codes, from `pick-<list>-<code>`.
pub fn choices(lang: Lang, list: &str, codes: &[&'static str], selected: &[String]) -> Vec<Opt> {
    codes
        .iter()
        .map(|c| Opt {
            value: (*c).to_owned(),
            label: lang.t(&format!("pick-{list}-{c}")),
            selected: selected.iter().any(|s| s == c),
        })
        .collect()
}

/// An error message for a field, in the reader's language.
pub fn error_text(lang: Lang, code: &str) -> String {
    let key = format!("err-{code}");
    let t = lang.t(&key);
    if t == key { lang.t("err-other") } else { t }
}

/// One option of a select, radio group or checkbox group: the value sent,
/// the label read, and whether it is chosen.
pub struct Opt {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn opts<T: Copy>(
    all: &[T],
    code: impl Fn(T) -> &'static str,
    label: impl Fn(&str) -> String,
    chosen: &str,
) -> Vec<Opt> {
    all.iter()
        .map(|x| {
            let c = code(*x);
            Opt {
                value: c.to_owned(),
                label: label(c),
                selected: c == chosen,
            }
        })
        .collect()
}

pub fn need_label(lang: Lang, code: &str) -> String {
    lang.t(&format!("pick-need-{code}"))
}

pub fn language_opts(chosen: &str) -> Vec<Opt> {
    LANGUAGES
        .iter()
        .map(|l| Opt {
            value: l.0.to_owned(),
            label: if l.2 == l.3 {
                l.2.to_owned()
            } else {
                format!("{} ({})", l.3, l.2)
            },
            selected: l.0 == chosen,
        })
        .collect()
}

pub fn languages_text(codes: &[String]) -> String {
    codes
        .iter()
        .map(|c| language_name(c, true))
        .collect::<Vec<_>>()
        .join(", ")
}
