//! From method, path and query to an operation. MNS names the operation by path shape, method,
//! query flags and (for the batch forms) the body's root element.

use http::Method;
use percent_encoding::percent_decode_str;

use crate::error::{MnsError, MnsResult};
use crate::form::Form;

/// What a request asks for, before its body is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    ListQueue,
    /// `PUT {q}`: CreateQueue, or SetQueueAttributes with `metaoverride=true`.
    PutQueue {
        queue: String,
        set_attributes: bool,
    },
    GetQueueAttributes {
        queue: String,
    },
    DeleteQueue {
        queue: String,
    },
    /// `POST {q}/messages`: SendMessage or BatchSendMessage by root element.
    Send {
        queue: String,
    },
    /// `GET {q}/messages`: (Batch)ReceiveMessage or (Batch)PeekMessage.
    Receive {
        queue: String,
        query: Query,
    },
    /// `DELETE {q}/messages`: DeleteMessage with a handle in the query, else BatchDeleteMessage.
    Delete {
        queue: String,
        query: Query,
    },
    ChangeMessageVisibility {
        queue: String,
        query: Query,
    },
    /// `GET /topics`.
    ListTopic,
    /// `PUT /topics/{t}`: CreateTopic, or SetTopicAttributes with `metaoverride=true`.
    PutTopic {
        topic: String,
        set_attributes: bool,
    },
    GetTopicAttributes {
        topic: String,
    },
    DeleteTopic {
        topic: String,
    },
    /// `POST /topics/{t}/messages`.
    PublishMessage {
        topic: String,
    },
    /// `GET /topics/{t}/subscriptions`.
    ListSubscriptionByTopic {
        topic: String,
    },
    /// `PUT /topics/{t}/subscriptions/{s}`: Subscribe, or SetSubscriptionAttributes with
    /// `metaoverride=true`.
    PutSubscription {
        topic: String,
        subscription: String,
        set_attributes: bool,
    },
    GetSubscriptionAttributes {
        topic: String,
        subscription: String,
    },
    Unsubscribe {
        topic: String,
        subscription: String,
    },
    GetAccountAttributes,
    SetAccountAttributes,
    /// `POST /commonbuy/openservice`: activates MNS for the account (SDK `open_service`).
    OpenService,
}

impl Route {
    /// MNS's name of the operation (for metrics). SendMessage also names BatchSendMessage,
    /// which only the body tells apart.
    pub fn name(&self) -> &'static str {
        match self {
            Route::ListQueue => "ListQueue",
            Route::PutQueue {
                set_attributes: false,
                ..
            } => "CreateQueue",
            Route::PutQueue { .. } => "SetQueueAttributes",
            Route::GetQueueAttributes { .. } => "GetQueueAttributes",
            Route::DeleteQueue { .. } => "DeleteQueue",
            Route::Send { .. } => "SendMessage",
            Route::Receive { query, .. } => {
                match (query.flag("peekonly"), query.get("numOfMessages").is_some()) {
                    (true, false) => "PeekMessage",
                    (true, true) => "BatchPeekMessage",
                    (false, false) => "ReceiveMessage",
                    (false, true) => "BatchReceiveMessage",
                }
            }
            Route::Delete { query, .. } if query.get("ReceiptHandle").is_some() => "DeleteMessage",
            Route::Delete { .. } => "BatchDeleteMessage",
            Route::ChangeMessageVisibility { .. } => "ChangeMessageVisibility",
            Route::ListTopic => "ListTopic",
            Route::PutTopic {
                set_attributes: false,
                ..
            } => "CreateTopic",
            Route::PutTopic { .. } => "SetTopicAttributes",
            Route::GetTopicAttributes { .. } => "GetTopicAttributes",
            Route::DeleteTopic { .. } => "DeleteTopic",
            Route::PublishMessage { .. } => "PublishMessage",
            Route::ListSubscriptionByTopic { .. } => "ListSubscriptionByTopic",
            Route::PutSubscription {
                set_attributes: false,
                ..
            } => "Subscribe",
            Route::PutSubscription { .. } => "SetSubscriptionAttributes",
            Route::GetSubscriptionAttributes { .. } => "GetSubscriptionAttributes",
            Route::Unsubscribe { .. } => "Unsubscribe",
            Route::GetAccountAttributes => "GetAccountAttributes",
            Route::SetAccountAttributes => "SetAccountAttributes",
            Route::OpenService => "OpenService",
        }
    }
}

