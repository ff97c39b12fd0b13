//! SQS query protocol codec.
//!
//! The SQS operation handlers speak the AWS JSON 1.0 protocol shapes
//! (`serde_json::Value` request and response bodies). This module translates
//! the legacy AWS query protocol (form-encoded parameters in, XML out) to and
//! from those shapes, so handlers never know which protocol a client used:
//!
//! * [`parse_params`] decodes the URL query string and form body;
//! * [`input_to_json`] turns the decoded parameters of an action into the
//!   JSON-protocol input object;
//! * [`output_to_xml`] renders a JSON-protocol output object as the query
//!   protocol's `<{Action}Response>` document;
//! * [`error_to_xml`] renders an `<ErrorResponse>` document.
//!
//! The per-operation shape knowledge (member names of both protocols, types,
//! list item and map entry names) lives in the private `shapes` tables.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde_json::{Map, Value};

mod json_out;
mod shapes;

pub use json_out::{error_to_json, output_to_json};

use shapes::{Field, Ty};

/// XML namespace of every SQS query-protocol response.
pub const XML_NAMESPACE: &str = "http://queue.amazonaws.com/doc/2012-11-05/";

/// A query-protocol input problem; the caller renders it as an SQS error
/// (all of these are sender faults, HTTP 400).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryInputError {
    /// `"MalformedQueryString"`, `"InvalidParameterValue"`,
    /// `"MissingParameter"` or `"InvalidAction"`.
    pub code: &'static str,
    pub message: String,
}

impl std::fmt::Display for QueryInputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for QueryInputError {}

/// Whether `action` is one of the 23 SQS operations (exact, case-sensitive).
pub fn is_known_action(action: &str) -> bool {
    shapes::op(action).is_some()
}

/// Whether the operation `action` has an output shape, i.e. whether its
/// response document carries a `<{Action}Result>` element.
pub fn has_result_element(action: &str) -> bool {
    shapes::op(action).is_some_and(|op| op.output.is_some())
}

/// Whether the input of `action` has a `QueueUrl` member. Query-protocol
/// clients may address the queue by the request URL instead of a `QueueUrl`
/// parameter (`POST /123456789012/MyQueue` with `Action=SendMessage`, as in
/// the SQS API reference examples); the caller can then fill `QueueUrl` in
/// from the request URL when [`input_to_json`] did not find one.
pub fn has_queue_url_member(action: &str) -> bool {
    shapes::op(action).is_some_and(|op| op.input.iter().any(|f| f.json == "QueueUrl"))
}

// ---------------------------------------------------------------------------
// Parameter decoding
// ---------------------------------------------------------------------------

/// Parses the parameters of a query request: the URL query string (without
/// or with its leading `?`) plus, when `body` is given, the form-encoded body.
/// The caller passes `body` only for a POST whose Content-Type is
/// `application/x-www-form-urlencoded`.
///
/// Both are decoded as `application/x-www-form-urlencoded` (`+` is a space,
/// `%XX` a byte; a `%` not followed by two hex digits stays literal; a pair
/// without `=` has an empty value; empty pairs are skipped). Parameters are
/// returned in order, query string first. A name or value whose decoded bytes
/// are not UTF-8 gives `MalformedQueryString`.
pub fn parse_params(
    query: &str,
    body: Option<&[u8]>,
) -> Result<Vec<(String, String)>, QueryInputError> {
    let mut out = Vec::new();
    decode_form(
        query.strip_prefix('?').unwrap_or(query).as_bytes(),
        &mut out,
    )?;
    if let Some(body) = body {
        decode_form(body, &mut out)?;
    }
    Ok(out)
}

fn decode_form(input: &[u8], out: &mut Vec<(String, String)>) -> Result<(), QueryInputError> {
    for pair in input.split(|&b| b == b'&') {
        if pair.is_empty() {
            continue;
        }
        let (name, value) = match pair.iter().position(|&b| b == b'=') {
            Some(i) => (&pair[..i], &pair[i + 1..]),
            None => (pair, &pair[pair.len()..]),
        };
        let name = decode_component(name)?;
        let value = decode_component(value).map_err(|_| QueryInputError {
            code: "MalformedQueryString",
            message: format!("The value of the parameter {name} is not valid UTF-8."),
        })?;
        out.push((name, value));
    }
    Ok(())
}

fn decode_component(raw: &[u8]) -> Result<String, QueryInputError> {
    let plus_free: Vec<u8> = raw
        .iter()
        .map(|&b| if b == b'+' { b' ' } else { b })
        .collect();
    let bytes: Vec<u8> = percent_encoding::percent_decode(&plus_free).collect();
    String::from_utf8(bytes).map_err(|_| QueryInputError {
        code: "MalformedQueryString",
        message: "A parameter name is not valid UTF-8.".to_string(),
    })
}

