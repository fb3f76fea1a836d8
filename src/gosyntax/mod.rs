//! Go syntaxes that GitOps controllers evaluate, judged the way Go judges
//! them: `time.ParseDuration` and the Flux duration patterns, RE2 regexps
//! and `Regexp.Expand` templates, `path/filepath.Match` globs,
//! `text/template` sources (parsed once, then checked or executed), and the
//! `strconv` number and string rules they share. This is the one home of
//! Go ports: a second copy elsewhere is a bug.
//!
//! Everything here is pure: strings in, verdicts and byte ranges out. No
//! module knows about YAML, CRDs or diagnostics; the checks that use them
//! decide what a verdict means for a given field.

pub mod duration;
pub mod exec;
pub mod glob;
pub mod regex;
pub mod strconv;
pub mod template;
