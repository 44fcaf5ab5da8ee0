//! A file read as a grid of cells, whatever its format: CSV text or the first (or a named)
//! worksheet of an XLSX workbook.

use crate::FileError;
use calamine::{Data, Reader, Xlsx};
use chrono::NaiveDateTime;
use std::borrow::Cow;
use std::io::Cursor;

/// One cell's content, borrowed from the table.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Cell<'a> {
    /// Nothing, or only white space.
    Empty,
    /// Text (untrimmed).
    Text(&'a str),
    /// A numeric spreadsheet cell.
    Number(f64),
    /// A spreadsheet cell formatted as a date or date-time.
    DateTime(NaiveDateTime),
    /// A boolean spreadsheet cell.
    Bool(bool),
    /// An Excel error value such as `#N/A` or `#DIV/0!`.
    ExcelError,
}

impl Cell<'_> {
    /// True for empty cells and cells holding only white space.
    pub(crate) fn is_blank(&self) -> bool {
        match self {
            Cell::Empty => true,
            Cell::Text(text) => text.trim().is_empty(),
            _ => false,
        }
    }

    /// The cell as the user would read it: trimmed text, integers without `.0`, ISO dates.
    pub(crate) fn text(&self) -> Cow<'_, str> {
        match self {
            Cell::Empty => Cow::Borrowed(""),
            Cell::Text(text) => Cow::Borrowed(text.trim().trim_start_matches('\u{FEFF}').trim()),
            Cell::Number(value) => Cow::Owned(format_number(*value)),
            Cell::DateTime(value) => Cow::Owned(if value.time() == chrono::NaiveTime::MIN {
                value.date().to_string()
            } else {
                value.to_string()
            }),
            Cell::Bool(value) => Cow::Borrowed(if *value { "TRUE" } else { "FALSE" }),
            Cell::ExcelError => Cow::Borrowed("#ERROR"),
        }
    }
}

/// An integer-valued number without a fraction (order numbers stored as numbers), anything
/// else in its shortest exact form.
fn format_number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        format!("{}", value as i64)
    } else {
        format!("{value}")
    }
}

/// A grid of cells with the row numbers the user sees.
pub(crate) trait Table {
    /// Number of rows (blank ones included, for XLSX; CSV drops empty lines).
    fn row_count(&self) -> usize;
    /// The 1-based row (XLSX) or line (CSV) number of row `row`, as the user sees it.
    fn row_number(&self, row: usize) -> usize;
    /// Number of cells in row `row`.
    fn width(&self, row: usize) -> usize;
    /// The cell at (`row`, `column`); [`Cell::Empty`] outside the grid.
    fn cell(&self, row: usize, column: usize) -> Cell<'_>;

    /// True when every cell of the row is blank.
    fn is_blank_row(&self, row: usize) -> bool {
        (0..self.width(row)).all(|column| self.cell(row, column).is_blank())
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Candidate delimiters, in order of preference on a tie.
const DELIMITERS: [u8; 4] = [b',', b'\t', b';', b'|'];
/// Lines looked at to guess the delimiter (the header may sit below a title line).
const SNIFF_LINES: usize = 10;

/// Rows of a CSV file, blank lines dropped.
pub(crate) struct CsvTable {
    records: Vec<csv::StringRecord>,
    lines: Vec<usize>,
}

impl CsvTable {
    /// Splits decoded text into rows, keeping at most `max_records` non-blank ones; `None`
    /// when the text holds more than that.
    pub(crate) fn read(text: &str, max_records: usize) -> Result<Option<CsvTable>, FileError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(sniff_delimiter(text))
            .from_reader(text.as_bytes());
        let mut table = CsvTable {
            records: Vec::new(),
            lines: Vec::new(),
        };
        let mut record = csv::StringRecord::new();
        let mut lines = LineCounter::new(text);
        loop {
            match reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    return Err(FileError::CorruptFile {
                        detail: error.to_string(),
                    })
                }
            }
            if record.iter().all(|field| field.trim().is_empty()) {
                continue;
            }
            if table.records.len() == max_records {
                return Ok(None);
            }
            let start = record
                .position()
                .map_or(0, |p| usize::try_from(p.byte()).unwrap_or(usize::MAX));
            table.lines.push(lines.line_of_record_at(start));
            table.records.push(record.clone());
        }
        Ok(Some(table))
    }
}

impl Table for CsvTable {
    fn row_count(&self) -> usize {
        self.records.len()
    }
    fn row_number(&self, row: usize) -> usize {
        self.lines.get(row).copied().unwrap_or_default()
    }
    fn width(&self, row: usize) -> usize {
        self.records.get(row).map_or(0, csv::StringRecord::len)
    }
    fn cell(&self, row: usize, column: usize) -> Cell<'_> {
        match self.records.get(row).and_then(|r| r.get(column)) {
            Some(text) if !text.trim().is_empty() => Cell::Text(text),
            _ => Cell::Empty,
        }
    }
}

/// Line numbers as an editor shows them, counting `\n`, `\r\n` and a lone `\r` (old Mac
/// exports) as one break each. The CSV reader's own count knows only `\n`, and places a
/// record that follows blank lines on the first of them.
struct LineCounter<'a> {
    bytes: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> LineCounter<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn is_break(&self, at: usize) -> bool {
        match self.bytes.get(at) {
            Some(b'\n') => true,
            Some(b'\r') => self.bytes.get(at + 1) != Some(&b'\n'),
            _ => false,
        }
    }

    /// The line of the first character of the record the reader reports at byte `start`
    /// (which may point at the blank lines before it). Calls must not go backwards.
    fn line_of_record_at(&mut self, start: usize) -> usize {
        let mut start = start.clamp(self.offset, self.bytes.len());
        while matches!(self.bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        for at in self.offset..start {
            if self.is_break(at) {
                self.line += 1;
            }
        }
        self.offset = start;
        self.line
    }
}

