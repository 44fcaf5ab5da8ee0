//! Building and running the HTTP server.

use crate::auth::{hash_password, TokenKeys};
use crate::clock::SharedClock;
use crate::config::Settings;
use crate::extract::{path_error, query_error, JsonLimit};
use crate::openapi::ApiDoc;
use crate::state::AppState;
use crate::static_files::{serve_frontend, StaticAssets};
use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{middleware, web, App, HttpMessage, HttpServer};
use std::net::TcpListener;
use store::Store;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa::OpenApi;
use utoipa_swagger_ui::SwaggerUi;

/// A bound, not yet awaited server.
pub struct Application {
    port: u16,
    server: Server,
    /// The scheduled jobs (kept alive while the server runs).
    scheduler: Option<tokio_cron_scheduler::JobScheduler>,
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
        });
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
                .wrap_fn(|req, srv| {
                    let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                    let response = srv.call(req);
                    async move {
                        let mut response = response.await?;
                        if let Some(value) =
                            request_id.and_then(|id| HeaderValue::from_str(&id).ok())
                        {
                            response
                                .headers_mut()
                                .insert(HeaderName::from_static("x-request-id"), value);
                        }
                        Ok(response)
                    }
                })
                .wrap(TracingLogger::default())
                .wrap(middleware::Compress::default())
                .app_data(state.clone())
                .app_data(assets.clone())
                .app_data(JsonLimit(limit))
                .app_data(web::PayloadConfig::new(limit))
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .app_data(web::PathConfig::default().error_handler(path_error))
                .service(crate::routes::health::healthz)
                .service(crate::routes::health::readyz)
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
        .shutdown_timeout(30)
        .run();
        Ok(Application {
            port,
            server,
            scheduler,
        })
    }

    /// The bound port.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is told to stop (SIGINT/SIGTERM: in-flight requests finish).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let result = self.server.await;
        if let Some(mut scheduler) = self.scheduler {
            if let Err(e) = scheduler.shutdown().await {
                tracing::warn!(error = %e, "scheduler did not stop cleanly");
            }
        }
        result
    }
}
