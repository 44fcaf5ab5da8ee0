//! P(alive) and expected purchases: the BG/NBD model (Fader, Hardie & Lee 2005, "Counting your
//! customers the easy way"), fitted by maximum likelihood on a province's own history.
//!
//! Each client is summarised by its repeat purchases `x` (frequency), the time of its last
//! purchase `t_x` (recency, from its first purchase) and its age `T` (from its first purchase
//! to the end of the calibration period), all in one time unit. The model's four parameters
//! (r, α) for the purchase rate and (a, b) for the dropout probability are found by maximising
//! the log-likelihood with Nelder–Mead over their logarithms (so they stay positive). Pure Rust,
//! no dependencies: it also runs in the browser.

use serde::{Deserialize, Serialize};

/// One customer's purchase summary.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct CustomerSummary {
    /// Repeat purchases (purchases after the first; distinct purchase periods).
    pub frequency: f64,
    /// Time from the first to the last purchase.
    pub recency: f64,
    /// Time from the first purchase to the end of the period.
    pub t: f64,
}

/// BG/NBD parameters.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct BgNbdParams {
    /// Shape of the gamma mixing distribution of purchase rates.
    pub r: f64,
    /// Scale of the gamma mixing distribution of purchase rates.
    pub alpha: f64,
    /// First shape of the beta mixing distribution of dropout probabilities.
    pub a: f64,
    /// Second shape of the beta mixing distribution of dropout probabilities.
    pub b: f64,
}

/// A maximum-likelihood fit.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct FitResult {
    /// The parameters.
    pub params: BgNbdParams,
    /// The log-likelihood at them.
    pub log_likelihood: f64,
    /// Optimiser iterations used.
    pub iterations: u32,
}

/// ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 terms; relative error ~1e-15).
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut sum = COEF[0];
    for (i, c) in COEF.iter().enumerate().skip(1) {
        sum += c / (x + i as f64);
    }
    let t = x + G + 0.5;
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + sum.ln()
}

/// ln(e^p + e^q) without overflow.
fn log_add_exp(p: f64, q: f64) -> f64 {
    let m = p.max(q);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((p - m).exp() + (q - m).exp()).ln()
}

/// One customer's BG/NBD log-likelihood.
pub fn log_likelihood_one(p: &BgNbdParams, c: &CustomerSummary) -> f64 {
    let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
    let x = c.frequency;
    let a1 = ln_gamma(r + x) - ln_gamma(r) + r * alpha.ln();
    let a2 = ln_gamma(a + b) + ln_gamma(b + x) - ln_gamma(b) - ln_gamma(a + b + x);
    let a3 = -(r + x) * (alpha + c.t).ln();
    if x > 0.0 {
        let a4 = a.ln() - (b + x - 1.0).ln() - (r + x) * (alpha + c.recency).ln();
        a1 + a2 + log_add_exp(a3, a4)
    } else {
        a1 + a2 + a3
    }
}

/// The total log-likelihood of `customers` (each with a weight: how many share that summary).
pub fn log_likelihood(p: &BgNbdParams, customers: &[(CustomerSummary, f64)]) -> f64 {
    customers
        .iter()
        .map(|(c, weight)| weight * log_likelihood_one(p, c))
        .sum()
}

/// Groups identical summaries (many customers share one: e.g. no repeat purchase, same age),
/// which makes each likelihood evaluation proportionally cheaper.
pub fn group(customers: &[CustomerSummary]) -> Vec<(CustomerSummary, f64)> {
    let mut sorted: Vec<CustomerSummary> = customers.to_vec();
    sorted.sort_by(|p, q| {
        p.frequency
            .total_cmp(&q.frequency)
            .then(p.recency.total_cmp(&q.recency))
            .then(p.t.total_cmp(&q.t))
    });
    let mut out: Vec<(CustomerSummary, f64)> = Vec::new();
    for c in sorted {
        match out.last_mut() {
            Some((last, n)) if *last == c => *n += 1.0,
            _ => out.push((c, 1.0)),
        }
    }
    out
}

