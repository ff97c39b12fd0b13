//! SQS receipt handles: the core's receipt followed by a tag of the queue that issued it.
//!
//! AWS's handles belong to their queue: a handle used on another queue is refused with
//! `ReceiptHandleIsInvalid` (the behaviour LocalStack checks against AWS). The core's receipt
//! names only the message (sequence numbers are global), so a delete through another queue
//! found nothing and answered success, leaving the application believing it had deleted the
//! message. The tag is the first four bytes of the queue name's MD5, in hex. A handle of the
//! core's bare form (40 digits, from a polyq before the tag) is still accepted, untagged, so
//! that messages in flight across an upgrade can be deleted.

use md5::{Digest, Md5};
use polyq_core::Receipt;

use crate::error::{SqsError, SqsResult};

const RECEIPT_LEN: usize = 40;

/// The tag of a queue's handles; a receive computes it once for all its messages.
pub fn tag(queue: &str) -> String {
    Md5::digest(queue.as_bytes())[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The handle a receive on the queue of `tag` hands out for `receipt`.
pub fn encode(tag: &str, receipt: Receipt) -> String {
    let mut out = receipt.encode();
    out.push_str(tag);
    out
}

/// The receipt a handle sent to the queue of `tag` names; `ReceiptHandleIsInvalid` for text
/// that is no handle, or the handle of another queue. A batch computes the tag once for all
/// its entries.
pub fn decode(tag: &str, handle: &str) -> SqsResult<Receipt> {
    let invalid = || SqsError::invalid_receipt(handle);
    let (receipt, queue_tag) = match handle.len() {
        RECEIPT_LEN => (handle, None),
        n if n == RECEIPT_LEN + 8 && handle.is_ascii() => {
            let (r, t) = handle.split_at(RECEIPT_LEN);
            (r, Some(t))
        }
        _ => return Err(invalid()),
    };
    if queue_tag.is_some_and(|t| t != tag) {
        return Err(invalid());
    }
    Receipt::decode(receipt).ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    const R: Receipt = Receipt { seq: 42, lease: 7 };

    #[test]
    fn a_handle_works_on_its_own_queue_only() {
        let h = encode(&tag("orders"), R);
        assert_eq!(decode(&tag("orders"), &h).unwrap(), R);
        let e = decode(&tag("orders-dlq"), &h).unwrap_err();
        assert_eq!(e.code, ErrorCode::ReceiptHandleIsInvalid);
        assert_eq!(
            e.message,
            format!("The input receipt handle \"{h}\" is not a valid receipt handle.")
        );
        // Queue names are case-sensitive in SQS.
        assert!(decode(&tag("Orders"), &h).is_err());
    }

    #[test]
    fn untagged_handles_of_earlier_versions_are_accepted() {
        assert_eq!(decode(&tag("any"), &R.encode()).unwrap(), R);
    }

    #[test]
    fn text_that_is_no_handle_is_invalid() {
        let h = encode(&tag("q"), R);
        let mut tampered = h.clone().into_bytes();
        tampered[3] = if tampered[3] == b'0' { b'1' } else { b'0' };
        for bad in [
            String::new(),
            "garbage".into(),
            h[..47].to_string(),
            format!("{h}0"),
            String::from_utf8(tampered).unwrap(),
            format!("{}é\u{e9}", &h[..44]),
        ] {
            assert!(decode(&tag("q"), &bad).is_err(), "{bad}");
        }
    }
}
