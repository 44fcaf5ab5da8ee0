//! Request extractors that turn bad input into field-level problems instead of plain-text 400s.

use crate::error::ApiError;
use actix_web::dev::Payload;
use actix_web::error::{PayloadError, QueryPayloadError};
use actix_web::http::header;
use actix_web::{web, FromRequest, HttpRequest};
use domain::{FieldError, ValidationErrors};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON body, checked for content type and size, parsed with the failing field's path.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

fn is_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            let mime = v
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            mime == "application/json"
                || (mime.starts_with("application/") && mime.ends_with("+json"))
        })
        .unwrap_or(false)
}

/// Turns a serde error at `path` into a field error in both languages.
pub fn json_field_error(path: &str, error: &serde_json::Error) -> FieldError {
    let field = if path.is_empty() || path == "." {
        "body".to_owned()
    } else {
        path.to_owned()
    };
    let text = error.to_string();
    // serde's messages end with " at line L column C"; the position is noise for a field error.
    let text = text.split(" at line ").next().unwrap_or(&text).to_owned();
    let (code, zh) = if text.starts_with("unknown field") {
        ("unknown_field", format!("{field}：不认识的字段（{text}）"))
    } else if text.starts_with("missing field") {
        ("required", format!("{field}：缺少必填字段（{text}）"))
    } else if text.starts_with("invalid type")
        || text.starts_with("invalid value")
        || text.starts_with("unknown variant")
    {
        (
            "invalid_type",
            format!("{field}：类型或取值不正确（{text}）"),
        )
    } else {
        (
            "malformed_json",
            format!("{field}：JSON 格式错误（{text}）"),
        )
    };
    FieldError::new(field.clone(), code, format!("{field}: {text}"), zh)
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = is_json(req);
        let limit = req.app_data::<JsonLimit>().map_or(256 * 1024, |l| l.0);
        let bytes = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let bytes = bytes
                .await
                .map_err(|e| match e.as_error::<PayloadError>() {
                    Some(PayloadError::Overflow) => ApiError::PayloadTooLarge { limit },
                    _ => ApiError::MalformedJson(FieldError::new(
                        "body",
                        "malformed_json",
                        "body: the request body could not be read",
                        "body：无法读取请求体",
                    )),
                })?;
            Ok(ValidJson(parse_json_bytes(&bytes)?))
        })
    }
}

/// Parses a JSON body naming the failing field's path. Every body of the API is an object;
/// serde would also fill a struct from an array of its fields in order (`[null, null]`), which
/// the spec does not allow and no client means, so a body must start with `{`.
fn parse_json_bytes<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        return Err(ApiError::MalformedJson(FieldError::new(
            "body",
            "invalid_type",
            "body: expected a JSON object, not an array",
            "body：请求体应为 JSON 对象，而不是数组",
        )));
    }
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut deserializer)
        .map_err(|e| ApiError::MalformedJson(json_field_error(&e.path().to_string(), e.inner())))?;
    deserializer
        .end()
        .map_err(|e| ApiError::MalformedJson(json_field_error("", &e)))?;
    Ok(value)
}

/// Parses a body read as `web::Bytes` the way [`ValidJson`] would. For handlers that must
/// check the record's scope (404) before judging the body, so the answer does not depend on
/// which of them fails first.
pub fn parse_json_body<T: DeserializeOwned>(
    req: &HttpRequest,
    bytes: &[u8],
) -> Result<T, ApiError> {
    if !is_json(req) {
        return Err(ApiError::UnsupportedMediaType);
    }
    parse_json_bytes(bytes)
}

/// The JSON body limit in bytes (app data); the payload extractor enforces the same number.
#[derive(Debug, Clone, Copy)]
pub struct JsonLimit(pub usize);

/// Query strings that fail to parse become a validation problem naming the parameter.
pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let text = err.to_string();
    ApiError::field(FieldError::new(
        "query",
        "invalid_value",
        format!("query: {text}"),
        format!("查询参数有误：{text}"),
    ))
    .into()
}

