//! The CSV record splitter's fast path: 64 bytes at a time with bit masks.
//!
//! For each 64-byte block, SSE2 compares give one bit per byte for `"` and
//! `\n` (and `,` when a quote needs it). A prefix XOR of the quote bits tells, for every byte, whether it
//! lies inside quotes under *parity* quoting (every `"` toggles); a `\n`
//! outside quotes ends the record. Interior line breaks are counted with a
//! popcount, so the record's line count comes free.
//!
//! Parity is only a shortcut for the decoder's real rule (a `"` opens a quoted
//! field only at the start of a field, see the [module docs](super)). The two
//! agree at every byte as long as every quote that parity reads as *opening*
//! follows a `,`, a `\n`, the record's start, or a quote that parity reads as
//! *closing* (the second half of a `""` escape). Proof by cases on the exact
//! state machine (`Unquoted` / `Quoted` / `QuoteInQuoted`), which maps to
//! parity's outside / inside / outside:
//!
//! * `Unquoted`, `"` at a field start: both enter quotes.
//! * `Unquoted`, `"` elsewhere: the exact rule keeps it literal, parity opens
//!   quotes there; such an opening quote follows neither a separator nor a
//!   closing quote (that would have put the exact rule in `QuoteInQuoted`), so
//!   the check below rejects the record.
//! * `Quoted`, `"`: both leave quotes (`QuoteInQuoted` / outside).
//! * `QuoteInQuoted`, `"`: an escaped quote, back in quotes; parity opens
//!   after a closing quote. Both inside.
//! * `QuoteInQuoted`, another byte: both outside.
//!
//! When the check fails, or no terminator is found in the data at hand, the
//! caller falls back to the exact byte-wise splitter for that record, so the
//! results are identical by construction; only the speed differs.
//!
//! On x86_64 the masks come from AVX2 (and the prefix XOR from a carry-less
//! multiply) when the CPU has them and the `std` feature can detect it, from
//! SSE2 otherwise. On wasm32 built with `target-feature=+simd128` (the page's
//! build, see `.cargo/config.toml`) they come from wasm SIMD (`u8x16_eq`,
//! `u8x16_bitmask`); wasm has no runtime feature detection inside a module,
//! so the kernel is chosen when the module is compiled. Other targets, and
//! wasm32 without `simd128`, have no fast path ([`record_end`] always answers
//! `None` and the exact splitter does the work). [`Portable`] computes the
//! same masks a byte at a time: the reference every kernel is tested against
//! ([`record_end_kernels`]).

/// The two primitives the splitter needs from an instruction set.
///
/// # Safety
///
/// Each method may be called only where the implementor's instruction set
/// is available: [`Portable`] everywhere, `Sse2` always on x86_64, `Avx2`
/// only inside functions compiled with
/// `#[target_feature(enable = "avx2,pclmulqdq,...")]` that are called after
/// detecting the features (`record_end_avx2`, and the field splitter's
/// `split_avx2`), `Simd128` in modules compiled with `+simd128` (it only
/// exists there).
pub(super) trait Kernel {
    /// Bit `i` is set when `block[i] == byte`.
    ///
    /// # Safety
    ///
    /// The implementor's instruction set must be available (see [`Kernel`]).
    unsafe fn find(block: &[u8; 64], byte: u8) -> u64;
    /// Bit `i` of the result is the XOR of bits `0..=i` of `x`.
    ///
    /// # Safety
    ///
    /// The implementor's instruction set must be available (see [`Kernel`]).
    unsafe fn prefix_xor(x: u64) -> u64;
}

/// SSE2: part of the x86_64 baseline.
#[cfg(target_arch = "x86_64")]
pub(super) struct Sse2;

#[cfg(target_arch = "x86_64")]
impl Kernel for Sse2 {
    #[inline(always)]
    unsafe fn find(block: &[u8; 64], byte: u8) -> u64 {
        use core::arch::x86_64::{
            __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        let p = block.as_ptr().cast::<__m128i>();
        let mut bits = 0u64;
        for k in 0..4 {
            // SAFETY: SSE2 is part of the x86_64 baseline; lane `k` (0..4)
            // reads bytes 16k..16k+16 of the 64-byte `block`.
            let m = unsafe {
                let needle = _mm_set1_epi8(byte as i8);
                _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(p.add(k)), needle))
            };
            bits |= u64::from(m as u32 & 0xffff) << (16 * k);
        }
        bits
    }

    #[inline(always)]
    unsafe fn prefix_xor(x: u64) -> u64 {
        prefix_xor_shifts(x)
    }
}

