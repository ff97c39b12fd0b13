//! Message body rules: the XML character set SQS allows.

use crate::error::{ErrorCode, SqsError};

/// SQS's answer to a body holding `code_point`, a character outside its set, word for word as
/// an application quoted the live service's rejection of U+FFFF (the set in brackets, a full
/// stop at the end; the API reference lists the set with "to" instead).
pub fn invalid_char_error(code_point: u32) -> SqsError {
    SqsError::new(
        ErrorCode::InvalidMessageContents,
        format!(
            "Invalid binary character '#x{code_point:X}' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."
        ),
    )
}

/// The first `\uXXXX` escape of a JSON text that is a surrogate without its partner (what
/// JavaScript's `JSON.stringify` writes for a string cut inside a surrogate pair). Valid JSON,
/// but no Rust string can hold it: the JSON protocol reports it as the invalid character it is.
pub fn first_lone_surrogate_escape(json: &[u8]) -> Option<u32> {
    let unit = |at: usize| -> Option<u32> {
        let hex = json.get(at..at + 6)?.strip_prefix(b"\\u")?;
        u32::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()
    };
    let mut i = 0;
    while i < json.len() {
        if json[i] != b'\\' {
            i += 1;
            continue;
        }
        match unit(i) {
            Some(high @ 0xD800..=0xDBFF) => match unit(i + 6) {
                Some(0xDC00..=0xDFFF) => i += 12,
                _ => return Some(high),
            },
            Some(low @ 0xDC00..=0xDFFF) => return Some(low),
            Some(_) => i += 6,
            // Any other escape is two bytes (`\"`, `\\`, `\n`, ...).
            None => i += 2,
        }
    }
    None
}

/// The first character outside `#x9 | #xA | #xD | #x20-#xD7FF | #xE000-#xFFFD | #x10000-#x10FFFF`.
/// (Rust strings cannot hold surrogates, so only the control and non-characters remain.)
pub fn first_invalid_char(s: &str) -> Option<char> {
    s.chars()
        .find(|&c| !matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_character_text_is_the_live_services() {
        assert_eq!(
            invalid_char_error(0xFFFF).message,
            "Invalid binary character '#xFFFF' was found in the message body, the set of allowed characters is #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF]."
        );
    }

    #[test]
    fn allowed_set() {
        assert_eq!(first_invalid_char("hello\tworld\r\n€😀"), None);
        assert_eq!(first_invalid_char("a\u{0}b"), Some('\u{0}'));
        assert_eq!(first_invalid_char("\u{1F}"), Some('\u{1F}'));
        assert_eq!(first_invalid_char("\u{FFFE}"), Some('\u{FFFE}'));
    }

    #[test]
    fn lone_surrogate_escapes() {
        let find = |s: &str| first_lone_surrogate_escape(s.as_bytes());
        assert_eq!(find(r#"{"MessageBody": "cut \ud800"}"#), Some(0xD800));
        assert_eq!(find(r#"{"MessageBody": "\uDFFF end"}"#), Some(0xDFFF));
        assert_eq!(find(r#"{"MessageBody": "pair \ud83d\ude00 ok"}"#), None);
        assert_eq!(find(r#"{"MessageBody": "\ud83d\u0041"}"#), Some(0xD83D));
        assert_eq!(find(r#"{"MessageBody": "escaped \\ud800 is text"}"#), None);
        assert_eq!(find(r#"{"MessageBody": "\u00e9 \n \""}"#), None);
    }
}
