//! Parsers for the values found in ERP cells: dates, quantities, amounts, products, channels.
//!
//! They accept the many spellings people and ERPs produce but never guess between two
//! readings: an ambiguous value (`11/2/2026`, `0#/-10#柴油`) is rejected, not interpreted.

use chrono::{Days, NaiveDate};
use domain::sales::{Product, SalesChannel};
use std::borrow::Cow;

/// Maps full-width ASCII (`０-９`, `（`, `，`, `＃` …), ideographic and other odd spaces, the
/// full-width yuan sign and the Unicode minus to their plain forms.
pub fn to_half_width(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        return Cow::Borrowed(text);
    }
    Cow::Owned(text.chars().map(half_width_char).collect())
}

fn half_width_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' | '\u{00A0}' | '\u{2000}'..='\u{200B}' | '\u{202F}' | '\u{FEFF}' => ' ',
        '\u{FFE5}' => '¥',
        '\u{2212}' | '\u{2012}' | '\u{2013}' | '\u{FE63}' => '-',
        _ => c,
    }
}

// ---------------------------------------------------------------------------------------------
// Dates

/// The last day Excel can represent (9999-12-31) as a 1900-system serial number.
const MAX_EXCEL_SERIAL: f64 = 2_958_465.0;
/// Serial numbers written as text are accepted from this value on (1927-05-18), so that a
/// partial date such as `2026.11` is rejected rather than read as day 2026 of 1900.
const MIN_TEXT_SERIAL: f64 = 10_000.0;

/// Converts an Excel serial number (1900 date system, time of day ignored) to a date.
///
/// `None` for values Excel cannot hold, and for 60, Excel's fictitious 1900-02-29.
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !serial.is_finite() || !(1.0..MAX_EXCEL_SERIAL + 1.0).contains(&serial) {
        return None;
    }
    let days = serial.floor() as u64;
    // Excel counts 1900 as a leap year (a Lotus 1-2-3 compatibility bug), so serials after
    // 1900-02-28 are one day ahead of a plain count from 1899-12-31.
    let (epoch, days) = match days {
        60 => return None,
        0..=59 => (NaiveDate::from_ymd_opt(1899, 12, 31)?, days),
        _ => (NaiveDate::from_ymd_opt(1899, 12, 30)?, days),
    };
    epoch.checked_add_days(Days::new(days))
}

/// Reads a number found in a date column: `20261102` as a compact date, anything else in
/// Excel's range as a serial number.
pub fn number_to_date(value: f64) -> Option<NaiveDate> {
    if value.fract() == 0.0 && (10_000_000.0..100_000_000.0).contains(&value) {
        return compact_date(&format!("{}", value as u64));
    }
    excel_serial_to_date(value)
}

fn compact_date(digits: &str) -> Option<NaiveDate> {
    if digits.len() != 8 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    ymd(&digits[..4], &digits[4..6], &digits[6..])
}

fn ymd(year: &str, month: &str, day: &str) -> Option<NaiveDate> {
    let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if year.len() != 4 || !all_digits(year) || !all_digits(month) || !all_digits(day) {
        return None;
    }
    if month.len() > 2 || day.len() > 2 {
        return None;
    }
    NaiveDate::from_ymd_opt(year.parse().ok()?, month.parse().ok()?, day.parse().ok()?)
}

/// Parses a date written as text: `2026-11-02`, `2026/11/2`, `2026.11.2`, `20261102`,
/// `2026年11月2日`, or an Excel serial number such as `46328`. A time after the date
/// (`2026-11-02 10:35`, `2026-11-02T10:35:00`, `2026年11月2日 上午10时`) is ignored.
///
/// Day-first and month-first forms (`02/11/2026`) are rejected: they cannot be told apart.
pub fn parse_date_text(text: &str) -> Option<NaiveDate> {
    let text = to_half_width(text);
    let text = text.trim();
    if let Some((year, rest)) = text.split_once('年') {
        let (month, rest) = rest.split_once('月')?;
        // The day ends at 日/号, or at the space before a time when neither is written.
        let day_end = rest
            .find(['日', '号'])
            .or_else(|| rest.find(char::is_whitespace))
            .unwrap_or(rest.len());
        let day = &rest[..day_end];
        return ymd(year.trim(), month.trim(), day.trim());
    }
    let date_part = text
        .split(|c: char| c.is_whitespace() || c == 'T')
        .next()
        .unwrap_or_default();
    if date_part.bytes().all(|b| b.is_ascii_digit()) && date_part.len() == 8 {
        return compact_date(date_part);
    }
    if let Some(serial) = plain_number(date_part) {
        return if serial >= MIN_TEXT_SERIAL {
            excel_serial_to_date(serial)
        } else {
            None
        };
    }
    let separator = date_part.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut parts = date_part.split(separator);
    let (year, month, day) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    ymd(year, month, day)
}

