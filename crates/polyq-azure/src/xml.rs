//! A small XML tree for the request bodies Azure accepts (`QueueMessage`, `SignedIdentifiers`,
//! `StorageServiceProperties`) and escaping for the documents it returns. Bodies are tiny, so a
//! tree is simpler than streaming and keeps unknown elements for verbatim round trips.

use quick_xml::escape::resolve_predefined_entity;
use quick_xml::events::Event;
use quick_xml::Reader;

/// One element: name, its own text, child elements in order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Node {
    pub name: String,
    pub text: String,
    pub children: Vec<Node>,
}

impl Node {
    pub fn child(&self, name: &str) -> Option<&Node> {
        self.children.iter().find(|c| c.name == name)
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Node> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }

    /// Text of a direct child, if present.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    /// Renders the element back (children first; mixed content is not used by Azure bodies).
    pub fn render(&self, out: &mut String) {
        if self.children.is_empty() && self.text.is_empty() {
            out.push_str(&format!("<{} />", self.name));
            return;
        }
        out.push_str(&format!("<{}>", self.name));
        if self.children.is_empty() {
            out.push_str(&escape(&self.text));
        }
        for c in &self.children {
            c.render(out);
        }
        out.push_str(&format!("</{}>", self.name));
    }
}

/// Parses a whole document into its root element; `None` when it is not well-formed XML or not
/// UTF-8 (Azure answers both with `InvalidXmlDocument`), or nests deeper than
/// [`polyq_http::xml::MAX_DEPTH`]. Characters XML cannot carry are the caller's to refuse
/// (Put Message says why in its error).
pub fn parse(body: &[u8]) -> Option<Node> {
    let text = std::str::from_utf8(body).ok()?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Node> = Vec::new();
    let mut root: Option<Node> = None;
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                // Deeper documents are refused: see `MAX_DEPTH`.
                if stack.len() >= polyq_http::xml::MAX_DEPTH {
                    return None;
                }
                let name = e.local_name().as_ref().to_string();
                stack.push(Node {
                    name,
                    ..Node::default()
                });
            }
            Event::Empty(e) => {
                let name = e.local_name().as_ref().to_string();
                let node = Node {
                    name,
                    ..Node::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None if root.is_none() => root = Some(node),
                    None => return None,
                }
            }
            Event::End(_) => {
                let node = stack.pop()?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(node),
                    None if root.is_none() => root = Some(node),
                    None => return None,
                }
            }
            Event::Text(t) => {
                let s = t.xml10_content();
                match stack.last_mut() {
                    Some(n) => n.text.push_str(&s),
                    None if s.trim().is_empty() => {}
                    None => return None,
                }
            }
            Event::CData(c) => stack.last_mut()?.text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => {
                let name = r.xml10_content();
                let resolved = match r.resolve_char_ref().ok()? {
                    Some(ch) => ch.to_string(),
                    None => resolve_predefined_entity(&name)?.to_string(),
                };
                stack.last_mut()?.text.push_str(&resolved);
            }
            Event::Eof => break,
            Event::Decl(_) | Event::Comment(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return None;
    }
    root
}

pub use polyq_http::xml::{escape, escape_into, is_xml_text};

/// The text of a `<QueueMessage><MessageText>…</MessageText></QueueMessage>` document in the
/// plain form SDKs send (no declaration or a standard UTF-8 one; whitespace only between the
/// declaration and the root and after it), when the text needs no decoding (no `<`, `&` or
/// carriage return). `None` means "ask [`parse`]": every document this accepts, [`parse`]
/// reads to the same text, and it spares the hot Put Message path a tree of allocations.
pub fn plain_message_text(body: &[u8]) -> Option<&str> {
    let doc = std::str::from_utf8(body).ok()?;
    let doc = [
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
        "<?xml version='1.0' encoding='utf-8'?>",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>",
    ]
    .iter()
    .find_map(|decl| doc.strip_prefix(decl))
    .unwrap_or(doc);
    let inner = doc
        .trim_ascii()
        .strip_prefix("<QueueMessage><MessageText>")?
        .strip_suffix("</MessageText></QueueMessage>")?;
    (!inner.bytes().any(|b| matches!(b, b'<' | b'&' | b'\r'))).then_some(inner)
}

