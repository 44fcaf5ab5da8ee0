//! Prospects (潜在客户开发, DESIGN §2.6): a prospect is a client in the archive that has not
//! bought yet, with a development pipeline beside it — its stage, who is responsible at each
//! level, its estimated demand and where it buys now. It becomes an ordering client by itself
//! when the first sales order for its USCC arrives (the pipeline's `won`); no person can mark it
//! won. Names are compared for likely duplicates within a county before one is created.

use crate::client::ClientFields;
use crate::validation::check_optional_text;
use crate::{FieldError, ValidationErrors};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashSet};
use uuid::Uuid;

labelled_enum! {
    /// Where a prospect is in its development.
    PipelineStage {
        Identified => "identified", "已识别", "Identified";
        Contacted => "contacted", "已接触", "Contacted";
        Negotiating => "negotiating", "洽谈中", "Negotiating";
        Won => "won", "已成交", "Won";
        Lost => "lost", "已放弃", "Lost";
    }
}

impl PipelineStage {
    /// Still being developed.
    pub fn is_open(self) -> bool {
        !matches!(self, PipelineStage::Won | PipelineStage::Lost)
    }

    /// The order of the open stages (won after them all).
    fn rank(self) -> u8 {
        match self {
            PipelineStage::Identified => 0,
            PipelineStage::Contacted => 1,
            PipelineStage::Negotiating => 2,
            PipelineStage::Won => 3,
            PipelineStage::Lost => 9,
        }
    }
}

/// Text limits (characters).
pub mod limits {
    /// Lost reason, source, previous channel.
    pub const TEXT: usize = 200;
    /// Estimated monthly demand, tonnes.
    pub const DEMAND_T: f64 = 100_000.0;
}

/// Why a stage change is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StageRefused {
    /// Won only comes from the first sales order.
    WonNeedsOrder,
    /// A won prospect is a client; its pipeline is final.
    AlreadyWon,
    /// Stages are taken one at a time, forwards (a lost prospect may be taken up again at
    /// `identified`).
    Skipped,
    /// Lost needs a reason.
    ReasonRequired,
    /// Already there.
    Unchanged,
}

impl StageRefused {
    /// (field, code, English, Chinese).
    pub fn describe(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            StageRefused::WonNeedsOrder => (
                "stage",
                "won_needs_order",
                "a prospect is won only when its first sales order arrives",
                "潜在客户须在首笔销售订单到达时自动转为成交，不能手工标记",
            ),
            StageRefused::AlreadyWon => (
                "stage",
                "already_won",
                "the prospect is already a client; its pipeline is closed",
                "该潜在客户已成交转为正式客户，开发阶段不可再改",
            ),
            StageRefused::Skipped => (
                "stage",
                "stage_skipped",
                "stages move one at a time: identified → contacted → negotiating (or lost)",
                "开发阶段须逐级推进：已识别 → 已接触 → 洽谈中（或放弃）",
            ),
            StageRefused::ReasonRequired => (
                "reason",
                "required",
                "reason: required when a prospect is lost",
                "reason：放弃时必须填写原因",
            ),
            StageRefused::Unchanged => (
                "stage",
                "unchanged",
                "the prospect is already at this stage",
                "潜在客户已处于该阶段",
            ),
        }
    }

    /// Whether this is a conflict with the record's state (409) rather than bad input (422).
    pub fn is_conflict(self) -> bool {
        !matches!(self, StageRefused::ReasonRequired)
    }
}

/// Whether a person may move a prospect from `from` to `to` (with `reason` for lost).
pub fn check_stage_change(
    from: PipelineStage,
    to: PipelineStage,
    reason: Option<&str>,
) -> Result<(), StageRefused> {
    use PipelineStage as S;
    if from == S::Won {
        return Err(StageRefused::AlreadyWon);
    }
    if to == S::Won {
        return Err(StageRefused::WonNeedsOrder);
    }
    if from == to {
        return Err(StageRefused::Unchanged);
    }
    match (from, to) {
        (_, S::Lost) => {
            if reason.is_none_or(|r| r.trim().is_empty()) {
                Err(StageRefused::ReasonRequired)
            } else {
                Ok(())
            }
        }
        (S::Lost, S::Identified) => Ok(()),
        (S::Lost, _) => Err(StageRefused::Skipped),
        (f, t) if t.rank() == f.rank() + 1 => Ok(()),
        _ => Err(StageRefused::Skipped),
    }
}

