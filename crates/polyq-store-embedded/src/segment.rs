//! Log segment files: naming, the header, commit frames, and reading them back.
//!
//! A segment is `log-<number, 20 digits>.pq`: a 36-byte header (magic `polyqLOG`, format
//! version, number, the store's id salt, CRC-32 of those) followed by frames. Each commit of
//! the writer appends one frame: payload length (`u32`), CRC-32 of the payload (`u32`), CRC-32
//! of those eight bytes (`u32`, from format 4), then the payload (records, see
//! [`crate::record`]). The frame is appended with one `write` and made durable with
//! `fdatasync` before any request in it is answered.
//!
//! Reading back distinguishes a crash from damage. A crash can only cut short the write that
//! was in progress, i.e. the end of the newest segment: an incomplete or failing frame that
//! reaches the end of that file (or a zero-filled tail, which some file systems leave after a
//! crash) is a write nobody was answered for, and is cut off. Anything else that does not
//! check out — a bad frame with data after it, a bad frame in an older segment, a bad header —
//! is damage, and the store refuses to open rather than guess. The frame header's own checksum
//! is what makes "reaches the end" trustworthy: without it, a damaged length that pointed past
//! the end of the file made the acknowledged frames after it look like a cut-short write.

use std::ops::Range;

pub(crate) const SEGMENT_PREFIX: &str = "log-";
pub(crate) const SEGMENT_SUFFIX: &str = ".pq";
/// Storage format version, in every segment header: what new segments are written in.
/// Format 3 added the latest receive time to message records (see `record.rs`); format 4 the
/// frame header's checksum.
pub const FORMAT_VERSION: u32 = 4;
/// The oldest format still read: segments of formats 2 and 3 are read as they are (and go
/// once collected), so a directory of an earlier release opens without conversion.
pub const OLDEST_READ_VERSION: u32 = 2;
const MAGIC: [u8; 8] = *b"polyqLOG";
pub(crate) const HEADER_LEN: usize = 36;
/// Length, payload checksum and (from format 4) the checksum of those two.
const FRAME_HEADER_LEN: usize = 12;
/// The frame header of formats 2 and 3: length and payload checksum only.
const OLD_FRAME_HEADER_LEN: usize = 8;
/// The granularity at which a crash can leave part of a write on disk and part not (a sector
/// or page not yet written reads as zeros; 512 bytes, the smallest, also splits at every
/// larger boundary): what a torn frame header can look like.
const SECTOR: usize = 512;

/// The file name of segment `number`.
pub fn segment_name(number: u64) -> String {
    format!("{SEGMENT_PREFIX}{number:020}{SEGMENT_SUFFIX}")
}

