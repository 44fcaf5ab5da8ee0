//! Measures the client list as a browser uses it (sequential latency percentiles and throughput
//! with concurrent clients), the authorization overhead per request and sign-in latency, against
//! a running server with the demo loaded.
//!
//! `ygj-bench --url http://127.0.0.1:8080 --requests 2000`

use anyhow::Context;
use clap::Parser;
use serde_json::Value;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    /// Server base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Sequential requests to time.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Concurrent clients for the throughput figure.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Sequential sign-ins to time.
    #[arg(long, default_value_t = 100)]
    sign_ins: usize,
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index.min(sorted.len() - 1)].as_secs_f64() * 1000.0
}

async fn get(http: &reqwest::Client, url: &str, token: &str) -> anyhow::Result<Value> {
    let response = http.get(url).bearer_auth(token).send().await?;
    anyhow::ensure!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    Ok(response.json().await?)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let http = reqwest::Client::new();
    let login: Value = http
        .post(format!("{}/api/v1/auth/login", args.url))
        .json(&serde_json::json!({ "username": "admin", "password": "Demo@2026" }))
        .send()
        .await?
        .json()
        .await?;
    let token = login["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();
    let units = get(&http, &format!("{}/api/v1/org-units", args.url), &token).await?;
    let cities: Vec<String> = units
        .as_array()
        .context("units")?
        .iter()
        .filter(|u| u["level"] == "city")
        .filter_map(|u| u["id"].as_str().map(str::to_owned))
        .collect();
    // The mix a manager's browsing produces: plain pages, filters, search, other sorts.
    let mut queries = vec![
        "per_page=50".to_owned(),
        "per_page=50&page=7".to_owned(),
        "per_page=50&category=filling_station".to_owned(),
        "per_page=50&industry=logistics&sort=-updated_at".to_owned(),
        "per_page=50&q=%E7%89%A9%E6%B5%81".to_owned(), // 物流
        "per_page=50&q=138".to_owned(),
        "per_page=50&sort=-name&category=end_user".to_owned(),
    ];
    for city in cities.iter().take(5) {
        queries.push(format!("per_page=50&org_unit_id={city}"));
        queries.push(format!(
            "per_page=50&org_unit_id={city}&category=end_user&sort=uscc"
        ));
    }
    let total = get(
        &http,
        &format!("{}/api/v1/clients?per_page=1", args.url),
        &token,
    )
    .await?;
    println!(
        "client list benchmark against {} ({} clients)",
        args.url, total["total"]
    );
    for q in &queries {
        get(&http, &format!("{}/api/v1/clients?{q}", args.url), &token).await?;
    }

    let mut latencies = Vec::with_capacity(args.requests);
    for i in 0..args.requests {
        let q = &queries[i % queries.len()];
        let started = Instant::now();
        get(&http, &format!("{}/api/v1/clients?{q}", args.url), &token).await?;
        latencies.push(started.elapsed());
    }
    latencies.sort();
    println!(
        "sequential: {} requests of 50 rows with filters: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        latencies.len(),
        percentile(&latencies, 0.50),
        percentile(&latencies, 0.95),
        percentile(&latencies, 0.99),
        percentile(&latencies, 1.0)
    );

    // Authorization overhead: the same trivial work with and without the token check
    // (`/me` verifies the JWT and re-reads the user with their session; `/healthz` does nothing).
    let mut with_auth = Vec::with_capacity(args.requests);
    let mut without_auth = Vec::with_capacity(args.requests);
    for _ in 0..args.requests {
        let started = Instant::now();
        get(&http, &format!("{}/api/v1/me", args.url), &token).await?;
        with_auth.push(started.elapsed());
        let started = Instant::now();
        let response = http.get(format!("{}/healthz", args.url)).send().await?;
        anyhow::ensure!(response.status().is_success(), "healthz");
        response.bytes().await?;
        without_auth.push(started.elapsed());
    }
    with_auth.sort();
    without_auth.sort();
    println!(
        "authorization: GET /api/v1/me p50 {:.1} µs vs GET /healthz p50 {:.1} µs: overhead {:.1} µs per request (p90 {:.1} µs)",
        percentile(&with_auth, 0.50) * 1000.0,
        percentile(&without_auth, 0.50) * 1000.0,
        (percentile(&with_auth, 0.50) - percentile(&without_auth, 0.50)) * 1000.0,
        (percentile(&with_auth, 0.90) - percentile(&without_auth, 0.90)) * 1000.0,
    );

    // Sign-in: argon2id at OWASP's parameters, deliberately slow.
    let mut sign_ins = Vec::new();
    for _ in 0..args.sign_ins {
        let started = Instant::now();
        let response = http
            .post(format!("{}/api/v1/auth/login", args.url))
            .json(&serde_json::json!({ "username": "leader", "password": "Demo@2026" }))
            .send()
            .await?;
        anyhow::ensure!(
            response.status().is_success(),
            "sign-in: {}",
            response.status()
        );
        response.bytes().await?;
        sign_ins.push(started.elapsed());
    }
    sign_ins.sort();
    println!(
        "sign-in: {} sequential: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        sign_ins.len(),
        percentile(&sign_ins, 0.50),
        percentile(&sign_ins, 0.99),
        percentile(&sign_ins, 1.0)
    );

    let concurrency = args.concurrency.max(1);
    let per_worker = args.requests / concurrency;
    let started = Instant::now();
    let mut workers = Vec::new();
    for w in 0..concurrency {
        let (http, token, url, queries) = (
            http.clone(),
            token.clone(),
            args.url.clone(),
            queries.clone(),
        );
        workers.push(tokio::spawn(async move {
            for i in 0..per_worker {
                let q = &queries[(i + w) % queries.len()];
                get(&http, &format!("{url}/api/v1/clients?{q}"), &token).await?;
            }
            Ok::<_, anyhow::Error>(())
        }));
    }
    for w in workers {
        w.await??;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let done = per_worker * concurrency;
    println!(
        "concurrent: {concurrency} clients, {done} requests in {elapsed:.2} s = {:.0} requests/s",
        done as f64 / elapsed
    );
    Ok(())
}
