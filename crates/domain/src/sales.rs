//! Products and sales orders (DESIGN §2.8).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

labelled_enum! {
    /// Refined-oil products.
    Product {
        Petrol92 => "petrol_92", "92# 汽油", "Petrol 92";
        Petrol95 => "petrol_95", "95# 汽油", "Petrol 95";
        Petrol98 => "petrol_98", "98# 汽油", "Petrol 98";
        Diesel0 => "diesel_0", "0# 柴油", "Diesel 0";
        DieselMinus10 => "diesel_minus_10", "-10# 柴油", "Diesel -10";
        DieselMinus20 => "diesel_minus_20", "-20# 柴油", "Diesel -20";
        DieselMinus35 => "diesel_minus_35", "-35# 柴油", "Diesel -35";
    }
}

impl Product {
    /// Diesel grades (hazardous chemical since 2023-01-01).
    pub fn is_diesel(self) -> bool {
        matches!(
            self,
            Product::Diesel0
                | Product::DieselMinus10
                | Product::DieselMinus20
                | Product::DieselMinus35
        )
    }
}

labelled_enum! {
    /// How an order reached us.
    SalesChannel {
        Direct => "direct", "直销", "Direct";
        Distribution => "distribution", "分销", "Distribution";
        Online => "online", "我要买油（线上）", "Online ordering";
        FuelCard => "fuel_card", "加油卡", "Fuel card";
    }
}

/// Tonnes from integer kilograms, rounded to 3 decimals.
pub fn kg_to_tonnes(kg: i64) -> f64 {
    kg as f64 / 1000.0
}

/// Yuan from integer fen.
pub fn fen_to_yuan(fen: i64) -> f64 {
    fen as f64 / 100.0
}

/// A sales order line from the ERP.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SalesOrder {
    /// Identifier.
    pub id: Uuid,
    /// The ERP's order number (unique; imports are idempotent on it).
    pub order_no: String,
    /// Buyer.
    pub client_id: Uuid,
    /// Order date.
    pub order_date: NaiveDate,
    /// Product.
    pub product: Product,
    /// Quantity in kilograms (tonnes × 1000, exact).
    pub quantity_kg: i64,
    /// Amount in fen (yuan × 100, exact).
    pub amount_fen: i64,
    /// Channel.
    pub channel: SalesChannel,
    /// Depot the fuel was lifted from or delivered by.
    pub depot: String,
}

/// Twelve-month sales figures shown on the client page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SalesSummary {
    /// Orders in the trailing 12 months.
    pub orders_12m: i64,
    /// Volume in the trailing 12 months, tonnes.
    pub tonnes_12m: f64,
    /// Amount in the trailing 12 months, yuan.
    pub amount_yuan_12m: f64,
    /// First order ever.
    pub first_order_date: Option<NaiveDate>,
    /// Latest order.
    pub last_order_date: Option<NaiveDate>,
    /// Volume per calendar month (`YYYY-MM`, tonnes), the last 24 months, oldest first.
    pub monthly: Vec<MonthlyVolume>,
}

/// Volume of one month.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MonthlyVolume {
    /// `YYYY-MM`.
    pub month: String,
    /// Tonnes.
    pub tonnes: f64,
}
