//! Monthly scorecards of account managers (考核, DESIGN §2.7): five figures the system already
//! holds — volume against target, visit-plan completion, new and returning clients, archive
//! completeness of their clients, overdue tasks — scored 0–100 each, weighted by a versioned
//! scheme (defaults 50/20/15/10/5), with the bonus formula of the scheme. Pure: the inputs are
//! counted by the caller, each with the rows it came from.

use crate::{FieldError, ValidationErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum! {
    /// One figure of a scorecard.
    ScoreComponent {
        Volume => "volume", "销量完成率", "Volume against target";
        Visits => "visits", "走访计划完成率", "Visit-plan completion";
        NewClients => "new_clients", "新增与回流客户", "New and returning clients";
        Archive => "archive", "档案完整率", "Archive completeness";
        Overdue => "overdue", "逾期任务", "Overdue tasks";
    }
}

labelled_enum! {
    /// Where a month's scorecards are.
    ScorecardStatus {
        Computed => "computed", "已计算待审核", "Computed, under review";
        Locked => "locked", "已锁定", "Locked";
    }
}

/// The weights (percent, summing to 100) and the bonus formula.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreScheme {
    /// Version (the server numbers it; 1 is the built-in default).
    #[serde(default)]
    pub version: i32,
    /// Weight of volume against target.
    pub weight_volume: u32,
    /// Weight of visit-plan completion.
    pub weight_visits: u32,
    /// Weight of new and returning clients.
    pub weight_new_clients: u32,
    /// Weight of archive completeness.
    pub weight_archive: u32,
    /// Weight of overdue tasks.
    pub weight_overdue: u32,
    /// New plus returning clients a month that score 100.
    pub new_clients_target: u32,
    /// Points the overdue figure loses per task overdue at the month's end.
    pub overdue_penalty: f64,
    /// The bonus at a score of 100, yuan; it scales with the score.
    pub bonus_base_yuan: f64,
    /// Below this score there is no bonus.
    pub bonus_threshold: f64,
}

impl Default for ScoreScheme {
    fn default() -> Self {
        ScoreScheme {
            version: 1,
            weight_volume: 50,
            weight_visits: 20,
            weight_new_clients: 15,
            weight_archive: 10,
            weight_overdue: 5,
            new_clients_target: 2,
            overdue_penalty: 20.0,
            bonus_base_yuan: 3000.0,
            bonus_threshold: 60.0,
        }
    }
}

impl ScoreScheme {
    /// Weights sum to 100; the targets and money are in range.
    pub fn validate(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        let sum = self.weight_volume
            + self.weight_visits
            + self.weight_new_clients
            + self.weight_archive
            + self.weight_overdue;
        if sum != 100 {
            errors.push(FieldError::new(
                "weight_volume",
                "out_of_range",
                format!("the five weights must sum to 100 (they sum to {sum})"),
                format!("五项权重之和必须为 100（当前为 {sum}）"),
            ));
        }
        if self.new_clients_target == 0 || self.new_clients_target > 100 {
            errors.push(FieldError::out_of_range("new_clients_target", 1.0, 100.0));
        }
        if !(0.0..=100.0).contains(&self.overdue_penalty) {
            errors.push(FieldError::out_of_range("overdue_penalty", 0.0, 100.0));
        }
        if !(0.0..=1_000_000.0).contains(&self.bonus_base_yuan) {
            errors.push(FieldError::out_of_range(
                "bonus_base_yuan",
                0.0,
                1_000_000.0,
            ));
        }
        if !(0.0..=100.0).contains(&self.bonus_threshold) {
            errors.push(FieldError::out_of_range("bonus_threshold", 0.0, 100.0));
        }
        errors
    }

    fn weight(&self, c: ScoreComponent) -> u32 {
        match c {
            ScoreComponent::Volume => self.weight_volume,
            ScoreComponent::Visits => self.weight_visits,
            ScoreComponent::NewClients => self.weight_new_clients,
            ScoreComponent::Archive => self.weight_archive,
            ScoreComponent::Overdue => self.weight_overdue,
        }
    }
}

/// What a month's figures are made of, counted by the caller.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreInputs {
    /// Tonnes sold to their clients in the month.
    pub volume_t: f64,
    /// Their target for the month, tonnes (none: the volume figure is left out and the other
    /// weights count proportionally more).
    pub target_t: Option<f64>,
    /// Planned visits due in the month.
    pub visits_due: u32,
    /// Of those, done (checked in, reviewed or closed).
    pub visits_done: u32,
    /// Clients whose first order ever came in the month.
    pub new_clients: u32,
    /// Clients ordering again in the month after more than 90 days without an order.
    pub returning_clients: u32,
    /// Their clients.
    pub clients: u32,
    /// Of those, with a complete archive at the month's end.
    pub archive_complete: u32,
    /// Their tasks still open after their due date at the month's end.
    pub overdue_tasks: u32,
}

