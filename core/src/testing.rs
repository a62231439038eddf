//! Helpers for the crate's unit tests.

/// A xorshift64 generator: deterministic random inputs for property tests,
/// with no dependency.
pub(crate) struct XorShift(pub(crate) u64);

impl XorShift {
    /// The next state (never 0 when the seed is not 0).
    pub(crate) fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
}
