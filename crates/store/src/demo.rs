//! Bulk loading of generated demo data: one transaction, large multi-row inserts.

use crate::clients::client_active_model;
use crate::entity::{client_owners, clients, org_units, sales_orders, users};
use crate::sales::order_active_model;
use crate::{Store, StoreError};
use chrono::{DateTime, Utc};
use domain::client::ClientFields;
use domain::org::{OrgUnit, Role};
use domain::sales::SalesOrder;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, PaginatorTrait, TransactionTrait};
use uuid::Uuid;

/// A user to create.
#[derive(Debug, Clone)]
pub struct NewUser {
    /// Identifier.
    pub id: Uuid,
    /// Sign-in name.
    pub username: String,
    /// Name shown.
    pub display_name: String,
    /// Role.
    pub role: Role,
    /// Unit.
    pub org_unit_id: Uuid,
    /// argon2 PHC string.
    pub password_hash: Option<String>,
    /// Mobile.
    pub phone: Option<String>,
    /// HR employee id (SSO maps on it).
    pub employee_id: Option<String>,
}

/// Everything the demo writes, in dependency order.
#[derive(Debug, Default)]
pub struct DemoLoad {
    /// Province, cities, counties (parents before children).
    pub org_units: Vec<OrgUnit>,
    /// Users.
    pub users: Vec<NewUser>,
    /// Clients with their creation time.
    pub clients: Vec<(Uuid, ClientFields, DateTime<Utc>)>,
    /// Orders.
    pub orders: Vec<SalesOrder>,
    /// Licence documents with their pages (whose bytes are already in the file store).
    pub documents: Vec<crate::documents::NewDocument>,
}

// Rows per INSERT statement: well under SQLite's 32,766 and PostgreSQL's 65,535 bound parameters.
const CLIENT_CHUNK: usize = 500;
const ORDER_CHUNK: usize = 2_000;