/// One figure's score.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComponentScore {
    /// Which.
    pub component: ScoreComponent,
    /// 0–100; absent when it cannot be scored (no volume target).
    pub score: Option<f64>,
    /// The scheme's weight.
    pub weight: u32,
    /// Its share of the total (score × weight ÷ the weights that count).
    pub points: f64,
    /// How the score came about, e.g. "86.0 t / 100.0 t".
    pub basis: String,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

/// The five scores, the total (0–100, one decimal) and the bonus of `inputs` under `scheme`.
pub fn score(inputs: &ScoreInputs, scheme: &ScoreScheme) -> (Vec<ComponentScore>, f64) {
    use ScoreComponent as C;
    let pct = |num: f64, den: f64| (num / den * 100.0).clamp(0.0, 100.0);
    let raw: Vec<(C, Option<f64>, String)> = vec![
        (
            C::Volume,
            inputs
                .target_t
                .filter(|t| *t > 0.0)
                .map(|t| pct(inputs.volume_t, t)),
            match inputs.target_t {
                Some(t) => format!("{:.1} t / {:.1} t", inputs.volume_t, t),
                None => format!("{:.1} t，无目标", inputs.volume_t),
            },
        ),
        (
            C::Visits,
            Some(if inputs.visits_due == 0 {
                100.0
            } else {
                pct(f64::from(inputs.visits_done), f64::from(inputs.visits_due))
            }),
            format!("{} / {}", inputs.visits_done, inputs.visits_due),
        ),
        (
            C::NewClients,
            Some(pct(
                f64::from(inputs.new_clients + inputs.returning_clients),
                f64::from(scheme.new_clients_target.max(1)),
            )),
            format!(
                "新增 {} + 回流 {} / 目标 {}",
                inputs.new_clients, inputs.returning_clients, scheme.new_clients_target
            ),
        ),
        (
            C::Archive,
            Some(if inputs.clients == 0 {
                100.0
            } else {
                pct(
                    f64::from(inputs.archive_complete),
                    f64::from(inputs.clients),
                )
            }),
            format!("{} / {}", inputs.archive_complete, inputs.clients),
        ),
        (
            C::Overdue,
            Some((100.0 - scheme.overdue_penalty * f64::from(inputs.overdue_tasks)).max(0.0)),
            format!("{} 项逾期", inputs.overdue_tasks),
        ),
    ];
    let counted: u32 = raw
        .iter()
        .filter(|(_, s, _)| s.is_some())
        .map(|(c, _, _)| scheme.weight(*c))
        .sum();
    let mut total = 0.0;
    let components = raw
        .into_iter()
        .map(|(component, score, basis)| {
            let weight = scheme.weight(component);
            let points = match score {
                Some(s) if counted > 0 => s * f64::from(weight) / f64::from(counted),
                _ => 0.0,
            };
            total += points;
            ComponentScore {
                component,
                score: score.map(round1),
                weight,
                points: round1(points),
                basis,
            }
        })
        .collect();
    (components, round1(total))
}

/// The bonus of a final score under `scheme`: the base scaled by the score, none below the
/// threshold; whole yuan.
pub fn bonus(final_score: f64, scheme: &ScoreScheme) -> f64 {
    if final_score < scheme.bonus_threshold {
        0.0
    } else {
        (scheme.bonus_base_yuan * final_score.clamp(0.0, 100.0) / 100.0).round()
    }
}

/// A row a figure came from (the drill-down: "why is my score 82?").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EvidenceRow {
    /// The figure.
    pub component: ScoreComponent,
    /// The record: an order, a task or a client.
    pub id: Uuid,
    /// What it is (order number, task title, client name).
    pub label: String,
    /// The client concerned.
    pub client_name: String,
    /// Its date (order date, due date).
    pub date: Option<NaiveDate>,
    /// Tonnes, for an order.
    pub tonnes: Option<f64>,
    /// Counted for or against: e.g. "done", "missed", "new", "returning", "complete",
    /// "incomplete", "overdue".
    pub outcome: String,
}

/// An adjustment by a reviewer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Adjustment {
    /// Identifier.
    pub id: Uuid,
    /// Points added (negative: taken off).
    pub points: f64,
    /// Why.
    pub reason: String,
    /// Made after the month was locked: it does not change the locked figures and is paid with
    /// the next payroll.
    pub correction: bool,
    /// Who.
    pub by_name: String,
    /// When.
    pub at: DateTime<Utc>,
}

/// An adjustment request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AdjustmentInput {
    /// Points to add, −50 to 50 (not 0).
    #[serde(default)]
    pub points: Option<f64>,
    /// Why (required).
    #[serde(default)]
    pub reason: Option<String>,
}

