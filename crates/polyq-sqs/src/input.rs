//! Reading operation inputs, which arrive in the JSON-protocol shape from both codecs.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::error::{SqsError, SqsResult};

/// A borrowed input object with SQS-worded errors for missing or mistyped members.
#[derive(Clone, Copy)]
pub struct Input<'a>(pub &'a Map<String, Value>);

static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);

impl<'a> Input<'a> {
    pub fn of(v: &'a Value) -> SqsResult<Input<'a>> {
        match v {
            Value::Object(m) => Ok(Input(m)),
            Value::Null => Ok(Input(&EMPTY)),
            _ => Err(SqsError::new(
                crate::error::ErrorCode::SerializationException,
                "The request body must be a JSON object.",
            )),
        }
    }

    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.0.get(name).filter(|v| !v.is_null())
    }

    pub fn opt_str(&self, name: &str) -> SqsResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(other) => Err(SqsError::invalid_value(format!(
                "Value {other} for parameter {name} is invalid. Reason: must be a string."
            ))),
        }
    }

    pub fn str(&self, name: &str) -> SqsResult<&'a str> {
        self.opt_str(name)?.ok_or_else(|| SqsError::missing(name))
    }

    pub fn opt_i64(&self, name: &str) -> SqsResult<Option<i64>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Number(n)) if n.is_i64() => Ok(n.as_i64()),
            Some(Value::String(s)) if s.trim().parse::<i64>().is_ok() => Ok(s.trim().parse().ok()),
            Some(other) => Err(SqsError::invalid_value(format!(
                "Value {} for parameter {name} is invalid. Reason: must be an integer.",
                display(other)
            ))),
        }
    }

    /// An integer that must lie in `lo..=hi`, with AWS's wording when it does not.
    pub fn opt_range(&self, name: &str, lo: i64, hi: i64) -> SqsResult<Option<i64>> {
        self.opt_between(name, lo, hi, ", if provided")
    }

    /// [`Input::opt_range`] whose refusal ends "Must be between {lo} and {hi}{tail}." (the
    /// move-task actions word it without the ", if provided" of the others).
    pub fn opt_between(&self, name: &str, lo: i64, hi: i64, tail: &str) -> SqsResult<Option<i64>> {
        let v = self.opt_i64(name)?;
        if let Some(n) = v {
            if n < lo || n > hi {
                return Err(SqsError::bad_param(
                    name,
                    n,
                    &format!("Must be between {lo} and {hi}{tail}."),
                ));
            }
        }
        Ok(v)
    }

    pub fn list(&self, name: &str) -> SqsResult<Vec<&'a Value>> {
        match self.get(name) {
            None => Ok(Vec::new()),
            Some(Value::Array(a)) => Ok(a.iter().collect()),
            Some(_) => Err(SqsError::invalid_value(format!(
                "Parameter {name} must be a list."
            ))),
        }
    }

    pub fn str_list(&self, name: &str) -> SqsResult<Vec<&'a str>> {
        self.list(name)?
            .into_iter()
            .map(|v| {
                v.as_str().ok_or_else(|| {
                    SqsError::invalid_value(format!("Parameter {name} must be a list of strings."))
                })
            })
            .collect()
    }

    pub fn object(&self, name: &str) -> SqsResult<Option<&'a Map<String, Value>>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::Object(m)) => Ok(Some(m)),
            Some(_) => Err(SqsError::invalid_value(format!(
                "Parameter {name} must be a map."
            ))),
        }
    }

    /// A string-to-string map (queue attributes, tags).
    pub fn str_map(&self, name: &str) -> SqsResult<BTreeMap<String, String>> {
        let Some(m) = self.object(name)? else {
            return Ok(BTreeMap::new());
        };
        m.iter()
            .map(|(k, v)| match v {
                Value::String(s) => Ok((k.clone(), s.clone())),
                Value::Number(n) => Ok((k.clone(), n.to_string())),
                Value::Bool(b) => Ok((k.clone(), b.to_string())),
                _ => Err(SqsError::invalid_value(format!(
                    "Value of {name}.{k} must be a string."
                ))),
            })
            .collect()
    }
}

fn display(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
