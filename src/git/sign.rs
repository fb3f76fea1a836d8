//! Commit signing the way git does it, for commits git2 builds.
//!
//! Reads git's keys: `commit.gpgsign` (when neither `--sign` nor
//! `--no-sign` is given), `gpg.format` (`openpgp`, `x509`, `ssh`),
//! `gpg.program` / `gpg.openpgp.program`, `gpg.x509.program`,
//! `gpg.ssh.program`, `user.signingkey` and `gpg.ssh.defaultKeyCommand`.
//! - OpenPGP / X.509: `<program> --status-fd=2 -bsau <key>` with the commit
//!   buffer on stdin; the key defaults to the committer's `Name <email>`;
//!   success needs `[GNUPG:] SIG_CREATED` on the status stream, as in git.
//! - SSH: `<program> -Y sign -n git -f <key file> [-U] <buffer file>`; a
//!   literal key (`key::ssh-…` or `ssh-…`) is written to a temporary file
//!   and signed through the agent (`-U`), a path is used as is (`~/`
//!   expanded).
//!
//! Hands on the armored signature for `gpgsig`. Receives nothing secret:
//! passphrases stay with gpg-agent / ssh-agent. A signer that cannot be
//! configured is [`ErrorKind::Usage`] (the flags or git config are wrong);
//! one that fails to sign is [`ErrorKind::Other`].

#![allow(clippy::disallowed_methods)] // an I/O module

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

use git2::{Config, Signature};

use super::{ErrorKind, GitError};

fn usage(message: impl Into<String>) -> GitError {
    GitError::new(ErrorKind::Usage, message)
}

fn failed(message: impl Into<String>) -> GitError {
    GitError::new(ErrorKind::Other, message)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    OpenPgp,
    X509,
    Ssh,
}

/// A configured signer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Signer {
    pub format: Format,
    pub program: String,
    /// Key id (gpg) or key file / literal public key (ssh).
    pub key: String,
}

fn cfg_str(cfg: &Config, key: &str) -> Option<String> {
    cfg.get_string(key).ok().filter(|v| !v.is_empty())
}

/// The signer for a commit, or `None` when not signing. `sign` is the
/// flag (`Some(true)` `--sign`, `Some(false)` `--no-sign`); without it,
/// `commit.gpgsign` decides.
pub fn signer(
    cfg: &Config,
    sign: Option<bool>,
    committer: &Signature,
) -> Result<Option<Signer>, GitError> {
    let wanted = match sign {
        Some(s) => s,
        None => cfg.get_bool("commit.gpgsign").unwrap_or(false),
    };
    if !wanted {
        return Ok(None);
    }
    let format = match cfg_str(cfg, "gpg.format").as_deref() {
        None | Some("openpgp") => Format::OpenPgp,
        Some("x509") => Format::X509,
        Some("ssh") => Format::Ssh,
        Some(other) => {
            return Err(usage(format!(
                "unsupported gpg.format {other:?} (openpgp, x509 or ssh)"
            )));
        }
    };
    let program = match format {
        Format::OpenPgp => cfg_str(cfg, "gpg.openpgp.program")
            .or_else(|| cfg_str(cfg, "gpg.program"))
            .unwrap_or_else(|| "gpg".into()),
        Format::X509 => cfg_str(cfg, "gpg.x509.program").unwrap_or_else(|| "gpgsm".into()),
        Format::Ssh => cfg_str(cfg, "gpg.ssh.program").unwrap_or_else(|| "ssh-keygen".into()),
    };
    let key = match (format, cfg_str(cfg, "user.signingkey")) {
        (_, Some(k)) => k,
        (Format::Ssh, None) => match cfg_str(cfg, "gpg.ssh.defaultKeyCommand") {
            Some(cmd) => default_ssh_key(&cmd)?,
            None => {
                return Err(usage(
                    "SSH signing needs a key: set git config user.signingkey (a key file or \
                     \"key::ssh-ed25519 …\") or gpg.ssh.defaultKeyCommand",
                ));
            }
        },
        (_, None) => format!(
            "{} <{}>",
            committer.name().unwrap_or_default(),
            committer.email().unwrap_or_default()
        ),
    };
    Ok(Some(Signer {
        format,
        program,
        key,
    }))
}

