//! Percent-encoding sets of RFC 3986 that request signatures canonicalise with (AWS SigV4, MNS
//! V4): unreserved characters stay, everything else becomes `%XX` with upper-case hex.

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};

/// Everything but the RFC 3986 unreserved characters (`A-Z a-z 0-9 - . _ ~`) is encoded.
pub const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// As [`UNRESERVED`], but keeps the path separator.
pub const UNRESERVED_AND_SLASH: &AsciiSet = &UNRESERVED.remove(b'/');
