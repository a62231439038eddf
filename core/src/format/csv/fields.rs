//! Splitting one record into field spans.
//!
//! A field ends at the first `,` after it starts, unless it starts with `"`:
//! then it ends at the first `,` after its closing quote (`""` inside is an
//! escaped quote). A `"` anywhere else is an ordinary byte. So only the byte
//! at each field's start decides anything, and the commas of unquoted fields
//! can be taken 64 bytes at a time from a bit mask: on x86_64 the splitter
//! loads a block, compares it with `,` (AVX2 or SSE2, as
//! [`super::blocks`]), and walks the set bits, falling back to
//! [`quoted_end`] only for quoted fields. Other targets use `memchr` per
//! field. Both give the same spans (a test compares them on random records).

use alloc::vec::Vec;

use memchr::memchr;

/// A field's raw byte range within its record.
pub(super) type Span = (usize, usize);

/// Split `rec` into field spans appended to `out`, stopping once `out` holds
/// `limit` spans.
pub(super) fn split_fields(rec: &[u8], limit: usize, out: &mut Vec<Span>) {
    split_fields_from(rec, 0, limit, out);
}

/// [`split_fields`] for the fields from byte `start` on, where `start` is the
/// start of a field (0, or just after a separating `,`).
pub(super) fn split_fields_from(rec: &[u8], start: usize, limit: usize, out: &mut Vec<Span>) {
    if out.len() >= limit || start > rec.len() {
        return;
    }
    #[cfg(target_arch = "x86_64")]
    {
        #[cfg(feature = "std")]
        if super::blocks::avx2_available() {
            // SAFETY: the features `split_avx2` is compiled for were just detected.
            return unsafe { split_avx2(rec, start, limit, out) };
        }
        // SAFETY: SSE2 is part of the x86_64 baseline.
        unsafe { split_blocks::<super::blocks::Sse2>(rec, start, limit, out) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    split_scalar(rec, start, limit, out)
}

/// The index just past the closing quote of a quoted field whose content
/// starts at `from` (or the end of `rec` when the quote never closes).
pub(super) fn quoted_end(rec: &[u8], mut from: usize) -> usize {
    loop {
        match rec.get(from..).and_then(|rest| memchr(b'"', rest)) {
            Some(j) if rec.get(from + j + 1) == Some(&b'"') => from += j + 2,
            Some(j) => return from + j + 1,
            None => return rec.len(),
        }
    }
}

/// One `memchr` per field: the reference, and the splitter off x86_64.
#[cfg_attr(target_arch = "x86_64", allow(dead_code))]
fn split_scalar(rec: &[u8], mut start: usize, limit: usize, out: &mut Vec<Span>) {
    loop {
        let mut i = start;
        if rec.get(start) == Some(&b'"') {
            i = quoted_end(rec, start + 1);
        }
        match rec.get(i..).and_then(|rest| memchr(b',', rest)) {
            Some(j) => {
                out.push((start, i + j));
                if out.len() >= limit {
                    return;
                }
                start = i + j + 1;
            }
            None => {
                out.push((start, rec.len()));
                return;
            }
        }
    }
}

/// [`split_blocks`] compiled for AVX2 (and BMI1 for the bit scans).
///
/// # Safety
///
/// The CPU must support the AVX2 kernels' features
/// ([`super::blocks::avx2_available`]).
#[cfg(all(target_arch = "x86_64", feature = "std"))]
#[target_feature(enable = "avx2,pclmulqdq,popcnt,bmi1")]
unsafe fn split_avx2(rec: &[u8], start: usize, limit: usize, out: &mut Vec<Span>) {
    // SAFETY: the caller detected the features this function is compiled for.
    unsafe { split_blocks::<super::blocks::Avx2>(rec, start, limit, out) }
}

/// The block splitter, generic over the instruction set.
///
/// # Safety
///
/// `K`'s instruction set must be available ([`super::blocks::Kernel`]).
#[cfg(target_arch = "x86_64")]
#[inline(always)]
unsafe fn split_blocks<K: super::blocks::Kernel>(
    rec: &[u8],
    mut start: usize,
    limit: usize,
    out: &mut Vec<Span>,
) {
    let len = rec.len();
    // `at`: where the next block is loaded; commas before it are consumed.
    let mut at = start;
    loop {
        if at == start && rec.get(start) == Some(&b'"') {
            at = quoted_end(rec, start + 1);
        }
        let whole = rec
            .get(at..at + 64)
            .and_then(|b| <&[u8; 64]>::try_from(b).ok());
        let (mut commas, width) = match whole {
            // SAFETY: the caller keeps `K`'s contract.
            Some(block) => (unsafe { K::find(block, b',') }, 64),
            None => {
                let rest = rec.get(at..).unwrap_or_default();
                let mut tail = [0u8; 64];
                tail[..rest.len()].copy_from_slice(rest);
                // SAFETY: the caller keeps `K`'s contract.
                (unsafe { K::find(&tail, b',') }, rest.len())
            }
        };
        if width < 64 {
            commas &= (1u64 << width) - 1;
        }
        let mut quoted_next = false;
        while commas != 0 {
            let comma = at + commas.trailing_zeros() as usize;
            out.push((start, comma));
            if out.len() >= limit {
                return;
            }
            start = comma + 1;
            commas &= commas - 1;
            if rec.get(start) == Some(&b'"') {
                quoted_next = true;
                break;
            }
        }
        if quoted_next {
            at = start;
            continue;
        }
        at += width;
        if at >= len {
            out.push((start, len));
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;
    use alloc::vec;

    #[test]
    fn table() {
        type Case<'a> = (&'a [u8], &'a [Span]);
        let cases: &[Case] = &[
            (b"", &[(0, 0)]),
            (b"a", &[(0, 1)]),
            (b"a,", &[(0, 1), (2, 2)]),
            (b",,", &[(0, 0), (1, 1), (2, 2)]),
            (b"a,\"b,c\",d", &[(0, 1), (2, 7), (8, 9)]),
            (b"\"a\"\"b\",c", &[(0, 6), (7, 8)]),
            // A quote inside an unquoted field is literal.
            (b"a\"b,c\"", &[(0, 3), (4, 6)]),
            // After the closing quote, the rest up to a comma is kept.
            (b"\"a\"x,y", &[(0, 4), (5, 6)]),
            // An unclosed quote runs to the end.
            (b"\"a,b", &[(0, 4)]),
            (b"a,\"", &[(0, 1), (2, 3)]),
        ];
        for &(rec, want) in cases {
            let mut got = Vec::new();
            split_fields(rec, usize::MAX, &mut got);
            assert_eq!(got, want, "{:?}", String::from_utf8_lossy(rec));
            let mut scalar = Vec::new();
            split_scalar(rec, 0, usize::MAX, &mut scalar);
            assert_eq!(scalar, want, "scalar {:?}", String::from_utf8_lossy(rec));
        }
    }

    /// The block splitter (each kernel this CPU has) equals the scalar one on
    /// random records, for every limit and resumption point.
    #[test]
    fn block_and_scalar_splitters_agree() {
        let alphabet = b"ab,,\"\"x ";
        let mut rng = crate::testing::Rng(0x9e37_79b9_7f4a_7c15u64);
        for round in 0..20_000 {
            let state = rng.next();
            let len = (state % 200) as usize;
            let rec: Vec<u8> = (0..len)
                .map(|i| alphabet[((state >> (i % 53)) as usize + i * 11) % alphabet.len()])
                .collect();
            let limit = [usize::MAX, 1, 2, 5, 40][round % 5];
            let mut want = Vec::new();
            split_scalar(&rec, 0, limit, &mut want);
            let mut got = Vec::new();
            split_fields(&rec, limit, &mut got);
            assert_eq!(
                got,
                want,
                "{:?} limit {limit}",
                String::from_utf8_lossy(&rec)
            );
            #[cfg(target_arch = "x86_64")]
            {
                let mut sse2 = Vec::new();
                // SAFETY: SSE2 is part of the x86_64 baseline.
                unsafe { split_blocks::<super::super::blocks::Sse2>(&rec, 0, limit, &mut sse2) };
                assert_eq!(sse2, want, "sse2 {:?}", String::from_utf8_lossy(&rec));
            }
            // Resuming after any field gives the rest of the same spans.
            if let Some(k) = (want.len() > 1).then(|| round % (want.len() - 1)) {
                let mut resumed = want[..=k].to_vec();
                split_fields_from(&rec, want[k].1 + 1, limit, &mut resumed);
                assert_eq!(resumed, want, "resume after {k}");
            }
        }
    }

    #[test]
    fn long_fields_cross_blocks() {
        for pad in 0..200 {
            let mut rec = vec![b'x'; pad];
            rec.extend_from_slice(b",\"q,\"\"\",");
            rec.extend(core::iter::repeat_n(b'y', pad % 90));
            rec.extend_from_slice(b",z");
            let mut got = Vec::new();
            split_fields(&rec, usize::MAX, &mut got);
            let mut want = Vec::new();
            split_scalar(&rec, 0, usize::MAX, &mut want);
            assert_eq!(got, want, "pad {pad}");
            assert_eq!(got.len(), 4);
        }
    }
}
