//! Sales data in: orders, prepayments and liftings, idempotent on the source's own number and
//! all-or-nothing per batch.

use crate::audit::insert_audit;
use crate::entity::{clients, sales_orders};
use crate::sales::order_active_model;
use crate::sql::Sql;
use crate::{Store, StoreError};
use chrono::{DateTime, NaiveDate, Utc};
use domain::audit::AuditEntry;
use domain::sales::{PrepaymentKind, Product, SalesOrder};
use sea_orm::sea_query::{Alias, OnConflict, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect,
    TransactionTrait,
};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// Keys per `IN (…)` list: well under both databases' bound-parameter limits.
const LOOKUP_CHUNK: usize = 5_000;
/// Rows per multi-row INSERT (10 columns).
const INSERT_CHUNK: usize = 2_000;

/// What a batch did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Written: `inserted` new rows; `unchanged` rows were already there with the same content.
    Written {
        /// New rows.
        inserted: u64,
        /// Rows already stored identically (a repeated delivery).
        unchanged: u64,
    },
    /// Nothing written: these numbers exist with different content.
    Conflicts(Vec<String>),
}

/// A prepayment or lifting about to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PrepaymentEntry {
    /// Identifier.
    pub id: Uuid,
    /// The source's own number (unique).
    pub entry_no: String,
    /// Client.
    pub client_id: Uuid,
    /// Prepayment or lifting.
    pub kind: PrepaymentKind,
    /// Date.
    pub entry_date: NaiveDate,
    /// Product, when the source names one.
    pub product: Option<Product>,
    /// Kilograms.
    pub quantity_kg: i64,
    /// Fen.
    pub amount_fen: i64,
}

/// An order's content as compared for idempotency (everything but our own id).
type OrderContent = (Uuid, NaiveDate, String, i64, i64, String, String);

/// An order's number and content as read back.
type StoredOrder = (String, Uuid, NaiveDate, String, i64, i64, String, String);

fn content(o: &SalesOrder) -> OrderContent {
    (
        o.client_id,
        o.order_date,
        o.product.code().to_owned(),
        o.quantity_kg,
        o.amount_fen,
        o.channel.code().to_owned(),
        o.depot.clone(),
    )
}

async fn stored_orders(
    txn: &DatabaseTransaction,
    numbers: &[String],
) -> Result<HashMap<String, OrderContent>, StoreError> {
    let mut out = HashMap::new();
    for chunk in numbers.chunks(LOOKUP_CHUNK) {
        let rows: Vec<StoredOrder> = sales_orders::Entity::find()
            .select_only()
            .columns([
                sales_orders::Column::OrderNo,
                sales_orders::Column::ClientId,
                sales_orders::Column::OrderDate,
                sales_orders::Column::Product,
                sales_orders::Column::QuantityKg,
                sales_orders::Column::AmountFen,
                sales_orders::Column::Channel,
                sales_orders::Column::Depot,
            ])
            .filter(sales_orders::Column::OrderNo.is_in(chunk.iter().cloned()))
            .into_tuple()
            .all(txn)
            .await?;
        for (no, client, date, product, kg, fen, channel, depot) in rows {
            out.insert(no, (client, date, product, kg, fen, channel, depot));
        }
    }
    Ok(out)
}

impl Store {
    /// Which of `ids` are clients, and the client of each of `usccs` that exists.
    pub async fn resolve_clients(
        &self,
        ids: &[Uuid],
        usccs: &[String],
    ) -> Result<(HashSet<Uuid>, HashMap<String, Uuid>), StoreError> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(LOOKUP_CHUNK) {
            let rows: Vec<Uuid> = clients::Entity::find()
                .select_only()
                .column(clients::Column::Id)
                .filter(clients::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await?;
            found.extend(rows);
        }
        let mut by_uscc = HashMap::new();
        for chunk in usccs.chunks(LOOKUP_CHUNK) {
            let rows: Vec<(String, Uuid)> = clients::Entity::find()
                .select_only()
                .columns([clients::Column::Uscc, clients::Column::Id])
                .filter(clients::Column::Uscc.is_in(chunk.iter().cloned()))
                .into_tuple()
                .all(&self.db)
                .await?;
            by_uscc.extend(rows);
        }
        Ok((found, by_uscc))
    }

