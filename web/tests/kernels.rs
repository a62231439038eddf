//! The CSV record splitter's wasm SIMD kernel (compiled in by the page's
//! `+simd128` build flag, `.cargo/config.toml`) against the portable kernel,
//! in the browser: `cargo xtask wasm-test`. The native kernels are held to
//! the same reference by `core/src/format/csv/blocks.rs`'s unit tests.
#![cfg(target_arch = "wasm32")]

use cmdhunt_core::format::csv::record_end_kernels;
use wasm_bindgen_test::*;

wasm_bindgen_test_configure!(run_in_browser);

/// The core's test helpers (its `Rng` and `random_record_bytes`), one copy.
/// Its std-only helpers are behind the core's `std` feature, which this
/// crate does not have: they are left out here.
#[allow(unexpected_cfgs)]
#[path = "../../core/src/testing.rs"]
mod testing;

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
    let mut rng = testing::Rng(0x0dd_ba11_5eed_cafe);
    let mut decided = 0;
    for _ in 0..50_000 {
        let data: Vec<u8> = testing::random_record_bytes(&mut rng).collect();
        let [simd, portable] = record_end_kernels(&data);
        assert_eq!(simd, portable, "{:?}", String::from_utf8_lossy(&data));
        decided += usize::from(portable.is_some());
    }
    assert!((10_000..40_000).contains(&decided), "{decided}");
}
