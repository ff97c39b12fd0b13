//! From method, path and query to one of Azure's 17 queue operations, and what each operation
//! needs from a SAS (account SAS resource type and permissions, service SAS permission).

use http::Method;

use crate::error::{AzError, AzResult};

/// Azure Queue Storage operations, named as Azure names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    ListQueues,
    SetQueueServiceProperties,
    GetQueueServiceProperties,
    GetQueueServiceStats,
    PreflightQueueRequest,
    CreateQueue,
    DeleteQueue,
    GetQueueMetadata,
    SetQueueMetadata,
    GetQueueAcl,
    SetQueueAcl,
    PutMessage,
    GetMessages,
    PeekMessages,
    DeleteMessage,
    ClearMessages,
    UpdateMessage,
}

impl Op {
    /// Azure's name of the operation (for metrics).
    pub fn name(self) -> &'static str {
        match self {
            Op::ListQueues => "ListQueues",
            Op::SetQueueServiceProperties => "SetQueueServiceProperties",
            Op::GetQueueServiceProperties => "GetQueueServiceProperties",
            Op::GetQueueServiceStats => "GetQueueServiceStats",
            Op::PreflightQueueRequest => "PreflightQueueRequest",
            Op::CreateQueue => "CreateQueue",
            Op::DeleteQueue => "DeleteQueue",
            Op::GetQueueMetadata => "GetQueueMetadata",
            Op::SetQueueMetadata => "SetQueueMetadata",
            Op::GetQueueAcl => "GetQueueAcl",
            Op::SetQueueAcl => "SetQueueAcl",
            Op::PutMessage => "PutMessage",
            Op::GetMessages => "GetMessages",
            Op::PeekMessages => "PeekMessages",
            Op::DeleteMessage => "DeleteMessage",
            Op::ClearMessages => "ClearMessages",
            Op::UpdateMessage => "UpdateMessage",
        }
    }
}

/// Where the request points below the account: `[queue [, "messages" [, message id]]]`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Target {
    pub queue: Option<String>,
    pub message_id: Option<String>,
}

fn unsupported_verb() -> AzError {
    AzError::new(
        405,
        "UnsupportedHttpVerb",
        "The resource doesn't support specified Http Verb.",
    )
}

fn invalid_uri() -> AzError {
    AzError::new(
        400,
        "InvalidUri",
        "The requested URI does not represent any resource on the server.",
    )
}

fn invalid_name() -> AzError {
    // "specifed" is Azure's own spelling.
    AzError::new(
        400,
        "InvalidResourceName",
        "The specifed resource name contains invalid characters.",
    )
}

/// Picks the operation. `segments` are the decoded path segments after the account (a
/// trailing slash already dropped); `q` looks up a query parameter case-insensitively.
pub fn route(
    method: &Method,
    segments: &[String],
    q: &dyn Fn(&str) -> Option<String>,
) -> AzResult<(Op, Target)> {
    let comp = q("comp").unwrap_or_default();
    let m = method.as_str();
    let op = match segments.len() {
        _ if m == "OPTIONS" => Op::PreflightQueueRequest,
        0 => match (comp.as_str(), q("restype").unwrap_or_default().as_str(), m) {
            ("list", _, "GET") => Op::ListQueues,
            ("properties", "service", "GET") => Op::GetQueueServiceProperties,
            ("properties", "service", "PUT") => Op::SetQueueServiceProperties,
            ("stats", "service", "GET") => Op::GetQueueServiceStats,
            ("list" | "properties" | "stats", _, _) => return Err(unsupported_verb()),
            // Create or Delete Queue with an empty name (`PUT /account/`): the name is what
            // is wrong, as Azure and Azurite say.
            ("", _, "PUT" | "DELETE") => return Err(invalid_name()),
            ("", _, _) => return Err(invalid_uri()),
            (other, _, _) => {
                return Err(AzError::invalid_query(
                    "comp",
                    other,
                    "Unknown value of comp",
                ))
            }
        },
        1 => match (comp.as_str(), m) {
            ("", "PUT") => Op::CreateQueue,
            ("", "DELETE") => Op::DeleteQueue,
            ("metadata", "GET" | "HEAD") => Op::GetQueueMetadata,
            ("metadata", "PUT") => Op::SetQueueMetadata,
            ("acl", "GET" | "HEAD") => Op::GetQueueAcl,
            ("acl", "PUT") => Op::SetQueueAcl,
            ("" | "metadata" | "acl", _) => return Err(unsupported_verb()),
            (other, _) => {
                return Err(AzError::invalid_query(
                    "comp",
                    other,
                    "Unknown value of comp",
                ))
            }
        },
        2 if segments[1] == "messages" => match m {
            "POST" => Op::PutMessage,
            "GET" if q("peekonly").is_some_and(|v| v.eq_ignore_ascii_case("true")) => {
                Op::PeekMessages
            }
            "GET" => Op::GetMessages,
            "DELETE" => Op::ClearMessages,
            _ => return Err(unsupported_verb()),
        },
        3 if segments[1] == "messages" => match m {
            "DELETE" => Op::DeleteMessage,
            "PUT" => Op::UpdateMessage,
            _ => return Err(unsupported_verb()),
        },
        _ => return Err(invalid_uri()),
    };
    Ok((
        op,
        Target {
            queue: segments.first().cloned(),
            message_id: segments.get(2).cloned(),
        },
    ))
}

