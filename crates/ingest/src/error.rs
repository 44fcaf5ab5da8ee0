//! Problems with a file as a whole, which stop it from being read at all.

use crate::TextEncoding;
use serde::Serialize;

/// Why a file could not be read. Problems with single rows are [`crate::RowError`]s instead.
///
/// Serialises with its stable `code` as the tag, e.g.
/// `{"code": "missing_columns", "missing": ["product"], "found": ["订单号", …]}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum FileError {
    /// No bytes, or no rows with content (or a header but no data rows).
    #[error("the file is empty or has no data rows")]
    Empty,
    /// The bytes are not valid text in the requested encoding (or, when none was requested,
    /// in UTF-8 or GBK).
    #[error("the file is not valid {} text", encoding_name(*.encoding))]
    InvalidEncoding {
        /// The encoding that was requested; `None` when it was being detected.
        encoding: Option<TextEncoding>,
    },
    /// A spreadsheet format this reader does not take (legacy `.xls`, or a
    /// password-protected workbook, both of which are OLE compound files).
    #[error("unsupported file format: {format}")]
    UnsupportedFormat {
        /// What the file looks like, e.g. `xls`.
        format: String,
    },
    /// A damaged or truncated XLSX, or text the CSV reader cannot split.
    #[error("the file is damaged or truncated: {detail}")]
    CorruptFile {
        /// What the reader reported (English, for logs and support).
        detail: String,
    },
    /// The requested worksheet is not in the workbook.
    #[error("worksheet `{sheet}` not found (the workbook has: {})", available.join(", "))]
    SheetNotFound {
        /// The name asked for.
        sheet: String,
        /// The workbook's sheets, in order.
        available: Vec<String>,
    },
    /// Required fields have no column. Entries are field codes; `a|b` means either will do.
    /// A field of a saved mapping whose header is not in the file is listed too.
    #[error("missing columns: {} (the file has: {})", missing.join(", "), found.join(", "))]
    MissingColumns {
        /// Field codes (or `a|b` alternatives) without a column.
        missing: Vec<String>,
        /// The headers the file does have.
        found: Vec<String>,
    },
    /// More data rows than the caller accepts in one file.
    #[error("the file has more than {max} rows")]
    TooManyRows {
        /// The limit.
        max: usize,
    },
}

fn encoding_name(encoding: Option<TextEncoding>) -> &'static str {
    match encoding {
        Some(TextEncoding::Utf8) => "UTF-8",
        Some(TextEncoding::Gbk) => "GBK",
        None => "UTF-8 or GBK",
    }
}

impl FileError {
    /// The stable snake_case code the UI translates.
    pub fn code(&self) -> &'static str {
        match self {
            FileError::Empty => "empty",
            FileError::InvalidEncoding { .. } => "invalid_encoding",
            FileError::UnsupportedFormat { .. } => "unsupported_format",
            FileError::CorruptFile { .. } => "corrupt_file",
            FileError::SheetNotFound { .. } => "sheet_not_found",
            FileError::MissingColumns { .. } => "missing_columns",
            FileError::TooManyRows { .. } => "too_many_rows",
        }
    }

    /// English message for people (the same as `Display`, with advice where there is some).
    pub fn message(&self) -> String {
        match self {
            FileError::InvalidEncoding { encoding } => format!(
                "The file is not valid {} text. Save it from Excel as \"CSV UTF-8\" or choose the other encoding.",
                encoding_name(*encoding)
            ),
            FileError::UnsupportedFormat { .. } => {
                "This is an old Excel 97-2003 (.xls) or password-protected workbook. Save it as .xlsx or CSV without a password."
                    .to_owned()
            }
            other => {
                let mut text = other.to_string();
                if let Some(first) = text.get(..1) {
                    let upper = first.to_uppercase();
                    text.replace_range(..1, &upper);
                }
                text
            }
        }
    }

    /// Chinese message for people.
    pub fn message_zh(&self) -> String {
        match self {
            FileError::Empty => "文件为空或没有数据行".to_owned(),
            FileError::InvalidEncoding { encoding } => format!(
                "文件不是有效的 {} 文本。请在 Excel 中另存为“CSV UTF-8”，或选择另一种编码",
                encoding_name(*encoding).replace(" or ", " 或 ")
            ),
            FileError::UnsupportedFormat { .. } => {
                "这是旧版 Excel 97-2003（.xls）或带密码的工作簿，请另存为 .xlsx 或 CSV（不设密码）"
                    .to_owned()
            }
            FileError::CorruptFile { .. } => "文件已损坏或不完整，无法读取".to_owned(),
            FileError::SheetNotFound { sheet, available } => format!(
                "找不到工作表“{sheet}”（工作簿中有：{}）",
                available.join("、")
            ),
            FileError::MissingColumns { missing, found } => {
                let names: Vec<String> = missing.iter().map(|m| field_names_zh(m)).collect();
                format!(
                    "缺少必需的列：{}（文件中的列：{}）",
                    names.join("、"),
                    found.join("、")
                )
            }
            FileError::TooManyRows { max } => format!("文件超过 {max} 行，请拆分后再导入"),
        }
    }
}

/// `client_uscc|client_id` → `统一社会信用代码或客户ID`.
fn field_names_zh(codes: &str) -> String {
    let names: Vec<&str> = codes
        .split('|')
        .map(|code| {
            crate::TargetField::from_code(code)
                .map(crate::TargetField::label_zh)
                .unwrap_or(code)
        })
        .collect();
    names.join("或")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_serialise_with_their_code_as_tag() {
        let error = FileError::MissingColumns {
            missing: vec!["product".into(), "tonnes|quantity_kg".into()],
            found: vec!["订单号".into()],
        };
        let json = serde_json::to_value(&error).unwrap();
        assert_eq!(json["code"], error.code());
        assert_eq!(json["missing"][1], "tonnes|quantity_kg");
        assert_eq!(
            error.message_zh(),
            "缺少必需的列：油品、数量（吨）或数量（千克）（文件中的列：订单号）"
        );
        assert!(error.message().starts_with("Missing columns: product"));
    }

    #[test]
    fn every_error_has_both_messages() {
        let errors = [
            FileError::Empty,
            FileError::InvalidEncoding { encoding: None },
            FileError::UnsupportedFormat {
                format: "xls".into(),
            },
            FileError::CorruptFile {
                detail: "zip".into(),
            },
            FileError::SheetNotFound {
                sheet: "x".into(),
                available: vec!["Sheet1".into()],
            },
            FileError::TooManyRows { max: 10 },
        ];
        for error in errors {
            assert!(!error.message().is_empty());
            assert!(!error.message_zh().is_empty());
            assert_eq!(serde_json::to_value(&error).unwrap()["code"], error.code());
        }
    }
}
