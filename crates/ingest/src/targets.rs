//! Monthly volume targets from a workbook: one row per person and month, with the headers
//! 用户名/username (or 工号/employee_id), 月份/month (`YYYY-MM`, or a date cell) and
//! 目标吨数/target_t. The cells are returned as text; the caller resolves people and checks
//! the numbers, row by row.

use crate::error::FileError;
use crate::table::{Cell, Table, XlsxTable};

/// One data row, as read.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCells {
    /// The sheet's row number (1-based, as a spreadsheet shows it).
    pub row: usize,
    /// Who: username or employee id.
    pub person: String,
    /// `YYYY-MM` (a date cell is given as its month).
    pub month: String,
    /// The target as written.
    pub target: String,
}

fn header_kind(text: &str) -> Option<usize> {
    let t = text.trim().to_lowercase();
    match t.as_str() {
        "用户名" | "username" | "工号" | "employee_id" | "账号" => Some(0),
        "月份" | "month" => Some(1),
        "目标吨数" | "目标（吨）" | "目标(吨)" | "target_t" | "target" | "目标" => {
            Some(2)
        }
        _ => None,
    }
}

/// Reads the first worksheet of `bytes`. The first row holds the headers; blank rows are
/// skipped. A missing column is [`FileError::MissingColumns`].
pub fn read_targets(bytes: &[u8]) -> Result<Vec<TargetCells>, FileError> {
    let table = XlsxTable::read(bytes, None)?;
    if table.row_count() == 0 {
        return Err(FileError::Empty);
    }
    let mut columns = [None; 3];
    for c in 0..table.width(0) {
        if let Some(kind) = header_kind(&table.cell(0, c).text()) {
            columns[kind].get_or_insert(c);
        }
    }
    let missing: Vec<String> = ["username", "month", "target_t"]
        .iter()
        .zip(columns)
        .filter(|(_, c)| c.is_none())
        .map(|(name, _)| (*name).to_owned())
        .collect();
    if !missing.is_empty() {
        let found = (0..table.width(0))
            .map(|c| table.cell(0, c).text().into_owned())
            .collect();
        return Err(FileError::MissingColumns { missing, found });
    }
    let [person, month, target] = columns.map(|c| c.unwrap_or(0));
    let mut out = Vec::new();
    for r in 1..table.row_count() {
        let cells = [person, month, target].map(|c| table.cell(r, c));
        if cells.iter().all(Cell::is_blank) {
            continue;
        }
        let month = match &cells[1] {
            Cell::DateTime(d) => d.format("%Y-%m").to_string(),
            other => other.text().trim().to_owned(),
        };
        out.push(TargetCells {
            row: table.row_number(r),
            person: cells[0].text().trim().to_owned(),
            month,
            target: cells[2].text().trim().to_owned(),
        });
    }
    Ok(out)
}
