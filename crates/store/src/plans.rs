//! Inputs of the half-year coverage plans (DESIGN §2.4): the clients each account manager is
//! due to visit with what orders them, the visits already made, and the plan tasks already
//! dated.

use crate::sql::Sql;
use crate::{Store, StoreError};
use chrono::NaiveDate;
use domain::client::ClientCategory;
use domain::geo::GeoPoint;
use domain::org::DataScope;
use domain::task::AssigneeLevel;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

/// A client as the planner sees it.
#[derive(Debug, Clone)]
pub struct PlanningClient {
    /// The client.
    pub client_id: Uuid,
    /// Its account manager.
    pub account_manager_id: Uuid,
    /// Its org unit.
    pub org_unit_id: Uuid,
    /// Registered location.
    pub location: Option<GeoPoint>,
    /// Grade A at the last recompute.
    pub grade_a: bool,
    /// Declining, at risk or churned at the last recompute.
    pub at_risk: bool,
    /// Expected volume at risk, tonnes.
    pub volume_at_risk_t: f64,
    /// A key client (the 20 % that buy 80 %).
    pub key_client: bool,
    /// A trader that is declining, at risk or churned: the leaders' "high-risk traders".
    pub high_risk_trader: bool,
}

/// The dedupe-key prefix of a half-year's coverage-plan tasks (`coverage:2026-h2:`).
pub fn coverage_key_prefix(half_year_code: &str) -> String {
    format!("coverage:{half_year_code}:")
}

/// The dedupe key of a half-year's coverage visit of `client` at `level`: the account
/// manager's `coverage:2026-h2:<client>`, a quota's `coverage:2026-h2:director:<client>`.
pub fn coverage_key(half_year_code: &str, level: AssigneeLevel, client: Uuid) -> String {
    match level {
        AssigneeLevel::AccountManager => format!("{}{client}", coverage_key_prefix(half_year_code)),
        quota => format!(
            "{}{}:{client}",
            coverage_key_prefix(half_year_code),
            quota.code()
        ),
    }
}

/// The level a coverage key of the half-year belongs to.
pub fn coverage_key_level(half_year_code: &str, key: &str) -> Option<AssigneeLevel> {
    let rest = key.strip_prefix(&coverage_key_prefix(half_year_code))?;
    Some(match rest.split_once(':') {
        Some((level, _)) => AssigneeLevel::from_code(level)?,
        None => AssigneeLevel::AccountManager,
    })
}

