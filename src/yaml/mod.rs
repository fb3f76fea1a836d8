//! YAML with exact byte spans. `parse` turns a file's text into a [`Yaml`]
//! span tree; everything downstream (model, checks, edits) reads that tree
//! and the original text, never a re-serialized form. `same_shape` is the
//! cheap second reading that edit verification tries first.

pub mod invariants;
mod marker;
mod parse;
mod scan;
mod shape;
pub mod span;
mod tree;

#[cfg(test)]
mod tests;

pub use parse::{MAX_NODES, parse};
pub use shape::same_shape;
pub use span::{LineCol, LineIndex, Span};
pub use tree::*;
