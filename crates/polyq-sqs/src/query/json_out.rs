//! The JSON form of query-protocol answers, for a query request that asks for
//! `Accept: application/json`.
//!
//! AWS renders the same documents as the XML answers, as JSON: `{"<Action>Response":
//! {"<Action>Result": {...}, "ResponseMetadata": {"RequestId": ...}}}`, each member under its
//! model name, a list as an array, a map as an array of `{"<key>": .., "<value>": ..}` entries
//! (`"Attributes": [{"Name": "QueueArn", "Value": "arn:…"}]`, as LocalStack's AWS-validated
//! test_get_queue_attributes_json_format reads it), and a member with no value as `null`
//! (AWS's API Gateway→SQS samples show `"MD5OfMessageAttributes": null`). Errors are
//! `{"Error": {"Type", "Code", "Message"}, "RequestId"}` (test_get_list_queues_fails_json_format).

use serde_json::{json, Map, Value};

use super::shapes::{self, Field, Ty};

/// `output_to_xml`'s document as JSON.
pub fn output_to_json(action: &str, output: &Value, request_id: &str) -> String {
    let mut response = Map::new();
    if let Some(fields) = shapes::op(action).and_then(|op| op.output) {
        let result = match output.as_object() {
            Some(obj) => struct_out(action, fields, obj),
            None => Value::Null,
        };
        response.insert(format!("{action}Result"), result);
    }
    response.insert(
        "ResponseMetadata".into(),
        json!({ "RequestId": request_id }),
    );
    json!({ format!("{action}Response"): response }).to_string()
}

/// `error_to_xml`'s document as JSON.
pub fn error_to_json(sender_fault: bool, code: &str, message: &str, request_id: &str) -> String {
    json!({
        "Error": {
            "Type": if sender_fault { "Sender" } else { "Receiver" },
            "Code": code,
            "Message": message,
        },
        "RequestId": request_id,
    })
    .to_string()
}

fn struct_out(action: &str, fields: &[Field], obj: &Map<String, Value>) -> Value {
    let mut out = Map::new();
    for field in fields {
        let value = obj
            .get(field.json)
            .map_or(Value::Null, |v| value_out(field.ty, v));
        out.insert(member_name(action, field).into(), value);
    }
    Value::Object(out)
}

/// AWS's JSON rendering of ReceiveMessage names its list `messages` (the API Gateway→SQS
/// samples' recorded answers); every other member keeps its model name.
fn member_name(action: &str, field: &Field) -> &'static str {
    if action == "ReceiveMessage" && field.json == "Messages" {
        "messages"
    } else {
        field.json
    }
}

fn value_out(ty: &Ty, value: &Value) -> Value {
    match (ty, value) {
        (_, Value::Null) => Value::Null,
        (Ty::Struct(fields), Value::Object(obj)) => struct_out("", fields, obj),
        (Ty::List(item), Value::Array(items)) => {
            Value::Array(items.iter().map(|v| value_out(item, v)).collect())
        }
        (
            Ty::Map {
                key,
                value: name,
                ty,
            },
            Value::Object(entries),
        ) => Value::Array(
            entries
                .iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| json!({ *key: k, *name: value_out(ty, v) }))
                .collect(),
        ),
        (Ty::Struct(_) | Ty::List(_) | Ty::Map { .. }, _) => Value::Null,
        (_, scalar) => scalar.clone(),
    }
}
