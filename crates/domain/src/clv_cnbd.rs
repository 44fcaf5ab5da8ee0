//! P(alive) and expected purchases for clients who reorder on a cycle: the MBG/CNBD-k model
//! (Platzer & Reutterer 2016, "Ticking away the moments: timing regularity helps to better
//! predict customer activity", Marketing Science 35(5)), the choice between it and BG/NBD
//! ([`crate::clv`]), and the holdout evaluation that tells how well either predicts.
//!
//! # Why
//! BG/NBD assumes a client's purchases form a Poisson process: the gaps between purchases are
//! exponential, so a long silence says little. Fuel clients reorder when the tank runs low,
//! every 10 or 30 days, so a regular client that misses its cycle is a real warning. Erlang-k
//! gaps (the sum of k exponential "ticks") have a coefficient of variation of 1/√k: k = 1 is
//! the Poisson case, larger k is more regular.
//!
//! # The model
//! A client's first purchase is at time 0 and its repeat purchases at 0 < t₁ < … < tₓ ≤ T.
//! - While alive, its gaps τⱼ = tⱼ − tⱼ₋₁ are Erlang-k with rate λ:
//!   f(τ) = λᵏ τᵏ⁻¹ e^(−λτ) / (k−1)!, and the survival of a gap is
//!   S(y) = Σ_{i<k} (λy)ⁱ e^(−λy) / i!.
//! - Right after every purchase, the first one included (the "M" of MBG), it drops out for
//!   good with probability p.
//! - Across clients λ ~ gamma(shape r, rate α) and p ~ beta(a, b).
//!
//! Given (λ, p), the data have the likelihood
//! (1−p)ˣ Πⱼ f(τⱼ) · [p + (1−p) S(T − tₓ)]: it survived x dropout chances and made x purchases,
//! then after the last one it either dropped out, or stayed and its next gap has not ended.
//! Integrating λ and p out (the gamma and beta integrals are elementary) with n = r + kx,
//! u = (T − tₓ)/(α + T) and `litt` = Σ ln τⱼ:
//!
//! L = e^((k−1)·litt) / ((k−1)!)ˣ · Γ(n) αʳ / Γ(r) · B(a, b)⁻¹ ·
//! [ B(a+1, b+x) (α+tₓ)⁻ⁿ + B(a, b+x+1) (α+T)⁻ⁿ · Σ_{j<k} uʲ Γ(n+j) / (Γ(n) j!) ]
//!
//! The first bracketed term is "dropped out after the last purchase", the second "alive,
//! j ticks into the current gap"; so P(alive) is the second over the sum, in closed form for
//! every k. With k = 1 it is the MBG/NBD of Batislam, Denizel & Filiztekin (2007). The factor
//! in front of Γ(n) does not involve (r, α, a, b), but it does involve k, so it matters when k
//! is chosen by likelihood. The likelihood is the density of the purchase times themselves,
//! as BG/NBD's is; that is why the two models' likelihoods can be compared (see
//! [`compare_models`]).
//!
//! # Expected purchases in (T, T + t]
//! No closed form exists for k > 1, because an Erlang gap is not memoryless: what happens
//! next depends on how far into its current gap the client is. This module computes it
//! exactly (to rounding), without simulation, by the Poisson-tick picture of Erlang-k: a
//! purchase is every k-th tick of a Poisson(λ) process. Given the data and that the client is
//! alive, the posterior factorises:
//! - the ticks j ∈ {0, …, k−1} since the last purchase have weights ∝ uʲ Γ(n+j)/(Γ(n) j!)
//!   (the terms of the sum above), and given j, λ ~ gamma(n + j, α + T);
//! - p ~ beta(a, b + x + 1), independent of λ and j.
//!
//! Ticks in the next t weeks are then negative binomial N ~ NB(n + j, t/(α+T+t)); the i-th
//! purchase after T happens when j + N ≥ ik and the client survived i − 1 dropout chances,
//! whose probability is E[(1−p)^(i−1)] = Π_{l<i−1} (b'+l)/(a+b'+l), b' = b + x + 1. So
//!
//! E[Y(t)] = P(alive) · Σⱼ wⱼ · Σₘ NB(m; n+j) · G(⌊(m + j)/k⌋),  G(M) = Σ_{i≤M} E[(1−p)^(i−1)].
//!
//! The sum over m runs from 0 past the mode of the negative binomial until its terms fall
//! below 10⁻¹⁷ of the mass so far (about mean + 8 standard deviations), with the pmf built by
//! its ratio recursion (rescaled so nothing overflows) and normalised by its own sum. For
//! k = 1 it agrees with the MBG/NBD closed form (a ₂F₁) to 10⁻¹⁰; for k > 1 it agrees with a
//! simulation of the model (see the tests). A client takes a few microseconds.
//!
//! # Fitting and speed
//! Maximum likelihood for each k in 1..=[`MAX_K`], with the Nelder–Mead of [`crate::clv`] over
//! the logarithms of (r, α, a, b), restarted from its own optimum until it stops improving;
//! k = 2.. start from the previous k's optimum. k is the one with the highest likelihood.
//! `litt` only enters the parameter-free factor, so for a given k the fit depends on
//! (x, tₓ, T) alone: clients with the same triple are grouped, and every log-gamma or logarithm
//! is computed once per distinct frequency or distinct time rather than once per client.
//! Provinces with more than [`FIT_SAMPLE_LIMIT`] clients are fitted on a systematic sample of
//! that many, taken after sorting by (frequency, age, recency) — a sample stratified on the
//! quantities the likelihood depends on; the reported log-likelihoods are always those of all
//! clients. BG/NBD is fitted the same way (its published CDNOW parameters are reproduced).
//!
//! # Which model in production
//! [`fit_best`]: MBG/CNBD-k, with k chosen by likelihood, when its AIC (5 parameters: r, α, a, b
//! and k) is below BG/NBD's (4 parameters); otherwise BG/NBD. The models are not nested
//! (BG/NBD has no dropout at the first purchase; MBG/CNBD-1 has), but both likelihoods are
//! densities of the same purchase times, so AIC compares them. The holdout evaluation
//! ([`evaluate_holdout`], binary `ygj-model-eval`) is how that rule was checked on the demo
//! province.
//!
//! Time unit throughout: weeks; a purchase is a distinct purchase day.

use crate::clv::{self, ln_gamma, nelder_mead, BgNbdParams, CustomerSummary, FitResult};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The most regular model tried: k runs over 1..=MAX_K.
pub const MAX_K: u32 = 6;

/// Above this many clients, fits use a stratified sample of this many (four parameters are
/// pinned down long before; their standard errors shrink as 1/√n). The reported
/// log-likelihoods are still those of every client.
pub const FIT_SAMPLE_LIMIT: usize = 20_000;

/// One client's calibration history: the BG/NBD summary plus the timing regularity
/// MBG/CNBD-k needs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct TimedSummary {
    /// Repeat purchases (distinct purchase days after the first).
    pub frequency: f64,
    /// Time from the first to the last purchase.
    pub recency: f64,
    /// Time from the first purchase to the end of the calibration period.
    pub t: f64,
    /// Sum of the logarithms of the gaps between consecutive purchases (0 without repeats).
    pub litt: f64,
}

impl TimedSummary {
    /// The summary of purchases at `times` (ascending; equal times count once) as seen at
    /// `end`; times after `end` are ignored. `None` when nothing was bought by `end`.
    pub fn from_purchase_times(times: &[f64], end: f64) -> Option<Self> {
        let first = *times.first()?;
        if first > end || !first.is_finite() {
            return None;
        }
        let (mut last, mut frequency, mut litt) = (first, 0.0, 0.0);
        for &time in &times[1..] {
            if time > end {
                break;
            }
            let gap = time - last;
            if gap > 0.0 {
                frequency += 1.0;
                litt += gap.ln();
                last = time;
            }
        }
        Some(Self {
            frequency,
            recency: last - first,
            t: end - first,
            litt,
        })
    }

    /// The summary in weeks of purchases on `days` (any order, repeats allowed) as seen at the
    /// end of `end`. `None` when nothing was bought by then.
    pub fn from_purchase_days(days: &[NaiveDate], end: NaiveDate) -> Option<Self> {
        let mut upto: Vec<NaiveDate> = days.iter().copied().filter(|d| *d <= end).collect();
        upto.sort_unstable();
        upto.dedup();
        let first = *upto.first()?;
        let weeks = |day: NaiveDate| (day - first).num_days() as f64 / 7.0;
        let times: Vec<f64> = upto.iter().map(|&day| weeks(day)).collect();
        Self::from_purchase_times(&times, weeks(end))
    }

