use serde::{Deserialize, Serialize};

use crate::i18n::Locale;

/// The rule a field broke; rendered in the user's language by [`FieldError::message`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Rule {
    Required,
    TooShort {
        min: usize,
    },
    TooLong {
        max: usize,
    },
    /// Characters outside the field's alphabet; the key names the alphabet.
    Charset {
        allowed: String,
    },
    Mismatch,
    Taken,
    OneOf {
        allowed: Vec<String>,
    },
    Digits {
        len: usize,
    },
    /// More items than allowed (regIds in one push, …).
    TooMany {
        max: usize,
    },
    /// A number outside `min..=max`.
    Range {
        min: i64,
        max: i64,
    },
    /// Longer than a vendor allows; the message names the vendor.
    VendorLimit {
        vendor: String,
        max: usize,
    },
    /// A UserSig refused with Tencent's code (70001 expired, 70009 other key, …).
    UserSig {
        code: i64,
    },
    /// Another certificate of the app already has this value; `id` names it.
    CertificateExists {
        id: i64,
    },
    /// A rule particular to one field, named by an i18n key.
    Other {
        key: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    #[serde(flatten)]
    pub rule: Rule,
}

impl FieldError {
    pub fn new(field: &str, rule: Rule) -> Self {
        Self {
            field: field.to_owned(),
            rule,
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        let l = locale.as_str();
        let field = crate::i18n::field_label(&self.field, locale);
        match &self.rule {
            Rule::Required => t!("rule.required", locale = l, field = field).into_owned(),
            Rule::TooShort { min } => {
                t!("rule.too_short", locale = l, field = field, min = min).into_owned()
            }
            Rule::TooLong { max } => {
                t!("rule.too_long", locale = l, field = field, max = max).into_owned()
            }
            Rule::Charset { allowed } => {
                let key = format!("charset.{allowed}");
                let allowed = t!(key.as_str(), locale = l);
                t!("rule.charset", locale = l, field = field, allowed = allowed).into_owned()
            }
            Rule::Mismatch => t!("rule.mismatch", locale = l, field = field).into_owned(),
            Rule::Taken => t!("rule.taken", locale = l, field = field).into_owned(),
            Rule::OneOf { allowed } => {
                let allowed = allowed.join(", ");
                t!("rule.one_of", locale = l, field = field, allowed = allowed).into_owned()
            }
            Rule::Digits { len } => {
                t!("rule.digits", locale = l, field = field, len = len).into_owned()
            }
            Rule::UserSig { code } => {
                let key = format!("usersig.{code}");
                let reason = t!(key.as_str(), locale = l);
                t!(
                    "rule.usersig",
                    locale = l,
                    field = field,
                    code = code,
                    reason = reason
                )
                .into_owned()
            }
            Rule::TooMany { max } => {
                t!("rule.too_many", locale = l, field = field, max = max).into_owned()
            }
            Rule::Range { min, max } => t!(
                "rule.range",
                locale = l,
                field = field,
                min = min,
                max = max
            )
            .into_owned(),
            Rule::VendorLimit { vendor, max } => t!(
                "rule.vendor_limit",
                locale = l,
                field = field,
                vendor = vendor,
                max = max
            )
            .into_owned(),
            Rule::CertificateExists { id } => t!(
                "rule.certificate_exists",
                locale = l,
                field = field,
                id = id
            )
            .into_owned(),
            Rule::Other { key } => t!(key.as_str(), locale = l, field = field).into_owned(),
        }
    }
}

/// The one error type of every server function and of `/api/v1`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum AppError {
    #[error("invalid field {}", .0.field)]
    Invalid(FieldError),
    #[error("conflict on field {}", .0.field)]
    Conflict(FieldError),
    #[error("sign-in required")]
    Unauthenticated,
    #[error("wrong username or password")]
    BadCredentials,
    #[error("too many sign-in attempts; retry in {retry_after_secs} s")]
    Throttled { retry_after_secs: u64 },
    #[error("not allowed for this role")]
    Forbidden,
    #[error("not found")]
    NotFound,
    #[error("malformed request: {detail}")]
    Malformed { detail: String },
    #[error("internal error")]
    Internal,
    /// The database cannot be reached right now; nothing was written.
    #[error("service unavailable")]
    Unavailable,
    #[error("request failed: {message}")]
    Transport { message: String },
}

impl AppError {
    pub fn invalid(field: &str, rule: Rule) -> Self {
        Self::Invalid(FieldError::new(field, rule))
    }

    /// The field this error belongs to, for showing it next to the input.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid(e) | Self::Conflict(e) => Some(&e.field),
            _ => None,
        }
    }

    /// A stable machine-readable code (the `code` of `/api/v1` errors).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid(_) => "invalid",
            Self::Conflict(_) => "conflict",
            Self::Unauthenticated => "unauthenticated",
            Self::BadCredentials => "bad_credentials",
            Self::Throttled { .. } => "throttled",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Malformed { .. } => "invalid_body",
            Self::Internal => "internal",
            Self::Unavailable => "unavailable",
            Self::Transport { .. } => "transport",
        }
    }

    pub fn message(&self, locale: Locale) -> String {
        let l = locale.as_str();
        match self {
            Self::Invalid(e) | Self::Conflict(e) => e.message(locale),
            Self::Unauthenticated => t!("error.unauthenticated", locale = l).into_owned(),
            Self::BadCredentials => t!("error.bad_credentials", locale = l).into_owned(),
            Self::Throttled { retry_after_secs } => {
                t!("error.throttled", locale = l, secs = retry_after_secs).into_owned()
            }
            Self::Forbidden => t!("error.forbidden", locale = l).into_owned(),
            Self::NotFound => t!("error.not_found", locale = l).into_owned(),
            Self::Malformed { detail } => {
                t!("error.malformed", locale = l, detail = detail).into_owned()
            }
            Self::Internal => t!("error.internal", locale = l).into_owned(),
            Self::Unavailable => t!("error.unavailable", locale = l).into_owned(),
            Self::Transport { .. } => t!("error.transport", locale = l).into_owned(),
        }
    }
}

impl leptos::server_fn::error::FromServerFnError for AppError {
    type Encoder = leptos::server_fn::codec::JsonEncoding;

    fn from_server_fn_error(value: leptos::server_fn::error::ServerFnErrorErr) -> Self {
        Self::Transport {
            message: value.to_string(),
        }
    }
}
