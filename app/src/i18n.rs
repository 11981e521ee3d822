//! The console's languages. Strings live in `app/locales/console.yml`; the choice is remembered
//! in a cookie, so the server renders the same language the browser hydrates.

use leptos::prelude::*;

pub const COOKIE: &str = "pushdesk_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    #[default]
    Zh,
    En,
}

impl Locale {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim() {
            "zh-CN" | "zh" => Some(Self::Zh),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The language remembered in a `Cookie` header, or the default.
    pub fn from_cookie_header(header: &str) -> Self {
        header
            .split(';')
            .filter_map(|kv| kv.trim().split_once('='))
            .find(|(k, _)| *k == COOKIE)
            .and_then(|(_, v)| Self::parse(v))
            .unwrap_or_default()
    }

    /// The first supported language of an `Accept-Language` header (for `/api/v1`).
    pub fn from_accept_language(header: &str) -> Self {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .find_map(|tag| {
                let tag = tag.trim().to_ascii_lowercase();
                if tag.starts_with("zh") {
                    Some(Self::Zh)
                } else if tag.starts_with("en") {
                    Some(Self::En)
                } else {
                    None
                }
            })
            .unwrap_or(Self::En)
    }

    pub fn other(self) -> Self {
        match self {
            Self::Zh => Self::En,
            Self::En => Self::Zh,
        }
    }
}

mod strings {
    include!(concat!(env!("OUT_DIR"), "/strings.rs"));
}

/// The text of `key` in `locale` (`"zh-CN"` or `"en"`) with every `%{name}` of `args` filled in;
/// the key itself when there is no such text. The table is built from `locales/console.yml`
/// at compile time (a sorted array, no start-up work, little code in the WASM).
pub fn translate(
    locale: &str,
    key: &str,
    args: &[(&str, &dyn std::fmt::Display)],
) -> std::borrow::Cow<'static, str> {
    use std::borrow::Cow;
    let Ok(i) = strings::STRINGS.binary_search_by(|(k, _, _)| (*k).cmp(key)) else {
        return Cow::Owned(key.to_owned());
    };
    let (_, zh, en) = strings::STRINGS[i];
    let text = if Locale::parse(locale) == Some(Locale::En) {
        en
    } else {
        zh
    };
    if args.is_empty() {
        return Cow::Borrowed(text);
    }
    // One pass, so a value that itself holds `%{…}` is left as it is.
    let mut filled = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(at) = rest.find("%{") {
        filled.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let name = after.find('}').map(|end| &after[..end]);
        match name.and_then(|n| args.iter().find(|(a, _)| *a == n)) {
            Some((n, value)) => {
                filled.push_str(&value.to_string());
                rest = &after[n.len() + 1..];
            }
            None => {
                filled.push_str("%{");
                rest = after;
            }
        }
    }
    filled.push_str(rest);
    Cow::Owned(filled)
}

/// Translates one key.
pub fn tr(locale: Locale, key: &str) -> String {
    t!(key, locale = locale.as_str()).into_owned()
}

/// The label of a form field, as named in error messages.
pub fn field_label(field: &str, locale: Locale) -> String {
    let key = format!("field.{field}");
    t!(key.as_str(), locale = locale.as_str()).into_owned()
}

/// The language of the page being rendered or hydrated.
pub fn use_locale() -> Locale {
    use_context::<Locale>().unwrap_or_default()
}

/// Reads the remembered language from the request (server) or from `document.cookie` (browser).
pub fn detect_locale() -> Locale {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .headers
                    .get(http::header::COOKIE)
                    .and_then(|v| v.to_str().ok())
                    .map(Locale::from_cookie_header)
            })
            .unwrap_or_default()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        use wasm_bindgen::JsCast;
        web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
            .and_then(|d| d.cookie().ok())
            .map(|c| Locale::from_cookie_header(&c))
            .unwrap_or_default()
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        Locale::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locale_comes_from_the_cookie() {
        assert_eq!(
            Locale::from_cookie_header("a=1; pushdesk_lang=en"),
            Locale::En
        );
        assert_eq!(Locale::from_cookie_header("pushdesk_lang=xx"), Locale::Zh);
        assert_eq!(Locale::from_cookie_header(""), Locale::Zh);
    }

    #[test]
    fn api_locale_comes_from_accept_language() {
        assert_eq!(Locale::from_accept_language("zh-CN,zh;q=0.9"), Locale::Zh);
        assert_eq!(Locale::from_accept_language("fr, en;q=0.5"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
    }

    #[test]
    fn placeholders_are_filled_and_unknown_keys_come_back() {
        let min = 8;
        assert_eq!(
            t!(
                "rule.too_short",
                locale = "en",
                field = "Password",
                min = min
            ),
            "Password must be at least 8 characters."
        );
        assert_eq!(t!("no.such.key", locale = "en"), "no.such.key");
        let field = "%{min}";
        assert_eq!(
            t!("rule.too_short", locale = "en", field = field, min = min),
            "%{min} must be at least 8 characters."
        );
        assert_eq!(tr(Locale::Zh, "common.save"), "保存");
    }

    #[test]
    fn every_key_has_both_languages() {
        let zh = tr(Locale::Zh, "nav.apps");
        let en = tr(Locale::En, "nav.apps");
        assert_ne!(zh, en);
        assert_ne!(en, "nav.apps");
    }

    #[test]
    fn field_errors_name_the_field_in_the_users_language() {
        use crate::domain::{FieldError, Rule};
        let e = FieldError::new("name", Rule::TooLong { max: 40 });
        assert!(
            e.message(Locale::En).contains("40"),
            "{}",
            e.message(Locale::En)
        );
        assert!(
            e.message(Locale::Zh).contains("40"),
            "{}",
            e.message(Locale::Zh)
        );
        assert_ne!(e.message(Locale::En), e.message(Locale::Zh));
    }
}
