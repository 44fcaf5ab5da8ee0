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

/// Limits that make an incoming sales figure plausible (a versioned rule set may move them).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SalesLimits {
    /// Largest single order or prepayment, tonnes (a train of tank cars is ~3,000 t).
    pub max_tonnes: f64,
    /// Lowest plausible price, yuan per tonne, when an amount is given.
    pub min_price_per_t: f64,
    /// Highest plausible price, yuan per tonne.
    pub max_price_per_t: f64,
    /// Nothing dated before this.
    pub earliest: NaiveDate,
}

impl Default for SalesLimits {
    fn default() -> Self {
        Self {
            max_tonnes: 5_000.0,
            min_price_per_t: 1_000.0,
            max_price_per_t: 30_000.0,
            earliest: NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN),
        }
    }
}

/// Kilograms from tonnes, rounded to the kilogram; `None` when not a finite number.
pub fn tonnes_to_kg(tonnes: f64) -> Option<i64> {
    (tonnes.is_finite() && tonnes.abs() < 1e12).then(|| (tonnes * 1000.0).round() as i64)
}

/// Fen from yuan, rounded to the fen; `None` when not a finite number.
pub fn yuan_to_fen(yuan: f64) -> Option<i64> {
    (yuan.is_finite() && yuan.abs() < 1e14).then(|| (yuan * 100.0).round() as i64)
}

/// The figures of one incoming entry, as [`check_sales_figures`] reads them.
#[derive(Debug, Clone, Copy)]
pub struct SalesFigures<'a> {
    /// Name of the number field (`order_no`, `entry_no`).
    pub number_field: &'a str,
    /// The source's own number.
    pub number: &'a str,
    /// Date.
    pub date: NaiveDate,
    /// Quantity, kilograms.
    pub quantity_kg: i64,
    /// Amount, fen.
    pub amount_fen: i64,
}

/// Checks the figures of one incoming order (or prepayment, lifting) against `limits` on
/// `today`: the number, the date (not in the future, not absurdly old), the quantity (positive,
/// at most the limit) and the price implied by the amount. Field names are prefixed with
/// `prefix` (e.g. `orders[3].`). Returns every problem found.
pub fn check_sales_figures(
    prefix: &str,
    figures: &SalesFigures<'_>,
    today: NaiveDate,
    limits: &SalesLimits,
) -> Vec<crate::FieldError> {
    use crate::FieldError;
    let SalesFigures {
        number_field,
        number,
        date,
        quantity_kg,
        amount_fen,
    } = *figures;
    let mut errors = Vec::new();
    let field = |name: &str| format!("{prefix}{name}");
    let trimmed = number.trim();
    if trimmed.is_empty() {
        errors.push(FieldError::required(&field(number_field)));
    } else if trimmed.chars().count() > 64 {
        errors.push(FieldError::too_long(&field(number_field), 64));
    } else if trimmed.chars().any(char::is_control) {
        errors.push(FieldError::invalid_value(
            &field(number_field),
            "must not contain control characters",
            "不能包含控制字符",
        ));
    }
    if date > today {
        errors.push(FieldError::new(
            field("date"),
            "future_date",
            format!(
                "{}: {date} is in the future (today is {today})",
                field("date")
            ),
            format!("{}：{date} 是未来日期（今天是 {today}）", field("date")),
        ));
    } else if date < limits.earliest {
        errors.push(FieldError::new(
            field("date"),
            "out_of_range",
            format!("{}: {date} is before {}", field("date"), limits.earliest),
            format!("{}：{date} 早于 {}", field("date"), limits.earliest),
        ));
    }
    let tonnes = quantity_kg as f64 / 1000.0;
    if quantity_kg <= 0 {
        errors.push(FieldError::new(
            field("tonnes"),
            "not_positive",
            format!(
                "{}: the quantity must be more than 0 t (got {tonnes})",
                field("tonnes")
            ),
            format!("{}：数量必须大于 0 吨（收到 {tonnes}）", field("tonnes")),
        ));
    } else if tonnes > limits.max_tonnes {
        errors.push(FieldError::new(
            field("tonnes"),
            "implausible_quantity",
            format!(
                "{}: {tonnes} t in one entry is more than the plausible {} t",
                field("tonnes"),
                limits.max_tonnes
            ),
            format!(
                "{}：单笔 {tonnes} 吨超过合理上限 {} 吨",
                field("tonnes"),
                limits.max_tonnes
            ),
        ));
    }
    if amount_fen < 0 {
        errors.push(FieldError::new(
            field("amount_yuan"),
            "negative",
            format!("{}: the amount must not be negative", field("amount_yuan")),
            format!("{}：金额不能为负数", field("amount_yuan")),
        ));
    } else if amount_fen > 0 && quantity_kg > 0 {
        let price = (amount_fen as f64 / 100.0) / tonnes;
        if price < limits.min_price_per_t || price > limits.max_price_per_t {
            errors.push(FieldError::new(
                field("amount_yuan"),
                "implausible_price",
                format!(
                    "{}: the amount means {price:.0} yuan/t, outside {}–{} yuan/t",
                    field("amount_yuan"),
                    limits.min_price_per_t,
                    limits.max_price_per_t
                ),
                format!(
                    "{}：折合单价 {price:.0} 元/吨，不在 {}–{} 元/吨之间",
                    field("amount_yuan"),
                    limits.min_price_per_t,
                    limits.max_price_per_t
                ),
            ));
        }
    }
    errors
}

labelled_enum! {
    /// A prepayment adds to what the client may lift; a lifting takes from it.
    PrepaymentKind {
        Prepayment => "prepayment", "预付款（预售）", "Prepayment";
        Lifting => "lifting", "提油", "Lifting";
    }
}

#[cfg(test)]
mod figure_tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn plausible_order_passes_and_each_bad_figure_is_named() {
        let today = day(2026, 11, 20);
        let limits = SalesLimits::default();
        let f = |number: &'static str, date, quantity_kg, amount_fen| SalesFigures {
            number_field: "order_no",
            number,
            date,
            quantity_kg,
            amount_fen,
        };
        assert!(
            check_sales_figures("", &f("SO-1", today, 30_000, 24_000_000), today, &limits)
                .is_empty()
        );
        let codes = |errs: Vec<crate::FieldError>| -> Vec<(String, String)> {
            errs.into_iter().map(|e| (e.field, e.code)).collect()
        };
        assert_eq!(
            codes(check_sales_figures(
                "o.",
                &f(" ", day(2026, 11, 21), -5, -1),
                today,
                &limits
            )),
            vec![
                ("o.order_no".into(), "required".into()),
                ("o.date".into(), "future_date".into()),
                ("o.tonnes".into(), "not_positive".into()),
                ("o.amount_yuan".into(), "negative".into()),
            ]
        );
        assert_eq!(
            codes(check_sales_figures(
                "",
                &f("X", today, 9_000_000, 100),
                today,
                &limits
            )),
            vec![
                ("tonnes".into(), "implausible_quantity".into()),
                ("amount_yuan".into(), "implausible_price".into()),
            ]
        );
    }

    #[test]
    fn conversions_round_and_refuse_non_numbers() {
        assert_eq!(tonnes_to_kg(12.3456), Some(12_346));
        assert_eq!(tonnes_to_kg(f64::NAN), None);
        assert_eq!(yuan_to_fen(7_999.995), Some(800_000));
        assert_eq!(yuan_to_fen(f64::INFINITY), None);
    }
}
