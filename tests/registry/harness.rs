//! Real registry components on loopback for the registry tests and the
//! benchmark: Debian's `docker-registry` (CNCF distribution 2.8) on
//! 127.0.0.1 with a port it picks itself, plus the Python helpers in
//! tests/support/registry (token server, page/fault proxy, seeder). Every
//! process is killed and waited for when its handle drops; every wait is
//! bounded.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Longest wait for a process to come up.
pub const START_TIMEOUT: Duration = Duration::from_secs(10);

pub fn support() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/support/registry")
}

pub fn registry_binary() -> PathBuf {
    let p = PathBuf::from("/usr/bin/docker-registry");
    if p.exists() {
        return p;
    }
    PathBuf::from("docker-registry")
}

/// A child process, killed and reaped on drop.
pub struct Proc {
    child: Child,
    pub name: String,
    pub log: PathBuf,
}

impl Proc {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` every 20 ms until it gives a value or `START_TIMEOUT` ends.
fn wait_for<T>(what: &str, log: &Path, mut f: impl FnMut() -> Option<T>) -> T {
    let start = Instant::now();
    loop {
        if let Some(v) = f() {
            return v;
        }
        if start.elapsed() > START_TIMEOUT {
            let text = std::fs::read_to_string(log).unwrap_or_default();
            panic!("{what} did not come up within {START_TIMEOUT:?}; log:\n{text}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn listening_port(log: &Path, marker: &str) -> Option<u16> {
    let text = std::fs::read_to_string(log).ok()?;
    let at = text.find(marker)? + marker.len();
    let digits: String = text[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok()
}

/// Starts `cmd` with stdout and stderr appended to `log`.
fn spawn(mut cmd: Command, name: &str, log: &Path) -> Proc {
    let out = std::fs::File::create(log).expect("log file");
    let err = out.try_clone().expect("log file");
    let child = cmd
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {name}: {e}"));
    Proc {
        child,
        name: name.to_owned(),
        log: log.to_owned(),
    }
}

/// GET with ureq, any status; `None` on a transport error.
pub fn http_get(url: &str, auth: Option<&str>) -> Option<(u16, String)> {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(5)))
        .proxy(None)
        .build()
        .new_agent();
    let mut req = agent.get(url);
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    let mut resp = req.call().ok()?;
    let status = resp.status().as_u16();
    let body = resp.body_mut().read_to_string().unwrap_or_default();
    Some((status, body))
}

/// How the registry authenticates.
pub enum Auth {
    None,
    /// htpasswd file (bcrypt); realm `test-realm`.
    Htpasswd(PathBuf),
    /// Token auth: realm URL, service, issuer, root certificate.
    Token {
        realm: String,
        service: String,
        issuer: String,
        cert: PathBuf,
    },
}

/// Where the registry stores data.
pub enum Storage {
    Memory,
    /// Filesystem storage at this root (the bench writes tag links there).
    Filesystem(PathBuf),
}

pub struct Registry {
    pub proc: Proc,
    /// `127.0.0.1:PORT`.
    pub addr: String,
    pub storage_root: Option<PathBuf>,
}

impl Registry {
    pub fn start(dir: &Path, auth: Auth, storage: Storage) -> Registry {
        std::fs::create_dir_all(dir).expect("registry dir");
        let (storage_yaml, storage_root) = match storage {
            Storage::Memory => ("  inmemory: {}\n".to_owned(), None),
            Storage::Filesystem(root) => (
                format!("  filesystem:\n    rootdirectory: {}\n", root.display()),
                Some(root),
            ),
        };
        let auth_yaml = match auth {
            Auth::None => String::new(),
            Auth::Htpasswd(path) => format!(
                "auth:\n  htpasswd:\n    realm: test-realm\n    path: {}\n",
                path.display()
            ),
            Auth::Token {
                realm,
                service,
                issuer,
                cert,
            } => format!(
                "auth:\n  token:\n    realm: {realm}\n    service: {service}\n    issuer: {issuer}\n    rootcertbundle: {}\n",
                cert.display()
            ),
        };
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n{storage_yaml}  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:0\n  secret: testsecret\n{auth_yaml}"
        );
        let (proc, addr, log) = serve(dir, &config);
        wait_for("docker-registry /v2/", &log, || {
            http_get(&format!("http://{addr}/v2/"), None).filter(|(s, _)| *s == 200 || *s == 401)
        });
        Registry {
            proc,
            addr,
            storage_root,
        }
    }
}

impl Registry {
    /// A registry serving TLS with `cert`/`key` (no auth, in memory). It
    /// is ready when its port accepts connections (plain GETs would fail).
    pub fn start_tls(dir: &Path, cert: &Path, key: &Path) -> Registry {
        std::fs::create_dir_all(dir).expect("registry dir");
        let config = format!(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: true\nstorage:\n  inmemory: {{}}\nhttp:\n  addr: 127.0.0.1:0\n  secret: testsecret\n  tls:\n    certificate: {}\n    key: {}\n",
            cert.display(),
            key.display()
        );
        let (proc, addr, log) = serve(dir, &config);
        wait_for("docker-registry TLS port", &log, || {
            std::net::TcpStream::connect(&addr).ok()
        });
        Registry {
            proc,
            addr,
            storage_root: None,
        }
    }
}

/// Starts docker-registry on `config` and waits for the port it bound;
/// returns the process, its address and its log.
fn serve(dir: &Path, config: &str) -> (Proc, String, PathBuf) {
    let config_path = dir.join("config.yml");
    std::fs::write(&config_path, config).expect("registry config");
    let log = dir.join("registry.log");
    let mut cmd = Command::new(registry_binary());
    cmd.arg("serve").arg(&config_path);
    let proc = spawn(cmd, "docker-registry", &log);
    let port = wait_for("docker-registry", &log, || {
        listening_port(&log, "listening on 127.0.0.1:")
    });
    (proc, format!("127.0.0.1:{port}"), log)
}

fn python(script: &str) -> Command {
    let mut cmd = Command::new("python3");
    cmd.arg("-u").arg(support().join(script));
    cmd
}

/// The page/fault proxy (tests/support/registry/proxy.py).
pub struct Proxy {
    pub proc: Proc,
    pub addr: String,
    pub requests: PathBuf,
    pub faults: PathBuf,
}

impl Proxy {
    pub fn start(dir: &Path, upstream: &str, page_size: usize) -> Proxy {
        std::fs::create_dir_all(dir).expect("proxy dir");
        let requests = dir.join("requests.log");
        let faults = dir.join("faults.json");
        std::fs::write(&requests, "").expect("request log");
        std::fs::write(&faults, "{}").expect("faults");
        let log = dir.join("proxy.log");
        let mut cmd = python("proxy.py");
        cmd.arg(upstream)
            .arg(&requests)
            .arg(&faults)
            .arg(page_size.to_string());
        let proc = spawn(cmd, "proxy.py", &log);
        let port = wait_for("proxy.py", &log, || listening_port(&log, "listening on "));
        Proxy {
            proc,
            addr: format!("127.0.0.1:{port}"),
            requests,
            faults,
        }
    }

    /// Sets the faults, by repository path.
    pub fn set_faults(&self, faults: &[(&str, &str)]) {
        let map: BTreeMap<&str, &str> = faults.iter().copied().collect();
        std::fs::write(&self.faults, serde_json::to_string(&map).unwrap()).expect("faults");
    }

    /// Every request so far ("METHOD PATH?QUERY").
    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.requests)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    pub fn clear_requests(&self) {
        std::fs::write(&self.requests, "").expect("request log");
    }
}

/// The token server (tests/support/registry/tokensrv.py) with a fresh RSA
/// key and certificate made by openssl in `dir`.
pub struct TokenServer {
    pub proc: Proc,
    pub url: String,
    pub cert: PathBuf,
    pub requests: PathBuf,
}

pub const SERVICE: &str = "test-registry";
pub const ISSUER: &str = "test-issuer";

impl TokenServer {
    pub fn start(dir: &Path, credentials: Option<&str>) -> TokenServer {
        std::fs::create_dir_all(dir).expect("token dir");
        let key = dir.join("token.key");
        let cert = dir.join("token.crt");
        let status = Command::new("openssl")
            .args(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .args(["-days", "2", "-subj", "/CN=test-token-issuer"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("openssl runs");
        assert!(status.success(), "openssl req failed");
        let requests = dir.join("token-requests.log");
        std::fs::write(&requests, "").expect("token log");
        let log = dir.join("tokensrv.log");
        let mut cmd = python("tokensrv.py");
        cmd.arg(&key).arg(&cert).arg(ISSUER).arg(&requests);
        if let Some(c) = credentials {
            cmd.arg(c);
        }
        let proc = spawn(cmd, "tokensrv.py", &log);
        let port = wait_for("tokensrv.py", &log, || {
            listening_port(&log, "listening on ")
        });
        TokenServer {
            proc,
            url: format!("http://127.0.0.1:{port}/token"),
            cert,
            requests,
        }
    }

    /// A token for pull and push on `repos` (for seeding).
    pub fn push_token(&self, repos: &[&str], basic: Option<&str>) -> String {
        let scopes: Vec<String> = repos
            .iter()
            .map(|r| format!("scope=repository:{r}:pull,push"))
            .collect();
        let url = format!("{}?service={SERVICE}&{}", self.url, scopes.join("&"));
        let (status, body) = http_get(&url, basic).expect("token server answers");
        assert_eq!(status, 200, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["token"].as_str().unwrap().to_owned()
    }

    pub fn requests(&self) -> Vec<String> {
        std::fs::read_to_string(&self.requests)
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

/// One tag to seed.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeedTag {
    pub tag: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub docker: bool,
}

impl SeedTag {
    pub fn new(tag: &str) -> SeedTag {
        SeedTag {
            tag: tag.to_owned(),
            created: None,
            platforms: Vec::new(),
            docker: false,
        }
    }

    pub fn created(mut self, c: &str) -> SeedTag {
        self.created = Some(c.to_owned());
        self
    }

    pub fn platforms(mut self, p: &[&str]) -> SeedTag {
        self.platforms = p.iter().map(|s| (*s).to_owned()).collect();
        self
    }
}

/// Digests of the seeded tags: repository path → tag → digest.
pub type Digests = BTreeMap<String, BTreeMap<String, String>>;

/// Pushes `repos` to `addr` with seed.py; `auth` is a full Authorization
/// header value.
pub fn seed(
    dir: &Path,
    addr: &str,
    repos: &BTreeMap<String, Vec<SeedTag>>,
    auth: Option<&str>,
) -> Digests {
    std::fs::create_dir_all(dir).expect("seed dir");
    let spec = dir.join("seed.json");
    std::fs::write(
        &spec,
        serde_json::to_string(&serde_json::json!({ "threads": 4, "repos": repos })).unwrap(),
    )
    .expect("seed spec");
    let mut cmd = python("seed.py");
    cmd.arg(addr).arg(&spec);
    match auth {
        Some(a) => {
            cmd.env("SEED_AUTH", a);
        }
        None => {
            cmd.env_remove("SEED_AUTH");
        }
    }
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 runs");
    let mut out = String::new();
    let mut err = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut out)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "seed.py failed: {err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("seed.py output: {e}: {out}"))
}

/// Reads the first line of a file written by a child (for debugging).
pub fn first_line(path: &Path) -> String {
    std::fs::File::open(path)
        .ok()
        .and_then(|f| BufReader::new(f).lines().next())
        .and_then(Result::ok)
        .unwrap_or_default()
}
