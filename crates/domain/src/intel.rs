//! The recompute engine of client intelligence (DESIGN §2.2, §2.3): from every client's
//! orders to its grade, key-client flag, RFM scores, quadrant, class, P(alive), expected
//! purchases and expected volume at risk.
//!
//! Built to stream: the caller reads orders in client order and calls [`summarize_client`]
//! once per client, keeping only the small [`ClientSummary`]; then [`fit_model`] fits the purchase
//! models on all summaries and [`finish`] computes the province-relative figures. No client's
//! order list outlives its summary, so memory grows with the number of clients, not orders.

use crate::analytics::RfmScores;
use crate::classification::{classify, Classification, ClassificationRules, ClientClass};
use crate::clv_cnbd::{compare_models, ChurnModel, ModelComparison, TimedSummary};
use crate::grading::{
    grade_province, ClientGrading, Grade, GradingInput, GradingRules, ValueQuadrant,
};
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

/// One version of the intelligence rule set.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntelRulesVersion {
    /// Version number (1 = the built-in defaults).
    pub version: i32,
    /// The thresholds.
    pub rules: IntelRules,
    /// Who saved it (`None` for the built-in defaults).
    pub created_by: Option<Uuid>,
    /// Their name.
    pub created_by_name: Option<String>,
    /// When.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// The intelligence rule set in force and every earlier version, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IntelRulesHistory {
    /// The version in force.
    pub current: IntelRulesVersion,
    /// Every version, newest first (the built-in defaults last).
    pub versions: Vec<IntelRulesVersion>,
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
    /// The purchase history in weeks (`None`: never bought): frequency = purchase days after
    /// the first, recency = first to last purchase day, T = first purchase day to `as_of`,
    /// litt = the sum of the logarithms of the gaps between purchase days.
    pub history: Option<TimedSummary>,
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
    let (mut tonnes_all, mut days_all, mut litt) = (0.0, 0u32, 0.0);
    let mut previous_day: Option<NaiveDate> = None;
    let mut period = 11;
    for &(day, tonnes) in upto {
        let new_day = previous_day != Some(day);
        if let (true, Some(previous)) = (new_day, previous_day) {
            litt += ((day - previous).num_days() as f64 / 7.0).ln();
        }
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

    let history = match (upto.first(), upto.last()) {
        (Some(&(first, _)), Some(&(last, _))) => Some(TimedSummary {
            frequency: f64::from(days_all.saturating_sub(1)),
            recency: (last - first).num_days() as f64 / 7.0,
            t: (as_of - first).num_days() as f64 / 7.0,
            litt,
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
        history,
        mean_purchase_t,
        baseline_tonnes,
        prepaid_not_lifted_t,
        classification,
    }
}

/// Fits the purchase models on the clients that ever bought and picks one
/// ([`compare_models`]): BG/NBD (Poisson purchases) and MBG/CNBD-k (Erlang-k gaps, k by
/// likelihood), both by maximum likelihood on the histories in weeks; the lower AIC wins.
/// Fuel clients reorder on a cycle, so on the demo province MBG/CNBD-k wins and predicts a
/// holdout period better (README, "Sales data and client intelligence").
pub fn fit_model(summaries: &[ClientSummary]) -> ModelComparison {
    let customers: Vec<TimedSummary> = summaries.iter().filter_map(|s| s.history).collect();
    compare_models(&customers)
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
    /// Probability that the client is still buying (the fitted model); `None` for prospects.
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
/// The output has the input's order. [`grade_all`] and [`score`] are its two halves, for a
/// caller that scores parts of the province at once.
pub fn finish(
    summaries: Vec<ClientSummary>,
    rules: &IntelRules,
    model: &ChurnModel,
) -> Vec<ClientFigures> {
    let gradings = grade_all(&summaries, rules);
    summaries
        .into_iter()
        .zip(gradings)
        .map(|(s, g)| score(s, g, rules, model))
        .collect()
}

/// Every client's grade, relative to the others ([`grade_province`]), in the input's order.
pub fn grade_all(summaries: &[ClientSummary], rules: &IntelRules) -> Vec<ClientGrading> {
    let inputs: Vec<GradingInput> = summaries
        .iter()
        .map(|s| GradingInput {
            tonnes_12m: s.tonnes_12m,
            purchases_12m: s.purchases_12m,
            months_with_purchases: s.months_with_purchases,
            days_since_last: s.days_since_last,
        })
        .collect();
    grade_province(&inputs, &rules.grading)
}

/// One client's figures: its summary and grade, with P(alive), the expected purchases over
/// the classification window and the expected volume at risk under `model`.
pub fn score(
    summary: ClientSummary,
    grading: ClientGrading,
    rules: &IntelRules,
    model: &ChurnModel,
) -> ClientFigures {
    let horizon_weeks = rules.classification.window_days as f64 / 7.0;
    let finite = |value: f64| value.is_finite().then_some(value);
    let s = summary;
    let (alive, expected) = match &s.history {
        Some(history) => (
            finite(model.p_alive(history)),
            finite(model.expected_purchases(history, horizon_weeks)),
        ),
        None => (None, None),
    };
    let at_risk = expected.map_or(0.0, |e| {
        (s.baseline_tonnes - e * s.mean_purchase_t).max(0.0)
    });
    ClientFigures {
        client_id: s.client_id,
        grade: grading.grade,
        key_client: grading.key_client,
        rfm: grading.rfm,
        quadrant: grading.quadrant,
        classification: s.classification,
        p_alive: alive,
        expected_purchases_90d: expected,
        expected_volume_at_risk_t: at_risk,
        tonnes_12m: s.tonnes_12m,
        purchases_12m: s.purchases_12m,
        tonnes_90d: s.tonnes_90d,
        prepaid_not_lifted_t: s.prepaid_not_lifted_t,
    }
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
            s.history,
            Some(TimedSummary {
                frequency: 5.0,
                recency: 76.0,
                t: 537.0 / 7.0,
                // Gaps between purchase days: 172, 1, 109, 175 and 75 days.
                litt: [172.0f64, 1.0, 109.0, 175.0, 75.0]
                    .iter()
                    .map(|days| (days / 7.0).ln())
                    .sum(),
            })
        );
        // Any order gives the same summary.
        let mut shuffled = purchases.to_vec();
        shuffled.reverse();
        assert_eq!(summarize_client(id(7), &shuffled, 3.5, as_of(), &rules), s);

        let model = ChurnModel::MbgCnbd(crate::clv_cnbd::MbgCnbdParams {
            k: 2,
            r: 0.5,
            alpha: 5.0,
            a: 0.8,
            b: 2.5,
        });
        let f = finish(vec![s.clone()], &rules, &model);
        let f = &f[0];
        assert_eq!(f.client_id, id(7));
        assert_eq!(f.grade, Some(Grade::D));
        assert!(f.key_client);
        assert_eq!(f.rfm, RfmScores { r: 3, f: 3, m: 3 });
        assert_eq!(f.quadrant, Some(ValueQuadrant::Core));
        let history = s.history.unwrap();
        assert_eq!(f.p_alive, Some(model.p_alive(&history)));
        let expected = model.expected_purchases(&history, 90.0 / 7.0);
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
        assert_eq!(s.history, None);
        assert_eq!(s.classification.class, ClientClass::Prospect);
        let model = fit_model(std::slice::from_ref(&s)).chosen;
        let f = &finish(vec![s], &rules, &model)[0];
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
        assert!(fit.chosen_log_likelihood.is_finite());
        let figures = finish(summaries, &rules, &fit.chosen);
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
        let model = fit_model(&summaries).chosen;
        let figures = finish(summaries.clone(), &rules, &model);
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
}