impl Store {
    /// Every client in `scope` with its planning figures, by account manager.
    pub async fn planning_clients(
        &self,
        scope: &DataScope,
    ) -> Result<Vec<PlanningClient>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT c.id, c.account_manager_id, c.org_unit_id, c.lat, c.lon, i.grade, i.class, \
             i.volume_at_risk_t, i.key_client, c.category FROM clients c LEFT JOIN client_intel i ON i.client_id = c.id \
             WHERE 1 = 1",
        )
        .scope("c", scope)
        .push(" ORDER BY c.account_manager_id, c.id");
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let (lat, lon): (Option<f64>, Option<f64>) =
                    (r.try_get_by_index(3)?, r.try_get_by_index(4)?);
                let grade: Option<String> = r.try_get_by_index(5)?;
                let class: Option<String> = r.try_get_by_index(6)?;
                let category: String = r.try_get_by_index(9)?;
                let at_risk = matches!(class.as_deref(), Some("declining" | "at_risk" | "churned"));
                Ok(PlanningClient {
                    client_id: r.try_get_by_index(0)?,
                    account_manager_id: r.try_get_by_index(1)?,
                    org_unit_id: r.try_get_by_index(2)?,
                    location: lat.zip(lon).map(|(lat, lon)| GeoPoint { lat, lon }),
                    grade_a: grade.as_deref() == Some(domain::grading::Grade::A.code()),
                    at_risk,
                    volume_at_risk_t: r.try_get_by_index::<Option<f64>>(7)?.unwrap_or(0.0),
                    key_client: r.try_get_by_index::<Option<bool>>(8)?.unwrap_or(false),
                    high_risk_trader: at_risk && category == ClientCategory::Trader.code(),
                })
            })
            .collect()
    }

    /// Visits received from `from` to `to` (inclusive days): (client, user, day).
    pub async fn visits_between(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(Uuid, Uuid, NaiveDate)>, StoreError> {
        let start = from.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc();
        let end = to.and_hms_opt(23, 59, 59).unwrap_or_default().and_utc();
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT client_id, user_id, received_at FROM visits WHERE received_at >= ")
            .bind(start)
            .push(" AND received_at <= ")
            .bind(end);
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let at: chrono::DateTime<chrono::Utc> = r.try_get_by_index(2)?;
                Ok((
                    r.try_get_by_index(0)?,
                    r.try_get_by_index(1)?,
                    at.date_naive(),
                ))
            })
            .collect()
    }

    /// The active coverage-plan tasks of a half-year: (task, client, due date, dedupe key).
    pub async fn coverage_tasks(
        &self,
        half_year_code: &str,
    ) -> Result<Vec<(Uuid, Uuid, NaiveDate, String)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT id, client_id, due_date, dedupe_key FROM tasks WHERE dedupe_key LIKE ")
            .bind(format!("{}%", coverage_key_prefix(half_year_code)))
            .push(" AND status IN ('open', 'checked_in', 'reviewed')");
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                Ok((
                    r.try_get_by_index(0)?,
                    r.try_get_by_index(1)?,
                    r.try_get_by_index(2)?,
                    r.try_get_by_index(3)?,
                ))
            })
            .collect()
    }
}

/// A client a custom plan matched.
#[derive(Debug, Clone)]
pub struct CustomPlanClient {
    /// The client.
    pub client_id: Uuid,
    /// Its org unit.
    pub org_unit_id: Uuid,
    /// Its account manager.
    pub account_manager_id: Uuid,
}

impl Store {
    /// The clients in `scope` (and in `units`, when given) that match `filter`, the most
    /// expected volume at risk first; at most `limit`.
    pub async fn custom_plan_clients(
        &self,
        filter: &domain::custom_plan::CustomPlanFilter,
        units: Option<&[Uuid]>,
        scope: &DataScope,
        limit: usize,
    ) -> Result<Vec<CustomPlanClient>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT c.id, c.org_unit_id, c.account_manager_id FROM clients c \
             LEFT JOIN client_intel i ON i.client_id = c.id WHERE 1 = 1",
        )
        .scope("c", scope);
        if let Some(units) = units {
            sql.push(" AND c.org_unit_id IN ").bind_list(units);
        }
        if let Some(category) = filter.category {
            sql.push(" AND c.category = ").bind(category.code());
        }
        if let Some(industry) = filter.industry {
            sql.push(" AND c.industry = ").bind(industry.code());
        }
        if let Some(grade) = filter.grade {
            sql.push(" AND i.grade = ").bind(grade.code());
        }
        if let Some(class) = filter.class {
            sql.push(" AND i.class = ").bind(class.code());
        }
        if let Some(tag) = filter.tag.as_deref().map(str::trim) {
            // Tags are stored as a JSON array of strings: match one whole element.
            let element = serde_json::to_string(tag).unwrap_or_default();
            sql.push(" AND CAST(c.tags AS TEXT) LIKE ")
                .bind(format!("%{}%", crate::clients::like_escape(&element)))
                .push(" ESCAPE '\\'");
        }
        sql.push(" ORDER BY COALESCE(i.volume_at_risk_t, 0) DESC, c.id LIMIT ")
            .bind(limit as i64);
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                Ok(CustomPlanClient {
                    client_id: r.try_get_by_index(0)?,
                    org_unit_id: r.try_get_by_index(1)?,
                    account_manager_id: r.try_get_by_index(2)?,
                })
            })
            .collect()
    }
}
