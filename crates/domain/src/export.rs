//! Spreadsheet exports (CSV that Excel and WPS open correctly with Chinese text).

use crate::client::ClientSummary;
use chrono::TimeDelta;

/// Most rows one export may hold; a larger list must be narrowed with filters first.
pub const MAX_EXPORT_ROWS: u64 = 50_000;

/// UTF-8 byte-order mark: without it Excel reads a CSV as the local code page and garbles Chinese.
pub const BOM: &str = "\u{feff}";

/// Escapes text for HTML element content and quoted attribute values (the printable archive
/// card on the server, the HTML-text lists in the browser).
pub fn html_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// One CSV field: quoted when it holds a separator, a quote or a line break; a leading `=`, `+`,
/// `-`, `@`, tab or carriage return gets a `'` so a spreadsheet shows it as text instead of
/// running it as a formula (CSV injection).
pub fn csv_field(value: &str) -> String {
    let guarded = match value.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{value}"),
        _ => value.to_owned(),
    };
    if guarded.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", guarded.replace('"', "\"\""))
    } else {
        guarded
    }
}

/// A CSV line (with CRLF, as RFC 4180 asks) of the given fields.
pub fn csv_line<'a>(fields: impl IntoIterator<Item = &'a str>) -> String {
    let mut line = fields
        .into_iter()
        .map(csv_field)
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

/// The header line of the client export (Chinese column names; the users are Chinese).
pub fn client_csv_header() -> String {
    csv_line([
        "统一社会信用代码",
        "客户名称",
        "客户类别",
        "所属行业",
        "地址",
        "营销单元",
        "客户经理",
        "联系人",
        "联系电话",
        "更新时间",
    ])
}

/// One client as a CSV line; times in Beijing time.
pub fn client_csv_line(c: &ClientSummary) -> String {
    // China has one time zone, UTC+8, without daylight saving.
    let updated = (c.updated_at + TimeDelta::hours(8))
        .naive_utc()
        .format("%Y-%m-%d %H:%M")
        .to_string();
    csv_line([
        c.uscc.as_str(),
        c.name.as_str(),
        c.category.label_zh(),
        c.industry.label_zh(),
        c.address.as_str(),
        c.org_unit_name.as_str(),
        c.account_manager_name.as_str(),
        c.contact_name.as_deref().unwrap_or(""),
        c.contact_phone.as_deref().unwrap_or(""),
        updated.as_str(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_only_when_needed_and_formulas_are_defused() {
        assert_eq!(csv_field("长沙市"), "长沙市");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-1"), "'-1");
        assert_eq!(csv_line(["a", "b"]), "a,b\r\n");
    }
}
