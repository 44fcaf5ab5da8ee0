//! Client intelligence in the database: the sales stream the recompute reads, the figures it
//! writes (current figures per client, grade history, weekly class snapshots, monthly volume
//! per org unit, the run log) and the queries behind the dashboard and the client page.

use crate::copy::{copy_rows, sqlx_error};
use crate::sql::Sql;
use crate::{from_code, from_json, Store, StoreError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use domain::analytics::{
    ClassSnapshot, ClientIntel, DashboardClientRow, GradeChange, ProductMonthVolume, RfmScores,
    TransitionCount,
};
use domain::classification::ClientClass;
use domain::grading::Grade;
use domain::org::DataScope;
use domain::sales::Product;
use futures_util::TryStreamExt;
use sea_orm::sea_query::{Alias, OnConflict, Query, SimpleExpr};
use sea_orm::sqlx;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, TransactionTrait, Value};
use std::collections::HashMap;
use uuid::Uuid;

/// What one recompute writes.
#[derive(Debug, Clone)]
pub struct IntelWrite {
    /// The date the figures are as of.
    pub as_of: NaiveDate,
    /// When the run started.
    pub computed_at: DateTime<Utc>,
    /// Rule-set version used.
    pub rule_version: i32,
    /// The fitted model (for the run log).
    pub model: serde_json::Value,
    /// Wall time of the computation so far, milliseconds.
    pub elapsed_ms: i64,
    /// Every client's figures (prospects included).
    pub rows: Vec<ClientIntel>,
    /// False for a historical (backfill) run: only the snapshot and grade history are written.
    pub current: bool,
    /// Volume per (org unit, month, product) up to `as_of` (written with the current figures).
    pub unit_months: Vec<UnitMonthVolume>,
}

/// Volume of one org unit, month and product.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitMonthVolume {
    /// The clients' org unit (county).
    pub org_unit_id: Uuid,
    /// `YYYY-MM`.
    pub month: String,
    /// Product.
    pub product: Product,
    /// Kilograms.
    pub quantity_kg: i64,
}

/// What a save wrote.
#[derive(Debug, Clone, Copy, Default)]
pub struct IntelSaved {
    /// Grade changes recorded.
    pub grade_changes: u64,
    /// Snapshot rows written.
    pub snapshot_rows: u64,
}

/// The last recompute.
#[derive(Debug, Clone)]
pub struct IntelRun {
    /// As of.
    pub as_of: NaiveDate,
    /// When it ran.
    pub started_at: DateTime<Utc>,
    /// Rule version.
    pub rule_version: i32,
    /// The model.
    pub model: serde_json::Value,
    /// Clients.
    pub clients: i64,
    /// Milliseconds.
    pub elapsed_ms: i64,
}

/// Counts behind the dashboard: one row per (unit, class, grade, key-client flag).
#[derive(Debug, Clone)]
pub struct IntelCountRow {
    /// The client's org unit (county).
    pub org_unit_id: Uuid,
    /// Class.
    pub class: ClientClass,
    /// Grade.
    pub grade: Option<Grade>,
    /// Key client.
    pub key_client: bool,
    /// Clients.
    pub clients: u64,
    /// Trailing-12-month tonnes.
    pub tonnes_12m: f64,
    /// Prepaid not lifted, tonnes.
    pub prepaid_t: f64,
}

/// Filters of the classification list.
#[derive(Debug, Clone, Default)]
pub struct IntelFilter {
    /// Only this class.
    pub class: Option<ClientClass>,
    /// Only this grade.
    pub grade: Option<Grade>,
    /// Only key clients.
    pub key_client: Option<bool>,
    /// Only this org unit's subtree (already intersected with the caller's scope).
    pub units: Option<Vec<Uuid>>,
    /// Order: `volume_at_risk` (default), `p_alive`, `tonnes_12m`, `name`.
    pub sort: IntelSort,
    /// Page from 1.
    pub page: u64,
    /// Rows per page.
    pub per_page: u64,
}

/// Orders of the classification list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IntelSort {
    /// Most expected volume at risk first.
    #[default]
    VolumeAtRisk,
    /// Lowest P(alive) first.
    PAlive,
    /// Most volume first.
    Tonnes12m,
    /// By name.
    Name,
}

/// Which dashboard list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TopList {
    /// Declining, at-risk and churned clients by expected volume at risk.
    AtRisk,
    /// Clients by prepaid-not-lifted volume.
    Prepaid,
}

const INTEL_COLUMNS: &str = "i.client_id, c.name, c.org_unit_id, i.as_of, i.grade, i.key_client, \
    i.rfm_r, i.rfm_f, i.rfm_m, i.quadrant, i.class, i.reasons, i.sentence_zh, i.sentence_en, \
    i.p_alive, i.expected_purchases_90d, i.volume_at_risk_t, i.tonnes_12m, i.purchases_12m, \
    i.tonnes_90d, i.prepaid_not_lifted_t, i.rule_version";

fn intel_from_row(row: &QueryResult) -> Result<ClientIntel, StoreError> {
    let grade: Option<String> = row.try_get_by_index(4)?;
    let quadrant: Option<String> = row.try_get_by_index(9)?;
    let class: String = row.try_get_by_index(10)?;
    let reasons: serde_json::Value = row.try_get_by_index(11)?;
    let small = |i: usize| -> Result<u8, StoreError> {
        let v: i32 = row.try_get_by_index(i)?;
        Ok(u8::try_from(v).unwrap_or(0))
    };
    let purchases: i32 = row.try_get_by_index(18)?;
    Ok(ClientIntel {
        client_id: row.try_get_by_index(0)?,
        client_name: row.try_get_by_index(1)?,
        org_unit_id: row.try_get_by_index(2)?,
        as_of: row.try_get_by_index(3)?,
        grade: grade.map(|g| from_code(&g, "grade")).transpose()?,
        key_client: row.try_get_by_index(5)?,
        rfm: RfmScores {
            r: small(6)?,
            f: small(7)?,
            m: small(8)?,
        },
        quadrant: quadrant.map(|q| from_code(&q, "quadrant")).transpose()?,
        class: from_code(&class, "class")?,
        reasons: from_json(&reasons, "class reasons")?,
        sentence_zh: row.try_get_by_index(12)?,
        sentence_en: row.try_get_by_index(13)?,
        p_alive: row.try_get_by_index(14)?,
        expected_purchases_90d: row.try_get_by_index(15)?,
        expected_volume_at_risk_t: row.try_get_by_index(16)?,
        tonnes_12m: row.try_get_by_index(17)?,
        purchases_12m: u32::try_from(purchases).unwrap_or(0),
        tonnes_90d: row.try_get_by_index(19)?,
        prepaid_not_lifted_t: row.try_get_by_index(20)?,
        rule_version: row.try_get_by_index(21)?,
    })
}

fn table(name: &str) -> Alias {
    Alias::new(name)
}

/// Monday of `date`'s week: the key of weekly snapshots.
pub fn week_of(date: NaiveDate) -> NaiveDate {
    date - chrono::TimeDelta::days(i64::from(date.weekday().num_days_from_monday()))
}

/// Rows per INSERT: under SQLite's 32,766 bound parameters at 22 columns.
const INTEL_CHUNK: usize = 1_000;

/// (org unit, class, grade, key client): one row of `intel_unit_counts`.
type CountKey = (Uuid, ClientClass, Option<Grade>, bool);

/// Orders a client's purchases by day when the database did not.
fn sort_by_day(purchases: &mut [(NaiveDate, f64)]) {
    if !purchases.is_sorted_by_key(|(day, _)| *day) {
        purchases.sort_by_key(|(day, _)| *day);
    }
}

/// Logs (at debug) how long one step of a recompute's write took.
fn step_done(table: &str, step: &'static str, started: std::time::Instant) {
    tracing::debug!(
        table,
        step,
        ms = started.elapsed().as_millis() as u64,
        "recompute write step"
    );
}

