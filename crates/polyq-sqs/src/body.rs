//! Message body rules: the XML character set SQS allows.

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
    fn allowed_set() {
        assert_eq!(first_invalid_char("hello\tworld\r\n€😀"), None);
        assert_eq!(first_invalid_char("a\u{0}b"), Some('\u{0}'));
        assert_eq!(first_invalid_char("\u{1F}"), Some('\u{1F}'));
        assert_eq!(first_invalid_char("\u{FFFE}"), Some('\u{FFFE}'));
    }
}
