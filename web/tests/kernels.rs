//! The CSV record splitter's wasm SIMD kernel (compiled in by the page's
//! `+simd128` build flag, `.cargo/config.toml`) against the portable kernel,
//! in the browser: `cargo xtask wasm-test`. The native kernels are held to
//! the same reference by `core/src/format/csv/blocks.rs`'s unit tests.
#![cfg(target_arch = "wasm32")]

use cmdhunt_core::format::csv::record_end_kernels;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// xorshift64*: a fixed sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

/// The build this test runs in has the SIMD kernel: without `+simd128` the
/// fast path answers `None` everywhere (the first element here) and the
/// agreement below would hold vacuously, so this fails instead.
#[wasm_bindgen_test]
fn the_module_is_built_with_simd128() {
    assert_eq!(
        record_end_kernels(b"a,\"b\nc\",d\nnext"),
        [Some((9, 1)), Some((9, 1))]
    );
}

/// Random CSV-ish records (quoted fields, `""`, quoted line breaks, CRLF,
/// stray quotes, several blocks long): the SIMD kernel's answer is the
/// portable kernel's.
#[wasm_bindgen_test]
fn simd128_kernel_agrees_with_the_portable_one() {
    let pieces: [&[u8]; 12] = [
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
    let mut rng = Rng(0x0dd_ba11_5eed_cafe);
    let mut decided = 0;
    for _ in 0..50_000 {
        let n = (rng.next() % 40) as usize;
        let mut data = Vec::new();
        for _ in 0..n {
            data.extend_from_slice(pieces[(rng.next() % pieces.len() as u64) as usize]);
        }
        let [simd, portable] = record_end_kernels(&data);
        assert_eq!(simd, portable, "{:?}", String::from_utf8_lossy(&data));
        decided += usize::from(portable.is_some());
    }
    assert!((10_000..40_000).contains(&decided), "{decided}");
}