/// `123` or `123.45` (no sign, no exponent), as used for serial numbers written as text.
fn plain_number(text: &str) -> Option<f64> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    text.parse().ok()
}

// ---------------------------------------------------------------------------------------------
// Numbers

/// A decimal number read exactly from its text: `mantissa × 10^exponent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    mantissa: u128,
    exponent: i32,
}

impl Decimal {
    /// Parses `[+-]digits[.digits][e[+-]digits]` (at least one digit before the exponent).
    fn parse(text: &str) -> Option<Decimal> {
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (number, exponent_text) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        let mut mantissa: u128 = 0;
        for b in whole.bytes().chain(fraction.bytes()) {
            if !b.is_ascii_digit() {
                return None;
            }
            mantissa = mantissa
                .checked_mul(10)?
                .checked_add(u128::from(b - b'0'))?;
        }
        let mut exponent = -i32::try_from(fraction.len()).ok()?;
        if let Some(exponent_text) = exponent_text {
            let digits = exponent_text
                .strip_prefix(['+', '-'])
                .unwrap_or(exponent_text);
            if digits.is_empty() || digits.len() > 4 || !digits.bytes().all(|b| b.is_ascii_digit())
            {
                return None;
            }
            let value: i32 = digits.parse().ok()?;
            exponent += if exponent_text.starts_with('-') {
                -value
            } else {
                value
            };
        }
        Some(Decimal {
            negative,
            mantissa,
            exponent,
        })
    }

    /// `self × 10^places`, rounded half away from zero to an integer; `None` beyond `i64`.
    fn round_scaled(self, places: i32) -> Option<i64> {
        let exponent = self.exponent.checked_add(places)?;
        let magnitude = if exponent >= 0 {
            let factor = 10u128.checked_pow(u32::try_from(exponent).ok()?)?;
            self.mantissa.checked_mul(factor)?
        } else {
            let shift = u32::try_from(-exponent).ok()?;
            if shift > 38 {
                // mantissa < 2^128 < 10^39, so the value is below 0.5 and rounds to zero.
                0
            } else {
                let divisor = 10u128.pow(shift);
                let (quotient, remainder) = (self.mantissa / divisor, self.mantissa % divisor);
                if remainder >= divisor - remainder {
                    quotient + 1
                } else {
                    quotient
                }
            }
        };
        let magnitude = i64::try_from(magnitude).ok()?;
        Some(if self.negative { -magnitude } else { magnitude })
    }
}

/// Why a number cell could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumberError {
    /// Not a number at all.
    NotANumber,
    /// A number followed by a unit this column does not accept.
    UnknownUnit,
    /// Too large for the integer it is stored as.
    TooLarge,
}

/// The unit a quantity column counts in when its cells carry none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuantityUnit {
    /// Tonnes (吨).
    Tonnes,
    /// Kilograms (千克, 公斤).
    Kilograms,
}

impl QuantityUnit {
    fn places(self) -> i32 {
        match self {
            QuantityUnit::Tonnes => 3,
            QuantityUnit::Kilograms => 0,
        }
    }
}

/// Reads a quantity as integer kilograms, rounded half away from zero.
///
/// Accepts thousands separators, full-width digits and a unit after the number (`12.5吨`,
/// `12.5 t`, `12500 kg`, `12500公斤`); a unit overrides the column's `default_unit`.
pub fn parse_quantity_kg(text: &str, default_unit: QuantityUnit) -> Result<i64, NumberError> {
    let (number, unit) = split_number_and_unit(text)?;
    let unit = match unit.as_str() {
        "" => default_unit,
        "t" | "吨" | "公吨" | "ton" | "tons" | "tonne" | "tonnes" => QuantityUnit::Tonnes,
        "kg" | "kgs" | "千克" | "公斤" => QuantityUnit::Kilograms,
        _ => return Err(NumberError::UnknownUnit),
    };
    number
        .round_scaled(unit.places())
        .ok_or(NumberError::TooLarge)
}

