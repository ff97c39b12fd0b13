//! Azure's error documents: status, `x-ms-error-code`, and
//! `<Error><Code>…</Code><Message>…\nRequestId:…\nTime:…</Message>[details]</Error>`,
//! plus the exhaustive mapping from core errors.

use polyq_core::CoreError;

use crate::xml::escape;

/// One Azure error, before the request id and time are stamped on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AzError {
    pub status: u16,
    pub code: &'static str,
    pub message: String,
    /// Extra elements after `<Message>` (`QueryParameterName`, `AuthenticationErrorDetail`, ...).
    pub details: Vec<(&'static str, String)>,
}

pub type AzResult<T> = Result<T, AzError>;

/// Detail element Azure adds to authorization errors from service version 2024-08-04 on (its
/// versioning page; shown only to clients of that version or later, see `for_version`).
pub const EXTENDED_ERROR_DETAIL: &str = "ExtendedErrorDetail";
/// First service version whose error documents carry [`EXTENDED_ERROR_DETAIL`].
pub const EXTENDED_ERROR_DETAIL_SINCE: &str = "2024-08-04";
/// First service version that answers a request without credentials with 401
/// `NoAuthenticationInformation` (older ones: 404 `ResourceNotFound`).
pub const NO_AUTH_INFO_SINCE: &str = "2019-12-12";

impl AzError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>) -> Self {
        AzError {
            status,
            code,
            message: message.into(),
            details: Vec::new(),
        }
    }

    pub fn detail(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.details.push((name, value.into()));
        self
    }

    /// The error as a client of service `version` (`YYYY-MM-DD`) sees it: details that came
    /// with a later version are left out.
    pub fn for_version(mut self, version: &str) -> Self {
        if version < EXTENDED_ERROR_DETAIL_SINCE {
            self.details
                .retain(|(name, _)| *name != EXTENDED_ERROR_DETAIL);
        }
        // A request with no credential: before 2019-12-12 Azure answered as if the resource
        // did not exist (recorded: azure-sdk-for-net's GetPropertiesAsync_Error /
        // ExistsAsync_Error under 2018-11-09; its DataLake tests switch on that version).
        if self.code == "NoAuthenticationInformation" && version < NO_AUTH_INFO_SINCE {
            return AzError::resource_not_found();
        }
        self
    }

    /// The XML document, with Azure's `RequestId:` and `Time:` lines.
    pub fn to_xml(&self, request_id: &str, time_iso: &str) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>");
        out.push_str(self.code);
        out.push_str("</Code><Message>");
        out.push_str(&escape(&self.message));
        out.push_str("\nRequestId:");
        out.push_str(&escape(request_id));
        out.push_str("\nTime:");
        out.push_str(time_iso);
        out.push_str("</Message>");
        for (name, value) in &self.details {
            if value.is_empty() {
                // Azure's writer closes an empty element in place (`<Reason />`, recorded).
                out.push_str(&format!("<{name} />"));
            } else {
                out.push_str(&format!("<{name}>{}</{name}>", escape(value)));
            }
        }
        out.push_str("</Error>");
        out
    }

    // Constructors for the codes used in more than one place, with Azure's own wording.

    pub fn queue_not_found() -> Self {
        AzError::new(404, "QueueNotFound", "The specified queue does not exist.")
    }

    pub fn resource_not_found() -> Self {
        AzError::new(
            404,
            "ResourceNotFound",
            "The specified resource does not exist.",
        )
    }

    pub fn message_not_found() -> Self {
        AzError::new(
            404,
            "MessageNotFound",
            "The specified message does not exist.",
        )
    }

    pub fn pop_receipt_mismatch() -> Self {
        AzError::new(
            400,
            "PopReceiptMismatch",
            "The specified pop receipt did not match the pop receipt for a dequeued message.",
        )
    }

    pub fn invalid_query(name: &str, value: &str, reason: &str) -> Self {
        AzError::new(
            400,
            "InvalidQueryParameterValue",
            "Value for one of the query parameters specified in the request URI is invalid.",
        )
        .detail("QueryParameterName", name)
        .detail("QueryParameterValue", value)
        .detail("Reason", reason)
    }

    pub fn out_of_range(name: &str, value: &str, min: i64, max: i64) -> Self {
        AzError::new(
            400,
            "OutOfRangeQueryParameterValue",
            "One of the query parameters specified in the request URI is outside the permissible range.",
        )
        .detail("QueryParameterName", name)
        .detail("QueryParameterValue", value)
        .detail("MinimumAllowed", min.to_string())
        .detail("MaximumAllowed", max.to_string())
    }

    pub fn missing_query(name: &str) -> Self {
        AzError::new(
            400,
            "MissingRequiredQueryParameter",
            "A query parameter that's mandatory for this request is not specified.",
        )
        .detail("QueryParameterName", name)
    }

    pub fn invalid_xml() -> Self {
        AzError::new(
            400,
            "InvalidXmlDocument",
            "XML specified is not syntactically valid.",
        )
    }

    /// `InvalidXmlDocument` for a rule Azure checks after reading the whole document (more than
    /// five identifiers or CORS rules, an unknown permission letter): no place and an empty
    /// reason, as the Go, Java, JS and Rust SDKs' recordings show.
    pub fn invalid_xml_unplaced() -> Self {
        AzError::invalid_xml()
            .detail("LineNumber", "0")
            .detail("LinePosition", "0")
            .detail("Reason", "")
    }

    pub fn invalid_header(name: &str, value: &str) -> Self {
        AzError::new(
            400,
            "InvalidHeaderValue",
            "The value for one of the HTTP headers is not in the correct format.",
        )
        .detail("HeaderName", name)
        .detail("HeaderValue", value)
    }

    pub fn auth_failed(detail: impl Into<String>) -> Self {
        AzError::new(
            403,
            "AuthenticationFailed",
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
        )
        .detail("AuthenticationErrorDetail", detail)
    }

    pub fn authorization(code: &'static str, what: &str) -> Self {
        AzError::new(
            403,
            code,
            format!("This request is not authorized to perform this operation using this {what}."),
        )
    }

    pub fn internal(message: impl Into<String>) -> Self {
        AzError::new(500, "InternalError", message)
    }
}

