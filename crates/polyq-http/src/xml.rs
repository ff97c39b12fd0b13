//! XML text escaping shared by every dialect's response writer.

use std::fmt::Write;

/// Appends `text` escaped for element content or a double-quoted attribute value. Besides
/// `& < > "`, carriage return is written as `&#xD;` (a literal one would be normalised to `\n`
/// by XML parsers, and message bodies must come back byte for byte), and the other characters
/// XML 1.0 cannot carry literally (C0 controls other than tab and line feed, U+FFFE, U+FFFF) as
/// character references.
pub fn escape_into(out: &mut String, text: &str) {
    // Most text (ids, receipts, timestamps, plain bodies) needs nothing escaped: copy it whole.
    let needs_work = text
        .bytes()
        .any(|b| matches!(b, b'&' | b'<' | b'>' | b'"' | 0..=0x1f | 0xef));
    if !needs_work {
        out.push_str(text);
        return;
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' => out.push(c),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "&#x{:X};", u32::from(c));
            }
            c => out.push(c),
        }
    }
}

/// [`escape_into`] a new string.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    escape_into(&mut out, text);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_and_unsafe_characters_are_referenced() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c'");
        assert_eq!(escape("line\r\nnext\ttab"), "line&#xD;\nnext\ttab");
        assert_eq!(escape("\u{1}\u{fffe}"), "&#x1;&#xFFFE;");
        assert_eq!(escape("plain €😀"), "plain €😀");
        // U+FFFE/U+FFFF start with byte 0xEF, like other characters that need nothing.
        assert_eq!(escape("\u{fffd}\u{ffff}"), "\u{fffd}&#xFFFF;");
    }
}
