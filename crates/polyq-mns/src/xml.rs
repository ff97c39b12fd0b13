//! Namespace-agnostic XML reading into a small element tree, and escaping for the writers.
//!
//! Request documents are tiny (a queue's attributes, ≤16 messages of ≤64 KB), so a tree is the
//! simplest faithful reading. Names are taken without prefix and namespaces are ignored: Go
//! sends no xmlns, Java the URI without slash, Python and PHP the one with it.

use quick_xml::events::Event;
use quick_xml::Reader;

use crate::error::{MnsError, MnsResult};

/// One element: local name, its text (concatenated, entities resolved) and child elements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Element {
    pub name: String,
    pub text: String,
    pub children: Vec<Element>,
}

impl Element {
    /// First child of that name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.children.iter().find(|c| c.name == name)
    }

    /// Text of the first child of that name.
    pub fn child_text(&self, name: &str) -> Option<&str> {
        self.child(name).map(|c| c.text.as_str())
    }

    pub fn children_named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.children.iter().filter(move |c| c.name == name)
    }
}

fn local_name(name: &str) -> String {
    match name.rsplit_once(':') {
        Some((_, local)) => local.to_string(),
        None => name.to_string(),
    }
}

fn predefined_entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => return None,
    })
}

/// Parses a whole document into its root element; anything not well-formed is MalformedXML,
/// and so are elements nested deeper than [`polyq_http::xml::MAX_DEPTH`] and characters XML
/// 1.0 cannot carry (raw or as references: a message body holding one could never be read
/// back by an XML client).
pub fn parse(body: &[u8]) -> MnsResult<Element> {
    let text = std::str::from_utf8(body).map_err(|_| MnsError::malformed_xml())?;
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    loop {
        let event = reader.read_event().map_err(|_| MnsError::malformed_xml())?;
        match event {
            Event::Start(e) => {
                if root.is_some() || stack.len() >= polyq_http::xml::MAX_DEPTH {
                    return Err(MnsError::malformed_xml());
                }
                stack.push(Element {
                    name: local_name(e.name().as_ref()),
                    ..Element::default()
                });
            }
            Event::Empty(e) => {
                let el = Element {
                    name: local_name(e.name().as_ref()),
                    ..Element::default()
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(el),
                    None if root.is_none() => root = Some(el),
                    None => return Err(MnsError::malformed_xml()),
                }
            }
            Event::End(_) => {
                let done = stack.pop().ok_or_else(MnsError::malformed_xml)?;
                match stack.last_mut() {
                    Some(parent) => parent.children.push(done),
                    None => root = Some(done),
                }
            }
            Event::Text(t) => append_text(&mut stack, &t.xml10_content())?,
            Event::CData(c) => {
                append_text(&mut stack, &c.into_inner())?;
            }
            Event::GeneralRef(r) => {
                let ch = match r.resolve_char_ref() {
                    Ok(Some(ch)) => ch,
                    Ok(None) => predefined_entity(&r).ok_or_else(MnsError::malformed_xml)?,
                    Err(_) => return Err(MnsError::malformed_xml()),
                };
                append_text(&mut stack, ch.encode_utf8(&mut [0u8; 4]))?;
            }
            Event::Eof => break,
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) | Event::DocType(_) => {}
        }
    }
    if !stack.is_empty() {
        return Err(MnsError::malformed_xml());
    }
    root.ok_or_else(MnsError::malformed_xml)
}

fn append_text(stack: &mut [Element], text: &str) -> MnsResult<()> {
    if !polyq_http::xml::is_xml_text(text) {
        return Err(MnsError::malformed_xml());
    }
    match stack.last_mut() {
        Some(el) => {
            el.text.push_str(text);
            Ok(())
        }
        // Whitespace around the root is fine; anything else is not XML.
        None if text.trim().is_empty() => Ok(()),
        None => Err(MnsError::malformed_xml()),
    }
}

pub use polyq_http::xml::escape;

/// Builds a response document: `<?xml …?>` then the root in the form's namespace.
pub struct Writer {
    out: String,
}

impl Writer {
    pub fn new(root: &str, namespace: &str) -> Self {
        Writer {
            out: format!(
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<{root} xmlns=\"{namespace}\">"
            ),
        }
    }

    pub fn open(&mut self, name: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn close(&mut self, name: &str) -> &mut Self {
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push('>');
        self
    }

    pub fn field(&mut self, name: &str, value: impl std::fmt::Display) -> &mut Self {
        let value = escape(&value.to_string());
        self.open(name);
        self.out.push_str(&value);
        self.close(name)
    }

    pub fn finish(mut self, root: &str) -> String {
        self.close(root);
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_any_namespace_and_entities() {
        let doc = br#"<?xml version="1.0" encoding="UTF-8"?>
<m:Messages xmlns:m="http://mns.aliyuncs.com/doc/v1/">
  <m:Message><m:MessageBody>a &lt;b&gt; &amp; &#x4e2d;<![CDATA[<raw>]]></m:MessageBody><Priority>1</Priority></m:Message>
  <Message><MessageBody/></Message>
</m:Messages>"#;
        let root = parse(doc).unwrap();
        assert_eq!(root.name, "Messages");
        let msgs: Vec<_> = root.children_named("Message").collect();
        assert_eq!(msgs.len(), 2);
        assert_eq!(
            msgs[0].child_text("MessageBody"),
            Some("a <b> & \u{4e2d}<raw>")
        );
        assert_eq!(msgs[0].child_text("Priority"), Some("1"));
        assert_eq!(msgs[1].child_text("MessageBody"), Some(""));
    }

    /// Depth is bounded: a body nested 40,000 levels deep overflowed a worker's stack when its
    /// tree was dropped, which aborts the whole server.
    #[test]
    fn deep_nesting_is_malformed_not_a_crash() {
        let nest = |depth: usize| format!("{}{}", "<a>".repeat(depth), "</a>".repeat(depth));
        assert!(parse(nest(polyq_http::xml::MAX_DEPTH).as_bytes()).is_ok());
        for depth in [polyq_http::xml::MAX_DEPTH + 1, 40_000] {
            assert_eq!(
                parse(nest(depth).as_bytes()).unwrap_err().code,
                "MalformedXML"
            );
        }
    }

    #[test]
    fn rejects_what_is_not_xml() {
        for bad in [
            &b""[..],
            b"<a>",
            b"<a></b>",
            b"text",
            b"<a/><b/>",
            b"<a>&bogus;</a>",
            b"\xff<a/>",
            // Characters XML 1.0 cannot carry, raw, as references, in CDATA.
            b"<a>x\x01y</a>",
            b"<a>&#1;</a>",
            b"<a>&#x0;</a>",
            b"<a><![CDATA[\x02]]></a>",
            "<a>\u{fffe}</a>".as_bytes(),
        ] {
            assert_eq!(
                parse(bad).unwrap_err().code,
                "MalformedXML",
                "{:?}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn writer_escapes() {
        let mut w = Writer::new("Message", "ns");
        w.field("MessageBody", "<&>");
        assert_eq!(
            w.finish("Message"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Message xmlns=\"ns\"><MessageBody>&lt;&amp;&gt;</MessageBody></Message>"
        );
    }
}
