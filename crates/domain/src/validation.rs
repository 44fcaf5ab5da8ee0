//! Field-by-field validation errors, each with a stable code and a message in Chinese and English.

use serde::{Deserialize, Serialize};

/// One invalid field of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FieldError {
    /// Path of the field, e.g. `uscc` or `contacts[0].phone`.
    pub field: String,
    /// Stable code: `required`, `too_long`, `invalid_uscc`, `invalid_phone`, `out_of_range`,
    /// `invalid_value`, `invalid_type`, `unknown_field`, `not_found`, `duplicate`.
    pub code: String,
    /// English message.
    pub message: String,
    /// Chinese message.
    pub message_zh: String,
}

impl FieldError {
    /// A field error with its code and both messages.
    pub fn new(
        field: impl Into<String>,
        code: &str,
        message: impl Into<String>,
        message_zh: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            code: code.to_owned(),
            message: message.into(),
            message_zh: message_zh.into(),
        }
    }

    /// The field is missing or blank.
    pub fn required(field: &str) -> Self {
        Self::new(
            field,
            "required",
            format!("{field} is required"),
            format!("{field} 为必填项"),
        )
    }

    /// The text is longer than `max` characters.
    pub fn too_long(field: &str, max: usize) -> Self {
        Self::new(
            field,
            "too_long",
            format!("{field} must be at most {max} characters"),
            format!("{field} 不能超过 {max} 个字符"),
        )
    }

    /// The number is outside `[min, max]`.
    pub fn out_of_range(field: &str, min: f64, max: f64) -> Self {
        Self::new(
            field,
            "out_of_range",
            format!("{field} must be between {min} and {max}"),
            format!("{field} 必须在 {min} 到 {max} 之间"),
        )
    }

    /// The value is not one of the accepted ones.
    pub fn invalid_value(field: &str, detail_en: &str, detail_zh: &str) -> Self {
        Self::new(
            field,
            "invalid_value",
            format!("{field}: {detail_en}"),
            format!("{field}：{detail_zh}"),
        )
    }

    /// A referenced record does not exist (or is not visible to the caller).
    pub fn not_found(field: &str) -> Self {
        Self::new(
            field,
            "not_found",
            format!("{field} refers to a record that does not exist"),
            format!("{field} 引用的记录不存在"),
        )
    }

    /// Another record already holds this unique value.
    pub fn duplicate(field: &str) -> Self {
        Self::new(
            field,
            "duplicate",
            format!("{field} is already used by another record"),
            format!("{field} 已被其他记录使用"),
        )
    }
}

/// All field errors of one request; empty means valid.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ValidationErrors(pub Vec<FieldError>);

impl ValidationErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds one error.
    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }
    /// True when nothing was wrong.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// `Ok(value)` when empty, else the errors.
    pub fn into_result<T>(self, value: T) -> Result<T, ValidationErrors> {
        if self.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }
    /// The errors of one field (for forms).
    pub fn for_field<'a>(&'a self, field: &'a str) -> impl Iterator<Item = &'a FieldError> + 'a {
        self.0.iter().filter(move |e| e.field == field)
    }
}

impl std::fmt::Display for ValidationErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<&str> = self.0.iter().map(|e| e.message.as_str()).collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for ValidationErrors {}

/// A code that is not one of an enum's stable codes.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown code `{0}`")]
pub struct UnknownCode(pub String);

/// Checks a required text: trimmed, non-empty, at most `max` characters.
pub fn check_text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::required(field));
    } else if trimmed.chars().count() > max {
        errors.push(FieldError::too_long(field, max));
    }
}

/// Checks an optional text: at most `max` characters.
pub fn check_optional_text(errors: &mut ValidationErrors, field: &str, value: &str, max: usize) {
    if value.trim().chars().count() > max {
        errors.push(FieldError::too_long(field, max));
    }
}

/// Whether `text` has the shape of an e-mail address: one `@` with something before it, a
/// dotted domain after it that neither starts nor ends with a dot, and no white space.
pub fn is_email(text: &str) -> bool {
    match text.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !text.chars().any(char::is_whitespace)
        }
        None => false,
    }
}
