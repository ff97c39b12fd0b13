//! Response documents of the 2007-05-01 API.
//!
//! A success is `<{Action}Response xmlns="…/doc/2007-05-01/">` holding the action's elements
//! and then `<ResponseStatus><StatusCode>Success</StatusCode><RequestId>…</RequestId>
//! </ResponseStatus>`; a failure is `<Response><Errors><Error><Code/><Message/></Error>
//! </Errors><RequestID/></Response>` whatever the action (note the two spellings of the
//! request-id element, both as AWS sent them). Written by hand: the shapes are tiny and fixed,
//! and the exact bytes are what the golden tests pin.

use super::error::RestError;

/// Namespace of the 2007-05-01 schema; namespace-aware clients (JAXB-generated ones such as
/// typica) bind the response elements by it.
pub const NAMESPACE: &str = "http://queue.amazonaws.com/doc/2007-05-01/";

pub use polyq_http::xml::escape;

/// A success document builder: `inner` elements in order, then the status block.
pub struct Doc {
    root: &'static str,
    inner: String,
}

impl Doc {
    pub fn new(root: &'static str) -> Self {
        Doc {
            root,
            inner: String::new(),
        }
    }

    /// Appends `<name>text</name>` (text escaped).
    pub fn leaf(&mut self, name: &str, text: &str) -> &mut Self {
        self.inner
            .push_str(&format!("<{name}>{}</{name}>", escape(text)));
        self
    }

    /// Appends a `<Message>` with its id and body.
    pub fn message(&mut self, id: &str, body: &str) -> &mut Self {
        self.inner.push_str(&format!(
            "<Message><MessageId>{}</MessageId><MessageBody>{}</MessageBody></Message>",
            escape(id),
            escape(body)
        ));
        self
    }

    /// Appends an `<AttributedValue>` (GetQueueAttributes).
    pub fn attribute(&mut self, name: &str, value: &str) -> &mut Self {
        self.inner.push_str(&format!(
            "<AttributedValue><Attribute>{}</Attribute><Value>{}</Value></AttributedValue>",
            escape(name),
            escape(value)
        ));
        self
    }

    pub fn finish(&self, request_id: &str) -> String {
        format!(
            "<{root} xmlns=\"{NAMESPACE}\">{inner}<ResponseStatus><StatusCode>Success</StatusCode><RequestId>{rid}</RequestId></ResponseStatus></{root}>",
            root = self.root,
            inner = self.inner,
            rid = escape(request_id),
        )
    }
}

/// The error document (no namespace, as the API sent it).
pub fn error(e: &RestError, request_id: &str) -> String {
    format!(
        "<Response><Errors><Error><Code>{}</Code><Message>{}</Message></Error></Errors><RequestID>{}</RequestID></Response>",
        e.code.as_str(),
        escape(&e.message),
        escape(request_id)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rest2007::error::Code2007;

    #[test]
    fn documents_have_the_2007_shape() {
        let mut d = Doc::new("SendMessageResponse");
        d.leaf("MessageId", "a&b");
        assert_eq!(
            d.finish("r1"),
            "<SendMessageResponse xmlns=\"http://queue.amazonaws.com/doc/2007-05-01/\"><MessageId>a&amp;b</MessageId><ResponseStatus><StatusCode>Success</StatusCode><RequestId>r1</RequestId></ResponseStatus></SendMessageResponse>"
        );
        let e = RestError::new(Code2007::InvalidURI, "bad <uri>");
        assert_eq!(
            error(&e, "r2"),
            "<Response><Errors><Error><Code>InvalidURI</Code><Message>bad &lt;uri&gt;</Message></Error></Errors><RequestID>r2</RequestID></Response>"
        );
        assert_eq!(escape("a\r\n'\""), "a&#xD;\n'&quot;");
    }
}
