//! Sales export files from an ERP → typed order rows (DESIGN §2.8).
//!
//! Pure: bytes in, rows out — no file system, no network, no clock. The server calls
//! [`parse_orders`] on an upload, returns the [`ParsedFile`] as a preview (rows plus a per-row
//! error report), and imports the rows with the domain rules once the user confirms. Business
//! rules (future dates, negative volumes, unknown clients) are the server's; this crate only
//! rejects what cannot be read.
//!
//! What it reads:
//! - CSV in UTF-8 (with or without BOM) or GBK/GB18030, separated by `,`, `;`, tab or `|`;
//! - XLSX (the first or a named worksheet), recognised by content, not by file name;
//! - headers in Chinese or English (`单据编号`, `数量（吨）`, `Order No` …) or as a saved
//!   [`ColumnMapping`]; title rows above the header and `合计` rows below the data are skipped.

mod encoding;
mod error;
mod mapping;
mod rows;
mod table;
pub mod targets;
pub mod values;

pub use encoding::{decode_text, detect_encoding, TextEncoding};
pub use error::FileError;
pub use mapping::{detect_mapping, normalize_header, ColumnMapping, TargetField};

use chrono::NaiveDate;
use domain::sales::{Product, SalesChannel};
use domain::FieldError;
use mapping::Resolved;
use serde::{Deserialize, Serialize};
use table::{CsvTable, Table, XlsxTable};
use uuid::Uuid;

/// Rows above the header that may hold a report title; the header is looked for among the
/// first this many non-blank rows.
const HEADER_SCAN_ROWS: usize = 20;
/// Default for [`ParseOptions::max_rows`].
pub const DEFAULT_MAX_ROWS: usize = 100_000;

/// The container format of an upload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// Delimited text.
    Csv,
    /// An Office Open XML workbook.
    Xlsx,
}

/// How to read a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParseOptions {
    /// Text encoding of a CSV; detected when `None`. Ignored for XLSX.
    pub encoding: Option<TextEncoding>,
    /// Worksheet of an XLSX; the first when `None`. Ignored for CSV.
    pub sheet: Option<String>,
    /// A saved mapping; its fields override detection, the others are still detected.
    pub mapping: Option<ColumnMapping>,
    /// Most data rows accepted; more is [`FileError::TooManyRows`].
    pub max_rows: usize,
}

impl Default for ParseOptions {
    fn default() -> Self {
        Self {
            encoding: None,
            sheet: None,
            mapping: None,
            max_rows: DEFAULT_MAX_ROWS,
        }
    }
}

/// One sales order read from the file; not yet checked against the business rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParsedOrderRow {
    /// Row number as the user sees it (the header row of a file without a title is 1).
    pub row: usize,
    /// The ERP's order number.
    pub order_no: String,
    /// The buyer's unified social credit code (checked, upper case), when the file has one.
    pub client_uscc: Option<String>,
    /// The buyer's id in this system, when the file has one.
    pub client_id: Option<Uuid>,
    /// The buyer's name as the file spells it.
    pub client_name: Option<String>,
    /// Order date.
    pub order_date: NaiveDate,
    /// Product.
    pub product: Product,
    /// Quantity in kilograms (tonnes × 1000, rounded half away from zero).
    pub quantity_kg: i64,
    /// Amount in fen (yuan × 100, rounded half away from zero).
    pub amount_fen: i64,
    /// Channel; `direct` when the file has no channel column or leaves it blank.
    pub channel: SalesChannel,
    /// Depot; empty when not given.
    pub depot: String,
}

/// A cell that could not be read.
///
/// Codes: `required`, `invalid_date`, `invalid_number`, `unknown_product`,
/// `unknown_channel`, `invalid_uscc`, `invalid_value`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RowError {
    /// Row number as the user sees it in the file (header row = 1 when it is the first).
    pub row: usize,
    /// The file's header of the column, when the field has one.
    pub column: Option<String>,
    /// The offending cell text (at most 100 characters), when there is one.
    pub value: Option<String>,
    /// Target field, code and messages; `field` is a [`TargetField`] code.
    #[serde(flatten)]
    pub error: FieldError,
}

/// What a file holds: the orders that could be read and the errors of those that could not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ParsedFile {
    /// Encoding a CSV was read with; `None` for XLSX.
    pub encoding: Option<TextEncoding>,
    /// Container format.
    pub kind: FileKind,
    /// The header row as written in the file.
    pub headers: Vec<String>,
    /// Which header supplied which field (save it to reuse it for the next file).
    pub mapping: ColumnMapping,
    /// Readable rows, in file order.
    pub rows: Vec<ParsedOrderRow>,
    /// Errors of the unreadable rows, in file order (a row may have several).
    pub errors: Vec<RowError>,
    /// Data rows in the file (readable or not), blank and total rows not counted.
    pub total_rows: usize,
}

