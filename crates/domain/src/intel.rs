//! The recompute engine of client intelligence (DESIGN §2.2, §2.3): from every client's
//! orders to its grade, key-client flag, RFM scores, quadrant, class, P(alive), expected
//! purchases and expected volume at risk.
//!
//! Built to stream: the caller reads orders in client order and calls [`summarize_client`]
//! once per client, keeping only the small [`ClientSummary`]; then [`fit_model`] fits BG/NBD
//! on all summaries and [`finish`] computes the province-relative figures. No client's
//! order list outlives its summary, so memory grows with the number of clients, not orders.

use crate::analytics::RfmScores;
use crate::classification::{classify, Classification, ClassificationRules, ClientClass};
use crate::clv::{
    expected_purchases, group, ln_gamma, p_alive, BgNbdParams, CustomerSummary, FitResult,
};
use crate::grading::{grade_province, Grade, GradingInput, GradingRules, ValueQuadrant};
use crate::validation::{FieldError, ValidationErrors};
use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;
use uuid::Uuid;

/// The rule set of the nightly recompute: grading and classification thresholds, versioned.
///
/// Unknown fields are refused so a misspelt threshold cannot silently fall back to its
/// default. `version` may be left out of a submitted body (it then reads as 0): the server
/// assigns the next version when it saves a changed rule set, and every computed figure
/// records the version that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct IntelRules {
    /// Version of the rule set (1 for the built-in defaults).
    #[serde(default)]
    pub version: i32,
    /// Grading (§2.2).
    pub grading: GradingRules,
    /// Dynamic classification (§2.3).
    pub classification: ClassificationRules,
}

impl Default for IntelRules {
    fn default() -> Self {
        Self {
            version: 1,
            grading: GradingRules::default(),
            classification: ClassificationRules::default(),
        }
    }
}

impl IntelRules {
    /// Checks a rule set an administrator submits; field names are paths such as
    /// `grading.key_volume_share` or `classification.window_days`.
    pub fn validate(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        self.grading.check("grading.", &mut errors);
        let c = &self.classification;
        let days = |errors: &mut ValidationErrors, name: &str, value: i64, min: i64| {
            if !(min..=3650).contains(&value) {
                let field = format!("classification.{name}");
                errors.push(FieldError::out_of_range(&field, min as f64, 3650.0));
            }
        };
        days(&mut errors, "window_days", c.window_days, 1);
        days(&mut errors, "returning_gap_days", c.returning_gap_days, 1);
        days(&mut errors, "at_risk_min_days", c.at_risk_min_days, 0);
        if !(c.at_risk_interval_factor.is_finite()
            && c.at_risk_interval_factor > 0.0
            && c.at_risk_interval_factor <= 100.0)
        {
            errors.push(FieldError::out_of_range(
                "classification.at_risk_interval_factor",
                0.0,
                100.0,
            ));
        }
        if !(1..=1000).contains(&c.interval_sample) {
            errors.push(FieldError::out_of_range(
                "classification.interval_sample",
                1.0,
                1000.0,
            ));
        }
        for (name, value) in [
            ("at_risk_volume_ratio", c.at_risk_volume_ratio),
            ("declining_volume_ratio", c.declining_volume_ratio),
        ] {
            if !(0.0..=1.0).contains(&value) {
                errors.push(FieldError::out_of_range(
                    &format!("classification.{name}"),
                    0.0,
                    1.0,
                ));
            }
        }
        if c.at_risk_volume_ratio > c.declining_volume_ratio {
            errors.push(FieldError::new(
                "classification.at_risk_volume_ratio",
                "invalid_order",
                "classification.at_risk_volume_ratio must not exceed declining_volume_ratio",
                "classification.at_risk_volume_ratio 不能大于 declining_volume_ratio",
            ));
        }
        errors
    }
}

