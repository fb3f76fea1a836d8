//! The `kubectl-imageupdate` binary: a thin shell around [`imageupdate::cli`]
//! that turns a panic into exit code 2, so a crash never looks like "no
//! findings" (0) or "findings" (1).

use std::process::ExitCode;

fn main() -> ExitCode {
    match std::panic::catch_unwind(imageupdate::cli::main) {
        Ok(code) => code,
        Err(_) => {
            eprintln!(
                "error: internal error (this is a bug in kubectl-imageupdate; please report it)"
            );
            ExitCode::from(2)
        }
    }
}