/// Picks the delimiter that splits the busiest of the first lines into the most fields,
/// counting only outside quotes; a comma when nothing splits.
fn sniff_delimiter(text: &str) -> u8 {
    let mut best = (0usize, b',');
    for line in text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .take(SNIFF_LINES)
    {
        for delimiter in DELIMITERS {
            let mut quoted = false;
            let mut count = 0;
            for byte in line.bytes() {
                if byte == b'"' {
                    quoted = !quoted;
                } else if byte == delimiter && !quoted {
                    count += 1;
                }
            }
            if count > best.0 {
                best = (count, delimiter);
            }
        }
    }
    best.1
}

// ---------------------------------------------------------------------------------------------
// XLSX

/// One worksheet of an XLSX workbook.
pub(crate) struct XlsxTable {
    range: calamine::Range<Data>,
    /// 0-based sheet row of the range's first row (calamine drops leading empty rows).
    first_row: usize,
}

impl XlsxTable {
    /// Reads the named worksheet, or the first one.
    pub(crate) fn read(bytes: &[u8], sheet: Option<&str>) -> Result<XlsxTable, FileError> {
        // calamine and its XML and ZIP readers are not written for hostile input and still
        // hold a few panicking paths; a damaged upload must end as an error, not a crash.
        let read = std::panic::catch_unwind(|| read_sheet(bytes, sheet));
        let range = read.unwrap_or_else(|_| {
            Err(FileError::CorruptFile {
                detail: "the workbook could not be read".to_owned(),
            })
        })?;
        let first_row = range
            .start()
            .map_or(0, |(row, _)| usize::try_from(row).unwrap_or(usize::MAX));
        Ok(XlsxTable { range, first_row })
    }
}

fn read_sheet(bytes: &[u8], sheet: Option<&str>) -> Result<calamine::Range<Data>, FileError> {
    let corrupt = |error: calamine::XlsxError| FileError::CorruptFile {
        detail: error.to_string(),
    };
    let mut workbook = Xlsx::new(Cursor::new(bytes)).map_err(corrupt)?;
    let names = workbook.sheet_names();
    let name = match sheet {
        Some(wanted) => names
            .iter()
            .find(|name| name.as_str() == wanted)
            .or_else(|| names.iter().find(|name| name.trim() == wanted.trim()))
            .cloned()
            .ok_or_else(|| FileError::SheetNotFound {
                sheet: wanted.to_owned(),
                available: names.clone(),
            })?,
        None => names.first().cloned().ok_or(FileError::Empty)?,
    };
    workbook.worksheet_range(&name).map_err(corrupt)
}

impl Table for XlsxTable {
    fn row_count(&self) -> usize {
        self.range.height()
    }
    fn row_number(&self, row: usize) -> usize {
        self.first_row.saturating_add(row).saturating_add(1)
    }
    fn width(&self, _row: usize) -> usize {
        self.range.width()
    }
    fn cell(&self, row: usize, column: usize) -> Cell<'_> {
        match self.range.get((row, column)) {
            None | Some(Data::Empty) => Cell::Empty,
            Some(Data::String(text)) if text.trim().is_empty() => Cell::Empty,
            Some(Data::String(text) | Data::DateTimeIso(text) | Data::DurationIso(text)) => {
                Cell::Text(text)
            }
            Some(Data::Int(value)) => Cell::Number(*value as f64),
            Some(Data::Float(value)) => Cell::Number(*value),
            Some(Data::Bool(value)) => Cell::Bool(*value),
            // `as_datetime` applies the workbook's 1900 or 1904 date system.
            Some(Data::DateTime(value)) if value.is_datetime() => match value.as_datetime() {
                Some(date_time) => Cell::DateTime(date_time),
                None => Cell::Number(value.as_f64()),
            },
            Some(Data::DateTime(value)) => Cell::Number(value.as_f64()),
            Some(Data::Error(_)) => Cell::ExcelError,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(text: &str) -> Vec<usize> {
        CsvTable::read(text, 100).unwrap().unwrap().lines
    }

    #[test]
    fn line_numbers_count_every_kind_of_line_break_and_blank_lines() {
        assert_eq!(lines_of("a,b\nc,d\n\n\ne,f\n"), [1, 2, 5]);
        assert_eq!(lines_of("a,b\r\nc,d\r\n\r\ne,f\r\n"), [1, 2, 4]);
        assert_eq!(lines_of("a,b\rc,d\r\re,f"), [1, 2, 4]);
        assert_eq!(lines_of("\n\na,b\n , \nc,d"), [3, 5]);
        // A quoted line break stays inside its record.
        assert_eq!(lines_of("a,\"x\ny\"\nc,d\n"), [1, 3]);
    }

    #[test]
    fn the_delimiter_is_sniffed_from_the_busiest_line() {
        assert_eq!(sniff_delimiter("a,b,c\n1,2,3"), b',');
        assert_eq!(sniff_delimiter("a;b;c\n1,5;2;3"), b';');
        assert_eq!(sniff_delimiter("标题\na\tb\tc"), b'\t');
        assert_eq!(sniff_delimiter("\"a;b\",c"), b',');
        assert_eq!(sniff_delimiter("abc"), b',');
    }

    #[test]
    fn too_many_records_stop_the_reader() {
        assert!(CsvTable::read("a\nb\nc\n", 2).unwrap().is_none());
        assert!(CsvTable::read("a\nb\n\n", 2).unwrap().is_some());
    }
}