/// One client's purchases boiled down to what the province-wide steps need (no order list).
#[derive(Debug, Clone, PartialEq)]
pub struct ClientSummary {
    /// The client.
    pub client_id: Uuid,
    /// Its dynamic class with the reasons and sentences.
    pub classification: Classification,
    /// Volume in the trailing 12 months (after the same date a year before `as_of`, up to
    /// `as_of`), tonnes.
    pub tonnes_12m: f64,
    /// Distinct purchase days in the trailing 12 months.
    pub purchases_12m: u32,
    /// Of the 12 month-long periods counted back from `as_of`, those with a purchase (0–12).
    pub months_with_purchases: u32,
    /// Days from the last purchase to `as_of` (`None`: never bought).
    pub days_since_last: Option<i64>,
    /// Volume of the classification window (the last 90 days by default), tonnes.
    pub tonnes_90d: f64,
    /// The BG/NBD summary in weeks (`None`: never bought): frequency = purchase days after the
    /// first, recency = first to last purchase day, T = first purchase day to `as_of`.
    pub bg_nbd: Option<CustomerSummary>,
    /// Mean volume of a purchase day, tonnes: over the trailing 12 months, or over the whole
    /// history when the client bought nothing in them (0 for a prospect).
    pub mean_purchase_t: f64,
    /// The volume a usual window would bring, tonnes: the classification's baseline when it
    /// has one, else the trailing-12-month volume scaled to the window (÷ 4 for 90 days).
    pub baseline_tonnes: f64,
    /// Paid for but not yet lifted, tonnes.
    pub prepaid_not_lifted_t: f64,
}

/// Summarises one client's purchases as of `as_of`.
///
/// `purchases` are `(day, tonnes)`, one per order, several a day allowed; sorted by day they
/// are read without a copy (any other order is sorted first). Days after `as_of` are
/// ignored. The class comes from [`classify`], so it is exactly what the client page shows.
pub fn summarize_client(
    client_id: Uuid,
    purchases: &[(NaiveDate, f64)],
    prepaid_not_lifted_t: f64,
    as_of: NaiveDate,
    rules: &IntelRules,
) -> ClientSummary {
    let sorted: Cow<'_, [(NaiveDate, f64)]> = if purchases.is_sorted_by_key(|(day, _)| *day) {
        Cow::Borrowed(purchases)
    } else {
        let mut copy = purchases.to_vec();
        copy.sort_by_key(|(day, _)| *day);
        Cow::Owned(copy)
    };
    let upto = &sorted[..sorted.partition_point(|(day, _)| *day <= as_of)];
    let classification = classify(upto, as_of, &rules.classification);
    let window_days = rules.classification.window_days;

    // Month boundaries: period k (0 = the latest) is (as_of − (k+1) months, as_of − k months].
    let boundary = |k: u32| {
        as_of
            .checked_sub_months(Months::new(k))
            .unwrap_or(NaiveDate::MIN)
    };
    let year_start = boundary(12);
    let mut period_end = [NaiveDate::MIN; 12];
    for (k, end) in period_end.iter_mut().enumerate() {
        *end = boundary(k as u32);
    }

    let (mut tonnes_12m, mut purchases_12m, mut months) = (0.0, 0u32, 0u16);
    let (mut tonnes_all, mut days_all) = (0.0, 0u32);
    let mut previous_day: Option<NaiveDate> = None;
    let mut period = 11;
    for &(day, tonnes) in upto {
        let new_day = previous_day != Some(day);
        previous_day = Some(day);
        tonnes_all += tonnes;
        days_all += u32::from(new_day);
        if day > year_start {
            tonnes_12m += tonnes;
            if new_day {
                purchases_12m += 1;
                while period > 0 && day > period_end[period] {
                    period -= 1;
                }
                months |= 1 << period;
            }
        }
    }

    let bg_nbd = match (upto.first(), upto.last()) {
        (Some(&(first, _)), Some(&(last, _))) => Some(CustomerSummary {
            frequency: f64::from(days_all.saturating_sub(1)),
            recency: (last - first).num_days() as f64 / 7.0,
            t: (as_of - first).num_days() as f64 / 7.0,
        }),
        _ => None,
    };
    let mean_purchase_t = if purchases_12m > 0 {
        tonnes_12m / f64::from(purchases_12m)
    } else if days_all > 0 {
        tonnes_all / f64::from(days_all)
    } else {
        0.0
    };
    let baseline_tonnes = classification
        .reasons
        .baseline_tonnes
        .unwrap_or(tonnes_12m * window_days as f64 / 360.0);
    ClientSummary {
        client_id,
        tonnes_12m,
        purchases_12m,
        months_with_purchases: months.count_ones(),
        days_since_last: classification.reasons.days_since_last,
        tonnes_90d: classification.reasons.recent_tonnes,
        bg_nbd,
        mean_purchase_t,
        baseline_tonnes,
        prepaid_not_lifted_t,
        classification,
    }
}