    /// Stores a batch of orders (numbers unique within it; clients resolved) in one
    /// transaction with its audit entry (without one: a dry run that only reports). Orders whose number is stored with the same content
    /// are counted unchanged; one stored with different content makes the whole batch a
    /// conflict and nothing is written. A concurrent batch inserting the same number first is
    /// seen by the unique index and handled the same way.
    pub async fn ingest_orders(
        &self,
        orders: &[SalesOrder],
        audit: Option<&AuditEntry>,
        now: DateTime<Utc>,
    ) -> Result<BatchOutcome, StoreError> {
        let numbers: Vec<String> = orders.iter().map(|o| o.order_no.clone()).collect();
        // Two attempts: the second sees what a racing batch committed in between.
        for _ in 0..2 {
            let txn = self.db.begin().await?;
            let stored = stored_orders(&txn, &numbers).await?;
            let mut conflicts = Vec::new();
            let mut fresh = Vec::with_capacity(orders.len());
            for o in orders {
                match stored.get(&o.order_no) {
                    Some(existing) if *existing == content(o) => {}
                    Some(_) => conflicts.push(o.order_no.clone()),
                    None => fresh.push(o),
                }
            }
            if !conflicts.is_empty() {
                txn.rollback().await?;
                return Ok(BatchOutcome::Conflicts(conflicts));
            }
            let Some(audit) = audit else {
                // A dry run: what would happen, nothing written.
                txn.rollback().await?;
                return Ok(BatchOutcome::Written {
                    inserted: fresh.len() as u64,
                    unchanged: (orders.len() - fresh.len()) as u64,
                });
            };
            let mut inserted = 0u64;
            for chunk in fresh.chunks(INSERT_CHUNK) {
                let result = sales_orders::Entity::insert_many(
                    chunk.iter().map(|o| order_active_model(o, now)),
                )
                .on_conflict(
                    OnConflict::column(sales_orders::Column::OrderNo)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await?;
                inserted += result;
            }
            if inserted != fresh.len() as u64 {
                txn.rollback().await?;
                continue;
            }
            // A prospect's first order makes it a client, in the same transaction.
            crate::prospects::convert_prospects(&txn, &fresh, now).await?;
            insert_audit(&txn, audit).await?;
            txn.commit().await?;
            return Ok(BatchOutcome::Written {
                inserted,
                unchanged: (orders.len() - fresh.len()) as u64,
            });
        }
        // Still racing after a retry: report the numbers now stored differently, if any.
        let txn = self.db.begin().await?;
        let stored = stored_orders(&txn, &numbers).await?;
        txn.rollback().await?;
        Ok(BatchOutcome::Conflicts(
            orders
                .iter()
                .filter(|o| stored.get(&o.order_no).is_some_and(|c| *c != content(o)))
                .map(|o| o.order_no.clone())
                .collect(),
        ))
    }

    /// Prepaid-not-lifted balance of each of `clients` as of now, kilograms.
    pub async fn prepaid_balance_of(
        &self,
        clients: &[Uuid],
    ) -> Result<HashMap<Uuid, i64>, StoreError> {
        let mut out = HashMap::new();
        for chunk in clients.chunks(LOOKUP_CHUNK) {
            let mut sql = Sql::new(self.db.get_database_backend());
            sql.push(
                "SELECT client_id, CAST(SUM(CASE WHEN kind = 'prepayment' THEN quantity_kg \
                 ELSE -quantity_kg END) AS BIGINT) FROM prepayments WHERE client_id IN ",
            )
            .bind_list(chunk)
            .push(" GROUP BY client_id");
            for r in self.db.query_all(sql.build()).await? {
                let kg: Option<i64> = r.try_get_by_index(1)?;
                out.insert(r.try_get_by_index::<Uuid>(0)?, kg.unwrap_or(0));
            }
        }
        Ok(out)
    }

    /// Stores prepayments and liftings like [`Store::ingest_orders`]: idempotent on the entry
    /// number, all or nothing, with the audit entry.
    pub async fn ingest_prepayments(
        &self,
        entries: &[PrepaymentEntry],
        audit: Option<&AuditEntry>,
        now: DateTime<Utc>,
    ) -> Result<BatchOutcome, StoreError> {
        let backend = self.db.get_database_backend();
        let txn = self.db.begin().await?;
        let mut stored: HashMap<String, PrepaymentEntry> = HashMap::new();
        let numbers: Vec<String> = entries.iter().map(|e| e.entry_no.clone()).collect();
        for chunk in numbers.chunks(LOOKUP_CHUNK) {
            let mut sql = Sql::new(backend);
            sql.push(
                "SELECT id, entry_no, client_id, kind, entry_date, product, quantity_kg, amount_fen \
                 FROM prepayments WHERE entry_no IN ",
            )
            .bind_list(chunk);
            for r in txn.query_all(sql.build()).await? {
                let kind: String = r.try_get_by_index(3)?;
                let product: Option<String> = r.try_get_by_index(5)?;
                let entry = PrepaymentEntry {
                    id: r.try_get_by_index(0)?,
                    entry_no: r.try_get_by_index(1)?,
                    client_id: r.try_get_by_index(2)?,
                    kind: crate::from_code(&kind, "prepayment kind")?,
                    entry_date: r.try_get_by_index(4)?,
                    product: product
                        .map(|p| crate::from_code(&p, "product"))
                        .transpose()?,
                    quantity_kg: r.try_get_by_index(6)?,
                    amount_fen: r.try_get_by_index(7)?,
                };
                stored.insert(entry.entry_no.clone(), entry);
            }
        }
        let same = |a: &PrepaymentEntry, b: &PrepaymentEntry| {
            (
                a.client_id,
                a.kind,
                a.entry_date,
                a.product,
                a.quantity_kg,
                a.amount_fen,
            ) == (
                b.client_id,
                b.kind,
                b.entry_date,
                b.product,
                b.quantity_kg,
                b.amount_fen,
            )
        };
        let mut conflicts = Vec::new();
        let mut fresh = Vec::new();
        for e in entries {
            match stored.get(&e.entry_no) {
                Some(existing) if same(existing, e) => {}
                Some(_) => conflicts.push(e.entry_no.clone()),
                None => fresh.push(e),
            }
        }
        if !conflicts.is_empty() {
            txn.rollback().await?;
            return Ok(BatchOutcome::Conflicts(conflicts));
        }
        for chunk in fresh.chunks(INSERT_CHUNK) {
            let mut insert = Query::insert();
            insert.into_table(Alias::new("prepayments")).columns(
                [
                    "id",
                    "entry_no",
                    "client_id",
                    "kind",
                    "entry_date",
                    "product",
                    "quantity_kg",
                    "amount_fen",
                    "created_at",
                ]
                .map(Alias::new),
            );
            for e in chunk {
                let values: [SimpleExpr; 9] = [
                    e.id.into(),
                    e.entry_no.clone().into(),
                    e.client_id.into(),
                    e.kind.code().into(),
                    e.entry_date.into(),
                    e.product.map(|p| p.code().to_owned()).into(),
                    e.quantity_kg.into(),
                    e.amount_fen.into(),
                    now.into(),
                ];
                insert
                    .values(values)
                    .map_err(|err| StoreError::Corrupt(err.to_string()))?;
            }
            // A racing batch that stored the same number first makes this fail as a duplicate.
            txn.execute(backend.build(&insert))
                .await
                .map_err(|e| crate::map_unique(e, &["entry_no"]))?;
        }
        if let Some(audit) = audit {
            insert_audit(&txn, audit).await?;
        }
        txn.commit().await?;
        Ok(BatchOutcome::Written {
            inserted: fresh.len() as u64,
            unchanged: (entries.len() - fresh.len()) as u64,
        })
    }

    /// Which of `numbers` are stored prepayment or lifting numbers.
    pub async fn stored_prepayment_numbers(
        &self,
        numbers: &[String],
    ) -> Result<HashSet<String>, StoreError> {
        let mut out = HashSet::new();
        for chunk in numbers.chunks(LOOKUP_CHUNK) {
            let mut sql = Sql::new(self.db.get_database_backend());
            sql.push("SELECT entry_no FROM prepayments WHERE entry_no IN ")
                .bind_list(chunk);
            for r in self.db.query_all(sql.build()).await? {
                out.insert(r.try_get_by_index::<String>(0)?);
            }
        }
        Ok(out)
    }

    /// A client's prepayments and liftings, newest first (at most `limit`).
    pub async fn prepayments_of(
        &self,
        client_id: Uuid,
        limit: u64,
    ) -> Result<Vec<PrepaymentEntry>, StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push(
            "SELECT id, entry_no, client_id, kind, entry_date, product, quantity_kg, amount_fen \
             FROM prepayments WHERE client_id = ",
        )
        .bind(client_id)
        .push(" ORDER BY entry_date DESC, entry_no DESC LIMIT ")
        .bind(limit as i64);
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                let kind: String = r.try_get_by_index(3)?;
                let product: Option<String> = r.try_get_by_index(5)?;
                Ok(PrepaymentEntry {
                    id: r.try_get_by_index(0)?,
                    entry_no: r.try_get_by_index(1)?,
                    client_id: r.try_get_by_index(2)?,
                    kind: crate::from_code(&kind, "prepayment kind")?,
                    entry_date: r.try_get_by_index(4)?,
                    product: product
                        .map(|p| crate::from_code(&p, "product"))
                        .transpose()?,
                    quantity_kg: r.try_get_by_index(6)?,
                    amount_fen: r.try_get_by_index(7)?,
                })
            })
            .collect()
    }
}