/// `<name>escaped text</name>`, or `<name />` when the text is empty, as Azure's XML writer
/// renders it (an empty message comes back as `<MessageText />`, recorded in the Java SDK's
/// suite).
/// Where Azure's XML reader stands when it judges the `index`-th `<tag>` element at or after
/// byte `from` of `text`: on the name of the node after its end tag. Line and column (in
/// characters), both from 1, as Azure's `InvalidXmlDocument` reports them in `LineNumber` and
/// `LinePosition`; (0, 0) when there is no such element.
pub fn position_after_end_tag(text: &str, from: usize, tag: &str, index: usize) -> (usize, usize) {
    let end = format!("</{tag}>");
    let Some((at, _)) = text
        .get(from..)
        .and_then(|rest| rest.match_indices(&end).nth(index))
    else {
        return (0, 0);
    };
    let after = from + at + end.len();
    let next = text[after..].find('<').map_or(after, |lt| after + lt);
    let name = if text[next..].starts_with("</") {
        next + 2
    } else {
        next + 1
    };
    let before = &text[..name.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    (line, before[line_start..].chars().count() + 1)
}

pub fn elem(out: &mut String, name: &str, text: &str) {
    out.push('<');
    out.push_str(name);
    if text.is_empty() {
        out.push_str(" />");
        return;
    }
    out.push('>');
    escape_into(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"utf-8\"?>";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_message_with_entities_and_cdata() {
        let doc = b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<QueueMessage>\n  <MessageText>a &lt;b&gt; &amp; &#x41;&#66; <![CDATA[<raw>]]></MessageText>\n</QueueMessage>";
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "QueueMessage");
        assert_eq!(root.child_text("MessageText"), Some("a <b> & AB <raw>"));
    }

    /// Depth is bounded: a document nested 40,000 levels deep overflowed a worker's stack when
    /// its tree was dropped, which aborts the whole server.
    #[test]
    fn deep_nesting_is_refused_not_a_crash() {
        let nest = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert!(parse(nest(polyq_http::xml::MAX_DEPTH).as_bytes()).is_some());
        for depth in [polyq_http::xml::MAX_DEPTH + 1, 40_000] {
            assert!(parse(nest(depth).as_bytes()).is_none(), "{depth}");
        }
    }

    #[test]
    fn rejects_broken_documents() {
        assert!(parse(b"<QueueMessage><MessageText>x</QueueMessage>").is_none());
        assert!(parse(b"<a></a><b></b>").is_none());
        assert!(parse(b"\xff\xfe").is_none());
        assert!(parse(b"").is_none());
        assert!(parse(b"<a>&bogus;</a>").is_none());
    }

    #[test]
    fn plain_message_text_agrees_with_the_parser() {
        let texts = [
            "",
            "hello",
            "a>b\"c'd",
            "tab\tand\nline",
            "€😀",
            "]]>",
            "  spaced  ",
            "\u{1}",
        ];
        let wrappers = [
            ("", ""),
            ("<?xml version=\"1.0\" encoding=\"utf-8\"?>", ""),
            ("<?xml version='1.0' encoding='utf-8'?>\n", "\n"),
            ("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n  ", " \t"),
            ("\n", "\n"),
        ];
        for text in texts {
            for (before, after) in wrappers {
                let doc = format!(
                    "{before}<QueueMessage><MessageText>{text}</MessageText></QueueMessage>{after}"
                );
                let parsed = parse(doc.as_bytes()).unwrap();
                assert_eq!(plain_message_text(doc.as_bytes()), Some(text), "{doc:?}");
                assert_eq!(parsed.child_text("MessageText"), Some(text), "{doc:?}");
            }
        }
        // Anything needing decoding or shaped otherwise is left to the parser.
        for doc in [
            "<QueueMessage><MessageText>a&amp;b</MessageText></QueueMessage>",
            "<QueueMessage><MessageText>a\r\nb</MessageText></QueueMessage>",
            "<QueueMessage><MessageText><![CDATA[x]]></MessageText></QueueMessage>",
            "<QueueMessage>\n<MessageText>x</MessageText></QueueMessage>",
            "<QueueMessage><MessageText>x</MessageText><Extra/></QueueMessage>",
            "<QueueMessage><MessageText>x</QueueMessage>",
            "<?xml version=\"1.0\" encoding=\"utf-16\"?><QueueMessage><MessageText>x</MessageText></QueueMessage>",
            " <?xml version=\"1.0\" encoding=\"utf-8\"?><QueueMessage><MessageText>x</MessageText></QueueMessage>",
        ] {
            assert_eq!(plain_message_text(doc.as_bytes()), None, "{doc:?}");
        }
        assert_eq!(
            plain_message_text(b"<QueueMessage><MessageText>\xff</MessageText></QueueMessage>"),
            None
        );
    }

    #[test]
    fn empty_elements_are_self_closing() {
        let mut out = String::new();
        elem(&mut out, "MessageText", "");
        elem(&mut out, "Id", "a<b");
        assert_eq!(out, "<MessageText /><Id>a&lt;b</Id>");
    }

    #[test]
    fn renders_round_trip() {
        let root = parse(b"<Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><MaxAgeInSeconds/></CorsRule></Cors>").unwrap();
        let mut out = String::new();
        root.render(&mut out);
        assert_eq!(out, "<Cors><CorsRule><AllowedOrigins>*</AllowedOrigins><MaxAgeInSeconds /></CorsRule></Cors>");
        assert_eq!(escape("<a&'\">"), "&lt;a&amp;'&quot;&gt;");
    }
}
