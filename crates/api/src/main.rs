//! `youguanjia`: serve the API and the dashboard, run migrations, or generate the demo province.

use anyhow::Context;
use api::clock::{SharedClock, SystemClock};
use api::config::Settings;
use api::demo_seed::seed_demo;
use api::startup::Application;
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use std::sync::Arc;
use store::Store;

#[derive(Parser)]
#[command(
    name = "youguanjia",
    version,
    about = "油管家 Youguanjia — client management for refined-oil direct and distribution sales"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (migrations run first).
    Serve {
        /// Fill an empty database with the demo province first.
        #[arg(long)]
        demo: bool,
        /// Demo size multiplier (1 ≈ 6,000 clients).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
    },
    /// Bring the database schema up to date and exit.
    Migrate,
    /// Write the demo province into an empty database and print what it took.
    Demo {
        /// Size multiplier (1 ≈ 6,000 clients; 100 ≈ 600,000).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Random seed; the same seed and date give the same province.
        #[arg(long, default_value_t = 2026)]
        seed: u64,
        /// Last day of sales history (default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
        /// Only generate (streamed, nothing kept or written) and print counts and time: the
        /// generator's speed at any scale, e.g. 100 for the 600,000-client benchmark province.
        #[arg(long)]
        generate_only: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let store = Store::connect(&settings.database_url)
        .await
        .context("connecting to the database")?;
    store.migrate().await.context("running migrations")?;
    Ok(store)
}

async fn demo(
    store: &Store,
    files: &store::files::FileStoreConfig,
    scale: f64,
    seed: u64,
    as_of: Option<NaiveDate>,
    clock: &SharedClock,
) -> anyhow::Result<()> {
    if !(0.0..=1000.0).contains(&scale) || scale == 0.0 {
        anyhow::bail!("--scale must be between 0 and 1000");
    }
    if !store.is_empty().await? {
        tracing::info!("database already has data; demo not loaded");
        return Ok(());
    }
    let now = clock.now();
    let config = demo::DemoConfig {
        seed,
        scale,
        as_of: as_of.unwrap_or(now.date_naive()),
    };
    let files = store::files::FileStore::open(files)?;
    let stats = seed_demo(store, &files, &config, now).await?;
    // Raise the demo's renew-document tasks now rather than at the first nightly run.
    let alerts = api::jobs::expiry_alerts(store, config.as_of, now).await?;
    tracing::info!(created = alerts.created, "demo expiry alerts raised");
    // Grades, classes and P(alive) now, with a half-year of weekly snapshots behind them, so
    // the dashboard shows transitions and the client pages their history from the start.
    let intel = api::intel::recompute_with_history(store, config.as_of, 26, now).await?;
    println!(
        "demo intelligence: {} clients, {} orders, 26 weeks of history; current run read {} ms, computed {} ms, wrote {} ms",
        intel.clients, intel.orders, intel.read_ms, intel.compute_ms, intel.write_ms
    );
    println!(
        "demo loaded: {} org units, {} users, {} clients, {} orders, {} documents; generated in {:.2} s, written in {:.2} s ({})",
        stats.org_units,
        stats.users,
        stats.clients,
        stats.orders,
        stats.documents,
        stats.generate_secs,
        stats.write_secs,
        store.backend_name()
    );
    Ok(())
}

/// Streams the whole demo through the generator without keeping it, and prints what it made.
fn generate_only(config: &demo::DemoConfig) {
    let started = std::time::Instant::now();
    let generator = demo::DemoGenerator::new(config);
    let mut book = generator.order_book();
    let (mut clients, mut orders) = (0usize, 0usize);
    let mut buffer = Vec::new();
    for client in generator.clients() {
        clients += 1;
        buffer.clear();
        book.extend_orders_for(&client, &mut buffer);
        orders += buffer.len();
    }
    println!(
        "demo generated (scale {}): {} org units, {} users, {clients} clients, {orders} orders in {:.2} s",
        config.scale,
        generator.org_units().len(),
        generator.users().len(),
        started.elapsed().as_secs_f64()
    );
}

#[actix_web::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Command::Openapi = cli.command {
        print!("{}", api::openapi::spec_json());
        return Ok(());
    }
    api::telemetry::init();
    let settings = Settings::from_env()?;
    let clock: SharedClock = Arc::new(SystemClock);
    match cli.command {
        Command::Migrate => {
            open_store(&settings).await?;
            println!("migrations applied");
        }
        Command::Demo {
            scale,
            seed,
            as_of,
            generate_only: true,
        } => {
            let as_of = as_of.unwrap_or(clock.now().date_naive());
            generate_only(&demo::DemoConfig { seed, scale, as_of });
        }
        Command::Demo {
            scale,
            seed,
            as_of,
            generate_only: false,
        } => {
            let store = open_store(&settings).await?;
            demo(&store, &settings.files, scale, seed, as_of, &clock).await?;
        }
        Command::Serve {
            demo: with_demo,
            scale,
        } => {
            let store = open_store(&settings).await?;
            if with_demo {
                demo(&store, &settings.files, scale, 2026, None, &clock).await?;
            }
            let app = Application::build(&settings, store, clock).await?;
            tracing::info!(port = app.port(), bind = %settings.bind, "serving");
            println!("Youguanjia is serving at http://{}", settings.bind);
            app.run_until_stopped().await?;
        }
        Command::Openapi => {}
    }
    Ok(())
}
