//! The recompute of client intelligence: stream every client's orders from the store, summarise
//! each with the domain rules, fit the purchase model on the province, grade and score, write.
//! Runs nightly, on demand (admin), and at demo load (with a half-year of weekly history).

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use domain::analytics::ClientIntel;
use domain::clv_cnbd::{
    compare_fits, fit_bg_nbd, fit_mbg_cnbd, ChurnModel, ModelComparison, TimedSummary,
};
use domain::grading::ClientGrading;
use domain::intel::{
    finish, fit_model, grade_all, score, summarize_client, ClientFigures, ClientSummary, IntelRules,
};
use std::collections::HashMap;
use std::time::Instant;
use store::intel::IntelWrite;
use store::{Store, StoreError};
use uuid::Uuid;

/// Rule-set kind of the intelligence thresholds (grading and classification).
pub const INTEL_RULES_KIND: &str = "intel_rules";

/// What one recompute did and how long each step took.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RecomputeStats {
    /// As of.
    pub as_of: NaiveDate,
    /// Clients computed (prospects included).
    pub clients: u64,
    /// Order rows read.
    pub orders: u64,
    /// Reading and summarising (streamed together), ms.
    pub read_ms: u64,
    /// Fitting the model, grading and scoring, ms.
    pub compute_ms: u64,
    /// Writing, ms.
    pub write_ms: u64,
    /// Grade changes recorded.
    pub grade_changes: u64,
    /// Both model fits and the one chosen.
    pub fit: ModelComparison,
    /// Rule-set version.
    pub rule_version: i32,
}

/// The rule set in force (version 1 = the defaults of DESIGN §2.2 and §2.3).
pub async fn rules_in_force(store: &Store) -> Result<IntelRules, StoreError> {
    Ok(
        match store
            .latest_rule_set::<IntelRules>(INTEL_RULES_KIND)
            .await?
        {
            Some((version, rules)) => IntelRules { version, ..rules },
            None => IntelRules::default(),
        },
    )
}

fn round3(value: f64) -> f64 {
    (value * 1000.0).round() / 1000.0
}

fn to_rows(
    figures: Vec<ClientFigures>,
    units: &HashMap<Uuid, Uuid>,
    as_of: NaiveDate,
    rule_version: i32,
) -> Vec<ClientIntel> {
    figures
        .into_iter()
        .map(|f| ClientIntel {
            client_id: f.client_id,
            client_name: String::new(),
            org_unit_id: units.get(&f.client_id).copied().unwrap_or_default(),
            as_of,
            grade: f.grade,
            key_client: f.key_client,
            rfm: f.rfm,
            quadrant: f.quadrant,
            class: f.classification.class,
            reasons: f.classification.reasons,
            sentence_zh: f.classification.sentence_zh,
            sentence_en: f.classification.sentence_en,
            p_alive: f.p_alive,
            expected_purchases_90d: f.expected_purchases_90d,
            expected_volume_at_risk_t: round3(f.expected_volume_at_risk_t),
            tonnes_12m: round3(f.tonnes_12m),
            purchases_12m: f.purchases_12m,
            tonnes_90d: round3(f.tonnes_90d),
            prepaid_not_lifted_t: round3(f.prepaid_not_lifted_t),
            rule_version,
        })
        .collect()
}

/// The run log's record of the fit: the chosen model and both candidates' figures.
fn model_json(fit: &ModelComparison) -> serde_json::Value {
    let chosen = match fit.chosen {
        ChurnModel::BgNbd(_) => "bg_nbd",
        ChurnModel::MbgCnbd(_) => "mbg_cnbd",
    };
    serde_json::json!({
        "model": chosen,
        "name": fit.chosen.name(),
        "time_unit": "week",
        "params": fit.chosen,
        "log_likelihood": fit.chosen_log_likelihood,
        "bg_nbd": { "params": fit.bg_nbd.params, "log_likelihood": fit.bg_nbd.log_likelihood, "aic": fit.bg_nbd_aic },
        "mbg_cnbd": { "params": fit.mbg_cnbd.params, "log_likelihood": fit.mbg_cnbd.log_likelihood, "aic": fit.mbg_cnbd_aic },
    })
}

/// [`fit_model`] and [`finish`] on two threads: the two models are fitted at the same time
/// (the grades beside them), then each half of the province is scored on its own thread.
/// The figures are the same as theirs, in the same order.
fn fit_and_finish(
    mut summaries: Vec<ClientSummary>,
    rules: &IntelRules,
) -> (ModelComparison, Vec<ClientFigures>) {
    fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
        handle
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    }
    let customers: Vec<TimedSummary> = summaries.iter().filter_map(|s| s.history).collect();
    let (fit, mut gradings) = std::thread::scope(|scope| {
        let bg_nbd = scope.spawn(|| fit_bg_nbd(&customers));
        let gradings = scope.spawn(|| grade_all(&summaries, rules));
        let mbg_cnbd = fit_mbg_cnbd(&customers);
        (compare_fits(joined(bg_nbd), mbg_cnbd), joined(gradings))
    });
    let model = &fit.chosen;
    let half = summaries.len() / 2;
    let (back, back_gradings) = (summaries.split_off(half), gradings.split_off(half));
    let score_all =
        |part: Vec<ClientSummary>, gradings: Vec<ClientGrading>| -> Vec<ClientFigures> {
            part.into_iter()
                .zip(gradings)
                .map(|(s, g)| score(s, g, rules, model))
                .collect()
        };
    let figures = std::thread::scope(|scope| {
        let back = scope.spawn(|| score_all(back, back_gradings));
        let mut figures = score_all(summaries, gradings);
        figures.extend(joined(back));
        figures
    });
    (fit, figures)
}

