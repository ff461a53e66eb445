//! Translations: Fluent files under `locales/<lang>/<feature>.ftl`, embedded
//! at compile time. Adding a language is adding a folder and a variant of
//! [`Lang`]; adding a feature's file is adding its name to [`ftl_files`].

use axum::extract::FromRequestParts;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};
use std::collections::HashMap;
use std::convert::Infallible;

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en-US",
        // Bidi isolation marks would show up as stray characters in HTML attributes.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// The Fluent files of one language, one per feature (the loader reads every
/// `.ftl` in the folder; this list is for the key checks).
macro_rules! ftl_files {
    ($lang:literal) => {
        ftl_files!(@ $lang; web, account, home, cases, record, relief, directory, referrals,
            interviews, notices, admin, funds)
    };
    (@ $lang:literal; $($feature:ident),*) => {
        [$((stringify!($feature), include_str!(concat!("../../locales/", $lang, "/", stringify!($feature), ".ftl")))),*]
    };
}

/// Every message of the English files, looked up once in each language: a
/// page shows hundreds of labels, and a Fluent lookup (language negotiation,
/// bundle search, formatting) costs microseconds each, about a tenth of the
/// server's CPU on a case page. Indexed by `Lang as usize`.
static TRANSLATED: std::sync::LazyLock<HashMap<&'static str, [String; 2]>> =
    std::sync::LazyLock::new(|| {
        ftl_files!("en-US")
            .into_iter()
            .flat_map(|(_, ftl)| message_keys(ftl))
            .map(|key| (key, Lang::ALL.map(|lang| lang.lookup(key))))
            .collect()
    });

/// The message ids of a Fluent file (messages start a line with `id = `).
fn message_keys(ftl: &str) -> impl Iterator<Item = &str> {
    ftl.lines()
        .filter(|l| !l.starts_with(['#', ' ', '-']) && l.contains(" = "))
        .filter_map(|l| l.split(" = ").next())
        .map(str::trim)
}

