//! `completion SHELL` prints a completion script for bash, zsh, fish (and
//! the other shells clap_complete knows); the hidden `__complete WORDS...`
//! prints candidates one per line for `scripts/kubectl_complete-imageupdate`,
//! the hook kubectl (>= 1.26) runs to complete `kubectl imageupdate <TAB>`.

use clap::CommandFactory;
use clap_complete::Shell;

use super::{Cli, EXIT_CLEAN, print};

/// The name the generated scripts register completion for. The clap
/// command's `bin_name` is `kubectl imageupdate` (for usage lines), but a
/// shell can only attach completion to a single word: the binary as it is
/// invoked directly. `kubectl imageupdate` is completed by kubectl itself
/// through the `kubectl_complete-imageupdate` hook.
pub const BIN: &str = "kubectl-imageupdate";

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The shell to print a completion script for.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, clap::Args)]
pub struct CompleteArgs {
    /// The words after `kubectl imageupdate`, the last one being the
    /// (possibly empty) word under the cursor.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub words: Vec<String>,
}

pub fn run(args: Args) -> u8 {
    let mut cmd = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, BIN, &mut out);
    let mut script = String::from_utf8_lossy(&out).into_owned();
    if args.shell == Shell::Bash {
        // clap_complete 4.6 names a subcommand's state `kubectl__imageupdate__subcmd__validate`
        // where it is entered but `kubectl__subcmd__imageupdate__subcmd__validate` where its
        // flags are listed (it maps the `-` of a bin name to `__` in one place, to `__subcmd__`
        // in the other), so no subcommand flag would ever complete.
        script = script.replace("kubectl__subcmd__imageupdate", "kubectl__imageupdate");
    }
    print(&script);
    EXIT_CLEAN
}

/// Cobra's completion directives, which kubectl reads from the last output
/// line of a plugin's completion hook.
const DIRECTIVE_DEFAULT: u8 = 0; // fall back to file names
const DIRECTIVE_NO_FILE: u8 = 4; // the candidates are all there is

pub fn complete(args: CompleteArgs) -> u8 {
    let (candidates, directive) = candidates(&args.words);
    let mut out = String::new();
    for c in candidates {
        out.push_str(&c);
        out.push('\n');
    }
    out.push_str(&format!(":{directive}\n"));
    print(&out);
    EXIT_CLEAN
}

/// Candidates for the last of `words`, from the clap definition so they
/// never drift from the real flags and subcommands.
pub fn candidates(words: &[String]) -> (Vec<String>, u8) {
    let root = Cli::command();
    let (current, before) = match words.split_last() {
        Some((last, before)) => (last.as_str(), before),
        None => ("", &[][..]),
    };
    // The subcommand is the first word naming one; global flags may precede it.
    let sub = before
        .iter()
        .find_map(|w| root.get_subcommands().find(|s| s.get_name() == w));
    let cmd = sub.unwrap_or(&root);

    // A value for the flag just before: its fixed values if it has any.
    if let Some(prev) = before.last().filter(|p| p.starts_with('-'))
        && let Some(arg) = cmd
            .get_arguments()
            .chain(root.get_arguments())
            .find(|a| flag_matches(a, prev))
            .filter(|a| a.get_action().takes_values())
    {
        let values: Vec<String> = arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(|v| v.get_name().to_owned())
            .filter(|v| v.starts_with(current))
            .collect();
        return if values.is_empty() {
            (values, DIRECTIVE_DEFAULT)
        } else {
            (values, DIRECTIVE_NO_FILE)
        };
    }

    if current.starts_with('-') {
        let mut flags: Vec<String> = cmd
            .get_arguments()
            .chain(root.get_arguments().filter(|a| a.is_global_set()))
            .filter(|a| !a.is_hide_set() && !a.is_positional())
            .flat_map(|a| {
                let long = a.get_long().map(|l| format!("--{l}"));
                let short = a.get_short().map(|s| format!("-{s}"));
                long.into_iter().chain(short)
            })
            .chain(["--help".to_owned()])
            .filter(|f| f.starts_with(current))
            .collect();
        flags.sort();
        flags.dedup();
        return (flags, DIRECTIVE_NO_FILE);
    }

    if sub.is_none() {
        let names = root
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .map(|s| s.get_name().to_owned())
            .filter(|n| n.starts_with(current))
            .collect();
        return (names, DIRECTIVE_NO_FILE);
    }
    // A positional of a subcommand: paths, which the shell completes.
    (Vec::new(), DIRECTIVE_DEFAULT)
}

fn flag_matches(arg: &clap::Arg, word: &str) -> bool {
    if let Some(long) = word.strip_prefix("--") {
        arg.get_long() == Some(long)
    } else if let Some(short) = word.strip_prefix('-') {
        let mut chars = short.chars();
        matches!((chars.next(), chars.next()), (Some(c), None) if arg.get_short() == Some(c))
    } else {
        false
    }
}
