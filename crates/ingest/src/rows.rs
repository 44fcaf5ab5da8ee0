//! One data row → one typed order, or the reasons it cannot be one.

use crate::mapping::{Resolved, TargetField};
use crate::table::{Cell, Table};
use crate::values::{
    self, number_cell_scaled, number_to_date, parse_amount_fen, parse_channel, parse_date_text,
    parse_product, parse_quantity_kg, NumberError, QuantityUnit,
};
use crate::{ParsedOrderRow, RowError};
use chrono::NaiveDate;
use domain::sales::{Product, SalesChannel};
use domain::uscc::{Uscc, UsccError};
use domain::FieldError;
use std::collections::HashMap;
use std::hash::Hash;
use uuid::Uuid;

/// Longest cell text repeated in an error (a runaway cell must not bloat the report).
const MAX_VALUE_CHARS: usize = 100;

/// The value parsers' results per distinct cell text: a file repeats the same few products,
/// channels, dates and clients on thousands of rows.
#[derive(Default)]
pub(crate) struct Memo<'a> {
    products: HashMap<&'a str, Option<Product>>,
    channels: HashMap<&'a str, Option<SalesChannel>>,
    dates: HashMap<&'a str, Option<NaiveDate>>,
    usccs: HashMap<&'a str, Result<String, UsccError>>,
}

fn memoized<K: Hash + Eq + Copy, V: Clone>(
    map: &mut HashMap<K, V>,
    key: K,
    compute: impl FnOnce(K) -> V,
) -> V {
    map.entry(key).or_insert_with(|| compute(key)).clone()
}

/// Reads the cells of one row through the chosen columns, collecting every problem.
pub(crate) struct RowReader<'a, 'm, T: Table> {
    table: &'a T,
    row: usize,
    row_number: usize,
    resolved: &'a Resolved,
    memo: &'m mut Memo<'a>,
    errors: Vec<RowError>,
}

impl<'a, 'm, T: Table> RowReader<'a, 'm, T> {
    pub(crate) fn new(
        table: &'a T,
        row: usize,
        resolved: &'a Resolved,
        memo: &'m mut Memo<'a>,
    ) -> Self {
        Self {
            table,
            row,
            row_number: table.row_number(row),
            resolved,
            memo,
            errors: Vec::new(),
        }
    }

    /// Parses the row: the order, or every error found in it.
    pub(crate) fn parse(mut self) -> Result<ParsedOrderRow, Vec<RowError>> {
        let order_no = self.required_text(TargetField::OrderNo);
        let (client_uscc, client_id) = self.client();
        let client_name = self
            .cell(TargetField::ClientName)
            .map(|cell| cell.text().into_owned())
            .filter(|name| !name.is_empty());
        let order_date = self.date();
        let product = self.product();
        let quantity_kg = self.quantity();
        let amount_fen = self.amount();
        let channel = self.channel();
        let depot = self
            .cell(TargetField::Depot)
            .map(|cell| cell.text().into_owned())
            .unwrap_or_default();
        match (
            order_no,
            order_date,
            product,
            quantity_kg,
            amount_fen,
            channel,
        ) {
            (
                Some(order_no),
                Some(order_date),
                Some(product),
                Some(quantity_kg),
                Some(amount_fen),
                Some(channel),
            ) if self.errors.is_empty() => Ok(ParsedOrderRow {
                row: self.row_number,
                order_no,
                client_uscc,
                client_id,
                client_name,
                order_date,
                product,
                quantity_kg,
                amount_fen,
                channel,
                depot,
            }),
            _ => Err(self.errors),
        }
    }

