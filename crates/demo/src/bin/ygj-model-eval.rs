//! How well do BG/NBD and MBG/CNBD-k predict the demo province's purchases?
//!
//! Generates the demo province, fits both models on the first 18 of its 24 months and compares
//! their predictions of each client's purchase days in the last 6 months with what it bought
//! (see `domain::clv_cnbd`). Usage:
//!
//! ```text
//! cargo run --release -p youguanjia-demo --bin ygj-model-eval -- [--scale 1] [--seed 2026] [--as-of 2026-11-30]
//! ```

use chrono::{Months, NaiveDate};
use demo::{DemoConfig, DemoGenerator};
use domain::clv_cnbd::{
    evaluate_holdout, fit_best, fit_mbg_cnbd_k, AliveCalibration, ChurnModel, HoldoutWinner,
    PredictionErrors, TimedSummary, FIT_SAMPLE_LIMIT,
};
use std::process::ExitCode;
use std::time::Instant;

struct Args {
    scale: f64,
    seed: u64,
    as_of: NaiveDate,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        scale: 1.0,
        seed: 2026,
        as_of: NaiveDate::from_ymd_opt(2026, 11, 30).ok_or("bad default date")?,
    };
    let mut words = std::env::args().skip(1);
    while let Some(word) = words.next() {
        let mut value = |name: &str| words.next().ok_or(format!("{name} needs a value"));
        match word.as_str() {
            "--scale" => {
                args.scale = value("--scale")?
                    .parse()
                    .map_err(|e| format!("--scale: {e}"))?
            }
            "--seed" => {
                args.seed = value("--seed")?
                    .parse()
                    .map_err(|e| format!("--seed: {e}"))?
            }
            "--as-of" => {
                args.as_of = value("--as-of")?
                    .parse()
                    .map_err(|e| format!("--as-of: {e}"))?
            }
            "-h" | "--help" => {
                return Err(
                    "usage: ygj-model-eval [--scale 1] [--seed 2026] [--as-of 2026-11-30]".into(),
                )
            }
            other => {
                args.scale = other
                    .parse()
                    .map_err(|_| format!("unknown argument {other}"))?
            }
        }
    }
    if !(args.scale.is_finite() && args.scale > 0.0) {
        return Err("--scale must be positive".into());
    }
    Ok(args)
}

fn main() -> ExitCode {
    match parse_args() {
        Ok(args) => {
            run(&args);
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("{message}");
            ExitCode::FAILURE
        }
    }
}

/// A P(alive) figure, or a dash for a predictor without P(alive).
fn alive_cell(errors: &PredictionErrors, figure: impl Fn(&AliveCalibration) -> String) -> String {
    errors
        .alive
        .as_ref()
        .map(figure)
        .unwrap_or_else(|| "–".into())
}