/// The segment number of a file name made by [`segment_name`].
pub(crate) fn parse_name(name: &str) -> Option<u64> {
    let digits = name
        .strip_prefix(SEGMENT_PREFIX)?
        .strip_suffix(SEGMENT_SUFFIX)?;
    if digits.len() != 20 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

pub(crate) fn header(number: u64, id_prefix: u64) -> [u8; HEADER_LEN] {
    let mut h = [0u8; HEADER_LEN];
    h[..8].copy_from_slice(&MAGIC);
    h[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    // 12..16: flags, none defined.
    h[16..24].copy_from_slice(&number.to_le_bytes());
    h[24..32].copy_from_slice(&id_prefix.to_le_bytes());
    let crc = crc32fast::hash(&h[..32]);
    h[32..].copy_from_slice(&crc.to_le_bytes());
    h
}

/// Starts a frame in `buf`, which must be empty: reserves room for the frame header.
pub(crate) fn begin_frame(buf: &mut Vec<u8>) {
    debug_assert!(buf.is_empty());
    buf.extend_from_slice(&[0; FRAME_HEADER_LEN]);
}

/// Whether `buf` holds no record since [`begin_frame`].
pub(crate) fn frame_is_empty(buf: &[u8]) -> bool {
    buf.len() == FRAME_HEADER_LEN
}

/// Fills in the frame header once the payload is complete.
pub(crate) fn finish_frame(buf: &mut [u8]) {
    let len = u32::try_from(buf.len() - FRAME_HEADER_LEN).expect("a frame is under 4 GiB");
    let crc = crc32fast::hash(&buf[FRAME_HEADER_LEN..]);
    buf[..4].copy_from_slice(&len.to_le_bytes());
    buf[4..8].copy_from_slice(&crc.to_le_bytes());
    let header_crc = crc32fast::hash(&buf[..8]);
    buf[8..12].copy_from_slice(&header_crc.to_le_bytes());
}

/// Whether a frame header at file offset `pos` of `data` that fails its checksum can be a
/// write a crash cut short rather than damage: it still reads as zeros, wholly or on one side
/// of a sector boundary inside it (a sector the crash left unwritten, while later ones of the
/// same write made it to disk, as some file systems allow), and no intact frame follows it (a
/// crash cuts only the last write; a zeroed stretch with acknowledged frames after it is
/// damage).
fn torn_header(data: &[u8], pos: usize, header_len: usize) -> bool {
    let header = &data[pos..pos + header_len];
    let zero = |b: &[u8]| b.iter().all(|&x| x == 0);
    let split = (SECTOR - pos % SECTOR) % SECTOR;
    let half_zero =
        split > 0 && split < header.len() && (zero(&header[..split]) || zero(&header[split..]));
    (half_zero || zero(header)) && !intact_frame_after(data, pos + 1)
}

/// Whether a whole format-4 frame (header and payload checksums holding) starts anywhere at or
/// after `from`. Only asked on the rare path of a damaged-looking header at the end of the
/// newest segment; a byte-by-byte search, bounded by the file.
fn intact_frame_after(data: &[u8], from: usize) -> bool {
    (from..data.len().saturating_sub(FRAME_HEADER_LEN - 1)).any(|q| {
        let h = &data[q..q + FRAME_HEADER_LEN];
        if le_u32(&h[8..]) != crc32fast::hash(&h[..8]) {
            return false;
        }
        let len = le_u32(h) as usize;
        let start = q + FRAME_HEADER_LEN;
        len > 0
            && start + len <= data.len()
            && crc32fast::hash(&data[start..start + len]) == le_u32(&h[4..])
    })
}

/// A segment read back.
#[derive(Debug)]
pub(crate) struct Scanned {
    pub number: u64,
    pub id_prefix: u64,
    /// Payload ranges of the intact frames, in order.
    pub frames: Vec<Range<usize>>,
    /// Set when the newest segment ends in a write cut short by a crash.
    pub torn: Option<Torn>,
}

/// The end of the newest segment that a crash left incomplete.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Torn {
    /// Length of the intact part (0: not even the header is complete; the file is dropped).
    pub keep: u64,
    pub what: String,
}

#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ScanError {
    Version(u32),
    Corrupt(String),
}

fn le_u32(b: &[u8]) -> u32 {
    u32::from_le_bytes(b[..4].try_into().unwrap())
}

fn le_u64(b: &[u8]) -> u64 {
    u64::from_le_bytes(b[..8].try_into().unwrap())
}

