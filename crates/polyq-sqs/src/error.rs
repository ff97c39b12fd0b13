//! SQS errors: one code list rendered two ways — the JSON protocol's `__type` plus the
//! `x-amzn-query-error` header, and the query protocol's `<ErrorResponse>` document.

use polyq_core::CoreError;

/// Every error code polyq's SQS dialect answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    // Modelled exceptions of the 2012-11-05 model (boto3 raises the class of the same name).
    QueueDoesNotExist,
    QueueNameExists,
    QueueDeletedRecently,
    PurgeQueueInProgress,
    BatchEntryIdsNotDistinct,
    BatchRequestTooLong,
    EmptyBatchRequest,
    InvalidBatchEntryId,
    TooManyEntriesInBatchRequest,
    UnsupportedOperation,
    MessageNotInflight,
    OverLimit,
    ReceiptHandleIsInvalid,
    InvalidIdFormat,
    InvalidMessageContents,
    InvalidAttributeName,
    InvalidAttributeValue,
    ResourceNotFoundException,
    // Common errors shared by AWS query services.
    InvalidParameterValue,
    MissingParameter,
    InvalidAction,
    MissingAction,
    MalformedQueryString,
    SerializationException,
    InvalidClientTokenId,
    SignatureDoesNotMatch,
    IncompleteSignature,
    MissingAuthenticationToken,
    RequestExpired,
    AccessDenied,
    InternalError,
    ServiceUnavailable,
}

impl ErrorCode {
    /// Shape name used in the JSON `__type`.
    pub fn json_name(self) -> &'static str {
        use ErrorCode::*;
        match self {
            QueueDoesNotExist => "QueueDoesNotExist",
            QueueNameExists => "QueueNameExists",
            QueueDeletedRecently => "QueueDeletedRecently",
            PurgeQueueInProgress => "PurgeQueueInProgress",
            BatchEntryIdsNotDistinct => "BatchEntryIdsNotDistinct",
            BatchRequestTooLong => "BatchRequestTooLong",
            EmptyBatchRequest => "EmptyBatchRequest",
            InvalidBatchEntryId => "InvalidBatchEntryId",
            TooManyEntriesInBatchRequest => "TooManyEntriesInBatchRequest",
            UnsupportedOperation => "UnsupportedOperation",
            MessageNotInflight => "MessageNotInflight",
            OverLimit => "OverLimit",
            ReceiptHandleIsInvalid => "ReceiptHandleIsInvalid",
            InvalidIdFormat => "InvalidIdFormat",
            InvalidMessageContents => "InvalidMessageContents",
            InvalidAttributeName => "InvalidAttributeName",
            InvalidAttributeValue => "InvalidAttributeValue",
            ResourceNotFoundException => "ResourceNotFoundException",
            // AWS's JSON `__type` for these two common errors differs from the query code
            // (recorded AWS answers: `InvalidParameterValueException`, `MissingRequiredParameterException`).
            InvalidParameterValue => "InvalidParameterValueException",
            MissingParameter => "MissingRequiredParameterException",
            InvalidAction => "InvalidAction",
            MissingAction => "MissingAction",
            MalformedQueryString => "MalformedQueryString",
            SerializationException => "SerializationException",
            InvalidClientTokenId => "InvalidClientTokenId",
            SignatureDoesNotMatch => "SignatureDoesNotMatch",
            IncompleteSignature => "IncompleteSignature",
            MissingAuthenticationToken => "MissingAuthenticationToken",
            RequestExpired => "RequestExpired",
            AccessDenied => "AccessDenied",
            InternalError => "InternalError",
            ServiceUnavailable => "ServiceUnavailable",
        }
    }

    /// The legacy query-protocol code (also sent in `x-amzn-query-error`).
    pub fn query_code(self) -> &'static str {
        use ErrorCode::*;
        match self {
            QueueDoesNotExist => "AWS.SimpleQueueService.NonExistentQueue",
            QueueNameExists => "QueueAlreadyExists",
            QueueDeletedRecently => "AWS.SimpleQueueService.QueueDeletedRecently",
            PurgeQueueInProgress => "AWS.SimpleQueueService.PurgeQueueInProgress",
            BatchEntryIdsNotDistinct => "AWS.SimpleQueueService.BatchEntryIdsNotDistinct",
            BatchRequestTooLong => "AWS.SimpleQueueService.BatchRequestTooLong",
            EmptyBatchRequest => "AWS.SimpleQueueService.EmptyBatchRequest",
            InvalidBatchEntryId => "AWS.SimpleQueueService.InvalidBatchEntryId",
            TooManyEntriesInBatchRequest => "AWS.SimpleQueueService.TooManyEntriesInBatchRequest",
            UnsupportedOperation => "AWS.SimpleQueueService.UnsupportedOperation",
            MessageNotInflight => "AWS.SimpleQueueService.MessageNotInflight",
            InvalidParameterValue => "InvalidParameterValue",
            MissingParameter => "MissingParameter",
            other => other.json_name(),
        }
    }

    pub fn status(self) -> u16 {
        use ErrorCode::*;
        match self {
            PurgeQueueInProgress
            | OverLimit
            | InvalidClientTokenId
            | SignatureDoesNotMatch
            | MissingAuthenticationToken
            | AccessDenied => 403,
            // AWS's model gives these two 404 (`awsQueryError` / `httpError` traits of
            // `ReceiptHandleIsInvalid`; a real answer to a garbage handle is `404 Not Found`).
            ResourceNotFoundException | ReceiptHandleIsInvalid => 404,
            InternalError => 500,
            ServiceUnavailable => 503,
            _ => 400,
        }
    }

    pub fn sender_fault(self) -> bool {
        !matches!(
            self,
            ErrorCode::InternalError | ErrorCode::ServiceUnavailable
        )
    }
}

