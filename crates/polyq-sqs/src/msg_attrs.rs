//! Message attributes: parsing and validating SQS's typed attributes, rendering them back,
//! and the MD5 digests SDKs check (`MD5OfMessageAttributes`, `MD5OfMessageSystemAttributes`).

use base64::Engine;
use bytes::Bytes;
use md5::{Digest, Md5};
use polyq_core::{AttributeValue, Attributes, MessageAttribute};
use serde_json::{json, Map, Value};

use crate::error::{SqsError, SqsResult};

const B64: base64::engine::GeneralPurpose = base64::engine::general_purpose::STANDARD;
pub const MAX_ATTRIBUTES: usize = 10;

/// Parses a `MessageAttributes` / `MessageSystemAttributes` map.
pub fn parse(map: Option<&Map<String, Value>>, system: bool) -> SqsResult<Attributes> {
    let mut out = Attributes::new();
    let Some(map) = map else { return Ok(out) };
    if !system && map.len() > MAX_ATTRIBUTES {
        return Err(SqsError::invalid_value(format!(
            "Number of message attributes [{}] exceeds the allowed maximum [{MAX_ATTRIBUTES}].",
            map.len()
        )));
    }
    for (name, v) in map {
        if system {
            if name != "AWSTraceHeader" {
                return Err(SqsError::invalid_value(format!(
                    "Message system attribute name '{name}' is invalid."
                )));
            }
        } else {
            validate_name(name)?;
        }
        let v = v.as_object().ok_or_else(|| {
            SqsError::invalid_value(format!(
                "The message attribute '{name}' must be a structure."
            ))
        })?;
        let data_type = v.get("DataType").and_then(Value::as_str).unwrap_or("");
        if data_type.is_empty() {
            return Err(SqsError::invalid_value(format!(
                "The message attribute '{name}' must contain non-empty message attribute type."
            )));
        }
        let base = data_type.split('.').next().unwrap_or("");
        if data_type.len() > 256 || !matches!(base, "String" | "Number" | "Binary") {
            // AWS's wording, as suites run against the live service record it.
            let kind = if system { "system" } else { "user" };
            return Err(SqsError::invalid_value(format!(
                "The type of message ({kind}) attribute '{name}' is invalid. You must use only the following supported type prefixes: Binary, Number, String."
            )));
        }
        if system && data_type != "String" {
            return Err(SqsError::invalid_value(format!(
                "The message system attribute '{name}' must be of type String."
            )));
        }
        let value = if base == "Binary" {
            let text = v.get("BinaryValue").and_then(Value::as_str).unwrap_or("");
            let bytes = B64.decode(text).map_err(|_| {
                SqsError::invalid_value(format!(
                    "The message attribute '{name}' has an invalid base64 binary value."
                ))
            })?;
            if bytes.is_empty() {
                return Err(empty_value(name, base, system));
            }
            AttributeValue::Binary(Bytes::from(bytes))
        } else {
            let text = v.get("StringValue").and_then(Value::as_str).unwrap_or("");
            if text.is_empty() {
                return Err(empty_value(name, base, system));
            }
            if base == "Number" && !is_number(text) {
                return Err(SqsError::invalid_value(format!(
                    "Can't cast the value of message (user) attribute '{name}' to a number."
                )));
            }
            if let Some(bad) = crate::body::first_invalid_char(text) {
                return Err(SqsError::invalid_value(format!(
                    "Invalid binary character '#x{:X}' was found in the value of message attribute '{name}'.",
                    bad as u32
                )));
            }
            AttributeValue::String(text.to_string())
        };
        out.insert(
            name.clone(),
            MessageAttribute {
                data_type: data_type.to_string(),
                value,
            },
        );
    }
    Ok(out)
}

/// AWS's wording for an attribute whose value is missing or empty (recorded AWS answer:
/// "Message (user) attribute 'X' must contain a non-empty value of type 'String'.").
fn empty_value(name: &str, base_type: &str, system: bool) -> SqsError {
    let kind = if system { "system" } else { "user" };
    SqsError::invalid_value(format!(
        "Message ({kind}) attribute '{name}' must contain a non-empty value of type '{base_type}'."
    ))
}

/// SQS's attribute-name rule.
fn validate_name(name: &str) -> SqsResult<()> {
    let lower = name.to_ascii_lowercase();
    let ok = !name.is_empty()
        && name.chars().count() <= 256
        && name
            .chars()
            // Letters and digits of any script: AWS accepts `attr.1øßä` (AWS-validated in
            // LocalStack's suite) while refusing punctuation such as `§`, `!` or `?`.
            .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !name.starts_with('.')
        && !name.ends_with('.')
        && !name.contains("..")
        && !lower.starts_with("aws.")
        && !lower.starts_with("amazon.");
    if ok {
        Ok(())
    } else {
        Err(SqsError::invalid_value(format!(
            "Message attribute name '{name}' is invalid."
        )))
    }
}