/// Account SAS needs: resource type (`s`ervice, `c`ontainer = queue, `o`bject = message) and
/// any one of the listed permission letters. `None`: not allowed with an account SAS at all.
pub fn account_sas_needs(op: Op) -> Option<(char, &'static str)> {
    Some(match op {
        Op::GetQueueServiceProperties | Op::GetQueueServiceStats => ('s', "r"),
        Op::SetQueueServiceProperties => ('s', "w"),
        Op::ListQueues => ('s', "l"),
        Op::CreateQueue => ('c', "cw"),
        Op::DeleteQueue => ('c', "d"),
        Op::GetQueueMetadata => ('c', "r"),
        Op::SetQueueMetadata => ('c', "w"),
        Op::PutMessage => ('o', "a"),
        Op::GetMessages => ('o', "p"),
        Op::PeekMessages => ('o', "r"),
        Op::DeleteMessage => ('o', "p"),
        Op::UpdateMessage => ('o', "u"),
        Op::ClearMessages => ('c', "d"),
        Op::GetQueueAcl | Op::SetQueueAcl | Op::PreflightQueueRequest => return None,
    })
}

/// Service (queue) SAS permission letter an operation needs; `None`: owner only.
pub fn service_sas_needs(op: Op) -> Option<char> {
    match op {
        Op::GetQueueMetadata | Op::PeekMessages => Some('r'),
        Op::PutMessage => Some('a'),
        Op::UpdateMessage => Some('u'),
        Op::GetMessages | Op::DeleteMessage => Some('p'),
        // Clear Messages is not among a queue SAS's operations (r/a/u/p): Azure refuses it
        // even with "raup" (noted in the JS SDK's SAS tests); an account SAS with "d" works.
        Op::ClearMessages
        | Op::ListQueues
        | Op::SetQueueServiceProperties
        | Op::GetQueueServiceProperties
        | Op::GetQueueServiceStats
        | Op::PreflightQueueRequest
        | Op::CreateQueue
        | Op::DeleteQueue
        | Op::SetQueueMetadata
        | Op::GetQueueAcl
        | Op::SetQueueAcl => None,
    }
}

