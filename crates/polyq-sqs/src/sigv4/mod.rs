//! AWS Signature Version 4 request verification (server side).
//!
//! This checks requests signed the way the AWS SDKs sign SQS requests: the
//! JSON protocol (`POST /` with an `X-Amz-Target` header and a JSON body), the
//! query protocol (form `POST` or `GET` with `Action=...`), and presigned URLs
//! (`X-Amz-Algorithm`, `X-Amz-Credential`, ... in the query string).
//!
//! The canonical request is built the way AWS specifies it for services other
//! than S3, and the way botocore (and the other SDKs) actually build it:
//!
//! * **Canonical URI**: the path exactly as it was received (still
//!   percent-encoded), with empty, `.` and `..` segments removed, then
//!   percent-encoded *again* with the RFC 3986 unreserved set (`/` kept). A wire
//!   path `/a%20b` therefore becomes `/a%2520b`, which is what the SDKs sign.
//! * **Canonical query string**: every `name=value` pair of the raw query is
//!   percent-decoded (a `+` stays a literal `+`), re-encoded with the RFC 3986
//!   unreserved set, and the pairs are sorted by name and then value. For a
//!   presigned request `X-Amz-Signature` is left out.
//! * **Canonical headers**: only the headers named in `SignedHeaders`,
//!   lower-cased and sorted; each value trimmed and runs of spaces/tabs
//!   collapsed to one space; repeated headers joined with `,`.
//! * **Payload hash**: the `x-amz-content-sha256` header when present (which
//!   must then be the hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`),
//!   otherwise the hex SHA-256 of the body.
//!
//! `host` must be one of the signed headers, as AWS requires. For HTTP/2
//! requests (which carry `:authority` rather than `Host`) the caller must put
//! a `host` entry into the header map before calling [`verify`].

mod amz_date;
mod auth_header;
mod auth_params;
mod canonical;
mod clock_skew;
mod error;
mod presigned;
mod verification;

pub use error::SigError;
pub use verification::{signing_key, verify, SigRequest, Verified};

/// The only signing algorithm accepted.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";
/// Literal payload hash a client may send to opt out of payload signing.
pub const UNSIGNED_PAYLOAD: &str = "UNSIGNED-PAYLOAD";
/// The longest validity a presigned URL may ask for (seven days), as in AWS.
pub const MAX_PRESIGNED_EXPIRES_SECS: u64 = 604_800;

const TERMINATOR: &str = "aws4_request";
const MISMATCH_PREAMBLE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

#[cfg(test)]
mod tests;
