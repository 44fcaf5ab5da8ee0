//! Tanks and their gauge readings (液位仪): readings in (idempotent on tank and time), the
//! readings a status is computed from, and the status kept on the tank.

use crate::audit::insert_audit;
use crate::sql::Sql;
use crate::{from_code, Store, StoreError};
use chrono::{DateTime, Utc};
use domain::audit::AuditEntry;
use domain::gauge::TankStatus;
use domain::sales::Product;
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, TransactionTrait};
use std::collections::HashMap;
use uuid::Uuid;

/// One incoming reading with its tank's description.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReading {
    /// The client (station).
    pub client_id: Uuid,
    /// The station's own tank code.
    pub tank_code: String,
    /// Product in the tank.
    pub product: Product,
    /// Capacity, litres.
    pub capacity_litres: f64,
    /// Level, litres.
    pub level_litres: f64,
    /// When it was read.
    pub read_at: DateTime<Utc>,
}

/// A tank and its latest status.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct TankRecord {
    /// Identifier.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Tank code.
    pub tank_code: String,
    /// Product.
    pub product: Product,
    /// Capacity, litres.
    pub capacity_litres: f64,
    /// Last level, litres.
    pub last_level_litres: Option<f64>,
    /// Last reading.
    pub last_read_at: Option<DateTime<Utc>>,
    /// Litres per day.
    pub consumption_litres_per_day: Option<f64>,
    /// Days until empty.
    pub days_until_empty: Option<f64>,
    /// Start of the current episode (last refill).
    pub episode_started_at: Option<DateTime<Utc>>,
}

/// What a readings batch did.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadingsOutcome {
    /// Stored; the tanks touched by new readings.
    Written {
        /// New readings.
        inserted: u64,
        /// Readings already stored with the same level.
        unchanged: u64,
        /// Tanks with new readings (id, client).
        tanks: Vec<(Uuid, Uuid)>,
    },
    /// Nothing written: (tank code, time) pairs stored with a different level.
    Conflicts(Vec<String>),
}

const TANK_COLUMNS: &str =
    "id, client_id, tank_code, product, capacity_litres, last_level_litres, \
    last_read_at, consumption_per_day, days_until_empty, episode_started_at";

fn tank_from_row(r: &sea_orm::QueryResult) -> Result<TankRecord, StoreError> {
    let product: String = r.try_get_by_index(3)?;
    Ok(TankRecord {
        id: r.try_get_by_index(0)?,
        client_id: r.try_get_by_index(1)?,
        tank_code: r.try_get_by_index(2)?,
        product: from_code(&product, "product")?,
        capacity_litres: r.try_get_by_index(4)?,
        last_level_litres: r.try_get_by_index(5)?,
        last_read_at: r.try_get_by_index(6)?,
        consumption_litres_per_day: r.try_get_by_index(7)?,
        days_until_empty: r.try_get_by_index(8)?,
        episode_started_at: r.try_get_by_index(9)?,
    })
}