// ---------------------------------------------------------------------------
// Input: query parameters -> JSON-protocol input
// ---------------------------------------------------------------------------

/// Parameter names split on `.` into a tree: `Attribute.1.Name=x` is the
/// value `x` of node `Attribute` / `1` / `Name`.
#[derive(Default)]
struct Node<'a> {
    value: Option<&'a str>,
    children: BTreeMap<&'a str, Node<'a>>,
}

impl<'a> Node<'a> {
    fn build(params: &'a [(String, String)]) -> Self {
        let mut root = Node::default();
        for (name, value) in params {
            let mut node = &mut root;
            for part in name.split('.') {
                node = node.children.entry(part).or_default();
            }
            // A repeated parameter: the last occurrence wins.
            node.value = Some(value.as_str());
        }
        root
    }

    fn child(&self, name: &str) -> Option<&Node<'a>> {
        self.children.get(name)
    }

    /// Children whose names are decimal indexes, ordered by number (not
    /// lexically: `.10` comes after `.9`); gaps are allowed.
    fn indexed(&self) -> Vec<(&'a str, &Node<'a>)> {
        let mut items: Vec<(u64, &'a str, &Node<'a>)> = self
            .children
            .iter()
            .filter_map(|(&k, v)| index_of(k).map(|n| (n, k, v)))
            .collect();
        items.sort_by_key(|&(n, _, _)| n);
        items.into_iter().map(|(_, k, v)| (k, v)).collect()
    }
}

fn index_of(segment: &str) -> Option<u64> {
    if segment.is_empty() || segment.len() > 18 || !segment.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    segment.parse().ok()
}

/// Converts decoded form/query parameters (in request order; names like
/// `"Attribute.1.Name"`) of `action` into the JSON-protocol input object.
///
/// * Scalars typed integer/long in the model become JSON numbers (anything
///   else gives `InvalidParameterValue` naming the parameter and value);
///   booleans become JSON booleans; blobs (e.g. `BinaryValue`) stay the base64
///   string exactly as given.
/// * Flattened lists (`AttributeName.N`, `SendMessageBatchRequestEntry.N.*`,
///   ...) are ordered by their numeric index; indexes may have gaps. A bare
///   `AttributeName=All` (no index) counts as an item before the indexed ones;
///   `AttributeNames=` (empty, what botocore sends for an empty list) gives an
///   empty list. The JSON member name is also accepted as the item prefix
///   (`MessageSystemAttributeNames.1` as well as `MessageSystemAttributeName.1`).
/// * Flattened maps (`Attribute.N.Name`/`.Value`, `Tag.N.Key`/`.Value`,
///   `MessageAttribute.N.Name`/`.Value.*`) become JSON objects; an entry
///   without its key, or a string-valued entry without its value, gives
///   `MissingParameter`.
/// * Parameters that are not members (Action, Version, AWSAccessKeyId,
///   Signature*, Timestamp, Expires, X-Amz-*, anything unknown) are ignored,
///   as AWS ignores them. A repeated parameter: the last one wins.
///
/// An unknown action gives `InvalidAction`.
pub fn input_to_json(action: &str, params: &[(String, String)]) -> Result<Value, QueryInputError> {
    let op = shapes::op(action).ok_or_else(|| QueryInputError {
        code: "InvalidAction",
        message: format!("The action {action} is not valid for this endpoint."),
    })?;
    let root = Node::build(params);
    Ok(Value::Object(struct_in(op.input, &root, "")?))
}

fn join(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}.{name}")
    }
}

fn struct_in(
    fields: &[Field],
    node: &Node<'_>,
    prefix: &str,
) -> Result<Map<String, Value>, QueryInputError> {
    let mut out = Map::new();
    for field in fields {
        let value = match field.ty {
            Ty::List(item) => list_in(field, item, node, prefix)?,
            Ty::Map { key, value, ty } => match node.child(field.xml) {
                Some(child) => Some(map_in(child, key, value, ty, &join(prefix, field.xml))?),
                None => None,
            },
            ty => match node.child(field.xml) {
                Some(child) => value_in(ty, child, &join(prefix, field.xml))?,
                None => None,
            },
        };
        if let Some(value) = value {
            out.insert(field.json.to_string(), value);
        }
    }
    Ok(out)
}