    /// The non-blank, non-error cell of `field`'s column; `None` when unmapped or blank.
    fn cell(&mut self, field: TargetField) -> Option<Cell<'a>> {
        let column = self.resolved.column(field)?;
        let cell = self.table.cell(self.row, column);
        match cell {
            _ if cell.is_blank() => None,
            Cell::ExcelError => {
                self.push(
                    field,
                    "invalid_value",
                    Some("#ERROR"),
                    |h, _| format!("Column \"{h}\" holds an Excel error value (#N/A, #VALUE! …)"),
                    |h, _| format!("“{h}”列是 Excel 错误值（#N/A、#VALUE! 等）"),
                );
                None
            }
            cell => Some(cell),
        }
    }

    fn header(&self, field: TargetField) -> &str {
        self.resolved.mapping.get(field).unwrap_or(field.code())
    }

    /// Records one error; the message builders get the header and the offending value.
    fn push(
        &mut self,
        field: TargetField,
        code: &str,
        value: Option<&str>,
        message: impl Fn(&str, &str) -> String,
        message_zh: impl Fn(&str, &str) -> String,
    ) {
        let header = self.header(field).to_owned();
        let value = value.map(truncate);
        let shown = value.as_deref().unwrap_or_default();
        let error = FieldError::new(
            field.code(),
            code,
            message(&header, shown),
            message_zh(&header, shown),
        );
        self.errors.push(RowError {
            row: self.row_number,
            column: self.resolved.mapping.get(field).map(str::to_owned),
            value,
            error,
        });
    }

    fn push_required(&mut self, field: TargetField) {
        let label_zh = field.label_zh();
        let code = field.code();
        self.push(
            field,
            "required",
            None,
            |h, _| format!("Column \"{h}\" ({code}) is empty"),
            |h, _| format!("“{h}”列（{label_zh}）为空"),
        );
    }

    fn required_text(&mut self, field: TargetField) -> Option<String> {
        match self.cell(field) {
            Some(cell) => Some(cell.text().into_owned()),
            None => {
                if !self.has_error_for(field) {
                    self.push_required(field);
                }
                None
            }
        }
    }

    fn has_error_for(&self, field: TargetField) -> bool {
        self.errors.iter().any(|e| e.error.field == field.code())
    }

    fn client(&mut self) -> (Option<String>, Option<Uuid>) {
        let uscc_cell = self.cell(TargetField::ClientUscc);
        let id_cell = self.cell(TargetField::ClientId);
        let uscc = uscc_cell.and_then(|cell| {
            let parse = |text: &str| {
                Uscc::parse(&values::to_half_width(text)).map(|uscc| uscc.as_str().to_owned())
            };
            let parsed = match cell {
                Cell::Text(text) => memoized(&mut self.memo.usccs, text.trim(), parse),
                other => parse(&other.text()),
            };
            match parsed {
                Ok(uscc) => Some(uscc),
                Err(reason) => {
                    let text = values::to_half_width(&cell.text()).into_owned();
                    let reason_zh = reason.message_zh();
                    self.push(
                        TargetField::ClientUscc,
                        "invalid_uscc",
                        Some(&text),
                        |h, v| {
                            format!("\"{v}\" in column \"{h}\" is not a valid unified social credit code: {reason}")
                        },
                        |h, v| format!("“{h}”列的“{v}”不是有效的统一社会信用代码：{reason_zh}"),
                    );
                    None
                }
            }
        });
        let id = id_cell.and_then(|cell| {
            let text = cell.text();
            match Uuid::parse_str(&text) {
                Ok(id) => Some(id),
                Err(_) => {
                    self.push(
                        TargetField::ClientId,
                        "invalid_value",
                        Some(&text),
                        |h, v| {
                            format!("\"{v}\" in column \"{h}\" is not a valid client ID (a UUID)")
                        },
                        |h, v| format!("“{h}”列的“{v}”不是有效的客户ID（UUID）"),
                    );
                    None
                }
            }
        });
        if uscc_cell.is_none() && id_cell.is_none() {
            self.push_one_of_required(
                TargetField::ClientUscc,
                TargetField::ClientId,
                "client",
                "客户",
            );
        }
        (uscc, id)
    }

    /// Neither column of an either-or pair has a value.
    fn push_one_of_required(
        &mut self,
        first: TargetField,
        second: TargetField,
        what: &str,
        what_zh: &str,
    ) {
        let mapped: Vec<TargetField> = [first, second]
            .into_iter()
            .filter(|f| self.resolved.column(*f).is_some())
            .collect();
        if mapped.iter().any(|f| self.has_error_for(*f)) {
            return;
        }
        let field = mapped.first().copied().unwrap_or(first);
        let headers: Vec<String> = mapped.iter().map(|f| self.header(*f).to_owned()).collect();
        let en = headers
            .iter()
            .map(|h| format!("\"{h}\""))
            .collect::<Vec<_>>()
            .join(" or ");
        let zh = headers
            .iter()
            .map(|h| format!("“{h}”"))
            .collect::<Vec<_>>()
            .join("或");
        self.push(
            field,
            "required",
            None,
            |_, _| format!("The row has no {what}: fill in column {en}"),
            |_, _| format!("该行缺少{what_zh}：请填写{zh}列"),
        );
    }

    fn date(&mut self) -> Option<NaiveDate> {
        let field = TargetField::OrderDate;
        let Some(cell) = self.cell(field) else {
            if !self.has_error_for(field) {
                self.push_required(field);
            }
            return None;
        };
        let date = match cell {
            Cell::DateTime(value) => Some(value.date()),
            Cell::Number(value) => number_to_date(value),
            Cell::Text(text) => memoized(&mut self.memo.dates, text.trim(), parse_date_text),
            _ => None,
        };
        if date.is_none() {
            self.push(
                field,
                "invalid_date",
                Some(&cell.text()),
                |h, v| format!("\"{v}\" in column \"{h}\" is not a date; write it like 2026-11-02"),
                |h, v| format!("“{h}”列的“{v}”不是有效日期，应写成 2026-11-02 这样的格式"),
            );
        }
        date
    }

    fn product(&mut self) -> Option<Product> {
        let field = TargetField::Product;
        let Some(cell) = self.cell(field) else {
            if !self.has_error_for(field) {
                self.push_required(field);
            }
            return None;
        };
        let product = match cell {
            Cell::Text(text) => memoized(&mut self.memo.products, text.trim(), parse_product),
            other => parse_product(&other.text()),
        };
        let text = cell.text();
        if product.is_none() {
            self.push(
                field,
                "unknown_product",
                Some(&text),
                |h, v| format!("\"{v}\" in column \"{h}\" is not a known product (e.g. 0#柴油, -10#柴油, 92#汽油)"),
                |h, v| format!("“{h}”列的“{v}”不是已知油品（如 0#柴油、-10#柴油、92#汽油）"),
            );
        }
        product
    }

    fn quantity(&mut self) -> Option<i64> {
        // The kilogram column is the finer one, so it wins when a row fills in both.
        let (field, unit, cell) = match (
            self.cell(TargetField::QuantityKg),
            self.cell(TargetField::Tonnes),
        ) {
            (Some(cell), _) => (TargetField::QuantityKg, QuantityUnit::Kilograms, cell),
            (None, Some(cell)) => (TargetField::Tonnes, QuantityUnit::Tonnes, cell),
            (None, None) => {
                self.push_one_of_required(
                    TargetField::Tonnes,
                    TargetField::QuantityKg,
                    "quantity",
                    "数量",
                );
                return None;
            }
        };
        let kg = match cell {
            Cell::Number(value) => {
                number_cell_scaled(value, if unit == QuantityUnit::Tonnes { 3 } else { 0 })
            }
            Cell::Text(text) => parse_quantity_kg(text, unit),
            _ => Err(NumberError::NotANumber),
        };
        self.number_result(field, &cell, kg, "吨, t, kg", "吨、t、kg")
    }

    fn amount(&mut self) -> Option<i64> {
        let field = TargetField::AmountYuan;
        let Some(cell) = self.cell(field) else {
            if !self.has_error_for(field) {
                self.push_required(field);
            }
            return None;
        };
        let fen = match cell {
            Cell::Number(value) => number_cell_scaled(value, 2),
            Cell::Text(text) => parse_amount_fen(text),
            _ => Err(NumberError::NotANumber),
        };
        self.number_result(field, &cell, fen, "元", "元")
    }

    fn number_result(
        &mut self,
        field: TargetField,
        cell: &Cell<'_>,
        result: Result<i64, NumberError>,
        units: &str,
        units_zh: &str,
    ) -> Option<i64> {
        let error = match result {
            Ok(value) => return Some(value),
            Err(error) => error,
        };
        let text = cell.text();
        match error {
            NumberError::NotANumber => self.push(
                field,
                "invalid_number",
                Some(&text),
                |h, v| format!("\"{v}\" in column \"{h}\" is not a number"),
                |h, v| format!("“{h}”列的“{v}”不是数字"),
            ),
            NumberError::UnknownUnit => self.push(
                field,
                "invalid_number",
                Some(&text),
                |h, v| format!("\"{v}\" in column \"{h}\" has a unit this column does not take (use {units})"),
                |h, v| format!("“{h}”列的“{v}”单位无法识别（可用 {units_zh}）"),
            ),
            NumberError::TooLarge => self.push(
                field,
                "invalid_number",
                Some(&text),
                |h, v| format!("\"{v}\" in column \"{h}\" is too large"),
                |h, v| format!("“{h}”列的“{v}”数值过大"),
            ),
        }
        None
    }

    fn channel(&mut self) -> Option<SalesChannel> {
        let field = TargetField::Channel;
        let Some(cell) = self.cell(field) else {
            return (!self.has_error_for(field)).then_some(SalesChannel::Direct);
        };
        let channel = match cell {
            Cell::Text(text) => memoized(&mut self.memo.channels, text.trim(), parse_channel),
            other => parse_channel(&other.text()),
        };
        let text = cell.text();
        if channel.is_none() {
            self.push(
                field,
                "unknown_channel",
                Some(&text),
                |h, v| format!("\"{v}\" in column \"{h}\" is not a known channel (直销, 分销, 线上, 加油卡)"),
                |h, v| format!("“{h}”列的“{v}”不是已知渠道（直销、分销、线上、加油卡）"),
            );
        }
        channel
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_VALUE_CHARS) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}