    /// The BG/NBD view of the same history (without `litt`).
    pub fn summary(&self) -> CustomerSummary {
        CustomerSummary {
            frequency: self.frequency,
            recency: self.recency,
            t: self.t,
        }
    }
}

impl From<TimedSummary> for CustomerSummary {
    fn from(summary: TimedSummary) -> Self {
        summary.summary()
    }
}

/// MBG/CNBD-k parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MbgCnbdParams {
    /// Erlang order of the gaps between purchases (1 = Poisson purchases, i.e. MBG/NBD).
    pub k: u32,
    /// Shape of the gamma distribution of tick rates λ (a purchase is every k-th tick).
    pub r: f64,
    /// Rate of the gamma distribution of tick rates.
    pub alpha: f64,
    /// First shape of the beta distribution of dropout probabilities.
    pub a: f64,
    /// Second shape of the beta distribution of dropout probabilities.
    pub b: f64,
}

impl MbgCnbdParams {
    /// The Erlang order as a float, at least 1.
    fn order(&self) -> f64 {
        f64::from(self.k.max(1))
    }
}

/// Σ_{j<k} uʲ Γ(n+j)/(Γ(n) j!): the posterior weight of being alive, summed over the ticks
/// already made in the current gap. Each term is the previous times u (n+j−1)/j.
fn phase_sum(n: f64, u: f64, k: u32) -> f64 {
    let (mut term, mut sum) = (1.0, 1.0);
    for j in 1..k {
        let j = f64::from(j);
        term *= u * (n + j - 1.0) / j;
        sum += term;
    }
    sum
}

/// The logarithms of the "dropped out" and "alive" terms of one client's likelihood, without
/// the factors they share.
fn dropout_and_alive_terms(p: &MbgCnbdParams, c: &TimedSummary) -> (f64, f64) {
    let n = p.r + p.order() * c.frequency;
    let age = p.alpha + c.t;
    let dropped = p.a.ln() - n * (p.alpha + c.recency).ln();
    let u = (c.t - c.recency) / age;
    let alive = (p.b + c.frequency).ln() - n * age.ln() + phase_sum(n, u, p.k.max(1)).ln();
    (dropped, alive)
}

/// One client's MBG/CNBD-k log-likelihood (the module documentation derives it).
pub fn log_likelihood_one(p: &MbgCnbdParams, c: &TimedSummary) -> f64 {
    let k = p.order();
    let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
    let x = c.frequency;
    let n = r + k * x;
    let timing = (k - 1.0) * c.litt - x * ln_gamma(k);
    let common = ln_gamma(n) - ln_gamma(r) + r * alpha.ln() + ln_gamma(b + x) - ln_gamma(b)
        + ln_gamma(a + b)
        - ln_gamma(a + b + x + 1.0);
    let (dropped, alive) = dropout_and_alive_terms(p, c);
    timing + common + log_add_exp(dropped, alive)
}

/// The total MBG/CNBD-k log-likelihood of `customers`.
pub fn log_likelihood(p: &MbgCnbdParams, customers: &[TimedSummary]) -> f64 {
    Prepared::new(customers).mbg_cnbd(p)
}

/// The probability that a client with this history has not dropped out (closed form for
/// every k). Unlike BG/NBD's, it is below 1 even without repeat purchases: the model lets a
/// client drop out right after its first purchase.
pub fn p_alive(p: &MbgCnbdParams, c: &TimedSummary) -> f64 {
    let (dropped, alive) = dropout_and_alive_terms(p, c);
    1.0 / (1.0 + (dropped - alive).exp())
}

/// Expected purchases in (T, T + `t`] of a client with this history: the exact series of the
/// module documentation (for k = 1 it equals the MBG/NBD closed form).
pub fn expected_purchases(p: &MbgCnbdParams, c: &TimedSummary, t: f64) -> f64 {
    if t.is_nan() || t <= 0.0 {
        return 0.0;
    }
    let k = p.k.max(1);
    let n = p.r + p.order() * c.frequency;
    let age = p.alpha + c.t;
    let u = (c.t - c.recency) / age;
    // Posterior weights of the ticks already made in the current gap.
    let mut weights = Vec::with_capacity(k as usize);
    let mut term = 1.0;
    weights.push(term);
    for j in 1..k {
        let j = f64::from(j);
        term *= u * (n + j - 1.0) / j;
        weights.push(term);
    }
    let weight_sum: f64 = weights.iter().sum();
    let z = t / (age + t);
    let b_alive = p.b + c.frequency + 1.0;
    let mut expected = 0.0;
    for (j, weight) in (0..k).zip(&weights) {
        let shape = n + f64::from(j);
        expected += weight / weight_sum * purchases_given_ticks(shape, z, j, k, p.a, b_alive);
    }
    p_alive(p, c) * expected
}

/// E[G(⌊(j + N)/k⌋)] for N ~ NB(shape, z) (P(N = m) ∝ Γ(shape+m)/m! zᵐ): the expected
/// purchases of an alive client `j` ticks into its gap, with dropout p ~ beta(a, b).
fn purchases_given_ticks(shape: f64, z: f64, j: u32, k: u32, a: f64, b: f64) -> f64 {
    let mean = shape * z / (1.0 - z);
    let spread = (mean / (1.0 - z)).sqrt();
    let mode = ((shape - 1.0) * z / (1.0 - z)).max(0.0);
    // A safety net only: the tail test below ends the loop near mean + 8 spreads.
    let last = (mean + 60.0 * spread + 200.0).min(1e8) as u64;
    let (mut pmf, mut mass, mut sum) = (1.0_f64, 0.0, 0.0);
    // Purchases reached so far, G(reached), and E[(1−p)^reached] (the next purchase's weight).
    let (mut reached, mut cumulative, mut next) = (0_u64, 0.0, 1.0);
    let (j, k) = (u64::from(j), u64::from(k));
    for m in 0..=last {
        let purchases = (m + j) / k;
        while reached < purchases {
            cumulative += next;
            let i = reached as f64;
            next *= (b + i) / (a + b + i);
            reached += 1;
        }
        mass += pmf;
        sum += pmf * cumulative;
        let m = m as f64;
        if m > mode && pmf < 1e-17 * mass {
            break;
        }
        pmf *= (shape + m) * z / (m + 1.0);
        if pmf > 1e200 {
            pmf *= 1e-200;
            mass *= 1e-200;
            sum *= 1e-200;
        }
    }
    if mass > 0.0 {
        sum / mass
    } else {
        0.0
    }
}

/// ln(e^p + e^q) without overflow.
fn log_add_exp(p: f64, q: f64) -> f64 {
    let m = p.max(q);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((p - m).exp() + (q - m).exp()).ln()
}

/// Histories arranged for fast likelihoods: grouped by (frequency, recency, age), with the
/// distinct frequencies and times listed once each so their log-gammas and logarithms are
/// computed once per evaluation.
struct Prepared {
    frequencies: Vec<f64>,
    /// Every distinct recency or age.
    times: Vec<f64>,
    rows: Vec<Row>,
    /// Σ litt and Σ frequency over all customers: the k-dependent, parameter-free factor.
    litt_total: f64,
    frequency_total: f64,
}

#[derive(Debug, Clone, Copy)]
struct Row {
    frequency: u32,
    recency: u32,
    age: u32,
    /// Age − recency.
    gap: f64,
    /// Customers with this history.
    weight: f64,
}

