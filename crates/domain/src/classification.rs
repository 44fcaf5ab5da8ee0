//! Dynamic classification (客户动态分类, DESIGN §2.3): every client, as of a date, gets exactly
//! one class by ordered rules, with the numbers that decided it and a sentence a manager reads.

use chrono::{NaiveDate, TimeDelta};
use serde::{Deserialize, Serialize};

labelled_enum! {
    /// The classes, in the order the rules try them.
    ClientClass {
        Prospect => "prospect", "潜在客户", "Prospect";
        Churned => "churned", "流失客户", "Churned";
        Returning => "returning", "回流客户", "Returning";
        New => "new", "新增客户", "New";
        AtRisk => "at_risk", "潜在流失客户", "At risk";
        Declining => "declining", "减量客户", "Declining";
        Stable => "stable", "稳定客户", "Stable";
    }
}

labelled_enum! {
    /// Why a churned client left, recorded when it is visited.
    ChurnReason {
        Natural => "natural", "自然流失", "Natural (closed or demand ended)";
        Competitor => "competitor", "竞争流失", "Competitor";
        ServiceFault => "service_fault", "过失流失", "Our service failure";
        Deliberate => "deliberate", "恶意流失", "Dispute or credit problem";
    }
}

labelled_enum! {
    /// Which window the recent volume is compared with.
    Baseline {
        YearAgo => "year_ago", "去年同期", "a year earlier";
        PreviousWindow => "previous_window", "前 90 天", "the 90 days before";
    }
}

/// The thresholds of §2.3 (a versioned rule set).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ClassificationRules {
    /// Length of the recent window, days (90).
    pub window_days: i64,
    /// A gap at least this long before a purchase makes the client returning (90).
    pub returning_gap_days: i64,
    /// At risk when silent longer than this at least (30) …
    pub at_risk_min_days: i64,
    /// … or than this many typical intervals (2).
    pub at_risk_interval_factor: f64,
    /// Intervals the typical one is the median of (12).
    pub interval_sample: usize,
    /// At risk below this share of the baseline volume (0.30).
    pub at_risk_volume_ratio: f64,
    /// Declining below this share of the baseline volume (0.70).
    pub declining_volume_ratio: f64,
}

impl Default for ClassificationRules {
    fn default() -> Self {
        Self {
            window_days: 90,
            returning_gap_days: 90,
            at_risk_min_days: 30,
            at_risk_interval_factor: 2.0,
            interval_sample: 12,
            at_risk_volume_ratio: 0.30,
            declining_volume_ratio: 0.70,
        }
    }
}

/// The numbers behind a class.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassReasons {
    /// Days since the last purchase.
    pub days_since_last: Option<i64>,
    /// Median of the last intervals between purchase days, days.
    pub typical_interval_days: Option<f64>,
    /// Volume of the recent window, tonnes.
    pub recent_tonnes: f64,
    /// Volume of the baseline window, tonnes.
    pub baseline_tonnes: Option<f64>,
    /// Which baseline.
    pub baseline: Option<Baseline>,
    /// For returning clients: the gap before their return, days.
    pub gap_days: Option<i64>,
}

/// A client's class on a date, with its reasons.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Classification {
    /// The class.
    pub class: ClientClass,
    /// The numbers.
    pub reasons: ClassReasons,
    /// The reasons as a sentence, Chinese.
    pub sentence_zh: String,
    /// The reasons as a sentence, English.
    pub sentence_en: String,
}

fn tonnes(value: f64) -> String {
    // A sum of nothing or rounding can give -0; it reads as 0.
    let value = if value.abs() < 0.0005 { 0.0 } else { value };
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_owned()
}