/// The transaction a recompute writes in: sea-orm's (multi-row INSERTs of [`INTEL_CHUNK`]
/// rows) or, on PostgreSQL, sqlx's own, which can COPY.
enum IntelTxn {
    Sea(sea_orm::DatabaseTransaction, DbBackend),
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// The date of the current figures: every row of `client_intel` is of the same run.
const CURRENT_AS_OF: &str = "SELECT as_of FROM client_intel LIMIT 1";

/// Removes one week from the class-snapshot archive (`$1`, see [`IntelTxn::execute_dated`]).
const DELETE_SNAPSHOT_WEEK: &str = "DELETE FROM class_snapshots WHERE week = $1";

/// The latest grade per client up to a date.
const LATEST_GRADES: &str = "SELECT g.client_id, g.grade, g.key_client FROM grade_history g JOIN \
     (SELECT client_id, MAX(effective_date) AS d FROM grade_history WHERE effective_date <= ";
const LATEST_GRADES_END: &str =
    " GROUP BY client_id) m ON m.client_id = g.client_id AND m.d = g.effective_date";

impl IntelTxn {
    /// Each client's latest (grade, key-client flag) on or before `as_of`.
    async fn latest_grades(
        &mut self,
        as_of: NaiveDate,
    ) -> Result<HashMap<Uuid, (Option<String>, bool)>, StoreError> {
        let mut out = HashMap::new();
        match self {
            IntelTxn::Sea(txn, backend) => {
                let mut sql = Sql::new(*backend);
                sql.push(LATEST_GRADES).bind(as_of).push(LATEST_GRADES_END);
                for r in txn.query_all(sql.build()).await? {
                    out.insert(
                        r.try_get_by_index(0)?,
                        (r.try_get_by_index(1)?, r.try_get_by_index(2)?),
                    );
                }
            }
            IntelTxn::Pg(tx) => {
                use sqlx::Row;
                let query = format!("{LATEST_GRADES}$1{LATEST_GRADES_END}");
                let mut rows = sqlx::query(&query).bind(as_of).fetch(&mut **tx);
                while let Some(r) = rows.try_next().await.map_err(sqlx_error)? {
                    out.insert(
                        r.try_get(0).map_err(sqlx_error)?,
                        (
                            r.try_get(1).map_err(sqlx_error)?,
                            r.try_get(2).map_err(sqlx_error)?,
                        ),
                    );
                }
            }
        }
        Ok(out)
    }

    /// Runs one statement without parameters.
    async fn execute(&mut self, statement: &str) -> Result<(), StoreError> {
        match self {
            IntelTxn::Sea(txn, _) => {
                txn.execute_unprepared(statement).await?;
            }
            IntelTxn::Pg(tx) => {
                sqlx::query(statement)
                    .execute(&mut **tx)
                    .await
                    .map_err(sqlx_error)?;
            }
        }
        Ok(())
    }

    /// Empties a table the recompute rewrites whole.
    async fn delete_all(&mut self, table_name: &str) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        self.execute(&format!("DELETE FROM {table_name}")).await?;
        step_done(table_name, "emptied", started);
        Ok(())
    }

    /// Puts `{table_name}_next`, built by [`build_next`], in the place of `table_name` under
    /// the same names: readers wait only for this, not for the rows or the indexes.
    async fn swap_in(&mut self, table_name: &str, indexes: &[String]) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let next = format!("{table_name}_next");
        self.execute(&format!("DROP TABLE {table_name}")).await?;
        self.execute(&format!("ALTER TABLE {next} RENAME TO {table_name}"))
            .await?;
        for name in indexes {
            self.execute(&format!("ALTER INDEX {name}_next RENAME TO {name}"))
                .await?;
        }
        step_done(table_name, "swapped in", started);
        Ok(())
    }

    /// Runs one statement with a single date parameter, written `$1` (`?` on SQLite).
    async fn execute_dated(&mut self, statement: &str, date: NaiveDate) -> Result<(), StoreError> {
        match self {
            IntelTxn::Sea(txn, backend) => {
                let statement = statement.replace("$1", "?");
                txn.execute(sea_orm::Statement::from_sql_and_values(
                    *backend,
                    statement,
                    [date.into()],
                ))
                .await?;
            }
            IntelTxn::Pg(tx) => {
                sqlx::query(statement)
                    .bind(date)
                    .execute(&mut **tx)
                    .await
                    .map_err(sqlx_error)?;
            }
        }
        Ok(())
    }

    /// The week of the current figures ([`Store::current_week`]), seen by this transaction.
    async fn current_week(&mut self) -> Result<Option<NaiveDate>, StoreError> {
        let as_of: Option<NaiveDate> = match self {
            IntelTxn::Sea(txn, backend) => match txn
                .query_one(sea_orm::Statement::from_string(*backend, CURRENT_AS_OF))
                .await?
            {
                Some(r) => Some(r.try_get_by_index(0)?),
                None => None,
            },
            IntelTxn::Pg(tx) => sqlx::query_scalar(CURRENT_AS_OF)
                .fetch_optional(&mut **tx)
                .await
                .map_err(sqlx_error)?,
        };
        Ok(as_of.map(week_of))
    }

    /// Writes `items` into `table_name`; `row` gives one item's values in the order of
    /// `columns`. With `upsert_key`, a row whose key exists replaces the other columns.
    /// Returns the rows written.
    async fn write<T, const N: usize>(
        &mut self,
        table_name: &str,
        columns: [&str; N],
        items: &[T],
        upsert_key: Option<[&str; 2]>,
        row: impl Fn(&T) -> [Value; N],
    ) -> Result<u64, StoreError> {
        if items.is_empty() {
            return Ok(0);
        }
        let started = std::time::Instant::now();
        match self {
            IntelTxn::Sea(txn, backend) => {
                let conflict = upsert_key.map(|key| {
                    let rest: Vec<Alias> = columns
                        .iter()
                        .filter(|c| !key.contains(c))
                        .map(|c| table(c))
                        .collect();
                    OnConflict::columns(key.map(table))
                        .update_columns(rest)
                        .to_owned()
                });
                for chunk in items.chunks(INTEL_CHUNK) {
                    let mut insert = Query::insert();
                    insert
                        .into_table(table(table_name))
                        .columns(columns.map(table));
                    for item in chunk {
                        insert
                            .values(row(item).map(SimpleExpr::Value))
                            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    }
                    if let Some(conflict) = &conflict {
                        insert.on_conflict(conflict.clone());
                    }
                    txn.execute(backend.build(&insert)).await?;
                }
            }
            IntelTxn::Pg(tx) => match upsert_key {
                None => {
                    copy_rows(tx, table_name, columns, items, row).await?;
                }
                Some(key) => {
                    // COPY cannot upsert: copy into a scratch table, then merge it.
                    let scratch = format!("ygj_upsert_{table_name}");
                    sqlx::query(&format!(
                        "CREATE TEMP TABLE {scratch} (LIKE {table_name} INCLUDING DEFAULTS) \
                         ON COMMIT DROP"
                    ))
                    .execute(&mut **tx)
                    .await
                    .map_err(sqlx_error)?;
                    copy_rows(tx, &scratch, columns, items, row).await?;
                    let updates: Vec<String> = columns
                        .iter()
                        .filter(|c| !key.contains(c))
                        .map(|c| format!("{c} = EXCLUDED.{c}"))
                        .collect();
                    let merge = format!(
                        "INSERT INTO {table_name} ({cols}) SELECT {cols} FROM {scratch} \
                         ON CONFLICT ({key}) DO UPDATE SET {updates}",
                        cols = columns.join(", "),
                        key = key.join(", "),
                        updates = updates.join(", ")
                    );
                    sqlx::query(&merge)
                        .execute(&mut **tx)
                        .await
                        .map_err(sqlx_error)?;
                }
            },
        }
        step_done(table_name, "written", started);
        Ok(items.len() as u64)
    }

    async fn commit(self) -> Result<(), StoreError> {
        match self {
            IntelTxn::Sea(txn, _) => txn.commit().await?,
            IntelTxn::Pg(tx) => tx.commit().await.map_err(sqlx_error)?,
        }
        Ok(())
    }
}

