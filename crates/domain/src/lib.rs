//! Youguanjia's domain: the rules of DESIGN.md §2 and the types every layer shares.
//!
//! Pure: no I/O, no clock, no randomness. The server and the WASM frontend both compile it,
//! so validation runs identically in the browser (instant feedback) and on the server (the
//! authority).

/// Declares a closed set of snake_case codes with Chinese and English labels.
///
/// Every enum made with it serialises as its code, parses from it, and can list its variants,
/// so the UI, the API and the database agree on one spelling.
#[macro_export]
macro_rules! labelled_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $code:tt, $zh:literal, $en:literal;)+ }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        // Each variant names its code. `$code` is a `tt`, not a `literal`: a `literal` reaches
        // derive macros wrapped in an invisible group, which utoipa skips; it then fell back to
        // a `rename_all` and the spec said `petrol92` where the API speaks `petrol_92`.
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $code)] $variant,)+ }

        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];
            /// The stable code used in the API and the database.
            pub fn code(self) -> &'static str { match self { $($name::$variant => $code,)+ } }
            /// Chinese label.
            pub fn label_zh(self) -> &'static str { match self { $($name::$variant => $zh,)+ } }
            /// English label.
            pub fn label_en(self) -> &'static str { match self { $($name::$variant => $en,)+ } }
            /// Label in the given language (`zh` or anything else for English).
            pub fn label(self, lang: $crate::Lang) -> &'static str {
                match lang { $crate::Lang::Zh => self.label_zh(), $crate::Lang::En => self.label_en() }
            }
            /// Parses a stable code; `None` when unknown.
            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result { f.write_str(self.code()) }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::validation::UnknownCode;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::from_code(s).ok_or_else(|| $crate::validation::UnknownCode(s.to_owned()))
            }
        }
    };
}

/// The two languages of the product. Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lang {
    #[default]
    Zh,
    En,
}

pub mod analytics;
pub mod archive;
pub mod audit;
pub mod auth;
pub mod checkin;
pub mod classification;
pub mod client;
pub mod clv;
pub mod clv_cnbd;
pub mod coords;
pub mod custom_plan;
pub mod effectiveness;
pub mod error;
pub mod export;
pub mod gauge;
pub mod geo;
pub mod grading;
pub mod integrator;
pub mod intel;
pub mod org;
pub mod planning;
pub mod prospect;
pub mod routing;
pub mod sales;
pub mod scorecard;
pub mod service;
pub mod sso;
pub mod task;
pub mod uscc;
pub mod validation;
pub mod visit;

pub use error::ErrorCode;
pub use validation::{FieldError, ValidationErrors};

/// The calendar day in China (UTC+8, no daylight saving) of a moment: the day the rules speak
/// of ("visited on", "due by", a job's as-of date).
pub fn china_date(at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    (at + chrono::TimeDelta::hours(8)).date_naive()
}

/// The moment a China calendar day begins (00:00 at UTC+8), in UTC.
pub fn china_day_start(day: chrono::NaiveDate) -> chrono::DateTime<chrono::Utc> {
    day.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc() - chrono::TimeDelta::hours(8)
}
