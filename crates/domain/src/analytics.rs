//! Client intelligence as the API and the dashboard see it (DESIGN §2.2, §2.3, §2.8): one
//! client's computed figures, the dashboard's aggregates and the class transitions.
//!
//! These are the shared wire types; the rules that fill them live in `grading`,
//! `classification`, `clv` and `intel`.

use crate::classification::{ChurnReason, ClassReasons, ClientClass};
use crate::grading::{Grade, ValueQuadrant};
use crate::sales::Product;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// RFM scores, 1–5 each, by quintile within the province (5 = best).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RfmScores {
    /// Recency: the more recent the last purchase, the higher.
    pub r: u8,
    /// Frequency: purchases in the trailing 12 months.
    pub f: u8,
    /// Monetary: volume in the trailing 12 months.
    pub m: u8,
}

/// Everything computed about one client as of a date.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientIntel {
    /// The client.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// Its org unit (county).
    pub org_unit_id: Uuid,
    /// The date the figures are as of.
    pub as_of: NaiveDate,
    /// Grade by trailing-12-month volume; `None` for a client that never bought.
    pub grade: Option<Grade>,
    /// Among the smallest set of clients making up 80 % of the volume (20/80 rule).
    pub key_client: bool,
    /// RFM scores (all 0 for a client without purchases in 12 months).
    pub rfm: RfmScores,
    /// Frequency × volume quadrant; `None` without purchases in 12 months.
    pub quadrant: Option<ValueQuadrant>,
    /// Dynamic class.
    pub class: ClientClass,
    /// The numbers behind the class.
    pub reasons: ClassReasons,
    /// The reasons as a sentence (Chinese).
    pub sentence_zh: String,
    /// The reasons as a sentence (English).
    pub sentence_en: String,
    /// Probability that the client is still buying (BG/NBD); `None` for prospects.
    pub p_alive: Option<f64>,
    /// Expected purchases in the next 90 days; `None` for prospects.
    pub expected_purchases_90d: Option<f64>,
    /// Usual 90-day volume the client is expected not to buy: max(0, baseline − expected
    /// purchases × mean purchase size), tonnes. Lists of at-risk clients are ordered by it.
    pub expected_volume_at_risk_t: f64,
    /// Volume in the trailing 12 months, tonnes.
    pub tonnes_12m: f64,
    /// Purchase days in the trailing 12 months.
    pub purchases_12m: u32,
    /// Volume in the last 90 days, tonnes (≈ the last three months).
    pub tonnes_90d: f64,
    /// Paid for but not yet lifted, tonnes.
    pub prepaid_not_lifted_t: f64,
    /// Version of the rule set that produced these figures.
    pub rule_version: i32,
}

/// One grade change (kept only when the grade or the key-client flag changed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeChange {
    /// The first date of the new grade.
    pub effective_date: NaiveDate,
    /// The grade (`None`: no purchases in 12 months).
    pub grade: Option<Grade>,
    /// Key client from that date.
    pub key_client: bool,
    /// Trailing-12-month volume on that date, tonnes.
    pub tonnes_12m: f64,
    /// Rule-set version.
    pub rule_version: i32,
}

/// A client's class in one weekly snapshot.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassSnapshot {
    /// The Monday of the snapshot's week.
    pub week: NaiveDate,
    /// The class that week.
    pub class: ClientClass,
    /// Its reasons (Chinese).
    pub sentence_zh: String,
    /// Its reasons (English).
    pub sentence_en: String,
}

/// A recorded churn reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChurnReasonRecord {
    /// Identifier.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Why it left.
    pub reason: ChurnReason,
    /// For `competitor`: who it buys from now.
    pub competitor: Option<String>,
    /// For `competitor`: their price minus ours, yuan per tonne (negative: they are cheaper).
    pub price_gap_yuan_per_t: Option<f64>,
    /// Free text.
    pub note: Option<String>,
    /// For `service_fault`: the service ticket that caused it, if known.
    #[serde(default)]
    pub ticket_id: Option<Uuid>,
    /// Who recorded it.
    pub recorded_by: Uuid,
    /// Their name.
    pub recorded_by_name: String,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Volume of one month and product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProductMonthVolume {
    /// `YYYY-MM`.
    pub month: String,
    /// Product.
    pub product: Product,
    /// Tonnes.
    pub tonnes: f64,
}

/// The client page's intelligence panel: `GET /api/v1/clients/{id}/intel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientIntelResponse {
    /// The latest computed figures (`None` before the first recompute).
    pub current: Option<ClientIntel>,
    /// Grade changes, oldest first.
    pub grade_history: Vec<GradeChange>,
    /// Weekly class snapshots, oldest first (up to two years).
    pub class_history: Vec<ClassSnapshot>,
    /// Monthly volume by product, the last 24 months, oldest first (months without sales
    /// are absent).
    pub monthly_by_product: Vec<ProductMonthVolume>,
    /// Recorded churn reasons, newest first.
    pub churn_reasons: Vec<ChurnReasonRecord>,
}