/// Builds `{table_name}_next` on PostgreSQL, outside the run's transaction, while that
/// transaction writes the rest: a table shaped like `table_name` that nobody reads, filled
/// by two COPYs at once (one backend parsing COPY was the bottleneck), then given the old
/// table's indexes (read from the catalogue, so a migration that adds one needs nothing
/// here; two at a time), its primary key and its statistics. [`IntelTxn::swap_in`] puts it
/// in place. A table left behind by a run that failed is dropped first; the caller holds
/// the recompute's lock, so no other run is building one. Returns the names of the indexes.
async fn build_next<T: Sync, const N: usize>(
    pool: &sqlx::PgPool,
    table_name: &str,
    columns: [&str; N],
    items: &[T],
    row: impl Fn(&T) -> [Value; N] + Sync,
) -> Result<Vec<String>, StoreError> {
    use sqlx::Row;
    let started = std::time::Instant::now();
    let next = format!("{table_name}_next");
    let (mut first, mut second) =
        tokio::try_join!(pool.acquire(), pool.acquire()).map_err(sqlx_error)?;
    for statement in [
        format!("DROP TABLE IF EXISTS {next}"),
        format!("CREATE TABLE {next} (LIKE {table_name} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"),
    ] {
        sqlx::query(&statement)
            .execute(&mut *first)
            .await
            .map_err(sqlx_error)?;
    }
    let (front, back) = items.split_at(items.len() / 2);
    tokio::try_join!(
        copy_rows(&mut first, &next, columns, front, &row),
        copy_rows(&mut second, &next, columns, back, &row),
    )?;
    step_done(&next, "written", started);
    let started = std::time::Instant::now();
    let indexes = sqlx::query(
        "SELECT i.relname, pg_get_indexdef(x.indexrelid), x.indisunique, x.indisprimary \
         FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
         WHERE x.indrelid = CAST($1 AS regclass) ORDER BY i.relname",
    )
    .bind(table_name)
    .fetch_all(&mut *first)
    .await
    .map_err(sqlx_error)?;
    let mut names = Vec::new();
    let mut builds: [Vec<String>; 2] = Default::default();
    for (i, index) in indexes.iter().enumerate() {
        let name: String = index.try_get(0).map_err(sqlx_error)?;
        let definition: String = index.try_get(1).map_err(sqlx_error)?;
        let unique: bool = index.try_get(2).map_err(sqlx_error)?;
        let primary: bool = index.try_get(3).map_err(sqlx_error)?;
        // "CREATE [UNIQUE] INDEX name ON table USING method (columns)": keep what follows
        // the table.
        let Some((_, method)) = definition.split_once(" USING ") else {
            return Err(StoreError::Corrupt(format!("index {name}: {definition}")));
        };
        let unique = if unique { "UNIQUE " } else { "" };
        let build = &mut builds[i % 2];
        build.push(format!(
            "CREATE {unique}INDEX {name}_next ON {next} USING {method}"
        ));
        if primary {
            build.push(format!(
                "ALTER TABLE {next} ADD CONSTRAINT {name}_next PRIMARY KEY USING INDEX {name}_next"
            ));
        }
        names.push(name);
    }
    let [even, odd] = builds;
    async fn run(conn: &mut sqlx::PgConnection, statements: Vec<String>) -> Result<(), StoreError> {
        for statement in statements {
            sqlx::query(&statement)
                .execute(&mut *conn)
                .await
                .map_err(sqlx_error)?;
        }
        Ok(())
    }
    tokio::try_join!(run(&mut first, even), run(&mut second, odd))?;
    sqlx::query(&format!("ANALYZE {next}"))
        .execute(&mut *first)
        .await
        .map_err(sqlx_error)?;
    step_done(&next, "indexed", started);
    Ok(names)
}

/// Products a packed order can name: its low [`PRODUCT_BITS`] bits hold the product's place
/// in `Product::ALL`, 1-based (0 = a code this build does not know).
const PRODUCTS: usize = Product::ALL.len();
const PRODUCT_BITS: u32 = 4;
const _: () = assert!(PRODUCTS < 1 << PRODUCT_BITS);
/// Bits of an order's kilograms: up to 68,719 t, far above any order ingestion accepts.
const KG_BITS: u32 = 36;
/// Orders are dated in days since this day (the packed day cannot be negative).
const PACKED_EPOCH: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("a date");

/// The recompute's read on PostgreSQL: one row per client with its orders packed one
/// `bigint` each, (days since 1900 << 40) | (kg << 4) | product, for the clients below
/// (`below`) or from the id `$2`. One array of one type
/// instead of three: the database sends each element through its own call, and that was
/// two-thirds of its work. The product is matched with `CASE` (`$3…`, the codes of
/// `Product::ALL`): `array_position` over a text array cost more than the rest of the query
/// together. An order that does not fit is NULL, which the reader reports.
fn packed_orders_query(below: bool) -> String {
    use std::fmt::Write;
    let mut products = String::new();
    for i in 0..PRODUCTS {
        let _ = write!(products, " WHEN ${} THEN {}", i + 3, i + 1);
    }
    format!(
        "SELECT client_id, array_agg(CASE WHEN quantity_kg BETWEEN 0 AND {max_kg} \
         AND order_date >= DATE '{PACKED_EPOCH}' THEN \
         (CAST(order_date - DATE '{PACKED_EPOCH}' AS BIGINT) << {day_shift}) \
         | (quantity_kg << {PRODUCT_BITS}) | CASE product{products} ELSE 0 END END) \
         FROM sales_orders WHERE order_date <= $1 \
         AND client_id {side} $2 GROUP BY client_id ORDER BY client_id",
        side = if below { "<" } else { ">=" },
        max_kg = (1i64 << KG_BITS) - 1,
        day_shift = KG_BITS + PRODUCT_BITS,
    )
}

/// The elements of a binary `bigint[]` as sent by PostgreSQL, unpacked as in
/// [`packed_orders_query`]: `Some((day, kg, product index))`, `None` for a NULL element or
/// one cut short (after which the iteration ends).
struct PackedOrders<'a> {
    rest: &'a [u8],
    remaining: usize,
}

impl<'a> PackedOrders<'a> {
    /// `None` when the bytes are not the header of a one-dimensional array.
    fn new(bytes: &'a [u8]) -> Option<Self> {
        let int = |at: usize| -> Option<i32> {
            Some(i32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
        };
        match int(0)? {
            0 => Some(Self {
                rest: &[],
                remaining: 0,
            }),
            1 => Some(Self {
                remaining: usize::try_from(int(12)?).ok()?,
                rest: bytes.get(20..)?,
            }),
            _ => None,
        }
    }
}

impl Iterator for PackedOrders<'_> {
    type Item = Option<(NaiveDate, i64, Option<usize>)>;

    fn next(&mut self) -> Option<Self::Item> {
        self.remaining = self.remaining.checked_sub(1)?;
        let element = self
            .rest
            .split_first_chunk::<4>()
            .filter(|(length, _)| i32::from_be_bytes(**length) == 8)
            .and_then(|(_, rest)| rest.split_first_chunk::<8>());
        let Some((value, rest)) = element else {
            self.remaining = 0;
            return Some(None);
        };
        self.rest = rest;
        let packed = i64::from_be_bytes(*value);
        let day = PACKED_EPOCH.checked_add_days(chrono::Days::new(
            (packed >> (KG_BITS + PRODUCT_BITS)) as u64,
        ));
        let kg = (packed >> PRODUCT_BITS) & ((1 << KG_BITS) - 1);
        let product = ((packed & ((1 << PRODUCT_BITS) - 1)) as usize).checked_sub(1);
        Some(day.map(|day| (day, kg, product)))
    }
}

/// Volume per (org unit, month, product), summed as the orders stream by: a dense table per
/// unit, months counted back from `as_of`'s, so an order costs an index, not a hash.
struct MonthlySums {
    as_of_month: i32,
    index: HashMap<Uuid, usize>,
    units: Vec<(Uuid, Vec<[i64; PRODUCTS]>)>,
}

impl MonthlySums {
    fn new(as_of: NaiveDate) -> Self {
        Self {
            as_of_month: as_of.year() * 12 + as_of.month0() as i32,
            index: HashMap::new(),
            units: Vec::new(),
        }
    }

    /// The place of `unit` in the table.
    fn unit(&mut self, unit: Uuid) -> usize {
        *self.index.entry(unit).or_insert_with(|| {
            self.units.push((unit, Vec::new()));
            self.units.len() - 1
        })
    }