/// Converts one node of type `ty`; `None` when there is nothing to convert
/// (a scalar node that only has sub-parameters).
fn value_in(ty: &Ty, node: &Node<'_>, name: &str) -> Result<Option<Value>, QueryInputError> {
    match ty {
        Ty::Struct(fields) => Ok(Some(Value::Object(struct_in(fields, node, name)?))),
        // Lists and maps only occur as struct fields, handled by the caller.
        Ty::List(_) | Ty::Map { .. } => Ok(None),
        scalar => node
            .value
            .map(|raw| scalar_in(scalar, raw, name))
            .transpose(),
    }
}

fn scalar_in(ty: &Ty, raw: &str, name: &str) -> Result<Value, QueryInputError> {
    let invalid = |reason: &str| QueryInputError {
        code: "InvalidParameterValue",
        message: format!("Value {raw} for parameter {name} is invalid. Reason: {reason}"),
    };
    match ty {
        Ty::Int => raw
            .parse::<i32>()
            .map(Value::from)
            .map_err(|_| invalid("Must be an integer.")),
        Ty::Long => raw
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| invalid("Must be an integer.")),
        Ty::Bool => {
            if raw.eq_ignore_ascii_case("true") {
                Ok(Value::Bool(true))
            } else if raw.eq_ignore_ascii_case("false") {
                Ok(Value::Bool(false))
            } else {
                Err(invalid("Must be a boolean."))
            }
        }
        _ => Ok(Value::String(raw.to_string())),
    }
}

fn list_in(
    field: &Field,
    item: &Ty,
    node: &Node<'_>,
    prefix: &str,
) -> Result<Option<Value>, QueryInputError> {
    let mut present = false;
    let mut items: Vec<(u64, String, &Node<'_>)> = Vec::new();
    let mut bare: Vec<(String, &Node<'_>)> = Vec::new();
    // The item name of the old model (`AttributeName.N`) and the member name
    // (`AttributeNames.N`, what a serializer without the locationName emits).
    let names: &[&str] = if field.xml == field.json {
        &[field.xml]
    } else {
        &[field.xml, field.json]
    };
    for &name in names {
        let Some(list) = node.child(name) else {
            continue;
        };
        present = true;
        let list_name = join(prefix, name);
        match list.value {
            // `AttributeNames=` is botocore's encoding of an empty list.
            Some("") | None => {}
            Some(_) => bare.push((list_name.clone(), list)),
        }
        for (index, child) in list.indexed() {
            let n = index_of(index).unwrap_or_default();
            items.push((n, join(&list_name, index), child));
        }
    }
    if !present {
        return Ok(None);
    }
    items.sort_by_key(|(n, _, _)| *n);
    let mut out = Vec::with_capacity(bare.len() + items.len());
    let bare_scalars = bare.into_iter().filter(|_| !matches!(item, Ty::Struct(_)));
    for (name, child) in bare_scalars.chain(items.into_iter().map(|(_, name, child)| (name, child)))
    {
        if let Some(value) = value_in(item, child, &name)? {
            out.push(value);
        }
    }
    Ok(Some(Value::Array(out)))
}

fn map_in(
    node: &Node<'_>,
    key_name: &str,
    value_name: &str,
    ty: &Ty,
    prefix: &str,
) -> Result<Value, QueryInputError> {
    let missing = |name: String| QueryInputError {
        code: "MissingParameter",
        message: format!("The request must contain the parameter {name}."),
    };
    let mut out = Map::new();
    for (index, entry) in node.indexed() {
        let entry_name = join(prefix, index);
        let key = entry
            .child(key_name)
            .and_then(|k| k.value)
            .ok_or_else(|| missing(join(&entry_name, key_name)))?;
        let value_param = join(&entry_name, value_name);
        let value = match (ty, entry.child(value_name)) {
            // A structured value (message attributes) with no members at all:
            // an empty object, which the handler rejects like the JSON
            // protocol's `{}`.
            (Ty::Struct(_), None) => Value::Object(Map::new()),
            (_, None) => return Err(missing(value_param)),
            (ty, Some(child)) => {
                value_in(ty, child, &value_param)?.ok_or_else(|| missing(value_param.clone()))?
            }
        };
        out.insert(key.to_string(), value);
    }
    Ok(Value::Object(out))
}

// ---------------------------------------------------------------------------
// Output: JSON-protocol output -> XML
// ---------------------------------------------------------------------------

/// Renders the JSON-protocol output object of `action` as the query-protocol
/// XML response document:
///
/// `<{Action}Response xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><{Action}Result>...</{Action}Result><ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{Action}Response>`
///
/// Operations with no output shape (DeleteMessage, ...) have no Result
/// element, exactly as SQS does; operations with one always have it (empty as
/// `<{Action}Result/>`). Lists and maps are flattened as in the query model
/// (`<Message>`*, `<Attribute><Name/><Value/></Attribute>`*,
/// `<MessageAttribute><Name/><Value><StringValue/>...<DataType/></Value></MessageAttribute>`*,
/// ...). Members that are absent or null in the JSON are omitted, as are
/// members the model does not know. All text is XML-escaped (`\r` as
/// `&#xD;`, so that it survives XML parsing). An unknown action is rendered
/// without a Result element (and with any non-alphanumeric characters of its
/// name dropped).
pub fn output_to_xml(action: &str, output: &Value, request_id: &str) -> String {
    let op = shapes::op(action);
    // Known actions are plain names; keep anything else from breaking the XML.
    let action: String = action.chars().filter(char::is_ascii_alphanumeric).collect();
    let mut xml = String::with_capacity(256);
    let _ = write!(xml, "<{action}Response xmlns=\"{XML_NAMESPACE}\">");
    if let Some(fields) = op.and_then(|op| op.output) {
        let mut result = String::new();
        if let Some(obj) = output.as_object() {
            struct_out(&mut result, fields, obj);
        }
        if result.is_empty() {
            let _ = write!(xml, "<{action}Result/>");
        } else {
            let _ = write!(xml, "<{action}Result>{result}</{action}Result>");
        }
    }
    xml.push_str("<ResponseMetadata><RequestId>");
    escape_into(&mut xml, request_id);
    let _ = write!(xml, "</RequestId></ResponseMetadata></{action}Response>");
    xml
}

fn struct_out(xml: &mut String, fields: &[Field], obj: &Map<String, Value>) {
    for field in fields {
        let Some(value) = obj.get(field.json) else {
            continue;
        };
        match field.ty {
            Ty::List(item) => {
                for element in value.as_array().into_iter().flatten() {
                    element_out(xml, field.xml, item, element);
                }
            }
            Ty::Map {
                key,
                value: value_name,
                ty,
            } => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    if v.is_null() {
                        continue;
                    }
                    let _ = write!(xml, "<{}><{key}>", field.xml);
                    escape_into(xml, k);
                    let _ = write!(xml, "</{key}>");
                    element_out(xml, value_name, ty, v);
                    let _ = write!(xml, "</{}>", field.xml);
                }
            }
            ty => element_out(xml, field.xml, ty, value),
        }
    }
}

