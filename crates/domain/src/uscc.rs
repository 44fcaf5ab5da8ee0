//! Unified social credit code (统一社会信用代码), GB 32100-2015.
//!
//! 18 characters: registration authority (1), organisation type (1), administrative division (6),
//! organisation code (9), check character (1). The alphabet is the 31 characters
//! `0-9` and `A-Y` without `I O S V Z`; the check character makes the weighted sum ≡ 0 (mod 31)
//! with weights 3^i mod 31.

use std::fmt;

/// The code alphabet, in value order.
pub const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a string is not a USCC.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    /// Not exactly 18 characters.
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    /// A character outside the alphabet (I, O, S, V, Z and lowercase are not used).
    #[error("character `{1}` at position {0} is not allowed")]
    Character(usize, char),
    /// The last character does not match the computed check character.
    #[error("check character should be `{expected}`, got `{found}`")]
    CheckCharacter {
        /// What GB 32100-2015 computes.
        expected: char,
        /// What was given.
        found: char,
    },
}

/// A valid USCC (upper case, checked).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Uscc(String);

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// Computes the check character for the first 17 characters; `None` if any is outside the alphabet.
pub fn check_character(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, &b) in bytes.iter().enumerate() {
        sum += value_of(b)? * WEIGHTS[i];
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

impl Uscc {
    /// Parses a code, accepting surrounding spaces and lowercase letters.
    pub fn parse(input: &str) -> Result<Self, UsccError> {
        let code: String = input.trim().to_ascii_uppercase();
        let count = code.chars().count();
        if count != 18 {
            return Err(UsccError::Length(count));
        }
        for (i, c) in code.chars().enumerate() {
            if !c.is_ascii() || value_of(c as u8).is_none() {
                return Err(UsccError::Character(i + 1, c));
            }
        }
        let expected = check_character(&code[..17]).ok_or(UsccError::Length(count))?;
        let found = code.as_bytes()[17] as char;
        if expected != found {
            return Err(UsccError::CheckCharacter { expected, found });
        }
        Ok(Uscc(code))
    }

    /// The 6-digit administrative division code (positions 3–8).
    pub fn division_code(&self) -> &str {
        &self.0[2..8]
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl UsccError {
    /// The reason in Chinese, for the field error.
    pub fn message_zh(&self) -> String {
        match self {
            UsccError::Length(n) => format!("统一社会信用代码应为 18 位，实际为 {n} 位"),
            UsccError::Character(pos, c) => {
                format!("第 {pos} 位字符“{c}”不允许（不使用 I、O、S、V、Z）")
            }
            UsccError::CheckCharacter { expected, found } => {
                format!("校验码错误：应为“{expected}”，实际为“{found}”")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_example_codes_are_valid() {
        // Codes printed on real business licences.
        for code in [
            "91350100M000100Y43",
            "91110000802100433B",
            "91440300708461136T",
        ] {
            assert!(Uscc::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn lowercase_and_spaces_are_normalised() {
        let uscc = Uscc::parse(" 91350100m000100y43 ").map(|u| u.to_string());
        assert_eq!(uscc, Ok("91350100M000100Y43".to_owned()));
    }

    #[test]
    fn a_wrong_check_character_is_reported_with_the_expected_one() {
        assert_eq!(
            Uscc::parse("91350100M000100Y44"),
            Err(UsccError::CheckCharacter {
                expected: '3',
                found: '4'
            })
        );
    }

    #[test]
    fn letters_outside_the_alphabet_are_rejected() {
        assert_eq!(
            Uscc::parse("9135010OM000100Y43"),
            Err(UsccError::Character(8, 'O'))
        );
        assert_eq!(Uscc::parse("91350100"), Err(UsccError::Length(8)));
    }

    proptest! {
        #[test]
        fn any_seventeen_characters_plus_their_check_character_parse(body in proptest::collection::vec(0usize..31, 17)) {
            let first17: String = body.iter().map(|&i| ALPHABET[i] as char).collect();
            let check = check_character(&first17);
            prop_assert!(check.is_some());
            let code = format!("{first17}{}", check.unwrap_or('0'));
            prop_assert!(Uscc::parse(&code).is_ok());
        }

        #[test]
        fn changing_one_character_breaks_the_check(body in proptest::collection::vec(0usize..31, 17), pos in 0usize..17, delta in 1usize..31) {
            let first17: String = body.iter().map(|&i| ALPHABET[i] as char).collect();
            let check = check_character(&first17).unwrap_or('0');
            let mut altered = body.clone();
            altered[pos] = (altered[pos] + delta) % 31;
            let altered17: String = altered.iter().map(|&i| ALPHABET[i] as char).collect();
            let parsed = Uscc::parse(&format!("{altered17}{check}"));
            prop_assert!(parsed.is_err());
        }
    }
}
