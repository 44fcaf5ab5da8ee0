//! Grading (客户分类定级, DESIGN §2.2): grade A–D by trailing-12-month volume, the key-client
//! flag (20/80 rule), RFM scores and the value quadrant — all computed for a whole province at
//! once, because every figure but the grade is relative to the other clients.

use crate::analytics::RfmScores;
use crate::validation::{FieldError, ValidationErrors};
use serde::{Deserialize, Serialize};
use std::cmp::{Ordering, Reverse};

labelled_enum! {
    /// Grade by trailing-12-month volume.
    Grade {
        A => "a", "A 级", "Grade A";
        B => "b", "B 级", "Grade B";
        C => "c", "C 级", "Grade C";
        D => "d", "D 级", "Grade D";
    }
}

labelled_enum! {
    /// Value quadrant by purchase frequency × volume, both split at the province's median.
    ValueQuadrant {
        Core => "core", "核心客户（高频大量）", "Core (frequent, high volume)";
        HighVolumeLowFrequency => "high_volume_low_frequency", "大单低频", "High volume, infrequent";
        FrequentSmall => "frequent_small", "高频小单", "Frequent, small";
        Occasional => "occasional", "偶发客户", "Occasional";
    }
}

/// Volume thresholds of the grades, tonnes per 12 months.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GradeThresholds {
    /// A from this volume (default 1,000 t).
    pub a: f64,
    /// B from this volume (default 300 t).
    pub b: f64,
    /// C from this volume (default 50 t).
    pub c: f64,
}

impl Default for GradeThresholds {
    fn default() -> Self {
        Self {
            a: 1000.0,
            b: 300.0,
            c: 50.0,
        }
    }
}

/// The grade of a trailing-12-month volume.
pub fn grade_for_volume(tonnes_12m: f64, thresholds: &GradeThresholds) -> Grade {
    if tonnes_12m >= thresholds.a {
        Grade::A
    } else if tonnes_12m >= thresholds.b {
        Grade::B
    } else if tonnes_12m >= thresholds.c {
        Grade::C
    } else {
        Grade::D
    }
}

/// The grading rules of §2.2 (part of a versioned rule set).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GradingRules {
    /// Volume thresholds of the grades.
    pub thresholds: GradeThresholds,
    /// Key clients are the fewest clients, largest first, whose trailing-12-month volume
    /// together reaches this share of the province's (default 0.8: the 20/80 rule).
    pub key_volume_share: f64,
}

impl Default for GradingRules {
    fn default() -> Self {
        Self {
            thresholds: GradeThresholds::default(),
            key_volume_share: 0.8,
        }
    }
}

impl GradingRules {
    /// Checks the rules an administrator submits: finite thresholds with A ≥ B ≥ C ≥ 0 and a
    /// key-volume share in (0, 1]. Field names are prefixed with `prefix` (e.g. `grading.`).
    pub fn check(&self, prefix: &str, errors: &mut ValidationErrors) {
        let t = &self.thresholds;
        let field = |name: &str| format!("{prefix}{name}");
        for (name, value) in [
            ("thresholds.a", t.a),
            ("thresholds.b", t.b),
            ("thresholds.c", t.c),
        ] {
            if !value.is_finite() || value < 0.0 {
                errors.push(FieldError::out_of_range(&field(name), 0.0, 1e9));
            }
        }
        if t.a < t.b || t.b < t.c {
            errors.push(FieldError::new(
                field("thresholds"),
                "invalid_order",
                format!(
                    "{}: the thresholds must satisfy A ≥ B ≥ C",
                    field("thresholds")
                ),
                format!("{}：门槛必须满足 A ≥ B ≥ C", field("thresholds")),
            ));
        }
        let share = self.key_volume_share;
        if !(share > 0.0 && share <= 1.0) {
            errors.push(FieldError::out_of_range(
                &field("key_volume_share"),
                0.0,
                1.0,
            ));
        }
    }
}

