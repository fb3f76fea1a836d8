//! Preview renderers: `-o table` (aligned columns for people), `-o json`
//! (`{"updates": [...]}` as DESIGN.md fixes it) and `-o yaml` (the same
//! document as YAML).

use crate::model::argo::GenerationChoice;
use crate::preview::Update;

/// The `argocd_image_updater` key of the JSON and YAML documents: which
/// generation's semantics preview applied, and why.
fn generation(argo: &GenerationChoice) -> serde_json::Value {
    serde_json::json!({
        "generation": argo.generation.as_str(),
        "reason": argo.reason(),
    })
}

pub fn json(updates: &[Update], argo: Option<&GenerationChoice>) -> String {
    let mut doc = serde_json::json!({ "updates": updates });
    if let Some(argo) = argo {
        doc["argocd_image_updater"] = generation(argo);
    }
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_else(|_| "{}".to_owned());
    s.push('\n');
    s
}

/// JSON strings are valid YAML double-quoted scalars, so quoting every
/// string that way keeps values such as `1.10` or `yes` strings.
pub fn yaml(updates: &[Update], argo: Option<&GenerationChoice>) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_else(|_| "\"\"".to_owned());
    let opt = |s: &Option<String>| s.as_deref().map_or_else(|| "null".to_owned(), q);
    let mut out = String::new();
    if let Some(argo) = argo {
        out.push_str(&format!(
            "argocd_image_updater:\n  generation: {}\n  reason: {}\n",
            q(argo.generation.as_str()),
            q(&argo.reason())
        ));
    }
    if updates.is_empty() {
        out.push_str("updates: []\n");
        return out;
    }
    out.push_str("updates:\n");
    for u in updates {
        out.push_str(&format!("- file: {}\n", q(&u.file)));
        out.push_str(&format!("  line: {}\n", u.line));
        out.push_str(&format!("  source: {}\n", q(u.source)));
        out.push_str(&format!("  image: {}\n", q(&u.image)));
        out.push_str(&format!("  current: {}\n", opt(&u.current)));
        out.push_str(&format!("  candidate: {}\n", opt(&u.candidate)));
        out.push_str(&format!("  policy: {}\n", q(&u.policy)));
        out.push_str(&format!("  changed: {}\n", u.changed));
        out.push_str(&format!("  reason: {}\n", opt(&u.reason)));
    }
    out
}

/// `sha256:0e5da6ec77c9…`: a table row fits a screen; JSON and YAML keep
/// the whole digest.
fn short(value: &str) -> String {
    let Some(at) = value.find("sha256:") else {
        return value.to_owned();
    };
    let hex_start = at + "sha256:".len();
    let hex_len = value[hex_start..]
        .chars()
        .take_while(char::is_ascii_hexdigit)
        .count();
    if hex_len < 64 {
        return value.to_owned();
    }
    format!(
        "{}{}…{}",
        &value[..hex_start],
        &value[hex_start..hex_start + 12],
        &value[hex_start + hex_len..]
    )
}

pub fn table(updates: &[Update]) -> String {
    let header = [
        "LOCATION",
        "SOURCE",
        "IMAGE",
        "CURRENT",
        "CANDIDATE",
        "POLICY",
    ];
    let rows: Vec<[String; 6]> = updates
        .iter()
        .map(|u| {
            let candidate = match (&u.candidate, &u.reason) {
                (Some(c), Some(r)) if u.changed => format!("{} (update; {r})", short(c)),
                (Some(c), Some(r)) => format!("{} (up to date; {r})", short(c)),
                (Some(c), _) if u.changed => format!("{} (update)", short(c)),
                (Some(c), _) => format!("{} (up to date)", short(c)),
                (None, Some(r)) => format!("- ({r})"),
                (None, None) => "-".to_owned(),
            };
            [
                format!("{}:{}", u.file, u.line),
                u.source.to_owned(),
                u.image.clone(),
                u.current.as_deref().map_or_else(|| "-".to_owned(), short),
                candidate,
                u.policy.clone(),
            ]
        })
        .collect();
    super::table::aligned(&header, &rows)
}

#[cfg(test)]
mod tests {
    use super::short;

    #[test]
    fn digests_are_shortened_for_tables() {
        let d = format!("sha256:{}", "ab".repeat(32));
        assert_eq!(short(&d), "sha256:abababababab…");
        assert_eq!(
            short(&format!("app:1.0@{d}")),
            "app:1.0@sha256:abababababab…"
        );
        assert_eq!(short("sha256:abc"), "sha256:abc");
        assert_eq!(short("nginx:1.25"), "nginx:1.25");
    }
}