/// Minimises `f` from `start` with Nelder–Mead; returns the point, its value and iterations.
///
/// Shared with [`crate::clv_cnbd`], whose models have four continuous parameters too.
pub(crate) fn nelder_mead(
    f: &dyn Fn(&[f64; 4]) -> f64,
    start: [f64; 4],
    max_iter: u32,
) -> ([f64; 4], f64, u32) {
    let mut simplex: Vec<([f64; 4], f64)> = Vec::with_capacity(5);
    simplex.push((start, f(&start)));
    for i in 0..4 {
        let mut point = start;
        point[i] += 0.5;
        simplex.push((point, f(&point)));
    }
    let mut iterations = 0;
    while iterations < max_iter {
        iterations += 1;
        simplex.sort_by(|p, q| p.1.total_cmp(&q.1));
        let (best, worst) = (simplex[0].1, simplex[4].1);
        if (worst - best).abs() <= 1e-10 * (1.0 + best.abs()) {
            break;
        }
        let mut centroid = [0.0; 4];
        for (point, _) in &simplex[..4] {
            for (sum, value) in centroid.iter_mut().zip(point) {
                *sum += value / 4.0;
            }
        }
        let worst_point = simplex[4].0;
        let along = |coef: f64| {
            let mut p = centroid;
            for (value, worst) in p.iter_mut().zip(worst_point) {
                *value += coef * (worst - *value);
            }
            p
        };
        let reflected = along(-1.0);
        let fr = f(&reflected);
        if fr < simplex[0].1 {
            let expanded = along(-2.0);
            let fe = f(&expanded);
            simplex[4] = if fe < fr {
                (expanded, fe)
            } else {
                (reflected, fr)
            };
        } else if fr < simplex[3].1 {
            simplex[4] = (reflected, fr);
        } else {
            let contracted = if fr < simplex[4].1 {
                along(-0.5)
            } else {
                along(0.5)
            };
            let fc = f(&contracted);
            if fc < simplex[4].1.min(fr) {
                simplex[4] = (contracted, fc);
            } else {
                let best_point = simplex[0].0;
                for entry in simplex.iter_mut().skip(1) {
                    for (value, best) in entry.0.iter_mut().zip(best_point) {
                        *value = best + 0.5 * (*value - best);
                    }
                    entry.1 = f(&entry.0);
                }
            }
        }
    }
    simplex.sort_by(|p, q| p.1.total_cmp(&q.1));
    (simplex[0].0, simplex[0].1, iterations)
}

/// Fits BG/NBD by maximum likelihood. Restarts Nelder–Mead from its own optimum until the
/// likelihood stops improving (a plain simplex can stall on these ridges).
pub fn fit_bg_nbd(customers: &[CustomerSummary]) -> FitResult {
    let grouped = group(customers);
    let to_params = |v: &[f64; 4]| BgNbdParams {
        r: v[0].exp(),
        alpha: v[1].exp(),
        a: v[2].exp(),
        b: v[3].exp(),
    };
    let objective = |v: &[f64; 4]| {
        let ll = log_likelihood(&to_params(v), &grouped);
        if ll.is_finite() {
            -ll
        } else {
            f64::MAX
        }
    };
    let mut point = [0.0; 4];
    let mut value = f64::MAX;
    let mut iterations = 0;
    for _ in 0..6 {
        let (next, next_value, used) = nelder_mead(&objective, point, 4000);
        iterations += used;
        let improved = value - next_value;
        point = next;
        value = next_value;
        if improved.abs() < 1e-9 {
            break;
        }
    }
    FitResult {
        params: to_params(&point),
        log_likelihood: -value,
        iterations,
    }
}