/// An SQS error: code and human message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqsError {
    pub code: ErrorCode,
    pub message: String,
}

pub type SqsResult<T> = Result<T, SqsError>;

impl SqsError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        SqsError {
            code,
            message: message.into(),
        }
    }

    pub fn invalid_value(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidParameterValue, message)
    }

    /// AWS's wording for a parameter outside its range.
    pub fn bad_param(name: &str, value: impl std::fmt::Display, reason: &str) -> Self {
        Self::invalid_value(format!(
            "Value {value} for parameter {name} is invalid. Reason: {reason}"
        ))
    }

    pub fn missing(name: &str) -> Self {
        Self::new(
            ErrorCode::MissingParameter,
            format!("The request must contain the parameter {name}."),
        )
    }

    pub fn no_queue() -> Self {
        Self::new(
            ErrorCode::QueueDoesNotExist,
            "The specified queue does not exist.",
        )
    }

    pub fn invalid_receipt(handle: &str) -> Self {
        Self::new(
            ErrorCode::ReceiptHandleIsInvalid,
            format!("The input receipt handle \"{handle}\" is not a valid receipt handle."),
        )
    }
}

/// Maps a core error to SQS. Exhaustive on purpose: a new core error must be placed here.
impl From<CoreError> for SqsError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::QueueNotFound(_) => SqsError::no_queue(),
            CoreError::ReceiptInvalid => SqsError::new(ErrorCode::ReceiptHandleIsInvalid, "The receipt handle is not valid."),
            CoreError::ReceiptStale | CoreError::MessageNotFound => SqsError::invalid_value(
                "Value for parameter ReceiptHandle is invalid. Reason: Message does not exist or is not available for visibility timeout change.",
            ),
            CoreError::MessageNotInFlight => {
                SqsError::new(ErrorCode::MessageNotInflight, "The message referred to isn't in flight.")
            }
            // The visibility operations render AWS's text with the value (`change_error`).
            CoreError::VisibilityBeyondLimit(limit) => SqsError::invalid_value(format!(
                "Parameter VisibilityTimeout is invalid. Reason: Total VisibilityTimeout for the message is beyond the limit [{limit} seconds]"
            )),
            CoreError::InvalidArgument(m) => SqsError::invalid_value(m),
            CoreError::Conflict(m) => SqsError::new(ErrorCode::UnsupportedOperation, m),
            CoreError::Storage(m) => SqsError::new(ErrorCode::InternalError, format!("The store failed: {m}")),
            CoreError::Unavailable(m) => SqsError::new(ErrorCode::ServiceUnavailable, m),
        }
    }
}
