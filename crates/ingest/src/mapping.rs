//! Which column of the file holds which order field: detected from Chinese and English
//! header synonyms, or taken from a mapping the user saved for their ERP's layout.

use crate::values::to_half_width;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

domain::labelled_enum! {
    /// A field of a sales order that a column of the file can supply.
    TargetField {
        OrderNo => "order_no", "订单号", "Order number";
        ClientUscc => "client_uscc", "统一社会信用代码", "Unified social credit code";
        ClientId => "client_id", "客户ID", "Client ID";
        ClientName => "client_name", "客户名称", "Client name";
        OrderDate => "order_date", "订单日期", "Order date";
        Product => "product", "油品", "Product";
        Tonnes => "tonnes", "数量（吨）", "Quantity (tonnes)";
        QuantityKg => "quantity_kg", "数量（千克）", "Quantity (kg)";
        AmountYuan => "amount_yuan", "金额（元）", "Amount (yuan)";
        Channel => "channel", "渠道", "Channel";
        Depot => "depot", "油库", "Depot";
    }
}

impl TargetField {
    /// Header texts that name this field, compared after [`normalize_header`].
    pub fn synonyms(self) -> &'static [&'static str] {
        match self {
            TargetField::OrderNo => &[
                "order_no",
                "订单号",
                "订单编号",
                "单据编号",
                "单据号",
                "销售单号",
                "销售订单号",
                "销售单据号",
                "单号",
                "order no",
                "order number",
                "order id",
            ],
            TargetField::ClientUscc => &[
                "client_uscc",
                "客户编码",
                "统一社会信用代码",
                "社会信用代码",
                "信用代码",
                "纳税人识别号",
                "税号",
                "uscc",
                "credit code",
                "customer code",
                "client code",
            ],
            TargetField::ClientId => &["client_id", "客户id", "customer id"],
            TargetField::ClientName => &[
                "client_name",
                "客户名称",
                "客户",
                "客户全称",
                "购货单位",
                "购买方",
                "customer",
                "customer name",
                "client",
                "client name",
            ],
            TargetField::OrderDate => &[
                "order_date",
                "日期",
                "订单日期",
                "开单日期",
                "销售日期",
                "单据日期",
                "业务日期",
                "date",
                "order date",
            ],
            TargetField::Product => &[
                "product",
                "油品",
                "品名",
                "商品名称",
                "商品",
                "产品",
                "产品名称",
                "油品名称",
                "存货名称",
                "物料名称",
                "product name",
            ],
            TargetField::Tonnes => &[
                "tonnes",
                "数量(吨)",
                "数量",
                "吨数",
                "销量",
                "销量(吨)",
                "销售数量",
                "销售数量(吨)",
                "数量(t)",
                "qty",
                "quantity",
                "quantity (t)",
                "tons",
            ],
            TargetField::QuantityKg => &[
                "quantity_kg",
                "数量(千克)",
                "数量(公斤)",
                "数量(kg)",
                "千克数",
                "公斤数",
                "kg",
                "quantity (kg)",
                "qty (kg)",
            ],
            TargetField::AmountYuan => &[
                "amount_yuan",
                "金额",
                "金额(元)",
                "价税合计",
                "价税合计(元)",
                "销售金额",
                "含税金额",
                "总金额",
                "amount",
                "amount (yuan)",
                "total",
            ],
            TargetField::Channel => &["channel", "渠道", "销售渠道", "sales channel"],
            TargetField::Depot => &[
                "depot",
                "油库",
                "发货油库",
                "发油库",
                "发货仓库",
                "仓库",
                "warehouse",
            ],
        }
    }
}

/// Which source header supplies each target field.
///
/// As JSON it is an object from field code to header text, e.g.
/// `{"order_no": "单据编号", "tonnes": "数量(吨)"}`; the server stores it per ERP layout.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(transparent)]
pub struct ColumnMapping(pub BTreeMap<TargetField, String>);

impl ColumnMapping {
    /// An empty mapping.
    pub fn new() -> Self {
        Self::default()
    }

    /// Maps `field` to the column headed `header`, replacing any earlier choice.
    pub fn insert(&mut self, field: TargetField, header: impl Into<String>) {
        self.0.insert(field, header.into());
    }

    /// The header mapped to `field`.
    pub fn get(&self, field: TargetField) -> Option<&str> {
        self.0.get(&field).map(String::as_str)
    }

