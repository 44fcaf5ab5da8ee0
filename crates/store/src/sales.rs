//! Sales orders.

use crate::entity::sales_orders;
use crate::{Store, StoreError};
use chrono::{Datelike, Months, NaiveDate};
use domain::sales::{fen_to_yuan, kg_to_tonnes, MonthlyVolume, SalesOrder, SalesSummary};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use uuid::Uuid;

pub(crate) fn order_active_model(
    o: &SalesOrder,
    now: chrono::DateTime<chrono::Utc>,
) -> sales_orders::ActiveModel {
    sales_orders::ActiveModel {
        id: Set(o.id),
        order_no: Set(o.order_no.clone()),
        client_id: Set(o.client_id),
        order_date: Set(o.order_date),
        product: Set(o.product.code().to_owned()),
        quantity_kg: Set(o.quantity_kg),
        amount_fen: Set(o.amount_fen),
        channel: Set(o.channel.code().to_owned()),
        depot: Set(o.depot.clone()),
        created_at: Set(now),
    }
}

/// First day of the month `months_back` months before `date`'s month.
fn month_start(date: NaiveDate, months_back: u32) -> NaiveDate {
    let first = date.with_day(1).unwrap_or(date);
    first
        .checked_sub_months(Months::new(months_back))
        .unwrap_or(first)
}

impl Store {
    /// Sales figures of one client as of `as_of`: trailing 12 months and 24 monthly volumes.
    pub async fn sales_summary(
        &self,
        client_id: Uuid,
        as_of: NaiveDate,
    ) -> Result<SalesSummary, StoreError> {
        let from = month_start(as_of, 23);
        let year_ago = as_of.checked_sub_months(Months::new(12)).unwrap_or(as_of);
        let rows: Vec<(NaiveDate, i64, i64)> = sales_orders::Entity::find()
            .select_only()
            .columns([
                sales_orders::Column::OrderDate,
                sales_orders::Column::QuantityKg,
                sales_orders::Column::AmountFen,
            ])
            .filter(sales_orders::Column::ClientId.eq(client_id))
            .filter(sales_orders::Column::OrderDate.gte(from))
            .filter(sales_orders::Column::OrderDate.lte(as_of))
            .into_tuple()
            .all(&self.db)
            .await?;
        let first: Option<NaiveDate> = sales_orders::Entity::find()
            .select_only()
            .column(sales_orders::Column::OrderDate)
            .filter(sales_orders::Column::ClientId.eq(client_id))
            .order_by_asc(sales_orders::Column::OrderDate)
            .into_tuple()
            .one(&self.db)
            .await?;
        let last: Option<NaiveDate> = sales_orders::Entity::find()
            .select_only()
            .column(sales_orders::Column::OrderDate)
            .filter(sales_orders::Column::ClientId.eq(client_id))
            .filter(sales_orders::Column::OrderDate.lte(as_of))
            .order_by_desc(sales_orders::Column::OrderDate)
            .into_tuple()
            .one(&self.db)
            .await?;
        let mut monthly_kg = [0i64; 24];
        let (mut orders, mut kg, mut fen) = (0i64, 0i64, 0i64);
        for (date, quantity, amount) in rows {
            let index =
                (date.year() - from.year()) * 12 + date.month() as i32 - from.month() as i32;
            if let Some(slot) = usize::try_from(index)
                .ok()
                .and_then(|i| monthly_kg.get_mut(i))
            {
                *slot += quantity;
            }
            if date > year_ago {
                orders += 1;
                kg += quantity;
                fen += amount;
            }
        }
        let monthly = (0..24u32)
            .map(|i| {
                let month = month_start(as_of, 23 - i);
                MonthlyVolume {
                    month: month.format("%Y-%m").to_string(),
                    tonnes: kg_to_tonnes(monthly_kg[i as usize]),
                }
            })
            .collect();
        Ok(SalesSummary {
            orders_12m: orders,
            tonnes_12m: kg_to_tonnes(kg),
            amount_yuan_12m: fen_to_yuan(fen),
            first_order_date: first,
            last_order_date: last,
            monthly,
        })
    }
}

impl Store {
    /// The latest order date in the database (the demo's "today"), if any order exists.
    pub async fn last_order_date(&self) -> Result<Option<NaiveDate>, StoreError> {
        Ok(sales_orders::Entity::find()
            .select_only()
            .column(sales_orders::Column::OrderDate)
            .order_by_desc(sales_orders::Column::OrderDate)
            .into_tuple()
            .one(&self.db)
            .await?)
    }
}
