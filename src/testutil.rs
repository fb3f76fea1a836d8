//! Test support shared by the unit tests: a deterministic pseudo-random
//! generator for the "never panic on any input" loops, so those tests are
//! reproducible without a dependency.

/// xorshift64*. The seed must not be zero.
pub(crate) struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed.max(1))
    }

    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.next()
    }

    /// Uniform-enough index below `n` (0 when `n` is 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// A string of up to `max_len` characters drawn from `alphabet`.
    pub fn string_from(&mut self, alphabet: &str, max_len: usize) -> String {
        let chars: Vec<char> = alphabet.chars().collect();
        let len = self.below(max_len + 1);
        (0..len).map(|_| chars[self.below(chars.len())]).collect()
    }
}
