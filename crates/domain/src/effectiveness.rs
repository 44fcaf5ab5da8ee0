//! Visit effectiveness (闭环, DESIGN §2.4): for visits made on tasks raised by the dynamic
//! classes, the client's volume in the 30, 60 and 90 days after the visit against the 90 days
//! before, per visit and summed per assignee or org unit.
//!
//! A window is *measured* once it has fully passed. A visit *recovered* the client in a window
//! when its daily volume in the window reached its daily volume of the 90 days before (for a
//! client that bought nothing before, when it bought anything).

use crate::classification::ClientClass;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The windows after a visit, in days.
pub const WINDOWS: [i64; 3] = [30, 60, 90];

/// The days before a visit its volume is compared with.
pub const BASELINE_DAYS: i64 = 90;

/// One visit to measure.
#[derive(Debug, Clone, PartialEq)]
pub struct VisitedClient {
    /// The client.
    pub client_id: Uuid,
    /// Who visited.
    pub user_id: Uuid,
    /// The day of the visit (China time).
    pub date: NaiveDate,
    /// The client's class now.
    pub class_now: Option<ClientClass>,
}

/// What one visit's window shows.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WindowOutcome {
    /// The window has fully passed.
    pub measured: bool,
    /// Tonnes in the 90 days before the visit (up to and including its day).
    pub before_t: f64,
    /// Tonnes in the window after the visit (so far, when not yet measured).
    pub after_t: f64,
    /// Measured and recovered.
    pub recovered: bool,
}

/// The outcome of each window of [`WINDOWS`] for a visit on `date`, from the client's sales
/// `(day, tonnes)` in any order.
pub fn measure(
    date: NaiveDate,
    sales: &[(NaiveDate, f64)],
    as_of: NaiveDate,
) -> [WindowOutcome; 3] {
    let before_t: f64 = sales
        .iter()
        .filter(|(d, _)| *d <= date && (date - *d).num_days() < BASELINE_DAYS)
        .map(|(_, t)| t)
        .sum();
    WINDOWS.map(|days| {
        let after_t: f64 = sales
            .iter()
            .filter(|(d, _)| *d > date && (*d - date).num_days() <= days)
            .map(|(_, t)| t)
            .sum();
        let measured = (as_of - date).num_days() >= days;
        let recovered = measured
            && if before_t > 0.0 {
                after_t / days as f64 >= before_t / BASELINE_DAYS as f64
            } else {
                after_t > 0.0
            };
        WindowOutcome {
            measured,
            before_t,
            after_t,
            recovered,
        }
    })
}

/// The class a recovered client is in: buying steadily again.
pub fn class_recovered(class: Option<ClientClass>) -> bool {
    matches!(
        class,
        Some(ClientClass::Stable | ClientClass::Returning | ClientClass::New)
    )
}

/// One window's sums over a row's visits.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowFigure {
    /// The window, days after the visit.
    pub days: i64,
    /// Visits whose window has passed.
    pub measured: u64,
    /// Of those, the ones that recovered the client.
    pub recovered: u64,
    /// recovered ÷ measured, percent (one decimal); `null` when nothing is measured yet.
    pub recovery_rate: Option<f64>,
    /// Tonnes in the 90 days before, over the measured visits.
    pub before_t: f64,
    /// Tonnes in the window after, over the measured visits.
    pub after_t: f64,
}

/// Effectiveness of one assignee or org unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectivenessRow {
    /// The assignee or unit.
    pub id: Uuid,
    /// Its name.
    pub name: String,
    /// Visits on dynamic-class tasks.
    pub visits: u64,
    /// Of their clients, those whose class now is stable, new or returning.
    pub class_recovered: u64,
    /// The 30-, 60- and 90-day windows.
    pub windows: Vec<WindowFigure>,
}

impl EffectivenessRow {
    /// An empty row.
    pub fn new(id: Uuid, name: String) -> Self {
        Self {
            id,
            name,
            visits: 0,
            class_recovered: 0,
            windows: WINDOWS
                .iter()
                .map(|days| WindowFigure {
                    days: *days,
                    ..WindowFigure::default()
                })
                .collect(),
        }
    }

