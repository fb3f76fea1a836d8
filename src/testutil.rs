//! Test support shared by the unit tests: a deterministic pseudo-random
//! generator for the "never panic on any input" loops, so those tests are
//! reproducible without a dependency, and small repositories on disk
//! ([`repo`]) or in memory ([`workspace`]).

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

/// How [`Rng::mutate`] damages a text.
pub(crate) struct Mutation<'a> {
    /// Fragments inserted at random places.
    pub inserts: &'a [&'a str],
    /// Up to this many edits, at least one.
    pub max_edits: usize,
    /// Longest deletion and longest copied chunk, in bytes.
    pub max_cut: usize,
    pub max_copy: usize,
    /// Characters for random junk insertions (none when `None`).
    pub junk: Option<&'a str>,
}

/// The largest char boundary at or below `i`.
pub(crate) fn floor_boundary(s: &str, mut i: usize) -> usize {
    i = i.min(s.len());
    while !s.is_char_boundary(i) {
        i -= 1;
    }
    i
}

impl Rng {
    /// `src` after a few random truncations, deletions, insertions and
    /// copied chunks: inputs near the valid ones that parsers must survive.
    pub fn mutate(&mut self, src: &str, m: &Mutation) -> String {
        let mut s = src.to_owned();
        for _ in 0..1 + self.below(m.max_edits) {
            let at = floor_boundary(&s, self.below(s.len() + 1));
            match self.below(if m.junk.is_some() { 6 } else { 5 }) {
                0 => s.truncate(at),
                1 => {
                    let end = floor_boundary(&s, at + self.below(m.max_cut));
                    s.replace_range(at..end.max(at), "");
                }
                2 | 3 => s.insert_str(at, m.inserts[self.below(m.inserts.len())]),
                4 => {
                    let end = floor_boundary(&s, at + self.below(m.max_copy)).max(at);
                    let chunk = s[at..end].to_owned();
                    let to = floor_boundary(&s, self.below(s.len() + 1));
                    s.insert_str(to, &chunk);
                }
                _ => {
                    let junk = self.string_from(m.junk.unwrap_or(" "), 10);
                    s.insert_str(at, &junk);
                }
            }
        }
        s
    }
}

/// A repository on disk (a temporary folder) holding `files`.
#[allow(clippy::disallowed_methods)] // fixtures on disk
pub(crate) fn repo(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

/// A repository held in memory, every file parsed and reported.
pub(crate) fn workspace(files: &[(&str, &str)]) -> crate::discover::Workspace {
    let mut files: Vec<crate::discover::SourceFile> = files
        .iter()
        .map(|(path, text)| crate::discover::SourceFile {
            path: (*path).to_owned(),
            abs: std::path::PathBuf::from(path),
            text: (*text).to_owned(),
            yaml: Some(crate::yaml::parse(text)),
            report: true,
        })
        .collect();
    files.sort_by(|a, b| a.path.cmp(&b.path));
    crate::discover::Workspace {
        root: std::path::PathBuf::from("."),
        files,
        diagnostics: Vec::new(),
    }
}
