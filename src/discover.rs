//! Discovery: which files make up a repository, read and parsed in parallel.
//!
//! Walks with `ignore` (honouring .gitignore, .ignore and Flux's
//! .sourceignore), keeps `.yaml`/`.yml` files and files named exactly
//! `Kustomization`, skips hidden entries except Argo CD's
//! `.argocd-source*.yaml` write-back files and Helm chart `templates/`, never follows a symlink out of
//! the repository, and hands on a [`Workspace`]: every file with its text and
//! span tree, plus the problems met while reading (as diagnostics).

#![allow(clippy::disallowed_methods)] // an I/O module

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::diagnostic::{Diagnostic, FileId, Severity};
use crate::rules;
use crate::yaml::{self, Span, Yaml};

pub const DEFAULT_MAX_FILE_SIZE: u64 = 10 * 1024 * 1024;

#[derive(Debug)]
pub struct SourceFile {
    /// Relative to the repository root, `/`-separated.
    pub path: String,
    pub abs: PathBuf,
    pub text: String,
    /// `None` when the file was not parsed (unreadable, too large, or only
    /// needed for references and screened out).
    pub yaml: Option<Yaml>,
    /// True for files the user asked about; findings are reported only for
    /// these, while every file is used to resolve references.
    pub report: bool,
}

#[derive(Debug, Default)]
pub struct Workspace {
    pub root: PathBuf,
    pub files: Vec<SourceFile>,
    /// Problems met while reading, already attached to their files.
    pub diagnostics: Vec<Diagnostic>,
}

impl Workspace {
    pub fn file(&self, id: FileId) -> &SourceFile {
        &self.files[id]
    }

    pub fn file_id(&self, path: &str) -> Option<FileId> {
        self.files
            .binary_search_by(|f| f.path.as_str().cmp(path))
            .ok()
            .map(FileId)
    }

    /// The URLs of the git remotes of the checkout whose work tree is the
    /// root (empty when the root is no checkout, or it has no remote).
    pub fn remote_urls(&self) -> Vec<String> {
        let Ok(repo) = git2::Repository::open(&self.root) else {
            return Vec::new();
        };
        let Ok(names) = repo.remotes() else {
            return Vec::new();
        };
        (0..names.len())
            .filter_map(|i| {
                let remote = repo.find_remote(names.get(i).ok().flatten()?).ok()?;
                remote.url().ok().map(str::to_owned)
            })
            .collect()
    }

    /// True when `rel` (a `/`-separated path relative to the root) exists on
    /// disk inside the repository.
    pub fn exists(&self, rel: &str) -> bool {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        self.root.join(rel).exists()
    }

    /// The folders at the repository root, hidden ones left out, sorted.
    pub fn top_level_dirs(&self) -> Vec<String> {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Vec::new();
        };
        let mut out: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| !name.starts_with('.'))
            .collect();
        out.sort();
        out
    }

    pub fn is_dir(&self, rel: &str) -> bool {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        self.root.join(rel).is_dir()
    }

    pub fn is_file(&self, rel: &str) -> bool {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        self.root.join(rel).is_file()
    }

    /// The text of `rel` read now, for a file the walk skipped or did not
    /// parse (a write-back target is often hidden or ignored); `None` when
    /// nothing is there. Planners get file text only through here and
    /// [`Workspace::files`], so the edit layer never touches the disk.
    pub fn read_unloaded(&self, rel: &str) -> std::io::Result<Option<String>> {
        let rel = rel.trim_start_matches("./").trim_start_matches('/');
        let abs = self.root.join(rel);
        if !abs.exists() {
            return Ok(None);
        }
        std::fs::read_to_string(abs).map(Some)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub max_file_size: u64,
    /// Honour .gitignore/.ignore/.sourceignore (on by default).
    pub respect_ignore: bool,
    /// Parse every file, not only reported ones and Flux objects (preview
    /// reads write-back files and kustomizations next to applications).
    pub parse_all: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            respect_ignore: true,
            parse_all: false,
        }
    }
}

