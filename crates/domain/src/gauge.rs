//! Tank gauges (液位仪, DESIGN §2.8): from one tank's level readings, how fast the station
//! draws fuel, when the tank runs dry and whether to call the client for replenishment.
//!
//! A tank's history is cut into *episodes*: an episode starts when the tank is refilled and
//! lasts until the next refill. Consumption is the falling slope of the level within the
//! current episode, so a delivery never looks like negative consumption. The start of the
//! episode is also what keeps the replenishment call to one task per episode: the caller
//! dedupes its tasks on (tank, episode start).

use crate::validation::FieldError;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

/// A reading may exceed the nominal capacity by this share (gauges are calibrated loosely
/// and tanks have headroom) before it is refused.
pub const LEVEL_ALLOWANCE_OVER_CAPACITY: f64 = 0.05;

/// How readings are turned into a consumption rate (part of a versioned rule set).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GaugeRules {
    /// A level rising by more than this share of the capacity above the lowest level of the
    /// current episode is a refill and starts a new episode (default 0.02: smaller rises
    /// are gauge noise or thermal expansion).
    pub refill_tolerance_share: f64,
    /// The consumption rate is fitted over the current episode's readings of this many
    /// trailing days, counted back from the last reading (default 14).
    pub window_days: f64,
    /// Readings spanning less than this many hours give no rate (default 6): right after a
    /// refill a few minutes of noise would otherwise look like a huge draw.
    pub min_span_hours: f64,
    /// Call for replenishment when the tank is expected to run dry within this many days
    /// (default 3).
    pub replenish_threshold_days: f64,
}

impl Default for GaugeRules {
    fn default() -> Self {
        Self {
            refill_tolerance_share: 0.02,
            window_days: 14.0,
            min_span_hours: 6.0,
            replenish_threshold_days: 3.0,
        }
    }
}

/// What the readings say about one tank.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TankStatus {
    /// Litres drawn per day: the negated least-squares slope of the level over the current
    /// episode's readings in the trailing window. `None` with fewer than two such readings,
    /// a span shorter than the minimum, or a level that does not fall.
    pub consumption_litres_per_day: Option<f64>,
    /// Days from the last reading until the tank is empty at that rate (`None` without a
    /// rate).
    pub days_until_empty: Option<f64>,
    /// Level of the last reading, litres.
    pub last_level: f64,
    /// Time of the last reading.
    pub last_reading_at: DateTime<Utc>,
    /// When the current episode started: the top of the latest refill among the readings.
    /// `None` when the readings hold no refill (the episode began before the first of them);
    /// pass readings reaching back past the last refill (e.g. 60 days) to get it.
    pub episode_started_at: Option<DateTime<Utc>>,
}

/// Days between two instants, fractional.
fn days_between(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_milliseconds() as f64 / 86_400_000.0
}

/// The status of a tank of `capacity_litres` from its readings `(time, level in litres)`,
/// in any order; readings whose level is not a finite number are skipped. `None` when no
/// reading is left.
///
/// A reading is a refill when its level exceeds the lowest level of the current episode so
/// far by more than `refill_tolerance_share` × capacity (so a slow fill in small steps is
/// caught too); the new episode starts at the top of the fill, the last of the readings that
/// keep rising after it. A capacity that is not positive gives a tolerance of 0.
pub fn tank_status(
    readings: &[(DateTime<Utc>, f64)],
    capacity_litres: f64,
    rules: &GaugeRules,
) -> Option<TankStatus> {
    let mut sorted: Vec<(DateTime<Utc>, f64)> = readings
        .iter()
        .copied()
        .filter(|(_, level)| level.is_finite())
        .collect();
    sorted.sort_by_key(|(time, _)| *time);
    let &(last_time, last_level) = sorted.last()?;
    let tolerance = if capacity_litres.is_finite() && capacity_litres > 0.0 {
        rules.refill_tolerance_share * capacity_litres
    } else {
        0.0
    };

    let mut start = 0;
    let mut refilled = false;
    let mut lowest = sorted[0].1;
    let mut i = 1;
    while i < sorted.len() {
        if sorted[i].1 > lowest + tolerance {
            let mut top = i;
            while top + 1 < sorted.len() && sorted[top + 1].1 > sorted[top].1 {
                top += 1;
            }
            start = top;
            refilled = true;
            lowest = sorted[top].1;
            i = top + 1;
        } else {
            lowest = lowest.min(sorted[i].1);
            i += 1;
        }
    }

    let window_start = TimeDelta::try_milliseconds((rules.window_days * 86_400_000.0) as i64)
        .and_then(|window| last_time.checked_sub_signed(window))
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let episode = &sorted[start..];
    let used = &episode[episode.partition_point(|(time, _)| *time < window_start)..];
    let consumption = falling_rate(used, rules.min_span_hours);
    Some(TankStatus {
        consumption_litres_per_day: consumption,
        days_until_empty: consumption.map(|rate| last_level.max(0.0) / rate),
        last_level,
        last_reading_at: last_time,
        episode_started_at: refilled.then_some(sorted[start].0),
    })
}

