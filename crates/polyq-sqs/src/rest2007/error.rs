//! Errors of the 2007-05-01 REST API: the codes that version documents (common errors plus the
//! few action-specific ones) and their HTTP statuses, rendered as the version's
//! `<Response><Errors><Error>…</Error></Errors><RequestID>…</RequestID></Response>` document.

use polyq_core::CoreError;

/// Every code the 2007 REST module answers with, spelled as that API version spelled it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code2007 {
    /// Signature, access key or credentials could not be validated.
    AuthFailure,
    /// `AWS.SimpleQueueService.InternalError`: the store failed.
    InternalError,
    /// `AWS.SimpleQueueService.NonExistentQueue`.
    NonExistentQueue,
    /// `AWS.SimpleQueueService.NonEmptyQueue`: DELETE on a queue with messages, not forced.
    NonEmptyQueue,
    InvalidAction,
    InvalidMessageContents,
    InvalidParameterValue,
    /// The path names no 2007 resource.
    InvalidURI,
    /// PeekMessage / message resource: no message with that id.
    MessageNotFound,
    /// Body over the 256 KB limit (the code later API versions use; 2007 names no specific one).
    MessageTooLong,
    MissingParameter,
    /// `AWS-Version` other than 2007-05-01.
    NoSuchVersion,
    /// `Date` outside the allowed clock skew.
    RequestExpired,
    ServiceUnavailable,
}

impl Code2007 {
    pub fn as_str(self) -> &'static str {
        match self {
            Code2007::AuthFailure => "AuthFailure",
            Code2007::InternalError => "AWS.SimpleQueueService.InternalError",
            Code2007::NonExistentQueue => "AWS.SimpleQueueService.NonExistentQueue",
            Code2007::NonEmptyQueue => "AWS.SimpleQueueService.NonEmptyQueue",
            Code2007::InvalidAction => "InvalidAction",
            Code2007::InvalidMessageContents => "InvalidMessageContents",
            Code2007::InvalidParameterValue => "InvalidParameterValue",
            Code2007::InvalidURI => "InvalidURI",
            Code2007::MessageNotFound => "MessageNotFound",
            Code2007::MessageTooLong => "MessageTooLong",
            Code2007::MissingParameter => "MissingParameter",
            Code2007::NoSuchVersion => "NoSuchVersion",
            Code2007::RequestExpired => "RequestExpired",
            Code2007::ServiceUnavailable => "ServiceUnavailable",
        }
    }

    pub fn status(self) -> u16 {
        match self {
            Code2007::AuthFailure => 401,
            Code2007::MessageNotFound => 404,
            Code2007::InternalError => 500,
            Code2007::ServiceUnavailable => 503,
            Code2007::NonExistentQueue
            | Code2007::NonEmptyQueue
            | Code2007::InvalidAction
            | Code2007::InvalidMessageContents
            | Code2007::InvalidParameterValue
            | Code2007::InvalidURI
            | Code2007::MessageTooLong
            | Code2007::MissingParameter
            | Code2007::NoSuchVersion
            | Code2007::RequestExpired => 400,
        }
    }
}

/// A 2007 REST error: code and human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RestError {
    pub code: Code2007,
    pub message: String,
}

pub type RestResult<T> = Result<T, RestError>;

impl RestError {
    pub fn new(code: Code2007, message: impl Into<String>) -> Self {
        RestError {
            code,
            message: message.into(),
        }
    }

    /// A parameter value outside what the 2007 API accepts.
    pub fn bad_value(name: &str, value: &str, rule: &str) -> Self {
        Self::new(
            Code2007::InvalidParameterValue,
            format!("Value ({value}) for parameter {name} is invalid. {rule}"),
        )
    }

    pub fn missing(name: &str) -> Self {
        Self::new(
            Code2007::MissingParameter,
            format!("The request must contain the parameter {name}."),
        )
    }

    pub fn no_queue() -> Self {
        Self::new(
            Code2007::NonExistentQueue,
            "The specified queue does not exist.",
        )
    }

    pub fn no_message(id: &str) -> Self {
        Self::new(
            Code2007::MessageNotFound,
            format!("No message exists with the MessageId {id}."),
        )
    }
}

/// Core errors as the 2007 API answers them. Exhaustive on purpose (ARCHITECTURE.md
/// invariant 8): a new core error must be placed here before this compiles.
impl From<CoreError> for RestError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::QueueNotFound(_) => RestError::no_queue(),
            // Message ids stand in for receipts in this API, so these mean "no such message".
            CoreError::ReceiptInvalid | CoreError::ReceiptStale | CoreError::MessageNotFound => {
                RestError::new(
                    Code2007::MessageNotFound,
                    "The specified message does not exist.",
                )
            }
            CoreError::MessageNotInFlight => RestError::new(
                Code2007::InvalidParameterValue,
                "The message is not in flight.",
            ),
            CoreError::InvalidArgument(m) | CoreError::Conflict(m) => {
                RestError::new(Code2007::InvalidParameterValue, m)
            }
            // 2007 sets no cap (its lock by id has none); were it hit, the value is invalid.
            e @ CoreError::VisibilityBeyondLimit(_) => {
                RestError::new(Code2007::InvalidParameterValue, e.to_string())
            }
            CoreError::Storage(m) => {
                RestError::new(Code2007::InternalError, format!("The store failed: {m}"))
            }
            CoreError::Unavailable(m) => RestError::new(Code2007::ServiceUnavailable, m),
        }
    }
}