impl From<CoreError> for AzError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::QueueNotFound(_) => AzError::queue_not_found(),
            // The dialect decodes pop receipts itself; an undecodable one reaching the core
            // is still the client's malformed parameter.
            CoreError::ReceiptInvalid => {
                AzError::invalid_query("popreceipt", "", "Invalid pop receipt format")
            }
            // Real Azure answers a superseded pop receipt with 404 MessageNotFound (Azurite:
            // 400 PopReceiptMismatch); we follow Azure, see docs/compatibility-azure.md.
            CoreError::ReceiptStale => AzError::message_not_found(),
            CoreError::MessageNotFound => AzError::message_not_found(),
            // Azure re-hides a message whatever its state; the core only says this for a change
            // with `require_hidden` (MNS's) or `delete_leased`, which the Azure dialect never
            // asks for.
            CoreError::MessageNotInFlight => AzError::message_not_found(),
            CoreError::InvalidArgument(m) => AzError::new(400, "InvalidInput", m),
            // Only SQS asks for the total visibility cap; were it hit, the input is invalid.
            e @ CoreError::VisibilityBeyondLimit(_) => {
                AzError::new(400, "InvalidInput", e.to_string())
            }
            CoreError::Conflict(m) => AzError::new(409, "OperationNotAllowedInCurrentState", m),
            CoreError::Storage(m) => AzError::internal(format!(
                "Server encountered an internal error. Please try again after some time. ({m})"
            )),
            CoreError::Unavailable(m) => AzError::new(
                503,
                "ServerBusy",
                format!("The server is currently unable to receive requests. Please retry your request. ({m})"),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_azure_error_document() {
        let e = AzError::out_of_range("numofmessages", "33", 1, 32);
        let xml = e.to_xml("req-1", "2024-01-02T03:04:05.0000000Z");
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><Error><Code>OutOfRangeQueryParameterValue</Code>\
<Message>One of the query parameters specified in the request URI is outside the permissible range.\n\
RequestId:req-1\nTime:2024-01-02T03:04:05.0000000Z</Message><QueryParameterName>numofmessages</QueryParameterName>\
<QueryParameterValue>33</QueryParameterValue><MinimumAllowed>1</MinimumAllowed><MaximumAllowed>32</MaximumAllowed></Error>"
        );
    }

    #[test]
    fn stale_receipt_is_azure_404() {
        let e = AzError::from(CoreError::ReceiptStale);
        assert_eq!((e.status, e.code), (404, "MessageNotFound"));
        let e = AzError::from(CoreError::QueueNotFound("q".into()));
        assert_eq!((e.status, e.code), (404, "QueueNotFound"));
    }
}
