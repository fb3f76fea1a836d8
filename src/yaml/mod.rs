//! YAML with exact byte spans. `parse` turns a file's text into a [`Yaml`]
//! span tree; everything downstream (model, checks, edits) reads that tree
//! and the original text, never a re-serialized form. `same_shape` is the
//! cheap second reading that edit verification tries first; `invariants`
//! states what every tree promises (the tests and the fuzz target hold each
//! parse to it). Parsing stops, as a limit rather than an error, at
//! [`MAX_NODES`] nodes or a flow collection yaml-rust2 would queue whole.

pub mod invariants;
pub mod json;
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