/// The probability that a customer with this history is still "alive" (has not dropped out).
pub fn p_alive(p: &BgNbdParams, c: &CustomerSummary) -> f64 {
    if c.frequency <= 0.0 {
        return 1.0;
    }
    let x = c.frequency;
    let ratio = ((p.alpha + c.t) / (p.alpha + c.recency)).ln() * (p.r + x);
    let odds = (p.a / (p.b + x - 1.0)).ln() + ratio;
    1.0 / (1.0 + odds.exp())
}

/// Gauss's hypergeometric function ₂F₁(a, b; c; z) for |z| < 1, by its series.
pub fn hyp2f1(a: f64, b: f64, c: f64, z: f64) -> f64 {
    let mut term = 1.0;
    let mut sum = 1.0;
    for k in 0..10_000 {
        let k = k as f64;
        term *= (a + k) * (b + k) / ((c + k) * (k + 1.0)) * z;
        sum += term;
        if term.abs() < 1e-15 * sum.abs() {
            break;
        }
    }
    sum
}

/// Expected purchases in the next `t` time units of a customer with this history.
pub fn expected_purchases(p: &BgNbdParams, c: &CustomerSummary, t: f64) -> f64 {
    let (r, alpha, b) = (p.r, p.alpha, p.b);
    // The closed form divides by a − 1; at exactly 1 its limit is approached from nearby.
    let a = if (p.a - 1.0).abs() < 1e-9 {
        1.0 + 1e-9
    } else {
        p.a
    };
    let x = c.frequency;
    let z = t / (alpha + c.t + t);
    let hyp = hyp2f1(r + x, b + x, a + b + x - 1.0, z);
    let first = (a + b + x - 1.0) / (a - 1.0);
    let second = 1.0 - ((alpha + c.t) / (alpha + c.t + t)).powf(r + x) * hyp;
    let denominator = if x > 0.0 {
        1.0 + (a / (b + x - 1.0)) * ((alpha + c.t) / (alpha + c.recency)).powf(r + x)
    } else {
        1.0
    };
    first * second / denominator
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_known_values() {
        assert!((ln_gamma(1.0)).abs() < 1e-12);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-12);
        assert!((ln_gamma(0.1) - 2.252_712_651_734_206).abs() < 1e-10);
    }

    #[test]
    fn hypergeometric_series_matches_closed_forms() {
        // ₂F₁(1, 1; 2; z) = −ln(1−z)/z.
        let z = 0.4;
        assert!((hyp2f1(1.0, 1.0, 2.0, z) - (-(1.0f64 - z).ln() / z)).abs() < 1e-12);
    }

    #[test]
    fn p_alive_is_one_without_repeats_and_falls_with_silence() {
        let p = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let c = CustomerSummary {
            frequency: 0.0,
            recency: 0.0,
            t: 30.0,
        };
        assert_eq!(p_alive(&p, &c), 1.0);
        let mut last = 1.0;
        for t in [31.0, 35.0, 40.0, 60.0] {
            let value = p_alive(
                &p,
                &CustomerSummary {
                    frequency: 3.0,
                    recency: 30.0,
                    t,
                },
            );
            assert!(value < last && value > 0.0, "{value} at {t}");
            last = value;
        }
    }

    #[test]
    fn expected_purchases_grow_with_the_horizon_and_the_history() {
        let p = BgNbdParams {
            r: 0.243,
            alpha: 4.414,
            a: 0.793,
            b: 2.426,
        };
        let c = CustomerSummary {
            frequency: 2.0,
            recency: 30.43,
            t: 38.86,
        };
        let e39 = expected_purchases(&p, &c, 39.0);
        let e78 = expected_purchases(&p, &c, 78.0);
        assert!(e39 > 0.0 && e78 > e39, "{e39} {e78}");
        let busier = CustomerSummary {
            frequency: 6.0,
            recency: 38.0,
            t: 38.86,
        };
        assert!(expected_purchases(&p, &busier, 39.0) > e39);
    }
}