/// Numbers as SQS accepts them: optional sign, digits, optional fraction and exponent, with
/// at most 38 significant digits and, unless zero, a magnitude from 10^-128 to 10^+126 (SQS
/// developer guide, message attribute data types). The value itself is kept as sent: the
/// digests the SDKs check are over the text.
fn is_number(s: &str) -> bool {
    s.trim().parse::<f64>().is_ok_and(f64::is_finite) && within_sqs_number_range(s.trim())
}

/// Significant digits and decimal magnitude of a plain decimal number (`[+-]digits[.digits]`
/// with an optional `e[+-]digits`); `None` where the text is not of that form.
fn decimal_shape(s: &str) -> Option<(usize, i64)> {
    let s = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, "0"),
    };
    let exp_digits = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    if exp_digits.is_empty() || !exp_digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Saturated: an exponent beyond any i64 is out of range either way.
    let magnitude: i64 = exp_digits.parse().unwrap_or(i64::MAX / 2);
    let exponent = if exponent.starts_with('-') {
        -magnitude
    } else {
        magnitude
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    let Some(first) = digits.iter().position(|&b| b != b'0') else {
        return Some((0, 0));
    };
    let last = digits.iter().rposition(|&b| b != b'0').unwrap_or(first);
    // The first significant digit stands for 10^(position in the integer part), counted
    // from the decimal point.
    let leading = int.len() as i64 - 1 - first as i64 + exponent;
    Some((last - first + 1, leading))
}

fn within_sqs_number_range(s: &str) -> bool {
    match decimal_shape(s) {
        Some((0, _)) => true,
        Some((precision, leading)) => {
            precision <= 38
                && leading >= -128
                && (leading < 126 || leading == 126 && precision == 1 && first_digit_is_one(s))
        }
        None => false,
    }
}

/// Whether the first significant digit of `s` is a 1 (10^126 itself is in range).
fn first_digit_is_one(s: &str) -> bool {
    s.bytes().find(|b| (b'1'..=b'9').contains(b)) == Some(b'1')
}

/// Bytes an attribute set counts toward the message size (name + type + value).
pub fn size(attrs: &Attributes) -> usize {
    attrs
        .iter()
        .map(|(k, a)| {
            k.len()
                + a.data_type.len()
                + match &a.value {
                    AttributeValue::String(s) => s.len(),
                    AttributeValue::Binary(b) => b.len(),
                }
        })
        .sum()
}

/// The documented digest: for each attribute in name order, length-prefixed (4-byte big
/// endian) name, type, a transport byte (1 string, 2 binary) and the length-prefixed value.
pub fn md5_of(attrs: &Attributes) -> Option<String> {
    if attrs.is_empty() {
        return None;
    }
    fn put(h: &mut Md5, b: &[u8]) {
        h.update((b.len() as u32).to_be_bytes());
        h.update(b);
    }
    let mut h = Md5::new();
    for (name, a) in attrs {
        put(&mut h, name.as_bytes());
        put(&mut h, a.data_type.as_bytes());
        match &a.value {
            AttributeValue::String(s) => {
                h.update([1u8]);
                put(&mut h, s.as_bytes());
            }
            AttributeValue::Binary(b) => {
                h.update([2u8]);
                put(&mut h, b);
            }
        }
    }
    Some(hex::encode(h.finalize()))
}

/// JSON-protocol rendering of an attribute map.
pub fn render(attrs: &Attributes) -> Value {
    let mut out = Map::new();
    for (name, a) in attrs {
        let v = match &a.value {
            AttributeValue::String(s) => json!({"StringValue": s, "DataType": a.data_type}),
            AttributeValue::Binary(b) => {
                json!({"BinaryValue": B64.encode(b), "DataType": a.data_type})
            }
        };
        out.insert(name.clone(), v);
    }
    Value::Object(out)
}