impl Prepared {
    fn new(customers: &[TimedSummary]) -> Self {
        let mut keys: Vec<[f64; 3]> = customers
            .iter()
            .map(|c| [c.frequency, c.recency, c.t])
            .collect();
        let order = |p: &[f64; 3], q: &[f64; 3]| {
            p[0].total_cmp(&q[0])
                .then(p[1].total_cmp(&q[1]))
                .then(p[2].total_cmp(&q[2]))
        };
        keys.sort_unstable_by(order);
        let distinct = |mut values: Vec<f64>| {
            values.sort_unstable_by(f64::total_cmp);
            values.dedup_by(|p, q| p.total_cmp(q).is_eq());
            values
        };
        let frequencies = distinct(keys.iter().map(|c| c[0]).collect());
        let times = distinct(keys.iter().flat_map(|c| [c[1], c[2]]).collect());
        let index = |values: &[f64], value: f64| {
            values.partition_point(|v| v.total_cmp(&value).is_lt()) as u32
        };
        let mut rows: Vec<Row> = Vec::new();
        let mut previous: Option<[f64; 3]> = None;
        for key in keys {
            match rows.last_mut() {
                Some(row) if previous.is_some_and(|p| order(&p, &key).is_eq()) => {
                    row.weight += 1.0;
                }
                _ => rows.push(Row {
                    frequency: index(&frequencies, key[0]),
                    recency: index(&times, key[1]),
                    age: index(&times, key[2]),
                    gap: key[2] - key[1],
                    weight: 1.0,
                }),
            }
            previous = Some(key);
        }
        Self {
            frequencies,
            times,
            rows,
            litt_total: customers.iter().map(|c| c.litt).sum(),
            frequency_total: customers.iter().map(|c| c.frequency).sum(),
        }
    }

    /// Σ frequency / Σ age: the repeat-purchase rate a starting point is built from.
    fn mean_rate(&self) -> f64 {
        let (mut purchases, mut exposure) = (0.0, 0.0);
        for row in &self.rows {
            purchases += row.weight * self.frequencies[row.frequency as usize];
            exposure += row.weight * self.times[row.age as usize];
        }
        if purchases > 0.0 && exposure > 0.0 {
            purchases / exposure
        } else {
            1.0
        }
    }

    /// The total MBG/CNBD-k log-likelihood (same sum as [`log_likelihood_one`], reordered).
    fn mbg_cnbd(&self, p: &MbgCnbdParams) -> f64 {
        let k = p.order();
        let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
        let constant = -ln_gamma(r) + r * alpha.ln() - ln_gamma(b) + ln_gamma(a + b);
        // Per frequency: (shared terms, n = r + kx, b + x).
        let by_frequency: Vec<(f64, f64, f64)> = self
            .frequencies
            .iter()
            .map(|&x| {
                let n = r + k * x;
                let common = constant + ln_gamma(n) + ln_gamma(b + x) - ln_gamma(a + b + x + 1.0);
                (common, n, b + x)
            })
            .collect();
        let ln_times: Vec<f64> = self.times.iter().map(|t| (alpha + t).ln()).collect();
        let inverse_ages: Vec<f64> = self.times.iter().map(|t| 1.0 / (alpha + t)).collect();
        let mut total = 0.0;
        for row in &self.rows {
            let (common, n, b_x) = by_frequency[row.frequency as usize];
            let ln_recency = ln_times[row.recency as usize];
            let ln_age = ln_times[row.age as usize];
            let u = row.gap * inverse_ages[row.age as usize];
            let alive = b_x * phase_sum(n, u, p.k.max(1)) * (-n * (ln_age - ln_recency)).exp();
            total += row.weight * (common - n * ln_recency + (a + alive).ln());
        }
        total + (k - 1.0) * self.litt_total - self.frequency_total * ln_gamma(k)
    }

    /// The total BG/NBD log-likelihood (same sum as [`clv::log_likelihood`], reordered).
    fn bg_nbd(&self, p: &BgNbdParams) -> f64 {
        let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
        let constant = -ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) - ln_gamma(b);
        // Per frequency: (shared terms, r + x, a / (b + x − 1) or 0 without repeats).
        let by_frequency: Vec<(f64, f64, f64)> = self
            .frequencies
            .iter()
            .map(|&x| {
                let common = constant + ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x);
                let dropout = if x > 0.0 { a / (b + x - 1.0) } else { 0.0 };
                (common, r + x, dropout)
            })
            .collect();
        let ln_times: Vec<f64> = self.times.iter().map(|t| (alpha + t).ln()).collect();
        let mut total = 0.0;
        for row in &self.rows {
            let (common, n, dropout) = by_frequency[row.frequency as usize];
            let ln_recency = ln_times[row.recency as usize];
            let ln_age = ln_times[row.age as usize];
            // ln[(α+T)^−n + d (α+tₓ)^−n], factored so the exponent is never positive.
            let one = common - n * ln_recency + (dropout + (-n * (ln_age - ln_recency)).exp()).ln();
            total += row.weight * one;
        }
        total
    }
}

/// Minimises `objective` with Nelder–Mead, restarted from its own optimum until it stops
/// improving (a plain simplex can stall on these ridges).
fn minimise(objective: impl Fn(&[f64; 4]) -> f64, start: [f64; 4]) -> ([f64; 4], f64, u32) {
    let finite = |v: &[f64; 4]| {
        let value = objective(v);
        if value.is_finite() {
            value
        } else {
            f64::MAX
        }
    };
    let mut point = start;
    let mut value = finite(&start);
    let mut iterations = 0;
    for _ in 0..8 {
        let (next, next_value, used) = nelder_mead(&finite, point, 4_000);
        iterations += used;
        let improvement = value - next_value;
        if next_value <= value {
            point = next;
            value = next_value;
        }
        if improvement.abs() < 1e-9 * (1.0 + value.abs()) {
            break;
        }
    }
    (point, value, iterations)
}

/// The customers a fit uses: all of them, or beyond [`FIT_SAMPLE_LIMIT`] a systematic sample
/// after sorting by (frequency, age, recency), i.e. stratified on what the likelihood uses.
/// Deterministic: the same input gives the same sample.
fn fit_sample(customers: &[TimedSummary]) -> Cow<'_, [TimedSummary]> {
    if customers.len() <= FIT_SAMPLE_LIMIT {
        return Cow::Borrowed(customers);
    }
    let mut sorted = customers.to_vec();
    sorted.sort_unstable_by(|p, q| {
        p.frequency
            .total_cmp(&q.frequency)
            .then(p.t.total_cmp(&q.t))
            .then(p.recency.total_cmp(&q.recency))
            .then(p.litt.total_cmp(&q.litt))
    });
    let step = sorted.len() as f64 / FIT_SAMPLE_LIMIT as f64;
    Cow::Owned(
        (0..FIT_SAMPLE_LIMIT)
            .filter_map(|i| sorted.get(((i as f64 + 0.5) * step) as usize).copied())
            .collect(),
    )
}

/// Bound of the optimiser's log-parameters: every parameter stays within e^±12 (about
/// 6·10⁻⁶ to 1.6·10⁵).
///
/// When a province shows no heterogeneity in dropout (or in rate), the likelihood keeps rising
/// ever more slowly as a and b (or r and α) grow together towards a point mass; unbounded, the
/// simplex crawls along that ridge for thousands of evaluations. Beyond the bound the
/// likelihood has long stopped changing (a beta(a, b) with a + b = 10⁵ is a point mass for
/// every prediction here), so the box costs nothing in fit and makes the search finish.
const LOG_PARAMETER_LIMIT: f64 = 12.0;

fn parameter(v: f64) -> f64 {
    v.clamp(-LOG_PARAMETER_LIMIT, LOG_PARAMETER_LIMIT).exp()
}

fn bg_nbd_of(v: &[f64; 4]) -> BgNbdParams {
    BgNbdParams {
        r: parameter(v[0]),
        alpha: parameter(v[1]),
        a: parameter(v[2]),
        b: parameter(v[3]),
    }
}

fn mbg_cnbd_of(k: u32, v: &[f64; 4]) -> MbgCnbdParams {
    MbgCnbdParams {
        k,
        r: parameter(v[0]),
        alpha: parameter(v[1]),
        a: parameter(v[2]),
        b: parameter(v[3]),
    }
}

/// A start in log-space: r = 1, mean tick rate = k × the pooled repeat rate, a = 1, b = 3.
fn start_for(k: u32, rate: f64) -> [f64; 4] {
    [0.0, -(f64::from(k) * rate).ln(), 0.0, 3f64.ln()]
}

