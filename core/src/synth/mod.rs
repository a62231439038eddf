//! Synthetic event logs, made at run time: valid EVTX bytes (and the same
//! events as Event XML) for warming up the page's workers before the
//! analyst picks a file, and for benchmarks that need no shared log.
//!
//! - [`evtx`]: [`SynthEvent`] and an EVTX writer that writes them as Windows
//!   does ([`evtx::write_log`], [`EvtxWriter`]);
//! - [`xml`]: the same events as an Event Viewer XML export;
//! - [`host_events`]: a host's Sysmon and Security events, deterministic
//!   from a seed; [`sysmon_and_security_log`] and [`log_of_size`] write them.
//!
//! ```
//! use cmdhunt_core::{matcher::CompiledRule, scan::FileScan, synth};
//!
//! let log = synth::sysmon_and_security_log(200, 7);
//! let rule = CompiledRule::new();
//! let mut scan = FileScan::new(&rule, 0, "synthetic.evtx", None);
//! scan.push(&log);
//! let (summary, rows) = scan.finish();
//! assert_eq!(summary.records, 200);
//! assert_eq!(summary.skipped, 0);
//! assert!(summary.process_creations > 0 && !rows.is_empty());
//! ```
//!
//! The crate is `no_std`: this module uses `alloc` only (its own CRC-32).

mod chunk;
mod crc32;
pub mod evtx;
mod host;
mod value;
pub mod xml;

use alloc::vec::Vec;

pub use evtx::{EvtxWriter, Provider, SynthError, SynthEvent};
pub use host::{host_events, HostEvents, START_FILETIME};
pub use value::{filetime_text, Guid, Sid, SynthValue, FILETIME_UNIX_EPOCH};

/// `records` events of [`host_events`]`(seed)` as one EVTX log.
pub fn sysmon_and_security_log(records: usize, seed: u64) -> Vec<u8> {
    let mut writer = EvtxWriter::new();
    for event in host_events(seed).take(records) {
        // Every event of `host_events` is a few KiB: it always fits a chunk.
        if writer.push(&event).is_err() {
            break;
        }
    }
    writer.finish()
}

/// Events of [`host_events`]`(seed)` as one EVTX log of `bytes` bytes or
/// less: the file header and as many whole chunks as fit, each filled (at
/// least one chunk).
pub fn log_of_size(bytes: usize, seed: u64) -> Vec<u8> {
    let chunks = (bytes.saturating_sub(evtx::FILE_HEADER_BYTES) / evtx::CHUNK_BYTES).max(1);
    let mut writer = EvtxWriter::new();
    for event in host_events(seed) {
        let pushed = if writer.chunks() + 1 < chunks {
            writer.push(&event).map(Some)
        } else {
            writer.push_in_chunk(&event)
        };
        // `Ok(None)`: the last chunk is full. Errors cannot happen (every
        // event of `host_events` is a few KiB).
        if !matches!(pushed, Ok(Some(_))) {
            break;
        }
    }
    writer.finish()
}