/// Litres per day drawn over `readings` (sorted by time): the negated least-squares slope,
/// `None` when it does not fall or the readings are too few or too close together.
fn falling_rate(readings: &[(DateTime<Utc>, f64)], min_span_hours: f64) -> Option<f64> {
    let (&(first, _), &(last, _)) = (readings.first()?, readings.last()?);
    if readings.len() < 2 || days_between(first, last) * 24.0 < min_span_hours.max(0.0) {
        return None;
    }
    // Centred sums: numerically stable for levels in the tens of thousands of litres.
    let n = readings.len() as f64;
    let xs = || readings.iter().map(|(time, _)| days_between(first, *time));
    let mean_x = xs().sum::<f64>() / n;
    let mean_y = readings.iter().map(|(_, level)| level).sum::<f64>() / n;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (x, (_, y)) in xs().zip(readings) {
        sxy += (x - mean_x) * (y - mean_y);
        sxx += (x - mean_x) * (x - mean_x);
    }
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    (slope < 0.0 && slope.is_finite()).then_some(-slope)
}

/// Whether the tank is expected to run dry within `threshold_days` of its last reading
/// (the rule set's `replenish_threshold_days`, 3 by default). False without a rate.
pub fn needs_replenishment(status: &TankStatus, threshold_days: f64) -> bool {
    status
        .days_until_empty
        .is_some_and(|days| days <= threshold_days)
}

/// Checks one incoming reading: a positive, finite capacity and a finite level between 0 and
/// capacity × (1 + [`LEVEL_ALLOWANCE_OVER_CAPACITY`]). Field names (`level_litres`,
/// `capacity_litres`) are prefixed with `prefix` (e.g. `readings[3].`). Codes: `not_finite`,
/// `not_positive`, `negative`, `exceeds_capacity`.
pub fn check_gauge_reading(
    prefix: &str,
    level_litres: f64,
    capacity_litres: f64,
) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let level_field = format!("{prefix}level_litres");
    let capacity_field = format!("{prefix}capacity_litres");
    let capacity_ok = if !capacity_litres.is_finite() {
        errors.push(not_finite(&capacity_field));
        false
    } else if capacity_litres <= 0.0 {
        errors.push(FieldError::new(
            &capacity_field,
            "not_positive",
            format!(
                "{capacity_field}: the capacity must be more than 0 litres (got {capacity_litres})"
            ),
            format!("{capacity_field}：容量必须大于 0 升（收到 {capacity_litres}）"),
        ));
        false
    } else {
        true
    };
    if !level_litres.is_finite() {
        errors.push(not_finite(&level_field));
    } else if level_litres < 0.0 {
        errors.push(FieldError::new(
            &level_field,
            "negative",
            format!("{level_field}: the level must not be negative (got {level_litres})"),
            format!("{level_field}：液位不能为负数（收到 {level_litres}）"),
        ));
    } else if capacity_ok && level_litres > capacity_litres * (1.0 + LEVEL_ALLOWANCE_OVER_CAPACITY)
    {
        errors.push(FieldError::new(
            &level_field,
            "exceeds_capacity",
            format!(
                "{level_field}: {level_litres} litres is more than the tank's capacity of {capacity_litres} litres"
            ),
            format!("{level_field}：液位 {level_litres} 升超过油罐容量 {capacity_litres} 升"),
        ));
    }
    errors
}

