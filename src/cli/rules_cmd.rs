//! `rules` and `explain CODE`: the rule documentation from the registry.

use super::{EXIT_CLEAN, EXIT_ERROR, print};
use crate::rules::{self, Rule};

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// A rule code (IU105) or name (marker-policy-not-found).
    pub rule: String,
}

pub fn rules(args: RulesArgs) -> u8 {
    if args.json {
        let list: Vec<_> = rules::ALL
            .iter()
            .map(|r| {
                serde_json::json!({
                    "code": r.code, "name": r.name, "severity": r.severity.as_str(),
                    "severities": r.severities().map(|s| s.as_str()).collect::<Vec<_>>(),
                    "summary": r.summary, "help": r.help, "doc": r.doc,
                })
            })
            .collect();
        print(&format!("{}\n", serde_json::Value::Array(list)));
        return EXIT_CLEAN;
    }
    let width = rules::ALL.iter().map(|r| r.name.len()).max().unwrap_or(0);
    let mut out = String::new();
    for r in rules::ALL {
        out.push_str(&format!(
            "{}  {:<width$}  {:<7}  {}\n",
            r.code,
            r.name,
            r.severity.as_str(),
            r.summary
        ));
    }
    print(&out);
    EXIT_CLEAN
}

pub fn explain(args: ExplainArgs) -> u8 {
    match rules::find(&args.rule) {
        Some(rule) => {
            print(&explain_text(rule));
            EXIT_CLEAN
        }
        None => {
            eprintln!(
                "error: no rule {:?}; `kubectl imageupdate rules` lists them",
                args.rule
            );
            EXIT_ERROR
        }
    }
}

fn explain_text(r: &Rule) -> String {
    let also: Vec<&str> = r.also.iter().map(|s| s.as_str()).collect();
    let severity = if also.is_empty() {
        r.severity.as_str().to_owned()
    } else {
        format!(
            "{} (some findings: {})",
            r.severity.as_str(),
            also.join(", ")
        )
    };
    let mut s = format!(
        "{} ({}) — {}\n\nDefault severity: {severity}\n\n{}\n",
        r.code, r.name, r.summary, r.doc
    );
    if let Some(help) = r.help {
        s.push_str(&format!("\nHow to fix: {help}\n"));
    }
    s.push_str(&format!(
        "\nSuppress one finding with a comment on its line or the line above:\n  # imageupdate: ignore[{}]\n",
        r.code
    ));
    s
}
