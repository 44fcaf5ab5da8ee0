//! Prometheus metrics: the registry each server owns, the middleware that counts HTTP
//! requests, and `GET /metrics` (text exposition format 0.0.4, outside `/api/v1` and the
//! OpenAPI spec).
//!
//! Labels are bounded on purpose: the route is the pattern actix matched (`/api/v1/clients/{id}`,
//! never the raw path; `unmatched` when no route did), the status is a class (`2xx` … `5xx`), the
//! method one of the standard ones or `other`, the job one of [`crate::jobs::JOBS`].

use crate::error::ApiError;
use crate::jobs::ScheduledJob;
use crate::state::AppState;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{web, HttpRequest, HttpResponse};
use domain::error::ErrorCode;
use futures_util::FutureExt;
use prometheus::{
    HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry, TextEncoder,
};
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use store::Store;

/// The route label of a request no route matched (static files, unknown paths).
pub const UNMATCHED: &str = "unmatched";

/// Request latency buckets, seconds: from a cached read to a province-wide export.
const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Job duration buckets, seconds: the SLA sweep takes milliseconds, a provincial recompute
/// minutes.
const JOB_BUCKETS: &[f64] = &[0.01, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0, 900.0, 3600.0];

/// How a job run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    /// It finished.
    Ok,
    /// It returned an error.
    Failed,
    /// Not run here: another instance held the slot (or the slot could not be claimed, which is
    /// logged as an error).
    Skipped,
    /// It panicked (contained; the server carried on).
    Panicked,
}

impl JobOutcome {
    /// The `outcome` label.
    pub fn label(self) -> &'static str {
        match self {
            JobOutcome::Ok => "ok",
            JobOutcome::Failed => "failed",
            JobOutcome::Skipped => "skipped",
            JobOutcome::Panicked => "panicked",
        }
    }
}

/// What a lookup of an answer cache found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheOutcome {
    /// Served from memory.
    Hit,
    /// Built and kept.
    Miss,
    /// Built and not kept: the data version was unknown.
    Bypass,
}

impl CacheOutcome {
    /// The `outcome` label.
    pub fn label(self) -> &'static str {
        match self {
            CacheOutcome::Hit => "hit",
            CacheOutcome::Miss => "miss",
            CacheOutcome::Bypass => "bypass",
        }
    }
}

/// The metrics of one server, in a registry of its own (so several servers in one process,
/// as in the tests, do not count into each other).
pub struct Metrics {
    registry: Registry,
    /// `Authorization: Bearer` token `/metrics` requires (`YGJ_METRICS_TOKEN`); `None`: open.
    token: Option<String>,
    http_requests: IntCounterVec,
    http_duration: HistogramVec,
    http_in_flight: IntGauge,
    db_pool: IntGaugeVec,
    job_runs: IntCounterVec,
    job_duration: HistogramVec,
    import_rows: IntCounterVec,
    cache_lookups: IntCounterVec,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The token stays out of logs.
        f.debug_struct("Metrics")
            .field("token", &self.token.as_ref().map(|_| "***"))
            .finish_non_exhaustive()
    }
}

