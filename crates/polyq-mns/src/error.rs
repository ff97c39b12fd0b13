//! MNS errors: the documented codes, statuses and message texts, the `<Error>` document, and
//! the exhaustive mapping from core errors.
//!
//! Message texts are those of MNS's error-code catalogue ("Error codes", help.aliyun.com
//! document 27501), word for word, so that logs and client-side matching read as with MNS;
//! where an SDK's test shows the live service saying otherwise, the live text wins.

use polyq_core::CoreError;

use crate::form::Form;
use crate::xml::escape;

/// One MNS error answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MnsError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
}

pub type MnsResult<T> = Result<T, MnsError>;

impl MnsError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        MnsError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn queue_not_exist() -> Self {
        Self::new(
            404,
            "QueueNotExist",
            "The queue name you provided is not exist.",
        )
    }

    pub fn message_not_exist() -> Self {
        Self::new(404, "MessageNotExist", "Message not exist.")
    }

    pub fn queue_already_exist() -> Self {
        Self::new(
            409,
            "QueueAlreadyExist",
            "The queue you want to create is already exist.",
        )
    }

    pub fn malformed_xml() -> Self {
        Self::new(
            400,
            "MalformedXML",
            "The XML you provided was not well-formed.",
        )
    }

    pub fn receipt_handle_error() -> Self {
        Self::new(
            400,
            "ReceiptHandleError",
            "The receipt handle you provide is not valid.",
        )
    }

    pub fn missing_receipt_handle() -> Self {
        Self::new(400, "MissingReceiptHandle", "ReceiptHandle is required.")
    }

    pub fn missing_visibility_timeout() -> Self {
        Self::new(
            400,
            "MissingVisibilityTimeout",
            "VisibilityTimeout is required.",
        )
    }

    /// The documented range template: "The value of X should between Low and High unit."
    pub fn out_of_range(element: &str, low: u64, high: u64, unit: &str) -> Self {
        let unit = if unit.is_empty() {
            String::new()
        } else {
            format!(" {unit}")
        };
        Self::new(
            400,
            "InvalidArgument",
            format!("The value of {element} should between {low} and {high}{unit}."),
        )
    }

    /// The documented schema template, for a missing or unexpected element.
    pub fn schema(element: &str) -> Self {
        Self::new(
            400,
            "InvalidArgument",
            format!("The XML you provided did not validate against our published schema, cause by Element {element}."),
        )
    }

    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(400, "InvalidArgument", message)
    }

    pub fn invalid_queue_name() -> Self {
        Self::new(
            400,
            "InvalidQueueName",
            "The queue name you provided is invalid. QueueName should start with alpha and contain only alpha, digit or - .",
        )
    }

    pub fn queue_name_length() -> Self {
        Self::new(
            400,
            "QueueNameLengthError",
            "Queue name length should between 1 and 256.",
        )
    }

    // Topic and subscription errors: the catalogue lists their codes and statuses; their
    // texts follow the queue errors' wording.

    pub fn topic_not_exist() -> Self {
        Self::new(
            404,
            "TopicNotExist",
            "The topic name you provided is not exist.",
        )
    }

    pub fn topic_already_exist() -> Self {
        Self::new(
            409,
            "TopicAlreadyExist",
            "The topic you want to create is already exist.",
        )
    }

    pub fn topic_name_invalid() -> Self {
        Self::new(
            400,
            "TopicNameInvalid",
            "The topic name you provided is invalid. TopicName should start with alpha or digit and contain only alpha, digit or - .",
        )
    }

    pub fn topic_name_length() -> Self {
        Self::new(
            400,
            "TopicNameLengthError",
            "Topic name length should between 1 and 255.",
        )
    }

    pub fn subscription_not_exist() -> Self {
        Self::new(
            404,
            "SubscriptionNotExist",
            "The subscription name you provided is not exist.",
        )
    }

    pub fn subscription_already_exist() -> Self {
        Self::new(
            409,
            "SubscriptionAlreadyExist",
            "The subscription you want to create is already exist.",
        )
    }

    pub fn subscription_name_invalid() -> Self {
        Self::new(
            400,
            "SubscriptionNameInvalid",
            "The subscription name you provided is invalid. SubscriptionName should start with alpha or digit and contain only alpha, digit or - .",
        )
    }

    pub fn subscription_name_length() -> Self {
        Self::new(
            400,
            "SubscriptionNameLengthError",
            "Subscription name length should between 1 and 255.",
        )
    }

    pub fn endpoint_invalid(detail: &str) -> Self {
        Self::new(
            400,
            "EndpointInvalid",
            format!("The endpoint you provided is invalid: {detail}"),
        )
    }

    /// MNS's text names no detail; the method and path go to the log so a client can be traced.
    pub fn invalid_request_url(method: &str, path: &str) -> Self {
        tracing::debug!(method, path, "MNS request names no queue operation");
        Self::new(400, "InvalidRequestURL", "Http request URL format invalid.")
    }

    pub fn internal(detail: &str) -> Self {
        tracing::error!(detail, "MNS request failed inside the server");
        Self::new(500, "InternalError", "Internal error.")
    }

    /// The answer for a core error, chosen per variant so that a new variant cannot compile
    /// until MNS decides what it means.
    pub fn from_core(e: CoreError) -> Self {
        match e {
            CoreError::QueueNotFound(_) => Self::queue_not_exist(),
            CoreError::ReceiptInvalid | CoreError::ReceiptStale => Self::receipt_handle_error(),
            CoreError::MessageNotFound | CoreError::MessageNotInFlight => Self::message_not_exist(),
            CoreError::InvalidArgument(m) => Self::invalid_argument(m),
            // Only SQS asks for the total visibility cap; were it hit, it is an argument error.
            e @ CoreError::VisibilityBeyondLimit(_) => Self::invalid_argument(e.to_string()),
            // Only message move tasks conflict; MNS has no such code, so it is an argument error.
            CoreError::Conflict(m) => Self::invalid_argument(m),
            // MNS's text, then why: a full disk or a lost database must be seen by the
            // client too, as the other dialects show it.
            CoreError::Storage(m) => {
                tracing::error!(detail = m, "MNS request failed in the store");
                Self::new(
                    500,
                    "InternalError",
                    format!("Internal error. The store failed: {m}"),
                )
            }
            CoreError::Unavailable(m) => Self::new(
                503,
                "ServiceUnavailable",
                format!("The service is unavailable now: {m}"),
            ),
        }
    }

    /// The `<Error>` document, with every element the SDKs require.
    pub fn document(&self, form: Form, request_id: &str, host_id: &str) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error xmlns=\"{}\"><Code>{}</Code><Message>{}</Message>\
<RequestId>{}</RequestId><HostId>{}</HostId></Error>",
            form.namespace(),
            self.code,
            escape(&self.message),
            escape(request_id),
            escape(host_id)
        )
    }
}