/// Prefix XOR in six shifts, for instruction sets without a carry-less
/// multiply.
#[inline(always)]
fn prefix_xor_shifts(mut x: u64) -> u64 {
    x ^= x << 1;
    x ^= x << 2;
    x ^= x << 4;
    x ^= x << 8;
    x ^= x << 16;
    x ^= x << 32;
    x
}

/// The masks a byte at a time: no instruction set needed. The reference the
/// vector kernels are tested against, not a fast path.
pub(super) struct Portable;

impl Kernel for Portable {
    #[inline(always)]
    unsafe fn find(block: &[u8; 64], byte: u8) -> u64 {
        block
            .iter()
            .enumerate()
            .fold(0, |bits, (i, &b)| bits | (u64::from(b == byte) << i))
    }

    #[inline(always)]
    unsafe fn prefix_xor(x: u64) -> u64 {
        prefix_xor_shifts(x)
    }
}

/// wasm SIMD: four 16-byte compares and bitmasks per block, the prefix XOR
/// in shifts (wasm has no carry-less multiply).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(super) struct Simd128;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
impl Kernel for Simd128 {
    #[inline(always)]
    unsafe fn find(block: &[u8; 64], byte: u8) -> u64 {
        use core::arch::wasm32::{u8x16_bitmask, u8x16_eq, u8x16_splat, v128, v128_load};
        let p = block.as_ptr().cast::<v128>();
        let needle = u8x16_splat(byte);
        let mut bits = 0u64;
        for k in 0..4 {
            // SAFETY: lane `k` (0..4) reads bytes 16k..16k+16 of the 64-byte
            // `block`; wasm loads have no alignment requirement.
            let lane = unsafe { v128_load(p.add(k)) };
            bits |= u64::from(u8x16_bitmask(u8x16_eq(lane, needle))) << (16 * k);
        }
        bits
    }

    #[inline(always)]
    unsafe fn prefix_xor(x: u64) -> u64 {
        prefix_xor_shifts(x)
    }
}

/// AVX2 compares and a carry-less multiply (PCLMULQDQ) for the prefix XOR.
#[cfg(all(target_arch = "x86_64", feature = "std"))]
pub(super) struct Avx2;

#[cfg(all(target_arch = "x86_64", feature = "std"))]
impl Kernel for Avx2 {
    #[inline(always)]
    unsafe fn find(block: &[u8; 64], byte: u8) -> u64 {
        use core::arch::x86_64::{
            __m256i, _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_set1_epi8,
        };
        let p = block.as_ptr().cast::<__m256i>();
        // SAFETY: the caller keeps `Kernel`'s contract (AVX2 is available);
        // the two unaligned 32-byte loads read exactly `block`.
        let (lo, hi) = unsafe {
            let needle = _mm256_set1_epi8(byte as i8);
            (
                _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(p), needle)),
                _mm256_movemask_epi8(_mm256_cmpeq_epi8(_mm256_loadu_si256(p.add(1)), needle)),
            )
        };
        u64::from(lo as u32) | (u64::from(hi as u32) << 32)
    }

    #[inline(always)]
    unsafe fn prefix_xor(x: u64) -> u64 {
        use core::arch::x86_64::{
            _mm_clmulepi64_si128, _mm_cvtsi128_si64, _mm_set1_epi8, _mm_set_epi64x,
        };
        // SAFETY: the caller keeps `Kernel`'s contract (PCLMULQDQ is
        // available). Multiplying by all ones without carries is a prefix XOR.
        unsafe {
            let product = _mm_clmulepi64_si128(_mm_set_epi64x(0, x as i64), _mm_set1_epi8(-1), 0);
            _mm_cvtsi128_si64(product) as u64
        }
    }
}

/// Where the record starting at `data[0]` ends: `Some((index of its
/// terminating '\n', line breaks inside it))`, or `None` when the fast path
/// cannot tell (a quote that is not at a field start, or no terminator in
/// `data`); the caller then splits the record the exact way.
///
/// `data[0]` must start a record outside quotes.
#[cfg(target_arch = "x86_64")]
pub(super) fn record_end(data: &[u8]) -> Option<(usize, u64)> {
    #[cfg(feature = "std")]
    if avx2_available() {
        // SAFETY: the features `record_end_avx2` is compiled for were just detected.
        return unsafe { record_end_avx2(data) };
    }
    // SAFETY: SSE2 is part of the x86_64 baseline.
    unsafe { scan::<Sse2>(data) }
}

/// Whether the CPU has everything the AVX2 kernels are compiled for: AVX2,
/// PCLMULQDQ for the prefix XOR, POPCNT and BMI1 for the bit counts (without
/// them `count_ones` is a 17-instruction software routine per block).
#[cfg(all(target_arch = "x86_64", feature = "std"))]
pub(super) fn avx2_available() -> bool {
    std::is_x86_feature_detected!("avx2")
        && std::is_x86_feature_detected!("pclmulqdq")
        && std::is_x86_feature_detected!("popcnt")
        && std::is_x86_feature_detected!("bmi1")
}

