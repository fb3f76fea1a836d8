//! `/healthz` and `/readyz` on `--health-addr`, for the kubelet's probes:
//! plain HTTP/1.1, one response a connection. `/healthz` is 200 while the
//! process serves; `/readyz` is 200 once the controller is connected and
//! either reconciling (leader) or standing by, 503 before and while it
//! shuts down. The body says which.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use tokio::net::TcpListener;

pub const STARTING: u8 = 0;
pub const STANDBY: u8 = 1;
pub const LEADING: u8 = 2;
pub const STOPPING: u8 = 3;

/// The state the probes report.
#[derive(Clone, Default)]
pub struct State(Arc<AtomicU8>);

impl State {
    pub fn set(&self, s: u8) {
        self.0.store(s, Ordering::SeqCst);
    }

    fn get(&self) -> u8 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Binds `addr` now (so a taken port fails the start) and serves on a
/// task.
pub async fn serve(addr: &str, state: State) -> Result<(), super::ControllerError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| super::ControllerError::Listen {
            addr: addr.to_owned(),
            message: e.to_string(),
        })?;
    tokio::spawn(async move {
        loop {
            let Ok((mut stream, _)) = listener.accept().await else {
                continue;
            };
            let state = state.clone();
            tokio::spawn(async move {
                let request = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    super::http::read_request(&mut stream),
                )
                .await;
                let path = match &request {
                    Ok(Ok(r)) => r.path.as_str(),
                    _ => "/",
                };
                let (code, body) = answer(path, state.get());
                super::http::respond(&mut stream, code, body.as_bytes()).await;
            });
        }
    });
    Ok(())
}

/// Status code and body for `path` in state `s`.
pub fn answer(path: &str, s: u8) -> (u16, &'static str) {
    match (path, s) {
        ("/healthz", _) => (200, "ok\n"),
        ("/readyz", LEADING) => (200, "leading\n"),
        ("/readyz", STANDBY) => (200, "standing by\n"),
        ("/readyz", STOPPING) => (503, "stopping\n"),
        ("/readyz", _) => (503, "starting\n"),
        _ => (404, "not found\n"),
    }
}
