//! The ceiling of the load benchmark: actix-web on this machine with nothing of ours in the
//! way — no middleware, no state, no database — answering one GET route with a small body. It
//! runs with the server's worker count (actix-web's default, one per CPU; `youguanjia serve`
//! sets none either), so `scripts/bench-load.sh` can print each endpoint's throughput as a
//! share of what the framework itself does here in the same run.
//!
//! `ygj-hello --bind 127.0.0.1:8099`, then `GET /hello`.

use actix_web::{web, App, HttpResponse, HttpServer};
use clap::Parser;

#[derive(Parser)]
struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8099")]
    bind: String,
}

async fn hello() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("application/json")
        .body(r#"{"hello":"world"}"#)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let args = Args::parse();
    HttpServer::new(|| App::new().route("/hello", web::get().to(hello)))
        .bind(&args.bind)?
        .run()
        .await
}