/// [`scan`] compiled for AVX2, PCLMULQDQ, POPCNT and BMI1.
///
/// # Safety
///
/// The CPU must support those features ([`avx2_available`]).
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
unsafe fn record_end_avx2(data: &[u8]) -> Option<(usize, u64)> {
    // SAFETY: the caller detected the features this function is compiled for.
    unsafe { scan::<Avx2>(data) }
}

/// The wasm SIMD kernel, compiled into this module (`+simd128`).
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(super) fn record_end(data: &[u8]) -> Option<(usize, u64)> {
    // SAFETY: the module is compiled with simd128; a host without wasm SIMD
    // refuses to compile it at all, so no instruction runs unsupported.
    unsafe { scan::<Simd128>(data) }
}

/// No fast path on this target: the exact splitter does all the work.
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
pub(super) fn record_end(_data: &[u8]) -> Option<(usize, u64)> {
    None
}

/// `[the kernel record_end uses on this target, the Portable reference]`
/// for the record at `data[0]`: the two agree on every input (tested
/// natively here, and in wasm by `web/tests/kernels.rs` through
/// `cmdhunt_core::format::csv::record_end_kernels`). On a target without a fast
/// path the first is always `None`.
pub fn record_end_kernels(data: &[u8]) -> [Option<(usize, u64)>; 2] {
    // SAFETY: the portable kernel needs no instruction set.
    [record_end(data), unsafe { scan::<Portable>(data) }]
}

/// The splitter's state between blocks.
struct State {
    /// All ones when the previous block ended inside quotes.
    inside: u64,
    /// Bit 0: may a quote at the block's first byte open a field? (Yes at
    /// the record's start.)
    carry_sep: u64,
    /// Line breaks inside quotes so far.
    newlines: u64,
}

/// What one block says about the record.
enum Step {
    /// The terminating `\n` is at this offset in the block.
    End(usize),
    /// The record goes on past the block.
    More,
    /// The fast path cannot decide this record.
    Refuse,
}

/// The splitter, generic over the instruction set.
///
/// # Safety
///
/// `K`'s instruction set must be available ([`Kernel`]).
#[inline(always)]
unsafe fn scan<K: Kernel>(data: &[u8]) -> Option<(usize, u64)> {
    let mut state = State {
        inside: 0,
        carry_sep: 1,
        newlines: 0,
    };
    let mut base = 0;
    // Whole blocks: `valid` is the constant 64, so its checks fold away.
    while let Some(block) = data.get(base..base + 64) {
        // SAFETY: the caller keeps `K`'s contract.
        match unsafe { step::<K>(block.try_into().ok()?, 64, &mut state) } {
            Step::End(t) => return Some((base + t, state.newlines)),
            Step::Refuse => return None,
            Step::More => base += 64,
        }
    }
    let rest = data.get(base..)?;
    if rest.is_empty() {
        return None;
    }
    let mut tail = [0u8; 64];
    tail[..rest.len()].copy_from_slice(rest);
    // SAFETY: the caller keeps `K`'s contract.
    match unsafe { step::<K>(&tail, rest.len(), &mut state) } {
        Step::End(t) => Some((base + t, state.newlines)),
        Step::More | Step::Refuse => None,
    }
}

/// One block, of which the first `valid` bytes are data.
///
/// # Safety
///
/// `K`'s instruction set must be available ([`Kernel`]).
#[inline(always)]
unsafe fn step<K: Kernel>(block: &[u8; 64], valid: usize, state: &mut State) -> Step {
    // SAFETY: the caller keeps `K`'s contract.
    let (quote, newline, xor) = unsafe {
        let quote = K::find(block, b'"');
        (quote, K::find(block, b'\n'), K::prefix_xor(quote))
    };
    let ins = xor ^ state.inside;
    let opening = quote & ins;
    let closing = quote & !ins;
    // Commas matter only for quotes that nothing else explains (a few per
    // record), so their mask is computed only then.
    let mut separators = newline | closing;
    let mut bad = opening & !((separators << 1) | state.carry_sep);
    if bad != 0 {
        // SAFETY: as above.
        separators |= unsafe { K::find(block, b',') };
        bad = opening & !((separators << 1) | state.carry_sep);
    }
    let ends = newline & !ins;
    let in_data = if valid >= 64 {
        u64::MAX
    } else {
        (1u64 << valid) - 1
    };
    if ends & in_data != 0 {
        let t = ends.trailing_zeros();
        let before = (1u64 << t) - 1;
        if bad & before != 0 {
            return Step::Refuse;
        }
        state.newlines += u64::from((newline & before).count_ones());
        return Step::End(t as usize);
    }
    if bad & in_data != 0 || valid < 64 {
        return Step::Refuse;
    }
    state.newlines += u64::from(newline.count_ones());
    state.inside = 0u64.wrapping_sub(ins >> 63);
    state.carry_sep = (separators >> 63) | u64::from(block[63] == b',');
    Step::More
}