/// Reads an ERP sales export: CSV or XLSX, detected from the bytes.
///
/// Whole-file problems are a [`FileError`]; problems with single rows end up in
/// [`ParsedFile::errors`] and the other rows are still read.
pub fn parse_orders(bytes: &[u8], options: &ParseOptions) -> Result<ParsedFile, FileError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(FileError::Empty);
    }
    if bytes.starts_with(b"PK\x03\x04") {
        let table = XlsxTable::read(bytes, options.sheet.as_deref())?;
        parse_table(&table, FileKind::Xlsx, None, options)
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        Err(FileError::UnsupportedFormat {
            format: "xls".to_owned(),
        })
    } else {
        let (encoding, text) = decode_text(bytes, options.encoding)?;
        let limit = options.max_rows.saturating_add(HEADER_SCAN_ROWS);
        let table = CsvTable::read(&text, limit)?.ok_or(FileError::TooManyRows {
            max: options.max_rows,
        })?;
        parse_table(&table, FileKind::Csv, Some(encoding), options)
    }
}

fn parse_table<T: Table>(
    table: &T,
    kind: FileKind,
    encoding: Option<TextEncoding>,
    options: &ParseOptions,
) -> Result<ParsedFile, FileError> {
    let (header_row, headers, resolved) =
        find_header(table, options.mapping.as_ref()).ok_or(FileError::Empty)?;
    if !resolved.missing.is_empty() {
        return Err(FileError::MissingColumns {
            missing: resolved.missing,
            found: headers.into_iter().filter(|h| !h.is_empty()).collect(),
        });
    }
    let mut parsed = ParsedFile {
        encoding,
        kind,
        headers,
        mapping: resolved.mapping.clone(),
        rows: Vec::new(),
        errors: Vec::new(),
        total_rows: 0,
    };
    let mut memo = rows::Memo::default();
    for row in header_row + 1..table.row_count() {
        if table.is_blank_row(row) || is_total_row(table, row, &resolved) {
            continue;
        }
        parsed.total_rows += 1;
        if parsed.total_rows > options.max_rows {
            return Err(FileError::TooManyRows {
                max: options.max_rows,
            });
        }
        match rows::RowReader::new(table, row, &resolved, &mut memo).parse() {
            Ok(order) => parsed.rows.push(order),
            Err(errors) => parsed.errors.extend(errors),
        }
    }
    if parsed.total_rows == 0 {
        return Err(FileError::Empty);
    }
    Ok(parsed)
}

/// The row among the first non-blank ones whose cells name the most fields (the first such
/// row on a tie), its header texts and the columns chosen; `None` when every row is blank.
fn find_header<T: Table>(
    table: &T,
    saved: Option<&ColumnMapping>,
) -> Option<(usize, Vec<String>, Resolved)> {
    let mut best: Option<(usize, Vec<String>, Resolved)> = None;
    for row in (0..table.row_count())
        .filter(|row| !table.is_blank_row(*row))
        .take(HEADER_SCAN_ROWS)
    {
        let headers = header_texts(table, row);
        let resolved = mapping::resolve(&headers, saved);
        let better = best
            .as_ref()
            .is_none_or(|(_, _, b)| resolved.found() > b.found());
        if better {
            best = Some((row, headers, resolved));
        }
    }
    best
}

/// The cells of a header row as text, up to the last non-empty one.
fn header_texts<T: Table>(table: &T, row: usize) -> Vec<String> {
    let mut headers: Vec<String> = (0..table.width(row))
        .map(|column| table.cell(row, column).text().into_owned())
        .collect();
    while headers.last().is_some_and(String::is_empty) {
        headers.pop();
    }
    headers
}

/// A `合计`/`总计`/`Total` line under the data: one of its cells says so and it has no date.
fn is_total_row<T: Table>(table: &T, row: usize, resolved: &Resolved) -> bool {
    let dated = resolved
        .column(TargetField::OrderDate)
        .is_some_and(|column| !table.cell(row, column).is_blank());
    !dated
        && (0..table.width(row)).any(|column| {
            let cell = table.cell(row, column);
            matches!(cell, table::Cell::Text(_))
                && matches!(
                    normalize_header(&cell.text()).as_str(),
                    "合计" | "总计" | "小计" | "本页合计" | "total" | "subtotal" | "grandtotal"
                )
        })
}

#[cfg(all(test, feature = "openapi"))]
mod openapi_tests {
    use super::*;
    use utoipa::PartialSchema;

    #[test]
    fn the_preview_schema_describes_the_mapping_as_an_object_and_errors_flat() {
        let mapping = serde_json::to_value(ColumnMapping::schema()).unwrap();
        assert_eq!(mapping["type"], "object", "{mapping}");
        let error = serde_json::to_string(&RowError::schema()).unwrap();
        assert!(
            error.contains("message_zh") || error.contains("FieldError"),
            "{error}"
        );
        let file = serde_json::to_string(&FileError::schema()).unwrap();
        assert!(file.contains("missing_columns"), "{file}");
    }
}