/// One client's trailing-12-month aggregates, as [`grade_province`] reads them.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct GradingInput {
    /// Volume in the trailing 12 months, tonnes.
    pub tonnes_12m: f64,
    /// Distinct purchase days in the trailing 12 months. A client with none is not a buying
    /// client: it gets no grade, no quadrant, RFM 0 and is never a key client.
    pub purchases_12m: u32,
    /// Months with a purchase in the trailing 12 months. Carried for the record and the
    /// display; the current rules do not score it.
    pub months_with_purchases: u32,
    /// Days since the last purchase (`None`: never bought).
    pub days_since_last: Option<i64>,
}

/// One client's grading result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientGrading {
    /// Grade by volume; `None` without purchases in the trailing 12 months.
    pub grade: Option<Grade>,
    /// Among the key clients (the fewest, largest clients making up the key-volume share).
    pub key_client: bool,
    /// RFM scores 1–5 among the province's buying clients; all 0 for a client without
    /// purchases in the trailing 12 months.
    pub rfm: RfmScores,
    /// Frequency × volume quadrant; `None` without purchases in the trailing 12 months.
    pub quadrant: Option<ValueQuadrant>,
}

/// A volume that can be ranked and summed: net returns (negative) and non-numbers count as 0.
fn usable_volume(tonnes: f64) -> f64 {
    if tonnes.is_finite() && tonnes > 0.0 {
        tonnes
    } else {
        0.0
    }
}

/// Grades every client of a province at once; the result has the input's order.
///
/// *Buying clients* are those with at least one purchase day in the trailing 12 months; only
/// they are graded, scored and split into quadrants, and every relative figure is relative
/// to them.
///
/// - **Grade**: [`grade_for_volume`] of the trailing-12-month volume.
/// - **Key clients**: buying clients sorted by volume, largest first (equal volumes: the
///   earlier input first), are taken until their cumulative volume reaches
///   `key_volume_share` × the total volume. That is the smallest such set. Clients with no
///   (or negative) volume are never key clients; with a total of 0 there are none.
/// - **RFM** (1–5, 5 best: most recent, most purchase days, most volume): for each measure a
///   client's mid-rank percentile is `p = (worse + equal / 2) / n`, where `worse` counts the
///   buying clients with a strictly worse value, `equal` those with the same value (itself
///   included) and `n` all buying clients; the score is `1 + ⌊5p⌋`, computed exactly in
///   integers. Distinct values fall into five equal quintiles; equal values always get the
///   same score (a measure where everyone ties scores 3 for all).
/// - **Quadrant**: purchase days and volume are each compared with their median among the
///   buying clients (the mean of the middle two for an even count); "high" means ≥ median.
///   High on both → core; high volume only → high-volume-low-frequency; high frequency only
///   → frequent-small; neither → occasional.
///
/// O(n log n): three sorts of the buying clients.
pub fn grade_province(clients: &[GradingInput], rules: &GradingRules) -> Vec<ClientGrading> {
    let mut out: Vec<ClientGrading> = clients
        .iter()
        .map(|c| ClientGrading {
            grade: (c.purchases_12m > 0)
                .then(|| grade_for_volume(usable_volume(c.tonnes_12m), &rules.thresholds)),
            ..ClientGrading::default()
        })
        .collect();
    // Input indices of the buying clients.
    let buying: Vec<usize> = (0..clients.len())
        .filter(|&i| clients[i].purchases_12m > 0)
        .collect();
    let n = buying.len();
    if n == 0 {
        return out;
    }
    let volume = |i: usize| usable_volume(clients[i].tonnes_12m);

    // Volume, ascending (worst first): the M score, the volume median and the key clients.
    let mut by_volume = buying.clone();
    by_volume.sort_by(|&p, &q| volume(p).total_cmp(&volume(q)).then(q.cmp(&p)));
    assign_scores(
        &by_volume,
        |p, q| volume(p).total_cmp(&volume(q)),
        |i, s| {
            out[i].rfm.m = s;
        },
    );
    let volume_median = median(&by_volume, volume);
    mark_key_clients(&by_volume, volume, rules.key_volume_share, &mut out);

    // Purchase days, ascending: the F score and the frequency median.
    let frequency = |i: usize| clients[i].purchases_12m;
    let mut by_frequency = buying.clone();
    by_frequency.sort_by_key(|&i| frequency(i));
    assign_scores(
        &by_frequency,
        |p, q| frequency(p).cmp(&frequency(q)),
        |i, s| {
            out[i].rfm.f = s;
        },
    );
    let frequency_median = median(&by_frequency, |i| f64::from(frequency(i)));

    // Recency: more days since the last purchase is worse, so it sorts first.
    let silence = |i: usize| Reverse(clients[i].days_since_last.unwrap_or(i64::MAX));
    let mut by_recency = buying.clone();
    by_recency.sort_by_key(|&i| silence(i));
    assign_scores(
        &by_recency,
        |p, q| silence(p).cmp(&silence(q)),
        |i, s| {
            out[i].rfm.r = s;
        },
    );

    for &i in &buying {
        let high_volume = volume(i) >= volume_median;
        let high_frequency = f64::from(frequency(i)) >= frequency_median;
        out[i].quadrant = Some(match (high_frequency, high_volume) {
            (true, true) => ValueQuadrant::Core,
            (false, true) => ValueQuadrant::HighVolumeLowFrequency,
            (true, false) => ValueQuadrant::FrequentSmall,
            (false, false) => ValueQuadrant::Occasional,
        });
    }
    out
}