    /// Adds one visit's outcomes.
    pub fn add(&mut self, outcomes: &[WindowOutcome; 3], class_now: Option<ClientClass>) {
        self.visits += 1;
        self.class_recovered += u64::from(class_recovered(class_now));
        for (figure, outcome) in self.windows.iter_mut().zip(outcomes) {
            if outcome.measured {
                figure.measured += 1;
                figure.recovered += u64::from(outcome.recovered);
                figure.before_t += outcome.before_t;
                figure.after_t += outcome.after_t;
            }
        }
    }

    /// Fills in the rates and rounds the tonnes.
    pub fn finish(&mut self) {
        for figure in &mut self.windows {
            figure.recovery_rate = (figure.measured > 0).then(|| {
                (figure.recovered as f64 * 1000.0 / figure.measured as f64).round() / 10.0
            });
            figure.before_t = (figure.before_t * 1000.0).round() / 1000.0;
            figure.after_t = (figure.after_t * 1000.0).round() / 1000.0;
        }
    }
}

/// Effectiveness over the caller's scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EffectivenessReport {
    /// Measured up to this day.
    pub as_of: NaiveDate,
    /// The windows, days.
    pub windows: Vec<i64>,
    /// All visits in scope.
    pub total: EffectivenessRow,
    /// Per visitor, most visits first.
    pub assignees: Vec<EffectivenessRow>,
    /// Per org unit (the units below the caller's), most visits first.
    pub units: Vec<EffectivenessRow>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn a_window_counts_once_it_has_passed_and_compares_daily_volume() {
        let visit = day("2026-06-01");
        // 9 t in the 90 days before: 0.1 t/day. After: 3 t within 30 days (0.1 t/day) and
        // nothing more until day 90.
        let sales = [
            (day("2026-03-10"), 9.0),
            (day("2026-02-01"), 50.0), // more than 90 days before: not counted
            (day("2026-06-20"), 3.0),
        ];
        let out = measure(visit, &sales, day("2026-07-15"));
        assert_eq!(out[0].before_t, 9.0);
        assert!(out[0].measured && out[0].recovered, "{:?}", out[0]);
        assert!(!out[1].measured && !out[1].recovered);
        let later = measure(visit, &sales, day("2026-09-01"));
        // 3 t over 60 days is 0.05 t/day: below the 0.1 before.
        assert!(later[1].measured && !later[1].recovered);
        assert!(later[2].measured && !later[2].recovered);
        assert_eq!(later[2].after_t, 3.0);
    }

    #[test]
    fn a_client_with_nothing_before_recovers_by_buying_at_all() {
        let visit = day("2026-06-01");
        let out = measure(visit, &[(day("2026-06-02"), 0.5)], day("2026-12-01"));
        assert!(out.iter().all(|o| o.recovered));
        let none = measure(visit, &[], day("2026-12-01"));
        assert!(none.iter().all(|o| o.measured && !o.recovered));
    }

    #[test]
    fn the_day_of_the_visit_is_before_and_the_window_ends_on_its_last_day() {
        let visit = day("2026-06-01");
        let sales = [
            (visit, 1.0),
            (day("2026-07-01"), 2.0),
            (day("2026-07-02"), 4.0),
        ];
        let out = measure(visit, &sales, day("2026-12-01"));
        assert_eq!(out[0].before_t, 1.0);
        assert_eq!(out[0].after_t, 2.0);
        assert_eq!(out[1].after_t, 6.0);
    }

    #[test]
    fn rows_sum_measured_windows_and_rate_them() {
        let visit = day("2026-06-01");
        let mut row = EffectivenessRow::new(Uuid::nil(), "x".into());
        row.add(
            &measure(visit, &[(day("2026-06-05"), 1.0)], day("2026-07-15")),
            Some(ClientClass::Returning),
        );
        row.add(
            &measure(visit, &[(day("2026-05-05"), 1.0)], day("2026-07-15")),
            Some(ClientClass::Churned),
        );
        row.finish();
        assert_eq!(row.visits, 2);
        assert_eq!(row.class_recovered, 1);
        assert_eq!(row.windows[0].measured, 2);
        assert_eq!(row.windows[0].recovered, 1);
        assert_eq!(row.windows[0].recovery_rate, Some(50.0));
        assert_eq!(row.windows[1].recovery_rate, None);
    }
}