/// Fits BG/NBD by maximum likelihood: the model of [`clv::fit_bg_nbd`] with the fast grouped
/// likelihood and the sampling of this module. The log-likelihood is that of all customers;
/// with none, parameters are all 1 and the log-likelihood 0.
pub fn fit_bg_nbd(customers: &[TimedSummary]) -> FitResult {
    if customers.is_empty() {
        return FitResult {
            params: bg_nbd_of(&[0.0; 4]),
            log_likelihood: 0.0,
            iterations: 0,
        };
    }
    let sample = fit_sample(customers);
    let prepared = Prepared::new(&sample);
    let start = start_for(1, prepared.mean_rate());
    let (point, value, iterations) = minimise(|v| -prepared.bg_nbd(&bg_nbd_of(v)), start);
    let params = bg_nbd_of(&point);
    let log_likelihood = if sample.len() == customers.len() {
        -value
    } else {
        Prepared::new(customers).bg_nbd(&params)
    };
    FitResult {
        params,
        log_likelihood,
        iterations,
    }
}

/// A maximum-likelihood fit of MBG/CNBD-k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MbgCnbdFit {
    /// The parameters (with the chosen k).
    pub params: MbgCnbdParams,
    /// The log-likelihood of all customers at them.
    pub log_likelihood: f64,
    /// Optimiser iterations used, over every k tried.
    pub iterations: u32,
    /// The best log-likelihood of each k tried, in order.
    pub log_likelihood_by_k: Vec<(u32, f64)>,
    /// Customers the parameters were estimated on (≤ [`FIT_SAMPLE_LIMIT`]).
    pub fitted_customers: usize,
}

/// Fits MBG/CNBD with a given Erlang order `k` (≥ 1; 0 is read as 1).
pub fn fit_mbg_cnbd_k(customers: &[TimedSummary], k: u32) -> MbgCnbdFit {
    fit_orders(customers, &[k.max(1)])
}

/// Fits MBG/CNBD-k for every k in 1..=[`MAX_K`] and keeps the k with the highest likelihood.
pub fn fit_mbg_cnbd(customers: &[TimedSummary]) -> MbgCnbdFit {
    let orders: Vec<u32> = (1..=MAX_K).collect();
    fit_orders(customers, &orders)
}

/// Fits each order in turn, each starting from the previous optimum with α scaled so the mean
/// purchase rate r/(kα) is kept; returns the best.
fn fit_orders(customers: &[TimedSummary], orders: &[u32]) -> MbgCnbdFit {
    let first_k = orders.first().copied().unwrap_or(1);
    if customers.is_empty() {
        return MbgCnbdFit {
            params: mbg_cnbd_of(first_k, &[0.0; 4]),
            log_likelihood: 0.0,
            iterations: 0,
            log_likelihood_by_k: Vec::new(),
            fitted_customers: 0,
        };
    }
    let sample = fit_sample(customers);
    let prepared = Prepared::new(&sample);
    let full = (sample.len() < customers.len()).then(|| Prepared::new(customers));
    let rate = prepared.mean_rate();
    let mut best: Option<(MbgCnbdParams, f64)> = None;
    let mut by_k = Vec::with_capacity(orders.len());
    let mut iterations = 0;
    let mut previous: Option<(u32, [f64; 4])> = None;
    for &k in orders {
        let start = match previous {
            Some((previous_k, mut point)) => {
                point[1] += (f64::from(previous_k) / f64::from(k)).ln();
                point
            }
            None => start_for(k, rate),
        };
        let (point, value, used) = minimise(|v| -prepared.mbg_cnbd(&mbg_cnbd_of(k, v)), start);
        iterations += used;
        previous = Some((k, point));
        let params = mbg_cnbd_of(k, &point);
        let log_likelihood = match &full {
            Some(full) => full.mbg_cnbd(&params),
            None => -value,
        };
        by_k.push((k, log_likelihood));
        if best.is_none_or(|(_, ll)| log_likelihood > ll) {
            best = Some((params, log_likelihood));
        }
    }
    let (params, log_likelihood) = best.unwrap_or((mbg_cnbd_of(first_k, &[0.0; 4]), 0.0));
    MbgCnbdFit {
        params,
        log_likelihood,
        iterations,
        log_likelihood_by_k: by_k,
        fitted_customers: sample.len(),
    }
}

/// The purchase model the engine uses for P(alive) and expected purchases.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", rename_all = "snake_case")]
pub enum ChurnModel {
    /// BG/NBD: Poisson purchases, dropout after each repeat purchase.
    BgNbd(BgNbdParams),
    /// MBG/CNBD-k: Erlang-k gaps, dropout after every purchase including the first.
    MbgCnbd(MbgCnbdParams),
}

impl ChurnModel {
    /// The probability that a client with this history is still buying.
    pub fn p_alive(&self, c: &TimedSummary) -> f64 {
        match self {
            ChurnModel::BgNbd(p) => clv::p_alive(p, &c.summary()),
            ChurnModel::MbgCnbd(p) => p_alive(p, c),
        }
    }

    /// Expected purchases in the next `t` weeks of a client with this history.
    pub fn expected_purchases(&self, c: &TimedSummary, t: f64) -> f64 {
        match self {
            ChurnModel::BgNbd(p) => clv::expected_purchases(p, &c.summary(), t),
            ChurnModel::MbgCnbd(p) => expected_purchases(p, c, t),
        }
    }

    /// The total log-likelihood of `customers` under this model.
    pub fn log_likelihood(&self, customers: &[TimedSummary]) -> f64 {
        match self {
            ChurnModel::BgNbd(p) => Prepared::new(customers).bg_nbd(p),
            ChurnModel::MbgCnbd(p) => Prepared::new(customers).mbg_cnbd(p),
        }
    }

    /// Free parameters, for AIC: 4 for BG/NBD; 5 for MBG/CNBD-k (k was chosen too).
    pub fn parameter_count(&self) -> u32 {
        match self {
            ChurnModel::BgNbd(_) => 4,
            ChurnModel::MbgCnbd(_) => 5,
        }
    }

    /// A display name: `BG/NBD` or `MBG/CNBD-3`.
    pub fn name(&self) -> String {
        match self {
            ChurnModel::BgNbd(_) => "BG/NBD".to_owned(),
            ChurnModel::MbgCnbd(p) => format!("MBG/CNBD-{}", p.k),
        }
    }
}

/// Akaike's information criterion, 2·parameters − 2·log-likelihood (lower is better).
pub fn aic(log_likelihood: f64, parameters: u32) -> f64 {
    2.0 * f64::from(parameters) - 2.0 * log_likelihood
}

/// Both models fitted to the same histories, and the one the production rule picks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelComparison {
    /// The BG/NBD fit.
    pub bg_nbd: FitResult,
    /// The MBG/CNBD-k fit, k chosen by likelihood.
    pub mbg_cnbd: MbgCnbdFit,
    /// AIC of the BG/NBD fit.
    pub bg_nbd_aic: f64,
    /// AIC of the MBG/CNBD-k fit.
    pub mbg_cnbd_aic: f64,
    /// The model with the lower AIC (BG/NBD on a tie).
    pub chosen: ChurnModel,
    /// Its log-likelihood.
    pub chosen_log_likelihood: f64,
}

/// Fits BG/NBD and MBG/CNBD-k (k in 1..=[`MAX_K`] by likelihood) and picks the lower AIC.
pub fn compare_models(customers: &[TimedSummary]) -> ModelComparison {
    compare_fits(fit_bg_nbd(customers), fit_mbg_cnbd(customers))
}

/// [`compare_models`] for fits already made (a caller may make them at the same time).
pub fn compare_fits(bg_nbd: FitResult, mbg_cnbd: MbgCnbdFit) -> ModelComparison {
    let bg_nbd_aic = aic(bg_nbd.log_likelihood, 4);
    let mbg_cnbd_aic = aic(mbg_cnbd.log_likelihood, 5);
    let (chosen, chosen_log_likelihood) = if mbg_cnbd_aic < bg_nbd_aic {
        (
            ChurnModel::MbgCnbd(mbg_cnbd.params),
            mbg_cnbd.log_likelihood,
        )
    } else {
        (ChurnModel::BgNbd(bg_nbd.params), bg_nbd.log_likelihood)
    };
    ModelComparison {
        bg_nbd,
        mbg_cnbd,
        bg_nbd_aic,
        mbg_cnbd_aic,
        chosen,
        chosen_log_likelihood,
    }
}