/// The subset named by `MessageAttributeNames`: `All` (in any case: kombu sends `ALL`), `*`,
/// `.*`, exact names, or `prefix.*`. A `prefix.*` is a plain string prefix: AWS answers `Hel.*`
/// with both `Hello` and `Help.Me`.
pub fn select(attrs: &Attributes, wanted: &[&str]) -> Attributes {
    attrs
        .iter()
        .filter(|(name, _)| {
            wanted.iter().any(|w| {
                matches!(*w, "*" | ".*")
                    || w.eq_ignore_ascii_case("All")
                    || *w == name.as_str()
                    || w.strip_suffix(".*").is_some_and(|p| name.starts_with(p))
            })
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(v: Value) -> Attributes {
        parse(v.as_object(), false).unwrap()
    }

    #[test]
    fn digest_matches_known_sdk_values() {
        // Value computed by the AWS SDK for Java's MessageMD5ChecksumHandler algorithm.
        let a = attrs(json!({"attr1": {"DataType": "String", "StringValue": "value1"}}));
        let mut h = Md5::new();
        h.update([0, 0, 0, 5]);
        h.update(b"attr1");
        h.update([0, 0, 0, 6]);
        h.update(b"String");
        h.update([1, 0, 0, 0, 6]);
        h.update(b"value1");
        assert_eq!(md5_of(&a).unwrap(), hex::encode(h.finalize()));
        let b = attrs(json!({"b": {"DataType": "Binary", "BinaryValue": "AAEC"}}));
        let mut h = Md5::new();
        h.update([0, 0, 0, 1]);
        h.update(b"b");
        h.update([0, 0, 0, 6]);
        h.update(b"Binary");
        h.update([2, 0, 0, 0, 3, 0, 1, 2]);
        assert_eq!(md5_of(&b).unwrap(), hex::encode(h.finalize()));
        assert_eq!(md5_of(&Attributes::new()), None);
    }

    #[test]
    fn validation_rejects_bad_attributes() {
        let bad = |v: Value| parse(v.as_object(), false).unwrap_err().code;
        use crate::error::ErrorCode::InvalidParameterValue as I;
        assert_eq!(
            bad(json!({"AWS.x": {"DataType": "String", "StringValue": "v"}})),
            I
        );
        assert_eq!(
            bad(json!({"a..b": {"DataType": "String", "StringValue": "v"}})),
            I
        );
        assert_eq!(
            bad(json!({"a": {"DataType": "Float", "StringValue": "1"}})),
            I
        );
        assert_eq!(
            bad(json!({"a": {"DataType": "Number", "StringValue": "one"}})),
            I
        );
        assert_eq!(
            bad(json!({"a": {"DataType": "String", "StringValue": ""}})),
            I
        );
        assert_eq!(
            bad(json!({"a": {"DataType": "Binary", "BinaryValue": "!!"}})),
            I
        );
        let many: Map<String, Value> = (0..11)
            .map(|i| {
                (
                    format!("a{i}"),
                    json!({"DataType": "String", "StringValue": "v"}),
                )
            })
            .collect();
        assert_eq!(parse(Some(&many), false).unwrap_err().code, I);
        let ok = attrs(json!({"n": {"DataType": "Number.int", "StringValue": "-1.5e3"}}));
        assert_eq!(ok["n"].data_type, "Number.int");
    }

    #[test]
    fn numbers_keep_to_38_digits_and_the_documented_range() {
        let fits = |v: &str| {
            parse(
                json!({"n": {"DataType": "Number", "StringValue": v}}).as_object(),
                false,
            )
            .is_ok()
        };
        let digits38 = "1".repeat(38);
        let digits39 = "1".repeat(39);
        for ok in [
            "0",
            "-0.000",
            "1.5",
            ".5",
            "5.",
            "+7",
            "1e126",
            "1E-128",
            "0.0001e-124",
            "9.99e125",
            "100000000000000000000000000000000000000000000000000",
            digits38.as_str(),
            "00012.3400",
            " 42 ",
        ] {
            assert!(fits(ok), "{ok}");
        }
        for bad in [
            digits39.as_str(),
            "1.00000000000000000000000000000000000001",
            "2e126",
            "1.1e126",
            "1e127",
            "1e-129",
            "0.00001e-124",
            "nan",
            "inf",
        ] {
            assert!(!fits(bad), "{bad}");
        }
        // The value is kept as sent: its zeros are part of what the digest covers.
        let kept = attrs(json!({"n": {"DataType": "Number", "StringValue": "00012.3400"}}));
        assert_eq!(kept["n"].value, AttributeValue::String("00012.3400".into()));
    }

    #[test]
    fn attribute_names_follow_aws_rules() {
        for ok in ["attr.1øßä", "SOME_Valid.attribute-Name", "a"] {
            assert!(validate_name(ok).is_ok(), "{ok}");
        }
        let long = "L".repeat(257);
        for bad in [
            "aWs.x",
            "AMAZON.x",
            ".x",
            "x.",
            "a..b",
            "Invalid-!-attr",
            "Invalid-§-attr",
            "Invalid-(-attr",
            "Invalid-?-attr",
            "",
            long.as_str(),
        ] {
            assert!(validate_name(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn selection_by_name_and_prefix() {
        let a = attrs(json!({
            "foo.a": {"DataType": "String", "StringValue": "1"},
            "foo.b": {"DataType": "String", "StringValue": "2"},
            "foobar": {"DataType": "String", "StringValue": "3"},
            "other": {"DataType": "String", "StringValue": "4"}
        }));
        let names = |w: &[&str]| select(&a, w).into_keys().collect::<Vec<_>>();
        assert_eq!(names(&["foo.*"]), ["foo.a", "foo.b", "foobar"]);
        assert_eq!(names(&["foo..*"]), ["foo.a", "foo.b"]);
        assert_eq!(names(&["*"]).len(), 4);
        assert_eq!(names(&[".*"]).len(), 4);
        assert!(names(&["nothing", "foo"]).is_empty());
        assert_eq!(names(&["other"]), ["other"]);
        assert_eq!(names(&["All"]).len(), 4);
        assert_eq!(names(&["ALL"]).len(), 4, "kombu's spelling");
        assert!(names(&[]).is_empty());
    }
}
