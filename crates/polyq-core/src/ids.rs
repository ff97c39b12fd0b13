//! Message ids and receipts.
//!
//! A message id is UUID-shaped text that also encodes the message's store sequence number, so
//! any dialect can go from an id to the message without a second index. A [`Receipt`] names one
//! lease of one message: (sequence number, lease generation); it is rendered as opaque
//! URL-safe text with a checksum so that made-up or truncated handles are told apart from stale
//! ones.

use md5::{Digest, Md5};

/// Renders a message id for `seq`, salted with the store's `prefix` so ids look random
/// across stores. The format is a version-4 UUID layout.
pub fn message_id(prefix: u64, seq: u64) -> String {
    let p = prefix;
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        (p >> 32) as u32,
        (p >> 16) as u16,
        (p & 0xfff) as u16,
        0x8000 | ((seq >> 48) & 0x3fff) as u16,
        seq & 0xffff_ffff_ffff
    )
}

/// Extracts the sequence number from an id made by [`message_id`]; `None` for other text.
pub fn seq_from_message_id(id: &str) -> Option<u64> {
    let parts: Vec<&str> = id.split('-').collect();
    if parts.len() != 5 || parts[3].len() != 4 || parts[4].len() != 12 {
        return None;
    }
    let hi = u64::from_str_radix(parts[3], 16).ok()?;
    let lo = u64::from_str_radix(parts[4], 16).ok()?;
    Some(((hi & 0x3fff) << 48) | lo)
}

/// One lease of one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Receipt {
    pub seq: u64,
    pub lease: u64,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Receipt {
    /// Opaque text form: 32 hex digits of (seq, lease) followed by an 8-digit checksum.
    pub fn encode(&self) -> String {
        let mut raw = [0u8; 16];
        raw[..8].copy_from_slice(&self.seq.to_be_bytes());
        raw[8..].copy_from_slice(&self.lease.to_be_bytes());
        let sum = Md5::digest(raw);
        let mut out = String::with_capacity(40);
        for b in raw.iter().chain(sum[..4].iter()) {
            out.push(HEX[(b >> 4) as usize] as char);
            out.push(HEX[(b & 15) as usize] as char);
        }
        out
    }

    /// Parses [`Receipt::encode`] output; `None` for anything else (wrong length, bad digits,
    /// checksum mismatch).
    pub fn decode(text: &str) -> Option<Receipt> {
        let bytes = text.as_bytes();
        if bytes.len() != 40 {
            return None;
        }
        let mut raw = [0u8; 20];
        for (i, chunk) in bytes.chunks(2).enumerate() {
            let hi = (chunk[0] as char).to_digit(16)?;
            let lo = (chunk[1] as char).to_digit(16)?;
            raw[i] = (hi * 16 + lo) as u8;
        }
        let sum = Md5::digest(&raw[..16]);
        if sum[..4] != raw[16..] {
            return None;
        }
        Some(Receipt {
            seq: u64::from_be_bytes(raw[..8].try_into().ok()?),
            lease: u64::from_be_bytes(raw[8..16].try_into().ok()?),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_id_round_trips_sequence() {
        for seq in [0u64, 1, 42, 1 << 40, (1 << 62) - 1] {
            let id = message_id(0x1234_5678_9abc_def0, seq);
            assert_eq!(id.len(), 36);
            assert_eq!(seq_from_message_id(&id), Some(seq), "{id}");
        }
        assert_eq!(seq_from_message_id("not-an-id"), None);
    }

    #[test]
    fn receipt_round_trips_and_rejects_tampering() {
        let r = Receipt { seq: 77, lease: 3 };
        let text = r.encode();
        assert_eq!(Receipt::decode(&text), Some(r));
        let mut bad = text.clone().into_bytes();
        bad[5] = if bad[5] == b'0' { b'1' } else { b'0' };
        assert_eq!(Receipt::decode(std::str::from_utf8(&bad).unwrap()), None);
        assert_eq!(Receipt::decode("garbage"), None);
        assert_eq!(Receipt::decode(&text[..39]), None);
        assert_eq!(Receipt::decode(&"z".repeat(40)), None);
    }
}