    fn add(&mut self, unit: usize, day: NaiveDate, product: usize, kg: i64) {
        let Ok(back) = usize::try_from(self.as_of_month - (day.year() * 12 + day.month0() as i32))
        else {
            return;
        };
        let (Some((_, months)), true) = (self.units.get_mut(unit), product < PRODUCTS) else {
            return;
        };
        if months.len() <= back {
            months.resize(back + 1, [0; PRODUCTS]);
        }
        months[back][product] += kg;
    }

    fn into_rows(self) -> Vec<UnitMonthVolume> {
        let mut rows = Vec::new();
        for (org_unit_id, months) in self.units {
            for (back, volumes) in months.iter().enumerate() {
                let month = self.as_of_month - back as i32;
                for (product, quantity_kg) in Product::ALL.iter().zip(volumes) {
                    if *quantity_kg != 0 {
                        rows.push(UnitMonthVolume {
                            org_unit_id,
                            month: format!(
                                "{:04}-{:02}",
                                month.div_euclid(12),
                                month.rem_euclid(12) + 1
                            ),
                            product: *product,
                            quantity_kg: *quantity_kg,
                        });
                    }
                }
            }
        }
        rows
    }
}

/// The columns of `client_intel`, in the order of [`client_intel_row`].
const CLIENT_INTEL_COLUMNS: [&str; 21] = [
    "client_id",
    "as_of",
    "grade",
    "key_client",
    "rfm_r",
    "rfm_f",
    "rfm_m",
    "quadrant",
    "class",
    "reasons",
    "sentence_zh",
    "sentence_en",
    "p_alive",
    "expected_purchases_90d",
    "volume_at_risk_t",
    "tonnes_12m",
    "purchases_12m",
    "tonnes_90d",
    "prepaid_not_lifted_t",
    "rule_version",
    "computed_at",
];

/// One client's current figures as the values of [`CLIENT_INTEL_COLUMNS`].
fn client_intel_row(w: &IntelWrite, row: &ClientIntel) -> [Value; 21] {
    [
        row.client_id.into(),
        w.as_of.into(),
        row.grade.map(|g| g.code().to_owned()).into(),
        row.key_client.into(),
        i32::from(row.rfm.r).into(),
        i32::from(row.rfm.f).into(),
        i32::from(row.rfm.m).into(),
        row.quadrant.map(|q| q.code().to_owned()).into(),
        row.class.code().into(),
        // The JSON text straight from the reasons: no tree of values per row on the way.
        serde_json::to_string(&row.reasons)
            .unwrap_or_else(|_| "null".to_owned())
            .into(),
        row.sentence_zh.as_str().into(),
        row.sentence_en.as_str().into(),
        row.p_alive.into(),
        row.expected_purchases_90d.into(),
        row.expected_volume_at_risk_t.into(),
        row.tonnes_12m.into(),
        i64::from(row.purchases_12m).into(),
        row.tonnes_90d.into(),
        row.prepaid_not_lifted_t.into(),
        w.rule_version.into(),
        w.computed_at.into(),
    ]
}

/// Everything of a recompute but the current figures, in its transaction: the grade changes,
/// the week's class snapshot and, for a current run, the monthly volume per org unit, the
/// counts per org unit and the run log.
async fn write_history(txn: &mut IntelTxn, w: &IntelWrite) -> Result<IntelSaved, StoreError> {
    let previous = txn.latest_grades(w.as_of).await?;
    let mut saved = IntelSaved::default();
    let changes: Vec<&ClientIntel> = w
        .rows
        .iter()
        .filter(|row| {
            let grade = row.grade.map(|g| g.code().to_owned());
            match previous.get(&row.client_id) {
                Some((g, k)) => *g != grade || *k != row.key_client,
                // A client never graded gets its first entry once it has a grade.
                None => row.grade.is_some(),
            }
        })
        .collect();
    drop(previous);
    saved.grade_changes = txn
        .write(
            "grade_history",
            [
                "client_id",
                "effective_date",
                "grade",
                "key_client",
                "tonnes_12m",
                "rule_version",
            ],
            &changes,
            Some(["client_id", "effective_date"]),
            |row| {
                [
                    row.client_id.into(),
                    w.as_of.into(),
                    row.grade.map(|g| g.code().to_owned()).into(),
                    row.key_client.into(),
                    row.tonnes_12m.into(),
                    w.rule_version.into(),
                ]
            },
        )
        .await?;
    // The week's snapshot. A current run's is the current figures themselves, which the
    // caller writes: the nightly job would otherwise rewrite the same week's 600,000 rows
    // every night (at scale 100). Only when a run starts another week are the figures of the
    // one before copied into the archive, by the database, as that week's snapshot.
    let week = week_of(w.as_of);
    txn.execute_dated(DELETE_SNAPSHOT_WEEK, week).await?;
    if w.current {
        if let Some(previous) = txn.current_week().await?.filter(|p| *p != week) {
            let started = std::time::Instant::now();
            txn.execute_dated(DELETE_SNAPSHOT_WEEK, previous).await?;
            let week_value = match txn {
                IntelTxn::Pg(_) => "CAST($1 AS date)",
                IntelTxn::Sea(..) => "$1",
            };
            txn.execute_dated(
                &format!(
                    "INSERT INTO class_snapshots (week, client_id, class, sentence_zh, sentence_en) \
                     SELECT {week_value}, client_id, class, sentence_zh, sentence_en FROM client_intel"
                ),
                previous,
            )
            .await?;
            step_done("class_snapshots", "archived the previous week", started);
        }
        saved.snapshot_rows = w.rows.len() as u64;
    } else {
        saved.snapshot_rows = txn
            .write(
                "class_snapshots",
                ["week", "client_id", "class", "sentence_zh", "sentence_en"],
                &w.rows,
                None,
                |row| {
                    [
                        week.into(),
                        row.client_id.into(),
                        row.class.code().into(),
                        row.sentence_zh.as_str().into(),
                        row.sentence_en.as_str().into(),
                    ]
                },
            )
            .await?;
    }
    if w.current {
        txn.delete_all("unit_monthly_volume").await?;
        txn.write(
            "unit_monthly_volume",
            ["org_unit_id", "month", "product", "quantity_kg"],
            &w.unit_months,
            None,
            |v| {
                [
                    v.org_unit_id.into(),
                    v.month.as_str().into(),
                    v.product.code().into(),
                    v.quantity_kg.into(),
                ]
            },
        )
        .await?;
        txn.delete_all("intel_unit_counts").await?;
        let mut counts: HashMap<CountKey, (i64, f64, f64)> = HashMap::new();
        for row in &w.rows {
            let entry = counts
                .entry((row.org_unit_id, row.class, row.grade, row.key_client))
                .or_default();
            entry.0 += 1;
            entry.1 += row.tonnes_12m;
            entry.2 += row.prepaid_not_lifted_t;
        }
        let counts: Vec<_> = counts.into_iter().collect();
        txn.write(
            "intel_unit_counts",
            [
                "org_unit_id",
                "class",
                "grade",
                "key_client",
                "clients",
                "tonnes_12m",
                "prepaid_t",
            ],
            &counts,
            None,
            |((unit, class, grade, key), (n, tonnes, prepaid))| {
                [
                    (*unit).into(),
                    class.code().into(),
                    grade.map(|g| g.code().to_owned()).into(),
                    (*key).into(),
                    (*n).into(),
                    (*tonnes).into(),
                    (*prepaid).into(),
                ]
            },
        )
        .await?;
        txn.write(
            "intel_runs",
            [
                "id",
                "as_of",
                "started_at",
                "elapsed_ms",
                "clients",
                "model",
                "rule_version",
            ],
            &[w],
            None,
            |w| {
                [
                    Uuid::now_v7().into(),
                    w.as_of.into(),
                    w.computed_at.into(),
                    w.elapsed_ms.into(),
                    (w.rows.len() as i64).into(),
                    Value::Json(Some(Box::new(w.model.clone()))),
                    w.rule_version.into(),
                ]
            },
        )
        .await?;
    }
    Ok(saved)
}