impl Metrics {
    /// A fresh registry with every metric at zero; `/metrics` asks for `token` when given.
    pub fn new(token: Option<String>) -> Result<Self, prometheus::Error> {
        let registry = Registry::new();
        let http_requests = IntCounterVec::new(
            Opts::new(
                "ygj_http_requests_total",
                "HTTP requests answered, by method, route pattern and status class.",
            ),
            &["method", "route", "status"],
        )?;
        let http_duration = HistogramVec::new(
            HistogramOpts::new(
                "ygj_http_request_duration_seconds",
                "Time from receiving a request to its response head, seconds.",
            )
            .buckets(HTTP_BUCKETS.to_vec()),
            &["method", "route", "status"],
        )?;
        let http_in_flight =
            IntGauge::new("ygj_http_requests_in_flight", "Requests being handled now.")?;
        let db_pool = IntGaugeVec::new(
            Opts::new(
                "ygj_db_pool_connections",
                "Database pool connections: open (idle or in use), idle, and the most it opens (max).",
            ),
            &["state"],
        )?;
        let job_runs = IntCounterVec::new(
            Opts::new(
                "ygj_job_runs_total",
                "Job runs, scheduled and on demand, by job and outcome (ok, failed, skipped, panicked).",
            ),
            &["job", "outcome"],
        )?;
        let job_duration = HistogramVec::new(
            HistogramOpts::new(
                "ygj_job_duration_seconds",
                "Duration of job runs that ran (not skipped), seconds.",
            )
            .buckets(JOB_BUCKETS.to_vec()),
            &["job"],
        )?;
        let import_rows = IntCounterVec::new(
            Opts::new(
                "ygj_import_rows_total",
                "Rows accepted by stored imports and batches, by kind and source (api, file:csv, file:xlsx).",
            ),
            &["kind", "source"],
        )?;
        let cache_lookups = IntCounterVec::new(
            Opts::new(
                "ygj_cache_lookups_total",
                "Lookups of in-memory answer caches, by cache and outcome (hit, miss, bypass: the data version unknown).",
            ),
            &["cache", "outcome"],
        )?;
        let build = IntGaugeVec::new(
            Opts::new("ygj_build_info", "The running version (always 1)."),
            &["version"],
        )?;
        build.with_label_values(&[env!("CARGO_PKG_VERSION")]).set(1);
        registry.register(Box::new(http_requests.clone()))?;
        registry.register(Box::new(http_duration.clone()))?;
        registry.register(Box::new(http_in_flight.clone()))?;
        registry.register(Box::new(db_pool.clone()))?;
        registry.register(Box::new(job_runs.clone()))?;
        registry.register(Box::new(job_duration.clone()))?;
        registry.register(Box::new(import_rows.clone()))?;
        registry.register(Box::new(cache_lookups.clone()))?;
        registry.register(Box::new(build))?;
        Ok(Metrics {
            registry,
            token: token.filter(|t| !t.is_empty()),
            http_requests,
            http_duration,
            http_in_flight,
            db_pool,
            job_runs,
            job_duration,
            import_rows,
            cache_lookups,
        })
    }

    /// Counts one answered request.
    pub fn observe_request(
        &self,
        method: &Method,
        route: &str,
        status: StatusCode,
        took: Duration,
    ) {
        let labels = [method_label(method), route, status_class(status)];
        self.http_requests.with_label_values(&labels).inc();
        self.http_duration
            .with_label_values(&labels)
            .observe(took.as_secs_f64());
    }

    /// Counts one job run; `took` is observed unless the run was skipped.
    pub fn observe_job(&self, job: &str, outcome: JobOutcome, took: Duration) {
        self.job_runs
            .with_label_values(&[job, outcome.label()])
            .inc();
        if outcome != JobOutcome::Skipped {
            self.job_duration
                .with_label_values(&[job])
                .observe(took.as_secs_f64());
        }
    }

    /// Counts `rows` accepted by a stored import of `kind` (`sales_order`, `prepayment`,
    /// `gauge_reading`, `score_target`) from `source` (`api`, `file:csv`, `file:xlsx`).
    pub fn count_import_rows(&self, kind: &str, source: &str, rows: u64) {
        self.import_rows
            .with_label_values(&[kind, source])
            .inc_by(rows);
    }

    /// Counts one lookup of the answer cache `cache`.
    pub fn count_cache(&self, cache: &str, outcome: CacheOutcome) {
        self.cache_lookups
            .with_label_values(&[cache, outcome.label()])
            .inc();
    }

    /// The text exposition of every metric, with the pool gauges read from `store` now.
    pub fn render(&self, store: &Store) -> Result<String, prometheus::Error> {
        if let Some(pool) = store.pool_stats() {
            for (state, value) in [("open", pool.open), ("idle", pool.idle), ("max", pool.max)] {
                self.db_pool
                    .with_label_values(&[state])
                    .set(i64::from(value));
            }
        }
        TextEncoder::new().encode_to_string(&self.registry.gather())
    }

    /// Whether `req` may read the metrics.
    fn allows(&self, req: &HttpRequest) -> bool {
        let Some(expected) = &self.token else {
            return true;
        };
        let given = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split_once(' '))
            .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
            .map(|(_, token)| token.trim());
        // Comparing digests keeps the time taken independent of how much of the token matches.
        given.is_some_and(|given| digest(given) == digest(expected))
    }
}

fn digest(text: &str) -> [u8; 32] {
    use sha2::Digest;
    sha2::Sha256::digest(text.as_bytes()).into()
}

fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