fn default_ssh_key(cmd: &str) -> Result<String, GitError> {
    let out = Command::new("sh")
        .args(["-c", cmd])
        .stdin(Stdio::null())
        .output()
        .map_err(|e| usage(format!("gpg.ssh.defaultKeyCommand: {e}")))?;
    let text = String::from_utf8_lossy(&out.stdout);
    match text.lines().next().map(str::trim).filter(|l| !l.is_empty()) {
        Some(k) if out.status.success() => Ok(format!("key::{k}")),
        _ => Err(usage(format!(
            "gpg.ssh.defaultKeyCommand gave no key: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))),
    }
}

/// Runs `cmd` with `input` on stdin; returns (success, stdout, stderr).
fn run(mut cmd: Command, input: &[u8]) -> Result<(bool, Vec<u8>, Vec<u8>), GitError> {
    let name = format!("{:?}", cmd.get_program());
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| failed(format!("cannot run {name}: {e}")))?;
    let mut stdin = child.stdin.take();
    let input = input.to_vec();
    let writer = std::thread::spawn(move || {
        if let Some(s) = stdin.as_mut() {
            let _ = s.write_all(&input);
        }
        drop(stdin);
    });
    let mut stderr = child.stderr.take();
    let err_reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(e) = stderr.as_mut() {
            let _ = e.read_to_end(&mut buf);
        }
        buf
    });
    let mut out = Vec::new();
    if let Some(o) = child.stdout.as_mut() {
        let _ = o.read_to_end(&mut out);
    }
    let status = child.wait().map_err(|e| failed(format!("{name}: {e}")))?;
    let _ = writer.join();
    let err = err_reader.join().unwrap_or_default();
    Ok((status.success(), out, err))
}

/// A file in the temporary folder, removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn create(prefix: &str, content: &[u8]) -> Result<TempFile, GitError> {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir();
        for _ in 0..100 {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.subsec_nanos())
                .unwrap_or(0);
            let path = dir.join(format!("{prefix}{}-{n}-{nanos:x}", std::process::id()));
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o600);
            }
            match opts.open(&path) {
                Ok(mut f) => {
                    f.write_all(content)
                        .map_err(|e| failed(format!("{}: {e}", path.display())))?;
                    return Ok(TempFile(path));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                Err(e) => return Err(failed(format!("{}: {e}", path.display()))),
            }
        }
        Err(failed("cannot create a temporary file"))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn expand_home(p: &str) -> PathBuf {
    match p.strip_prefix("~/") {
        Some(rest) => match std::env::var_os("HOME") {
            Some(h) => Path::new(&h).join(rest),
            None => PathBuf::from(p),
        },
        None => PathBuf::from(p),
    }
}

/// The message lines of a signer's stderr, without gpg status lines.
fn diagnostics(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| !l.starts_with("[GNUPG:]"))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Signer {
    /// Signs `payload` (a commit buffer); returns the armored signature.
    pub fn sign(&self, payload: &str) -> Result<String, GitError> {
        match self.format {
            Format::OpenPgp | Format::X509 => self.sign_gpg(payload),
            Format::Ssh => self.sign_ssh(payload),
        }
    }

    fn sign_gpg(&self, payload: &str) -> Result<String, GitError> {
        let mut cmd = Command::new(&self.program);
        cmd.args(["--status-fd=2", "-bsau", &self.key]);
        let (ok, out, err) = run(cmd, payload.as_bytes())?;
        let created = String::from_utf8_lossy(&err)
            .lines()
            .any(|l| l.starts_with("[GNUPG:] SIG_CREATED "));
        if !ok || !created || out.is_empty() {
            return Err(failed(format!(
                "{} failed to sign the commit with key {:?}: {}",
                self.program,
                self.key,
                diagnostics(&err)
            )));
        }
        Ok(String::from_utf8_lossy(&out).replace('\r', ""))
    }

    fn sign_ssh(&self, payload: &str) -> Result<String, GitError> {
        let literal = self
            .key
            .strip_prefix("key::")
            .or_else(|| self.key.starts_with("ssh-").then_some(self.key.as_str()));
        let key_tmp;
        let key_file = match literal {
            Some(k) => {
                key_tmp = TempFile::create(".git_signing_key_tmp", format!("{k}\n").as_bytes())?;
                key_tmp.0.clone()
            }
            None => expand_home(&self.key),
        };
        let buffer = TempFile::create(".git_signing_buffer_tmp", payload.as_bytes())?;
        let sig_path = PathBuf::from(format!("{}.sig", buffer.0.display()));
        let _sig_guard = TempFile(sig_path.clone());
        let mut cmd = Command::new(&self.program);
        cmd.args(["-Y", "sign", "-n", "git", "-f"]).arg(&key_file);
        if literal.is_some() {
            cmd.arg("-U");
        }
        cmd.arg(&buffer.0);
        let (ok, _out, err) = run(cmd, b"")?;
        let sig = std::fs::read_to_string(&sig_path).unwrap_or_default();
        if !ok || !sig.contains("-----BEGIN SSH SIGNATURE-----") {
            let mut msg = diagnostics(&err);
            if msg.contains("incorrect passphrase") || msg.contains("load failed") {
                msg.push_str(" (is the key loaded in ssh-agent?)");
            }
            return Err(failed(format!(
                "{} failed to sign the commit with {}: {msg}",
                self.program,
                if literal.is_some() {
                    "the agent key".to_owned()
                } else {
                    key_file.display().to_string()
                }
            )));
        }
        Ok(sig.replace('\r', ""))
    }
}