/// The production choice: the model [`compare_models`] picks (MBG/CNBD-k with k by
/// likelihood when its AIC beats BG/NBD's, else BG/NBD) and its log-likelihood.
pub fn fit_best(customers: &[TimedSummary]) -> (ChurnModel, f64) {
    let comparison = compare_models(customers);
    (comparison.chosen, comparison.chosen_log_likelihood)
}

// ---------------------------------------------------------------------------------------------
// Holdout evaluation
// ---------------------------------------------------------------------------------------------

/// Upper bounds (inclusive) of the calibration-frequency buckets of [`PredictionErrors`];
/// the last bucket is open.
const BUCKET_UPPER_BOUNDS: [u32; 6] = [0, 4, 9, 19, 39, 79];

/// How predictions fared for the clients with a given number of calibration repeat purchases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FrequencyBucket {
    /// Lowest calibration frequency in the bucket.
    pub low: u32,
    /// Highest calibration frequency in the bucket (`None`: open-ended).
    pub high: Option<u32>,
    /// Clients in the bucket.
    pub clients: usize,
    /// Their mean actual holdout purchases.
    pub actual_mean: f64,
    /// Their mean predicted holdout purchases.
    pub predicted_mean: f64,
    /// Their mean absolute error.
    pub mean_absolute_error: f64,
}

impl FrequencyBucket {
    /// `0`, `1–4`, …, `80+`.
    pub fn label(&self) -> String {
        match self.high {
            Some(high) if high == self.low => format!("{high}"),
            Some(high) => format!("{}–{high}", self.low),
            None => format!("{}+", self.low),
        }
    }
}

/// How well P(alive) separated the clients that bought in the holdout from those that did not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AliveCalibration {
    /// Mean P(alive) at the end of calibration.
    pub mean_p_alive: f64,
    /// Share of clients that bought at least once in the holdout.
    pub share_bought: f64,
    /// Clients with P(alive) < 0.5.
    pub flagged: usize,
    /// Of those, the ones that bought nothing in the holdout.
    pub flagged_silent: usize,
    /// All clients that bought nothing in the holdout.
    pub silent: usize,
}

impl AliveCalibration {
    /// Share of the flagged (P(alive) < 0.5) that bought nothing: how often the flag is right.
    pub fn flagged_silent_share(&self) -> f64 {
        ratio(self.flagged_silent as f64, self.flagged as f64)
    }

    /// Share of the silent clients that were flagged: how many of the lost the flag caught.
    pub fn silent_flagged_share(&self) -> f64 {
        ratio(self.flagged_silent as f64, self.silent as f64)
    }
}

fn ratio(numerator: f64, denominator: f64) -> f64 {
    if denominator > 0.0 {
        numerator / denominator
    } else {
        0.0
    }
}

/// One predictor's errors on the holdout.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PredictionErrors {
    /// Mean over clients of |predicted − actual| purchases.
    pub mean_absolute_error: f64,
    /// Root mean squared error per client.
    pub root_mean_squared_error: f64,
    /// Σ predicted purchases.
    pub total_predicted: f64,
    /// Σ actual purchases.
    pub total_actual: f64,
    /// (Σ predicted − Σ actual) / Σ actual × 100.
    pub aggregate_error_percent: f64,
    /// Pearson correlation of predicted and actual per client.
    pub correlation: f64,
    /// The errors by calibration frequency.
    pub buckets: Vec<FrequencyBucket>,
    /// P(alive) calibration (`None` for a predictor without P(alive)).
    pub alive: Option<AliveCalibration>,
}

impl PredictionErrors {
    /// The errors of `predicted` against `actual` (same clients, same order).
    fn new(
        summaries: &[TimedSummary],
        predicted: &[f64],
        actual: &[f64],
        p_alive: Option<&[f64]>,
    ) -> Self {
        let n = actual.len().max(1) as f64;
        let pairs = || predicted.iter().zip(actual);
        let mean_absolute_error = pairs().map(|(p, a)| (p - a).abs()).sum::<f64>() / n;
        let root_mean_squared_error =
            (pairs().map(|(p, a)| (p - a).powi(2)).sum::<f64>() / n).sqrt();
        let total_predicted: f64 = predicted.iter().sum();
        let total_actual: f64 = actual.iter().sum();
        let aggregate_error_percent = 100.0 * ratio(total_predicted - total_actual, total_actual);
        let (mean_p, mean_a) = (total_predicted / n, total_actual / n);
        let (mut covariance, mut variance_p, mut variance_a) = (0.0, 0.0, 0.0);
        for (p, a) in pairs() {
            covariance += (p - mean_p) * (a - mean_a);
            variance_p += (p - mean_p).powi(2);
            variance_a += (a - mean_a).powi(2);
        }
        let correlation = ratio(covariance, (variance_p * variance_a).sqrt());

        let mut lows = vec![0];
        lows.extend(BUCKET_UPPER_BOUNDS.iter().map(|h| h + 1));
        let buckets = lows
            .iter()
            .enumerate()
            .map(|(i, &low)| {
                let high = BUCKET_UPPER_BOUNDS.get(i).copied();
                let inside = |x: f64| x >= f64::from(low) && high.is_none_or(|h| x <= f64::from(h));
                let (mut clients, mut sum_a, mut sum_p, mut sum_e) = (0, 0.0, 0.0, 0.0);
                for ((s, p), a) in summaries.iter().zip(predicted).zip(actual) {
                    if inside(s.frequency) {
                        clients += 1;
                        sum_a += a;
                        sum_p += p;
                        sum_e += (p - a).abs();
                    }
                }
                let c = clients as f64;
                FrequencyBucket {
                    low,
                    high,
                    clients,
                    actual_mean: ratio(sum_a, c),
                    predicted_mean: ratio(sum_p, c),
                    mean_absolute_error: ratio(sum_e, c),
                }
            })
            .collect();

        let alive = p_alive.map(|alive| {
            let bought = |a: &f64| *a > 0.0;
            let flagged = alive.iter().filter(|p| **p < 0.5).count();
            let flagged_silent = alive
                .iter()
                .zip(actual)
                .filter(|(p, a)| **p < 0.5 && !bought(a))
                .count();
            let silent = actual.iter().filter(|a| !bought(a)).count();
            AliveCalibration {
                mean_p_alive: alive.iter().sum::<f64>() / n,
                share_bought: actual.iter().filter(|a| bought(a)).count() as f64 / n,
                flagged,
                flagged_silent,
                silent,
            }
        });
        Self {
            mean_absolute_error,
            root_mean_squared_error,
            total_predicted,
            total_actual,
            aggregate_error_percent,
            correlation,
            buckets,
            alive,
        }
    }
}

/// Which model predicted the holdout better.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldoutWinner {
    /// BG/NBD had the lower mean absolute error.
    BgNbd,
    /// MBG/CNBD-k had the lower mean absolute error.
    MbgCnbd,
}

/// The calibration/holdout comparison of BG/NBD and MBG/CNBD-k.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HoldoutEvaluation {
    /// Clients with a purchase in the calibration period (the ones evaluated).
    pub clients: usize,
    /// Clients left out: no purchase by the end of calibration.
    pub skipped: usize,
    /// Length of the holdout, weeks.
    pub holdout_weeks: f64,
    /// Both fits on the calibration period, and the AIC choice.
    pub comparison: ModelComparison,
    /// BG/NBD's holdout errors.
    pub bg_nbd: PredictionErrors,
    /// MBG/CNBD-k's holdout errors.
    pub mbg_cnbd: PredictionErrors,
    /// A naive benchmark's: each client's calibration repeat rate x/T times the holdout length.
    pub naive: PredictionErrors,
    /// The model with the lower mean absolute error per client.
    pub winner: HoldoutWinner,
}