/// Recomputes every client as of `as_of` and writes the result as the current figures (and
/// the week's snapshot). Memory holds one client's orders at a time plus a small summary
/// per client.
pub async fn recompute(
    store: &Store,
    as_of: NaiveDate,
    now: DateTime<Utc>,
) -> Result<RecomputeStats, StoreError> {
    let started = Instant::now();
    let rules = rules_in_force(store).await?;
    let clients = store.intel_clients().await?;
    let prepaid = store.prepaid_balances_kg(as_of).await?;
    let prepaid_t = |id: &Uuid| prepaid.get(id).map_or(0.0, |kg| *kg as f64 / 1000.0);
    // The orders come client by client, but not in id order (the store reads two halves of
    // the clients at once).
    let mut bought: Vec<ClientSummary> = Vec::with_capacity(clients.len());
    let units: HashMap<Uuid, Uuid> = clients.iter().copied().collect();
    let (orders, unit_months) = store
        .for_each_client_orders(as_of, Some(&units), |client_id, purchases| {
            bought.push(summarize_client(
                client_id,
                purchases,
                prepaid_t(&client_id),
                as_of,
                &rules,
            ));
        })
        .await?;
    // In id order, with the clients who never bought (prospects) merged in: the figures do
    // not depend on the order the database sent them in.
    bought.sort_unstable_by_key(|s| s.client_id);
    let mut summaries: Vec<ClientSummary> = Vec::with_capacity(clients.len().max(bought.len()));
    let mut bought = bought.into_iter().peekable();
    for (id, _) in &clients {
        while let Some(summary) = bought.next_if(|s| s.client_id < *id) {
            summaries.push(summary);
        }
        summaries.push(match bought.next_if(|s| s.client_id == *id) {
            Some(summary) => summary,
            None => summarize_client(*id, &[], prepaid_t(id), as_of, &rules),
        });
    }
    summaries.extend(bought);
    let read_ms = started.elapsed().as_millis() as u64;
    let computing = Instant::now();
    let (fit, figures) = fit_and_finish(summaries, &rules);
    let rows = to_rows(figures, &units, as_of, rules.version);
    let compute_ms = computing.elapsed().as_millis() as u64;
    let writing = Instant::now();
    let saved = store
        .save_intel(&IntelWrite {
            as_of,
            computed_at: now,
            rule_version: rules.version,
            model: model_json(&fit),
            elapsed_ms: (read_ms + compute_ms) as i64,
            rows,
            current: true,
            unit_months,
        })
        .await?;
    Ok(RecomputeStats {
        as_of,
        clients: units.len() as u64,
        orders,
        read_ms,
        compute_ms,
        write_ms: writing.elapsed().as_millis() as u64,
        grade_changes: saved.grade_changes,
        fit,
        rule_version: rules.version,
    })
}

/// Recomputes the `weeks` weeks before `as_of` as history (weekly snapshots and grade
/// changes), oldest first, then `as_of` itself as the current figures: what a province that
/// had run the nightly job for half a year would hold. Reads the orders once.
pub async fn recompute_with_history(
    store: &Store,
    as_of: NaiveDate,
    weeks: u32,
    now: DateTime<Utc>,
) -> Result<RecomputeStats, StoreError> {
    let rules = rules_in_force(store).await?;
    let clients = store.intel_clients().await?;
    let mut orders: HashMap<Uuid, Vec<(NaiveDate, f64)>> = HashMap::new();
    store
        .for_each_client_orders(as_of, None, |client, purchases| {
            orders.insert(client, purchases.to_vec());
        })
        .await?;
    let units: HashMap<Uuid, Uuid> = clients.iter().copied().collect();
    for back in (1..=weeks).rev() {
        let day = as_of - TimeDelta::weeks(i64::from(back));
        let prepaid = store.prepaid_balances_kg(day).await?;
        let summaries: Vec<ClientSummary> = clients
            .iter()
            .map(|(id, _)| {
                let purchases = orders.get(id).map_or(&[][..], Vec::as_slice);
                let prepaid_t = prepaid.get(id).map_or(0.0, |kg| *kg as f64 / 1000.0);
                summarize_client(*id, purchases, prepaid_t, day, &rules)
            })
            .collect();
        let fit = fit_model(&summaries);
        let figures = finish(summaries, &rules, &fit.chosen);
        store
            .save_intel(&IntelWrite {
                as_of: day,
                computed_at: now,
                rule_version: rules.version,
                model: model_json(&fit),
                elapsed_ms: 0,
                rows: to_rows(figures, &units, day, rules.version),
                current: false,
                unit_months: Vec::new(),
            })
            .await?;
    }
    drop(orders);
    recompute(store, as_of, now).await
}