#[cfg(all(test, target_arch = "x86_64"))]
mod tests {
    use super::*;

    #[test]
    fn finds_record_ends_and_interior_line_breaks() {
        type Case<'a> = (&'a [u8], Option<(usize, u64)>);
        let cases: &[Case] = &[
            (b"a,b\nc", Some((3, 0))),
            (b"\"a\nb\",c\nd", Some((7, 1))),
            (b"\"a\"\"\n\"\"b\"\n", Some((9, 1))),
            (b"a,\"b,\nc\"\"\",d\r\nx", Some((13, 1))),
            // No terminator in the data: undecided.
            (b"a,b", None),
            (b"\"a\nb", None),
            // A quote inside an unquoted field: the exact splitter decides.
            (b"a\"b\nc", None),
            // A quote after a closed quoted field's tail.
            (b"\"a\"x\"y\n", None),
            // But a quote past the terminator does not matter.
            (b"a\nb\"c", Some((1, 0))),
        ];
        for (data, want) in cases {
            assert_eq!(
                record_end(data),
                *want,
                "{:?}",
                String::from_utf8_lossy(data)
            );
        }
    }

    #[test]
    fn crosses_block_boundaries() {
        for pad in 0..140 {
            let mut rec = alloc::vec![b'x'; pad];
            rec.extend_from_slice(b",\"q,\n\"\"\n\",");
            rec.extend(core::iter::repeat_n(b'y', pad % 70));
            let end = rec.len();
            rec.extend_from_slice(b"\nnext");
            assert_eq!(record_end(&rec), Some((end, 2)), "pad {pad}");
        }
    }

    /// The AVX2 kernel (when this CPU has it) agrees with the SSE2 one on
    /// random CSV-ish bytes, so the test suite covers both.
    #[cfg(feature = "std")]
    #[test]
    fn avx2_and_sse2_kernels_agree() {
        if !avx2_available() {
            return;
        }
        let alphabet = b"ab,\"\n\r ";
        let mut rng = crate::testing::Rng(0x1234_5678_9abc_def0u64);
        for _ in 0..20_000 {
            let state = rng.next();
            let len = (state % 300) as usize;
            let data: alloc::vec::Vec<u8> = (0..len)
                .map(|i| alphabet[((state >> (i % 57)) as usize + i * 7) % alphabet.len()])
                .collect();
            // SAFETY: both features were detected above.
            let fast = unsafe { record_end_avx2(&data) };
            // SAFETY: SSE2 is baseline; AVX2 and PCLMULQDQ were detected above.
            let (sse2, xors) = unsafe {
                (
                    scan::<Sse2>(&data),
                    (Avx2::prefix_xor(state), Sse2::prefix_xor(state)),
                )
            };
            assert_eq!(fast, sse2, "{:?}", String::from_utf8_lossy(&data));
            assert_eq!(xors.0, xors.1);
        }
    }

    /// Every kernel compiled for this CPU gives the portable kernel's answer
    /// on random records (the wasm SIMD kernel is held to the same reference
    /// by web/tests/kernels.rs in Chromium).
    #[test]
    fn every_kernel_agrees_with_the_portable_one() {
        let mut rng = crate::testing::Rng(0x0dd_ba11_5eed_cafe);
        let mut decided = 0;
        for _ in 0..50_000 {
            let data: alloc::vec::Vec<u8> = crate::testing::random_record_bytes(&mut rng).collect();
            // SAFETY: the portable kernel needs nothing; SSE2 is baseline.
            let (portable, sse2) = unsafe { (scan::<Portable>(&data), scan::<Sse2>(&data)) };
            let show = String::from_utf8_lossy(&data);
            assert_eq!(sse2, portable, "{show:?}");
            assert_eq!(record_end_kernels(&data), [portable, portable], "{show:?}");
            #[cfg(feature = "std")]
            if avx2_available() {
                // SAFETY: the features were just detected.
                assert_eq!(unsafe { record_end_avx2(&data) }, portable, "{show:?}");
            }
            decided += usize::from(portable.is_some());
        }
        // The generator reaches both answers often.
        assert!((10_000..40_000).contains(&decided), "{decided}");
    }

    use alloc::string::String;
}
