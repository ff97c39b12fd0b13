//! Just enough XML for the bench: the responses it reads are flat documents whose values it
//! picks by tag name, so a scanner that finds `<Tag>text</Tag>` (optionally inside repeated
//! `<Block>` elements) is faster and simpler than a parser. Entities are decoded.

/// The text of every `<tag>…</tag>` in `doc`, in order, with entities decoded.
pub fn all(doc: &str, tag: &str) -> Vec<String> {
    blocks(doc, tag).into_iter().map(unescape).collect()
}

/// The text of the first `<tag>…</tag>` in `doc`.
pub fn first(doc: &str, tag: &str) -> Option<String> {
    next_block(doc, tag).map(|(inner, _)| unescape(inner))
}

/// The decoded text of the first element of each of `tags`, which usually appear in this
/// order: each is looked for after the previous one (one pass over the document), and from the
/// start when it is not found there.
pub fn in_order<const N: usize>(doc: &str, tags: [&str; N]) -> [Option<String>; N] {
    let mut rest = doc;
    tags.map(|tag| {
        let found = next_block(rest, tag).or_else(|| next_block(doc, tag));
        found.map(|(inner, after)| {
            rest = after;
            unescape(inner)
        })
    })
}

/// The raw inner text of every `<tag>` or `<tag attr…>` element (not decoded; elements of the
/// same name must not nest, which holds for every document the bench reads).
pub fn blocks<'a>(doc: &'a str, tag: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let mut rest = doc;
    while let Some((inner, after)) = next_block(rest, tag) {
        out.push(inner);
        rest = after;
    }
    out
}

/// The first `<tag>` element of `doc`: its raw inner text and what follows it. Scans for `<`
/// and compares in place: the bench reads tens of thousands of answers a second, and building
/// `<tag` / `</tag>` patterns for `str::find` showed up in its profile.
fn next_block<'a>(doc: &'a str, tag: &str) -> Option<(&'a str, &'a str)> {
    let mut rest = doc;
    loop {
        let after = &rest[rest.find('<')? + 1..];
        rest = after;
        let Some(after) = after.strip_prefix(tag) else {
            continue;
        };
        // `<Tag>` or `<Tag attr="…">`, not `<TagLonger>`; `<Tag/>` is an empty element.
        let gt = after.find('>')?;
        let head = &after[..gt];
        if !(head.is_empty() || head.starts_with(char::is_whitespace) || head == "/") {
            continue;
        }
        let inner = &after[gt + 1..];
        if head.ends_with('/') {
            return Some(("", inner));
        }
        let end = find_close(inner, tag)?;
        return Some((&inner[..end], &inner[end + tag.len() + 3..]));
    }
}

/// Byte offset of the first `</tag>` in `text`.
fn find_close(text: &str, tag: &str) -> Option<usize> {
    let mut from = 0;
    loop {
        let at = from + text[from..].find('<')?;
        let rest = &text[at + 1..];
        if rest
            .strip_prefix('/')
            .and_then(|r| r.strip_prefix(tag))
            .is_some_and(|r| r.starts_with('>'))
        {
            return Some(at);
        }
        from = at + 1;
    }
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
    escape_into(&mut out, s);
    out
}

/// Appends `s` escaped for an element's content (copied whole when nothing needs escaping,
/// which is every body the bench generates).
pub fn escape_into(out: &mut String, s: &str) {
    if !s
        .bytes()
        .any(|b| matches!(b, b'<' | b'>' | b'&' | b'"' | b'\''))
    {
        out.push_str(s);
        return;
    }
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
    fn scanning_matches_whole_tags_only() {
        let doc = "<A>x</AB></A><AB>y</AB><A/><A k=\"v\">z</A><A>open";
        assert_eq!(blocks(doc, "A"), vec!["x</AB>", "", "z"]);
        assert_eq!(blocks(doc, "AB"), vec!["y"]);
        assert_eq!(first("<<A>>q</A>", "A").as_deref(), Some(">q"));
        assert_eq!(first("no tags", "A"), None);
        assert_eq!(find_close("a</B><</A>", "A"), Some(6));
    }

    #[test]
    fn fields_in_order_or_not() {
        let doc = "<M><Id>1</Id><R>a&amp;b</R><T>t</T></M>";
        assert_eq!(
            in_order(doc, ["Id", "R", "T"]),
            [Some("1".into()), Some("a&b".into()), Some("t".into())]
        );
        assert_eq!(
            in_order(doc, ["T", "Id", "X"]),
            [Some("t".into()), Some("1".into()), None]
        );
    }

    #[test]
    fn escape_round_trips() {
        let s = "a<b>&\"c'";
        assert_eq!(unescape(&escape(s)), s);
        let mut out = String::from(">");
        escape_into(&mut out, "plain");
        assert_eq!(out, ">plain");
        assert_eq!(unescape("x&unknown;y&#x41;"), "x&unknown;yA");
    }
}