impl From<CoreError> for MnsError {
    fn from(e: CoreError) -> Self {
        MnsError::from_core(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_errors_map_to_documented_codes() {
        let cases = [
            (CoreError::QueueNotFound("q".into()), 404, "QueueNotExist"),
            (CoreError::ReceiptInvalid, 400, "ReceiptHandleError"),
            (CoreError::ReceiptStale, 400, "ReceiptHandleError"),
            (CoreError::MessageNotFound, 404, "MessageNotExist"),
            (CoreError::MessageNotInFlight, 404, "MessageNotExist"),
            (
                CoreError::InvalidArgument("x".into()),
                400,
                "InvalidArgument",
            ),
            (CoreError::Conflict("x".into()), 400, "InvalidArgument"),
            (CoreError::Storage("disk".into()), 500, "InternalError"),
            (
                CoreError::Unavailable("bye".into()),
                503,
                "ServiceUnavailable",
            ),
        ];
        for (core, status, code) in cases {
            let e = MnsError::from(core);
            assert_eq!((e.status, e.code), (status, code));
        }
        let e = MnsError::from(CoreError::Storage("No space left on device".into()));
        assert_eq!(
            e.message,
            "Internal error. The store failed: No space left on device"
        );
    }

    #[test]
    fn error_document_is_golden() {
        let e = MnsError::queue_not_exist();
        assert_eq!(
            e.document(Form::Mns2015, "5F2B&1", "http://127.0.0.1:1"),
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error xmlns=\"http://mns.aliyuncs.com/doc/v1\">\
<Code>QueueNotExist</Code><Message>The queue name you provided is not exist.</Message>\
<RequestId>5F2B&amp;1</RequestId><HostId>http://127.0.0.1:1</HostId></Error>"
        );
        assert!(e
            .document(Form::Mqs2014, "r", "h")
            .contains("xmlns=\"http://mqs.aliyuncs.com/doc/v1/\""));
        assert_eq!(
            MnsError::out_of_range("DelaySeconds", 0, 604800, "seconds").message,
            "The value of DelaySeconds should between 0 and 604800 seconds."
        );
    }
}