/// The repository a path belongs to: the nearest ancestor holding `.git`,
/// else the path itself (a folder) or its parent (a file).
pub fn find_root(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let start = if abs.is_dir() {
        abs.clone()
    } else {
        abs.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    start
        .ancestors()
        .find(|dir| dir.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(start)
}

pub fn is_yaml_name(name: &str) -> bool {
    name.ends_with(".yaml") || name.ends_with(".yml") || name == "Kustomization"
}

fn is_argocd_source(name: &str) -> bool {
    name.starts_with(".argocd-source") && (name.ends_with(".yaml") || name.ends_with(".yml"))
}

/// Files outside the reported set are only parsed when they may define
/// something a reported file refers to. Flux's own controller screens files
/// by a token in the same spirit.
fn worth_parsing_for_references(text: &str) -> bool {
    text.contains("toolkit.fluxcd.io") || text.contains("gitops.kubesphere.io")
}

/// Loads the repository at `root`. `targets` are the files and folders the
/// user named (absolute or relative to the current directory); empty means
/// the whole repository is reported on.
pub fn load(root: &Path, targets: &[PathBuf], opts: &Options) -> Workspace {
    let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let canonical_root = root.canonicalize().unwrap_or_else(|_| root.clone());
    let targets: Vec<PathBuf> = targets
        .iter()
        .map(|t| std::path::absolute(t).unwrap_or_else(|_| t.clone()))
        .collect();
    // A file named explicitly is checked even when ignore files exclude it,
    // as rg does for paths given on its command line.
    let explicit_files: Vec<PathBuf> = targets.iter().filter(|t| t.is_file()).cloned().collect();

    let mut walk = ignore::WalkBuilder::new(&root);
    walk.hidden(false)
        .follow_links(false)
        .git_ignore(opts.respect_ignore)
        .git_global(false)
        .git_exclude(opts.respect_ignore)
        .ignore(opts.respect_ignore)
        .parents(false)
        .require_git(false)
        .threads(
            std::thread::available_parallelism()
                .map_or(2, |n| n.get())
                .min(8),
        );
    if opts.respect_ignore {
        walk.add_custom_ignore_filename(".sourceignore");
    }
    walk.filter_entry(|entry| {
        if entry.depth() == 0 {
            return true;
        }
        let name = entry.file_name().to_string_lossy();
        let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
        if is_dir
            && name == "templates"
            && entry
                .path()
                .parent()
                .is_some_and(|p| p.join("Chart.yaml").is_file())
        {
            // Helm chart templates are Go templates, not YAML.
            return false;
        }
        if !name.starts_with('.') {
            return true;
        }
        !is_dir && is_argocd_source(&name)
    });

    let found: Mutex<Vec<(SourceFile, Vec<Pending>)>> = Mutex::new(Vec::new());
    walk.build_parallel().run(|| {
        let found = &found;
        let root = &root;
        let canonical_root = &canonical_root;
        let targets = &targets;
        Box::new(move |entry| {
            let Ok(entry) = entry else {
                return ignore::WalkState::Continue;
            };
            let Some(ft) = entry.file_type() else {
                return ignore::WalkState::Continue;
            };
            if ft.is_dir() || !is_yaml_name(&entry.file_name().to_string_lossy()) {
                return ignore::WalkState::Continue;
            }
            let path = entry.path();
            let report = is_reported(path, targets);
            let loaded = load_file(root, canonical_root, path, ft.is_symlink(), report, opts);
            found.lock().unwrap_or_else(|e| e.into_inner()).push(loaded);
            ignore::WalkState::Continue
        })
    });
    let mut loaded = found.into_inner().unwrap_or_else(|e| e.into_inner());
    for file in &explicit_files {
        let rel = relative(&root, file);
        if !loaded.iter().any(|(f, _)| f.path == rel) && file.starts_with(&root) {
            let is_link = file
                .symlink_metadata()
                .is_ok_and(|m| m.file_type().is_symlink());
            loaded.push(load_file(&root, &canonical_root, file, is_link, true, opts));
        }
    }
    loaded.sort_by(|a, b| a.0.path.cmp(&b.0.path));

    let mut ws = Workspace {
        root,
        ..Workspace::default()
    };
    for (id, (file, pending)) in loaded.into_iter().enumerate() {
        for p in pending {
            let mut d = Diagnostic::new(p.rule, FileId(id), p.span, p.message);
            if let Some(sev) = p.severity {
                d = d.severity(sev);
            }
            ws.diagnostics.push(d);
        }
        ws.files.push(file);
    }
    ws
}

/// A workspace of documents that are not files (live objects read from
/// the API server), each `(path, text)` parsed and reported on. Its root
/// is empty: nothing in it can be written back.
pub fn in_memory(documents: Vec<(String, String)>) -> Workspace {
    let mut ws = Workspace::default();
    for (path, text) in documents {
        ws.files.push(SourceFile {
            abs: PathBuf::from(&path),
            path,
            yaml: Some(yaml::parse(&text)),
            text,
            report: true,
        });
    }
    ws
}

/// A load problem before its file has an id.
struct Pending {
    rule: &'static rules::Rule,
    span: Span,
    message: String,
    severity: Option<Severity>,
}

fn is_reported(path: &Path, targets: &[PathBuf]) -> bool {
    targets.is_empty() || targets.iter().any(|t| path.starts_with(t))
}

fn relative(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    let mut out = String::new();
    for (i, part) in rel.components().enumerate() {
        if i > 0 {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    out
}

fn load_file(
    root: &Path,
    canonical_root: &Path,
    path: &Path,
    is_symlink: bool,
    report: bool,
    opts: &Options,
) -> (SourceFile, Vec<Pending>) {
    let mut file = SourceFile {
        path: relative(root, path),
        abs: path.to_path_buf(),
        text: String::new(),
        yaml: None,
        report,
    };
    let mut pending = Vec::new();
    let mut problem = |rule, message: String, severity| {
        pending.push(Pending {
            rule,
            span: Span::empty(0),
            message,
            severity,
        });
    };
    if is_symlink {
        match path.canonicalize() {
            Ok(target) if target.starts_with(canonical_root) => {}
            Ok(target) => {
                problem(
                    &rules::SYMLINK_OUTSIDE,
                    format!(
                        "symlink leads out of the repository to {}",
                        target.display()
                    ),
                    None,
                );
                return (file, pending);
            }
            Err(err) => {
                let message = if err.raw_os_error() == Some(libc::ELOOP) {
                    "symlink loop: following it leads back to itself".to_owned()
                } else if err.kind() == std::io::ErrorKind::NotFound {
                    "dangling symlink: its target does not exist".to_owned()
                } else {
                    format!("symlink cannot be followed: {err}")
                };
                problem(&rules::UNREADABLE_FILE, message, None);
                return (file, pending);
            }
        }
    }
    let bytes = match read_regular(path, opts.max_file_size) {
        Ok(Read::Bytes(bytes)) => bytes,
        Ok(Read::NotRegular(kind)) => {
            problem(
                &rules::UNREADABLE_FILE,
                format!("is a {kind}, not a regular file; not read"),
                None,
            );
            return (file, pending);
        }
        Ok(Read::TooLarge(len)) => {
            problem(
                &rules::FILE_TOO_LARGE,
                format!(
                    "file is {len} bytes, over the {} byte limit; not checked",
                    opts.max_file_size
                ),
                None,
            );
            return (file, pending);
        }
        Err(err) => {
            problem(
                &rules::UNREADABLE_FILE,
                format!("cannot read file: {err}"),
                Some(Severity::Error),
            );
            return (file, pending);
        }
    };
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(err) => {
            let at = err.utf8_error().valid_up_to();
            file.text = String::from_utf8_lossy(err.as_bytes()).into_owned();
            pending.push(Pending {
                rule: &rules::INVALID_UTF8,
                span: Span::new(at, at + 1),
                message: format!("invalid UTF-8 at byte {at}"),
                severity: None,
            });
            return (file, pending);
        }
    };
    if report || opts.parse_all || worth_parsing_for_references(&text) {
        file.yaml = Some(yaml::parse(&text));
    }
    file.text = text;
    (file, pending)
}

enum Read {
    Bytes(Vec<u8>),
    TooLarge(u64),
    NotRegular(&'static str),
}

/// Reads `path` only if it is a regular file. Opened without blocking and
/// checked on the open descriptor, so a FIFO (even one swapped in after the
/// walk saw a file) is reported instead of hanging the run.
fn read_regular(path: &Path, max: u64) -> std::io::Result<Read> {
    use std::io::Read as _;
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        open.custom_flags(libc::O_NONBLOCK);
    }
    let mut f = open.open(path)?;
    let meta = f.metadata()?;
    if !meta.is_file() {
        return Ok(Read::NotRegular(file_kind(&meta)));
    }
    if meta.len() > max {
        return Ok(Read::TooLarge(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    // A file that grows while read is cut at the limit (plus one byte, so
    // the growth is seen).
    f.by_ref().take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Ok(Read::TooLarge(bytes.len() as u64));
    }
    Ok(Read::Bytes(bytes))
}

fn file_kind(meta: &std::fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "FIFO";
        }
        if t.is_socket() {
            return "socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "device";
        }
    }
    if meta.is_dir() {
        "folder"
    } else {
        "special file"
    }
}