/// Writes `<name>value</name>`; nothing for null or a value of the wrong kind.
fn element_out(xml: &mut String, name: &str, ty: &Ty, value: &Value) {
    match (ty, value) {
        (_, Value::Null) => {}
        (Ty::Struct(fields), Value::Object(obj)) => {
            let _ = write!(xml, "<{name}>");
            struct_out(xml, fields, obj);
            let _ = write!(xml, "</{name}>");
        }
        (Ty::Struct(_) | Ty::List(_) | Ty::Map { .. }, _) => {}
        (_, Value::String(text)) => text_element(xml, name, text),
        (_, Value::Number(n)) => text_element(xml, name, &n.to_string()),
        (_, Value::Bool(b)) => text_element(xml, name, if *b { "true" } else { "false" }),
        (_, Value::Array(_) | Value::Object(_)) => {}
    }
}

fn text_element(xml: &mut String, name: &str, text: &str) {
    let _ = write!(xml, "<{name}>");
    escape_into(xml, text);
    let _ = write!(xml, "</{name}>");
}

use polyq_http::xml::escape_into;

/// Renders an SQS query-protocol error document:
///
/// `<ErrorResponse xmlns="http://queue.amazonaws.com/doc/2012-11-05/"><Error><Type>Sender|Receiver</Type><Code>..</Code><Message>..</Message><Detail/></Error><RequestId>..</RequestId></ErrorResponse>`
pub fn error_to_xml(sender_fault: bool, code: &str, message: &str, request_id: &str) -> String {
    let mut xml = String::with_capacity(256);
    let _ = write!(
        xml,
        "<ErrorResponse xmlns=\"{XML_NAMESPACE}\"><Error><Type>"
    );
    xml.push_str(if sender_fault { "Sender" } else { "Receiver" });
    xml.push_str("</Type><Code>");
    escape_into(&mut xml, code);
    xml.push_str("</Code><Message>");
    // Error messages echo client input (`Value Invalid-\u{8} for parameter …`): the escape
    // writes what XML cannot carry as U+FFFD, so the SDK still reads the error.
    escape_into(&mut xml, message);
    xml.push_str("</Message><Detail/></Error><RequestId>");
    escape_into(&mut xml, request_id);
    xml.push_str("</RequestId></ErrorResponse>");
    xml
}

#[cfg(test)]
mod tests;
