//! Stable error codes of the API's problem+json bodies; the UI translates them.

labelled_enum! {
    /// The `code` of every error response. Never renamed once published.
    ErrorCode {
        ValidationFailed => "validation_failed", "提交的数据有误", "The submitted data is invalid";
        MalformedJson => "malformed_json", "请求体不是有效的 JSON", "The request body is not valid JSON";
        PayloadTooLarge => "payload_too_large", "请求体过大", "The request body is too large";
        UnsupportedMediaType => "unsupported_media_type", "不支持的内容类型", "Unsupported content type";
        Unauthorized => "unauthorized", "请先登录", "Sign-in required";
        InvalidCredentials => "invalid_credentials", "用户名或密码错误", "Wrong username or password";
        TokenExpired => "token_expired", "登录已过期，请重新登录", "The session has expired; sign in again";
        InvalidRefreshToken => "invalid_refresh_token", "登录状态已失效，请重新登录", "The session is no longer valid; sign in again";
        TooManyAttempts => "too_many_attempts", "登录失败次数过多，请稍后再试", "Too many failed sign-ins; try again later";
        TooManyRequests => "too_many_requests", "请求过于频繁，请稍后再试", "Too many requests; slow down and retry later";
        Forbidden => "forbidden", "没有权限执行此操作", "You are not allowed to do this";
        NotFound => "not_found", "记录不存在", "Not found";
        MethodNotAllowed => "method_not_allowed", "该地址不支持此请求方法", "This method is not allowed on this path";
        Conflict => "conflict", "与现有数据冲突", "Conflicts with existing data";
        ServiceUnavailable => "service_unavailable", "服务暂不可用", "Service temporarily unavailable";
        InternalError => "internal_error", "服务器内部错误", "Internal server error";
    }
}

use crate::validation::FieldError;
use serde::{Deserialize, Serialize};

/// An RFC 7807 problem document, the body of every error response
/// (`Content-Type: application/problem+json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Problem {
    /// A URI naming the problem type: `/problems/{code}`.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short English summary of the type.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code (see [`ErrorCode`]).
    pub code: ErrorCode,
    /// What went wrong, in English.
    pub detail: String,
    /// What went wrong, in Chinese.
    pub detail_zh: String,
    /// Field-by-field errors of a validation failure.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// The request id, to find the request in the server's logs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl Problem {
    /// The detail in the given language.
    pub fn detail_in(&self, lang: crate::Lang) -> &str {
        match lang {
            crate::Lang::Zh => &self.detail_zh,
            crate::Lang::En => &self.detail,
        }
    }
}
