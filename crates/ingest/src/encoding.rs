//! Text encodings of CSV files: UTF-8 (with or without a byte-order mark) and GBK / GB18030,
//! which Chinese editions of Excel and most domestic ERPs still write by default.

use crate::FileError;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// The UTF-8 byte-order mark Excel puts in front of "CSV UTF-8" files.
const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The character encoding a CSV file was read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TextEncoding {
    /// UTF-8, with or without a byte-order mark.
    Utf8,
    /// GBK, decoded as its superset GB18030 (the encoding of "CSV (逗号分隔)" in Chinese Excel).
    Gbk,
}

impl TextEncoding {
    /// The stable code (`utf8`, `gbk`).
    pub fn code(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf8",
            TextEncoding::Gbk => "gbk",
        }
    }
}

/// Guesses the encoding of a text file: UTF-8 when the bytes are valid UTF-8, else GBK when
/// they decode as GB18030 without a single invalid sequence.
///
/// Bytes that are neither — or that hold NUL bytes or a UTF-16 byte-order mark, which no
/// UTF-8 or GBK text file does — are an [`FileError::InvalidEncoding`].
pub fn detect_encoding(bytes: &[u8]) -> Result<TextEncoding, FileError> {
    decode_text(bytes, None).map(|(encoding, _)| encoding)
}

/// Decodes a text file, detecting the encoding unless `forced` names one.
///
/// Never substitutes replacement characters: bytes that are invalid in the chosen encoding
/// are an error, so a wrong choice cannot turn Chinese text into mojibake unnoticed.
pub fn decode_text(
    bytes: &[u8],
    forced: Option<TextEncoding>,
) -> Result<(TextEncoding, Cow<'_, str>), FileError> {
    let invalid = || FileError::InvalidEncoding { encoding: forced };
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") || bytes.contains(&0) {
        return Err(invalid());
    }
    let has_bom = bytes.starts_with(UTF8_BOM);
    let utf8 = || {
        let body = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        std::str::from_utf8(body).ok().map(Cow::Borrowed)
    };
    let gbk = || encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes);
    match forced {
        Some(TextEncoding::Utf8) => utf8()
            .map(|text| (TextEncoding::Utf8, text))
            .ok_or_else(invalid),
        // A UTF-8 byte-order mark read as GBK is two garbage characters in the first header.
        Some(TextEncoding::Gbk) if has_bom => Err(invalid()),
        Some(TextEncoding::Gbk) => gbk()
            .map(|text| (TextEncoding::Gbk, text))
            .ok_or_else(invalid),
        None => utf8()
            .map(|text| (TextEncoding::Utf8, text))
            .or_else(|| {
                if has_bom {
                    None
                } else {
                    gbk().map(|text| (TextEncoding::Gbk, text))
                }
            })
            .ok_or_else(invalid),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gbk(text: &str) -> Vec<u8> {
        let (bytes, _, had_errors) = encoding_rs::GBK.encode(text);
        assert!(!had_errors);
        bytes.into_owned()
    }

    #[test]
    fn plain_ascii_is_utf8() {
        assert_eq!(detect_encoding(b"a,b\n1,2\n"), Ok(TextEncoding::Utf8));
    }

    #[test]
    fn chinese_utf8_with_and_without_bom_is_utf8() {
        assert_eq!(detect_encoding("订单号".as_bytes()), Ok(TextEncoding::Utf8));
        let mut with_bom = UTF8_BOM.to_vec();
        with_bom.extend_from_slice("订单号".as_bytes());
        let (encoding, text) = decode_text(&with_bom, None).unwrap();
        assert_eq!((encoding, text.as_ref()), (TextEncoding::Utf8, "订单号"));
    }

    #[test]
    fn gbk_bytes_are_detected_and_decoded() {
        let bytes = gbk("订单号,客户名称,油品\n1,中石化加油站,0#柴油\n");
        let (encoding, text) = decode_text(&bytes, None).unwrap();
        assert_eq!(encoding, TextEncoding::Gbk);
        assert!(text.contains("中石化加油站"));
    }

    #[test]
    fn forcing_utf8_on_gbk_bytes_is_an_error_not_mojibake() {
        let bytes = gbk("订单号,客户名称");
        assert_eq!(
            decode_text(&bytes, Some(TextEncoding::Utf8)).map(|(e, _)| e),
            Err(FileError::InvalidEncoding {
                encoding: Some(TextEncoding::Utf8)
            })
        );
    }

    #[test]
    fn forcing_gbk_on_a_utf8_file_with_bom_is_an_error() {
        let mut bytes = UTF8_BOM.to_vec();
        bytes.extend_from_slice("订单号".as_bytes());
        assert!(decode_text(&bytes, Some(TextEncoding::Gbk)).is_err());
    }

    #[test]
    fn utf16_and_binary_are_invalid() {
        assert!(detect_encoding(b"\xFF\xFEo\0r\0").is_err());
        assert!(detect_encoding(b"a\0b").is_err());
        assert!(detect_encoding(b"\xFF\xFF\xFF").is_err());
    }
}
