//! YAML with exact byte spans. `parse` turns a file's text into a [`Yaml`]
//! span tree; everything downstream (model, checks, edits) reads that tree
//! and the original text, never a re-serialized form.

mod marker;
mod parse;
mod scan;
pub mod span;
mod tree;

#[cfg(test)]
mod tests;

pub use parse::parse;
pub use span::{LineCol, LineIndex, Span};
pub use tree::*;