fn not_finite(field: &str) -> FieldError {
    FieldError::new(
        field,
        "not_finite",
        format!("{field} must be a finite number"),
        format!("{field} 必须是有效数字"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(hours: f64) -> DateTime<Utc> {
        let start = Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap();
        start + TimeDelta::milliseconds((hours * 3_600_000.0) as i64)
    }

    /// Readings every `step` hours from `from` for `count` readings, falling `per_day` litres
    /// a day from `level`.
    fn draining(
        from: f64,
        step: f64,
        count: usize,
        level: f64,
        per_day: f64,
    ) -> Vec<(DateTime<Utc>, f64)> {
        (0..count)
            .map(|k| {
                let hours = from + step * k as f64;
                (at(hours), level - per_day * (hours - from) / 24.0)
            })
            .collect()
    }

    #[test]
    fn a_steady_draw_gives_its_rate_and_the_days_left() {
        let readings = draining(0.0, 6.0, 20, 20_000.0, 2_000.0);
        let status = tank_status(&readings, 30_000.0, &GaugeRules::default()).unwrap();
        let rate = status.consumption_litres_per_day.unwrap();
        assert!((rate - 2_000.0).abs() < 1e-6, "{rate}");
        // 19 readings × 6 h = 4.75 days: 20,000 − 9,500 = 10,500 l left → 5.25 days.
        assert!((status.last_level - 10_500.0).abs() < 1e-6);
        assert!((status.days_until_empty.unwrap() - 5.25).abs() < 1e-6);
        assert_eq!(status.last_reading_at, at(114.0));
        assert_eq!(status.episode_started_at, None);
        assert!(!needs_replenishment(&status, 3.0));
        assert!(needs_replenishment(&status, 6.0));
    }

    #[test]
    fn a_refill_starts_a_new_episode_and_the_rate_ignores_the_old_one() {
        // 3,000 l/day for 5 days, a delivery, then 1,000 l/day.
        let mut readings = draining(0.0, 12.0, 10, 25_000.0, 3_000.0);
        readings.extend(draining(120.0, 12.0, 8, 28_000.0, 1_000.0));
        // Out of order input is fine.
        readings.reverse();
        let status = tank_status(&readings, 30_000.0, &GaugeRules::default()).unwrap();
        assert_eq!(status.episode_started_at, Some(at(120.0)));
        let rate = status.consumption_litres_per_day.unwrap();
        assert!((rate - 1_000.0).abs() < 1e-6, "{rate}");
    }

    #[test]
    fn a_delivery_seen_in_several_rising_readings_starts_the_episode_at_its_top() {
        let mut readings = draining(0.0, 6.0, 8, 10_000.0, 2_000.0);
        // Filling in 400 l steps (under the 600 l tolerance each) at 44–46 h.
        readings.push((at(44.0), 6_000.0));
        readings.push((at(45.0), 6_400.0));
        readings.push((at(46.0), 6_800.0));
        readings.extend(draining(48.0, 6.0, 6, 6_700.0, 2_000.0));
        let status = tank_status(&readings, 30_000.0, &GaugeRules::default()).unwrap();
        assert_eq!(status.episode_started_at, Some(at(46.0)));
        let rate = status.consumption_litres_per_day.unwrap();
        assert!(rate > 1_500.0, "{rate}");
    }

    #[test]
    fn small_wobbles_are_not_refills() {
        let mut readings = draining(0.0, 6.0, 12, 20_000.0, 1_000.0);
        for (k, reading) in readings.iter_mut().enumerate() {
            reading.1 += if k % 2 == 0 { 150.0 } else { -150.0 };
        }
        let status = tank_status(&readings, 30_000.0, &GaugeRules::default()).unwrap();
        assert_eq!(status.episode_started_at, None);
        let rate = status.consumption_litres_per_day.unwrap();
        assert!((rate - 1_000.0).abs() < 100.0, "{rate}");
    }

    #[test]
    fn only_the_trailing_window_counts() {
        // 500 l/day for 20 days, then 2,000 l/day for 10: a 14-day window sees mostly the
        // faster draw.
        let mut readings = draining(0.0, 24.0, 21, 29_000.0, 500.0);
        readings.extend(draining(504.0, 24.0, 10, 18_000.0, 2_000.0));
        let rate = tank_status(&readings, 30_000.0, &GaugeRules::default())
            .unwrap()
            .consumption_litres_per_day
            .unwrap();
        assert!(rate > 1_200.0, "{rate}");
    }

    #[test]
    fn too_few_too_close_or_rising_readings_give_no_rate() {
        let rules = GaugeRules::default();
        assert_eq!(tank_status(&[], 30_000.0, &rules), None);
        let one = tank_status(&[(at(0.0), 5_000.0)], 30_000.0, &rules).unwrap();
        assert_eq!(one.consumption_litres_per_day, None);
        assert!(!needs_replenishment(&one, 3.0));
        let close = draining(0.0, 0.5, 6, 5_000.0, 50_000.0);
        assert_eq!(
            tank_status(&close, 30_000.0, &rules)
                .unwrap()
                .consumption_litres_per_day,
            None
        );
        let flat = draining(0.0, 6.0, 6, 5_000.0, 0.0);
        assert_eq!(
            tank_status(&flat, 30_000.0, &rules)
                .unwrap()
                .days_until_empty,
            None
        );
        // A not-a-number reading is skipped, not fatal.
        let mut with_nan = draining(0.0, 6.0, 6, 5_000.0, 1_000.0);
        with_nan.push((at(40.0), f64::NAN));
        let status = tank_status(&with_nan, 30_000.0, &rules).unwrap();
        assert_eq!(status.last_reading_at, at(30.0));
    }

    #[test]
    fn a_tank_nearly_dry_needs_replenishment_once_per_episode() {
        let rules = GaugeRules::default();
        let mut readings = draining(0.0, 12.0, 10, 29_000.0, 5_000.0);
        readings.extend(draining(120.0, 12.0, 6, 9_000.0, 2_000.0));
        let first = tank_status(&readings, 30_000.0, &rules).unwrap();
        assert!(needs_replenishment(&first, rules.replenish_threshold_days));
        // A later reading of the same episode keeps the same episode start (the dedupe key).
        readings.push((at(192.0), 3_500.0));
        let later = tank_status(&readings, 30_000.0, &rules).unwrap();
        assert!(needs_replenishment(&later, rules.replenish_threshold_days));
        assert_eq!(later.episode_started_at, first.episode_started_at);
        assert!(later.days_until_empty.unwrap() < first.days_until_empty.unwrap());
    }

    #[test]
    fn bad_readings_name_their_field_and_code() {
        let codes = |level, capacity| -> Vec<(String, String)> {
            check_gauge_reading("r.", level, capacity)
                .into_iter()
                .map(|e| (e.field, e.code))
                .collect()
        };
        assert!(codes(10_000.0, 30_000.0).is_empty());
        assert!(codes(31_000.0, 30_000.0).is_empty(), "within 5 % over");
        assert!(codes(0.0, 30_000.0).is_empty());
        let pair = |f: &str, c: &str| (f.to_owned(), c.to_owned());
        assert_eq!(
            codes(32_000.0, 30_000.0),
            [pair("r.level_litres", "exceeds_capacity")]
        );
        assert_eq!(codes(-1.0, 30_000.0), [pair("r.level_litres", "negative")]);
        assert_eq!(
            codes(f64::NAN, 30_000.0),
            [pair("r.level_litres", "not_finite")]
        );
        assert_eq!(codes(5.0, 0.0), [pair("r.capacity_litres", "not_positive")]);
        assert_eq!(
            codes(f64::INFINITY, f64::NAN),
            [
                pair("r.capacity_litres", "not_finite"),
                pair("r.level_litres", "not_finite")
            ]
        );
        let message = &check_gauge_reading("", -3.0, 100.0)[0];
        assert!(
            message.message_zh.contains("液位不能为负数") && message.message.contains("negative")
        );
    }
}