fn run(args: &Args) {
    let started = Instant::now();
    let config = DemoConfig::new(args.seed, args.scale, args.as_of);
    let generator = DemoGenerator::new(&config);
    let mut book = generator.order_book();
    let histories: Vec<Vec<NaiveDate>> = generator
        .clients()
        .map(|client| {
            let mut days: Vec<NaiveDate> = book
                .orders_for(&client)
                .iter()
                .map(|o| o.order_date)
                .collect();
            days.dedup();
            days
        })
        .collect();
    let generated = started.elapsed();

    let first_day = generator.first_order_day();
    // The first 18 of the 24 months; the holdout is the last 6.
    let calibration_end = first_day
        .checked_add_months(Months::new(18))
        .and_then(|d| d.pred_opt())
        .unwrap_or(args.as_of);
    let holdout_end = args.as_of;

    let evaluation_started = Instant::now();
    let evaluation = evaluate_holdout(&histories, calibration_end, holdout_end);
    let evaluated = evaluation_started.elapsed();

    // The production call alone, on the same calibration summaries, to time the fit itself.
    let summaries: Vec<TimedSummary> = histories
        .iter()
        .filter_map(|days| TimedSummary::from_purchase_days(days, calibration_end))
        .collect();
    let fit_started = Instant::now();
    let (production, production_ll) = fit_best(&summaries);
    let fitted = fit_started.elapsed();

    let weeks = |from: NaiveDate, to: NaiveDate| (to - from).num_days() as f64 / 7.0;
    println!(
        "Purchase-model holdout evaluation: demo province, seed {}, scale {} ({} clients)",
        args.seed,
        args.scale,
        histories.len()
    );
    println!(
        "Calibration {first_day} … {calibration_end} ({:.1} weeks); holdout to {holdout_end} ({:.1} weeks)",
        weeks(first_day, calibration_end),
        evaluation.holdout_weeks
    );
    println!(
        "Clients evaluated: {} ({} without a purchase by {calibration_end} left out). Unit: weeks; a purchase is a distinct purchase day.",
        evaluation.clients, evaluation.skipped
    );
    if evaluation.clients > FIT_SAMPLE_LIMIT {
        println!(
            "Fits used a stratified sample of {FIT_SAMPLE_LIMIT} clients; log-likelihoods are of all clients."
        );
    }

    let c = &evaluation.comparison;
    let m = &c.mbg_cnbd;
    let mbg_name = format!("MBG/CNBD-{}", m.params.k);
    println!();
    println!("Fitted on the calibration period");
    println!(
        "  {:<12} {:>9} {:>9} {:>10} {:>12} {:>14} {:>14}",
        "model", "r", "alpha", "a", "b", "log-lik", "AIC"
    );
    let b = &c.bg_nbd.params;
    println!(
        "  {:<12} {:>9.4} {:>9.4} {:>10.4} {:>12.4} {:>14.1} {:>14.1}",
        "BG/NBD", b.r, b.alpha, b.a, b.b, c.bg_nbd.log_likelihood, c.bg_nbd_aic
    );
    let p = &m.params;
    println!(
        "  {:<12} {:>9.4} {:>9.4} {:>10.4} {:>12.4} {:>14.1} {:>14.1}",
        mbg_name, p.r, p.alpha, p.a, p.b, m.log_likelihood, c.mbg_cnbd_aic
    );
    let by_k: Vec<String> = m
        .log_likelihood_by_k
        .iter()
        .map(|(k, ll)| format!("k={k}: {ll:.1}"))
        .collect();
    println!("  MBG/CNBD log-likelihood by k: {}", by_k.join(", "));
    println!(
        "  optimiser iterations: BG/NBD {}, MBG/CNBD (all k) {}; fitted on {} clients",
        c.bg_nbd.iterations, m.iterations, m.fitted_customers
    );
    println!(
        "  chosen k = {} (highest likelihood){}",
        p.k,
        if m.log_likelihood_by_k.last().is_some_and(|(k, _)| *k == p.k) {
            " — at the top of the range 1..=6: the data are more regular still"
        } else {
            ""
        }
    );
    println!(
        "  mean purchase gap: BG/NBD {:.2} weeks; {mbg_name} {:.2} weeks (k·alpha/(r−1) when r > 1)",
        b.alpha / (b.r - 1.0),
        f64::from(p.k) * p.alpha / (p.r - 1.0)
    );
    println!(
        "  mean dropout per purchase: BG/NBD {:.4}; {mbg_name} {:.4}",
        b.a / (b.a + b.b),
        p.a / (p.a + p.b)
    );

    let columns = [
        ("BG/NBD", &evaluation.bg_nbd),
        (mbg_name.as_str(), &evaluation.mbg_cnbd),
        ("naive x/T·t", &evaluation.naive),
    ];
    println!();
    println!("Holdout: purchase days per client");
    print!("  {:<36}", "");
    for (name, _) in &columns {
        print!(" {name:>13}");
    }
    println!();
    let row = |label: &str, value: &dyn Fn(&PredictionErrors) -> String| {
        print!("  {label:<36}");
        for (_, errors) in &columns {
            print!(" {:>13}", value(errors));
        }
        println!();
    };
    row("mean absolute error", &|e| {
        format!("{:.3}", e.mean_absolute_error)
    });
    row("root mean squared error", &|e| {
        format!("{:.3}", e.root_mean_squared_error)
    });
    row("total predicted", &|e| format!("{:.0}", e.total_predicted));
    row("total actual", &|e| format!("{:.0}", e.total_actual));
    row("aggregate error", &|e| {
        format!("{:+.2} %", e.aggregate_error_percent)
    });
    row("correlation (per client)", &|e| {
        format!("{:.4}", e.correlation)
    });
    row("mean P(alive)", &|e| {
        alive_cell(e, |a| format!("{:.3}", a.mean_p_alive))
    });
    row("share that bought in the holdout", &|e| {
        alive_cell(e, |a| format!("{:.3}", a.share_bought))
    });
    row("clients with P(alive) < 0.5", &|e| {
        alive_cell(e, |a| format!("{}", a.flagged))
    });
    row("  of them bought nothing", &|e| {
        alive_cell(e, |a| format!("{:.1} %", 100.0 * a.flagged_silent_share()))
    });
    row("silent clients caught by the flag", &|e| {
        alive_cell(e, |a| {
            format!(
                "{}/{} {:.0}%",
                a.flagged_silent,
                a.silent,
                100.0 * a.silent_flagged_share()
            )
        })
    });

    println!();
    println!("Holdout error by calibration frequency (repeat purchase days)");
    println!(
        "  {:<8} {:>7} {:>8} | {:>9} {:>8} | {:>9} {:>8} | {:>9} {:>8}",
        "x", "clients", "actual", "BG pred", "BG MAE", "CNBD pred", "CNBD MAE", "naive", "nv MAE"
    );
    for ((bg, mbg), naive) in evaluation
        .bg_nbd
        .buckets
        .iter()
        .zip(&evaluation.mbg_cnbd.buckets)
        .zip(&evaluation.naive.buckets)
    {
        if bg.clients == 0 {
            continue;
        }
        println!(
            "  {:<8} {:>7} {:>8.2} | {:>9.2} {:>8.3} | {:>9.2} {:>8.3} | {:>9.2} {:>8.3}",
            bg.label(),
            bg.clients,
            bg.actual_mean,
            bg.predicted_mean,
            bg.mean_absolute_error,
            mbg.predicted_mean,
            mbg.mean_absolute_error,
            naive.predicted_mean,
            naive.mean_absolute_error
        );
    }

    // k = 6 is the top of the production range; how much more would a larger k give?
    let beyond_started = Instant::now();
    let actual: Vec<f64> = histories
        .iter()
        .filter(|days| days.iter().any(|d| *d <= calibration_end))
        .map(|days| {
            days.iter()
                .filter(|d| **d > calibration_end && **d <= holdout_end)
                .count() as f64
        })
        .collect();
    println!();
    println!("Beyond the range (information only; production keeps k in 1..=6)");
    let larger_k: &[u32] = if summaries.len() <= FIT_SAMPLE_LIMIT {
        &[8, 12, 16, 24]
    } else {
        println!(
            "  skipped above {FIT_SAMPLE_LIMIT} clients (it predicts every client four more times)"
        );
        &[]
    };
    for &k in larger_k {
        let fit = fit_mbg_cnbd_k(&summaries, k);
        let model = ChurnModel::MbgCnbd(fit.params);
        let predicted: Vec<f64> = summaries
            .iter()
            .map(|s| model.expected_purchases(s, evaluation.holdout_weeks))
            .collect();
        let n = actual.len().max(1) as f64;
        let mae = predicted
            .iter()
            .zip(&actual)
            .map(|(p, a)| (p - a).abs())
            .sum::<f64>()
            / n;
        let total: f64 = predicted.iter().sum();
        let total_actual: f64 = actual.iter().sum();
        println!(
            "  MBG/CNBD-{k:<3} log-lik {:>12.1}  holdout MAE {mae:.3}  aggregate error {:+.2} %",
            fit.log_likelihood,
            100.0 * (total - total_actual) / total_actual
        );
    }
    let beyond = beyond_started.elapsed();

    println!();
    let (bg, mbg) = (&evaluation.bg_nbd, &evaluation.mbg_cnbd);
    let winner = match evaluation.winner {
        HoldoutWinner::MbgCnbd => mbg_name.as_str(),
        HoldoutWinner::BgNbd => "BG/NBD",
    };
    println!(
        "Verdict: {winner} predicts the holdout better (MAE {:.3} vs {:.3}, {:+.1} %; RMSE {:.3} vs {:.3}; aggregate error {:+.2} % vs {:+.2} %).",
        mbg.mean_absolute_error.min(bg.mean_absolute_error),
        mbg.mean_absolute_error.max(bg.mean_absolute_error),
        100.0 * (mbg.mean_absolute_error - bg.mean_absolute_error) / bg.mean_absolute_error,
        mbg.root_mean_squared_error,
        bg.root_mean_squared_error,
        mbg.aggregate_error_percent,
        bg.aggregate_error_percent,
    );
    println!(
        "Production rule (fit_best: lower AIC): {} (log-likelihood {:.1}).",
        production.name(),
        production_ll
    );
    println!();
    println!(
        "Wall time: generate {:.2} s, summarise + fit both + predict {:.2} s, fit_best alone {:.3} s, k > 6 {:.2} s, total {:.2} s",
        generated.as_secs_f64(),
        evaluated.as_secs_f64(),
        fitted.as_secs_f64(),
        beyond.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );
}