/// Azure queue-name rules: 3..=63 characters (else `OutOfRangeInput`), lower-case letters,
/// digits and single dashes, starting and ending with a letter or digit (else
/// `InvalidResourceName`).
pub fn check_queue_name(name: &str) -> AzResult<()> {
    if !(3..=63).contains(&name.len()) {
        return Err(AzError::new(
            400,
            "OutOfRangeInput",
            "The specified resource name length is not within the permissible limits.",
        ));
    }
    let b = name.as_bytes();
    let ok_char = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-';
    let edges = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !b.iter().all(ok_char) || !edges(b[0]) || !edges(b[b.len() - 1]) || name.contains("--") {
        return Err(invalid_name());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(method: Method, path: &[&str], query: &[(&str, &str)]) -> AzResult<(Op, Target)> {
        let segs: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        let q = |name: &str| {
            query
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.to_string())
        };
        route(&method, &segs, &q)
    }

    #[test]
    fn routes_every_operation() {
        assert_eq!(
            r(Method::GET, &[], &[("comp", "list")]).unwrap().0,
            Op::ListQueues
        );
        let props = [("restype", "service"), ("comp", "properties")];
        assert_eq!(
            r(Method::GET, &[], &props).unwrap().0,
            Op::GetQueueServiceProperties
        );
        assert_eq!(
            r(Method::PUT, &[], &props).unwrap().0,
            Op::SetQueueServiceProperties
        );
        let stats = [("restype", "service"), ("comp", "stats")];
        assert_eq!(
            r(Method::GET, &[], &stats).unwrap().0,
            Op::GetQueueServiceStats
        );
        assert_eq!(r(Method::PUT, &["q1"], &[]).unwrap().0, Op::CreateQueue);
        assert_eq!(r(Method::DELETE, &["q1"], &[]).unwrap().0, Op::DeleteQueue);
        assert_eq!(
            r(Method::HEAD, &["q1"], &[("comp", "metadata")]).unwrap().0,
            Op::GetQueueMetadata
        );
        assert_eq!(
            r(Method::PUT, &["q1"], &[("comp", "metadata")]).unwrap().0,
            Op::SetQueueMetadata
        );
        assert_eq!(
            r(Method::GET, &["q1"], &[("comp", "acl")]).unwrap().0,
            Op::GetQueueAcl
        );
        assert_eq!(
            r(Method::PUT, &["q1"], &[("comp", "acl")]).unwrap().0,
            Op::SetQueueAcl
        );
        assert_eq!(
            r(Method::POST, &["q1", "messages"], &[]).unwrap().0,
            Op::PutMessage
        );
        assert_eq!(
            r(Method::GET, &["q1", "messages"], &[]).unwrap().0,
            Op::GetMessages
        );
        assert_eq!(
            r(Method::GET, &["q1", "messages"], &[("peekonly", "true")])
                .unwrap()
                .0,
            Op::PeekMessages
        );
        assert_eq!(
            r(Method::DELETE, &["q1", "messages"], &[]).unwrap().0,
            Op::ClearMessages
        );
        let (op, t) = r(Method::DELETE, &["q1", "messages", "id1"], &[]).unwrap();
        assert_eq!(
            (op, t.queue.as_deref(), t.message_id.as_deref()),
            (Op::DeleteMessage, Some("q1"), Some("id1"))
        );
        assert_eq!(
            r(Method::PUT, &["q1", "messages", "id1"], &[]).unwrap().0,
            Op::UpdateMessage
        );
    }

    #[test]
    fn rejects_unknown_shapes() {
        assert_eq!(
            r(Method::POST, &["q1"], &[]).unwrap_err().code,
            "UnsupportedHttpVerb"
        );
        assert_eq!(
            r(Method::GET, &["q1", "other"], &[]).unwrap_err().code,
            "InvalidUri"
        );
        assert_eq!(r(Method::GET, &[], &[]).unwrap_err().code, "InvalidUri");
        for m in [Method::PUT, Method::DELETE] {
            assert_eq!(r(m, &[], &[]).unwrap_err().code, "InvalidResourceName");
        }
        assert_eq!(
            r(Method::GET, &["q1"], &[("comp", "x")]).unwrap_err().code,
            "InvalidQueryParameterValue"
        );
    }

    #[test]
    fn queue_names() {
        for ok in ["abc", "my-queue-1", "a1b", &"a".repeat(63)] {
            assert!(check_queue_name(ok).is_ok(), "{ok}");
        }
        assert_eq!(check_queue_name("ab").unwrap_err().code, "OutOfRangeInput");
        assert_eq!(
            check_queue_name(&"a".repeat(64)).unwrap_err().code,
            "OutOfRangeInput"
        );
        for bad in ["Abc", "a--b", "-ab", "ab-", "a_b", "a.b"] {
            assert_eq!(
                check_queue_name(bad).unwrap_err().code,
                "InvalidResourceName",
                "{bad}"
            );
        }
    }
}
