//! The git flags of `apply` (`--commit`, `--push`, `--clone`, …) and the
//! messages a CI log shows. Parses flags into
//! [`crate::git::writeback::Options`], runs the write-back, prints one
//! line saying what happened, and returns the exit code:
//! - `0`: committed, pushed, nothing to do, or the remote already had the
//!   wanted values;
//! - `2`: anything else (bad flags or template, dirty files, conflict, gave
//!   up, refused, authentication or network failure).
//!
//! Code `1` is not used: it means "findings" for `validate` and "updates
//! available" for `preview --exit-code`, neither of which applies here.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::git::message::MessageContext;
use crate::git::writeback::{self, CloneSpec, Options};
use crate::git::{ApplyFn, ErrorKind, GitError, Outcome};

#[derive(Debug, Default, Clone, clap::Args)]
#[command(next_help_heading = "Git")]
#[command(group(clap::ArgGroup::new("git_action").multiple(true)))]
pub struct GitArgs {
    /// Commit exactly the files apply changed.
    #[arg(long, group = "git_action")]
    pub commit: bool,
    /// Commit even if the files apply changes had uncommitted changes
    /// (they are committed whole).
    #[arg(long, requires = "git_action")]
    pub allow_dirty: bool,
    /// Sign the commit (OpenPGP, X.509 or SSH per git's gpg.format and
    /// user.signingkey). Default: git config commit.gpgsign.
    #[arg(long, overrides_with = "no_sign", requires = "git_action")]
    pub sign: bool,
    /// Do not sign, whatever commit.gpgsign says.
    #[arg(long, overrides_with = "sign", requires = "git_action")]
    pub no_sign: bool,
    /// Commit author; default: GIT_AUTHOR_NAME/GIT_AUTHOR_EMAIL, then git
    /// config user.name/user.email.
    #[arg(long, value_name = "NAME <EMAIL>", requires = "git_action")]
    pub author: Option<String>,
    /// Committer; default: GIT_COMMITTER_*, git config, else the author.
    #[arg(long, value_name = "NAME <EMAIL>", requires = "git_action")]
    pub committer: Option<String>,
    /// Commit message as a Go text/template (Flux `.Changed…` and Argo CD
    /// `.AppName`/`.AppChanges` data are both available).
    #[arg(
        long,
        value_name = "TEMPLATE",
        conflicts_with = "message_template_file",
        requires = "git_action"
    )]
    pub message_template: Option<String>,
    /// Read the commit message template from a file.
    #[arg(long, value_name = "FILE", requires = "git_action")]
    pub message_template_file: Option<PathBuf>,
    /// A `.Values` entry for the template (Flux messageTemplateValues).
    /// Repeatable.
    #[arg(
        long = "template-value",
        value_name = "KEY=VALUE",
        requires = "git_action"
    )]
    pub template_values: Vec<String>,
    /// `.AutomationObject` for the template.
    #[arg(long, value_name = "NAMESPACE/NAME", requires = "git_action")]
    pub automation: Option<String>,
    /// `.AppName` for the template when no change names an Application.
    #[arg(long, value_name = "NAME", requires = "git_action")]
    pub app_name: Option<String>,
    /// Push the commit (implies --commit). Never forced: when the remote
    /// moved, fetch, re-plan on its tip and push again.
    #[arg(long, group = "git_action")]
    pub push: bool,
    /// Branch to commit on and push to (default: the current branch, or
    /// --ref with --clone).
    #[arg(long, value_name = "BRANCH", requires = "push")]
    pub branch: Option<String>,
    /// Start --branch from this remote branch when the remote lacks it.
    #[arg(long, value_name = "BRANCH", requires = "branch")]
    pub base: Option<String>,
    /// Remote to push to.
    #[arg(long, value_name = "NAME", default_value = "origin")]
    pub remote: String,
    /// Pushes to try when the remote keeps moving.
    #[arg(long, value_name = "N", default_value_t = writeback::DEFAULT_MAX_ATTEMPTS,
          value_parser = clap::value_parser!(u32).range(1..=100))]
    pub max_attempts: u32,
    /// Work in a cached clone of this repository instead of the current
    /// folder (for scheduled jobs and CI). Implies --commit.
    #[arg(long, value_name = "URL", group = "git_action")]
    pub clone: Option<String>,
    /// Branch of --clone to start from (default: the remote's default
    /// branch).
    #[arg(long = "ref", value_name = "BRANCH", requires = "clone")]
    pub git_ref: Option<String>,
    /// Where --clone keeps its working copy (default: the user cache,
    /// kubectl-imageupdate/clones/`<hash of URL>`).
    #[arg(long, value_name = "DIR", requires = "clone")]
    pub clone_dir: Option<PathBuf>,
    /// Environment variable holding an HTTPS token or password.
    #[arg(long, value_name = "VAR", requires = "git_action")]
    pub token_env: Option<String>,
    /// User name sent with --token-env (default: the URL's, else
    /// x-access-token).
    #[arg(long, value_name = "NAME", requires = "token_env")]
    pub token_user: Option<String>,
}