/// Gives every client of `sorted` (worst first under `cmp`) its 1–5 score by mid-rank
/// percentile, equal values alike.
fn assign_scores(
    sorted: &[usize],
    cmp: impl Fn(usize, usize) -> Ordering,
    mut set: impl FnMut(usize, u8),
) {
    let n = sorted.len() as u64;
    let mut start = 0;
    while start < sorted.len() {
        let mut end = start + 1;
        while end < sorted.len() && cmp(sorted[start], sorted[end]) == Ordering::Equal {
            end += 1;
        }
        let (worse, equal) = (start as u64, (end - start) as u64);
        // 1 + ⌊5 (worse + equal/2) / n⌋; at most 1 + ⌊5 (2n − 1) / 2n⌋ = 5.
        let score = 1 + (5 * (2 * worse + equal)) / (2 * n);
        for &i in &sorted[start..end] {
            set(i, score as u8);
        }
        start = end;
    }
}

/// The median of `value` over `sorted` (ascending, not empty).
fn median(sorted: &[usize], value: impl Fn(usize) -> f64) -> f64 {
    let n = sorted.len();
    if n == 0 {
        return 0.0;
    }
    if n % 2 == 1 {
        value(sorted[n / 2])
    } else {
        (value(sorted[n / 2 - 1]) + value(sorted[n / 2])) / 2.0
    }
}