/// At most this many buying clients enter the BG/NBD fit; a larger province is sampled evenly
/// in input order. Four parameters are pinned down long before this many clients (their
/// standard errors shrink as 1/√n), and it bounds the nightly fit to about a second.
pub const FIT_SAMPLE_LIMIT: usize = 50_000;

/// Fits BG/NBD (weeks; see [`ClientSummary::bg_nbd`]) by maximum likelihood on the clients
/// that ever bought.
///
/// The same model and optimiser as [`crate::clv::fit_bg_nbd`] (Nelder–Mead over the
/// logarithms of r, α, a, b, restarted from its own optimum until the likelihood stops
/// improving), made fast for a province of 600,000 clients:
/// - identical histories are grouped ([`crate::clv::group`]) and every log-gamma and
///   logarithm is computed once per distinct frequency, recency and age rather than once per
///   client — the same sum as [`crate::clv::log_likelihood`], reordered;
/// - beyond [`FIT_SAMPLE_LIMIT`] buying clients, an evenly spaced sample of that many (every
///   k-th in input order, so the result is deterministic) is fitted.
///
/// The reported log-likelihood is that of all buying clients at the fitted parameters. With
/// no buying client there is nothing to fit: the parameters are then all 1 and the
/// log-likelihood 0.
pub fn fit_model(summaries: &[ClientSummary]) -> FitResult {
    let customers: Vec<CustomerSummary> = summaries.iter().filter_map(|s| s.bg_nbd).collect();
    fit_customers(&customers, FIT_SAMPLE_LIMIT)
}