/// Reads an amount of money as integer fen, rounded half away from zero.
///
/// Accepts `¥`/`￥`/`RMB`/`CNY` before and `元`/`万元` after the number, thousands
/// separators and full-width digits.
pub fn parse_amount_fen(text: &str) -> Result<i64, NumberError> {
    let (number, unit) = split_number_and_unit(text)?;
    let places = match unit.as_str() {
        "" | "元" | "yuan" | "rmb" | "cny" => 2,
        "万" | "万元" => 6,
        _ => return Err(NumberError::UnknownUnit),
    };
    number.round_scaled(places).ok_or(NumberError::TooLarge)
}

/// Reads a number held by a numeric spreadsheet cell, scaled by `10^places`.
pub fn number_cell_scaled(value: f64, places: i32) -> Result<i64, NumberError> {
    if !value.is_finite() {
        return Err(NumberError::NotANumber);
    }
    if value.abs() >= 1e19 {
        return Err(NumberError::TooLarge);
    }
    // `Display` prints the shortest text that reads back as the same f64, never in exponent
    // form, so 12.345 scales to exactly 12345 instead of 12344.999….
    let number = Decimal::parse(&format!("{value}")).ok_or(NumberError::NotANumber)?;
    number.round_scaled(places).ok_or(NumberError::TooLarge)
}

/// Splits `¥ 1,234.50 元` into the exact number and its lower-case unit (`元`).
fn split_number_and_unit(text: &str) -> Result<(Decimal, String), NumberError> {
    let text = to_half_width(text);
    let mut rest = text.trim();
    loop {
        let before = rest;
        for prefix in ["¥", "rmb", "RMB", "cny", "CNY"] {
            if let Some(stripped) = rest.strip_prefix(prefix) {
                rest = stripped.trim_start();
            }
        }
        if rest == before {
            break;
        }
    }
    let number_end = rest
        .find(|c: char| {
            !(c.is_ascii_digit() || matches!(c, '.' | ',' | '+' | '-' | 'e' | 'E' | ' ' | '\''))
        })
        .unwrap_or(rest.len());
    let (number, unit) = rest.split_at(number_end);
    let number: String = number
        .chars()
        .filter(|c| !matches!(c, ' ' | '\''))
        .collect();
    let number = ungroup(&number).ok_or(NumberError::NotANumber)?;
    let decimal = Decimal::parse(&number).ok_or(NumberError::NotANumber)?;
    let unit = unit.trim().trim_end_matches('.').to_lowercase();
    Ok((decimal, unit))
}

/// Removes thousands separators; reads a lone comma as a decimal comma (`12,5`) unless it
/// is followed by exactly three digits (`1,234`), as Chinese files never use decimal commas.
fn ungroup(number: &str) -> Option<String> {
    let last_comma = number.rfind(',');
    let last_dot = number.rfind('.');
    match (last_comma, last_dot) {
        (None, _) => Some(number.to_owned()),
        (Some(comma), Some(dot)) if comma > dot => {
            // 1.234,5 — dots group, the comma is the decimal point.
            let (integer, fraction) = number.split_at(comma);
            grouped(&integer.replace('.', ","))
                .then(|| format!("{}.{}", integer.replace('.', ""), &fraction[1..]))
        }
        (Some(_), Some(_)) => {
            grouped(number.split('.').next().unwrap_or_default()).then(|| number.replace(',', ""))
        }
        (Some(_), None) => {
            if grouped(number) {
                Some(number.replace(',', ""))
            } else if number.matches(',').count() == 1 {
                Some(number.replace(',', "."))
            } else {
                None
            }
        }
    }
}

/// `[-]d{1,3}(,ddd)+`: a correctly grouped integer part.
fn grouped(integer: &str) -> bool {
    let digits = integer.trim_start_matches(['-', '+']);
    let mut groups = digits.split(',');
    let first_ok = groups
        .next()
        .is_some_and(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit()));
    let mut rest = groups.peekable();
    first_ok
        && rest.peek().is_some()
        && rest.all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()))
}

// ---------------------------------------------------------------------------------------------
// Products and channels

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FuelKind {
    Petrol,
    Diesel,
}