fn status_class(status: StatusCode) -> &'static str {
    match status.as_u16() {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

/// Keeps the in-flight gauge up while a request is handled, also when the client goes away
/// and the handler's future is dropped.
struct InFlight(IntGauge);

impl InFlight {
    fn enter(gauge: &IntGauge) -> Self {
        gauge.inc();
        InFlight(gauge.clone())
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.dec();
    }
}

/// A job run being counted: created with the run, so a run that is dropped before it starts
/// (another instance held the slot) counts as skipped.
struct JobRun {
    metrics: Arc<Metrics>,
    job: String,
    started: Option<Instant>,
    done: bool,
}

impl Drop for JobRun {
    fn drop(&mut self) {
        if !self.done && self.started.is_none() {
            self.metrics
                .observe_job(&self.job, JobOutcome::Skipped, Duration::ZERO);
        }
    }
}

/// `run` of job `job`, counted and timed in `metrics` when it ends: ok, failed, panicked (the
/// panic goes on to the caller's containment), or skipped when it is dropped unstarted.
pub fn counted_run<T, E>(
    metrics: Arc<Metrics>,
    job: &str,
    run: impl Future<Output = Result<T, E>>,
) -> impl Future<Output = Result<T, E>> {
    let mut counted = JobRun {
        metrics,
        job: job.to_owned(),
        started: None,
        done: false,
    };
    async move {
        let started = Instant::now();
        counted.started = Some(started);
        let result = std::panic::AssertUnwindSafe(run).catch_unwind().await;
        counted.done = true;
        let outcome = match &result {
            Ok(Ok(_)) => JobOutcome::Ok,
            Ok(Err(_)) => JobOutcome::Failed,
            Err(_) => JobOutcome::Panicked,
        };
        counted
            .metrics
            .observe_job(&counted.job, outcome, started.elapsed());
        result.unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
}

/// `job` with its runs counted in `metrics` (see [`counted_run`]).
pub fn count_runs(job: ScheduledJob, metrics: &Arc<Metrics>) -> ScheduledJob {
    let (metrics, name, run) = (metrics.clone(), job.name, job.run);
    ScheduledJob {
        run: Arc::new(move |store, now| {
            Box::pin(counted_run(metrics.clone(), name, run(store, now)))
        }),
        ..job
    }
}

/// Middleware: counts and times every request by method, route pattern and status class.
pub async fn track_requests(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
        return next.call(req).await;
    };
    let metrics = &state.metrics;
    let route = req.match_pattern().unwrap_or_else(|| UNMATCHED.to_owned());
    let method = req.method().clone();
    let started = Instant::now();
    let in_flight = InFlight::enter(&metrics.http_in_flight);
    let result = next.call(req).await;
    drop(in_flight);
    let status = match &result {
        Ok(response) => response.status(),
        Err(e) => e.as_response_error().status_code(),
    };
    metrics.observe_request(&method, &route, status, started.elapsed());
    result
}

/// `GET /metrics`: Prometheus text format 0.0.4. With `YGJ_METRICS_TOKEN` set it needs
/// `Authorization: Bearer <token>` (else 401 problem+json).
pub async fn metrics_endpoint(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    if !state.metrics.allows(&req) {
        return Err(ApiError::Unauthorized(ErrorCode::Unauthorized));
    }
    let body = state
        .metrics
        .render(&state.store)
        .map_err(|e| ApiError::Unexpected(e.into()))?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, prometheus::TEXT_FORMAT))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_fall_into_classes() {
        assert_eq!(status_class(StatusCode::OK), "2xx");
        assert_eq!(status_class(StatusCode::NO_CONTENT), "2xx");
        assert_eq!(status_class(StatusCode::PERMANENT_REDIRECT), "3xx");
        assert_eq!(status_class(StatusCode::UNPROCESSABLE_ENTITY), "4xx");
        assert_eq!(status_class(StatusCode::SERVICE_UNAVAILABLE), "5xx");
    }

    #[test]
    fn unusual_methods_share_one_label() {
        assert_eq!(method_label(&Method::DELETE), "DELETE");
        let custom = Method::from_bytes(b"PROPFIND").expect("method");
        assert_eq!(method_label(&custom), "other");
    }

    #[test]
    fn the_exposition_names_every_family() {
        let metrics = Metrics::new(None).expect("metrics");
        metrics.observe_request(
            &Method::GET,
            "/api/v1/clients/{id}",
            StatusCode::NOT_FOUND,
            Duration::from_millis(3),
        );
        metrics.observe_job(
            "service_sla",
            JobOutcome::Panicked,
            Duration::from_millis(1),
        );
        metrics.observe_job("service_sla", JobOutcome::Skipped, Duration::ZERO);
        metrics.count_import_rows("sales_order", "api", 7);
        let text = TextEncoder::new()
            .encode_to_string(&metrics.registry.gather())
            .expect("encode");
        for line in [
            r#"ygj_http_requests_total{method="GET",route="/api/v1/clients/{id}",status="4xx"} 1"#,
            r#"ygj_http_request_duration_seconds_bucket{method="GET",route="/api/v1/clients/{id}",status="4xx",le="0.005"} 1"#,
            "ygj_http_requests_in_flight 0",
            r#"ygj_job_runs_total{job="service_sla",outcome="panicked"} 1"#,
            r#"ygj_job_runs_total{job="service_sla",outcome="skipped"} 1"#,
            r#"ygj_job_duration_seconds_count{job="service_sla"} 1"#,
            r#"ygj_import_rows_total{kind="sales_order",source="api"} 7"#,
        ] {
            assert!(text.lines().any(|l| l == line), "{line} missing in\n{text}");
        }
    }

    #[test]
    fn the_token_is_compared_whole() {
        let metrics = Metrics::new(Some("s3cret".into())).expect("metrics");
        let with = |value: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::AUTHORIZATION, value))
                .to_http_request()
        };
        assert!(metrics.allows(&with("Bearer s3cret")));
        assert!(metrics.allows(&with("bearer s3cret")));
        assert!(!metrics.allows(&with("Bearer s3cre")));
        assert!(!metrics.allows(&with("Basic s3cret")));
        assert!(!metrics.allows(&actix_web::test::TestRequest::default().to_http_request()));
        assert!(!format!("{metrics:?}").contains("s3cret"));
        let open = Metrics::new(Some(String::new())).expect("metrics");
        assert!(open.allows(&actix_web::test::TestRequest::default().to_http_request()));
    }

    fn job_count(metrics: &Metrics, outcome: &str) -> String {
        let text = TextEncoder::new()
            .encode_to_string(&metrics.registry.gather())
            .expect("encode");
        let prefix = format!(r#"ygj_job_runs_total{{job="demo",outcome="{outcome}"}} "#);
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or("0")
            .to_owned()
    }

    #[tokio::test]
    async fn job_runs_are_counted_by_how_they_end() {
        let metrics = Arc::new(Metrics::new(None).expect("metrics"));
        let ok: Result<u8, String> = counted_run(metrics.clone(), "demo", async { Ok(1) }).await;
        assert_eq!(ok, Ok(1));
        let failed: Result<u8, String> =
            counted_run(metrics.clone(), "demo", async { Err("no".to_owned()) }).await;
        assert!(failed.is_err());
        drop(counted_run(metrics.clone(), "demo", async {
            Ok::<u8, String>(2)
        }));
        let panicking = counted_run(metrics.clone(), "demo", async {
            if std::hint::black_box(true) {
                panic!("boom");
            }
            Ok::<u8, String>(3)
        });
        let joined = tokio::spawn(panicking)
            .await
            .expect_err("the panic reaches the task");
        assert!(joined.is_panic());
        for (outcome, count) in [
            ("ok", "1"),
            ("failed", "1"),
            ("skipped", "1"),
            ("panicked", "1"),
        ] {
            assert_eq!(job_count(&metrics, outcome), count, "{outcome}");
        }
    }

    #[tokio::test]
    async fn scheduled_runs_are_counted_once_per_slot_and_skipped_elsewhere() {
        let dir = std::env::temp_dir().join(format!("ygj-metrics-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("jobs.sqlite").display());
        let store = Store::connect(&url).await.expect("connect");
        store.migrate().await.expect("migrate");
        let metrics = Arc::new(Metrics::new(None).expect("metrics"));
        let job = count_runs(
            ScheduledJob {
                cron: "0 0 * * * *",
                name: "demo",
                run: Arc::new(|_, _| Box::pin(async { Ok(domain::task::JobReport::default()) })),
            },
            &metrics,
        );
        let now = chrono::Utc::now();
        // Two instances fire the same slot: one runs it, the other skips.
        for instance in ["a", "b"] {
            let run = (job.run)(store.clone(), now);
            crate::jobs::run_claimed(&store, job.name, now, instance, run).await;
        }
        assert_eq!(job_count(&metrics, "ok"), "1");
        assert_eq!(job_count(&metrics, "skipped"), "1");
        drop(store);
        std::fs::remove_dir_all(&dir).ok();
    }
}
