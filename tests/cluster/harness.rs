//! A real Kubernetes control plane on loopback for the integration tests:
//! etcd and kube-apiserver (built from the Go modules in harness/ by
//! scripts/harness-bin, or named by `IMAGEUPDATE_ETCD` /
//! `IMAGEUPDATE_KUBE_APISERVER`), the peers' real CRDs (scripts/harness-crds)
//! and the project's KubeSphere CRD (`kubectl-imageupdate crd`) installed and
//! Established, a kubeconfig for the machine's `kubectl`, and helpers to run
//! it. Included by test files as `#[path = "cluster/harness.rs"] mod harness;`.
//!
//! What runs: etcd on 127.0.0.1 (client and peer ports picked free, data in
//! a temporary folder, `--unsafe-no-fsync`); kube-apiserver on 127.0.0.1
//! with a free secure port, a serving certificate it signs itself
//! (`--cert-dir`; its CA is the kubeconfig's), a static token file whose one
//! user is in `system:masters`, `--authorization-mode=RBAC` (so RBAC rules a
//! controller needs can be tested; the admin bypasses them), an ECDSA
//! service-account key from openssl, the ServiceAccount admission plugin and
//! API priority and fairness off (no controller-manager runs to make service
//! accounts; APF only slows start). The service CIDR is configuration only:
//! nothing routes to it, every connection is to 127.0.0.1.
//!
//! Lifetime: a `Cluster` owns both processes and its temporary folder; on
//! drop it kills and reaps kube-apiserver, then etcd, then removes the
//! folder. Children also get `PR_SET_PDEATHSIG` (SIGKILL), so a test process
//! that dies without unwinding takes them along; that signal follows the
//! thread that started them, so start and drop a `Cluster` on the test's own
//! thread.
//!
//! Sharing: starting takes seconds, so a test file that needs several cases
//! starts one `Cluster` in one `#[test]` and runs its cases with
//! [`Cluster::cases`], each in a fresh namespace, every case run even when
//! an earlier one fails, the failures reported together. A process-global
//! (`static` `OnceLock`) cluster is deliberately not offered: statics are
//! never dropped, so its processes would outlive the test binary, and
//! cargo-nextest runs every test in its own process, where such sharing
//! saves nothing anyway.
//!
//! Every wait is bounded; the timeouts are generous because nextest runs
//! other tests beside this on 2 cores. A failure to start panics with the
//! tail of the process's log.
#![allow(dead_code)]

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Longest wait for etcd's /health.
pub const ETCD_TIMEOUT: Duration = Duration::from_secs(60);
/// Longest wait for kube-apiserver's /readyz.
pub const APISERVER_TIMEOUT: Duration = Duration::from_secs(180);
/// Longest wait for the CRDs to be Established (kubectl wait --timeout).
pub const CRD_TIMEOUT: &str = "120s";
/// Longest `scripts/harness-bin` or `scripts/harness-crds` run (a cold
/// build of kube-apiserver on 2 cores takes minutes).
pub const BUILD_TIMEOUT: Duration = Duration::from_secs(1800);
/// Longest wait for kube-controller-manager's garbage collector to sync.
pub const GC_TIMEOUT: Duration = Duration::from_secs(120);
/// Starts tried when a picked port was taken meanwhile.
const PORT_TRIES: usize = 3;
/// The static token of the `system:masters` user.
pub const ADMIN_TOKEN: &str = "imageupdate-harness-admin-token";

pub fn project() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The harness binary `name` (`kube-apiserver`, `etcd`): the file named by
/// `env_var` if it is set, else what `scripts/harness-bin NAME` prints
/// (building it on first use).
pub fn binary(name: &str, env_var: &str) -> PathBuf {
    if let Some(p) = std::env::var_os(env_var).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(p.is_file(), "{env_var}={} is not a file", p.display());
        return p;
    }
    let out = script("harness-bin", &[name]);
    PathBuf::from(out.trim())
}