impl Store {
    /// Stores readings (and the tanks they describe, creating or updating them) in one
    /// transaction with the audit entry. A reading of a tank at a time already stored with
    /// the same level is unchanged; with a different level the batch is a conflict and
    /// nothing is written.
    pub async fn ingest_readings(
        &self,
        readings: &[NewReading],
        audit: &AuditEntry,
        now: DateTime<Utc>,
    ) -> Result<ReadingsOutcome, StoreError> {
        let backend = self.db.get_database_backend();
        let txn = self.db.begin().await?;
        let clients: Vec<Uuid> = {
            let mut ids: Vec<Uuid> = readings.iter().map(|r| r.client_id).collect();
            ids.sort();
            ids.dedup();
            ids
        };
        let mut tanks: HashMap<(Uuid, String), TankRecord> = HashMap::new();
        for chunk in clients.chunks(5_000) {
            let mut sql = Sql::new(backend);
            sql.push("SELECT ")
                .push(TANK_COLUMNS)
                .push(" FROM tanks WHERE client_id IN ")
                .bind_list(chunk);
            for r in txn.query_all(sql.build()).await? {
                let tank = tank_from_row(&r)?;
                tanks.insert((tank.client_id, tank.tank_code.clone()), tank);
            }
        }
        // Tanks: create the unknown ones; follow a changed product or capacity.
        let mut ids: HashMap<(Uuid, String), Uuid> = HashMap::new();
        for r in readings {
            let key = (r.client_id, r.tank_code.clone());
            if ids.contains_key(&key) {
                continue;
            }
            match tanks.get(&key) {
                Some(t) => {
                    if t.product != r.product || t.capacity_litres != r.capacity_litres {
                        let mut sql = Sql::new(backend);
                        sql.push("UPDATE tanks SET product = ")
                            .bind(r.product.code())
                            .push(", capacity_litres = ")
                            .bind(r.capacity_litres)
                            .push(", updated_at = ")
                            .bind(now)
                            .push(" WHERE id = ")
                            .bind(t.id);
                        txn.execute(sql.build()).await?;
                    }
                    ids.insert(key, t.id);
                }
                None => {
                    let id = Uuid::now_v7();
                    let mut insert = Query::insert();
                    insert
                        .into_table(Alias::new("tanks"))
                        .columns(
                            [
                                "id",
                                "client_id",
                                "tank_code",
                                "product",
                                "capacity_litres",
                                "updated_at",
                            ]
                            .map(Alias::new),
                        )
                        .values::<[SimpleExpr; 6]>([
                            id.into(),
                            r.client_id.into(),
                            r.tank_code.clone().into(),
                            r.product.code().into(),
                            r.capacity_litres.into(),
                            now.into(),
                        ])
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    txn.execute(backend.build(&insert))
                        .await
                        .map_err(|e| crate::map_unique(e, &["tank_code"]))?;
                    ids.insert(key, id);
                }
            }
        }
        // Readings already stored at the same times.
        let tank_ids: Vec<Uuid> = {
            let mut v: Vec<Uuid> = ids.values().copied().collect();
            v.sort();
            v
        };
        let earliest = readings.iter().map(|r| r.read_at).min().unwrap_or(now);
        let latest = readings.iter().map(|r| r.read_at).max().unwrap_or(now);
        let mut stored: HashMap<(Uuid, DateTime<Utc>), f64> = HashMap::new();
        for chunk in tank_ids.chunks(5_000) {
            let mut sql = Sql::new(backend);
            sql.push("SELECT tank_id, read_at, level_litres FROM gauge_readings WHERE tank_id IN ")
                .bind_list(chunk)
                .push(" AND read_at >= ")
                .bind(earliest)
                .push(" AND read_at <= ")
                .bind(latest);
            for r in txn.query_all(sql.build()).await? {
                stored.insert(
                    (r.try_get_by_index(0)?, r.try_get_by_index(1)?),
                    r.try_get_by_index(2)?,
                );
            }
        }
        let mut conflicts = Vec::new();
        let mut fresh: Vec<(Uuid, &NewReading)> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for r in readings {
            let tank = ids[&(r.client_id, r.tank_code.clone())];
            if !seen.insert((tank, r.read_at)) {
                continue;
            }
            match stored.get(&(tank, r.read_at)) {
                Some(level) if (*level - r.level_litres).abs() < 1e-9 => {}
                Some(_) => conflicts.push(format!("{}@{}", r.tank_code, r.read_at.to_rfc3339())),
                None => fresh.push((tank, r)),
            }
        }
        if !conflicts.is_empty() {
            txn.rollback().await?;
            return Ok(ReadingsOutcome::Conflicts(conflicts));
        }
        for chunk in fresh.chunks(2_000) {
            let mut insert = Query::insert();
            insert
                .into_table(Alias::new("gauge_readings"))
                .columns(["tank_id", "read_at", "level_litres", "created_at"].map(Alias::new));
            for (tank, r) in chunk {
                insert
                    .values::<[SimpleExpr; 4]>([
                        (*tank).into(),
                        r.read_at.into(),
                        r.level_litres.into(),
                        now.into(),
                    ])
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?;
            }
            txn.execute(backend.build(&insert))
                .await
                .map_err(|e| crate::map_unique(e, &["read_at"]))?;
        }
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        let mut touched: Vec<(Uuid, Uuid)> = fresh.iter().map(|(t, r)| (*t, r.client_id)).collect();
        touched.sort();
        touched.dedup();
        Ok(ReadingsOutcome::Written {
            inserted: fresh.len() as u64,
            unchanged: (readings.len() - fresh.len()) as u64,
            tanks: touched,
        })
    }

    /// A tank's readings since `since`, oldest first.
    pub async fn tank_readings(
        &self,
        tank_id: Uuid,
        since: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, f64)>, StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT read_at, level_litres FROM gauge_readings WHERE tank_id = ")
            .bind(tank_id)
            .push(" AND read_at >= ")
            .bind(since)
            .push(" ORDER BY read_at");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
            .collect()
    }

    /// A tank by id.
    pub async fn tank(&self, tank_id: Uuid) -> Result<Option<TankRecord>, StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT ")
            .push(TANK_COLUMNS)
            .push(" FROM tanks WHERE id = ")
            .bind(tank_id);
        self.db
            .query_one(sql.build())
            .await?
            .map(|r| tank_from_row(&r))
            .transpose()
    }

    /// Keeps a tank's computed status.
    pub async fn set_tank_status(
        &self,
        tank_id: Uuid,
        status: &TankStatus,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("UPDATE tanks SET last_level_litres = ")
            .bind(status.last_level)
            .push(", last_read_at = ")
            .bind(status.last_reading_at)
            .push(", consumption_per_day = ")
            .bind(status.consumption_litres_per_day)
            .push(", days_until_empty = ")
            .bind(status.days_until_empty)
            .push(", episode_started_at = ")
            .bind(status.episode_started_at)
            .push(", updated_at = ")
            .bind(now)
            .push(" WHERE id = ")
            .bind(tank_id);
        self.db.execute(sql.build()).await?;
        Ok(())
    }

    /// A client's tanks with their latest status.
    pub async fn client_tanks(&self, client_id: Uuid) -> Result<Vec<TankRecord>, StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT ")
            .push(TANK_COLUMNS)
            .push(" FROM tanks WHERE client_id = ")
            .bind(client_id)
            .push(" ORDER BY tank_code");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter().map(tank_from_row).collect()
    }
}

impl Store {
    /// A client's account manager and name, for tasks raised by machines.
    pub async fn client_record(
        &self,
        client_id: Uuid,
    ) -> Result<Option<(Uuid, String)>, StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT account_manager_id, name FROM clients WHERE id = ")
            .bind(client_id);
        match self.db.query_one(sql.build()).await? {
            Some(r) => Ok(Some((r.try_get_by_index(0)?, r.try_get_by_index(1)?))),
            None => Ok(None),
        }
    }
}
