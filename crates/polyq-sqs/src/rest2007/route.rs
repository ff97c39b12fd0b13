//! From a request line to a 2007 resource and operation.
//!
//! Resources (the queue URL that every SQS protocol hands out, `http://{host}/{account}/{queue}`,
//! is the 2007 queue resource; the account segment is not checked):
//!
//! | path | resource |
//! |---|---|
//! | `/` | the queue service (collection) |
//! | `/{account}/{queue}` or `/{queue}` | a queue |
//! | `/{account}/{queue}/back`, `/{queue}/back` | the back of a queue (send) |
//! | `/{account}/{queue}/front`, `/{queue}/front` | the front of a queue (receive) |
//! | `/{account}/{queue}/{message id}` | a message |
//!
//! `/{a}/{b}` is always read as account + queue, so a message needs the account segment; a
//! queue literally named `back` or `front` cannot be addressed as `/{account}/back`.

use http::Method;

use super::error::{Code2007, RestError, RestResult};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    Service,
    Queue(String),
    Back(String),
    Front(String),
    Message { queue: String, id: String },
}

/// The operations of the 2007 REST API, named after their Query/SOAP counterparts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    CreateQueue,
    ListQueues,
    DeleteQueue(String),
    SendMessage(String),
    ReceiveMessage(String),
    /// `PUT {queue}?VisibilityTimeout=N`.
    SetVisibilityTimeout(String),
    /// `PUT {queue}?Attribute=VisibilityTimeout&Value=N`.
    SetQueueAttributes(String),
    /// `GET {queue}` with no parameters.
    GetVisibilityTimeout(String),
    /// `GET {queue}?Attribute=…`.
    GetQueueAttributes(String),
    PeekMessage {
        queue: String,
        id: String,
    },
    DeleteMessage {
        queue: String,
        id: String,
    },
    ChangeMessageVisibility {
        queue: String,
        id: String,
    },
}

impl Op {
    /// The operation's name, for the metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Op::CreateQueue => "CreateQueue",
            Op::ListQueues => "ListQueues",
            Op::DeleteQueue(_) => "DeleteQueue",
            Op::SendMessage(_) => "SendMessage",
            Op::ReceiveMessage(_) => "ReceiveMessage",
            Op::SetVisibilityTimeout(_) => "SetVisibilityTimeout",
            Op::SetQueueAttributes(_) => "SetQueueAttributes",
            Op::GetVisibilityTimeout(_) => "GetVisibilityTimeout",
            Op::GetQueueAttributes(_) => "GetQueueAttributes",
            Op::PeekMessage { .. } => "PeekMessage",
            Op::DeleteMessage { .. } => "DeleteMessage",
            Op::ChangeMessageVisibility { .. } => "ChangeMessageVisibility",
        }
    }
}

/// Decoded query parameters, in order.
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(query: &str) -> Params {
        Params(
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect(),
        )
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn has(&self, name: &str) -> bool {
        self.get(name).is_some()
    }
}

fn invalid_uri(path: &str) -> RestError {
    RestError::new(
        Code2007::InvalidURI,
        format!("The URI {path} names no resource of the 2007-05-01 API: expected /, /{{account}}/{{queue}}, its /back or /front, or /{{account}}/{{queue}}/{{message id}}."),
    )
}

pub fn resource(path: &str) -> RestResult<Resource> {
    let trimmed = path.trim_matches('/');
    if trimmed.is_empty() {
        return Ok(Resource::Service);
    }
    let segs: Vec<String> = trimmed
        .split('/')
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    if segs.iter().any(String::is_empty) {
        return Err(invalid_uri(path));
    }
    let n = segs.len();
    // Another dialect's internal state (MNS topics) is not a queue of SQS's.
    if n <= 3
        && segs
            .iter()
            .take(2)
            .any(|s| polyq_core::is_internal_queue(s))
    {
        return Err(RestError::no_queue());
    }
    let last = segs[n - 1].as_str();
    Ok(match (n, last) {
        (2 | 3, "back") => Resource::Back(segs[n - 2].clone()),
        (2 | 3, "front") => Resource::Front(segs[n - 2].clone()),
        (1, _) => Resource::Queue(segs[0].clone()),
        (2, _) => Resource::Queue(segs[1].clone()),
        (3, _) => Resource::Message {
            queue: segs[1].clone(),
            id: segs[2].clone(),
        },
        _ => return Err(invalid_uri(path)),
    })
}