/// The peers' CRD files (Flux image and source, Argo CD Application, Argo
/// CD Image Updater), from `scripts/harness-crds`.
pub fn peer_crds() -> Vec<PathBuf> {
    script("harness-crds", &[])
        .lines()
        .filter(|l| !l.is_empty())
        .map(PathBuf::from)
        .collect()
}

/// Runs `scripts/NAME ARGS`, bounded by `BUILD_TIMEOUT`; its stdout.
fn script(name: &str, args: &[&str]) -> String {
    let path = project().join("scripts").join(name);
    let mut cmd = Command::new(&path);
    cmd.args(args).current_dir(project());
    let run = run_bounded(cmd, None, BUILD_TIMEOUT);
    assert!(
        run.success(),
        "scripts/{name} {args:?} failed ({:?}):\n{}",
        run.code,
        run.stderr
    );
    run.stdout
}

/// What a bounded command did.
#[derive(Debug)]
pub struct Run {
    /// `None`: killed at its deadline, or by a signal.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }
}

/// Runs `cmd` with `stdin`, killing it at `timeout`; output read by threads
/// so a full pipe never blocks it.
pub fn run_bounded(mut cmd: Command, stdin: Option<&str>, timeout: Duration) -> Run {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    if let Some(text) = stdin {
        let mut pipe = child.stdin.take().expect("stdin piped");
        let text = text.to_owned();
        // A writer thread: a child that does not read must not block us.
        std::thread::spawn(move || {
            let _ = pipe.write_all(text.as_bytes());
        });
    }
    let mut out = child.stdout.take().expect("stdout piped");
    let mut err = child.stderr.take().expect("stderr piped");
    let out_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut out, &mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = std::io::Read::read_to_end(&mut err, &mut s);
        s
    });
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Run {
        code,
        stdout: String::from_utf8_lossy(&out_t.join().unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&err_t.join().unwrap_or_default()).into_owned(),
    }
}

/// A port on 127.0.0.1 that was free a moment ago (the child binds it; a
/// start that finds it taken is retried with new ports).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind 127.0.0.1:0")
        .port()
}

/// A child process, killed and reaped on drop: the control plane's, and
/// long-running processes a test starts beside it ([`Cluster::background`]:
/// the controller, kube-controller-manager).
pub struct Proc {
    child: Child,
    pub name: &'static str,
    log: PathBuf,
}