/// The cookie that remembers a person's language choice.
pub const LANG_COOKIE: &str = "haven_lang";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lang {
    En,
    Es,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Es];

    /// The code used in URLs, cookies and the `lang` attribute.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
        }
    }

    /// The language's own name, shown in the language switch.
    #[must_use]
    pub const fn native_name(self) -> &'static str {
        match self {
            Self::En => "English",
            Self::Es => "Español",
        }
    }

    #[must_use]
    pub fn parse(code: &str) -> Option<Self> {
        let primary = code.trim().split(['-', '_']).next()?.to_ascii_lowercase();
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Self::En => langid!("en-US"),
            Self::Es => langid!("es"),
        }
    }

    /// The translation of `key`. A missing key shows the key itself, which
    /// the locale completeness test prevents from ever shipping.
    #[must_use]
    pub fn t(self, key: &str) -> String {
        match TRANSLATED.get(key) {
            Some(both) => both[self as usize].clone(),
            None => self.lookup(key),
        }
    }

    fn lookup(self, key: &str) -> String {
        LOCALES
            .try_lookup(&self.id(), key)
            .unwrap_or_else(|| key.to_owned())
    }

    /// The translation of `key` with one named argument.
    #[must_use]
    pub fn t1(self, key: &str, name: &'static str, value: &str) -> String {
        self.t_args(key, &[(name, value)])
    }

    /// The translation of `key` with named arguments.
    #[must_use]
    pub fn t_args(self, key: &str, named: &[(&'static str, &str)]) -> String {
        let args: HashMap<std::borrow::Cow<'static, str>, FluentValue<'_>> = named
            .iter()
            .map(|(k, v)| ((*k).into(), FluentValue::from(*v)))
            .collect();
        LOCALES
            .try_lookup_with_args(&self.id(), key, &args)
            .unwrap_or_else(|| key.to_owned())
    }

    /// Chooses the language: the cookie first, then `Accept-Language`.
    #[must_use]
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let from_cookie =
            crate::web::session::cookie_value(headers, LANG_COOKIE).and_then(Self::parse);
        from_cookie
            .or_else(|| {
                headers
                    .get(ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| {
                        v.split(',')
                            .find_map(|part| Self::parse(part.split(';').next()?))
                    })
            })
            .unwrap_or(Self::En)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_headers(&parts.headers))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::header::COOKIE;
    use std::collections::BTreeSet;

    fn keys(ftl: &str) -> BTreeSet<String> {
        message_keys(ftl).map(str::to_owned).collect()
    }

    #[test]
    fn every_feature_file_has_the_same_keys_in_every_locale() {
        let es = ftl_files!("es");
        for (i, (feature, ftl)) in ftl_files!("en-US").into_iter().enumerate() {
            assert_eq!(es[i].0, feature);
            assert_eq!(
                keys(ftl),
                keys(es[i].1),
                "{feature}.ftl: English and Spanish keys"
            );
        }
    }

    #[test]
    fn the_listed_files_are_every_file_in_the_folder() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/locales");
        for lang in ["en-US", "es"] {
            let mut found: Vec<String> = std::fs::read_dir(format!("{dir}/{lang}"))
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            found.sort();
            let mut listed: Vec<String> = ftl_files!("en-US")
                .iter()
                .map(|(f, _)| format!("{f}.ftl"))
                .collect();
            listed.sort();
            assert_eq!(found, listed, "{lang}");
        }
    }

    #[test]
    fn every_key_exists_in_every_locale() {
        let en: BTreeSet<String> = ftl_files!("en-US")
            .iter()
            .flat_map(|(_, f)| keys(f))
            .collect();
        let es: BTreeSet<String> = ftl_files!("es").iter().flat_map(|(_, f)| keys(f)).collect();
        assert!(en.len() > 20);
        assert_eq!(en, es, "English and Spanish must have the same keys");
        let each: usize = ftl_files!("en-US").iter().map(|(_, f)| keys(f).len()).sum();
        assert_eq!(each, en.len(), "a key stands in two feature files");
        for key in &en {
            for lang in Lang::ALL {
                // Fill every variable the message uses, whatever its name.
                let text = lang.t_args(
                    key,
                    &[
                        ("name", "N"),
                        ("reference", "R"),
                        ("org", "O"),
                        ("count", "1"),
                        ("what", "W"),
                        ("date", "D"),
                        ("min", "1"),
                        ("max", "2"),
                        ("unit", "U"),
                        ("day", "Y"),
                        ("status", "S"),
                        ("role", "R"),
                        ("orgs", "1"),
                        ("locations", "1"),
                        ("services", "1"),
                        ("rejected", "0"),
                    ],
                );
                assert!(
                    !text.contains("{$") && !text.contains("{ $"),
                    "{key}: unfilled variable"
                );
                assert_ne!(&text, key, "{key} missing in {}", lang.code());
            }
        }
    }

    #[test]
    fn the_kept_translations_are_fluents_own() {
        assert!(TRANSLATED.len() > 20);
        for (key, both) in TRANSLATED.iter() {
            for lang in Lang::ALL {
                assert_eq!(both[lang as usize], lang.lookup(key), "{key}");
                assert_eq!(lang.t(key), lang.lookup(key), "{key}");
            }
        }
        assert_eq!(Lang::Es.t("no-such-message"), "no-such-message");
    }

    #[test]
    fn every_token_scope_has_a_label() {
        for scope in haven_domain::policy::Scope::ALL {
            let key = format!("scope-{}", scope.as_str().replace(':', "-"));
            for lang in Lang::ALL {
                assert_ne!(lang.t(&key), key, "{key} in {}", lang.code());
            }
        }
    }

    #[test]
    fn arguments_are_filled_in() {
        assert_eq!(
            Lang::Es.t1("signed-in-as", "name", "Ana"),
            "Sesión iniciada como Ana"
        );
    }

    #[test]
    fn language_comes_from_cookie_then_header() {
        let mut h = axum::http::HeaderMap::new();
        assert_eq!(Lang::from_headers(&h), Lang::En);
        h.insert(ACCEPT_LANGUAGE, "es-MX,es;q=0.9,en;q=0.5".parse().unwrap());
        assert_eq!(Lang::from_headers(&h), Lang::Es);
        h.insert(COOKIE, "a=b; haven_lang=en".parse().unwrap());
        assert_eq!(Lang::from_headers(&h), Lang::En);
    }
}
