//! Unified diffs of planned changes (`apply --diff`), through `similar`
//! (the diff engine insta and many Rust tools use). Colour is added by
//! the caller's choice, never guessed here.

use super::FileChange;

/// A `git diff`-style unified diff of one file change (3 lines of context).
pub fn unified(change: &FileChange, original: Option<&str>, color: bool) -> String {
    let old = original.unwrap_or("");
    let new_text = change.new_text.as_str();
    let (from, to) = match original {
        Some(_) => (format!("a/{}", change.path), format!("b/{}", change.path)),
        None => ("/dev/null".to_owned(), format!("b/{}", change.path)),
    };
    let diff = similar::TextDiff::from_lines(old, new_text);
    let body = diff
        .unified_diff()
        .context_radius(3)
        .header(&from, &to)
        .to_string();
    if !color {
        return body;
    }
    body.lines()
        .map(|l| {
            let code = if l.starts_with("+++") || l.starts_with("---") {
                "1"
            } else if l.starts_with('+') {
                "32"
            } else if l.starts_with('-') {
                "31"
            } else if l.starts_with("@@") {
                "36"
            } else {
                return format!("{l}\n");
            };
            format!("\x1b[{code}m{l}\x1b[0m\n")
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_both_sides_and_shows_the_line() {
        let change = FileChange {
            path: "apps/a.yaml".into(),
            new_text: "a: 1\nb: 3\n".into(),
            ..FileChange::default()
        };
        let d = unified(&change, Some("a: 1\nb: 2\n"), false);
        assert_eq!(
            d,
            "--- a/apps/a.yaml\n+++ b/apps/a.yaml\n@@ -1,2 +1,2 @@\n a: 1\n-b: 2\n+b: 3\n"
        );
        let colored = unified(&change, Some("a: 1\nb: 2\n"), true);
        assert!(colored.contains("\x1b[32m+b: 3\x1b[0m"));
    }
}