    /// The mapped fields and their headers, in field order.
    pub fn iter(&self) -> impl Iterator<Item = (TargetField, &str)> {
        self.0
            .iter()
            .map(|(field, header)| (*field, header.as_str()))
    }
}

/// Folds the spellings of one header together: full-width to half-width, lower case, and
/// without white space, brackets, `_ - . : *` (so `数量（吨）`, `数量(吨)` and `数量 吨`
/// agree, as do `Order No.`, `order_no` and `ORDER-NO`).
pub fn normalize_header(header: &str) -> String {
    to_half_width(header)
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '(' | ')' | '[' | ']' | '【' | '】' | '_' | '-' | '.' | ':' | '*' | '：'
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Fields every file must supply.
const REQUIRED: [TargetField; 4] = [
    TargetField::OrderNo,
    TargetField::OrderDate,
    TargetField::Product,
    TargetField::AmountYuan,
];
/// Groups of which every file must supply at least one.
const REQUIRED_ONE_OF: [[TargetField; 2]; 2] = [
    [TargetField::ClientUscc, TargetField::ClientId],
    [TargetField::Tonnes, TargetField::QuantityKg],
];

/// The columns chosen for a header row.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolved {
    /// Column index per field, indexed by the field's position in [`TargetField::ALL`].
    columns: [Option<usize>; 11],
    /// The mapping actually used, with the headers as they appear in the file.
    pub(crate) mapping: ColumnMapping,
    /// Required fields (or `a|b` groups) without a column, and saved fields whose header is
    /// not in the file.
    pub(crate) missing: Vec<String>,
}

impl Resolved {
    /// The column holding `field`, if any.
    pub(crate) fn column(&self, field: TargetField) -> Option<usize> {
        self.columns[field_index(field)]
    }

    /// How many fields found a column: the score used to pick the header row.
    pub(crate) fn found(&self) -> usize {
        self.columns.iter().flatten().count()
    }
}

fn field_index(field: TargetField) -> usize {
    TargetField::ALL
        .iter()
        .position(|f| *f == field)
        .unwrap_or_default()
}

/// Suggests a mapping for these headers from the built-in synonyms (the first matching
/// column wins); what a UI shows before the user adjusts and saves it.
pub fn detect_mapping(headers: &[String]) -> ColumnMapping {
    resolve(headers, None).mapping
}