impl Proc {
    /// Starts `cmd` with stdout and stderr to `log`, to die with this thread.
    pub fn spawn(mut cmd: Command, name: &'static str, log: &Path) -> Proc {
        let out = std::fs::File::create(log).expect("log file");
        let err = out.try_clone().expect("log file");
        // SAFETY: prctl is async-signal-safe and touches no memory of ours.
        unsafe {
            cmd.pre_exec(|| {
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
        Proc {
            child,
            name,
            log: log.to_owned(),
        }
    }

    /// `Some(log)` once the process has exited.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(_)) => Some(self.log_text()),
            _ => None,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Sends SIGTERM and waits up to `timeout` for the exit; the exit
    /// code (`None`: killed by a signal, or still running at the deadline,
    /// when it is killed).
    pub fn terminate(&mut self, timeout: Duration) -> Option<i32> {
        let pid = libc::pid_t::try_from(self.child.id()).expect("pid");
        // SAFETY: kill(2) on our own child's pid, which we have not reaped.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        None
    }

    /// Kills it now (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// The last `n` lines of the log, for a panic message.
    pub fn log_tail(&self, n: usize) -> String {
        let text = self.log_text();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(n)..].join("\n")
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn proc_log_contains(log: &Path, text: &str) -> bool {
    std::fs::read_to_string(log).is_ok_and(|l| l.contains(text))
}

/// Why a start did not come up.
enum StartError {
    /// The picked port was taken by the time the child bound it.
    PortTaken,
    Failed(String),
}

/// Polls `ready` every 50 ms until it holds, the process exits, or
/// `timeout` passes.
fn wait_ready(
    proc: &mut Proc,
    timeout: Duration,
    mut ready: impl FnMut() -> bool,
) -> Result<(), StartError> {
    let start = Instant::now();
    loop {
        if ready() {
            return Ok(());
        }
        if let Some(log) = proc.exited() {
            if log.contains("address already in use") {
                return Err(StartError::PortTaken);
            }
            return Err(StartError::Failed(format!(
                "{} exited before it was ready; log tail:\n{}",
                proc.name,
                proc.log_tail(40)
            )));
        }
        if start.elapsed() > timeout {
            return Err(StartError::Failed(format!(
                "{} was not ready within {timeout:?}; log tail:\n{}",
                proc.name,
                proc.log_tail(40)
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A plain-HTTP GET on loopback: status and body, `None` on a transport
/// error.
fn http_get(agent: &ureq::Agent, url: &str, token: Option<&str>) -> Option<(u16, String)> {
    let mut req = agent.get(url);
    if let Some(t) = token {
        req = req.header("Authorization", &format!("Bearer {t}"));
    }
    let mut resp = req.call().ok()?;
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    Some((status, body))
}

fn agent(tls: Option<ureq::tls::TlsConfig>) -> ureq::Agent {
    let mut config = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .proxy(None);
    if let Some(tls) = tls {
        config = config.tls_config(tls);
    }
    config.build().new_agent()
}

/// One sub-case for [`Cluster::cases`]: its name (also its namespace's
/// prefix) and a function of the cluster and that namespace.
pub type Case<'a> = (&'a str, &'a dyn Fn(&Cluster, &str));

/// Which CRDs `Cluster::start_with` installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Crds {
    /// The peers' (scripts/harness-crds) and the KubeSphere ImageUpdater.
    All,
    /// Only the KubeSphere ImageUpdater: no engine is installed.
    KubesphereOnly,
    /// None: the bare built-in API.
    None,
}

/// etcd and kube-apiserver on loopback; see the module doc.
pub struct Cluster {
    apiserver: Option<Proc>,
    etcd: Option<Proc>,
    /// `https://127.0.0.1:PORT`.
    pub server: String,
    /// A kubeconfig for `server` with `ca` and `ADMIN_TOKEN`.
    pub kubeconfig: PathBuf,
    /// The CA bundle kube-apiserver signed its serving certificate with.
    pub ca: PathBuf,
    /// The CRD files installed (peers' first, then KubeSphere's).
    pub crds: Vec<PathBuf>,
    namespaces: std::cell::Cell<usize>,
    /// Background processes started, to name their logs.
    background: std::cell::Cell<usize>,
    dir: tempfile::TempDir,
}

impl Cluster {
    /// Starts etcd and kube-apiserver and installs every CRD.
    pub fn start() -> Cluster {
        Cluster::start_with(Crds::All)
    }

    pub fn start_with(crds: Crds) -> Cluster {
        let etcd_bin = binary("etcd", "IMAGEUPDATE_ETCD");
        let apiserver_bin = binary("kube-apiserver", "IMAGEUPDATE_KUBE_APISERVER");
        let crd_files = match crds {
            Crds::All => peer_crds(),
            Crds::KubesphereOnly | Crds::None => Vec::new(),
        };
        let dir = tempfile::Builder::new()
            .prefix("imageupdate-cluster-")
            .tempdir()
            .expect("tempdir");
        let started = Instant::now();
        let (etcd, etcd_url) = start_etcd(&etcd_bin, dir.path());
        let etcd_ready = started.elapsed();
        let mut cluster = Cluster {
            apiserver: None,
            etcd: Some(etcd),
            server: String::new(),
            kubeconfig: dir.path().join("kubeconfig"),
            ca: PathBuf::new(),
            crds: Vec::new(),
            namespaces: std::cell::Cell::new(0),
            background: std::cell::Cell::new(0),
            dir,
        };
        // From here on a panic drops `cluster`, which stops etcd.
        let (apiserver, port, ca) = start_apiserver(&apiserver_bin, cluster.dir.path(), &etcd_url);
        cluster.apiserver = Some(apiserver);
        cluster.server = format!("https://127.0.0.1:{port}");
        cluster.ca = ca;
        cluster.write_kubeconfig();
        let apiserver_ready = started.elapsed();
        if crds != Crds::None {
            let mut files = crd_files;
            files.push(cluster.kubesphere_crd());
            cluster.install_crds(&files);
            cluster.crds = files;
        }
        // For DEVELOPERS.md's numbers (shown with --no-capture); never asserted.
        eprintln!(
            "harness: etcd ready after {etcd_ready:.1?}, kube-apiserver /readyz after {apiserver_ready:.1?}, {} CRDs Established after {:.1?}",
            cluster.crds.len(),
            started.elapsed()
        );
        cluster
    }

    /// The folder this cluster keeps its files in (removed on drop).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    fn write_kubeconfig(&self) {
        let config = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: harness\n  cluster:\n    server: {}\n    certificate-authority: {}\nusers:\n- name: admin\n  user:\n    token: {ADMIN_TOKEN}\ncontexts:\n- name: harness\n  context:\n    cluster: harness\n    user: admin\n    namespace: default\ncurrent-context: harness\n",
            self.server,
            self.ca.display()
        );
        std::fs::write(&self.kubeconfig, config).expect("kubeconfig");
    }

    /// `kubectl-imageupdate crd`, written to a file in the cluster's folder.
    fn kubesphere_crd(&self) -> PathBuf {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
        cmd.arg("crd");
        let run = run_bounded(cmd, None, Duration::from_secs(60));
        assert!(run.success(), "kubectl-imageupdate crd: {}", run.stderr);
        let path = self.dir().join("kubesphere-imageupdater-crd.yaml");
        std::fs::write(&path, run.stdout).expect("write CRD");
        path
    }

    /// Applies `files` server-side (the Argo CD Application CRD is too big
    /// for the client-side annotation) and waits until all are Established.
    fn install_crds(&self, files: &[PathBuf]) {
        let mut apply = vec!["apply", "--server-side", "--field-manager=harness"];
        let mut wait = vec![
            "wait",
            "--for=condition=Established",
            "--timeout",
            CRD_TIMEOUT,
        ];
        for f in files {
            let f = f.to_str().expect("UTF-8 path");
            apply.extend(["-f", f]);
            wait.extend(["-f", f]);
        }
        self.kubectl_ok(&apply, None);
        self.kubectl_ok(&wait, None);
    }

    /// Starts `cmd` as a long-running process whose output goes to
    /// `NAME.log` in the cluster's folder; it is killed and reaped when the
    /// returned [`Proc`] drops (drop it before the cluster).
    pub fn background(&self, name: &'static str, cmd: Command) -> Proc {
        let n = self.background.get() + 1;
        self.background.set(n);
        let log = self.dir().join(format!("{name}-{n}.log"));
        Proc::spawn(cmd, name, &log)
    }

    /// kube-controller-manager (scripts/harness-bin, or
    /// `IMAGEUPDATE_KUBE_CONTROLLER_MANAGER`) running only the garbage
    /// collector, for tests that need owner references honoured: loopback,
    /// the admin kubeconfig, no leader election, no serving port. Returns
    /// once the collector has synced its monitors (every kind served when
    /// it starts, CRDs included, so start it after installing them); drop
    /// the [`Proc`] before the cluster.
    pub fn start_garbage_collector(&self) -> Proc {
        let bin = binary(
            "kube-controller-manager",
            "IMAGEUPDATE_KUBE_CONTROLLER_MANAGER",
        );
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--kubeconfig={}", self.kubeconfig.display()))
            .arg("--controllers=garbagecollector")
            .arg("--leader-elect=false")
            .arg("--secure-port=0")
            .arg("--use-service-account-credentials=false");
        let mut proc = self.background("kube-controller-manager", cmd);
        let (log, synced) = (proc.log.clone(), "all resource monitors have synced");
        match wait_ready(&mut proc, GC_TIMEOUT, || proc_log_contains(&log, synced)) {
            Ok(()) => proc,
            Err(StartError::PortTaken) => panic!("kube-controller-manager serves no port"),
            Err(StartError::Failed(why)) => panic!("{why}"),
        }
    }

    /// One call of the API server's REST API as the admin, over HTTPS with
    /// the harness CA: `method` (GET, POST, PUT, DELETE), `path` (from
    /// `/api` or `/apis`), a JSON body. The status code and the response
    /// body as JSON (`Null` when it is not JSON).
    pub fn rest(
        &self,
        method: &str,
        path: &str,
        body: Option<&serde_json::Value>,
    ) -> (u16, serde_json::Value) {
        let agent = agent(Some(tls_for(&self.ca).expect("the harness CA")));
        let url = format!("{}{path}", self.server);
        let auth = format!("Bearer {ADMIN_TOKEN}");
        let text = body.map(ToString::to_string).unwrap_or_default();
        let sent = match method {
            "GET" => agent.get(&url).header("Authorization", &auth).call(),
            "DELETE" => agent.delete(&url).header("Authorization", &auth).call(),
            "POST" => agent
                .post(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(text.as_str()),
            "PUT" => agent
                .put(&url)
                .header("Authorization", &auth)
                .header("Content-Type", "application/json")
                .send(text.as_str()),
            other => panic!("unsupported method {other}"),
        };
        let mut resp = sent.unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = resp.status().as_u16();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        (
            status,
            serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
        )
    }

    /// `kubectl-imageupdate ARGS` against this cluster: its kubeconfig, no
    /// ambient KUBECONFIG, HOME in the cluster's folder.
    pub fn imageupdate(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-imageupdate"));
        cmd.env_remove("KUBECONFIG")
            .env("HOME", self.dir())
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(args);
        cmd
    }

    /// The machine's `kubectl` against this cluster (no ambient KUBECONFIG).
    pub fn kubectl(&self) -> Command {
        let mut cmd = Command::new("kubectl");
        cmd.env_remove("KUBECONFIG")
            .arg("--kubeconfig")
            .arg(&self.kubeconfig);
        cmd
    }

    /// Runs `kubectl ARGS` with `stdin`, bounded to 2 minutes.
    pub fn kubectl_run(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let mut cmd = self.kubectl();
        cmd.args(args);
        run_bounded(cmd, stdin, Duration::from_secs(120))
    }

    /// `kubectl ARGS` that must succeed; its stdout.
    pub fn kubectl_ok(&self, args: &[&str], stdin: Option<&str>) -> String {
        let run = self.kubectl_run(args, stdin);
        assert!(
            run.success(),
            "kubectl {args:?} failed ({:?}):\n{}{}",
            run.code,
            run.stdout,
            run.stderr
        );
        run.stdout
    }

    /// `kubectl apply --server-side -f -` of `yaml` in `namespace`.
    pub fn apply(&self, namespace: &str, yaml: &str) -> Run {
        self.kubectl_run(
            &[
                "apply",
                "--server-side",
                "--field-manager=test",
                "-n",
                namespace,
                "-f",
                "-",
            ],
            Some(yaml),
        )
    }

    /// `apply` that must succeed.
    pub fn apply_ok(&self, namespace: &str, yaml: &str) -> String {
        let run = self.apply(namespace, yaml);
        assert!(
            run.success(),
            "kubectl apply failed ({:?}):\n{}{}\n---\n{yaml}",
            run.code,
            run.stdout,
            run.stderr
        );
        run.stdout
    }

    /// The object `resource/name` in `namespace` as JSON (`kubectl get -o json`).
    pub fn get(&self, namespace: &str, resource: &str, name: &str) -> serde_json::Value {
        let out = self.kubectl_ok(
            &["get", "-n", namespace, resource, name, "-o", "json"],
            None,
        );
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("kubectl get -o json: {e}: {out}"))
    }

    /// Merge-patches the status subresource of `resource/name`.
    pub fn patch_status(&self, namespace: &str, resource: &str, name: &str, patch: &str) -> String {
        self.kubectl_ok(
            &[
                "patch",
                "-n",
                namespace,
                resource,
                name,
                "--subresource=status",
                "--type=merge",
                "-p",
                patch,
            ],
            None,
        )
    }

    /// Creates a fresh namespace `PREFIX-N` and returns its name.
    pub fn namespace(&self, prefix: &str) -> String {
        let n = self.namespaces.get() + 1;
        self.namespaces.set(n);
        let name: String = format!("{prefix}-{n}")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() {
                    c.to_ascii_lowercase()
                } else {
                    '-'
                }
            })
            .collect();
        self.kubectl_ok(&["create", "namespace", &name], None);
        name
    }

    /// Runs every case with this cluster and a fresh namespace named after
    /// it, even after a failure; panics at the end naming the failed cases.
    /// The cluster stays the caller's, so it is stopped when the caller's
    /// test returns or unwinds.
    pub fn cases(&self, cases: &[Case<'_>]) {
        let mut failed = Vec::new();
        for (name, case) in cases {
            let ns = self.namespace(name);
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case(self, &ns)));
            if result.is_err() {
                failed.push(*name);
            }
        }
        assert!(failed.is_empty(), "failed cases: {failed:?}");
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // kube-apiserver first: it must not outlive its storage.
        drop(self.apiserver.take());
        drop(self.etcd.take());
        // Then `dir` removes the data, certificates and logs.
    }
}

/// Starts etcd on two free loopback ports; the process and its client URL.
fn start_etcd(bin: &Path, dir: &Path) -> (Proc, String) {
    let agent = agent(None);
    let mut last = String::new();
    for attempt in 0..PORT_TRIES {
        let (client, peer) = (free_port(), free_port());
        let client_url = format!("http://127.0.0.1:{client}");
        let peer_url = format!("http://127.0.0.1:{peer}");
        let data = dir.join(format!("etcd-data-{attempt}"));
        let mut cmd = Command::new(bin);
        cmd.arg("--name=harness")
            .arg(format!("--data-dir={}", data.display()))
            .arg(format!("--listen-client-urls={client_url}"))
            .arg(format!("--advertise-client-urls={client_url}"))
            .arg(format!("--listen-peer-urls={peer_url}"))
            .arg(format!("--initial-advertise-peer-urls={peer_url}"))
            .arg(format!("--initial-cluster=harness={peer_url}"))
            .arg("--initial-cluster-state=new")
            .arg("--unsafe-no-fsync")
            .arg("--log-level=warn");
        let mut proc = Proc::spawn(cmd, "etcd", &dir.join(format!("etcd-{attempt}.log")));
        let health = format!("{client_url}/health");
        match wait_ready(&mut proc, ETCD_TIMEOUT, || {
            http_get(&agent, &health, None)
                .is_some_and(|(s, body)| s == 200 && body.contains("\"health\":\"true\""))
        }) {
            Ok(()) => return (proc, client_url),
            Err(StartError::PortTaken) => last = proc.log_tail(20),
            Err(StartError::Failed(why)) => panic!("{why}"),
        }
    }
    panic!("etcd found its ports taken {PORT_TRIES} times; last log:\n{last}")
}

/// Starts kube-apiserver against `etcd_url`; the process, its port and the
/// CA bundle of its self-signed serving certificate.
fn start_apiserver(bin: &Path, dir: &Path, etcd_url: &str) -> (Proc, u16, PathBuf) {
    let sa_key = dir.join("sa.key");
    let keygen = Command::new("openssl")
        .args([
            "ecparam",
            "-name",
            "prime256v1",
            "-genkey",
            "-noout",
            "-out",
        ])
        .arg(&sa_key)
        .stdout(Stdio::null())
        .output()
        .expect("openssl runs");
    assert!(
        keygen.status.success(),
        "openssl ecparam: {}",
        String::from_utf8_lossy(&keygen.stderr)
    );
    let tokens = dir.join("tokens.csv");
    std::fs::write(
        &tokens,
        format!("{ADMIN_TOKEN},admin,admin-uid,\"system:masters\"\n"),
    )
    .expect("token file");
    let mut last = String::new();
    for attempt in 0..PORT_TRIES {
        let port = free_port();
        let cert_dir = dir.join(format!("certs-{attempt}"));
        let mut cmd = Command::new(bin);
        cmd.arg(format!("--etcd-servers={etcd_url}"))
            .arg("--bind-address=127.0.0.1")
            .arg("--advertise-address=127.0.0.1")
            .arg(format!("--secure-port={port}"))
            .arg(format!("--cert-dir={}", cert_dir.display()))
            .arg(format!("--token-auth-file={}", tokens.display()))
            .arg("--authorization-mode=RBAC")
            .arg("--service-cluster-ip-range=10.0.0.0/24")
            .arg("--service-account-issuer=https://kubernetes.default.svc")
            .arg(format!("--service-account-key-file={}", sa_key.display()))
            .arg(format!(
                "--service-account-signing-key-file={}",
                sa_key.display()
            ))
            .arg("--disable-admission-plugins=ServiceAccount")
            .arg("--enable-priority-and-fairness=false")
            .arg("--profiling=false")
            .arg("--endpoint-reconciler-type=none");
        let mut proc = Proc::spawn(
            cmd,
            "kube-apiserver",
            &dir.join(format!("kube-apiserver-{attempt}.log")),
        );
        // The certificate appears before the port serves; /readyz needs
        // both, and the token (it is 200 only when every check passes).
        let ca = cert_dir.join("apiserver.crt");
        let readyz = format!("https://127.0.0.1:{port}/readyz");
        let mut tls_agent: Option<ureq::Agent> = None;
        match wait_ready(&mut proc, APISERVER_TIMEOUT, || {
            if tls_agent.is_none() {
                tls_agent = tls_for(&ca).map(|t| agent(Some(t)));
            }
            tls_agent.as_ref().is_some_and(|a| {
                http_get(a, &readyz, Some(ADMIN_TOKEN)).is_some_and(|(s, _)| s == 200)
            })
        }) {
            Ok(()) => return (proc, port, ca),
            Err(StartError::PortTaken) => last = proc.log_tail(20),
            Err(StartError::Failed(why)) => panic!("{why}"),
        }
    }
    panic!("kube-apiserver found its port taken {PORT_TRIES} times; last log:\n{last}")
}

/// TLS trusting the certificates in `ca`, once the file is complete.
fn tls_for(ca: &Path) -> Option<ureq::tls::TlsConfig> {
    let pem = std::fs::read(ca).ok()?;
    let certs: Vec<_> = ureq::tls::parse_pem(&pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c),
            _ => None,
        })
        .collect();
    // kube-apiserver writes the serving certificate and its CA.
    if certs.len() < 2 {
        return None;
    }
    Some(
        ureq::tls::TlsConfig::builder()
            .root_certs(ureq::tls::RootCerts::Specific(Arc::new(certs)))
            .build(),
    )
}

/// Polls `f` every 100 ms until it answers, for up to 60 s (then fails
/// the test, naming `what`).
#[allow(dead_code)] // not every test binary that includes the harness waits
pub fn eventually<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
