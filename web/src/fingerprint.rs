//! Telling a file added twice from a new one: its name, its size and a
//! hash of its first and last 64 KiB ([`EDGE_BYTES`]). Reading two small
//! slices is instant even for a 2 GB export; two different exports with the
//! same name and size that also agree on both ends are not a case worth
//! reading the whole file for (and "Scan anyway" reads such a file).

/// How many bytes of each end of a file are hashed (64 KiB).
pub const EDGE_BYTES: u64 = 64 << 10;

/// The byte ranges to read from a file of `size` bytes: its first and last
/// [`EDGE_BYTES`] (the second is empty when the first covers the file).
pub fn edges(size: u64) -> [(u64, u64); 2] {
    let head = size.min(EDGE_BYTES);
    let tail_start = size.saturating_sub(EDGE_BYTES).max(head);
    [(0, head), (tail_start, size)]
}

/// The fingerprint of a file of `size` bytes whose [`edges`] hold `head` and
/// `tail`: 64-bit FNV-1a over the size and both slices (not a cryptographic
/// hash: it tells copies apart from different files, nothing more).
pub fn of(size: u64, head: &[u8], tail: &[u8]) -> u64 {
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let lengths = [size, head.len() as u64, tail.len() as u64];
    for byte in lengths
        .iter()
        .flat_map(|n| n.to_le_bytes())
        .chain(head.iter().copied())
        .chain(tail.iter().copied())
    {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    hash
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fingerprint of `bytes` as the page reads it.
    fn print(bytes: &[u8]) -> u64 {
        let [(h0, h1), (t0, t1)] = edges(bytes.len() as u64);
        of(
            bytes.len() as u64,
            &bytes[h0 as usize..h1 as usize],
            &bytes[t0 as usize..t1 as usize],
        )
    }

    #[test]
    fn edges_cover_small_files_once_and_big_files_at_both_ends() {
        assert_eq!(edges(0), [(0, 0), (0, 0)]);
        assert_eq!(edges(100), [(0, 100), (100, 100)]);
        assert_eq!(
            edges(EDGE_BYTES + 10),
            [(0, EDGE_BYTES), (EDGE_BYTES, EDGE_BYTES + 10)]
        );
        assert_eq!(
            edges(1 << 30),
            [(0, EDGE_BYTES), ((1 << 30) - EDGE_BYTES, 1 << 30)]
        );
    }

    #[test]
    fn copies_agree_and_a_change_at_either_end_does_not() {
        let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 % 251) as u8).collect();
        assert_eq!(print(&big), print(&big.clone()));
        let mut head = big.clone();
        head[10] ^= 1;
        let mut tail = big.clone();
        tail[299_990] ^= 1;
        let mut middle = big.clone();
        middle[150_000] ^= 1;
        assert_ne!(print(&big), print(&head));
        assert_ne!(print(&big), print(&tail));
        // The middle is not read: the name and size must then also agree
        // for the page to call it a duplicate.
        assert_eq!(print(&big), print(&middle));
        assert_ne!(print(b"abc"), print(b"abcd"));
        assert_ne!(print(b""), print(b"\0"));
    }
}