/// A new prospect: its archive fields (validated as any client's, USCC check character
/// included) and its pipeline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NewProspect {
    /// Name, USCC, contacts, place of use (address and location), county (`org_unit_id`),
    /// industry, category, account manager.
    pub client: ClientFields,
    /// Estimated monthly demand, tonnes (0–100,000).
    pub est_monthly_demand_t: f64,
    /// Where it buys now (free text, e.g. "中石化加油站", "民营油库").
    #[serde(default)]
    pub previous_channel: Option<String>,
    /// Where it was found (e.g. "2026 年秋季市场调查").
    #[serde(default)]
    pub source: Option<String>,
    /// The responsible director (default: the director of its county or the nearest above).
    #[serde(default)]
    pub director_id: Option<Uuid>,
    /// The responsible leader (default: the nearest leader above its county).
    #[serde(default)]
    pub leader_id: Option<Uuid>,
    /// Create even though clients with similar names exist in the same county (the answer
    /// without it is 409 `similar_names` listing them).
    #[serde(default)]
    pub confirm_similar: bool,
}

impl NewProspect {
    /// The pipeline's own rules (the client fields are checked by [`ClientFields::validate`]).
    pub fn validate_pipeline(&self) -> ValidationErrors {
        let mut errors = ValidationErrors::new();
        let d = self.est_monthly_demand_t;
        if !d.is_finite() || !(0.0..=limits::DEMAND_T).contains(&d) {
            errors.push(FieldError::out_of_range(
                "est_monthly_demand_t",
                0.0,
                limits::DEMAND_T,
            ));
        }
        for (field, value) in [
            ("previous_channel", &self.previous_channel),
            ("source", &self.source),
        ] {
            if let Some(v) = value {
                check_optional_text(&mut errors, field, v, limits::TEXT);
            }
        }
        errors
    }
}

/// A stage change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StageChange {
    /// The new stage (required; read after the prospect's visibility is checked).
    #[serde(default)]
    pub stage: Option<PipelineStage>,
    /// Why (required for `lost`).
    #[serde(default)]
    pub reason: Option<String>,
}

/// A prospect as listed and read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Prospect {
    /// The client record's id.
    pub client_id: Uuid,
    /// Name.
    pub name: String,
    /// USCC.
    pub uscc: String,
    /// County.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Industry code.
    pub industry: crate::client::Industry,
    /// Account manager.
    pub account_manager_id: Uuid,
    /// Their name.
    pub account_manager_name: String,
    /// Director.
    pub director_id: Option<Uuid>,
    /// Their name.
    pub director_name: Option<String>,
    /// Leader.
    pub leader_id: Option<Uuid>,
    /// Their name.
    pub leader_name: Option<String>,
    /// Stage.
    pub stage: PipelineStage,
    /// Why it was lost.
    pub lost_reason: Option<String>,
    /// Estimated monthly demand, tonnes.
    pub est_monthly_demand_t: f64,
    /// Where it bought before.
    pub previous_channel: Option<String>,
    /// Where it was found.
    pub source: Option<String>,
    /// Entered.
    pub created_at: DateTime<Utc>,
    /// Last stage change.
    pub stage_changed_at: DateTime<Utc>,
    /// When its first order arrived.
    pub won_at: Option<DateTime<Utc>>,
    /// The first order's number.
    pub first_order_no: Option<String>,
    /// Tonnes bought since it was won.
    pub realised_t: f64,
}

/// A likely duplicate.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SimilarName {
    /// The client (or prospect) record.
    pub client_id: Uuid,
    /// Its name.
    pub name: String,
    /// It is a prospect still (not an ordering client).
    pub prospect: bool,
    /// Similarity 0–1 (1: the same name once the legal-form words are set aside).
    pub score: f64,
}

/// Names at or above this similarity are shown as likely duplicates.
pub const SIMILAR_NAME_THRESHOLD: f64 = 0.6;

/// A company name without spaces, punctuation and the words every company has (legal form,
/// the province), so that "湖南长沙某某物流有限公司" and "长沙某某物流公司" compare equal.
pub fn core_name(name: &str) -> String {
    let mut s: String = name
        .chars()
        .filter(|c| !c.is_whitespace() && !"（）()·.,，、-—_".contains(*c))
        .collect();
    for prefix in ["湖南省", "湖南"] {
        if let Some(rest) = s.strip_prefix(prefix) {
            s = rest.to_owned();
        }
    }
    for suffix in [
        "股份有限公司",
        "有限责任公司",
        "有限公司",
        "分公司",
        "集团",
        "公司",
        "厂",
    ] {
        if let Some(rest) = s.strip_suffix(suffix) {
            s = rest.to_owned();
        }
    }
    s
}

fn bigrams(s: &str) -> HashSet<(char, char)> {
    let chars: Vec<char> = s.chars().collect();
    chars.windows(2).map(|w| (w[0], w[1])).collect()
}