impl GitArgs {
    /// Whether apply must go through git.
    pub fn wants_git(&self) -> bool {
        self.commit || self.push || self.clone.is_some()
    }

    /// The template source, read from the file when given.
    pub fn template(&self) -> Result<Option<String>, GitError> {
        match (&self.message_template, &self.message_template_file) {
            (Some(t), _) => Ok(Some(t.clone())),
            (None, Some(f)) => std::fs::read_to_string(f).map(Some).map_err(|e| {
                GitError::new(
                    ErrorKind::Usage,
                    format!("--message-template-file {}: {e}", f.display()),
                )
            }),
            (None, None) => Ok(None),
        }
    }

    /// Checks flags and the template; call before apply writes anything.
    pub fn check(&self) -> Result<(), GitError> {
        self.options().map(|_| ())
    }

    /// The write-back options these flags ask for.
    pub fn options(&self) -> Result<Options, GitError> {
        let usage = |m: String| GitError::new(ErrorKind::Usage, m);
        let template = self.template()?;
        if let Some(t) = &template {
            crate::git::message::check_template(t)?;
        }
        let mut values = BTreeMap::new();
        for kv in &self.template_values {
            let (k, v) = kv
                .split_once('=')
                .ok_or_else(|| usage(format!("--template-value {kv:?}: expected KEY=VALUE")))?;
            values.insert(k.to_owned(), v.to_owned());
        }
        let automation = match &self.automation {
            None => None,
            Some(a) => Some(
                a.split_once('/')
                    .map(|(n, m)| (n.to_owned(), m.to_owned()))
                    .ok_or_else(|| usage(format!("--automation {a:?}: expected NAMESPACE/NAME")))?,
            ),
        };
        if let Some(a) = &self.author {
            crate::git::repo::parse_ident(a).map_err(|e| e.prefixed("--author "))?;
        }
        if let Some(c) = &self.committer {
            crate::git::repo::parse_ident(c).map_err(|e| e.prefixed("--committer "))?;
        }
        Ok(Options {
            push: self.push,
            allow_dirty: self.allow_dirty,
            sign: if self.sign {
                Some(true)
            } else if self.no_sign {
                Some(false)
            } else {
                None
            },
            author: self.author.clone(),
            committer: self.committer.clone(),
            template,
            context: MessageContext {
                automation,
                values,
                app_name: self.app_name.clone(),
            },
            branch: self.branch.clone(),
            base: self.base.clone(),
            remote: self.remote.clone(),
            max_attempts: self.max_attempts,
            token_env: self.token_env.clone(),
            token_user: self.token_user.clone(),
            clone: self.clone.as_ref().map(|url| CloneSpec {
                url: url.clone(),
                git_ref: self.git_ref.clone(),
                dir: self.clone_dir.clone(),
            }),
            ..Options::default()
        })
    }
}

