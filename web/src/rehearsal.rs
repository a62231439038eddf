//! A dry run of the page's message path, done once in an idle moment after
//! start-up: the built-in sample goes through a [`ScanSession`], the wire
//! frames, the reducer and the detail panel's field parsing, on a scratch
//! state that is then dropped.
//!
//! Why: the browser compiles each wasm function the first time it runs, on
//! the main thread. Without this, the first batch of the analyst's first
//! file paid that compilation in one long task; now it is paid before any
//! file is given, while the page is idle. [`reserve_heap`] does the same for
//! the wasm memory growth that the first rows would otherwise trigger.

use cmdhunt_core::matcher::CompiledRule;

use crate::protocol;
use crate::sample::{SAMPLE_CSV, SAMPLE_NAME};
use crate::session::{ScanSession, PROGRESS_INTERVAL_MS};
use crate::state::{Action, AppState, NewFile};

/// How much wasm heap [`reserve_heap`] grows the memory by (16 MiB).
pub const HEAP_RESERVE_BYTES: usize = 16 << 20;

/// Run the sample through the whole message path on a scratch state, and
/// return that state (the page drops it; tests look at it).
pub fn rehearse() -> AppState {
    let rule = CompiledRule::new();
    let mut state = AppState::default();
    state.apply(Action::AddFiles(vec![NewFile::new(
        SAMPLE_NAME,
        SAMPLE_CSV.len() as u64,
    )]));
    state.apply(Action::Started {
        job: 1,
        now_ms: 0.0,
    });
    let Ok(mut session) = ScanSession::new(&rule, 1, 0, SAMPLE_NAME, None) else {
        return state;
    };
    let mut messages = session.push(SAMPLE_CSV, PROGRESS_INTERVAL_MS);
    messages.extend(session.finish());
    for message in &messages {
        if let Ok(back) = protocol::unframe(&protocol::frame(message, SAMPLE_NAME)) {
            state.apply(Action::Worker(back, PROGRESS_INTERVAL_MS));
        }
    }
    if let Some(&first) = state.shown.first() {
        let _ = state.row_fields(first);
    }
    state
}

/// Grow the wasm heap by [`HEAP_RESERVE_BYTES`] now (in 64 KiB blocks, which
/// the allocator keeps for reuse once freed), so the first rows do not
/// trigger `memory.grow` in the middle of a batch. Returns the bytes reserved.
pub fn reserve_heap() -> usize {
    const BLOCK: usize = 64 << 10;
    let blocks: Vec<Vec<u8>> = (0..HEAP_RESERVE_BYTES / BLOCK)
        .map(|_| Vec::with_capacity(BLOCK))
        .collect();
    std::hint::black_box(&blocks);
    blocks.iter().map(Vec::capacity).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Status;
    use crate::testdata::scan_all;

    #[test]
    fn the_rehearsal_ends_with_the_sample_done_and_shown() {
        let (summary, rows) = scan_all(SAMPLE_CSV, 0, None);
        let state = rehearse();
        assert_eq!(state.files.len(), 1);
        assert_eq!(state.files[0].status, Status::Done);
        assert_eq!(state.files[0].live.records, summary.records);
        assert_eq!(state.rows.len(), rows.len());
        assert!(!state.shown.is_empty());
        for (i, row) in rows.iter().enumerate() {
            assert_eq!(state.row_fields(i).as_ref(), Ok(&row.fields), "row {i}");
        }
    }

    #[test]
    fn the_heap_reserve_is_the_size_asked() {
        assert!(reserve_heap() >= HEAP_RESERVE_BYTES);
    }
}