/// How alike two company names are (0–1): 1 when one core name contains the other, else the
/// Dice coefficient of their character pairs.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (core_name(a), core_name(b));
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    if a.contains(&b) || b.contains(&a) {
        return 1.0;
    }
    let (x, y) = (bigrams(&a), bigrams(&b));
    if x.is_empty() || y.is_empty() {
        return 0.0;
    }
    let shared = x.intersection(&y).count() as f64;
    2.0 * shared / (x.len() + y.len()) as f64
}

/// The candidates whose names are likely the same company as `name`, most alike first.
pub fn similar_names(
    name: &str,
    candidates: impl IntoIterator<Item = (Uuid, String, bool)>,
) -> Vec<SimilarName> {
    let mut out: Vec<SimilarName> = candidates
        .into_iter()
        .filter_map(|(client_id, other, prospect)| {
            let score = name_similarity(name, &other);
            (score >= SIMILAR_NAME_THRESHOLD).then(|| SimilarName {
                client_id,
                name: other,
                prospect,
                score: (score * 100.0).round() / 100.0,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.name.cmp(&b.name))
    });
    out.truncate(10);
    out
}

/// One unit's row of the conversion funnel.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FunnelRow {
    /// The city (or county) id.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Prospects entered in the period.
    pub entered: u32,
    /// Of them, now at each stage (`identified`, `contacted`, `negotiating`, `won`, `lost`).
    pub by_stage: BTreeMap<String, u32>,
    /// Won ÷ entered.
    pub conversion_rate: Option<f64>,
    /// Mean days from entry to the first order, of the won.
    pub mean_days_to_win: Option<f64>,
    /// The won prospects' estimated monthly demand, tonnes.
    pub est_monthly_demand_won_t: f64,
    /// What the won prospects bought since they were won, per month they have been clients
    /// (tonnes/month; a part month counts as its days ÷ 30).
    pub realised_monthly_t: f64,
}

/// One prospect as the funnel counts it.
#[derive(Debug, Clone, PartialEq)]
pub struct FunnelFact {
    /// The unit it is counted under.
    pub org_unit_id: Uuid,
    /// Its name.
    pub org_unit_name: String,
    /// Stage now.
    pub stage: PipelineStage,
    /// Entered.
    pub created_at: DateTime<Utc>,
    /// Won.
    pub won_at: Option<DateTime<Utc>>,
    /// Estimated monthly demand.
    pub est_monthly_demand_t: f64,
    /// Tonnes since won.
    pub realised_t: f64,
}

