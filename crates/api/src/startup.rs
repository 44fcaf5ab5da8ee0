//! Building and running the HTTP server.

use crate::auth::{hash_password, TokenKeys};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::extract::{path_error, query_error, JsonLimit};
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::static_files::{serve_frontend, StaticAssets};
use crate::telemetry::RequestSpan;
use actix_web::dev::Server;
use actix_web::{middleware, web, App, HttpServer};
use std::net::TcpListener;
use store::Store;
use tracing_actix_web::TracingLogger;
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

pub use actix_web::dev::ServerHandle;

/// How long a graceful stop (SIGTERM, or [`ServerHandle::stop`] with `true`) waits for requests
/// in flight before it drops them. New connections are refused from the moment the stop begins.
/// An orchestrator's grace period before it kills the process must be longer than this.
pub const SHUTDOWN_TIMEOUT_SECS: u64 = 30;

/// A bound, not yet awaited server.
pub struct Application {
    port: u16,
    server: Server,
    /// The scheduled jobs (kept alive while the server runs).
    scheduler: Option<tokio_cron_scheduler::JobScheduler>,
    /// The listener that hears other instances' changes (PostgreSQL), stopped with the server.
    change_feed: tokio::task::JoinHandle<()>,
}

impl Application {
    /// Binds `settings.bind` (port 0 picks a free port) and prepares the server on `store`.
    pub async fn build(
        settings: &Settings,
        store: Store,
        clock: SharedClock,
    ) -> anyhow::Result<Self> {
        let listener = TcpListener::bind(&settings.bind)?;
        let port = listener.local_addr()?.port();
        let dummy_hash = web::block(|| hash_password("not-a-real-password")).await??;
        let sso = match &settings.sso {
            Some(sso) => Some(std::sync::Arc::new(
                crate::routes::sso::SsoProvider::new(sso, &store).await?,
            )),
            None => None,
        };
        let state = web::Data::new(AppState {
            store,
            keys: TokenKeys::new(&settings.jwt_secret, settings.access_token_ttl_secs),
            clock,
            refresh_ttl_secs: settings.refresh_token_ttl_secs,
            dummy_hash,
            integrator_usage: Default::default(),
            sso,
            files: store::files::FileStore::open(&settings.files)?,
            max_upload_bytes: settings.max_upload_bytes,
            map_tile_url: settings.map_tile_url.clone(),
            metrics: std::sync::Arc::new(crate::metrics::Metrics::new(
                settings.metrics_token.clone(),
            )?),
            client_lists: std::sync::Arc::new(crate::response_cache::ResponseCache::new(
                settings.answer_cache,
            )),
        });
        let change_feed = tokio::spawn(state.store.clone().follow_changes());
        let scheduler = if settings.run_jobs {
            Some(crate::jobs::start_scheduler(state.get_ref().clone()).await?)
        } else {
            None
        };
        let assets = web::Data::new(StaticAssets::load(&settings.frontend_dir));
        let limit = settings.max_json_bytes;
        let spec = ApiDoc::openapi();
        let server = HttpServer::new(move || {
            App::new()
                // Last wrapped runs first: compression, metrics, the request id (which the
                // request span and every problem body take), the request span.
                .wrap(TracingLogger::<RequestSpan>::new())
                .wrap(middleware::from_fn(crate::telemetry::request_id))
                .wrap(middleware::from_fn(crate::metrics::track_requests))
                .wrap(middleware::Compress::default())
                .app_data(state.clone())
                .app_data(assets.clone())
                .app_data(JsonLimit(limit))
                .app_data(web::PayloadConfig::new(limit))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .service(crate::routes::health::healthz)
                .service(crate::routes::health::readyz)
                .route("/metrics", web::get().to(crate::metrics::metrics_endpoint))
                .service(
                    web::scope("/api/v1")
                        .wrap(middleware::from_fn(crate::auth::authenticate))
                        .configure(crate::routes::configure_api),
                )
                .route(
                    "/docs",
                    web::get().to(|| async { web::Redirect::to("/docs/").permanent() }),
                )
                .service(SwaggerUi::new("/docs/{_:.*}").url("/api-docs/openapi.json", spec.clone()))
                .default_service(web::to(serve_frontend))
        })
        .listen(listener)?
        .shutdown_timeout(SHUTDOWN_TIMEOUT_SECS)
        .run();
        Ok(Application {
            port,
            server,
            scheduler,
            change_feed,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// A handle that stops the server: `stop(true)` refuses new connections at once and lets
    /// requests in flight finish (up to [`SHUTDOWN_TIMEOUT_SECS`]), like SIGTERM.
    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until stopped: by [`Application::handle`], by SIGTERM (graceful: requests in
    /// flight finish, up to [`SHUTDOWN_TIMEOUT_SECS`]) or by SIGINT/SIGQUIT (at once).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        self.change_feed.abort();
        if let Some(mut scheduler) = self.scheduler {
            if let Err(e) = scheduler.shutdown().await {
                tracing::warn!(error = %e, "scheduler did not stop cleanly");
            }
        }
        result
    }
}