/// Classifies a client on `as_of` from its purchases `(day, tonnes)` (any order; later days
/// than `as_of` are ignored; several orders on one day are one purchase day).
pub fn classify(
    purchases: &[(NaiveDate, f64)],
    as_of: NaiveDate,
    rules: &ClassificationRules,
) -> Classification {
    let mut days: Vec<(NaiveDate, f64)> = purchases
        .iter()
        .copied()
        .filter(|(d, _)| *d <= as_of)
        .collect();
    days.sort_by_key(|(d, _)| *d);
    let window = TimeDelta::days(rules.window_days);
    let sum_in = |from: NaiveDate, to: NaiveDate| -> f64 {
        days.iter()
            .filter(|(d, _)| *d > from && *d <= to)
            .map(|(_, t)| t)
            .sum()
    };
    let mut distinct: Vec<NaiveDate> = days.iter().map(|(d, _)| *d).collect();
    distinct.dedup();
    let Some(&last) = distinct.last() else {
        return finish(ClientClass::Prospect, ClassReasons::default());
    };
    let recent_start = as_of - window;
    let recent_tonnes = sum_in(recent_start, as_of);
    let mut reasons = ClassReasons {
        days_since_last: Some((as_of - last).num_days()),
        recent_tonnes,
        ..Default::default()
    };
    let intervals: Vec<i64> = distinct
        .windows(2)
        .map(|w| (w[1] - w[0]).num_days())
        .collect();
    let sample: Vec<i64> = intervals
        .iter()
        .rev()
        .take(rules.interval_sample)
        .copied()
        .collect();
    if !sample.is_empty() {
        let mut sorted = sample.clone();
        sorted.sort_unstable();
        let n = sorted.len();
        let median = if n % 2 == 1 {
            sorted[n / 2] as f64
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) as f64 / 2.0
        };
        reasons.typical_interval_days = Some(median);
    }
    if last <= recent_start {
        return finish(ClientClass::Churned, reasons);
    }
    // The first purchase day inside the recent window and the one before it.
    let first_recent = distinct.iter().position(|d| *d > recent_start).unwrap_or(0);
    if first_recent == 0 {
        return finish(ClientClass::New, reasons);
    }
    let gap = (distinct[first_recent] - distinct[first_recent - 1]).num_days();
    if gap >= rules.returning_gap_days {
        reasons.gap_days = Some(gap);
        return finish(ClientClass::Returning, reasons);
    }
    let year_ago_end = as_of - TimeDelta::days(365);
    let year_ago = sum_in(year_ago_end - window, year_ago_end);
    let (baseline, kind) = if year_ago > 0.0 {
        (year_ago, Baseline::YearAgo)
    } else {
        (
            sum_in(recent_start - window, recent_start),
            Baseline::PreviousWindow,
        )
    };
    reasons.baseline_tonnes = Some(baseline);
    reasons.baseline = Some(kind);
    let silent = reasons.days_since_last.unwrap_or(0) as f64;
    let limit = reasons
        .typical_interval_days
        .map_or(rules.at_risk_min_days as f64, |i| {
            (rules.at_risk_min_days as f64).max(rules.at_risk_interval_factor * i)
        });
    if silent > limit || (baseline > 0.0 && recent_tonnes < rules.at_risk_volume_ratio * baseline) {
        return finish(ClientClass::AtRisk, reasons);
    }
    if baseline > 0.0 && recent_tonnes < rules.declining_volume_ratio * baseline {
        return finish(ClientClass::Declining, reasons);
    }
    finish(ClientClass::Stable, reasons)
}

