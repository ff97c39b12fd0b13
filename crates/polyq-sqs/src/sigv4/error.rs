//! [`SigError`]: why a request failed verification, and the AWS code, message and HTTP status for it.

use std::fmt;

/// Why a request failed verification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SigError {
    /// No Authorization header and no X-Amz-Signature in the query: the request is unsigned.
    MissingAuthenticationToken,
    /// Authorization header / presign parameters are malformed (message says what is missing or wrong).
    IncompleteSignature(String),
    /// The access key id is not a known credential.
    InvalidClientTokenId,
    /// Signature mismatch. The String is the canonical-request/string-to-sign explanation that AWS gives
    /// ("The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. ...").
    SignatureDoesNotMatch(String),
    /// X-Amz-Date / Date outside the allowed skew, or a presigned URL past X-Amz-Expires.
    RequestExpired(String),
}

impl SigError {
    /// The AWS error code (`Code` element / `__type`) for this error.
    pub fn code(&self) -> &'static str {
        match self {
            SigError::MissingAuthenticationToken => "MissingAuthenticationToken",
            SigError::IncompleteSignature(_) => "IncompleteSignature",
            SigError::InvalidClientTokenId => "InvalidClientTokenId",
            SigError::SignatureDoesNotMatch(_) => "SignatureDoesNotMatch",
            SigError::RequestExpired(_) => "RequestExpired",
        }
    }

    /// The human-readable message AWS would send with [`SigError::code`].
    pub fn message(&self) -> String {
        match self {
            SigError::MissingAuthenticationToken => {
                "Request is missing Authentication Token".to_string()
            }
            SigError::InvalidClientTokenId => {
                "The AWS Access Key Id you provided does not exist in our records.".to_string()
            }
            SigError::IncompleteSignature(m)
            | SigError::SignatureDoesNotMatch(m)
            | SigError::RequestExpired(m) => m.clone(),
        }
    }

    /// The HTTP status AWS answers this error with (400 for malformed or
    /// expired requests, 403 for everything that is an authentication refusal).
    pub fn status(&self) -> http::StatusCode {
        match self {
            SigError::IncompleteSignature(_) | SigError::RequestExpired(_) => {
                http::StatusCode::BAD_REQUEST
            }
            SigError::MissingAuthenticationToken
            | SigError::InvalidClientTokenId
            | SigError::SignatureDoesNotMatch(_) => http::StatusCode::FORBIDDEN,
        }
    }
}

impl fmt::Display for SigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for SigError {}