/// Reads a product from its code (`diesel_0`), its labels (`0# 柴油`, `Diesel 0`) or the
/// spellings ERPs use: `0号柴油`, `柴油0#`, `92#汽油`, `汽油92#`, `-10#柴油`, `负10号柴油`,
/// `国六0#柴油`, `0#车用柴油(Ⅵ)`, `92# gasoline` ….
///
/// A bare grade with a marker (`92#`, `-10号`) is enough because the diesel and petrol
/// grades do not overlap; a kind without a grade (`柴油`) is not.
pub fn parse_product(text: &str) -> Option<Product> {
    let text = to_half_width(text.trim()).to_lowercase();
    if text.is_empty() {
        return None;
    }
    if let Some(product) = Product::from_code(&text) {
        return Some(product);
    }
    let text = strip_emission_standard(&text)
        .replace("minus", "-")
        .replace("负", "-");
    let is_diesel = text.contains("柴油") || text.contains("diesel");
    let is_petrol = text.contains("汽油") || text.contains("petrol") || text.contains("gasoline");
    let kind = match (is_diesel, is_petrol) {
        (true, false) => Some(FuelKind::Diesel),
        (false, true) => Some(FuelKind::Petrol),
        (false, false) => None,
        (true, true) => return None,
    };
    let numbers = signed_numbers(&text);
    let marked: Vec<i64> = numbers
        .iter()
        .filter(|n| n.marked)
        .map(|n| n.value)
        .collect();
    let grade = match (marked.as_slice(), numbers.as_slice()) {
        ([grade], _) => *grade,
        ([], [only]) if kind.is_some() => only.value,
        _ => return None,
    };
    product_of(kind, grade)
}

fn product_of(kind: Option<FuelKind>, grade: i64) -> Option<Product> {
    let diesel = match grade {
        0 => Some(Product::Diesel0),
        -10 => Some(Product::DieselMinus10),
        -20 => Some(Product::DieselMinus20),
        -35 => Some(Product::DieselMinus35),
        _ => None,
    };
    // Petrol has no negative grades, so a dash before one is a separator (`汽油-92#`).
    let petrol = match grade.abs() {
        92 => Some(Product::Petrol92),
        95 => Some(Product::Petrol95),
        98 => Some(Product::Petrol98),
        _ => None,
    };
    match kind {
        Some(FuelKind::Diesel) => diesel,
        Some(FuelKind::Petrol) => petrol,
        None => diesel.or(petrol),
    }
}

/// Removes emission-standard tags (`国六`, `国Ⅵ`, `国6`, `国VIB`, `国五`) whose digits would
/// otherwise read as a grade.
fn strip_emission_standard(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '国' {
            out.push(c);
            continue;
        }
        match chars.peek() {
            Some('四' | '五' | '六' | '七' | '4' | '5' | '6' | '7') => {
                chars.next();
            }
            _ => while chars.next_if(|c| is_roman(*c)).is_some() {},
        }
        let _ = chars.next_if(|c| matches!(c, 'a' | 'b'));
    }
    out
}

fn is_roman(c: char) -> bool {
    matches!(c, 'i' | 'v' | 'x' | '\u{2160}'..='\u{217F}')
}

struct GradeNumber {
    value: i64,
    /// Followed by `#` or `号`.
    marked: bool,
}

/// Every run of digits with the minus sign right before it, and whether `#`/`号` follows.
fn signed_numbers(text: &str) -> Vec<GradeNumber> {
    let chars: Vec<char> = text.chars().collect();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < chars.len() && chars[i].is_ascii_digit() {
            i += 1;
        }
        let digits: String = chars[start..i].iter().collect();
        let Ok(magnitude) = digits.parse::<i64>() else {
            i += 1;
            continue;
        };
        let negative = start > 0 && chars[start - 1] == '-';
        let mut after = i;
        while after < chars.len() && chars[after] == ' ' {
            after += 1;
        }
        let marked = after < chars.len() && matches!(chars[after], '#' | '号');
        numbers.push(GradeNumber {
            value: if negative { -magnitude } else { magnitude },
            marked,
        });
    }
    numbers
}

