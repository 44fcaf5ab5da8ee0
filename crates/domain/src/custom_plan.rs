//! Custom visit plans (DESIGN §2.4, the seed's "按客户类别、行业或者对应的客户组群定制"): a
//! filter over the clients, a period and the level of manager who visits → one visit task per
//! matching client, their due days spread evenly over the period's working days, the clients
//! with the most volume at risk first.

use crate::classification::ClientClass;
use crate::client::{ClientCategory, Industry};
use crate::grading::Grade;
use crate::task::AssigneeLevel;
use crate::validation::{FieldError, ValidationErrors};
use chrono::{Datelike, NaiveDate, TimeDelta, Weekday};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Longest period a custom plan may span, days.
pub const MAX_PERIOD_DAYS: i64 = 366;

/// Most clients one custom plan may raise tasks for.
pub const MAX_CLIENTS: usize = 20_000;

/// Which clients a custom plan is for; every given criterion must hold.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomPlanFilter {
    /// Client category.
    #[serde(default)]
    pub category: Option<ClientCategory>,
    /// Industry.
    #[serde(default)]
    pub industry: Option<Industry>,
    /// Grade at the last recompute.
    #[serde(default)]
    pub grade: Option<Grade>,
    /// Dynamic class at the last recompute.
    #[serde(default)]
    pub class: Option<ClientClass>,
    /// Org unit (its whole subtree).
    #[serde(default)]
    pub org_unit_id: Option<Uuid>,
    /// A tag the client carries.
    #[serde(default)]
    pub tag: Option<String>,
}

/// A custom plan to raise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CustomPlanRequest {
    /// One line naming the plan (1–100 characters), the tasks' title.
    pub name: String,
    /// Which clients.
    #[serde(default)]
    pub filter: CustomPlanFilter,
    /// First day of the period (today or later).
    pub from: NaiveDate,
    /// Last day of the period.
    pub to: NaiveDate,
    /// Who visits: each client's account manager, or the nearest director or leader above it.
    pub level: AssigneeLevel,
}

impl CustomPlanRequest {
    /// Checks the request as of `today`, every field at once.
    pub fn validate(&self, today: NaiveDate) -> Result<(), ValidationErrors> {
        let mut errors = ValidationErrors::new();
        crate::validation::check_text(&mut errors, "name", &self.name, 100);
        if self.from < today {
            errors.push(FieldError::new(
                "from",
                "out_of_range",
                "from: must be today or later",
                "from：不能早于今天",
            ));
        }
        if self.to < self.from {
            errors.push(FieldError::new(
                "to",
                "out_of_range",
                "to: must not be before from",
                "to：不能早于 from",
            ));
        } else if (self.to - self.from).num_days() >= MAX_PERIOD_DAYS {
            errors.push(FieldError::new(
                "to",
                "out_of_range",
                "to: a plan spans at most 366 days",
                "to：计划期最长 366 天",
            ));
        }
        if let Some(tag) = &self.filter.tag {
            crate::validation::check_text(&mut errors, "filter.tag", tag, 50);
        }
        errors.into_result(())
    }
}

/// What a custom plan raised.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CustomPlanReport {
    /// The plan (its tasks' dedupe keys start `custom:<plan_id>:`).
    pub plan_id: Uuid,
    /// Clients that matched the filter.
    pub matched: u64,
    /// Visit tasks raised.
    pub created: u64,
    /// Clients without anyone at the level (no director or leader above their unit).
    pub without_assignee: u64,
}

/// Due days for `n` visits over `from..=to`: the working days (Monday–Friday; every day when
/// the period has none) in order, spread evenly so no day carries more than one more visit
/// than another, earliest first.
pub fn spread_over_period(n: usize, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    let all: Vec<NaiveDate> = (0..=(to - from).num_days().max(0))
        .map(|d| from + TimeDelta::days(d))
        .collect();
    let working: Vec<NaiveDate> = all
        .iter()
        .copied()
        .filter(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
        .collect();
    let days = if working.is_empty() { all } else { working };
    if days.is_empty() {
        return Vec::new();
    }
    (0..n).map(|i| days[i * days.len() / n.max(1)]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn day(s: &str) -> NaiveDate {
        s.parse().expect("date")
    }

    #[test]
    fn visits_spread_evenly_over_working_days_in_order() {
        // 1–14 December 2026: ten working days.
        let days = spread_over_period(25, day("2026-12-01"), day("2026-12-14"));
        assert_eq!(days.len(), 25);
        assert!(days.windows(2).all(|w| w[0] <= w[1]));
        let mut per_day: HashMap<NaiveDate, usize> = HashMap::new();
        for d in &days {
            assert!(!matches!(d.weekday(), Weekday::Sat | Weekday::Sun), "{d}");
            *per_day.entry(*d).or_default() += 1;
        }
        assert_eq!(per_day.len(), 10);
        let (lo, hi) = (per_day.values().min(), per_day.values().max());
        assert!(hi.zip(lo).is_some_and(|(h, l)| h - l <= 1), "{per_day:?}");
        // Fewer visits than days: one a day at most, from the first day.
        let few = spread_over_period(3, day("2026-12-01"), day("2026-12-14"));
        assert_eq!(few[0], day("2026-12-01"));
        assert_eq!(
            few.iter().collect::<std::collections::HashSet<_>>().len(),
            3
        );
    }

    #[test]
    fn a_weekend_period_uses_the_weekend() {
        let days = spread_over_period(2, day("2026-12-05"), day("2026-12-06"));
        assert_eq!(days, [day("2026-12-05"), day("2026-12-06")]);
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        let today = day("2026-12-03");
        let ok = CustomPlanRequest {
            name: "加油站冬季走访".into(),
            filter: CustomPlanFilter::default(),
            from: today,
            to: day("2026-12-31"),
            level: AssigneeLevel::AccountManager,
        };
        assert!(ok.validate(today).is_ok());
        let bad = CustomPlanRequest {
            name: " ".into(),
            from: day("2026-12-01"),
            to: day("2026-11-30"),
            ..ok.clone()
        };
        let fields: Vec<String> = bad
            .validate(today)
            .err()
            .map(|e| e.0.iter().map(|f| f.field.clone()).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["name", "from", "to"]);
        let long = CustomPlanRequest {
            to: day("2027-12-31"),
            ..ok
        };
        assert!(long.validate(today).is_err());
    }
}