fn finish(class: ClientClass, reasons: ClassReasons) -> Classification {
    let mut zh = Vec::new();
    let mut en = Vec::new();
    if class == ClientClass::Prospect {
        zh.push("尚未购油".to_owned());
        en.push("has not bought yet".to_owned());
    }
    if let Some(days) = reasons.days_since_last {
        zh.push(format!("最近一次购油 {days} 天前"));
        en.push(format!("last purchase {days} days ago"));
    }
    if let Some(interval) = reasons.typical_interval_days {
        zh.push(format!("通常间隔 {} 天", tonnes(interval)));
        en.push(format!("usual interval {} days", tonnes(interval)));
    }
    if let Some(gap) = reasons.gap_days {
        zh.push(format!("此前中断 {gap} 天"));
        en.push(format!("after a gap of {gap} days"));
    }
    if class != ClientClass::Prospect {
        match (reasons.baseline_tonnes, reasons.baseline) {
            (Some(base), Some(kind)) => {
                zh.push(format!(
                    "近 90 天 {} t，{} {} t",
                    tonnes(reasons.recent_tonnes),
                    kind.label_zh(),
                    tonnes(base)
                ));
                en.push(format!(
                    "last 90 days {} t vs {} t {}",
                    tonnes(reasons.recent_tonnes),
                    tonnes(base),
                    kind.label_en()
                ));
            }
            _ => {
                zh.push(format!("近 90 天 {} t", tonnes(reasons.recent_tonnes)));
                en.push(format!("last 90 days {} t", tonnes(reasons.recent_tonnes)));
            }
        }
    }
    Classification {
        class,
        reasons,
        sentence_zh: zh.join("；"),
        sentence_en: en.join("; "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(days_before: i64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 20).unwrap_or_default() - TimeDelta::days(days_before)
    }

    fn today() -> NaiveDate {
        d(0)
    }

    fn every(from: i64, to: i64, step: usize, t: f64) -> Vec<(NaiveDate, f64)> {
        (to..=from).rev().step_by(step).map(|b| (d(b), t)).collect()
    }

    fn class(p: &[(NaiveDate, f64)]) -> ClientClass {
        classify(p, today(), &ClassificationRules::default()).class
    }

    #[test]
    fn no_purchase_is_a_prospect() {
        assert_eq!(class(&[]), ClientClass::Prospect);
        // A purchase after the date does not count yet.
        assert_eq!(
            classify(&[(d(-3), 5.0)], today(), &ClassificationRules::default()).class,
            ClientClass::Prospect
        );
    }

    #[test]
    fn ninety_silent_days_churn_and_eighty_nine_do_not() {
        let mut p = every(400, 90, 10, 10.0);
        assert_eq!(class(&p), ClientClass::Churned);
        p.push((d(89), 10.0));
        assert_ne!(class(&p), ClientClass::Churned);
    }

    #[test]
    fn a_first_purchase_in_the_window_is_new_and_a_return_after_a_gap_is_returning() {
        assert_eq!(class(&[(d(80), 5.0), (d(20), 5.0)]), ClientClass::New);
        let returning = [(d(300), 5.0), (d(200), 5.0), (d(60), 5.0)];
        let c = classify(&returning, today(), &ClassificationRules::default());
        assert_eq!(c.class, ClientClass::Returning);
        assert_eq!(c.reasons.gap_days, Some(140));
        // A gap of 89 days is not a return.
        assert_ne!(
            class(&[(d(300), 5.0), (d(149), 5.0), (d(60), 5.0)]),
            ClientClass::Returning
        );
    }

    #[test]
    fn silence_beyond_twice_the_usual_interval_is_at_risk() {
        // Buys every 10 days until 25 days ago: 25 > max(30, 20)? No. Until 35 days ago: yes.
        assert_eq!(class(&every(505, 25, 10, 10.0)), ClientClass::Stable);
        let c = classify(
            &every(505, 35, 10, 10.0),
            today(),
            &ClassificationRules::default(),
        );
        assert_eq!(c.class, ClientClass::AtRisk);
        assert_eq!(c.reasons.typical_interval_days, Some(10.0));
        assert!(
            c.sentence_zh.contains("最近一次购油 35 天前")
                && c.sentence_zh.contains("通常间隔 10 天"),
            "{}",
            c.sentence_zh
        );
    }

    #[test]
    fn volume_against_the_seasonal_baseline_decides_declining_and_at_risk() {
        // A year ago 100 t in the window; now 60 t (60 %) → declining; 20 t (20 %) → at risk.
        let mut base: Vec<(NaiveDate, f64)> = every(500, 5, 5, 0.0);
        base.retain(|(day, _)| (today() - *day).num_days() > 90);
        let year_ago: Vec<(NaiveDate, f64)> = every(450, 366, 5, 100.0 / 17.0);
        let make = |recent_total: f64| {
            let mut p = base.clone();
            p.extend(year_ago.iter().copied());
            let recent = every(88, 1, 5, recent_total / 18.0);
            p.extend(recent);
            p
        };
        let declining = classify(&make(60.0), today(), &ClassificationRules::default());
        assert_eq!(declining.class, ClientClass::Declining, "{declining:?}");
        assert_eq!(declining.reasons.baseline, Some(Baseline::YearAgo));
        assert!(
            declining.sentence_en.contains("a year earlier"),
            "{}",
            declining.sentence_en
        );
        assert_eq!(
            classify(&make(20.0), today(), &ClassificationRules::default()).class,
            ClientClass::AtRisk
        );
        assert_eq!(
            classify(&make(95.0), today(), &ClassificationRules::default()).class,
            ClientClass::Stable
        );
    }

    #[test]
    fn without_a_year_ago_the_previous_window_is_the_baseline() {
        let mut p = every(179, 91, 3, 10.0);
        p.extend(every(89, 1, 9, 10.0));
        let c = classify(&p, today(), &ClassificationRules::default());
        assert_eq!(c.reasons.baseline, Some(Baseline::PreviousWindow));
        assert_eq!(c.class, ClientClass::Declining, "{c:?}");
    }

    proptest! {
        #[test]
        fn every_history_gets_exactly_one_class_with_a_sentence(
            raw in proptest::collection::vec((0i64..800, 0.0f64..500.0), 0..60)
        ) {
            let purchases: Vec<(NaiveDate, f64)> = raw.iter().map(|(b, t)| (d(*b), *t)).collect();
            let c = classify(&purchases, today(), &ClassificationRules::default());
            prop_assert!(ClientClass::ALL.contains(&c.class));
            prop_assert!(!c.sentence_zh.is_empty() && !c.sentence_en.is_empty());
            prop_assert_eq!(purchases.is_empty(), c.class == ClientClass::Prospect);
        }
    }
}