/// Reads a channel from its code or a Chinese or English name: `direct`/`直销`,
/// `distribution`/`分销`, `online`/`线上`/`我要买油`, `fuel_card`/`加油卡`.
pub fn parse_channel(text: &str) -> Option<SalesChannel> {
    let text = to_half_width(text.trim()).to_lowercase();
    if let Some(channel) = SalesChannel::from_code(&text) {
        return Some(channel);
    }
    let compact: String = text
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '(' | ')' | '_' | '-'))
        .collect();
    match compact.as_str() {
        "直销" | "直供" | "direct" => Some(SalesChannel::Direct),
        "分销" | "distribution" => Some(SalesChannel::Distribution),
        "线上" | "网上" | "我要买油" | "我要买油线上" | "online" | "onlineordering" => {
            Some(SalesChannel::Online)
        }
        "加油卡" | "fuelcard" => Some(SalesChannel::FuelCard),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn dates_in_every_common_spelling_parse() {
        for text in [
            "2026-11-02",
            "2026/11/2",
            "2026.11.2",
            "20261102",
            "2026年11月2日",
            "2026年11月2号",
            "2026年11月2",
            "２０２６－１１－０２",
            "2026-11-02 10:35:00",
            "2026-11-02T10:35:00",
            "2026/11/2 10:35",
            "2026年11月2日 10:35",
            " 2026-11-02 ",
            "46328",
            "46328.75",
        ] {
            assert_eq!(parse_date_text(text), Some(date(2026, 11, 2)), "{text}");
        }
    }

    #[test]
    fn ambiguous_or_impossible_dates_are_rejected() {
        for text in [
            "",
            "11/2/2026",
            "02.11.2026",
            "26-11-02",
            "2026-13-01",
            "2026-02-30",
            "2026.11",
            "2026",
            "abc",
            "2026-11",
            "2026-11-02-01",
            "20261302",
            "2026年11月",
        ] {
            assert_eq!(parse_date_text(text), None, "{text}");
        }
    }

    #[test]
    fn excel_serials_follow_the_1900_system() {
        assert_eq!(excel_serial_to_date(1.0), Some(date(1900, 1, 1)));
        assert_eq!(excel_serial_to_date(59.0), Some(date(1900, 2, 28)));
        assert_eq!(excel_serial_to_date(60.0), None);
        assert_eq!(excel_serial_to_date(61.0), Some(date(1900, 3, 1)));
        assert_eq!(excel_serial_to_date(45658.0), Some(date(2025, 1, 1)));
        assert_eq!(excel_serial_to_date(0.0), None);
        assert_eq!(excel_serial_to_date(f64::NAN), None);
        assert_eq!(number_to_date(20261102.0), Some(date(2026, 11, 2)));
        assert_eq!(number_to_date(46328.0), Some(date(2026, 11, 2)));
    }

    #[test]
    fn quantities_become_kilograms_rounded_half_away_from_zero() {
        use QuantityUnit::*;
        let cases = [
            ("12.5", Tonnes, 12_500),
            ("12.5吨", Tonnes, 12_500),
            ("12.5 t", Tonnes, 12_500),
            ("12.5T", Tonnes, 12_500),
            ("1,234.5678", Tonnes, 1_234_568),
            ("１２．５", Tonnes, 12_500),
            ("0.0005", Tonnes, 1),
            ("0.00049", Tonnes, 0),
            ("-0.0005", Tonnes, -1),
            ("12,5", Tonnes, 12_500),
            ("1.234,5", Tonnes, 1_234_500),
            ("12.345", Tonnes, 12_345),
            ("1.2e1", Tonnes, 12_000),
            ("12500 kg", Tonnes, 12_500),
            ("12500", Kilograms, 12_500),
            ("12.5吨", Kilograms, 12_500),
            ("12500.5公斤", Kilograms, 12_501),
            ("1 234", Tonnes, 1_234_000),
        ];
        for (text, unit, kg) in cases {
            assert_eq!(parse_quantity_kg(text, unit), Ok(kg), "{text}");
        }
        assert_eq!(
            parse_quantity_kg("abc", Tonnes),
            Err(NumberError::NotANumber)
        );
        assert_eq!(parse_quantity_kg("", Tonnes), Err(NumberError::NotANumber));
        assert_eq!(
            parse_quantity_kg("12升", Tonnes),
            Err(NumberError::UnknownUnit)
        );
        assert_eq!(
            parse_quantity_kg("1,2,3", Tonnes),
            Err(NumberError::NotANumber)
        );
        assert_eq!(
            parse_quantity_kg("99999999999999999999", Tonnes),
            Err(NumberError::TooLarge)
        );
    }

    #[test]
    fn amounts_become_fen() {
        for (text, fen) in [
            ("8,650.00", 865_000),
            ("¥8,650.00", 865_000),
            ("￥8650", 865_000),
            ("8650元", 865_000),
            ("8650.005 元", 865_001),
            ("RMB 8,650", 865_000),
            ("1.2万元", 1_200_000),
            ("0", 0),
        ] {
            assert_eq!(parse_amount_fen(text), Ok(fen), "{text}");
        }
        assert_eq!(parse_amount_fen("8650吨"), Err(NumberError::UnknownUnit));
        assert_eq!(parse_amount_fen("¥"), Err(NumberError::NotANumber));
    }

    #[test]
    fn numeric_cells_scale_exactly() {
        assert_eq!(number_cell_scaled(12.345, 3), Ok(12_345));
        assert_eq!(number_cell_scaled(0.1 + 0.2, 2), Ok(30));
        assert_eq!(number_cell_scaled(8650.0, 2), Ok(865_000));
        assert_eq!(number_cell_scaled(1e300, 2), Err(NumberError::TooLarge));
        assert_eq!(
            number_cell_scaled(f64::INFINITY, 2),
            Err(NumberError::NotANumber)
        );
    }

    #[test]
    fn products_parse_from_codes_labels_and_erp_spellings() {
        use Product::*;
        let cases = [
            ("diesel_0", Diesel0),
            ("petrol_92", Petrol92),
            ("diesel_minus_10", DieselMinus10),
            ("0# 柴油", Diesel0),
            ("Diesel -10", DieselMinus10),
            ("Petrol 95", Petrol95),
            ("0#柴油", Diesel0),
            ("0号柴油", Diesel0),
            ("柴油0#", Diesel0),
            ("柴油(0#)", Diesel0),
            ("92#汽油", Petrol92),
            ("92号汽油", Petrol92),
            ("汽油92#", Petrol92),
            ("汽油-92#", Petrol92),
            ("95#", Petrol95),
            ("98号车用汽油(ⅥB)", Petrol98),
            ("-10#柴油", DieselMinus10),
            ("－１０＃柴油", DieselMinus10),
            ("负10号柴油", DieselMinus10),
            ("-20#柴油", DieselMinus20),
            ("-35号柴油", DieselMinus35),
            ("国六0#柴油", Diesel0),
            ("国Ⅵ0#柴油", Diesel0),
            ("国VI 0#柴油", Diesel0),
            ("国6 92#汽油", Petrol92),
            ("0#车用柴油(国六)", Diesel0),
            ("0#柴油(国VIB)", Diesel0),
            ("92# gasoline", Petrol92),
            ("diesel 0", Diesel0),
            ("柴油0", Diesel0),
        ];
        for (text, product) in cases {
            assert_eq!(parse_product(text), Some(product), "{text}");
        }
        for text in [
            "",
            "柴油",
            "汽油",
            "92",
            "10#柴油",
            "92#柴油",
            "0#汽油",
            "0#/-10#柴油",
            "煤油",
            "润滑油",
            "柴油汽油92#",
        ] {
            assert_eq!(parse_product(text), None, "{text}");
        }
    }

    #[test]
    fn every_product_parses_from_its_own_labels() {
        for &product in Product::ALL {
            assert_eq!(parse_product(product.code()), Some(product));
            assert_eq!(parse_product(product.label_zh()), Some(product));
            assert_eq!(parse_product(product.label_en()), Some(product));
        }
    }

    #[test]
    fn channels_parse_from_codes_and_names() {
        use SalesChannel::*;
        for (text, channel) in [
            ("direct", Direct),
            ("直销", Direct),
            ("分销", Distribution),
            ("线上", Online),
            ("我要买油", Online),
            ("我要买油（线上）", Online),
            ("加油卡", FuelCard),
            ("fuel_card", FuelCard),
            ("Fuel card", FuelCard),
        ] {
            assert_eq!(parse_channel(text), Some(channel), "{text}");
        }
        for &channel in SalesChannel::ALL {
            assert_eq!(parse_channel(channel.label_zh()), Some(channel));
            assert_eq!(parse_channel(channel.label_en()), Some(channel));
        }
        assert_eq!(parse_channel("批发"), None);
    }
}