/// Checks and splits a segment's bytes. `newest`: the last segment of the store, the only
/// one a crash can have left incomplete.
pub(crate) fn scan(data: &[u8], newest: bool) -> Result<Scanned, ScanError> {
    let corrupt = |what: String| Err(ScanError::Corrupt(what));
    let all_zero = |b: &[u8]| b.iter().all(|&x| x == 0);
    if data.len() < HEADER_LEN || all_zero(&data[..HEADER_LEN]) {
        if newest && (all_zero(data) || data.len() < HEADER_LEN) {
            // Created by a rotation that a crash interrupted: holds nothing.
            return Ok(Scanned {
                number: 0,
                id_prefix: 0,
                frames: Vec::new(),
                torn: Some(Torn {
                    keep: 0,
                    what: format!("an incomplete segment header ({} bytes)", data.len()),
                }),
            });
        }
        return corrupt(format!(
            "the segment header is missing or zeroed ({} bytes)",
            data.len()
        ));
    }
    let h = &data[..HEADER_LEN];
    if h[..8] != MAGIC {
        return corrupt("not a polyq log segment (wrong magic bytes)".into());
    }
    if le_u32(&h[32..]) != crc32fast::hash(&h[..32]) {
        return corrupt("the segment header fails its checksum".into());
    }
    let version = le_u32(&h[8..]);
    if !(OLDEST_READ_VERSION..=FORMAT_VERSION).contains(&version) {
        return Err(ScanError::Version(version));
    }
    let mut out = Scanned {
        number: le_u64(&h[16..]),
        id_prefix: le_u64(&h[24..]),
        frames: Vec::new(),
        torn: None,
    };
    // Formats 2 and 3 have no checksum over the frame header: a damaged length is only
    // caught when it points inside the file.
    let checked_header = version >= 4;
    let frame_header = if checked_header {
        FRAME_HEADER_LEN
    } else {
        OLD_FRAME_HEADER_LEN
    };
    let mut pos = HEADER_LEN;
    while pos < data.len() {
        let rest = &data[pos..];
        // What is wrong with the frame at `pos`, and whether it can be the end of a write
        // that a crash cut short (if this is the newest segment).
        let (what, crash) = if rest.len() < frame_header {
            (
                format!(
                    "the frame at offset {pos} is cut short ({} bytes)",
                    rest.len()
                ),
                true,
            )
        } else {
            let len = le_u32(rest) as usize;
            let crc = le_u32(&rest[4..]);
            let end = frame_header + len;
            if len == 0 && crc == 0 {
                (
                    format!("zeroed bytes from offset {pos}"),
                    all_zero(rest) || (checked_header && torn_header(data, pos, frame_header)),
                )
            } else if checked_header && le_u32(&rest[8..]) != crc32fast::hash(&rest[..8]) {
                // Its length cannot be trusted; only a header a crash left half unwritten
                // makes the rest of the file one cut-short write.
                (
                    format!("the frame header at offset {pos} fails its checksum"),
                    torn_header(data, pos, frame_header),
                )
            } else if end > rest.len() {
                (
                    format!(
                        "the frame at offset {pos} needs {len} bytes, {} are left",
                        rest.len() - frame_header
                    ),
                    true,
                )
            } else if crc32fast::hash(&rest[frame_header..end]) != crc {
                (
                    format!("the frame at offset {pos} fails its checksum"),
                    all_zero(&rest[end..]),
                )
            } else {
                out.frames.push(pos + frame_header..pos + end);
                pos += end;
                continue;
            }
        };
        if newest && crash {
            out.torn = Some(Torn {
                keep: pos as u64,
                what: format!("{what}, to the end of the file ({} bytes)", rest.len()),
            });
            return Ok(out);
        }
        return corrupt(if newest {
            format!("{what}, and more data follows it")
        } else {
            format!("{what} (in a segment older than the newest, which a crash cannot cut)")
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A segment of format 2 or 3: frame headers without their own checksum.
    fn old_segment(version: u32, frames: &[&[u8]]) -> Vec<u8> {
        let mut data = header(7, 99).to_vec();
        data[8..12].copy_from_slice(&version.to_le_bytes());
        let crc = crc32fast::hash(&data[..32]);
        data[32..36].copy_from_slice(&crc.to_le_bytes());
        for payload in frames {
            data.extend_from_slice(&(payload.len() as u32).to_le_bytes());
            data.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
            data.extend_from_slice(payload);
        }
        data
    }

    fn segment(frames: &[&[u8]]) -> Vec<u8> {
        let mut data = header(7, 99).to_vec();
        for payload in frames {
            let mut buf = Vec::new();
            begin_frame(&mut buf);
            buf.extend_from_slice(payload);
            finish_frame(&mut buf);
            data.extend_from_slice(&buf);
        }
        data
    }

    #[test]
    fn names_round_trip_and_others_are_ignored() {
        assert_eq!(segment_name(12), "log-00000000000000000012.pq");
        assert_eq!(parse_name(&segment_name(u64::MAX)), Some(u64::MAX));
        for other in [
            "log-12.pq",
            "log-0000000000000000001x.pq",
            "polyq.lock",
            "log-",
        ] {
            assert_eq!(parse_name(other), None, "{other}");
        }
    }

    #[test]
    fn intact_segments_give_their_frames() {
        let data = segment(&[b"one", b"two!"]);
        for newest in [false, true] {
            let s = scan(&data, newest).unwrap();
            assert_eq!((s.number, s.id_prefix, s.torn), (7, 99, None));
            let payloads: Vec<&[u8]> = s.frames.iter().map(|r| &data[r.clone()]).collect();
            assert_eq!(payloads, [&b"one"[..], b"two!"]);
        }
    }

    #[test]
    fn a_cut_short_last_write_of_the_newest_segment_is_torn_anywhere_else_corrupt() {
        let full = segment(&[b"one", b"two, longer"]);
        let first_end = HEADER_LEN + FRAME_HEADER_LEN + 3;
        for cut in first_end + 1..full.len() {
            let s = scan(&full[..cut], true).unwrap();
            assert_eq!(s.frames.len(), 1, "cut at {cut}");
            assert_eq!(s.torn.unwrap().keep, first_end as u64);
            assert!(matches!(
                scan(&full[..cut], false),
                Err(ScanError::Corrupt(_))
            ));
        }
        // Zeros after the last frame (a file system's unwritten tail).
        let mut zeroed = full.clone();
        zeroed.extend_from_slice(&[0; 4096]);
        assert_eq!(
            scan(&zeroed, true).unwrap().torn.unwrap().keep,
            full.len() as u64
        );
        // A flipped bit in the last frame, reaching the end: torn.
        let mut flipped = full.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(scan(&flipped, true).unwrap().frames.len(), 1);
    }

    #[test]
    fn damage_with_data_after_it_is_corrupt() {
        let mut data = segment(&[b"one", b"two"]);
        data[HEADER_LEN + FRAME_HEADER_LEN] ^= 0x40;
        let err = scan(&data, true).unwrap_err();
        assert!(
            matches!(&err, ScanError::Corrupt(w) if w.contains("checksum") && w.contains("follows")),
            "{err:?}"
        );
    }

    /// A damaged length that points past the end of the file, with acknowledged frames after
    /// it, used to pass for a cut-short last write (and those frames were cut off).
    #[test]
    fn a_damaged_frame_length_is_damage_even_when_it_points_past_the_end() {
        let data = segment(&[b"one", b"two", b"three"]);
        let mut second = HEADER_LEN + FRAME_HEADER_LEN + 3;
        for frame in [HEADER_LEN, second] {
            for bit in 0..32 {
                let mut bad = data.clone();
                bad[frame + bit / 8] ^= 1 << (bit % 8);
                let err = scan(&bad, true).unwrap_err();
                assert!(
                    matches!(&err, ScanError::Corrupt(w) if w.contains("frame header") && w.contains("follows")),
                    "frame at {frame}, bit {bit}: {err:?}"
                );
            }
        }
        // The same in format 3, where nothing tells the length is wrong: taken for a crash.
        let old = old_segment(3, &[b"one", b"two", b"three"]);
        second = HEADER_LEN + OLD_FRAME_HEADER_LEN + 3;
        let mut bad = old.clone();
        bad[second + 3] ^= 0x01;
        assert_eq!(scan(&bad, true).unwrap().torn.unwrap().keep, second as u64);
    }

    /// A crash can leave the page holding one part of the last frame's header unwritten
    /// (zeros) and the other part written: that is a cut-short write, not damage.
    #[test]
    fn a_frame_header_half_unwritten_at_a_page_boundary_is_torn() {
        // The second frame's header starts 5 bytes before the first page boundary.
        let first = vec![b'a'; 4096 - 5 - HEADER_LEN - FRAME_HEADER_LEN];
        let full = segment(&[&first, &[b'b'; 6000]]);
        let pos = 4096 - 5;
        for unwritten in [pos..4096, 4096..full.len()] {
            let mut torn = full.clone();
            torn[unwritten.clone()].fill(0);
            let s = scan(&torn, true).unwrap();
            assert_eq!(s.torn.unwrap().keep, pos as u64, "{unwritten:?} zeroed");
            assert_eq!(s.frames.len(), 1);
            assert!(scan(&torn, false).is_err());
        }
        // Zeros that do not end at the page boundary are damage.
        let mut bad = full.clone();
        bad[pos..pos + 4].fill(0);
        assert!(scan(&bad, true).is_err());
    }

    /// The same at a 512-byte sector boundary (a power cut can tear a write there), and a
    /// zeroed stretch at such a boundary with intact frames after it is damage: a crash cuts
    /// only the last write.
    #[test]
    fn torn_headers_at_sector_boundaries_and_damage_before_intact_frames() {
        let first = vec![b'a'; 3 * 512 - 7 - HEADER_LEN - FRAME_HEADER_LEN];
        let last = segment(&[&first, &[b'b'; 700]]);
        let pos = 3 * 512 - 7;
        let mut torn = last.clone();
        torn[3 * 512..].fill(0);
        let s = scan(&torn, true).unwrap();
        assert_eq!(s.torn.unwrap().keep, pos as u64);
        // The last write's sectors holding the header unwritten (the earlier frame's sector
        // reads as it was: its end, then zeros), a later sector of the same write on disk.
        let mut unwritten = last.clone();
        unwritten[pos..4 * 512].fill(0);
        assert_eq!(
            scan(&unwritten, true).unwrap().torn.unwrap().keep,
            pos as u64
        );
        // A third, acknowledged frame after the zeroed stretch: refused, nothing cut.
        let more = segment(&[&first, &[b'b'; 700], b"acknowledged"]);
        let mut damaged = more.clone();
        damaged[3 * 512..3 * 512 + 512].fill(0);
        let err = scan(&damaged, true).unwrap_err();
        assert!(
            matches!(&err, ScanError::Corrupt(w) if w.contains("frame header") && w.contains("follows")),
            "{err:?}"
        );
    }

    #[test]
    fn headers_are_checked() {
        let data = segment(&[b"one"]);
        let mut magic = data.clone();
        magic[0] = b'X';
        assert!(matches!(scan(&magic, true), Err(ScanError::Corrupt(w)) if w.contains("magic")));
        let mut version = data.clone();
        version[8..12].copy_from_slice(&9u32.to_le_bytes());
        let crc = crc32fast::hash(&version[..32]);
        version[32..36].copy_from_slice(&crc.to_le_bytes());
        assert_eq!(scan(&version, true).unwrap_err(), ScanError::Version(9));
        for readable in OLDEST_READ_VERSION..=FORMAT_VERSION {
            let data = if readable < 4 {
                old_segment(readable, &[b"one"])
            } else {
                data.clone()
            };
            let s = scan(&data, true).unwrap();
            assert_eq!((s.frames.len(), s.torn), (1, None), "version {readable}");
        }
        let mut crc = data.clone();
        crc[20] ^= 1;
        assert!(matches!(scan(&crc, false), Err(ScanError::Corrupt(w)) if w.contains("checksum")));
        // An interrupted rotation: short or zeroed header on the newest segment only.
        assert_eq!(scan(&data[..10], true).unwrap().torn.unwrap().keep, 0);
        assert_eq!(scan(&[0; 100], true).unwrap().torn.unwrap().keep, 0);
        assert!(scan(&data[..10], false).is_err());
    }
}