impl AdjustmentInput {
    /// Points within ±50 and not zero; a reason of at most 500 characters.
    pub fn validate(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        match self.points {
            None => errors.push(FieldError::required("points")),
            Some(p) if !p.is_finite() || p == 0.0 || !(-50.0..=50.0).contains(&p) => {
                errors.push(FieldError::out_of_range("points", -50.0, 50.0))
            }
            Some(_) => {}
        }
        crate::validation::check_text(
            &mut errors,
            "reason",
            self.reason.as_deref().unwrap_or(""),
            500,
        );
        errors
    }
}

/// One account manager's scorecard for a month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Scorecard {
    /// Identifier.
    pub id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    /// The account manager.
    pub user_id: Uuid,
    /// Their name.
    pub user_name: String,
    /// Their unit.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// The counted figures.
    pub inputs: ScoreInputs,
    /// The five scores.
    pub components: Vec<ComponentScore>,
    /// The computed total.
    pub computed_score: f64,
    /// Reviewers' adjustments before the lock, summed.
    pub adjustment_points: f64,
    /// Computed + adjustments, within 0–100.
    pub final_score: f64,
    /// The bonus, yuan.
    pub bonus_yuan: f64,
    /// The scheme version used.
    pub scheme_version: i32,
    /// Computed or locked.
    pub status: ScorecardStatus,
    /// When computed.
    pub computed_at: DateTime<Utc>,
    /// When locked.
    pub locked_at: Option<DateTime<Utc>>,
    /// Every adjustment, oldest first (corrections after the lock included).
    pub adjustments: Vec<Adjustment>,
}

/// The final score: computed plus adjustments, within 0–100.
pub fn final_score(computed: f64, adjustments: f64) -> f64 {
    round1((computed + adjustments).clamp(0.0, 100.0))
}

/// Parses `YYYY-MM` into the month's first and last day.
pub fn month_bounds(month: &str) -> Option<(NaiveDate, NaiveDate)> {
    let first = NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d").ok()?;
    if month.len() != 7 {
        return None;
    }
    let next = first.checked_add_months(chrono::Months::new(1))?;
    Some((first, next.pred_opt()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> ScoreInputs {
        ScoreInputs {
            volume_t: 80.0,
            target_t: Some(100.0),
            visits_due: 10,
            visits_done: 9,
            new_clients: 1,
            returning_clients: 0,
            clients: 20,
            archive_complete: 15,
            overdue_tasks: 1,
        }
    }

    #[test]
    fn the_default_weights_give_the_documented_total() {
        let scheme = ScoreScheme::default();
        assert!(scheme.validate().is_empty());
        let (components, total) = score(&inputs(), &scheme);
        let s: Vec<Option<f64>> = components.iter().map(|c| c.score).collect();
        assert_eq!(
            s,
            [Some(80.0), Some(90.0), Some(50.0), Some(75.0), Some(80.0)]
        );
        // 0.5·80 + 0.2·90 + 0.15·50 + 0.1·75 + 0.05·80 = 40 + 18 + 7.5 + 7.5 + 4 = 77.
        assert_eq!(total, 77.0);
        assert_eq!(bonus(total, &scheme), 2310.0);
        assert_eq!(bonus(59.9, &scheme), 0.0);
    }

    #[test]
    fn without_a_target_the_other_weights_count_proportionally() {
        let mut i = inputs();
        i.target_t = None;
        let (components, total) = score(&i, &ScoreScheme::default());
        assert_eq!(components[0].score, None);
        // (18 + 7.5 + 7.5 + 4) / 0.5 = 74.
        assert_eq!(total, 74.0);
    }

    #[test]
    fn scores_stay_within_range_and_weights_must_sum_to_100() {
        let mut i = inputs();
        i.volume_t = 500.0;
        i.overdue_tasks = 9;
        i.new_clients = 10;
        let (components, total) = score(&i, &ScoreScheme::default());
        assert_eq!(components[0].score, Some(100.0));
        assert_eq!(components[4].score, Some(0.0));
        assert!(total <= 100.0);
        let bad = ScoreScheme {
            weight_volume: 60,
            ..ScoreScheme::default()
        };
        assert_eq!(bad.validate().0[0].field, "weight_volume");
        assert_eq!(final_score(95.0, 10.0), 100.0);
        assert_eq!(final_score(3.0, -10.0), 0.0);
    }

    #[test]
    fn months_and_adjustments_are_checked() {
        let (a, b) = month_bounds("2026-02").unwrap();
        assert_eq!(
            (a.to_string(), b.to_string()),
            ("2026-02-01".into(), "2026-02-28".into())
        );
        assert!(month_bounds("2026-13").is_none());
        assert!(month_bounds("2026-1").is_none());
        let ok = AdjustmentInput {
            points: Some(-5.0),
            reason: Some("客户投诉属实".into()),
        };
        assert!(ok.validate().is_empty());
        let bad = AdjustmentInput {
            points: Some(0.0),
            reason: None,
        };
        let fields: Vec<String> = bad.validate().0.into_iter().map(|e| e.field).collect();
        assert_eq!(fields, ["points", "reason"]);
    }
}