/// [`fit_model`] on the histories themselves, fitting at most `sample_limit` of them.
fn fit_customers(customers: &[CustomerSummary], sample_limit: usize) -> FitResult {
    let sampled: Vec<CustomerSummary>;
    let sample = if customers.len() > sample_limit {
        let step = customers.len() as f64 / sample_limit as f64;
        sampled = (0..sample_limit)
            .filter_map(|k| customers.get((k as f64 * step) as usize).copied())
            .collect();
        &sampled[..]
    } else {
        customers
    };
    let histories = Histories::new(sample);
    let objective = |v: &[f64; 4]| {
        let ll = histories.log_likelihood(&params_of(v));
        if ll.is_finite() {
            -ll
        } else {
            f64::MAX
        }
    };
    let mut point = [0.0; 4];
    let mut value = objective(&point);
    let mut iterations = 0;
    for _ in 0..8 {
        let (next, next_value, used) = nelder_mead(&objective, point, 4_000);
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
    let params = params_of(&point);
    let log_likelihood = if sample.len() == customers.len() {
        -value
    } else {
        Histories::new(customers).log_likelihood(&params)
    };
    FitResult {
        params,
        log_likelihood: if customers.is_empty() {
            0.0
        } else {
            log_likelihood
        },
        iterations,
    }
}

/// The parameters at a point of the optimiser's (logarithmic) space.
fn params_of(v: &[f64; 4]) -> BgNbdParams {
    BgNbdParams {
        r: v[0].exp(),
        alpha: v[1].exp(),
        a: v[2].exp(),
        b: v[3].exp(),
    }
}

/// Customer histories arranged for fast likelihood evaluation: grouped, with the distinct
/// frequencies, recencies and ages listed once each.
struct Histories {
    frequencies: Vec<f64>,
    recencies: Vec<f64>,
    ages: Vec<f64>,
    /// (frequency index, recency index, age index, customers with this history).
    groups: Vec<(u32, u32, u32, f64)>,
}

impl Histories {
    fn new(customers: &[CustomerSummary]) -> Self {
        let grouped = group(customers);
        let distinct = |value: fn(&CustomerSummary) -> f64| {
            let mut values: Vec<f64> = grouped.iter().map(|(c, _)| value(c)).collect();
            values.sort_by(f64::total_cmp);
            values.dedup_by(|p, q| p.total_cmp(q).is_eq());
            values
        };
        let frequencies = distinct(|c| c.frequency);
        let recencies = distinct(|c| c.recency);
        let ages = distinct(|c| c.t);
        let index = |values: &[f64], value: f64| {
            values.partition_point(|v| v.total_cmp(&value).is_lt()) as u32
        };
        let groups = grouped
            .iter()
            .map(|(c, weight)| {
                (
                    index(&frequencies, c.frequency),
                    index(&recencies, c.recency),
                    index(&ages, c.t),
                    *weight,
                )
            })
            .collect();
        Self {
            frequencies,
            recencies,
            ages,
            groups,
        }
    }

    /// The BG/NBD log-likelihood of all histories (Fader, Hardie & Lee 2005, eq. 6).
    fn log_likelihood(&self, p: &BgNbdParams) -> f64 {
        let (r, alpha, a, b) = (p.r, p.alpha, p.a, p.b);
        let constant = -ln_gamma(r) + r * alpha.ln() + ln_gamma(a + b) - ln_gamma(b);
        // Per frequency x: the terms without recency or age, and the dropout term's prefix.
        let by_frequency: Vec<(f64, f64)> = self
            .frequencies
            .iter()
            .map(|&x| {
                let common = constant + ln_gamma(r + x) + ln_gamma(b + x) - ln_gamma(a + b + x);
                let dropout = if x > 0.0 {
                    a.ln() - (b + x - 1.0).ln()
                } else {
                    f64::NEG_INFINITY
                };
                (common, dropout)
            })
            .collect();
        let ln_recency: Vec<f64> = self.recencies.iter().map(|t| (alpha + t).ln()).collect();
        let ln_age: Vec<f64> = self.ages.iter().map(|t| (alpha + t).ln()).collect();
        let mut total = 0.0;
        for &(xi, ri, ti, weight) in &self.groups {
            let x = self.frequencies[xi as usize];
            let (common, dropout) = by_frequency[xi as usize];
            let survived = -(r + x) * ln_age[ti as usize];
            let one = if x > 0.0 {
                let dropped = dropout - (r + x) * ln_recency[ri as usize];
                let high = survived.max(dropped);
                common + high + ((survived - high).exp() + (dropped - high).exp()).ln()
            } else {
                common + survived
            };
            total += weight * one;
        }
        total
    }
}

/// Minimises `f` from `start` with the Nelder–Mead simplex (reflection 1, expansion 2,
/// contraction ½, shrink ½); returns the best point, its value and the iterations used.
fn nelder_mead(
    f: &dyn Fn(&[f64; 4]) -> f64,
    start: [f64; 4],
    max_iterations: u32,
) -> ([f64; 4], f64, u32) {
    let mut simplex: [([f64; 4], f64); 5] = [(start, f(&start)); 5];
    for (axis, vertex) in simplex.iter_mut().enumerate().skip(1) {
        vertex.0[axis - 1] += 0.5;
        vertex.1 = f(&vertex.0);
    }
    // The point at `coefficient` along the line from the centroid of the best four to the
    // worst vertex (−1: reflection, −2: expansion, ±½: contractions).
    let towards = |simplex: &[([f64; 4], f64); 5], coefficient: f64| {
        let mut point = [0.0; 4];
        for (axis, value) in point.iter_mut().enumerate() {
            let centroid = simplex[..4].iter().map(|(p, _)| p[axis]).sum::<f64>() / 4.0;
            *value = centroid + coefficient * (simplex[4].0[axis] - centroid);
        }
        point
    };
    let mut iterations = 0;
    while iterations < max_iterations {
        simplex.sort_by(|p, q| p.1.total_cmp(&q.1));
        let (best, worst) = (simplex[0].1, simplex[4].1);
        if (worst - best).abs() <= 1e-10 * (1.0 + best.abs()) {
            break;
        }
        iterations += 1;
        let reflected = towards(&simplex, -1.0);
        let reflected_value = f(&reflected);
        if reflected_value < best {
            let expanded = towards(&simplex, -2.0);
            let expanded_value = f(&expanded);
            simplex[4] = if expanded_value < reflected_value {
                (expanded, expanded_value)
            } else {
                (reflected, reflected_value)
            };
        } else if reflected_value < simplex[3].1 {
            simplex[4] = (reflected, reflected_value);
        } else {
            let outside = reflected_value < worst;
            let contracted = towards(&simplex, if outside { -0.5 } else { 0.5 });
            let contracted_value = f(&contracted);
            if contracted_value < reflected_value.min(worst) {
                simplex[4] = (contracted, contracted_value);
            } else {
                let best_point = simplex[0].0;
                for vertex in simplex.iter_mut().skip(1) {
                    for (value, best) in vertex.0.iter_mut().zip(best_point) {
                        *value = best + 0.5 * (*value - best);
                    }
                    vertex.1 = f(&vertex.0);
                }
            }
        }
    }
    simplex.sort_by(|p, q| p.1.total_cmp(&q.1));
    (simplex[0].0, simplex[0].1, iterations)
}

/// Everything computed about one client, in the order [`finish`] was given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientFigures {
    /// The client.
    pub client_id: Uuid,
    /// Grade by trailing-12-month volume; `None` without purchases in 12 months.
    pub grade: Option<Grade>,
    /// Among the key clients (20/80 rule).
    pub key_client: bool,
    /// RFM scores 1–5 (all 0 without purchases in 12 months).
    pub rfm: RfmScores,
    /// Frequency × volume quadrant; `None` without purchases in 12 months.
    pub quadrant: Option<ValueQuadrant>,
    /// Dynamic class with reasons and sentences.
    pub classification: Classification,
    /// Probability that the client is still buying (BG/NBD); `None` for prospects.
    pub p_alive: Option<f64>,
    /// Expected purchase days in the next window (90 days by default); `None` for prospects.
    pub expected_purchases_90d: Option<f64>,
    /// max(0, baseline − expected purchases × mean purchase size), tonnes; 0 for prospects
    /// (and whenever the model gives no finite expectation).
    pub expected_volume_at_risk_t: f64,
    /// Volume in the trailing 12 months, tonnes.
    pub tonnes_12m: f64,
    /// Purchase days in the trailing 12 months.
    pub purchases_12m: u32,
    /// Volume of the last 90 days (the classification window), tonnes.
    pub tonnes_90d: f64,
    /// Paid for but not yet lifted, tonnes.
    pub prepaid_not_lifted_t: f64,
}

