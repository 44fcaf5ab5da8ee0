//! Reads for the field reports: the visits whose effect is measured (DESIGN §2.4) with their
//! clients' sales, and the points of the visit map.

use crate::sql::Sql;
use crate::{from_code, Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::classification::ClientClass;
use domain::org::DataScope;
use domain::task::TaskSource;
use domain::visit::{MapClient, MapVisit};
use sea_orm::ConnectionTrait;
use std::collections::HashMap;
use uuid::Uuid;

/// A visit made on a dynamic-class task.
#[derive(Debug, Clone)]
pub struct MeasuredVisit {
    /// The client.
    pub client_id: Uuid,
    /// Its org unit.
    pub org_unit_id: Uuid,
    /// Its class now.
    pub class_now: Option<ClientClass>,
    /// Who visited.
    pub user_id: Uuid,
    /// Their name.
    pub user_name: String,
    /// When the visit was received.
    pub received_at: DateTime<Utc>,
}

impl Store {
    /// Visits received since `since` on tasks raised by the dynamic classes, for clients in
    /// `scope`.
    pub async fn measured_visits(
        &self,
        scope: &DataScope,
        since: DateTime<Utc>,
    ) -> Result<Vec<MeasuredVisit>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT v.client_id, c.org_unit_id, ci.class, v.user_id, u.display_name, \
             v.received_at FROM visits v JOIN tasks t ON t.id = v.task_id \
             JOIN clients c ON c.id = v.client_id JOIN users u ON u.id = v.user_id \
             LEFT JOIN client_intel ci ON ci.client_id = v.client_id WHERE t.source = ",
        )
        .bind(TaskSource::DynamicClass.code())
        .push(" AND v.received_at >= ")
        .bind(since);
        sql.scope("c", scope);
        sql.push(" ORDER BY v.received_at");
        self.db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let class: Option<String> = r.try_get_by_index(2)?;
                Ok(MeasuredVisit {
                    client_id: r.try_get_by_index(0)?,
                    org_unit_id: r.try_get_by_index(1)?,
                    class_now: class.map(|c| from_code(&c, "class")).transpose()?,
                    user_id: r.try_get_by_index(3)?,
                    user_name: r.try_get_by_index(4)?,
                    received_at: r.try_get_by_index(5)?,
                })
            })
            .collect()
    }

    /// Tonnes per client and order day from `from` on, for `clients`.
    pub async fn daily_tonnes(
        &self,
        clients: &[Uuid],
        from: NaiveDate,
    ) -> Result<HashMap<Uuid, Vec<(NaiveDate, f64)>>, StoreError> {
        let mut out: HashMap<Uuid, Vec<(NaiveDate, f64)>> = HashMap::new();
        // Bounded lists keep every statement under the backends' parameter limits.
        for chunk in clients.chunks(500) {
            let mut sql = Sql::new(self.backend());
            sql.push(
                "SELECT client_id, order_date, CAST(SUM(quantity_kg) AS BIGINT) FROM sales_orders \
                 WHERE order_date >= ",
            )
            .bind(from)
            .push(" AND client_id IN ")
            .bind_list(chunk)
            .push(" GROUP BY client_id, order_date");
            for r in self.db.query_all(sql.build()).await? {
                let kg: i64 = r.try_get_by_index(2)?;
                out.entry(r.try_get_by_index(0)?)
                    .or_default()
                    .push((r.try_get_by_index(1)?, kg as f64 / 1000.0));
            }
        }
        Ok(out)
    }

    /// The clients in `scope` with a location, and the check-ins on them since `since`.
    pub async fn map_points(
        &self,
        scope: &DataScope,
        since: DateTime<Utc>,
    ) -> Result<(Vec<MapClient>, Vec<MapVisit>), StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT c.id, c.name, c.lat, c.lon, ci.class, ci.grade, c.org_unit_id FROM clients c \
             LEFT JOIN client_intel ci ON ci.client_id = c.id \
             WHERE c.lat IS NOT NULL AND c.lon IS NOT NULL",
        );
        sql.scope("c", scope);
        sql.push(" ORDER BY c.id");
        let clients = self
            .db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let class: Option<String> = r.try_get_by_index(4)?;
                Ok(MapClient {
                    id: r.try_get_by_index(0)?,
                    name: r.try_get_by_index(1)?,
                    lat: r.try_get_by_index(2)?,
                    lon: r.try_get_by_index(3)?,
                    class: class.map(|c| from_code(&c, "class")).transpose()?,
                    grade: r.try_get_by_index(5)?,
                    org_unit_id: r.try_get_by_index(6)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT v.id, v.client_id, v.lat, v.lon, v.verdict, v.received_at FROM visits v \
             JOIN clients c ON c.id = v.client_id WHERE v.received_at >= ",
        )
        .bind(since);
        sql.scope("c", scope);
        sql.push(" ORDER BY v.received_at DESC LIMIT 5000");
        let visits = self
            .db
            .query_all(sql.build())
            .await?
            .iter()
            .map(|r| {
                let verdict: String = r.try_get_by_index(4)?;
                Ok(MapVisit {
                    id: r.try_get_by_index(0)?,
                    client_id: r.try_get_by_index(1)?,
                    lat: r.try_get_by_index(2)?,
                    lon: r.try_get_by_index(3)?,
                    verdict: from_code(&verdict, "visit verdict")?,
                    received_at: r.try_get_by_index(5)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((clients, visits))
    }
}
