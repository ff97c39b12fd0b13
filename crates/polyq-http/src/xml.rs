//! XML text escaping shared by every dialect's response writer, and the limits every
//! dialect's XML reader applies.

/// How deep a request document's elements may nest. The documents the APIs take are a few
/// levels deep; a reader that accepted any depth would build a tree whose recursive drop
/// overflows a worker's stack (tens of thousands of levels: one request took the server down).
pub const MAX_DEPTH: usize = 64;

/// Whether XML 1.0 can carry `c` (its `Char` production: tab, line feed, carriage return,
/// U+0020 and above except U+FFFE and U+FFFF; Rust strings hold no surrogates), literally or
/// as a character reference.
pub fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r') || (c >= '\u{20}' && c != '\u{FFFE}' && c != '\u{FFFF}')
}

/// Whether every character of `text` is an [`is_xml_char`].
pub fn is_xml_text(text: &str) -> bool {
    text.chars().all(is_xml_char)
}

/// Appends `text` escaped for element content or a double-quoted attribute value. Besides
/// `& < > "`, carriage return is written as `&#xD;` (a literal one would be normalised to `\n`
/// by XML parsers, and message bodies must come back byte for byte). A character XML 1.0
/// cannot carry at all (C0 controls other than tab and line feed, U+FFFE, U+FFFF) is written
/// as U+FFFD: as a character reference (`&#x1;`) it would make the whole document unparseable,
/// and the client would report a parser error instead of the answer. Message bodies never hold
/// one (every dialect refuses them on the way in); error messages that echo client input can.
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
            '\r' => out.push_str("&#xD;"),
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => out.push('\u{fffd}'),
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
        assert_eq!(escape("\u{1}\u{fffe}\u{0}"), "\u{fffd}\u{fffd}\u{fffd}");
        assert_eq!(escape("plain €😀"), "plain €😀");
        // U+FFFE/U+FFFF start with byte 0xEF, like other characters that need nothing.
        assert_eq!(escape("\u{fffd}\u{ffff}"), "\u{fffd}\u{fffd}");
        assert!(is_xml_text("tab\t nl\n cr\r €😀\u{fffd}"));
        for bad in ["\u{0}", "\u{1f}", "\u{fffe}", "\u{ffff}", "a\u{b}"] {
            assert!(!is_xml_text(bad), "{bad:?}");
        }
    }
}