/// Runs apply → commit (→ push) and prints the outcome on stderr. With
/// `--clone`, `root` is ignored.
pub fn run(args: &GitArgs, root: &Path, apply: &mut ApplyFn) -> u8 {
    let opts = match args.options() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {}", crate::git::push::redact(&e.message));
            return super::EXIT_ERROR;
        }
    };
    let mut log = |line: &str| eprintln!("{}", crate::git::push::redact(line));
    match writeback::write_back(root, &opts, apply, &mut log) {
        Ok(outcome) => {
            eprintln!("{}", describe(&outcome));
            super::EXIT_CLEAN
        }
        Err(e) => {
            eprintln!("error: {}", crate::git::push::redact(&e.message));
            super::EXIT_ERROR
        }
    }
}

/// The one line a CI log shows for a successful run.
pub fn describe(outcome: &Outcome) -> String {
    let short = |c: &str| c.get(..7).unwrap_or(c).to_owned();
    match outcome {
        Outcome::NothingToDo => {
            "nothing to do: every value is already current; nothing committed".into()
        }
        Outcome::Committed { commit, branch } => {
            format!("committed {} on {branch} (not pushed)", short(commit))
        }
        Outcome::Pushed {
            commit,
            branch,
            attempts,
        } => {
            let tries = if *attempts == 1 {
                String::new()
            } else {
                format!(" after {attempts} attempts")
            };
            format!("pushed commit {} to {branch}{tries}", short(commit))
        }
        Outcome::RemoteHasValues { branch, .. } => {
            format!("remote already has the wanted values on {branch}; nothing pushed")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct T {
        #[command(flatten)]
        git: GitArgs,
    }

    #[test]
    fn flags_parse_into_options() {
        let t = T::try_parse_from([
            "x",
            "--push",
            "--branch",
            "b",
            "--base",
            "main",
            "--author",
            "Bot <bot@example.com>",
            "--template-value",
            "env=prod",
            "--automation",
            "flux-system/auto",
            "--message-template",
            "{{ .AutomationObject }} {{ .Values.env }}",
            "--max-attempts",
            "3",
        ])
        .unwrap();
        assert!(t.git.wants_git());
        let o = t.git.options().unwrap();
        assert!(o.push && o.max_attempts == 3);
        assert_eq!(o.context.values["env"], "prod");
        assert_eq!(
            o.context.automation,
            Some(("flux-system".into(), "auto".into()))
        );
        assert!(T::try_parse_from(["x", "--base", "main"]).is_err());
        assert!(T::try_parse_from(["x", "--ref", "main"]).is_err());
        assert!(!T::try_parse_from(["x"]).unwrap().git.wants_git());
        // Git-only flags without --commit, --push or --clone are refused.
        assert!(T::try_parse_from(["x", "--sign"]).is_err());
        assert!(T::try_parse_from(["x", "--author", "A <a@b>"]).is_err());
        assert!(T::try_parse_from(["x", "--clone", "file:///r", "--sign"]).is_ok());
        assert!(T::try_parse_from(["x", "--clone", "file:///r", "--push", "--commit"]).is_ok());
        let bad =
            T::try_parse_from(["x", "--commit", "--message-template", "{{ .Nope }}"]).unwrap();
        assert!(
            bad.git
                .check()
                .unwrap_err()
                .message
                .contains("can't evaluate field Nope")
        );
        let t = T::try_parse_from(["x", "--commit", "--sign", "--no-sign"]).unwrap();
        assert_eq!(t.git.options().unwrap().sign, Some(false));
    }

    #[test]
    fn outcome_lines() {
        assert_eq!(
            describe(&Outcome::Pushed {
                commit: "0123456789abcdef".into(),
                branch: "main".into(),
                attempts: 1
            }),
            "pushed commit 0123456 to main"
        );
        assert_eq!(
            describe(&Outcome::RemoteHasValues {
                branch: "main".into(),
                attempts: 2
            }),
            "remote already has the wanted values on main; nothing pushed"
        );
    }
}
