//! Logging: `RUST_LOG` filter (default `info`), `YGJ_LOG_FORMAT=json` for JSON lines.
//! Every line inside a request carries its `request_id` (from the request span), which is also
//! the `x-request-id` response header and the `request_id` of problem documents; a sane
//! `X-Request-Id` from a reverse proxy is kept, so one id follows the request end to end.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::HttpMessage;
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};
use tracing_subscriber::{fmt, EnvFilter};

/// The filter used when `RUST_LOG` is not set.
pub const DEFAULT_FILTER: &str =
    "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn,actix_server=warn";

/// Installs the global subscriber once; later calls are ignored (tests call it repeatedly).
pub fn init() {
    init_with_default(DEFAULT_FILTER);
}

/// Like [`init`] with another default filter (tests log only errors unless `RUST_LOG` is set).
pub fn init_with_default(default_filter: &str) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_filter));
    let json = std::env::var("YGJ_LOG_FORMAT")
        .map(|v| v == "json")
        .unwrap_or(false);
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The header that carries the request id, in (from a reverse proxy) and out.
pub const REQUEST_ID_HEADER: HeaderName = HeaderName::from_static("x-request-id");

/// The id of one request: the proxy's `X-Request-Id` when it is sane, else a new UUID. It is
/// the `request_id` of the request's log lines, the `x-request-id` response header and the
/// `request_id` of a problem document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestId(String);

impl RequestId {
    /// The incoming id when it is sane (1–64 characters of `A-Z a-z 0-9 . _ -`), else a new one:
    /// anything else could forge log lines or blow up their size.
    pub fn from_incoming(incoming: Option<&str>) -> Self {
        match incoming {
            Some(id) if is_sane_request_id(id) => RequestId(id.to_owned()),
            _ => RequestId(uuid::Uuid::new_v4().to_string()),
        }
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether an incoming request id may be kept: 1–64 characters of `A-Z a-z 0-9 . _ -`.
pub fn is_sane_request_id(id: &str) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// Middleware (outside [`tracing_actix_web::TracingLogger`]): settles the request's [`RequestId`], answers with it
/// in `x-request-id` and writes it into every problem+json body, whichever code made the
/// problem (handlers, extractors, the auth middleware).
pub async fn request_id(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = RequestId::from_incoming(
        req.headers()
            .get(&REQUEST_ID_HEADER)
            .and_then(|v| v.to_str().ok()),
    );
    req.extensions_mut().insert(id.clone());
    // Handlers, extractors and our middlewares render their errors into responses; an error
    // that escaped as `Err` would be rendered by the server, without the id.
    let mut response = next.call(req).await?.map_into_boxed_body();
    if let Ok(value) = HeaderValue::from_str(id.as_str()) {
        response.headers_mut().insert(REQUEST_ID_HEADER, value);
    }
    if is_problem(&response) {
        response = with_request_id(response, &id).await;
    }
    Ok(response)
}

fn is_problem<B>(response: &ServiceResponse<B>) -> bool {
    (response.status().is_client_error() || response.status().is_server_error())
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/problem+json"))
}

/// The problem document of `response` with `request_id` set (problem bodies are small and
/// already in memory).
async fn with_request_id(
    response: ServiceResponse<BoxBody>,
    id: &RequestId,
) -> ServiceResponse<BoxBody> {
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let bytes = actix_web::body::to_bytes(body).await.unwrap_or_default();
    let bytes = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Ok(serde_json::Value::Object(mut problem)) => {
            problem.insert(
                "request_id".to_owned(),
                serde_json::Value::String(id.as_str().to_owned()),
            );
            serde_json::to_vec(&problem)
                .map(actix_web::web::Bytes::from)
                .unwrap_or(bytes)
        }
        _ => bytes,
    };
    ServiceResponse::new(request, head.set_body(BoxBody::new(bytes)))
}

/// The request span of [`tracing_actix_web::TracingLogger`]: tracing-actix-web's fields, with `request_id` the
/// [`RequestId`] (so a proxy's id reaches the logs) and `http.route` `unmatched` when no route
/// matched.
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        let request_id = request
            .extensions()
            .get::<RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        let route = request
            .match_pattern()
            .unwrap_or_else(|| crate::metrics::UNMATCHED.to_owned());
        let user_agent = request
            .headers()
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let client_ip = request
            .connection_info()
            .realip_remote_addr()
            .unwrap_or("")
            .to_owned();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.route = %route,
            http.target = %request.uri().path_and_query().map(|p| p.as_str()).unwrap_or(""),
            http.client_ip = %client_ip,
            http.user_agent = %user_agent,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            request_id = %request_id,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(
        span: Span,
        outcome: &Result<ServiceResponse<B>, actix_web::Error>,
    ) {
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{test as actix_test, web, App};
    use std::sync::{Arc, Mutex};
    use tracing_actix_web::TracingLogger;

    #[test]
    fn only_sane_incoming_ids_are_kept() {
        for sane in [
            "abc",
            "0f1e2d3c4b5a69788796a5b4c3d2e1f0",
            "req-1.2_3",
            &"a".repeat(64),
        ] {
            assert!(is_sane_request_id(sane), "{sane}");
            assert_eq!(RequestId::from_incoming(Some(sane)).as_str(), sane);
        }
        for insane in ["", "a b", "x\ny", "id;drop", "ид", "a/b", &"a".repeat(65)] {
            assert!(!is_sane_request_id(insane), "{insane:?}");
            let replaced = RequestId::from_incoming(Some(insane));
            assert!(
                uuid::Uuid::parse_str(replaced.as_str()).is_ok(),
                "{replaced}"
            );
        }
        assert_ne!(
            RequestId::from_incoming(None),
            RequestId::from_incoming(None)
        );
    }

    /// Log output kept in memory.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().expect("lock").extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
        type Writer = Captured;
        fn make_writer(&'a self) -> Self::Writer {
            self.clone()
        }
    }

