//! PostgreSQL's `COPY … FROM STDIN` for the bulk writes (the demo load, the recompute): rows as
//! COPY's text format, built from the same `Value`s a multi-row INSERT would bind, sent in
//! pieces of about a megabyte so memory stays flat whatever the row count.

use crate::StoreError;
use sea_orm::sqlx::{self, PgConnection};
use sea_orm::Value;
use std::fmt::Write;

/// A piece is sent once the buffer holds this many bytes.
const PIECE_BYTES: usize = 1 << 20;

/// The database error of a raw sqlx call, as the store reports it.
pub(crate) fn sqlx_error(e: sqlx::Error) -> StoreError {
    StoreError::Database(sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)))
}

/// Appends `value` escaped for COPY's text format: the text between the characters to escape
/// (all ASCII) is copied whole, not a character at a time.
pub(crate) fn copy_text(value: &str, out: &mut String) {
    let mut rest = value;
    while let Some(at) = rest.find(['\\', '\t', '\n', '\r']) {
        out.push_str(&rest[..at]);
        out.push_str(match rest.as_bytes()[at] {
            b'\\' => "\\\\",
            b'\t' => "\\t",
            b'\n' => "\\n",
            _ => "\\r",
        });
        rest = &rest[at + 1..];
    }
    out.push_str(rest);
}

/// Appends one field in COPY's text format (`\N` for NULL).
fn copy_value(value: &Value, out: &mut String) -> Result<(), StoreError> {
    fn some<T>(value: &Option<T>, out: &mut String, write: impl FnOnce(&T, &mut String)) {
        match value {
            Some(v) => write(v, out),
            None => out.push_str("\\N"),
        }
    }
    match value {
        Value::Bool(v) => some(v, out, |b, o| o.push(if *b { 't' } else { 'f' })),
        Value::SmallInt(v) => some(v, out, |n, o| {
            let _ = write!(o, "{n}");
        }),
        Value::Int(v) => some(v, out, |n, o| {
            let _ = write!(o, "{n}");
        }),
        Value::BigInt(v) => some(v, out, |n, o| {
            let _ = write!(o, "{n}");
        }),
        // Rust prints the shortest text that reads back as the same double.
        Value::Double(v) => match v {
            Some(x) if x.is_finite() => {
                let _ = write!(out, "{x}");
            }
            Some(x) => return Err(StoreError::Corrupt(format!("non-finite number {x}"))),
            None => out.push_str("\\N"),
        },
        Value::String(v) => some(v, out, |s, o| copy_text(s, o)),
        Value::Uuid(v) => some(v, out, |u, o| {
            let _ = write!(o, "{u}");
        }),
        Value::ChronoDate(v) => some(v, out, |d, o| {
            let _ = write!(o, "{d}");
        }),
        Value::ChronoDateTimeUtc(v) => some(v, out, |t, o| o.push_str(&t.to_rfc3339())),
        Value::Json(v) => some(v, out, |j, o| copy_text(&j.to_string(), o)),
        other => {
            return Err(StoreError::Corrupt(format!(
                "no COPY text for the value {other:?}"
            )))
        }
    }
    Ok(())
}

/// Writes `items` into `table` (`columns` in order) with one COPY on `conn`, which may be
/// inside a transaction; `row` gives each item's values. Returns the rows written.
pub(crate) async fn copy_rows<T, const N: usize>(
    conn: &mut PgConnection,
    table: &str,
    columns: [&str; N],
    items: &[T],
    row: impl Fn(&T) -> [Value; N],
) -> Result<u64, StoreError> {
    if items.is_empty() {
        return Ok(0);
    }
    let statement = format!("COPY {table} ({}) FROM STDIN", columns.join(", "));
    let mut copy = conn.copy_in_raw(&statement).await.map_err(sqlx_error)?;
    let mut text = String::with_capacity(PIECE_BYTES + 4096);
    for item in items {
        for (i, value) in row(item).iter().enumerate() {
            if i > 0 {
                text.push('\t');
            }
            if let Err(e) = copy_value(value, &mut text) {
                // Leave the connection usable: the COPY is cancelled, the caller's
                // transaction rolls back.
                let _ = copy.abort(e.to_string()).await;
                return Err(e);
            }
        }
        text.push('\n');
        // The piece is sent from the one buffer: a new megabyte for each made the allocator
        // sweep up the rows' small blocks every time.
        if text.len() >= PIECE_BYTES {
            copy.send(text.as_bytes()).await.map_err(sqlx_error)?;
            text.clear();
        }
    }
    if !text.is_empty() {
        copy.send(text.as_bytes()).await.map_err(sqlx_error)?;
    }
    copy.finish().await.map_err(sqlx_error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_fields_are_escaped_and_nulls_marked() {
        let mut out = String::new();
        copy_value(
            &Value::String(Some(Box::new("a\tb\\c\nd".into()))),
            &mut out,
        )
        .unwrap();
        out.push('|');
        copy_value(&Value::Double(None), &mut out).unwrap();
        out.push('|');
        copy_value(&Value::Bool(Some(false)), &mut out).unwrap();
        out.push('|');
        copy_value(&Value::Double(Some(0.1)), &mut out).unwrap();
        assert_eq!(out, "a\\tb\\\\c\\nd|\\N|f|0.1");
        assert!(copy_value(&Value::Double(Some(f64::NAN)), &mut String::new()).is_err());
    }
}