/// Malformed path parameters (e.g. an id that is not a UUID) find nothing — unless the path is
/// a literal route of its own with other methods: `GET /visits/photos` reaches `GET
/// /visits/{id}` with the id `photos`, and the answer is 405 for `/visits/photos` (POST only).
pub fn path_error(_err: actix_web::error::PathError, req: &HttpRequest) -> actix_web::Error {
    match crate::routes::methods::not_allowed(req.method().as_str(), req.path()) {
        Some(allow) => ApiError::MethodNotAllowed { allow }.into(),
        None => ApiError::NotFound.into(),
    }
}

/// Parses an optional query parameter; a present but unparsable value adds a field error.
/// An empty value (`?org_unit_id=`) counts as absent, as the spec declares (`allowEmptyValue`);
/// any other value must parse as sent (` 2026-01-01` is not a day).
pub fn parse_opt<T>(
    errors: &mut ValidationErrors,
    field: &str,
    raw: &Option<String>,
    parse: impl Fn(&str) -> Option<T>,
) -> Option<T> {
    let raw = raw.as_deref().filter(|s| !s.is_empty())?;
    let parsed = parse(raw);
    if parsed.is_none() {
        errors.push(FieldError::invalid_value(
            field,
            &format!("`{raw}` is not accepted"),
            &format!("不接受取值“{raw}”"),
        ));
    }
    parsed
}

/// Parses optional `page` / `per_page` query values into a validated (page, per_page);
/// problems are added to `errors` (and defaults returned) so all parameters are reported at once.
pub fn parse_paging(
    errors: &mut ValidationErrors,
    page: &Option<String>,
    per_page: &Option<String>,
) -> (u64, u64) {
    let page = parse_opt(errors, "page", page, |s| s.parse::<u64>().ok());
    let per_page = parse_opt(errors, "per_page", per_page, |s| s.parse::<u64>().ok());
    match domain::client::ClientQuery::paging(page, per_page) {
        Ok(paging) => paging,
        Err(e) => {
            errors.0.extend(e.0);
            (1, domain::client::DEFAULT_PER_PAGE)
        }
    }
}

/// A report period from optional `from` and `to` days (YYYY-MM-DD): `to` defaults to `today`,
/// `from` to `default_days` before `to`; at most `max_days` long. Errors go to `errors`.
pub fn parse_period(
    errors: &mut ValidationErrors,
    from: &Option<String>,
    to: &Option<String>,
    today: chrono::NaiveDate,
    default_days: i64,
    max_days: i64,
) -> (chrono::NaiveDate, chrono::NaiveDate) {
    let day = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").ok();
    let to = parse_opt(errors, "to", to, day).unwrap_or(today);
    let from =
        parse_opt(errors, "from", from, day).unwrap_or(to - chrono::TimeDelta::days(default_days));
    if to < from {
        errors.push(FieldError::new(
            "to",
            "out_of_range",
            "to: must not be before from",
            "to：不能早于 from",
        ));
    } else if (to - from).num_days() > max_days {
        errors.push(FieldError::new(
            "from",
            "out_of_range",
            format!("from: a period covers at most {max_days} days"),
            format!("from：期间最长 {max_days} 天"),
        ));
    }
    (from, to)
}

/// An optional `true`/`false` query parameter (absent: false); anything else is an error on
/// `field`.
pub fn parse_flag(errors: &mut ValidationErrors, field: &str, raw: &Option<String>) -> bool {
    parse_opt(errors, field, raw, |s| match s {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    })
    .unwrap_or(false)
}

/// The schema of a query parameter that takes one of `values` (for `#[param(schema_with)]`
/// where the accepted words are not one enum: a status plus `overdue`, `true`/`false`/`all`).
pub fn one_of_schema<'a>(values: impl IntoIterator<Item = &'a str>) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(values.into_iter().map(str::to_owned)))
        .build()
}