    async fn logged_request(
        incoming: Option<&str>,
    ) -> (String, serde_json::Value, Vec<serde_json::Value>) {
        let captured = Captured::default();
        let subscriber = fmt()
            .json()
            .with_env_filter(EnvFilter::new("info"))
            .with_writer(captured.clone())
            .finish();
        let _guard = tracing::subscriber::set_default(subscriber);
        let app = actix_test::init_service(
            App::new()
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(actix_web::middleware::from_fn(request_id))
                .route(
                    "/things/{id}",
                    web::get().to(|| async {
                        tracing::info!("looking for the thing");
                        crate::error::ApiError::NotFound.into_response()
                    }),
                ),
        )
        .await;
        let mut request = actix_test::TestRequest::get().uri("/things/7");
        if let Some(id) = incoming {
            request = request.insert_header((REQUEST_ID_HEADER, id));
        }
        let response = actix_test::call_service(&app, request.to_request()).await;
        let header = response
            .headers()
            .get(REQUEST_ID_HEADER)
            .expect("x-request-id")
            .to_str()
            .expect("text")
            .to_owned();
        let body: serde_json::Value = actix_test::read_body_json(response).await;
        let text = String::from_utf8(captured.0.lock().expect("lock").clone()).expect("utf-8");
        let lines = text
            .lines()
            .map(|l| serde_json::from_str(l).expect("a JSON log line"))
            .collect();
        (header, body, lines)
    }

    #[actix_web::test]
    async fn json_log_lines_carry_the_request_id_of_the_response() {
        let (header, body, lines) = logged_request(None).await;
        assert!(uuid::Uuid::parse_str(&header).is_ok(), "{header}");
        assert_eq!(body["request_id"], header.as_str());
        assert_eq!(body["code"], "not_found");
        let ours: Vec<&serde_json::Value> = lines
            .iter()
            .filter(|l| l["fields"]["message"] == "looking for the thing")
            .collect();
        assert_eq!(ours.len(), 1, "{lines:?}");
        assert_eq!(ours[0]["span"]["request_id"], header.as_str());
        assert_eq!(ours[0]["span"]["http.route"], "/things/{id}");
        // tracing-actix-web's warning about the 404 is inside the request too.
        assert!(lines
            .iter()
            .filter(|l| l["level"] == "WARN")
            .all(|l| l["span"]["request_id"] == header.as_str()));
    }

    #[actix_web::test]
    async fn a_proxy_request_id_reaches_header_body_and_logs() {
        let (header, body, lines) = logged_request(Some("nginx-0f1e2d3c")).await;
        assert_eq!(header, "nginx-0f1e2d3c");
        assert_eq!(body["request_id"], "nginx-0f1e2d3c");
        assert!(!lines.is_empty());
        assert!(
            lines
                .iter()
                .all(|l| l["span"]["request_id"] == "nginx-0f1e2d3c"),
            "{lines:?}"
        );
    }
}