impl Store {
    pub(crate) fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// Every client as (id, org unit), in id order: the recompute covers prospects too.
    pub async fn intel_clients(&self) -> Result<Vec<(Uuid, Uuid)>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT id, org_unit_id FROM clients ORDER BY id");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| Ok((r.try_get_by_index(0)?, r.try_get_by_index(1)?)))
            .collect()
    }

    /// Prepaid-not-lifted balance per client as of `as_of`, kilograms (clients with a
    /// non-zero balance only).
    pub async fn prepaid_balances_kg(
        &self,
        as_of: NaiveDate,
    ) -> Result<HashMap<Uuid, i64>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT client_id, CAST(SUM(CASE WHEN kind = 'prepayment' THEN quantity_kg \
             ELSE -quantity_kg END) AS BIGINT) FROM prepayments WHERE entry_date <= ",
        )
        .bind(as_of)
        .push(" GROUP BY client_id");
        let rows = self.db.query_all(sql.build()).await?;
        let mut out = HashMap::with_capacity(rows.len());
        for r in rows {
            let kg: Option<i64> = r.try_get_by_index(1)?;
            if let Some(kg) = kg.filter(|k| *k != 0) {
                out.insert(r.try_get_by_index::<Uuid>(0)?, kg);
            }
        }
        Ok(out)
    }

    /// Streams every order up to `as_of` and calls `each` once per client with its orders as
    /// (date, tonnes), oldest first; clients come in no particular order. Memory holds one
    /// client's orders at a time. With `units` (client → org unit) it also sums the volume per
    /// (unit, month, product) on the way, which the dashboard's trend reads. Returns the rows
    /// read and those sums.
    ///
    /// On PostgreSQL with `units`, the clients below and from the middle id are read at the
    /// same time on two connections: one backend aggregating the orders was the bottleneck,
    /// while the database's own parallel plan (the benchmark's floor) uses two.
    pub async fn for_each_client_orders<F>(
        &self,
        as_of: NaiveDate,
        units: Option<&HashMap<Uuid, Uuid>>,
        mut each: F,
    ) -> Result<(u64, Vec<UnitMonthVolume>), StoreError>
    where
        F: FnMut(Uuid, &[(NaiveDate, f64)]),
    {
        use sqlx::Row;
        // SQLite hands each row from its worker thread to the async side separately, which
        // costs more than the scan itself: one packed row per client ("date|kg|product;…")
        // reads the demo province's 300,000 orders in a third of the time.
        const QUERY_SQLITE: &str = "SELECT client_id, \
            group_concat(order_date || '|' || quantity_kg || '|' || product, ';') \
            FROM sales_orders WHERE order_date <= ? GROUP BY client_id ORDER BY client_id";
        let mut sums = MonthlySums::new(as_of);
        let mut buffer: Vec<(NaiveDate, f64)> = Vec::with_capacity(512);
        let mut rows = 0u64;
        let unit_of = |client: &Uuid| units.and_then(|u| u.get(client).copied());
        let map = sqlx_error;
        match self.backend() {
            DbBackend::Postgres => {
                let pool = self.db.get_postgres_connection_pool();
                let middle = units.and_then(|units| {
                    let mut ids: Vec<Uuid> = units.keys().copied().collect();
                    let half = ids.len() / 2;
                    (half > 0).then(|| *ids.select_nth_unstable(half).1)
                });
                static QUERIES: std::sync::LazyLock<[String; 2]> = std::sync::LazyLock::new(|| {
                    [packed_orders_query(true), packed_orders_query(false)]
                });
                let [below, from] = &*QUERIES;
                let fetch = |query: &'static str, middle: Uuid| {
                    let mut query = sqlx::query(query).bind(as_of).bind(middle);
                    for product in Product::ALL {
                        query = query.bind(product.code());
                    }
                    query.fetch(pool)
                };
                let streams = match middle {
                    Some(middle) => vec![fetch(below, middle), fetch(from, middle)],
                    None => vec![fetch(from, Uuid::nil())],
                };
                let mut stream = futures_util::stream::select_all(streams);
                while let Some(row) = stream.try_next().await.map_err(map)? {
                    let client: Uuid = row.try_get(0).map_err(map)?;
                    let raw = row.try_get_raw(1).map_err(map)?;
                    let bytes = raw.as_bytes().map_err(|e| {
                        StoreError::Corrupt(format!("orders of client {client}: {e}"))
                    })?;
                    let unit = unit_of(&client).map(|u| sums.unit(u));
                    buffer.clear();
                    for packed in PackedOrders::new(bytes)
                        .ok_or_else(|| StoreError::Corrupt(format!("orders of client {client}")))?
                    {
                        let (day, kg, product) = packed.ok_or_else(|| {
                            StoreError::Corrupt(format!(
                                "an order of client {client} is out of range"
                            ))
                        })?;
                        buffer.push((day, kg as f64 / 1000.0));
                        if let (Some(unit), Some(product)) = (unit, product) {
                            sums.add(unit, day, product, kg);
                        }
                    }
                    rows += buffer.len() as u64;
                    sort_by_day(&mut buffer);
                    each(client, &buffer);
                }
            }
            DbBackend::Sqlite => {
                let pool = self.db.get_sqlite_connection_pool();
                let mut stream = sqlx::query(QUERY_SQLITE).bind(as_of).fetch(pool);
                let corrupt = |order: &str| StoreError::Corrupt(format!("sales order `{order}`"));
                while let Some(row) = stream.try_next().await.map_err(map)? {
                    let client: Uuid = row.try_get(0).map_err(map)?;
                    let unit = unit_of(&client).map(|u| sums.unit(u));
                    buffer.clear();
                    for order in row.try_get::<&str, _>(1).map_err(map)?.split(';') {
                        let mut parts = order.splitn(3, '|');
                        let (Some(date), Some(kg), Some(product)) =
                            (parts.next(), parts.next(), parts.next())
                        else {
                            return Err(corrupt(order));
                        };
                        let date = NaiveDate::parse_from_str(date, "%Y-%m-%d")
                            .map_err(|_| corrupt(order))?;
                        let kg: i64 = kg.parse().map_err(|_| corrupt(order))?;
                        buffer.push((date, kg as f64 / 1000.0));
                        let product = Product::ALL.iter().position(|p| p.code() == product);
                        if let (Some(unit), Some(product)) = (unit, product) {
                            sums.add(unit, date, product, kg);
                        }
                    }
                    rows += buffer.len() as u64;
                    sort_by_day(&mut buffer);
                    each(client, &buffer);
                }
            }
            DbBackend::MySql => {
                return Err(StoreError::Corrupt("MySQL is not supported".to_owned()));
            }
        }
        Ok((rows, sums.into_rows()))
    }

    /// Writes one recompute in one transaction: the current figures (replacing the previous
    /// ones), a grade-history row for every client whose grade or key-client flag changed, the
    /// week's class snapshot (replacing that week's), the monthly volume per org unit and the
    /// run log. A historical run (`current = false`) writes the snapshot and grade history only.
    /// PostgreSQL takes the rows by COPY, SQLite by multi-row INSERTs.
    ///
    /// On PostgreSQL the current figures are built beside the transaction, on two other
    /// connections, while it writes the rest ([`build_next`]); it then swaps them in. A lock
    /// held by the transaction keeps two runs from writing at once.
    pub async fn save_intel(&self, w: &IntelWrite) -> Result<IntelSaved, StoreError> {
        let mut txn = match self.backend() {
            DbBackend::Postgres => IntelTxn::Pg(
                self.db
                    .get_postgres_connection_pool()
                    .begin()
                    .await
                    .map_err(sqlx_error)?,
            ),
            backend => IntelTxn::Sea(self.db.begin().await?, backend),
        };
        let intel_row = |row: &ClientIntel| client_intel_row(w, row);
        let saved = match &txn {
            IntelTxn::Pg(_) if w.current => {
                txn.execute("SELECT pg_advisory_xact_lock(hashtext('save_intel'))")
                    .await?;
                let pool = self.db.get_postgres_connection_pool();
                let (saved, indexes) = tokio::try_join!(
                    write_history(&mut txn, w),
                    build_next(
                        pool,
                        "client_intel",
                        CLIENT_INTEL_COLUMNS,
                        &w.rows,
                        intel_row
                    ),
                )?;
                txn.swap_in("client_intel", &indexes).await?;
                saved
            }
            _ => {
                let saved = write_history(&mut txn, w).await?;
                if w.current {
                    txn.delete_all("client_intel").await?;
                    txn.write(
                        "client_intel",
                        CLIENT_INTEL_COLUMNS,
                        &w.rows,
                        None,
                        intel_row,
                    )
                    .await?;
                }
                saved
            }
        };
        txn.commit().await?;
        Ok(saved)
    }

    /// The latest current recompute, if any.
    pub async fn latest_intel_run(&self) -> Result<Option<IntelRun>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT as_of, started_at, rule_version, model, clients, elapsed_ms FROM intel_runs \
             ORDER BY started_at DESC, id DESC LIMIT 1",
        );
        let Some(r) = self.db.query_one(sql.build()).await? else {
            return Ok(None);
        };
        Ok(Some(IntelRun {
            as_of: r.try_get_by_index(0)?,
            started_at: r.try_get_by_index(1)?,
            rule_version: r.try_get_by_index(2)?,
            model: r.try_get_by_index(3)?,
            clients: r.try_get_by_index(4)?,
            elapsed_ms: r.try_get_by_index(5)?,
        }))
    }

    /// One client's current figures.
    pub async fn client_intel(&self, client_id: Uuid) -> Result<Option<ClientIntel>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ")
            .push(INTEL_COLUMNS)
            .push(" FROM client_intel i JOIN clients c ON c.id = i.client_id WHERE i.client_id = ")
            .bind(client_id);
        self.db
            .query_one(sql.build())
            .await?
            .map(|r| intel_from_row(&r))
            .transpose()
    }

    /// One client's grade changes, oldest first.
    pub async fn client_grade_history(
        &self,
        client_id: Uuid,
    ) -> Result<Vec<GradeChange>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT effective_date, grade, key_client, tonnes_12m, rule_version FROM grade_history \
             WHERE client_id = ",
        )
        .bind(client_id)
        .push(" ORDER BY effective_date");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                let grade: Option<String> = r.try_get_by_index(1)?;
                Ok(GradeChange {
                    effective_date: r.try_get_by_index(0)?,
                    grade: grade.map(|g| from_code(&g, "grade")).transpose()?,
                    key_client: r.try_get_by_index(2)?,
                    tonnes_12m: r.try_get_by_index(3)?,
                    rule_version: r.try_get_by_index(4)?,
                })
            })
            .collect()
    }

    /// The week of the current figures: every row of `client_intel` is of the same run.
    /// That week's class snapshot is `client_intel` itself (see [`write_history`]); rows of
    /// it still in `class_snapshots` (written before that rule) are ignored.
    async fn current_week(&self) -> Result<Option<NaiveDate>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(CURRENT_AS_OF);
        Ok(match self.db.query_one(sql.build()).await? {
            Some(r) => Some(week_of(r.try_get_by_index(0)?)),
            None => None,
        })
    }

    /// One client's weekly class snapshots, oldest first (at most 105): the archived weeks
    /// and the current week.
    pub async fn client_class_history(
        &self,
        client_id: Uuid,
    ) -> Result<Vec<ClassSnapshot>, StoreError> {
        let snapshot = |r: &QueryResult, week: Option<NaiveDate>| {
            let class: String = r.try_get_by_index(1)?;
            Ok::<_, StoreError>(ClassSnapshot {
                week: match week {
                    Some(week) => week,
                    None => r.try_get_by_index(0)?,
                },
                class: from_code(&class, "class")?,
                sentence_zh: r.try_get_by_index(2)?,
                sentence_en: r.try_get_by_index(3)?,
            })
        };
        let mut current = Sql::new(self.backend());
        current
            .push("SELECT as_of, class, sentence_zh, sentence_en FROM client_intel WHERE client_id = ")
            .bind(client_id);
        let mut out = Vec::new();
        let mut archived = Sql::new(self.backend());
        archived
            .push("SELECT week, class, sentence_zh, sentence_en FROM class_snapshots WHERE client_id = ")
            .bind(client_id);
        if let Some(r) = self.db.query_one(current.build()).await? {
            let week = week_of(r.try_get_by_index(0)?);
            out.push(snapshot(&r, Some(week))?);
            archived.push(" AND week <> ").bind(week);
        }
        archived
            .push(" ORDER BY week DESC LIMIT ")
            .bind(105 - out.len() as i64);
        for r in self.db.query_all(archived.build()).await? {
            out.push(snapshot(&r, None)?);
        }
        // Oldest first; the current week is the latest but after a run as of a past date.
        out.sort_by_key(|snapshot| snapshot.week);
        out.drain(..out.len().saturating_sub(105));
        Ok(out)
    }

    /// Monthly volume by product of the clients selected by `client` (one client) or `owner`
    /// (an account manager's clients), from `from` to `until`, oldest first.
    pub async fn monthly_by_product(
        &self,
        client: Option<Uuid>,
        owner: Option<Uuid>,
        from: NaiveDate,
        until: NaiveDate,
    ) -> Result<Vec<ProductMonthVolume>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT o.order_date, o.product, o.quantity_kg FROM sales_orders o \
             JOIN clients c ON c.id = o.client_id WHERE o.order_date >= ",
        )
        .bind(from)
        .push(" AND o.order_date <= ")
        .bind(until);
        if let Some(client) = client {
            sql.push(" AND o.client_id = ").bind(client);
        }
        if let Some(owner) = owner {
            sql.push(" AND c.account_manager_id = ").bind(owner);
        }
        let rows = self.db.query_all(sql.build()).await?;
        let mut sums: std::collections::BTreeMap<(String, Product), i64> = Default::default();
        for r in rows {
            let date: NaiveDate = r.try_get_by_index(0)?;
            let product: String = r.try_get_by_index(1)?;
            let kg: i64 = r.try_get_by_index(2)?;
            let key = (
                format!("{:04}-{:02}", date.year(), date.month()),
                from_code(&product, "product")?,
            );
            *sums.entry(key).or_default() += kg;
        }
        Ok(sums
            .into_iter()
            .map(|((month, product), kg)| ProductMonthVolume {
                month,
                product,
                tonnes: kg as f64 / 1000.0,
            })
            .collect())
    }

    /// Monthly volume by product of the org units `units` (all when `None`) from month `from`
    /// (`YYYY-MM`) on, as of the last recompute.
    pub async fn unit_monthly_volume(
        &self,
        units: Option<&[Uuid]>,
        from: &str,
    ) -> Result<Vec<ProductMonthVolume>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT month, product, CAST(SUM(quantity_kg) AS BIGINT) FROM unit_monthly_volume \
             WHERE month >= ",
        )
        .bind(from.to_owned());
        if let Some(units) = units {
            sql.push(" AND org_unit_id IN ").bind_list(units);
        }
        sql.push(" GROUP BY month, product ORDER BY month, product");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                let product: String = r.try_get_by_index(1)?;
                let kg: i64 = r.try_get_by_index(2)?;
                Ok(ProductMonthVolume {
                    month: r.try_get_by_index(0)?,
                    product: from_code(&product, "product")?,
                    tonnes: kg as f64 / 1000.0,
                })
            })
            .collect()
    }

    /// Class, grade and key-client counts per org unit over the clients of `scope`.
    pub async fn intel_counts(&self, scope: &DataScope) -> Result<Vec<IntelCountRow>, StoreError> {
        let mut sql = Sql::new(self.backend());
        match scope {
            // A unit's figures were counted at the recompute.
            DataScope::All | DataScope::Units(_) => {
                sql.push(
                    "SELECT org_unit_id, class, grade, key_client, clients, tonnes_12m, prepaid_t \
                     FROM intel_unit_counts",
                );
                if let DataScope::Units(units) = scope {
                    sql.push(" WHERE org_unit_id IN ").bind_list(units);
                }
            }
            // An account manager's own clients: few, counted now.
            DataScope::Owner(_) => {
                sql.push(
                    "SELECT c.org_unit_id, i.class, i.grade, i.key_client, COUNT(*), \
                     SUM(i.tonnes_12m), SUM(i.prepaid_not_lifted_t) FROM client_intel i \
                     JOIN clients c ON c.id = i.client_id WHERE 1 = 1",
                )
                .scope("c", scope)
                .push(" GROUP BY c.org_unit_id, i.class, i.grade, i.key_client");
            }
        }
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                let class: String = r.try_get_by_index(1)?;
                let grade: Option<String> = r.try_get_by_index(2)?;
                let clients: i64 = r.try_get_by_index(4)?;
                Ok(IntelCountRow {
                    org_unit_id: r.try_get_by_index(0)?,
                    class: from_code(&class, "class")?,
                    grade: grade.map(|g| from_code(&g, "grade")).transpose()?,
                    key_client: r.try_get_by_index(3)?,
                    clients: u64::try_from(clients).unwrap_or(0),
                    tonnes_12m: r.try_get_by_index::<Option<f64>>(5)?.unwrap_or(0.0),
                    prepaid_t: r.try_get_by_index::<Option<f64>>(6)?.unwrap_or(0.0),
                })
            })
            .collect()
    }

    /// The snapshot weeks that exist, newest first (at most `limit`): the archived weeks and
    /// the current week.
    pub async fn snapshot_weeks(&self, limit: u64) -> Result<Vec<NaiveDate>, StoreError> {
        let current = self.current_week().await?;
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT DISTINCT week FROM class_snapshots ORDER BY week DESC LIMIT ")
            .bind(limit as i64);
        let rows = self.db.query_all(sql.build()).await?;
        let mut weeks = rows
            .iter()
            .map(|r| Ok(r.try_get_by_index(0)?))
            .collect::<Result<Vec<NaiveDate>, StoreError>>()?;
        if let Some(current) = current {
            if !weeks.contains(&current) {
                weeks.push(current);
            }
        }
        weeks.sort_by_key(|week| std::cmp::Reverse(*week));
        weeks.truncate(limit as usize);
        Ok(weeks)
    }

    /// Clients of `scope` whose class differs between the snapshots of `from_week` and
    /// `to_week`, counted per (from, to), most first.
    pub async fn transitions(
        &self,
        from_week: NaiveDate,
        to_week: NaiveDate,
        scope: &DataScope,
    ) -> Result<Vec<TransitionCount>, StoreError> {
        // A week is read from the current figures when it is theirs, else from the archive.
        let current = self.current_week().await?;
        let week_table = |week: NaiveDate| {
            if current == Some(week) {
                "client_intel"
            } else {
                "class_snapshots"
            }
        };
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT a.class, b.class, COUNT(*) FROM ")
            .push(week_table(from_week))
            .push(" a JOIN ")
            .push(week_table(to_week))
            .push(" b ON b.client_id = a.client_id");
        if current != Some(to_week) {
            sql.push(" AND b.week = ").bind(to_week);
        }
        sql.push(" JOIN clients c ON c.id = a.client_id WHERE a.class <> b.class");
        if current != Some(from_week) {
            sql.push(" AND a.week = ").bind(from_week);
        }
        sql.scope("c", scope).push(" GROUP BY a.class, b.class");
        let rows = self.db.query_all(sql.build()).await?;
        let mut out = rows
            .iter()
            .map(|r| {
                let from: String = r.try_get_by_index(0)?;
                let to: String = r.try_get_by_index(1)?;
                let n: i64 = r.try_get_by_index(2)?;
                Ok(TransitionCount {
                    from: from_code(&from, "class")?,
                    to: from_code(&to, "class")?,
                    clients: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        out.sort_by(|a, b| {
            b.clients
                .cmp(&a.clients)
                .then(a.from.cmp(&b.from))
                .then(a.to.cmp(&b.to))
        });
        Ok(out)
    }

    /// The dashboard's top lists over `scope`.
    pub async fn top_clients(
        &self,
        scope: &DataScope,
        list: TopList,
        limit: u64,
    ) -> Result<Vec<DashboardClientRow>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT i.client_id, c.name, i.grade, i.class, i.p_alive, i.volume_at_risk_t, \
             i.tonnes_90d, i.prepaid_not_lifted_t, i.sentence_zh, i.sentence_en \
             FROM client_intel i JOIN clients c ON c.id = i.client_id WHERE ",
        );
        match list {
            TopList::AtRisk => sql
                .push("i.class IN ('declining', 'at_risk', 'churned') AND i.volume_at_risk_t > 0"),
            TopList::Prepaid => sql.push("i.prepaid_not_lifted_t > 0"),
        };
        sql.scope("c", scope);
        match list {
            TopList::AtRisk => sql.push(" ORDER BY i.volume_at_risk_t DESC, i.client_id"),
            TopList::Prepaid => {
                sql.push(" ORDER BY i.prepaid_not_lifted_t DESC, i.tonnes_90d DESC, i.client_id")
            }
        };
        sql.push(" LIMIT ").bind(limit as i64);
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                let grade: Option<String> = r.try_get_by_index(2)?;
                let class: String = r.try_get_by_index(3)?;
                Ok(DashboardClientRow {
                    client_id: r.try_get_by_index(0)?,
                    client_name: r.try_get_by_index(1)?,
                    grade: grade.map(|g| from_code(&g, "grade")).transpose()?,
                    class: from_code(&class, "class")?,
                    p_alive: r.try_get_by_index(4)?,
                    expected_volume_at_risk_t: r.try_get_by_index(5)?,
                    tonnes_90d: r.try_get_by_index(6)?,
                    prepaid_not_lifted_t: r.try_get_by_index(7)?,
                    sentence_zh: r.try_get_by_index(8)?,
                    sentence_en: r.try_get_by_index(9)?,
                })
            })
            .collect()
    }

    /// The classification list: current figures of the clients of `scope` matching `filter`.
    pub async fn list_intel(
        &self,
        filter: &IntelFilter,
        scope: &DataScope,
    ) -> Result<(Vec<ClientIntel>, u64), StoreError> {
        let where_clause = |sql: &mut Sql| {
            sql.push(" FROM client_intel i JOIN clients c ON c.id = i.client_id WHERE 1 = 1")
                .scope("c", scope);
            if let Some(class) = filter.class {
                sql.push(" AND i.class = ").bind(class.code());
            }
            if let Some(grade) = filter.grade {
                sql.push(" AND i.grade = ").bind(grade.code());
            }
            if let Some(key) = filter.key_client {
                sql.push(" AND i.key_client = ").bind(key);
            }
            if let Some(units) = &filter.units {
                sql.push(" AND c.org_unit_id IN ").bind_list(units);
            }
        };
        let mut count = Sql::new(self.backend());
        count.push("SELECT COUNT(*)");
        where_clause(&mut count);
        let total: i64 = match self.db.query_one(count.build()).await? {
            Some(r) => r.try_get_by_index(0)?,
            None => 0,
        };
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT ").push(INTEL_COLUMNS);
        where_clause(&mut sql);
        sql.push(match filter.sort {
            IntelSort::VolumeAtRisk => " ORDER BY i.volume_at_risk_t DESC, i.client_id",
            IntelSort::PAlive => " ORDER BY i.p_alive IS NULL, i.p_alive, i.client_id",
            IntelSort::Tonnes12m => " ORDER BY i.tonnes_12m DESC, i.client_id",
            IntelSort::Name => " ORDER BY c.name, i.client_id",
        });
        sql.push(" LIMIT ")
            .bind(filter.per_page as i64)
            .push(" OFFSET ")
            .bind((filter.page.saturating_sub(1) * filter.per_page) as i64);
        let rows = self.db.query_all(sql.build()).await?;
        let items = rows
            .iter()
            .map(intel_from_row)
            .collect::<Result<Vec<_>, StoreError>>()?;
        Ok((items, u64::try_from(total).unwrap_or(0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weeks_start_on_monday() {
        let wednesday = NaiveDate::from_ymd_opt(2026, 12, 2).unwrap_or_default();
        let monday = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap_or_default();
        assert_eq!(week_of(wednesday), monday);
        assert_eq!(week_of(monday), monday);
    }

    /// A binary one-dimensional `bigint[]` as PostgreSQL sends it.
    fn array(elements: &[Option<i64>]) -> Vec<u8> {
        let mut out = Vec::new();
        for header in [1i32, 1, 20, elements.len() as i32, 1] {
            out.extend(header.to_be_bytes());
        }
        for element in elements {
            match element {
                Some(v) => {
                    out.extend(8i32.to_be_bytes());
                    out.extend(v.to_be_bytes());
                }
                None => out.extend((-1i32).to_be_bytes()),
            }
        }
        out
    }

    #[test]
    fn packed_orders_unpack_to_day_kilograms_and_product() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let pack = |date: NaiveDate, kg: i64, product: i64| {
            ((date - PACKED_EPOCH).num_days() << (KG_BITS + PRODUCT_BITS))
                | (kg << PRODUCT_BITS)
                | product
        };
        let largest = (1 << KG_BITS) - 1;
        let bytes = array(&[
            Some(pack(day(2026, 12, 7), 25_000, 1)),
            Some(pack(day(2024, 2, 29), largest, PRODUCTS as i64)),
            Some(pack(day(1900, 1, 1), 0, 0)),
        ]);
        let orders: Vec<_> = PackedOrders::new(&bytes)
            .map(Iterator::collect)
            .unwrap_or_default();
        assert_eq!(
            orders,
            [
                Some((day(2026, 12, 7), 25_000, Some(0))),
                Some((day(2024, 2, 29), largest, Some(PRODUCTS - 1))),
                Some((day(1900, 1, 1), 0, None)),
            ]
        );
        // A NULL element (an order that did not fit) is reported, and ends the array.
        let bytes = array(&[Some(pack(day(2026, 1, 1), 1, 1)), None, Some(1)]);
        let orders: Vec<_> = PackedOrders::new(&bytes)
            .map(Iterator::collect)
            .unwrap_or_default();
        assert_eq!(orders, [Some((day(2026, 1, 1), 1, Some(0))), None]);
        // Cut short: the last element is reported.
        let bytes = array(&[Some(1), Some(2)]);
        let orders: Vec<_> = PackedOrders::new(&bytes[..bytes.len() - 1])
            .map(Iterator::collect)
            .unwrap_or_default();
        assert_eq!(orders.len(), 2);
        assert!(orders[0].is_some() && orders[1].is_none());
        // Bytes that are not such an array.
        assert!(PackedOrders::new(&[0, 0, 0, 2]).is_none());
        assert!(PackedOrders::new(&[0, 0, 0, 1, 0]).is_none());
        assert_eq!(
            PackedOrders::new(&0i32.to_be_bytes()).map(Iterator::count),
            Some(0)
        );
    }

    #[test]
    fn monthly_sums_are_kept_per_unit_month_and_product() {
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
        let mut sums = MonthlySums::new(day(2026, 12, 8));
        let (north, south) = (Uuid::from_u128(1), Uuid::from_u128(2));
        let n = sums.unit(north);
        let s = sums.unit(south);
        assert_eq!(sums.unit(north), n);
        sums.add(n, day(2026, 12, 1), 0, 1_000);
        sums.add(n, day(2026, 12, 8), 0, 500);
        sums.add(n, day(2025, 1, 31), 1, 7);
        sums.add(s, day(2026, 11, 30), 0, 2);
        // After the as-of month: not counted.
        sums.add(s, day(2027, 1, 1), 0, 9);
        let mut rows: Vec<_> = sums
            .into_rows()
            .into_iter()
            .map(|r| (r.org_unit_id, r.month, r.product, r.quantity_kg))
            .collect();
        rows.sort();
        let (first, second) = (Product::ALL[0], Product::ALL[1]);
        assert_eq!(
            rows,
            [
                (north, "2025-01".to_owned(), second, 7),
                (north, "2026-12".to_owned(), first, 1_500),
                (south, "2026-11".to_owned(), first, 2),
            ]
        );
    }
}

/// A churn reason about to be recorded.
#[derive(Debug, Clone)]
pub struct NewChurnReason {
    /// Identifier.
    pub id: Uuid,
    /// The client.
    pub client_id: Uuid,
    /// Why.
    pub reason: domain::classification::ChurnReason,
    /// Competitor.
    pub competitor: Option<String>,
    /// Their price minus ours, fen per tonne.
    pub price_gap_fen_per_t: Option<i64>,
    /// Note.
    pub note: Option<String>,
    /// The service ticket behind a `service_fault`.
    pub ticket_id: Option<Uuid>,
    /// Who.
    pub recorded_by: Uuid,
    /// When.
    pub recorded_at: DateTime<Utc>,
}

/// Churn reasons counted per (org unit, reason).
#[derive(Debug, Clone)]
pub struct ChurnReasonCount {
    /// The client's org unit.
    pub org_unit_id: Uuid,
    /// Reason.
    pub reason: domain::classification::ChurnReason,
    /// Clients (the latest reason of each client counts).
    pub clients: u64,
}

impl Store {
    /// Records a churn reason with its audit entry.
    pub async fn record_churn_reason(
        &self,
        new: &NewChurnReason,
        audit: &domain::audit::AuditEntry,
    ) -> Result<(), StoreError> {
        let backend = self.backend();
        let txn = self.db.begin().await?;
        let mut insert = Query::insert();
        insert
            .into_table(table("churn_reasons"))
            .columns(
                [
                    "id",
                    "client_id",
                    "reason",
                    "competitor",
                    "price_gap_fen_per_t",
                    "note",
                    "recorded_by",
                    "recorded_at",
                    "ticket_id",
                ]
                .map(table),
            )
            .values::<[SimpleExpr; 9]>([
                new.id.into(),
                new.client_id.into(),
                new.reason.code().into(),
                new.competitor.clone().into(),
                new.price_gap_fen_per_t.into(),
                new.note.clone().into(),
                new.recorded_by.into(),
                new.recorded_at.into(),
                new.ticket_id.into(),
            ])
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        txn.execute(backend.build(&insert)).await?;
        crate::audit::insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(())
    }

    /// A client's churn reasons, newest first.
    pub async fn churn_reasons_of(
        &self,
        client_id: Uuid,
    ) -> Result<Vec<domain::analytics::ChurnReasonRecord>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT r.id, r.client_id, r.reason, r.competitor, r.price_gap_fen_per_t, r.note, \
             r.recorded_by, u.display_name, r.recorded_at, r.ticket_id FROM churn_reasons r \
             JOIN users u ON u.id = r.recorded_by WHERE r.client_id = ",
        )
        .bind(client_id)
        .push(" ORDER BY r.recorded_at DESC, r.id DESC");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                let reason: String = r.try_get_by_index(2)?;
                let gap: Option<i64> = r.try_get_by_index(4)?;
                Ok(domain::analytics::ChurnReasonRecord {
                    id: r.try_get_by_index(0)?,
                    client_id: r.try_get_by_index(1)?,
                    reason: from_code(&reason, "churn reason")?,
                    competitor: r.try_get_by_index(3)?,
                    price_gap_yuan_per_t: gap.map(|g| g as f64 / 100.0),
                    note: r.try_get_by_index(5)?,
                    recorded_by: r.try_get_by_index(6)?,
                    recorded_by_name: r.try_get_by_index(7)?,
                    recorded_at: r.try_get_by_index(8)?,
                    ticket_id: r.try_get_by_index(9)?,
                })
            })
            .collect()
    }

    /// Churn reasons over `scope` recorded from `from` to `until` (inclusive), by the client's
    /// org unit and reason; each client counts once, with its latest reason in the period.
    pub async fn churn_reason_counts(
        &self,
        scope: &DataScope,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<Vec<ChurnReasonCount>, StoreError> {
        let mut sql = Sql::new(self.backend());
        sql.push(
            "SELECT c.org_unit_id, r.reason, COUNT(*) FROM churn_reasons r \
             JOIN clients c ON c.id = r.client_id WHERE r.recorded_at >= ",
        )
        .bind(from)
        .push(" AND r.recorded_at <= ")
        .bind(until)
        .push(
            " AND NOT EXISTS (SELECT 1 FROM churn_reasons n WHERE n.client_id = r.client_id \
             AND n.recorded_at <= ",
        )
        .bind(until)
        .push(" AND (n.recorded_at > r.recorded_at OR (n.recorded_at = r.recorded_at AND n.id > r.id)))")
        .scope("c", scope)
        .push(" GROUP BY c.org_unit_id, r.reason");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                let reason: String = r.try_get_by_index(1)?;
                let n: i64 = r.try_get_by_index(2)?;
                Ok(ChurnReasonCount {
                    org_unit_id: r.try_get_by_index(0)?,
                    reason: from_code(&reason, "churn reason")?,
                    clients: u64::try_from(n).unwrap_or(0),
                })
            })
            .collect()
    }
}