/// Chooses a column for every field: the saved mapping's choices first, then the built-in
/// synonyms for the fields it leaves out.
pub(crate) fn resolve(headers: &[String], saved: Option<&ColumnMapping>) -> Resolved {
    let normalized: Vec<String> = headers.iter().map(|h| normalize_header(h)).collect();
    let mut resolved = Resolved::default();
    let mut taken = vec![false; headers.len()];
    let assign = |resolved: &mut Resolved, taken: &mut [bool], field, column: usize| {
        taken[column] = true;
        resolved.columns[field_index(field)] = Some(column);
        resolved.mapping.insert(field, headers[column].clone());
    };

    let saved_fields: Vec<TargetField> = saved
        .map(|m| m.0.keys().copied().collect())
        .unwrap_or_default();
    for (field, wanted) in saved.into_iter().flat_map(ColumnMapping::iter) {
        let wanted_normalized = normalize_header(wanted);
        let column = headers
            .iter()
            .position(|h| !h.trim().is_empty() && h.trim() == wanted.trim())
            .or_else(|| {
                normalized
                    .iter()
                    .position(|h| !h.is_empty() && *h == wanted_normalized)
            });
        match column {
            Some(column) => assign(&mut resolved, &mut taken, field, column),
            None => resolved.missing.push(field.code().to_owned()),
        }
    }

    let quantity = [TargetField::Tonnes, TargetField::QuantityKg];
    let quantity_saved = quantity.iter().any(|f| saved_fields.contains(f));
    for &field in TargetField::ALL {
        // A saved choice of one quantity column must not be overruled by a detected other.
        if saved_fields.contains(&field) || (quantity_saved && quantity.contains(&field)) {
            continue;
        }
        let synonyms: Vec<String> = field
            .synonyms()
            .iter()
            .map(|s| normalize_header(s))
            .collect();
        let column = normalized
            .iter()
            .enumerate()
            .position(|(i, h)| !taken[i] && !h.is_empty() && synonyms.contains(h));
        if let Some(column) = column {
            assign(&mut resolved, &mut taken, field, column);
        }
    }

    for field in REQUIRED {
        if resolved.column(field).is_none() && !saved_fields.contains(&field) {
            resolved.missing.push(field.code().to_owned());
        }
    }
    for group in REQUIRED_ONE_OF {
        let any_found = group.iter().any(|f| resolved.column(*f).is_some());
        let any_saved = group.iter().any(|f| saved_fields.contains(f));
        if !any_found && !any_saved {
            let codes: Vec<&str> = group.iter().map(|f| f.code()).collect();
            resolved.missing.push(codes.join("|"));
        }
    }
    resolved
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn header_spellings_fold_together() {
        assert_eq!(normalize_header(" 数量（吨） "), "数量吨");
        assert_eq!(normalize_header("数量(吨)"), "数量吨");
        assert_eq!(normalize_header("Order No."), "orderno");
        assert_eq!(normalize_header("ORDER_NO"), "orderno");
        assert_eq!(normalize_header("*订单号"), "订单号");
        assert_eq!(normalize_header("ＵＳＣＣ"), "uscc");
    }

    #[test]
    fn synonym_lists_do_not_overlap() {
        let mut seen = std::collections::HashMap::new();
        for &field in TargetField::ALL {
            for synonym in field.synonyms() {
                let other = seen.insert(normalize_header(synonym), field);
                if let Some(other) = other.filter(|other| *other != field) {
                    panic!("{synonym} names both {other} and {field}");
                }
            }
        }
    }

    #[test]
    fn chinese_headers_are_detected() {
        let found = resolve(
            &headers(&[
                "序号",
                "单据编号",
                "开单日期",
                "统一社会信用代码",
                "客户名称",
                "品名",
                "数量（吨）",
                "价税合计",
                "渠道",
                "发货油库",
            ]),
            None,
        );
        assert!(found.missing.is_empty(), "{:?}", found.missing);
        assert_eq!(found.column(TargetField::OrderNo), Some(1));
        assert_eq!(found.column(TargetField::Tonnes), Some(6));
        assert_eq!(found.column(TargetField::Depot), Some(9));
        assert_eq!(found.mapping.get(TargetField::AmountYuan), Some("价税合计"));
    }

    #[test]
    fn english_headers_are_detected() {
        let found = resolve(
            &headers(&[
                "Order No", "Date", "USCC", "Customer", "Product", "Qty", "Amount",
            ]),
            None,
        );
        assert!(found.missing.is_empty(), "{:?}", found.missing);
        assert_eq!(found.column(TargetField::ClientName), Some(3));
        assert_eq!(found.column(TargetField::Channel), None);
    }

    #[test]
    fn missing_required_columns_are_listed() {
        let found = resolve(&headers(&["订单号", "日期", "客户名称"]), None);
        assert_eq!(
            found.missing,
            [
                "product",
                "amount_yuan",
                "client_uscc|client_id",
                "tonnes|quantity_kg"
            ]
        );
    }

    #[test]
    fn a_saved_mapping_wins_over_synonyms() {
        let mut saved = ColumnMapping::new();
        saved.insert(TargetField::Tonnes, "实发数量");
        saved.insert(TargetField::OrderDate, "过账日期");
        let found = resolve(
            &headers(&[
                "订单号",
                "日期",
                "过账日期",
                "USCC",
                "油品",
                "数量",
                "实发数量",
                "金额",
            ]),
            Some(&saved),
        );
        assert!(found.missing.is_empty(), "{:?}", found.missing);
        assert_eq!(found.column(TargetField::OrderDate), Some(2));
        assert_eq!(found.column(TargetField::Tonnes), Some(6));
    }

    #[test]
    fn a_saved_header_absent_from_the_file_is_missing() {
        let mut saved = ColumnMapping::new();
        saved.insert(TargetField::Depot, "库点");
        let found = resolve(
            &headers(&["订单号", "日期", "USCC", "油品", "数量", "金额", "油库"]),
            Some(&saved),
        );
        assert_eq!(found.missing, ["depot"]);
    }

    #[test]
    fn a_mapping_round_trips_as_a_json_object() {
        let mut mapping = ColumnMapping::new();
        mapping.insert(TargetField::OrderNo, "单据编号");
        let json = serde_json::to_string(&mapping).unwrap();
        assert_eq!(json, r#"{"order_no":"单据编号"}"#);
        assert_eq!(
            serde_json::from_str::<ColumnMapping>(&json).unwrap(),
            mapping
        );
    }
}
