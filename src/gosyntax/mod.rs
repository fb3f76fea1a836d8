//! Go syntaxes that GitOps controllers evaluate, judged the way Go judges
//! them: `time.ParseDuration` and the Flux duration patterns, RE2 regexps
//! and `Regexp.Expand` templates, `path/filepath.Match` globs, and
//! `text/template` sources.
//!
//! Everything here is pure: strings in, verdicts and byte ranges out. No
//! module knows about YAML, CRDs or diagnostics; the checks that use them
//! decide what a verdict means for a given field.

pub mod duration;
pub mod glob;
pub mod regex;
pub mod template;

#[cfg(test)]
pub(crate) mod tests_support {
    /// A SplitMix64 generator: enough to drive the no-panic loops
    /// deterministically without a dev-dependency.
    pub struct Rng(u64);

    impl Rng {
        pub fn new(seed: u64) -> Self {
            Self(seed)
        }

        pub fn next_u64(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        pub fn below(&mut self, n: usize) -> usize {
            (self.next_u64() % n.max(1) as u64) as usize
        }

        /// A string of up to `max_len` characters drawn from `alphabet`.
        pub fn string_from(&mut self, alphabet: &str, max_len: usize) -> String {
            let chars: Vec<char> = alphabet.chars().collect();
            let len = self.below(max_len + 1);
            (0..len).map(|_| chars[self.below(chars.len())]).collect()
        }
    }
}