fn not_allowed(method: &Method, what: &str) -> RestError {
    RestError::new(
        Code2007::InvalidAction,
        format!("{method} is not an operation on {what} in the 2007-05-01 REST API."),
    )
}

/// The operation a method on a resource asks for.
pub fn operation(method: &Method, path: &str, params: &Params) -> RestResult<Op> {
    let res = resource(path)?;
    let op = match res {
        Resource::Service => match *method {
            Method::POST | Method::PUT => Op::CreateQueue,
            Method::GET => Op::ListQueues,
            _ => return Err(not_allowed(method, "the queue service")),
        },
        Resource::Queue(q) => match *method {
            Method::GET if params.has("Attribute") => Op::GetQueueAttributes(q),
            Method::GET => Op::GetVisibilityTimeout(q),
            Method::PUT if params.has("Attribute") => Op::SetQueueAttributes(q),
            Method::PUT => Op::SetVisibilityTimeout(q),
            Method::DELETE => Op::DeleteQueue(q),
            _ => return Err(not_allowed(method, "a queue")),
        },
        Resource::Back(q) => match *method {
            Method::PUT | Method::POST => Op::SendMessage(q),
            _ => return Err(not_allowed(method, "the back of a queue")),
        },
        Resource::Front(q) => match *method {
            Method::GET => Op::ReceiveMessage(q),
            _ => return Err(not_allowed(method, "the front of a queue")),
        },
        Resource::Message { queue, id } => match *method {
            Method::GET => Op::PeekMessage { queue, id },
            Method::DELETE => Op::DeleteMessage { queue, id },
            Method::PUT => Op::ChangeMessageVisibility { queue, id },
            _ => return Err(not_allowed(method, "a message")),
        },
    };
    Ok(op)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_map_to_resources() {
        let q = |s: &str| Resource::Queue(s.into());
        assert_eq!(resource("/").unwrap(), Resource::Service);
        assert_eq!(resource("/A29E9WXPHGOG29/queue1").unwrap(), q("queue1"));
        assert_eq!(resource("/queue1").unwrap(), q("queue1"));
        assert_eq!(
            resource("/A29E9WXPHGOG29/queue1/back").unwrap(),
            Resource::Back("queue1".into())
        );
        assert_eq!(
            resource("/queue1/front/").unwrap(),
            Resource::Front("queue1".into())
        );
        assert_eq!(
            resource("/acct/q/17VX%7C0QE").unwrap(),
            Resource::Message {
                queue: "q".into(),
                id: "17VX|0QE".into()
            }
        );
        assert!(resource("/a/b/c/d").is_err());
        assert!(resource("/a//b").is_err());
        // Internal queues (MNS topics) are no queue of SQS's.
        for internal in [
            "/~mns-topic~t",
            "/acct/%7Emns-topic~t",
            "/acct/~mns-topic~t/back",
        ] {
            assert_eq!(
                resource(internal).unwrap_err().code,
                Code2007::NonExistentQueue,
                "{internal}"
            );
        }
    }

    #[test]
    fn methods_pick_operations() {
        let p = Params::parse("Attribute=All");
        let none = Params::default();
        assert_eq!(
            operation(&Method::GET, "/a/q", &p).unwrap(),
            Op::GetQueueAttributes("q".into())
        );
        assert_eq!(
            operation(&Method::GET, "/a/q", &none).unwrap(),
            Op::GetVisibilityTimeout("q".into())
        );
        assert_eq!(
            operation(&Method::POST, "/", &none).unwrap(),
            Op::CreateQueue
        );
        assert_eq!(
            operation(&Method::DELETE, "/", &none).unwrap_err().code,
            Code2007::InvalidAction
        );
        assert_eq!(
            operation(&Method::GET, "/a/q/back", &none)
                .unwrap_err()
                .code,
            Code2007::InvalidAction
        );
    }
}
