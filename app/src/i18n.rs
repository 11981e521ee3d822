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
