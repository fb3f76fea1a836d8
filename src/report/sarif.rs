//! `--format sarif`: a SARIF 2.1.0 log (OASIS schema) for code-scanning
//! uploads, built from typed structs so every key is spelt once.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use super::position;
use crate::diagnostic::{Diagnostic, Severity};
use crate::discover::Workspace;
use crate::rules::{ALL, Rule};

const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

#[derive(Serialize)]
struct Log<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    version: &'static str,
    runs: [Run<'a>; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Run<'a> {
    tool: Tool,
    /// Our columns count Unicode characters, not UTF-16 units; saying so
    /// keeps viewers from shifting highlights on non-ASCII lines.
    column_kind: &'static str,
    results: Vec<SarifResult<'a>>,
}

#[derive(Serialize)]
struct Tool {
    driver: Driver,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Driver {
    name: &'static str,
    version: &'static str,
    semantic_version: &'static str,
    information_uri: &'static str,
    rules: Vec<Descriptor>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Descriptor {
    id: &'static str,
    name: &'static str,
    short_description: Text<'static>,
    full_description: Text<'static>,
    help: Text<'static>,
    default_configuration: Configuration,
}

#[derive(Serialize)]
struct Configuration {
    level: &'static str,
}

#[derive(Serialize)]
struct Text<'a> {
    text: &'a str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct SarifResult<'a> {
    rule_id: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    rule_index: Option<usize>,
    level: &'static str,
    message: Text<'a>,
    locations: Vec<Location<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    related_locations: Vec<Location<'a>>,
    partial_fingerprints: BTreeMap<&'static str, String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Location<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<usize>,
    physical_location: PhysicalLocation,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<Text<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PhysicalLocation {
    artifact_location: ArtifactLocation,
    region: Region,
}

#[derive(Serialize)]
struct ArtifactLocation {
    uri: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Region {
    start_line: usize,
    start_column: usize,
    end_line: usize,
    end_column: usize,
}

pub(super) fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Info => "note",
    }
}

fn descriptor(r: &'static Rule) -> Descriptor {
    Descriptor {
        id: r.code,
        name: r.name,
        short_description: Text { text: r.summary },
        full_description: Text { text: r.doc },
        help: Text {
            text: r.help.unwrap_or(r.summary),
        },
        default_configuration: Configuration {
            level: level(r.severity),
        },
    }
}

/// SARIF `uri` is an RFC 3986 reference: spaces and `%` must be encoded,
/// and a `:` in the first segment would read as a scheme, so everything but
/// unreserved characters, sub-delimiters, `@` and `/` is percent-encoded.
pub(super) fn uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/!$&'()*+,;=@".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn physical(ws: &Workspace, d: &Diagnostic) -> PhysicalLocation {
    let pos = position(ws, d);
    PhysicalLocation {
        artifact_location: ArtifactLocation {
            uri: uri(&ws.files[d.file].path),
        },
        region: Region {
            start_line: pos.start.line,
            start_column: pos.start.column,
            end_line: pos.end.line,
            end_column: pos.end.column,
        },
    }
}

/// FNV-1a 64: fixed across Rust versions and platforms, unlike
/// `DefaultHasher`, so fingerprints survive a toolchain upgrade.
pub(super) fn fnv1a(data: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in data {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Per finding: the hash of code, path and the (trimmed) flagged line, and
/// how many earlier findings share it (1-based). Keyed on text, not line
/// number, so a finding keeps its identity when lines are added above it.
pub(super) fn fingerprints(ws: &Workspace, diagnostics: &[Diagnostic]) -> Vec<(String, usize)> {
    let mut seen: HashMap<String, usize> = HashMap::new();
    diagnostics
        .iter()
        .map(|d| {
            let file = &ws.files[d.file];
            let line = position(ws, d).start.line;
            let text = file.text.lines().nth(line.saturating_sub(1)).unwrap_or("");
            let key = format!("{}\0{}\0{}", d.rule.code, file.path, text.trim());
            let hash = format!("{:016x}", fnv1a(key.as_bytes()));
            let n = seen.entry(hash.clone()).or_insert(0);
            *n += 1;
            (hash, *n)
        })
        .collect()
}

pub fn render(ws: &Workspace, diagnostics: &[Diagnostic]) -> String {
    let prints = fingerprints(ws, diagnostics);
    let results = diagnostics
        .iter()
        .zip(prints)
        .map(|(d, (hash, n))| {
            let related_locations = d
                .related
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    let at = Diagnostic {
                        file: r.file,
                        span: r.span,
                        ..d.clone()
                    };
                    Location {
                        id: Some(i + 1),
                        physical_location: physical(ws, &at),
                        message: Some(Text { text: &r.message }),
                    }
                })
                .collect();
            SarifResult {
                rule_id: d.rule.code,
                rule_index: ALL.iter().position(|r| r.code == d.rule.code),
                level: level(d.severity),
                message: Text { text: &d.message },
                locations: vec![Location {
                    id: None,
                    physical_location: physical(ws, d),
                    message: None,
                }],
                related_locations,
                partial_fingerprints: BTreeMap::from([(
                    "primaryLocationLineHash",
                    format!("{hash}:{n}"),
                )]),
            }
        })
        .collect();
    let log = Log {
        schema: SCHEMA,
        version: "2.1.0",
        runs: [Run {
            tool: Tool {
                driver: Driver {
                    name: "kubectl-imageupdate",
                    version: env!("CARGO_PKG_VERSION"),
                    semantic_version: env!("CARGO_PKG_VERSION"),
                    information_uri: env!("CARGO_PKG_REPOSITORY"),
                    rules: ALL.iter().copied().map(descriptor).collect(),
                },
            },
            column_kind: "unicodeCodePoints",
            results,
        }],
    };
    let mut s = serde_json::to_string_pretty(&log).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::{fnv1a, uri};

    #[test]
    fn fnv1a_matches_the_reference_vectors() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[test]
    fn uris_encode_what_rfc3986_reserves() {
        assert_eq!(uri("apps/a b/x.yaml"), "apps/a%20b/x.yaml");
        assert_eq!(uri("a:b,c%d/é"), "a%3Ab,c%25d/%C3%A9");
    }
}