/// The province-wide step: grades every client relative to the others
/// ([`grade_province`]), then P(alive), the expected purchases over the classification
/// window (90 days = 90/7 weeks by default) and the expected volume at risk under `model`.
/// The output has the input's order.
pub fn finish(
    summaries: &[ClientSummary],
    rules: &IntelRules,
    model: &BgNbdParams,
) -> Vec<ClientFigures> {
    let inputs: Vec<GradingInput> = summaries
        .iter()
        .map(|s| GradingInput {
            tonnes_12m: s.tonnes_12m,
            purchases_12m: s.purchases_12m,
            months_with_purchases: s.months_with_purchases,
            days_since_last: s.days_since_last,
        })
        .collect();
    let gradings = grade_province(&inputs, &rules.grading);
    let horizon_weeks = rules.classification.window_days as f64 / 7.0;
    let finite = |value: f64| value.is_finite().then_some(value);
    summaries
        .iter()
        .zip(gradings)
        .map(|(s, g)| {
            let (alive, expected) = match &s.bg_nbd {
                Some(history) => (
                    finite(p_alive(model, history)),
                    finite(expected_purchases(model, history, horizon_weeks)),
                ),
                None => (None, None),
            };
            let at_risk = expected.map_or(0.0, |e| {
                (s.baseline_tonnes - e * s.mean_purchase_t).max(0.0)
            });
            ClientFigures {
                client_id: s.client_id,
                grade: g.grade,
                key_client: g.key_client,
                rfm: g.rfm,
                quadrant: g.quadrant,
                classification: s.classification.clone(),
                p_alive: alive,
                expected_purchases_90d: expected,
                expected_volume_at_risk_t: at_risk,
                tonnes_12m: s.tonnes_12m,
                purchases_12m: s.purchases_12m,
                tonnes_90d: s.tonnes_90d,
                prepaid_not_lifted_t: s.prepaid_not_lifted_t,
            }
        })
        .collect()
}