/// Query parameters, decoded. Keys match case-insensitively (the docs write `receiptHandle`,
/// every SDK sends `ReceiptHandle`), and `+` stays literal: Python puts receipt handles into the
/// query unescaped and handles in the docs contain `+`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query(Vec<(String, String)>);

impl Query {
    pub fn parse(raw: &str) -> Query {
        let decode = |s: &str| percent_decode_str(s).decode_utf8_lossy().into_owned();
        Query(
            raw.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| match p.split_once('=') {
                    Some((k, v)) => (decode(k), decode(v)),
                    None => (decode(p), String::new()),
                })
                .collect(),
        )
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    pub fn flag(&self, key: &str) -> bool {
        self.get(key)
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    }
}

fn segment(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Routes one request of `form`.
pub fn route(form: Form, method: &Method, path: &str, raw_query: &str) -> MnsResult<Route> {
    let query = Query::parse(raw_query);
    let unknown = || MnsError::invalid_request_url(method.as_str(), path);
    if path.trim_end_matches('/') == "/commonbuy/openservice" {
        return match *method {
            Method::POST => Ok(Route::OpenService),
            _ => Err(unknown()),
        };
    }
    if path == "/" || path.is_empty() {
        if query.flag("accountmeta") {
            return match *method {
                Method::GET => Ok(Route::GetAccountAttributes),
                Method::PUT => Ok(Route::SetAccountAttributes),
                _ => Err(unknown()),
            };
        }
        // MQS lists queues at the root.
        return match (form, method) {
            (Form::Mqs2014, &Method::GET) => Ok(Route::ListQueue),
            _ => Err(unknown()),
        };
    }
    if form == Form::Mns2015 {
        if let Some(rest) = path.strip_prefix("/topics") {
            if rest.is_empty() || rest.starts_with('/') {
                let rest = rest.strip_prefix('/').unwrap_or(rest).trim_end_matches('/');
                return topic_route(method, rest, &query).ok_or_else(unknown);
            }
        }
    }
    let rest = match form {
        Form::Mns2015 => {
            if path == "/queues" || path == "/queues/" {
                return if *method == Method::GET {
                    Ok(Route::ListQueue)
                } else {
                    Err(unknown())
                };
            }
            path.strip_prefix("/queues/").ok_or_else(unknown)?
        }
        Form::Mqs2014 => &path[1..],
    };
    let parts: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    // Internal queues (topics and subscriptions live in them) are not queues of the user's.
    if parts
        .first()
        .is_some_and(|q| polyq_core::is_internal_queue(&segment(q)))
    {
        return Err(MnsError::queue_not_exist());
    }
    match parts.as_slice() {
        [q] if !q.is_empty() => {
            let queue = segment(q);
            match *method {
                Method::PUT => Ok(Route::PutQueue {
                    queue,
                    set_attributes: query.flag("metaoverride"),
                }),
                Method::GET => Ok(Route::GetQueueAttributes { queue }),
                Method::DELETE => Ok(Route::DeleteQueue { queue }),
                _ => Err(unknown()),
            }
        }
        [q, "messages"] if !q.is_empty() => {
            let queue = segment(q);
            match *method {
                Method::POST => Ok(Route::Send { queue }),
                Method::GET => Ok(Route::Receive { queue, query }),
                Method::DELETE => Ok(Route::Delete { queue, query }),
                Method::PUT => Ok(Route::ChangeMessageVisibility { queue, query }),
                _ => Err(unknown()),
            }
        }
        _ => Err(unknown()),
    }
}

/// The topic routes below `/topics` (`rest` without its slashes); `None` for an unknown one.
fn topic_route(method: &Method, rest: &str, query: &Query) -> Option<Route> {
    let parts: Vec<String> = if rest.is_empty() {
        Vec::new()
    } else {
        rest.split('/').map(segment).collect()
    };
    let set_attributes = query.flag("metaoverride");
    Some(match (parts.as_slice(), method) {
        ([], &Method::GET) => Route::ListTopic,
        ([t], &Method::PUT) => Route::PutTopic {
            topic: t.clone(),
            set_attributes,
        },
        ([t], &Method::GET) => Route::GetTopicAttributes { topic: t.clone() },
        ([t], &Method::DELETE) => Route::DeleteTopic { topic: t.clone() },
        ([t, m], &Method::POST) if m == "messages" => Route::PublishMessage { topic: t.clone() },
        ([t, s], &Method::GET) if s == "subscriptions" => {
            Route::ListSubscriptionByTopic { topic: t.clone() }
        }
        ([t, s, name], m) if s == "subscriptions" && !name.is_empty() => {
            let (topic, subscription) = (t.clone(), name.clone());
            match *m {
                Method::PUT => Route::PutSubscription {
                    topic,
                    subscription,
                    set_attributes,
                },
                Method::GET => Route::GetSubscriptionAttributes {
                    topic,
                    subscription,
                },
                Method::DELETE => Route::Unsubscribe {
                    topic,
                    subscription,
                },
                _ => return None,
            }
        }
        _ => return None,
    })
    .filter(|_| parts.iter().all(|p| !p.is_empty()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(form: Form, m: Method, target: &str) -> MnsResult<Route> {
        let (path, q) = target.split_once('?').unwrap_or((target, ""));
        route(form, &m, path, q)
    }

    #[test]
    fn both_forms_route_alike() {
        use Form::*;
        assert_eq!(r(Mns2015, Method::GET, "/queues"), Ok(Route::ListQueue));
        assert_eq!(r(Mqs2014, Method::GET, "/"), Ok(Route::ListQueue));
        for (form, base) in [(Mns2015, "/queues/q1"), (Mqs2014, "/q1")] {
            let q = || "q1".to_string();
            assert_eq!(
                r(form, Method::PUT, base),
                Ok(Route::PutQueue {
                    queue: q(),
                    set_attributes: false
                })
            );
            let set = format!("{base}?metaoverride=true");
            assert_eq!(
                r(form, Method::PUT, &set),
                Ok(Route::PutQueue {
                    queue: q(),
                    set_attributes: true
                })
            );
            assert_eq!(
                r(form, Method::GET, base),
                Ok(Route::GetQueueAttributes { queue: q() })
            );
            assert_eq!(
                r(form, Method::DELETE, base),
                Ok(Route::DeleteQueue { queue: q() })
            );
            assert_eq!(
                r(form, Method::POST, &format!("{base}/messages")),
                Ok(Route::Send { queue: q() })
            );
            let Ok(Route::ChangeMessageVisibility { query, .. }) = r(
                form,
                Method::PUT,
                &format!("{base}/messages?receiptHandle=1-ab+c/d==&VisibilityTimeout=10"),
            ) else {
                panic!("not a visibility change");
            };
            assert_eq!(query.get("ReceiptHandle"), Some("1-ab+c/d=="));
            assert_eq!(query.get("visibilitytimeout"), Some("10"));
        }
        assert_eq!(
            r(Mns2015, Method::POST, "/queues/q1").unwrap_err().code,
            "InvalidRequestURL"
        );
        assert_eq!(
            r(Mns2015, Method::POST, "/topics/t1").unwrap_err().code,
            "InvalidRequestURL"
        );
        assert_eq!(
            r(Mns2015, Method::GET, "/?accountmeta=true"),
            Ok(Route::GetAccountAttributes)
        );
        assert_eq!(
            r(Mns2015, Method::POST, "/commonbuy/openservice"),
            Ok(Route::OpenService)
        );
        assert_eq!(
            r(Mns2015, Method::GET, "/commonbuy/openservice")
                .unwrap_err()
                .code,
            "InvalidRequestURL"
        );
    }

    #[test]
    fn topic_routes() {
        use Form::*;
        let t = || "t1".to_string();
        let s = || "s1".to_string();
        assert_eq!(r(Mns2015, Method::GET, "/topics"), Ok(Route::ListTopic));
        assert_eq!(r(Mns2015, Method::GET, "/topics/"), Ok(Route::ListTopic));
        assert_eq!(
            r(Mns2015, Method::PUT, "/topics/t1"),
            Ok(Route::PutTopic {
                topic: t(),
                set_attributes: false
            })
        );
        assert_eq!(
            r(Mns2015, Method::PUT, "/topics/t1?metaoverride=true"),
            Ok(Route::PutTopic {
                topic: t(),
                set_attributes: true
            })
        );
        assert_eq!(
            r(Mns2015, Method::GET, "/topics/t1"),
            Ok(Route::GetTopicAttributes { topic: t() })
        );
        assert_eq!(
            r(Mns2015, Method::DELETE, "/topics/t1"),
            Ok(Route::DeleteTopic { topic: t() })
        );
        assert_eq!(
            r(Mns2015, Method::POST, "/topics/t1/messages"),
            Ok(Route::PublishMessage { topic: t() })
        );
        assert_eq!(
            r(Mns2015, Method::GET, "/topics/t1/subscriptions"),
            Ok(Route::ListSubscriptionByTopic { topic: t() })
        );
        assert_eq!(
            r(Mns2015, Method::PUT, "/topics/t1/subscriptions/s1"),
            Ok(Route::PutSubscription {
                topic: t(),
                subscription: s(),
                set_attributes: false
            })
        );
        assert_eq!(
            r(
                Mns2015,
                Method::PUT,
                "/topics/t1/subscriptions/s1?metaoverride=true"
            ),
            Ok(Route::PutSubscription {
                topic: t(),
                subscription: s(),
                set_attributes: true
            })
        );
        assert_eq!(
            r(Mns2015, Method::GET, "/topics/t1/subscriptions/s1"),
            Ok(Route::GetSubscriptionAttributes {
                topic: t(),
                subscription: s()
            })
        );
        assert_eq!(
            r(Mns2015, Method::DELETE, "/topics/t1/subscriptions/s1"),
            Ok(Route::Unsubscribe {
                topic: t(),
                subscription: s()
            })
        );
        for bad in [
            "/topics/t1/messages/x",
            "/topics/t1/other",
            "/topics//subscriptions",
            "/topics/t1/subscriptions/s1/x",
        ] {
            assert_eq!(
                r(Mns2015, Method::GET, bad).unwrap_err().code,
                "InvalidRequestURL",
                "{bad}"
            );
        }
        assert_eq!(
            r(Mns2015, Method::POST, "/topics").unwrap_err().code,
            "InvalidRequestURL"
        );
        // MQS has no topics: there `/topics` is a queue's name.
        assert_eq!(
            r(Mqs2014, Method::GET, "/topics"),
            Ok(Route::GetQueueAttributes {
                queue: "topics".into()
            })
        );
        // A queue named `topicsX` is still a queue.
        assert_eq!(
            r(Mns2015, Method::GET, "/queues/topicsX"),
            Ok(Route::GetQueueAttributes {
                queue: "topicsX".into()
            })
        );
    }

    #[test]
    fn routes_are_named_as_mns_names_operations() {
        let name = |m: Method, target: &str| r(Form::Mns2015, m, target).unwrap().name();
        assert_eq!(name(Method::PUT, "/queues/q"), "CreateQueue");
        assert_eq!(
            name(Method::PUT, "/queues/q?metaoverride=true"),
            "SetQueueAttributes"
        );
        assert_eq!(name(Method::GET, "/queues/q/messages"), "ReceiveMessage");
        assert_eq!(
            name(Method::GET, "/queues/q/messages?numOfMessages=3"),
            "BatchReceiveMessage"
        );
        assert_eq!(
            name(Method::GET, "/queues/q/messages?peekonly=true"),
            "PeekMessage"
        );
        assert_eq!(
            name(
                Method::GET,
                "/queues/q/messages?peekonly=true&numOfMessages=2"
            ),
            "BatchPeekMessage"
        );
        assert_eq!(
            name(Method::DELETE, "/queues/q/messages?ReceiptHandle=h"),
            "DeleteMessage"
        );
        assert_eq!(
            name(Method::DELETE, "/queues/q/messages"),
            "BatchDeleteMessage"
        );
        assert_eq!(name(Method::POST, "/topics/t/messages"), "PublishMessage");
        assert_eq!(name(Method::PUT, "/topics/t/subscriptions/s"), "Subscribe");
    }

    #[test]
    fn internal_queues_are_not_queues() {
        for (form, path) in [
            (Form::Mns2015, "/queues/~mns-topic~t1"),
            (Form::Mns2015, "/queues/%7Emns-topic~t1/messages"),
            (Form::Mqs2014, "/~mns-topic~t1"),
        ] {
            assert_eq!(
                r(form, Method::GET, path).unwrap_err().code,
                "QueueNotExist",
                "{path}"
            );
        }
    }

    #[test]
    fn query_decodes_percent_but_keeps_plus() {
        let q = Query::parse("ReceiptHandle=a%2Bb+c%3D&peekonly=TRUE&flag");
        assert_eq!(q.get("receipthandle"), Some("a+b+c="));
        assert!(q.flag("peekOnly"));
        assert_eq!(q.get("flag"), Some(""));
        assert_eq!(q.get("missing"), None);
    }
}