/// The funnel per unit (most entered first) and the total, at `today`.
pub fn funnel(facts: &[FunnelFact], today: NaiveDate) -> (Vec<FunnelRow>, FunnelRow) {
    fn add(
        row: &mut FunnelRow,
        f: &FunnelFact,
        today: NaiveDate,
        months: &mut f64,
        days: &mut Vec<f64>,
    ) {
        row.entered += 1;
        *row.by_stage.entry(f.stage.code().to_owned()).or_default() += 1;
        if let Some(won) = f.won_at {
            days.push((won - f.created_at).num_seconds().max(0) as f64 / 86_400.0);
            row.est_monthly_demand_won_t += f.est_monthly_demand_t;
            row.realised_monthly_t += f.realised_t;
            let client_days = (today - crate::china_date(won)).num_days().max(1) as f64;
            *months += client_days / 30.0;
        }
    }
    fn finish(row: &mut FunnelRow, months: f64, days: &[f64]) {
        let won = row.by_stage.get("won").copied().unwrap_or(0);
        row.conversion_rate = (row.entered > 0).then(|| f64::from(won) / f64::from(row.entered));
        row.mean_days_to_win =
            (!days.is_empty()).then(|| days.iter().sum::<f64>() / days.len() as f64);
        // Tonnes per client-month across the won prospects, times their number: the monthly
        // volume they bring together, comparable with their summed estimate.
        row.realised_monthly_t = if months > 0.0 {
            row.realised_monthly_t / months * days.len() as f64
        } else {
            0.0
        };
    }
    let mut units: BTreeMap<Uuid, (FunnelRow, f64, Vec<f64>)> = BTreeMap::new();
    let mut total = (FunnelRow::default(), 0.0, Vec::new());
    for f in facts {
        let entry = units.entry(f.org_unit_id).or_insert_with(|| {
            (
                FunnelRow {
                    org_unit_id: f.org_unit_id,
                    org_unit_name: f.org_unit_name.clone(),
                    ..FunnelRow::default()
                },
                0.0,
                Vec::new(),
            )
        });
        add(&mut entry.0, f, today, &mut entry.1, &mut entry.2);
        add(&mut total.0, f, today, &mut total.1, &mut total.2);
    }
    let mut rows: Vec<FunnelRow> = units
        .into_values()
        .map(|(mut row, months, days)| {
            finish(&mut row, months, &days);
            row
        })
        .collect();
    rows.sort_by(|a, b| {
        b.entered
            .cmp(&a.entered)
            .then_with(|| a.org_unit_name.cmp(&b.org_unit_name))
    });
    finish(&mut total.0, total.1, &total.2);
    (rows, total.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use PipelineStage as S;

    #[test]
    fn stages_move_one_at_a_time_and_won_only_comes_from_an_order() {
        assert_eq!(
            check_stage_change(S::Identified, S::Contacted, None),
            Ok(())
        );
        assert_eq!(
            check_stage_change(S::Contacted, S::Negotiating, None),
            Ok(())
        );
        assert_eq!(
            check_stage_change(S::Identified, S::Negotiating, None),
            Err(StageRefused::Skipped)
        );
        assert_eq!(
            check_stage_change(S::Negotiating, S::Contacted, None),
            Err(StageRefused::Skipped)
        );
        for from in [S::Identified, S::Contacted, S::Negotiating, S::Lost] {
            assert_eq!(
                check_stage_change(from, S::Won, None),
                Err(StageRefused::WonNeedsOrder)
            );
        }
        assert_eq!(
            check_stage_change(S::Won, S::Lost, Some("x")),
            Err(StageRefused::AlreadyWon)
        );
        assert_eq!(
            check_stage_change(S::Contacted, S::Lost, Some("  ")),
            Err(StageRefused::ReasonRequired)
        );
        assert_eq!(
            check_stage_change(S::Contacted, S::Lost, Some("价格")),
            Ok(())
        );
        assert_eq!(check_stage_change(S::Lost, S::Identified, None), Ok(()));
        assert_eq!(
            check_stage_change(S::Lost, S::Negotiating, None),
            Err(StageRefused::Skipped)
        );
        assert_eq!(
            check_stage_change(S::Contacted, S::Contacted, None),
            Err(StageRefused::Unchanged)
        );
    }

    #[test]
    fn names_that_differ_only_in_legal_form_or_province_are_the_same() {
        assert_eq!(core_name("湖南 长沙顺达物流有限公司"), "长沙顺达物流");
        assert_eq!(
            name_similarity("长沙顺达物流有限公司", "湖南长沙顺达物流公司"),
            1.0
        );
        assert_eq!(name_similarity("顺达物流", "长沙顺达物流有限责任公司"), 1.0);
        let close = name_similarity("长沙顺达物流有限公司", "长沙顺达运输有限公司");
        assert!((0.3..1.0).contains(&close), "{close}");
        assert!(name_similarity("长沙顺达物流", "株洲华菱钢铁") < 0.2);
        let found = similar_names(
            "长沙顺达物流有限公司",
            vec![
                (Uuid::from_u128(1), "株洲华菱钢铁有限公司".to_owned(), false),
                (Uuid::from_u128(2), "湖南长沙顺达物流公司".to_owned(), true),
            ],
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].client_id, Uuid::from_u128(2));
        assert_eq!(found[0].score, 1.0);
    }

    #[test]
    fn the_funnel_counts_stages_conversion_time_and_realised_volume() {
        let day = |d: u32| Utc.with_ymd_and_hms(2026, 11, d, 1, 0, 0).unwrap();
        let unit = Uuid::from_u128(9);
        let fact = |stage, created, won: Option<u32>, realised| FunnelFact {
            org_unit_id: unit,
            org_unit_name: "岳麓区".into(),
            stage,
            created_at: day(created),
            won_at: won.map(day),
            est_monthly_demand_t: 30.0,
            realised_t: realised,
        };
        let facts = vec![
            fact(S::Won, 1, Some(11), 20.0),
            fact(S::Lost, 1, None, 0.0),
            fact(S::Contacted, 2, None, 0.0),
            fact(S::Identified, 3, None, 0.0),
        ];
        let today = NaiveDate::from_ymd_opt(2026, 12, 11).unwrap();
        let (rows, total) = funnel(&facts, today);
        assert_eq!(rows.len(), 1);
        assert_eq!(total.entered, 4);
        assert_eq!(total.by_stage["won"], 1);
        assert_eq!(total.conversion_rate, Some(0.25));
        assert_eq!(total.mean_days_to_win, Some(10.0));
        assert_eq!(total.est_monthly_demand_won_t, 30.0);
        // 20 t over 30 days as a client: 20 t a month.
        assert!(
            (total.realised_monthly_t - 20.0).abs() < 1e-9,
            "{}",
            total.realised_monthly_t
        );
    }
}