/// Clients in one class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClassCount {
    /// The class.
    pub class: ClientClass,
    /// Clients.
    pub clients: u64,
}

/// Clients in one grade.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeCount {
    /// The grade (`None`: no purchases in 12 months).
    pub grade: Option<Grade>,
    /// Clients.
    pub clients: u64,
}

/// Class and grade distribution of one org unit (its whole subtree).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct UnitBreakdown {
    /// The unit.
    pub org_unit_id: Uuid,
    /// Its name.
    pub name: String,
    /// Clients in it.
    pub clients: u64,
    /// By class, in the class order; every class present (0 when none).
    pub by_class: Vec<ClassCount>,
    /// By grade A–D then ungraded; every grade present.
    pub by_grade: Vec<GradeCount>,
    /// Trailing-12-month volume, tonnes.
    pub tonnes_12m: f64,
}

/// How many clients moved from one class to another between two snapshots.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionCount {
    /// Class in the earlier snapshot.
    pub from: ClientClass,
    /// Class in the later one.
    pub to: ClientClass,
    /// Clients.
    pub clients: u64,
}

/// Transitions between two snapshot weeks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TransitionsSummary {
    /// Earlier snapshot week (Monday); `None` when there is no earlier snapshot.
    pub from_week: Option<NaiveDate>,
    /// Later snapshot week (Monday).
    pub to_week: Option<NaiveDate>,
    /// Only pairs with a change (from ≠ to), most clients first.
    pub changes: Vec<TransitionCount>,
    /// Clients whose class changed.
    pub changed: u64,
}

/// Volume of one month and product with the same month a year earlier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VolumeTrendPoint {
    /// `YYYY-MM`.
    pub month: String,
    /// Product.
    pub product: Product,
    /// Tonnes.
    pub tonnes: f64,
    /// Tonnes in the same month a year earlier (`None` outside the data).
    pub tonnes_year_ago: Option<f64>,
}

/// The key clients' share.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeyClientShare {
    /// Key clients.
    pub key_clients: u64,
    /// Clients with purchases in 12 months.
    pub buying_clients: u64,
    /// Key clients' share of the trailing-12-month volume (0–1).
    pub volume_share: f64,
    /// Key clients as a share of buying clients (0–1).
    pub client_share: f64,
}

/// One row of the dashboard's client lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DashboardClientRow {
    /// The client.
    pub client_id: Uuid,
    /// Its name.
    pub client_name: String,
    /// Grade.
    pub grade: Option<Grade>,
    /// Class.
    pub class: ClientClass,
    /// P(alive).
    pub p_alive: Option<f64>,
    /// Expected volume at risk in the next 90 days, tonnes.
    pub expected_volume_at_risk_t: f64,
    /// Last 90 days, tonnes.
    pub tonnes_90d: f64,
    /// Prepaid not lifted, tonnes.
    pub prepaid_not_lifted_t: f64,
    /// The class reasons (Chinese).
    pub sentence_zh: String,
    /// The class reasons (English).
    pub sentence_en: String,
}

/// `GET /api/v1/analytics/dashboard`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DashboardResponse {
    /// The figures are as of this date (the last recompute).
    pub as_of: Option<NaiveDate>,
    /// When they were computed.
    pub computed_at: Option<DateTime<Utc>>,
    /// The unit the figures cover (`None`: the caller's whole scope).
    pub org_unit_id: Option<Uuid>,
    /// Clients in scope.
    pub clients: u64,
    /// By class over the whole scope; every class present.
    pub by_class: Vec<ClassCount>,
    /// By grade over the whole scope.
    pub by_grade: Vec<GradeCount>,
    /// The scope's child units (cities under the province, counties under a city).
    pub units: Vec<UnitBreakdown>,
    /// Class changes between the last two weekly snapshots.
    pub transitions_week: TransitionsSummary,
    /// Class changes between the snapshot four weeks back and the latest.
    pub transitions_month: TransitionsSummary,
    /// Monthly volume by product, the last 12 months, with year-on-year.
    pub volume_trend: Vec<VolumeTrendPoint>,
    /// Key-client share.
    pub key_clients: KeyClientShare,
    /// Top 20 declining / at-risk / churned clients by expected volume at risk.
    pub top_at_risk: Vec<DashboardClientRow>,
    /// Top 20 clients by prepaid-not-lifted volume (then last-90-day volume).
    pub top_prepaid: Vec<DashboardClientRow>,
    /// Total prepaid not lifted in scope, tonnes.
    pub prepaid_not_lifted_t: f64,
    /// Trailing-12-month volume in scope, tonnes.
    pub tonnes_12m: f64,
}
