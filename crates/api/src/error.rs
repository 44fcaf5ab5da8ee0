//! One error type for every handler, rendered as RFC 7807 problem+json with a stable code.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use domain::error::{ErrorCode, Problem};
use domain::{FieldError, ValidationErrors};
use store::StoreError;

/// Everything a handler can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The body or the parameters break field rules.
    #[error("validation failed: {0}")]
    Validation(ValidationErrors),
    /// The body is not JSON, or not of the expected shape.
    #[error("malformed JSON: {0:?}")]
    MalformedJson(FieldError),
    /// The body exceeds the limit.
    #[error("payload too large")]
    PayloadTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The body is not `application/json`.
    #[error("unsupported media type")]
    UnsupportedMediaType,
    /// No valid credentials: missing, forged or expired token, or a wrong password.
    #[error("unauthorized: {0}")]
    Unauthorized(ErrorCode),
    /// Too many failed sign-ins: retry after this many seconds.
    #[error("too many attempts")]
    TooManyAttempts {
        /// Seconds until the lock ends.
        retry_after: i64,
    },
    /// An integrator token used up its requests per minute: retry after this many seconds.
    #[error("rate limited")]
    RateLimited {
        /// Seconds until a request is allowed again.
        retry_after: i64,
    },
    /// Signed in, but not allowed.
    #[error("forbidden")]
    Forbidden,
    /// No such record (or not visible to the caller).
    #[error("not found")]
    NotFound,
    /// The path exists, but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed {
        /// The methods the path does answer, for the `Allow` header (`GET, PATCH`).
        allow: String,
    },
    /// A unique value is taken.
    #[error("conflict on {field}")]
    Conflict {
        /// The field holding the duplicate.
        field: String,
    },
    /// The request conflicts with the state of a record (e.g. deleting a unit that still has
    /// people); the field error says why.
    #[error("conflict: {0:?}")]
    ConflictWith(FieldError),
    /// Several records of a batch conflict with what is stored (e.g. order numbers stored with
    /// different content); nothing was written.
    #[error("conflicts: {0}")]
    Conflicts(ValidationErrors),
    /// The database is unreachable.
    #[error("service unavailable")]
    Unavailable,
    /// A bug or an infrastructure failure; logged, never shown.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl ApiError {
    /// A single-field validation error.
    pub fn field(error: FieldError) -> Self {
        ApiError::Validation(ValidationErrors(vec![error]))
    }

    fn code(&self) -> ErrorCode {
        match self {
            ApiError::Validation(_) => ErrorCode::ValidationFailed,
            ApiError::MalformedJson(_) => ErrorCode::MalformedJson,
            ApiError::PayloadTooLarge { .. } => ErrorCode::PayloadTooLarge,
            ApiError::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            ApiError::Unauthorized(code) => *code,
            ApiError::TooManyAttempts { .. } => ErrorCode::TooManyAttempts,
            ApiError::RateLimited { .. } => ErrorCode::TooManyRequests,
            ApiError::Forbidden => ErrorCode::Forbidden,
            ApiError::NotFound => ErrorCode::NotFound,
            ApiError::MethodNotAllowed { .. } => ErrorCode::MethodNotAllowed,
            ApiError::Conflict { .. } | ApiError::ConflictWith(_) | ApiError::Conflicts(_) => {
                ErrorCode::Conflict
            }
            ApiError::Unavailable => ErrorCode::ServiceUnavailable,
            ApiError::Unexpected(_) => ErrorCode::InternalError,
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let code = self.code();
        let status = self.status_code().as_u16();
        let (detail, detail_zh, errors) = match self {
            ApiError::Validation(errors) => (
                format!("{} field(s) are invalid: {errors}", errors.0.len()),
                format!("有 {} 个字段不符合要求", errors.0.len()),
                errors.0.clone(),
            ),
            ApiError::Conflicts(errors) => (
                format!(
                    "{} record(s) conflict with stored ones; nothing was written: {errors}",
                    errors.0.len()
                ),
                format!("有 {} 条记录与已存数据冲突，整批未写入", errors.0.len()),
                errors.0.clone(),
            ),
            ApiError::MalformedJson(e) | ApiError::ConflictWith(e) => {
                (e.message.clone(), e.message_zh.clone(), vec![e.clone()])
            }
            ApiError::TooManyAttempts { retry_after } => (
                format!("Too many failed sign-ins; try again in {retry_after} s"),
                format!("登录失败次数过多，请 {retry_after} 秒后再试"),
                vec![],
            ),
            ApiError::RateLimited { retry_after } => (
                format!("This token's request limit is used up; retry in {retry_after} s"),
                format!("该令牌的请求次数已达上限，请 {retry_after} 秒后再试"),
                vec![],
            ),
            ApiError::PayloadTooLarge { limit } => (
                format!("The request body is larger than {limit} bytes"),
                format!("请求体超过 {limit} 字节的上限"),
                vec![],
            ),
            ApiError::Conflict { field } => {
                let e = FieldError::duplicate(field);
                (e.message.clone(), e.message_zh.clone(), vec![e])
            }
            _ => (
                code.label_en().to_owned(),
                code.label_zh().to_owned(),
                vec![],
            ),
        };
        Problem {
            problem_type: format!("/problems/{}", code.code()),
            title: code.label_en().to_owned(),
            status,
            code,
            detail,
            detail_zh,
            errors,
            // Filled in on the way out by `telemetry::request_id`, which knows the request.
            request_id: None,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::TooManyAttempts { .. } | ApiError::RateLimited { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            ApiError::Forbidden => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } | ApiError::ConflictWith(_) | ApiError::Conflicts(_) => {
                StatusCode::CONFLICT
            }
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Unexpected(e) = self {
            tracing::error!(error = ?e, "unexpected error");
        }
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        if let ApiError::TooManyAttempts { retry_after } | ApiError::RateLimited { retry_after } =
            self
        {
            response.insert_header((header::RETRY_AFTER, retry_after.max(&1).to_string()));
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::MethodNotAllowed { allow } = self {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        if matches!(self, ApiError::Unavailable) {
            // The database is away (restarting, failing over): worth retrying shortly.
            response.insert_header((header::RETRY_AFTER, "5"));
        }
        response.body(serde_json::to_string(&self.problem()).unwrap_or_default())
    }
}

impl From<ValidationErrors> for ApiError {
    fn from(errors: ValidationErrors) -> Self {
        ApiError::Validation(errors)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Duplicate { field } => ApiError::Conflict { field },
            StoreError::NotFound => ApiError::NotFound,
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            e => ApiError::Unexpected(anyhow::Error::new(e)),
        }
    }
}

impl ApiError {
    /// The error as a response (for code outside handlers).
    pub fn into_response(self) -> HttpResponse {
        self.error_response()
    }
}

/// Result of a handler.
pub type ApiResult<T> = Result<T, ApiError>;