/// Marks the smallest prefix of the largest volumes that reaches `share` of the total.
/// `ascending` lists volumes smallest first, equal volumes later input first, so walking it
/// backwards gives largest first with equal volumes in input order.
fn mark_key_clients(
    ascending: &[usize],
    volume: impl Fn(usize) -> f64,
    share: f64,
    out: &mut [ClientGrading],
) {
    // Summed in the order of the walk below, so a share of 1 is reached exactly.
    let total: f64 = ascending.iter().rev().map(|&i| volume(i)).sum();
    let target = share * total;
    if target.is_nan() || target <= 0.0 {
        return;
    }
    let mut cumulative = 0.0;
    for &i in ascending.iter().rev() {
        let v = volume(i);
        if v <= 0.0 {
            break;
        }
        cumulative += v;
        out[i].key_client = true;
        if cumulative >= target {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn client(tonnes: f64, purchases: u32, days_since_last: i64) -> GradingInput {
        GradingInput {
            tonnes_12m: tonnes,
            purchases_12m: purchases,
            months_with_purchases: purchases.min(12),
            days_since_last: Some(days_since_last),
        }
    }

    #[test]
    fn grades_split_at_the_default_thresholds() {
        let t = GradeThresholds::default();
        assert_eq!(grade_for_volume(1000.0, &t), Grade::A);
        assert_eq!(grade_for_volume(999.999, &t), Grade::B);
        assert_eq!(grade_for_volume(300.0, &t), Grade::B);
        assert_eq!(grade_for_volume(50.0, &t), Grade::C);
        assert_eq!(grade_for_volume(49.9, &t), Grade::D);
    }

    #[test]
    fn clients_without_purchases_in_twelve_months_get_no_grade_scores_or_quadrant() {
        let clients = [
            client(500.0, 10, 5),
            GradingInput {
                days_since_last: Some(400),
                ..GradingInput::default()
            },
            GradingInput::default(),
        ];
        let out = grade_province(&clients, &GradingRules::default());
        assert_eq!(out[0].grade, Some(Grade::B));
        assert_eq!(out[0].rfm, RfmScores { r: 3, f: 3, m: 3 });
        assert!(out[0].key_client);
        assert_eq!(out[0].quadrant, Some(ValueQuadrant::Core));
        for none in &out[1..] {
            assert_eq!(*none, ClientGrading::default());
        }
        assert!(grade_province(&[], &GradingRules::default()).is_empty());
    }

    #[test]
    fn key_clients_are_the_fewest_largest_reaching_eighty_percent() {
        // Total 1,000 t; 500 + 200 = 700 < 800, + 100 = 800 reaches it. The two 100 t
        // clients tie: the earlier one is the key client.
        let volumes = [50.0, 100.0, 500.0, 100.0, 200.0, 30.0, 20.0];
        let clients: Vec<GradingInput> = volumes.iter().map(|&t| client(t, 3, 10)).collect();
        let key: Vec<bool> = grade_province(&clients, &GradingRules::default())
            .iter()
            .map(|g| g.key_client)
            .collect();
        assert_eq!(key, [false, true, true, false, true, false, false]);
        // A share of 1 takes every client with volume, not the ones with 0 t.
        let rules = GradingRules {
            key_volume_share: 1.0,
            ..GradingRules::default()
        };
        let mut with_zero = clients.clone();
        with_zero.push(client(0.0, 1, 3));
        let all = grade_province(&with_zero, &rules);
        assert!(all[..7].iter().all(|g| g.key_client));
        assert!(!all[7].key_client);
    }

    #[test]
    fn rfm_scores_are_quintiles_and_ties_share_a_score() {
        // Ten distinct volumes: two clients per quintile.
        let clients: Vec<GradingInput> = (1..=10)
            .map(|k| client(f64::from(k) * 10.0, 11 - k, i64::from(k)))
            .collect();
        let out = grade_province(&clients, &GradingRules::default());
        let m: Vec<u8> = out.iter().map(|g| g.rfm.m).collect();
        assert_eq!(m, [1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Fewer purchase days and longer silence run the other way.
        let f: Vec<u8> = out.iter().map(|g| g.rfm.f).collect();
        assert_eq!(f, [5, 5, 4, 4, 3, 3, 2, 2, 1, 1]);
        let r: Vec<u8> = out.iter().map(|g| g.rfm.r).collect();
        assert_eq!(r, f);
        // Ties: four clients bought 12 times, one 2 times: worse = 1, equal = 4 of 5
        // → p = (1 + 2) / 5 = 0.6 → 4; the lone one: p = 0.5 / 5 = 0.1 → 1.
        let tied: Vec<GradingInput> = [12, 2, 12, 12, 12]
            .iter()
            .map(|&f| client(10.0, f, 3))
            .collect();
        let out = grade_province(&tied, &GradingRules::default());
        let f: Vec<u8> = out.iter().map(|g| g.rfm.f).collect();
        assert_eq!(f, [4, 1, 4, 4, 4]);
        assert!(out.iter().all(|g| g.rfm.m == 3 && g.rfm.r == 3));
    }

    #[test]
    fn quadrants_split_at_the_medians() {
        // Medians: 6 purchase days (mean of 4 and 8), 100 t (mean of 80 and 120).
        let clients = [
            client(200.0, 10, 1), // both high
            client(120.0, 2, 1),  // volume only
            client(80.0, 8, 1),   // frequency only
            client(10.0, 4, 1),   // neither
        ];
        let q: Vec<Option<ValueQuadrant>> = grade_province(&clients, &GradingRules::default())
            .iter()
            .map(|g| g.quadrant)
            .collect();
        assert_eq!(
            q,
            [
                Some(ValueQuadrant::Core),
                Some(ValueQuadrant::HighVolumeLowFrequency),
                Some(ValueQuadrant::FrequentSmall),
                Some(ValueQuadrant::Occasional),
            ]
        );
    }

    #[test]
    fn rules_with_thresholds_out_of_order_or_a_share_above_one_are_refused() {
        let mut errors = ValidationErrors::new();
        GradingRules::default().check("grading.", &mut errors);
        assert!(errors.is_empty());
        let bad = GradingRules {
            thresholds: GradeThresholds {
                a: 100.0,
                b: 300.0,
                c: f64::NAN,
            },
            key_volume_share: 1.5,
        };
        bad.check("grading.", &mut errors);
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "grading.thresholds.c",
                "grading.thresholds",
                "grading.key_volume_share"
            ]
        );
        let json = r#"{"thresholds":{"a":1000,"b":300,"c":50},"key_volume_share":0.8,"x":1}"#;
        assert!(serde_json::from_str::<GradingRules>(json).is_err());
    }

    proptest! {
        #[test]
        fn key_clients_reach_the_share_and_scores_stay_in_range(
            raw in proptest::collection::vec((0u32..2000, 0u32..60, 0i64..400), 1..80),
            share in 0.05f64..1.0,
        ) {
            let clients: Vec<GradingInput> = raw
                .iter()
                .map(|&(kg, purchases, days)| client(f64::from(kg) / 4.0, purchases, days))
                .collect();
            let rules = GradingRules { key_volume_share: share, ..GradingRules::default() };
            let out = grade_province(&clients, &rules);
            prop_assert_eq!(out.len(), clients.len());
            let buying = |c: &GradingInput| c.purchases_12m > 0;
            let total: f64 = clients.iter().filter(|c| buying(c)).map(|c| c.tonnes_12m).sum();
            let key: Vec<f64> = clients.iter().zip(&out).filter(|(_, g)| g.key_client).map(|(c, _)| c.tonnes_12m).collect();
            let key_sum: f64 = key.iter().sum();
            let smallest = key.iter().copied().fold(f64::INFINITY, f64::min);
            let eps = 1e-9 * (1.0 + total);
            if total > 0.0 {
                prop_assert!(key_sum >= share * total - eps, "{} < {}", key_sum, share * total);
                prop_assert!(key_sum - smallest < share * total + eps);
            } else {
                prop_assert!(key.is_empty());
            }
            for (c, g) in clients.iter().zip(&out) {
                prop_assert_eq!(g.grade.is_some(), buying(c));
                prop_assert_eq!(g.quadrant.is_some(), buying(c));
                if g.key_client {
                    prop_assert!(buying(c) && c.tonnes_12m > 0.0);
                } else if buying(c) && !key.is_empty() {
                    prop_assert!(c.tonnes_12m <= smallest);
                }
                for s in [g.rfm.r, g.rfm.f, g.rfm.m] {
                    if buying(c) {
                        prop_assert!((1..=5).contains(&s));
                    } else {
                        prop_assert_eq!(s, 0);
                    }
                }
            }
            // Equal values score alike; a better value never scores lower.
            for (a, ga) in clients.iter().zip(&out).filter(|(c, _)| buying(c)) {
                for (b, gb) in clients.iter().zip(&out).filter(|(c, _)| buying(c)) {
                    if a.tonnes_12m >= b.tonnes_12m { prop_assert!(ga.rfm.m >= gb.rfm.m); }
                    if a.purchases_12m >= b.purchases_12m { prop_assert!(ga.rfm.f >= gb.rfm.f); }
                    if a.days_since_last <= b.days_since_last { prop_assert!(ga.rfm.r >= gb.rfm.r); }
                }
            }
        }
    }
}