/// A saved column mapping of an ERP's export layout.
#[derive(Debug, Clone, PartialEq)]
pub struct SavedMapping {
    /// Its name.
    pub name: String,
    /// Target field → source header (JSON object).
    pub mapping: serde_json::Value,
    /// Last saved.
    pub updated_at: DateTime<Utc>,
}

impl Store {
    /// Saves (creates or replaces) a column mapping under `name`, with the audit entry.
    pub async fn save_import_mapping(
        &self,
        name: &str,
        mapping: &serde_json::Value,
        by: Uuid,
        now: DateTime<Utc>,
        audit: &AuditEntry,
    ) -> Result<(), StoreError> {
        let backend = self.db.get_database_backend();
        let txn = self.db.begin().await?;
        let mut insert = Query::insert();
        insert
            .into_table(Alias::new("import_mappings"))
            .columns(
                [
                    "id",
                    "name",
                    "mapping",
                    "created_by",
                    "created_at",
                    "updated_at",
                ]
                .map(Alias::new),
            )
            .values::<[SimpleExpr; 6]>([
                Uuid::now_v7().into(),
                name.to_owned().into(),
                sea_orm::Value::Json(Some(Box::new(mapping.clone()))).into(),
                by.into(),
                now.into(),
                now.into(),
            ])
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .on_conflict(
                OnConflict::column(Alias::new("name"))
                    .update_columns([Alias::new("mapping"), Alias::new("updated_at")])
                    .to_owned(),
            );
        txn.execute(backend.build(&insert)).await?;
        insert_audit(&txn, audit).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Saved column mappings, by name.
    pub async fn import_mappings(&self) -> Result<Vec<SavedMapping>, StoreError> {
        let mut sql = Sql::new(self.db.get_database_backend());
        sql.push("SELECT name, mapping, updated_at FROM import_mappings ORDER BY name");
        let rows = self.db.query_all(sql.build()).await?;
        rows.iter()
            .map(|r| {
                Ok(SavedMapping {
                    name: r.try_get_by_index(0)?,
                    mapping: r.try_get_by_index(1)?,
                    updated_at: r.try_get_by_index(2)?,
                })
            })
            .collect()
    }
}
