//! Helpers shared by every test: the crate's unit tests (`crate::testing`)
//! and its integration tests (`core/tests/common/mod.rs` includes this file),
//! so that each exists once.
#![allow(dead_code)] // no test uses all of it

#[cfg(feature = "std")]
use std::path::{Path, PathBuf};
#[cfg(feature = "std")]
use std::vec::Vec;

/// A small deterministic generator (xorshift64*), so failures reproduce;
/// no dependency.
pub struct Rng(pub u64);

impl Rng {
    /// The next number (the state must not be 0).
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// One of `items` (which must not be empty).
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// `n` random bytes.
    #[cfg(feature = "std")]
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// Random CSV-ish record bytes for the record splitter's kernels (the
/// native ones in `format/csv/blocks.rs`, the wasm SIMD one in
/// `web/tests/kernels.rs`, which includes this file): fields quoted or not,
/// `""` escapes, quoted line breaks and commas, CRLF, stray quotes; lengths
/// across several 64-byte blocks.
pub fn random_record_bytes(rng: &mut Rng) -> impl Iterator<Item = u8> + '_ {
    const PIECES: [&[u8]; 12] = [
        b"ab",
        b",",
        b"\"",
        b"\"\"",
        b"\n",
        b"\r\n",
        b",\"x\ny\",",
        b"cmd.exe /c",
        b"\"q,\"",
        b" ",
        b"0123456789abcdef0123456789abcdef",
        b"\",\"",
    ];
    let n = rng.below(40);
    (0..n).flat_map(move |_| PIECES[rng.below(PIECES.len())].iter().copied())
}

/// A path in the real public event data the tests read (beside the
/// checkout, never copied into it: README, "Layout").
#[cfg(feature = "std")]
pub fn shared(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data")
        .join(path)
}

/// Every `.evtx` under `dir`, sorted; panics naming a directory it cannot read.
#[cfg(feature = "std")]
pub fn evtx_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut dirs = std::vec![dir.to_path_buf()];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "evtx") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}