/// Splits each client's purchase days at `calibration_end`, fits both models on the
/// calibration summaries, predicts each client's purchases in (calibration_end, holdout_end]
/// and compares with what it bought. Clients without a purchase by `calibration_end` are left
/// out (the models only speak of clients they have seen).
pub fn evaluate_holdout<H: AsRef<[NaiveDate]>>(
    histories: &[H],
    calibration_end: NaiveDate,
    holdout_end: NaiveDate,
) -> HoldoutEvaluation {
    let holdout_weeks = (holdout_end - calibration_end).num_days().max(0) as f64 / 7.0;
    let mut summaries = Vec::with_capacity(histories.len());
    let mut actual = Vec::with_capacity(histories.len());
    for history in histories {
        let days = history.as_ref();
        let Some(summary) = TimedSummary::from_purchase_days(days, calibration_end) else {
            continue;
        };
        let mut holdout: Vec<NaiveDate> = days
            .iter()
            .copied()
            .filter(|d| *d > calibration_end && *d <= holdout_end)
            .collect();
        holdout.sort_unstable();
        holdout.dedup();
        summaries.push(summary);
        actual.push(holdout.len() as f64);
    }
    let comparison = compare_models(&summaries);
    let bg = ChurnModel::BgNbd(comparison.bg_nbd.params);
    let mbg = ChurnModel::MbgCnbd(comparison.mbg_cnbd.params);
    let predict = |model: &ChurnModel| -> (Vec<f64>, Vec<f64>) {
        summaries
            .iter()
            .map(|s| (model.expected_purchases(s, holdout_weeks), model.p_alive(s)))
            .unzip()
    };
    let (bg_predicted, bg_alive) = predict(&bg);
    let (mbg_predicted, mbg_alive) = predict(&mbg);
    let naive_predicted: Vec<f64> = summaries
        .iter()
        .map(|s| ratio(s.frequency, s.t) * holdout_weeks)
        .collect();
    let bg_nbd = PredictionErrors::new(&summaries, &bg_predicted, &actual, Some(&bg_alive));
    let mbg_cnbd = PredictionErrors::new(&summaries, &mbg_predicted, &actual, Some(&mbg_alive));
    let naive = PredictionErrors::new(&summaries, &naive_predicted, &actual, None);
    let winner = if mbg_cnbd.mean_absolute_error < bg_nbd.mean_absolute_error {
        HoldoutWinner::MbgCnbd
    } else {
        HoldoutWinner::BgNbd
    };
    HoldoutEvaluation {
        clients: summaries.len(),
        skipped: histories.len() - summaries.len(),
        holdout_weeks,
        comparison,
        bg_nbd,
        mbg_cnbd,
        naive,
        winner,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Marsaglia's xorshift64: a seeded stream for the simulations, no `rand` needed.
    struct XorShift(u64);

    impl XorShift {
        fn next(&mut self) -> u64 {
            let mut x = self.0;
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            self.0 = x;
            x
        }

        /// Uniform on (0, 1), never 0 or 1.
        fn uniform(&mut self) -> f64 {
            ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }

        fn exponential(&mut self, rate: f64) -> f64 {
            -self.uniform().ln() / rate
        }

        fn normal(&mut self) -> f64 {
            (-2.0 * self.uniform().ln()).sqrt() * (std::f64::consts::TAU * self.uniform()).cos()
        }

        /// Gamma(shape, rate) by Marsaglia & Tsang (2000).
        fn gamma(&mut self, shape: f64, rate: f64) -> f64 {
            if shape < 1.0 {
                let u = self.uniform();
                return self.gamma(shape + 1.0, rate) * u.powf(1.0 / shape);
            }
            let d = shape - 1.0 / 3.0;
            let c = 1.0 / (9.0 * d).sqrt();
            loop {
                let z = self.normal();
                let v = (1.0 + c * z).powi(3);
                if v <= 0.0 {
                    continue;
                }
                if self.uniform().ln() < 0.5 * z * z + d - d * v + d * v.ln() {
                    return d * v / rate;
                }
            }
        }

        fn beta(&mut self, a: f64, b: f64) -> f64 {
            let x = self.gamma(a, 1.0);
            let y = self.gamma(b, 1.0);
            x / (x + y)
        }
    }

    /// A simulated client: its calibration summary, whether it was truly alive at T, and its
    /// purchases in (T, T + horizon].
    struct Simulated {
        summary: TimedSummary,
        alive: bool,
        future: f64,
    }

    /// Simulates MBG/CNBD-k exactly as the model states it, with ages uniform in 26–78 weeks.
    fn simulate(p: &MbgCnbdParams, clients: usize, horizon: f64, seed: u64) -> Vec<Simulated> {
        let mut rng = XorShift(seed);
        (0..clients)
            .map(|_| {
                let rate = rng.gamma(p.r, p.alpha);
                let dropout = rng.beta(p.a, p.b);
                let age = 26.0 + 52.0 * rng.uniform();
                let gap = |rng: &mut XorShift| (0..p.k).map(|_| rng.exponential(rate)).sum::<f64>();
                let mut times = vec![0.0];
                let mut alive = rng.uniform() >= dropout;
                let mut clock = 0.0;
                while alive {
                    clock += gap(&mut rng);
                    if clock > age {
                        break;
                    }
                    times.push(clock);
                    alive = rng.uniform() >= dropout;
                }
                // An alive client's next purchase is pending at `clock` (> age).
                let was_alive = alive;
                let mut future = 0.0;
                while alive && clock <= age + horizon {
                    future += 1.0;
                    alive = rng.uniform() >= dropout;
                    clock += gap(&mut rng);
                }
                let summary =
                    TimedSummary::from_purchase_times(&times, age).unwrap_or(TimedSummary {
                        frequency: 0.0,
                        recency: 0.0,
                        t: age,
                        litt: 0.0,
                    });
                Simulated {
                    summary,
                    alive: was_alive,
                    future,
                }
            })
            .collect()
    }

    const TRUE_K3: MbgCnbdParams = MbgCnbdParams {
        k: 3,
        r: 3.0,
        alpha: 3.0,
        a: 0.8,
        b: 8.0,
    };

    fn summary(frequency: f64, recency: f64, t: f64, litt: f64) -> TimedSummary {
        TimedSummary {
            frequency,
            recency,
            t,
            litt,
        }
    }

    fn examples() -> Vec<TimedSummary> {
        vec![
            summary(0.0, 0.0, 30.0, 0.0),
            summary(1.0, 4.0, 30.0, 4f64.ln()),
            summary(5.0, 20.0, 40.0, 5.0 * 4f64.ln()),
            summary(12.0, 50.0, 52.0, 12.0 * (50f64 / 12.0).ln() - 0.3),
            summary(30.0, 70.0, 78.0, 30.0 * (70f64 / 30.0).ln() - 0.8),
            summary(3.0, 2.5, 60.0, 3.0 * (2.5f64 / 3.0).ln()),
        ]
    }

    /// MBG/NBD as published (Batislam, Denizel & Filiztekin 2007), written out independently.
    fn mbg_nbd_log_likelihood(p: &MbgCnbdParams, c: &TimedSummary) -> f64 {
        let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
        let (x, tx, t) = (c.frequency, c.recency, c.t);
        let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
        let a2 = ln_gamma(a + b) + ln_gamma(b + x + 1.0) - ln_gamma(b) - ln_gamma(a + b + x + 1.0);
        let a3 = -(r + x) * (alpha + t).ln();
        let a4 = a.ln() - (b + x).ln() + (r + x) * ((alpha + t).ln() - (alpha + tx).ln());
        a1 + a2 + a3 + (a4.exp() + 1.0).ln()
    }

    #[test]
    fn with_k_1_the_likelihood_is_the_published_mbg_nbd() {
        for p in [
            MbgCnbdParams {
                k: 1,
                r: 0.243,
                alpha: 4.414,
                a: 0.793,
                b: 2.426,
            },
            MbgCnbdParams {
                k: 1,
                r: 2.0,
                alpha: 9.0,
                a: 1.7,
                b: 15.0,
            },
        ] {
            for c in examples() {
                let ours = log_likelihood_one(&p, &c);
                let theirs = mbg_nbd_log_likelihood(&p, &c);
                assert!(
                    (ours - theirs).abs() < 1e-10 * (1.0 + theirs.abs()),
                    "{c:?}: {ours} vs {theirs}"
                );
            }
        }
    }

    /// Composite Simpson's rule on [low, high] with `intervals` (even) pieces.
    fn simpson(f: impl Fn(f64) -> f64, low: f64, high: f64, intervals: usize) -> f64 {
        let h = (high - low) / intervals as f64;
        let mut sum = f(low) + f(high);
        for i in 1..intervals {
            let weight = if i % 2 == 1 { 4.0 } else { 2.0 };
            sum += weight * f(low + i as f64 * h);
        }
        sum * h / 3.0
    }

    #[test]
    fn the_likelihood_equals_the_individual_model_integrated_numerically() {
        // Individual level: (1−p)ˣ Π f(τⱼ|λ) [p + (1−p) S(T − tₓ | λ)], with Erlang-k f and S
        // written from their definitions, then λ and p integrated against their densities.
        let gaps = [3.1, 2.2, 4.0, 2.7, 3.5];
        let age = 19.0;
        for k in [1_u32, 2, 3, 5] {
            let p = MbgCnbdParams {
                k,
                r: 2.5,
                alpha: 3.0,
                a: 2.0,
                b: 5.0,
            };
            let kf = f64::from(k);
            let factorial = |n: u32| (1..=n).map(f64::from).product::<f64>();
            let erlang = |tau: f64, rate: f64| {
                rate.powf(kf) * tau.powf(kf - 1.0) * (-rate * tau).exp() / factorial(k - 1)
            };
            let survival = |y: f64, rate: f64| {
                (0..k)
                    .map(|i| (rate * y).powi(i as i32) * (-rate * y).exp() / factorial(i))
                    .sum::<f64>()
            };
            let last: f64 = gaps.iter().sum();
            let gamma_density = |rate: f64| {
                (p.r * p.alpha.ln() + (p.r - 1.0) * rate.ln() - p.alpha * rate - ln_gamma(p.r))
                    .exp()
            };
            let beta_density = |q: f64| {
                ((p.a - 1.0) * q.ln() + (p.b - 1.0) * (1.0 - q).ln() + ln_gamma(p.a + p.b)
                    - ln_gamma(p.a)
                    - ln_gamma(p.b))
                .exp()
            };
            let purchases = |rate: f64| gaps.iter().map(|&g| erlang(g, rate)).product::<f64>();
            let dropped_rate = simpson(
                |l| {
                    if l > 0.0 {
                        purchases(l) * gamma_density(l)
                    } else {
                        0.0
                    }
                },
                0.0,
                30.0,
                20_000,
            );
            let alive_rate = simpson(
                |l| {
                    if l > 0.0 {
                        purchases(l) * survival(age - last, l) * gamma_density(l)
                    } else {
                        0.0
                    }
                },
                0.0,
                30.0,
                20_000,
            );
            let x = gaps.len() as i32;
            let dropped_p = simpson(
                |q| q * (1.0 - q).powi(x) * beta_density(q),
                0.0,
                1.0,
                20_000,
            );
            let alive_p = simpson(
                |q| (1.0 - q).powi(x + 1) * beta_density(q),
                0.0,
                1.0,
                20_000,
            );
            let numerical = (dropped_rate * dropped_p + alive_rate * alive_p).ln();
            let c = TimedSummary::from_purchase_times(
                &std::iter::once(0.0)
                    .chain(gaps.iter().scan(0.0, |t, g| {
                        *t += g;
                        Some(*t)
                    }))
                    .collect::<Vec<f64>>(),
                age,
            )
            .unwrap_or(summary(0.0, 0.0, 0.0, 0.0));
            let closed = log_likelihood_one(&p, &c);
            assert!(
                (closed - numerical).abs() < 1e-6,
                "k = {k}: {closed} vs {numerical}"
            );
            // And P(alive) is the alive share of the same integral.
            let alive_share =
                alive_rate * alive_p / (dropped_rate * dropped_p + alive_rate * alive_p);
            assert!((p_alive(&p, &c) - alive_share).abs() < 1e-7, "k = {k}");
        }
    }

    #[test]
    fn with_k_1_p_alive_and_expected_purchases_are_the_mbg_nbd_closed_forms() {
        let p = MbgCnbdParams {
            k: 1,
            r: 0.9,
            alpha: 6.0,
            a: 1.6,
            b: 7.0,
        };
        for c in examples() {
            let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
            let (x, tx, big_t) = (c.frequency, c.recency, c.t);
            let denominator = 1.0 + a / (b + x) * ((alpha + big_t) / (alpha + tx)).powf(r + x);
            assert!((p_alive(&p, &c) - 1.0 / denominator).abs() < 1e-12);
            for t in [4.0, 13.0, 26.0, 52.0] {
                let z = t / (alpha + big_t + t);
                let closed = (a + b + x) / (a - 1.0)
                    * (1.0
                        - ((alpha + big_t) / (alpha + big_t + t)).powf(r + x)
                            * clv::hyp2f1(r + x, b + x + 1.0, a + b + x, z))
                    / denominator;
                let series = expected_purchases(&p, &c, t);
                assert!(
                    (series - closed).abs() < 1e-10 * (1.0 + closed),
                    "{c:?} t={t}: {series} vs {closed}"
                );
            }
        }
    }

    #[test]
    fn grouped_likelihoods_equal_the_per_client_sums() {
        let mut customers = examples();
        customers.extend(examples());
        customers.push(summary(5.0, 20.0, 40.0, 4.0));
        let p = MbgCnbdParams {
            k: 4,
            r: 1.3,
            alpha: 2.0,
            a: 0.7,
            b: 3.0,
        };
        let direct: f64 = customers.iter().map(|c| log_likelihood_one(&p, c)).sum();
        let grouped = log_likelihood(&p, &customers);
        assert!(
            (direct - grouped).abs() < 1e-9 * direct.abs(),
            "{direct} vs {grouped}"
        );
        let bg = BgNbdParams {
            r: 1.3,
            alpha: 2.0,
            a: 0.7,
            b: 3.0,
        };
        let plain: Vec<CustomerSummary> = customers.iter().map(TimedSummary::summary).collect();
        let direct = clv::log_likelihood(&bg, &clv::group(&plain));
        let grouped = ChurnModel::BgNbd(bg).log_likelihood(&customers);
        assert!(
            (direct - grouped).abs() < 1e-9 * direct.abs(),
            "{direct} vs {grouped}"
        );
    }

    #[test]
    fn the_fast_bg_nbd_fit_reproduces_the_published_cdnow_parameters() {
        let customers: Vec<TimedSummary> =
            include_str!("../tests/data/cdnow_customers_summary.csv")
                .lines()
                .skip(1)
                .filter(|l| !l.trim().is_empty())
                .map(|line| {
                    let f: Vec<f64> = line
                        .split(',')
                        .skip(1)
                        .map(|v| v.trim().parse().unwrap_or(f64::NAN))
                        .collect();
                    summary(f[0], f[1], f[2], 0.0)
                })
                .collect();
        let fit = fit_bg_nbd(&customers);
        let close = |got: f64, want: f64| ((got - want) / want).abs() < 0.005;
        let p = fit.params;
        assert!(close(p.r, 0.243) && close(p.alpha, 4.414), "{p:?}");
        assert!(close(p.a, 0.793) && close(p.b, 2.426), "{p:?}");
        assert!(close(fit.log_likelihood, -9582.4), "{}", fit.log_likelihood);
    }

    #[test]
    fn the_fit_recovers_simulated_parameters_and_the_order_k() {
        let data = simulate(&TRUE_K3, 5_000, 26.0, 0x9E37_79B9_7F4A_7C15);
        let customers: Vec<TimedSummary> = data.iter().map(|s| s.summary).collect();
        let fit = fit_mbg_cnbd(&customers);
        assert_eq!(fit.params.k, 3, "{:?}", fit.log_likelihood_by_k);
        assert_eq!(fit.log_likelihood_by_k.len(), MAX_K as usize);
        let p = fit.params;
        let within = |got: f64, want: f64, tolerance: f64| ((got - want) / want).abs() < tolerance;
        assert!(within(p.r, TRUE_K3.r, 0.15), "{p:?}");
        assert!(within(p.alpha, TRUE_K3.alpha, 0.15), "{p:?}");
        assert!(
            within(p.r / p.alpha, TRUE_K3.r / TRUE_K3.alpha, 0.05),
            "{p:?}"
        );
        assert!(within(p.a, TRUE_K3.a, 0.3), "{p:?}");
        assert!(within(p.b, TRUE_K3.b, 0.4), "{p:?}");
        let mean_dropout = |a: f64, b: f64| a / (a + b);
        assert!(
            within(
                mean_dropout(p.a, p.b),
                mean_dropout(TRUE_K3.a, TRUE_K3.b),
                0.1
            ),
            "{p:?}"
        );
        // The likelihood at the optimum beats the truth's, which beats BG/NBD's.
        let truth = log_likelihood(&TRUE_K3, &customers);
        assert!(
            fit.log_likelihood >= truth - 1e-6,
            "{} vs {truth}",
            fit.log_likelihood
        );
        let comparison = compare_models(&customers);
        assert!(comparison.mbg_cnbd_aic < comparison.bg_nbd_aic);
        assert_eq!(
            fit_best(&customers).0,
            ChurnModel::MbgCnbd(comparison.mbg_cnbd.params)
        );
    }

    #[test]
    fn p_alive_and_expected_purchases_match_a_simulation_of_the_model() {
        let horizon = 26.0;
        for (k, seed) in [(1_u32, 7_u64), (3, 11), (6, 13)] {
            let p = MbgCnbdParams {
                k,
                alpha: TRUE_K3.alpha * f64::from(k) / 3.0,
                ..TRUE_K3
            };
            let data = simulate(&p, 20_000, horizon, seed);
            let alive: f64 = data.iter().map(|s| if s.alive { 1.0 } else { 0.0 }).sum();
            let predicted_alive: f64 = data.iter().map(|s| p_alive(&p, &s.summary)).sum();
            assert!(
                ((predicted_alive - alive) / alive).abs() < 0.02,
                "k={k}: {predicted_alive} vs {alive}"
            );
            let future: f64 = data.iter().map(|s| s.future).sum();
            let expected: f64 = data
                .iter()
                .map(|s| expected_purchases(&p, &s.summary, horizon))
                .sum();
            assert!(
                ((expected - future) / future).abs() < 0.03,
                "k={k}: {expected} vs {future}"
            );
            // Also among the clients silent for more than two usual gaps, where regularity
            // matters most.
            let silent: Vec<&Simulated> = data
                .iter()
                .filter(|s| {
                    s.summary.frequency >= 3.0
                        && s.summary.t - s.summary.recency
                            > 2.0 * s.summary.recency / s.summary.frequency
                })
                .collect();
            let alive: f64 = silent.iter().map(|s| if s.alive { 1.0 } else { 0.0 }).sum();
            let predicted: f64 = silent.iter().map(|s| p_alive(&p, &s.summary)).sum();
            assert!(
                (predicted - alive).abs() < 0.05 * silent.len() as f64,
                "k={k}: {predicted} vs {alive} of {}",
                silent.len()
            );
        }
    }

    #[test]
    fn expected_purchases_grow_with_the_horizon_and_vanish_at_zero() {
        let c = summary(10.0, 40.0, 45.0, 10.0 * 4f64.ln());
        let mut last = 0.0;
        assert_eq!(expected_purchases(&TRUE_K3, &c, 0.0), 0.0);
        for t in [1.0, 4.0, 13.0, 26.0, 52.0, 104.0] {
            let e = expected_purchases(&TRUE_K3, &c, t);
            assert!(e > last && e.is_finite(), "{e} at {t}");
            last = e;
        }
        // A heavy, regular buyer over a long horizon: large shapes, no overflow.
        let heavy = summary(300.0, 77.5, 78.0, 300.0 * (77.5f64 / 300.0).ln());
        let p = MbgCnbdParams {
            k: 6,
            r: 5.0,
            alpha: 1.0,
            a: 0.5,
            b: 40.0,
        };
        let e = expected_purchases(&p, &heavy, 52.0);
        assert!(e.is_finite() && e > 50.0 && e < 400.0, "{e}");
    }

    #[test]
    fn a_regular_client_who_misses_its_cycle_looks_less_alive_under_erlang_gaps() {
        // Bought every 2 weeks for a year, then 5 weeks of silence.
        let regular = summary(26.0, 52.0, 57.0, 26.0 * 2f64.ln());
        let poisson = MbgCnbdParams {
            k: 1,
            r: 2.0,
            alpha: 4.0,
            a: 1.0,
            b: 20.0,
        };
        let erlang = MbgCnbdParams {
            k: 4,
            alpha: 1.0,
            ..poisson
        };
        assert!(p_alive(&erlang, &regular) < p_alive(&poisson, &regular));
        // Right after a purchase both say alive.
        let fresh = summary(26.0, 52.0, 52.5, 26.0 * 2f64.ln());
        assert!(p_alive(&erlang, &fresh) > 0.9);
    }

    #[test]
    fn summaries_count_distinct_days_in_weeks_up_to_the_end() {
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap_or_default();
        let days = [
            day(1, 15),
            day(1, 1),
            day(1, 15),
            day(1, 29),
            day(2, 26),
            day(3, 5),
        ];
        let s = TimedSummary::from_purchase_days(&days, day(2, 26));
        let s = s.unwrap_or(summary(-1.0, 0.0, 0.0, 0.0));
        assert_eq!(s.frequency, 3.0);
        assert!((s.recency - 8.0).abs() < 1e-12);
        assert!((s.t - 8.0).abs() < 1e-12);
        assert!((s.litt - (2f64.ln() * 2.0 + 4f64.ln())).abs() < 1e-12);
        assert_eq!(
            TimedSummary::from_purchase_days(&days, day(1, 1)).map(|s| s.frequency),
            Some(0.0)
        );
        assert_eq!(
            TimedSummary::from_purchase_days(&days[..1], day(1, 1)),
            None
        );
    }

    #[test]
    fn large_provinces_are_fitted_on_a_stratified_sample() {
        let customers: Vec<TimedSummary> = (0..50_000)
            .map(|i| {
                summary(
                    f64::from(i % 37),
                    f64::from(i % 37),
                    40.0 + f64::from(i % 11),
                    0.0,
                )
            })
            .collect();
        let sample = fit_sample(&customers);
        assert_eq!(sample.len(), FIT_SAMPLE_LIMIT);
        let mean = |c: &[TimedSummary]| c.iter().map(|s| s.frequency).sum::<f64>() / c.len() as f64;
        assert!((mean(&sample) - mean(&customers)).abs() < 0.01);
        assert_eq!(fit_sample(&customers[..100]).len(), 100);
    }

    #[test]
    fn the_holdout_evaluation_prefers_erlang_gaps_for_clockwork_buyers() {
        // 600 clients buying every 7–21 days with small jitter; a fifth stop at a random time.
        let start = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default();
        let mut rng = XorShift(42);
        let mut histories: Vec<Vec<NaiveDate>> = (0..600)
            .map(|_| {
                let interval = 7.0 + 14.0 * rng.uniform();
                let stop = if rng.uniform() < 0.2 {
                    100.0 + 500.0 * rng.uniform()
                } else {
                    1e9
                };
                let mut t = rng.uniform() * interval;
                let mut days = Vec::new();
                while t < 700.0 && t < stop {
                    days.push(start + chrono::TimeDelta::days(t as i64));
                    t += interval * (0.85 + 0.3 * rng.uniform());
                }
                days
            })
            .collect();
        histories.push(vec![start + chrono::TimeDelta::days(650)]); // first seen in the holdout
        let calibration_end = start + chrono::TimeDelta::days(519);
        let holdout_end = start + chrono::TimeDelta::days(699);
        let evaluation = evaluate_holdout(&histories, calibration_end, holdout_end);
        assert_eq!(evaluation.clients, 600);
        assert_eq!(evaluation.skipped, 1);
        assert!((evaluation.holdout_weeks - 180.0 / 7.0).abs() < 1e-12);
        let actual: f64 = histories[..600]
            .iter()
            .map(|h| {
                h.iter()
                    .filter(|d| **d > calibration_end && **d <= holdout_end)
                    .count() as f64
            })
            .sum();
        assert_eq!(evaluation.bg_nbd.total_actual, actual);
        assert_eq!(evaluation.winner, HoldoutWinner::MbgCnbd);
        assert!(
            evaluation.comparison.mbg_cnbd.params.k >= 4,
            "{:?}",
            evaluation.comparison.mbg_cnbd
        );
        assert!(evaluation.mbg_cnbd.mean_absolute_error < evaluation.bg_nbd.mean_absolute_error);
        assert!(evaluation.mbg_cnbd.correlation > 0.8);
        let buckets: usize = evaluation.mbg_cnbd.buckets.iter().map(|b| b.clients).sum();
        assert_eq!(buckets, 600);
        let alive = evaluation.mbg_cnbd.alive.as_ref();
        assert!(
            alive.is_some_and(|a| a.flagged > 0 && a.flagged_silent_share() > 0.8),
            "{alive:?}"
        );
        assert!(evaluation.naive.alive.is_none());
    }
}