impl Store {
    /// True when no org unit exists yet (a fresh database).
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(org_units::Entity::find().count(&self.db).await? == 0)
    }

    /// Writes the demo data in one transaction: all of it or nothing.
    pub async fn load_demo(&self, data: &DemoLoad, now: DateTime<Utc>) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        for chunk in data.org_units.chunks(CLIENT_CHUNK) {
            org_units::Entity::insert_many(chunk.iter().map(|u| org_units::ActiveModel {
                id: Set(u.id),
                parent_id: Set(u.parent_id),
                level: Set(u.level.code().to_owned()),
                name: Set(u.name.clone()),
                code: Set(u.code.clone()),
                base_lat: Set(u.base_lat),
                base_lon: Set(u.base_lon),
                created_at: Set(now),
            }))
            .exec_without_returning(&tx)
            .await?;
        }
        for chunk in data.users.chunks(CLIENT_CHUNK) {
            users::Entity::insert_many(chunk.iter().map(|u| users::ActiveModel {
                id: Set(u.id),
                username: Set(u.username.clone()),
                display_name: Set(u.display_name.clone()),
                role: Set(u.role.code().to_owned()),
                org_unit_id: Set(u.org_unit_id),
                password_hash: Set(u.password_hash.clone()),
                phone: Set(u.phone.clone()),
                email: Set(None),
                employee_id: Set(u.employee_id.clone()),
                active: Set(true),
                failed_logins: Set(0),
                locked_until: Set(None),
                password_changed_at: Set(None),
                created_at: Set(now),
                updated_at: Set(now),
            }))
            .exec_without_returning(&tx)
            .await?;
        }
        for chunk in data.clients.chunks(CLIENT_CHUNK) {
            clients::Entity::insert_many(
                chunk
                    .iter()
                    .map(|(id, f, created)| client_active_model(*id, f, *created)),
            )
            .exec_without_returning(&tx)
            .await?;
        }
        for chunk in data.clients.chunks(CLIENT_CHUNK) {
            client_owners::Entity::insert_many(chunk.iter().map(|(id, f, created)| {
                client_owners::ActiveModel {
                    client_id: Set(*id),
                    account_manager_id: Set(f.account_manager_id),
                    valid_from: Set(*created),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&tx)
            .await?;
        }
        for chunk in data.orders.chunks(ORDER_CHUNK) {
            sales_orders::Entity::insert_many(chunk.iter().map(|o| order_active_model(o, now)))
                .exec_without_returning(&tx)
                .await?;
        }
        // Documents before their pages: chunks of 200 documents (16 columns) and their pages.
        for chunk in data.documents.chunks(200) {
            crate::documents::insert_documents(&tx, chunk).await?;
        }
        tx.commit().await?;
        self.data_changed();
        Ok(())
    }
}

impl Store {
    /// Inserts clients (and their first ownership period) without documents, in one
    /// transaction: the streamed load of a large benchmark province.
    pub async fn insert_clients_bulk(
        &self,
        clients: &[(Uuid, ClientFields, DateTime<Utc>)],
    ) -> Result<(), StoreError> {
        let tx = self.db.begin().await?;
        for chunk in clients.chunks(CLIENT_CHUNK) {
            clients::Entity::insert_many(
                chunk
                    .iter()
                    .map(|(id, f, created)| client_active_model(*id, f, *created)),
            )
            .exec_without_returning(&tx)
            .await?;
            client_owners::Entity::insert_many(chunk.iter().map(|(id, f, created)| {
                client_owners::ActiveModel {
                    client_id: Set(*id),
                    account_manager_id: Set(f.account_manager_id),
                    valid_from: Set(*created),
                    ..Default::default()
                }
            }))
            .exec_without_returning(&tx)
            .await?;
        }
        tx.commit().await?;
        self.data_changed();
        Ok(())
    }

    /// Appends orders with PostgreSQL's COPY (the fastest path in; used by the large
    /// benchmark load); on SQLite, multi-row inserts. Returns the rows written.
    pub async fn copy_orders(
        &self,
        orders: &[SalesOrder],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        if self.db.get_database_backend() != sea_orm::DbBackend::Postgres {
            let tx = self.db.begin().await?;
            for chunk in orders.chunks(ORDER_CHUNK) {
                sales_orders::Entity::insert_many(chunk.iter().map(|o| order_active_model(o, now)))
                    .exec_without_returning(&tx)
                    .await?;
            }
            tx.commit().await?;
            return Ok(orders.len() as u64);
        }
        let mut conn = self
            .db
            .get_postgres_connection_pool()
            .acquire()
            .await
            .map_err(crate::copy::sqlx_error)?;
        crate::copy::copy_rows(
            &mut conn,
            "sales_orders",
            [
                "id",
                "order_no",
                "client_id",
                "order_date",
                "product",
                "quantity_kg",
                "amount_fen",
                "channel",
                "depot",
                "created_at",
            ],
            orders,
            |o| {
                [
                    o.id.into(),
                    o.order_no.as_str().into(),
                    o.client_id.into(),
                    o.order_date.into(),
                    o.product.code().into(),
                    o.quantity_kg.into(),
                    o.amount_fen.into(),
                    o.channel.code().into(),
                    o.depot.as_str().into(),
                    now.into(),
                ]
            },
        )
        .await
    }

    /// Peak figures of the PostgreSQL "floor": the time the database itself takes to aggregate
    /// every client's orders (count, volume, first and last day), all rows fetched. Returns the
    /// groups read.
    pub async fn aggregate_orders_per_client(
        &self,
        as_of: chrono::NaiveDate,
    ) -> Result<u64, StoreError> {
        let mut sql = crate::sql::Sql::new(self.db.get_database_backend());
        sql.push(
            "SELECT client_id, COUNT(*), SUM(quantity_kg), MIN(order_date), MAX(order_date) \
             FROM sales_orders WHERE order_date <= ",
        )
        .bind(as_of)
        .push(" GROUP BY client_id");
        Ok(self.db.query_all(sql.build()).await?.len() as u64)
    }
}
