//! Just enough XML for the bench: the responses it reads are flat documents whose values it
//! picks by tag name, so a scanner that finds `<Tag>text</Tag>` (optionally inside repeated
//! `<Block>` elements) is faster and simpler than a parser. Entities are decoded.

/// The text of every `<tag>…</tag>` in `doc`, in order, with entities decoded.
pub fn all(doc: &str, tag: &str) -> Vec<String> {
    blocks(doc, tag).into_iter().map(unescape).collect()
}

/// The text of the first `<tag>…</tag>` in `doc`.
pub fn first(doc: &str, tag: &str) -> Option<String> {
    blocks(doc, tag).into_iter().next().map(unescape)
}

/// The raw inner text of every `<tag>` or `<tag attr…>` element (not decoded; elements of the
/// same name must not nest, which holds for every document the bench reads).
pub fn blocks<'a>(doc: &'a str, tag: &str) -> Vec<&'a str> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some(start) = rest.find(&open) {
        let after = &rest[start + open.len()..];
        // `<Tag>` or `<Tag attr="…">`, not `<TagLonger>`; `<Tag/>` is an empty element.
        let Some(gt) = after.find('>') else { break };
        let head = &after[..gt];
        if !(head.is_empty() || head.starts_with(char::is_whitespace) || head == "/") {
            rest = after;
            continue;
        }
        if head.ends_with('/') {
            out.push("");
            rest = &after[gt + 1..];
            continue;
        }
        let inner = &after[gt + 1..];
        let Some(end) = inner.find(&close) else { break };
        out.push(&inner[..end]);
        rest = &inner[end + close.len()..];
    }
    out
}

/// Decodes the five predefined entities and numeric character references.
pub fn unescape(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(amp) = rest.find('&') {
        out.push_str(&rest[..amp]);
        let tail = &rest[amp..];
        let Some(semi) = tail.find(';') else {
            out.push_str(tail);
            return out;
        };
        let entity = &tail[1..semi];
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ => entity
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| entity.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match decoded {
            Some(c) => out.push(c),
            None => out.push_str(&tail[..=semi]),
        }
        rest = &tail[semi + 1..];
    }
    out.push_str(rest);
    out
}

/// Escapes text for an element's content.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_blocks_and_values() {
        let doc = r#"<?xml version="1.0"?><Messages xmlns="x"><Message><MessageId>1</MessageId>
<ReceiptHandle>a&amp;b</ReceiptHandle></Message><Message><MessageId>2</MessageId>
<ReceiptHandle>c&#43;d</ReceiptHandle><MessageBody/></Message></Messages>"#;
        let msgs = blocks(doc, "Message");
        assert_eq!(msgs.len(), 2);
        assert_eq!(first(msgs[0], "ReceiptHandle").as_deref(), Some("a&b"));
        assert_eq!(first(msgs[1], "ReceiptHandle").as_deref(), Some("c+d"));
        assert_eq!(first(msgs[1], "MessageBody").as_deref(), Some(""));
        assert_eq!(all(doc, "MessageId"), vec!["1", "2"]);
        assert_eq!(first(doc, "Nope"), None);
    }

    #[test]
    fn escape_round_trips() {
        let s = "a<b>&\"c'";
        assert_eq!(unescape(&escape(s)), s);
        assert_eq!(unescape("x&unknown;y&#x41;"), "x&unknown;yA");
    }
}