/// Whether a class is one the dashboard lists as losing volume (declining, at risk,
/// churned), ordered by expected volume at risk.
pub fn is_losing_volume(class: ClientClass) -> bool {
    matches!(
        class,
        ClientClass::Declining | ClientClass::AtRisk | ClientClass::Churned
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeDelta;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn as_of() -> NaiveDate {
        day(2026, 11, 20)
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// Purchases of `tonnes` every `step` days from `from` days before `as_of` to `to`.
    fn every(from: i64, to: i64, step: usize, tonnes: f64) -> Vec<(NaiveDate, f64)> {
        (to..=from)
            .rev()
            .step_by(step)
            .map(|b| (as_of() - TimeDelta::days(b), tonnes))
            .collect()
    }

    /// A tiny deterministic generator for test populations.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self, below: u64) -> u64 {
            self.0 = self
                .0
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % below
        }
    }

    /// A mixed province: steady buyers, slowing ones, churned ones and one-off buyers.
    fn population(clients: u64, seed: u64) -> Vec<(Uuid, Vec<(NaiveDate, f64)>)> {
        let mut rng = Lcg(seed);
        (0..clients)
            .map(|n| {
                let step = 3 + rng.next(25) as usize;
                let start = 200 + rng.next(800) as i64;
                let stop = match n % 5 {
                    0 => 100 + rng.next(400) as i64,
                    1 => start - rng.next(30) as i64,
                    _ => rng.next(10) as i64,
                };
                let tonnes = 1.0 + rng.next(40) as f64;
                (
                    id(u128::from(n) + 1),
                    every(start, stop.min(start), step, tonnes),
                )
            })
            .collect()
    }

    #[test]
    fn a_hand_made_history_gives_its_figures() {
        let purchases = [
            (day(2025, 6, 1), 20.0),
            (day(2025, 11, 20), 5.0), // exactly a year back: outside the 12 months
            (day(2025, 11, 21), 10.0),
            (day(2026, 3, 10), 4.0),
            (day(2026, 3, 10), 6.0), // same day: one purchase day
            (day(2026, 9, 1), 12.0),
            (day(2026, 11, 15), 8.0),
            (day(2026, 12, 1), 100.0), // after as_of: ignored
        ];
        let rules = IntelRules::default();
        let s = summarize_client(id(7), &purchases, 3.5, as_of(), &rules);
        assert_eq!(s.tonnes_12m, 40.0);
        assert_eq!(s.purchases_12m, 4);
        assert_eq!(s.months_with_purchases, 4);
        assert_eq!(s.days_since_last, Some(5));
        assert_eq!(s.tonnes_90d, 20.0);
        assert_eq!(s.mean_purchase_t, 10.0);
        // 175 days between 10 March and 1 September: a return after a gap.
        assert_eq!(s.classification.class, ClientClass::Returning);
        assert_eq!(s.classification.reasons.gap_days, Some(175));
        // No baseline for a returning client: 40 t a year → 10 t a quarter.
        assert_eq!(s.baseline_tonnes, 10.0);
        assert_eq!(
            s.bg_nbd,
            Some(CustomerSummary {
                frequency: 5.0,
                recency: 76.0,
                t: 537.0 / 7.0,
            })
        );
        // Any order gives the same summary.
        let mut shuffled = purchases.to_vec();
        shuffled.reverse();
        assert_eq!(summarize_client(id(7), &shuffled, 3.5, as_of(), &rules), s);

        let model = BgNbdParams {
            r: 0.5,
            alpha: 5.0,
            a: 0.8,
            b: 2.5,
        };
        let f = finish(std::slice::from_ref(&s), &rules, &model);
        let f = &f[0];
        assert_eq!(f.client_id, id(7));
        assert_eq!(f.grade, Some(Grade::D));
        assert!(f.key_client);
        assert_eq!(f.rfm, RfmScores { r: 3, f: 3, m: 3 });
        assert_eq!(f.quadrant, Some(ValueQuadrant::Core));
        let history = s.bg_nbd.unwrap();
        assert_eq!(f.p_alive, Some(p_alive(&model, &history)));
        let expected = expected_purchases(&model, &history, 90.0 / 7.0);
        assert_eq!(f.expected_purchases_90d, Some(expected));
        assert!((f.expected_volume_at_risk_t - (10.0 - expected * 10.0).max(0.0)).abs() < 1e-12);
        assert_eq!(
            (f.tonnes_12m, f.purchases_12m, f.tonnes_90d),
            (40.0, 4, 20.0)
        );
        assert_eq!(f.prepaid_not_lifted_t, 3.5);
    }

    #[test]
    fn months_count_the_twelve_periods_back_from_the_date() {
        // One purchase in each of the last 14 months, on the 20th (the period's last day).
        let purchases: Vec<(NaiveDate, f64)> = (0..14)
            .rev()
            .map(|k| (as_of().checked_sub_months(Months::new(k)).unwrap(), 1.0))
            .collect();
        let s = summarize_client(id(1), &purchases, 0.0, as_of(), &IntelRules::default());
        assert_eq!(s.months_with_purchases, 12);
        assert_eq!(s.purchases_12m, 12);
        // Two purchases in one period count once.
        let twice = [(day(2026, 10, 25), 1.0), (day(2026, 11, 19), 1.0)];
        let s = summarize_client(id(1), &twice, 0.0, as_of(), &IntelRules::default());
        assert_eq!((s.months_with_purchases, s.purchases_12m), (1, 2));
    }

    #[test]
    fn a_prospect_has_no_grade_no_model_figures_and_nothing_at_risk() {
        let rules = IntelRules::default();
        let s = summarize_client(id(1), &[], 12.0, as_of(), &rules);
        assert_eq!(s.bg_nbd, None);
        assert_eq!(s.classification.class, ClientClass::Prospect);
        let model = fit_model(std::slice::from_ref(&s)).params;
        let f = &finish(&[s], &rules, &model)[0];
        assert_eq!(
            (f.grade, f.quadrant, f.p_alive, f.expected_purchases_90d),
            (None, None, None, None)
        );
        assert_eq!(f.rfm, RfmScores::default());
        assert!(!f.key_client);
        assert_eq!(f.expected_volume_at_risk_t, 0.0);
        assert_eq!(f.prepaid_not_lifted_t, 12.0);
    }

    #[test]
    fn a_churned_client_is_less_alive_and_has_more_volume_at_risk_than_a_stable_one() {
        let rules = IntelRules::default();
        let mut summaries: Vec<ClientSummary> = population(400, 11)
            .iter()
            .map(|(client, purchases)| summarize_client(*client, purchases, 0.0, as_of(), &rules))
            .collect();
        // Both bought 10 t a week for over a year; one stopped 120 days ago.
        let stable = summarize_client(id(1_000), &every(500, 3, 7, 10.0), 0.0, as_of(), &rules);
        let churned = summarize_client(id(1_001), &every(500, 120, 7, 10.0), 0.0, as_of(), &rules);
        assert_eq!(stable.classification.class, ClientClass::Stable);
        assert_eq!(churned.classification.class, ClientClass::Churned);
        summaries.push(stable);
        summaries.push(churned);
        let fit = fit_model(&summaries);
        assert!(fit.log_likelihood.is_finite());
        let figures = finish(&summaries, &rules, &fit.params);
        let (stable, churned) = (&figures[400], &figures[401]);
        let (alive_stable, alive_churned) = (stable.p_alive.unwrap(), churned.p_alive.unwrap());
        assert!(
            alive_stable > 0.9 && alive_churned < 0.1,
            "{alive_stable} {alive_churned}"
        );
        assert!(
            stable.expected_purchases_90d.unwrap() > 5.0 * churned.expected_purchases_90d.unwrap()
        );
        // The churned one bought ~245 days × 10 t/7 in 12 months: ≈ 87 t a quarter, nearly all at
        // risk; the stable one will likely buy its usual quarter.
        assert!(
            churned.expected_volume_at_risk_t > 60.0,
            "{}",
            churned.expected_volume_at_risk_t
        );
        assert!(stable.expected_volume_at_risk_t < 0.25 * churned.expected_volume_at_risk_t);
        assert!(is_losing_volume(churned.classification.class));
        assert!(!is_losing_volume(stable.classification.class));
    }

    #[test]
    fn figures_come_out_in_the_order_the_summaries_went_in() {
        let rules = IntelRules::default();
        let mut clients = population(60, 3);
        clients.reverse();
        clients.push((id(999), Vec::new()));
        clients.swap(0, 30);
        let summaries: Vec<ClientSummary> = clients
            .iter()
            .map(|(client, purchases)| summarize_client(*client, purchases, 0.0, as_of(), &rules))
            .collect();
        let model = fit_model(&summaries).params;
        let figures = finish(&summaries, &rules, &model);
        let ids_in: Vec<Uuid> = clients.iter().map(|(client, _)| *client).collect();
        let ids_out: Vec<Uuid> = figures.iter().map(|f| f.client_id).collect();
        assert_eq!(ids_in, ids_out);
        for (s, f) in summaries.iter().zip(&figures) {
            assert_eq!(s.classification, f.classification);
            assert_eq!(s.tonnes_12m, f.tonnes_12m);
        }
    }

    #[test]
    fn rules_round_trip_refuse_unknown_fields_and_check_their_ranges() {
        let rules = IntelRules::default();
        assert_eq!(rules.version, 1);
        assert!(rules.validate().is_empty());
        let json = serde_json::to_value(rules).unwrap();
        assert_eq!(
            serde_json::from_value::<IntelRules>(json.clone()).unwrap(),
            rules
        );
        let mut without_version = json.clone();
        without_version.as_object_mut().unwrap().remove("version");
        assert_eq!(
            serde_json::from_value::<IntelRules>(without_version)
                .unwrap()
                .version,
            0
        );
        let mut unknown = json;
        unknown["grading"]["key_share"] = serde_json::json!(0.5);
        assert!(serde_json::from_value::<IntelRules>(unknown).is_err());

        let mut bad = IntelRules::default();
        bad.classification.window_days = 0;
        bad.classification.at_risk_volume_ratio = 0.9;
        bad.grading.key_volume_share = 0.0;
        let fields: Vec<String> = bad.validate().0.into_iter().map(|e| e.field).collect();
        assert_eq!(
            fields,
            [
                "grading.key_volume_share",
                "classification.window_days",
                "classification.at_risk_volume_ratio"
            ]
        );
    }

    fn cdnow() -> Vec<CustomerSummary> {
        include_str!("../tests/data/cdnow_customers_summary.csv")
            .lines()
            .skip(1)
            .filter(|line| !line.trim().is_empty())
            .map(|line| {
                let f: Vec<f64> = line
                    .split(',')
                    .skip(1)
                    .map(|v| v.trim().parse().unwrap())
                    .collect();
                CustomerSummary {
                    frequency: f[0],
                    recency: f[1],
                    t: f[2],
                }
            })
            .collect()
    }

    #[test]
    fn the_fast_likelihood_is_the_models_likelihood() {
        let customers = cdnow();
        let histories = Histories::new(&customers);
        for p in [
            BgNbdParams {
                r: 0.243,
                alpha: 4.414,
                a: 0.793,
                b: 2.426,
            },
            BgNbdParams {
                r: 2.0,
                alpha: 0.5,
                a: 3.0,
                b: 40.0,
            },
        ] {
            let fast = histories.log_likelihood(&p);
            let reference = crate::clv::log_likelihood(&p, &group(&customers));
            assert!(
                (fast - reference).abs() < 1e-9 * reference.abs(),
                "{fast} vs {reference}"
            );
        }
    }

    #[test]
    fn the_fit_gives_the_published_cdnow_parameters_and_a_sample_comes_close() {
        let customers = cdnow();
        let fit = fit_customers(&customers, FIT_SAMPLE_LIMIT);
        let p = fit.params;
        let close = |got: f64, want: f64, within: f64| ((got - want) / want).abs() < within;
        for (got, want) in [(p.r, 0.243), (p.alpha, 4.414), (p.a, 0.793), (p.b, 2.426)] {
            assert!(close(got, want, 0.005), "{p:?}");
        }
        assert!(
            close(fit.log_likelihood, -9582.4, 0.0005),
            "{}",
            fit.log_likelihood
        );
        // Half the customers, every other one: the same model within sampling error, and the
        // log-likelihood reported for all of them.
        let half = fit_customers(&customers, customers.len() / 2);
        let q = half.params;
        assert!(close(q.r, p.r, 0.2) && close(q.a, p.a, 0.5), "{q:?}");
        let all = Histories::new(&customers).log_likelihood(&q);
        assert_eq!(half.log_likelihood, all);
        assert!(half.log_likelihood <= fit.log_likelihood + 1e-6);
        // Nothing to fit.
        let none = fit_customers(&[], FIT_SAMPLE_LIMIT);
        assert_eq!(
            (none.params.r, none.params.b, none.log_likelihood),
            (1.0, 1.0, 0.0)
        );
    }
}
