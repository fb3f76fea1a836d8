//! The webhook's HTTPS endpoint: `POST /validate` takes an AdmissionReview
//! and answers with [`super::review::answer`]; `GET /healthz` is for the
//! kubelet. HTTP/1.1 only (offered by ALPN), one request a connection, a
//! `Content-Length` body: what the API server's webhook client sends. The
//! certificate is read once at start; a new one takes a restart (the
//! Deployment's rollout).

#![allow(clippy::disallowed_methods)] // an I/O module

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

use super::WebhookError;
use super::cert::{CERT_FILE, KEY_FILE};
use crate::controller::log;

/// The largest request read: a review holds the object and its old
/// version, each at most the API server's 3 MiB object limit.
const MAX_BODY: usize = 8 << 20;
const MAX_HEAD: usize = 16 << 10;

pub fn tls_config(dir: &Path) -> Result<rustls::ServerConfig, WebhookError> {
    use pki_types::pem::PemObject;
    let tls = |message: String| WebhookError::Tls {
        dir: dir.display().to_string(),
        message,
    };
    let read = |name: &str| {
        let path = dir.join(name);
        std::fs::read(&path).map_err(|e| WebhookError::Io {
            path: path.display().to_string(),
            message: e.to_string(),
        })
    };
    let certs = pki_types::CertificateDer::pem_slice_iter(&read(CERT_FILE)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| tls(format!("{CERT_FILE}: {e}")))?;
    let key = pki_types::PrivateKeyDer::from_pem_slice(&read(KEY_FILE)?)
        .map_err(|e| tls(format!("{KEY_FILE}: {e}")))?;
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| tls(e.to_string()))?
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .map_err(|e| tls(e.to_string()))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// Serves on `addr` until `shutdown` resolves. The listener is bound
/// before this returns its first await, so a taken port fails the start.
pub async fn run(
    addr: &str,
    cert_dir: &Path,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), WebhookError> {
    let acceptor = TlsAcceptor::from(Arc::new(tls_config(cert_dir)?));
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|e| WebhookError::Listen {
            addr: addr.to_owned(),
            message: e.to_string(),
        })?;
    let bound = listener
        .local_addr()
        .map_or_else(|_| addr.to_owned(), |a| a.to_string());
    log::info("webhook started", &[("addr", &bound)]);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let served = async {
                        match acceptor.accept(stream).await {
                            Ok(tls) => connection(tls).await,
                            Err(e) => log::warn("TLS handshake failed", &[("error", &e.to_string())]),
                        }
                    };
                    let _ = tokio::time::timeout(Duration::from_secs(30), served).await;
                });
            }
        }
    }
    log::info("webhook stopped", &[]);
    Ok(())
}

/// A request as far as the webhook reads one.
#[derive(Debug, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    pub body: Vec<u8>,
}

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let (status, body) = match read_request(&mut stream).await {
        Ok(request) => route(&request),
        Err(status) => (status, Vec::new()),
    };
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        411 => "Length Required",
        413 => "Payload Too Large",
        _ => "Error",
    };
    let content_type = if status == 200 && body.first() == Some(&b'{') {
        "application/json"
    } else {
        "text/plain"
    };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(&body).await;
    let _ = stream.shutdown().await;
}

/// Status and body for a request.
pub fn route(request: &Request) -> (u16, Vec<u8>) {
    match (request.method.as_str(), request.path.split('?').next()) {
        ("POST", Some("/validate")) => {
            let review = super::review::answer(&request.body);
            if let Some(r) = &review.response
                && !r.allowed
            {
                log::info("denied", &[("uid", &r.uid), ("reason", &r.result.message)]);
            }
            match serde_json::to_vec(&review) {
                Ok(body) => (200, body),
                Err(e) => (500, e.to_string().into_bytes()),
            }
        }
        ("GET", Some("/healthz")) => (200, b"ok\n".to_vec()),
        _ => (404, b"not found\n".to_vec()),
    }
}

/// Reads the head and a `Content-Length` body; the error is the status
/// to answer with.
async fn read_request<S: AsyncRead + Unpin>(stream: &mut S) -> Result<Request, u16> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEAD {
            return Err(413);
        }
        let n = stream.read(&mut chunk).await.map_err(|_| 400u16)?;
        if n == 0 {
            return Err(400);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or_default().split_whitespace();
    let method = first.next().unwrap_or_default().to_owned();
    let path = first.next().unwrap_or_default().to_owned();
    let mut length = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim();
        if name.eq_ignore_ascii_case("content-length") {
            length = Some(value.parse::<usize>().map_err(|_| 400u16)?);
        } else if name.eq_ignore_ascii_case("transfer-encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(411);
        }
    }
    let length = length.unwrap_or(0);
    if length > MAX_BODY {
        return Err(413);
    }
    let mut body = buf.split_off(head_end + 4);
    while body.len() < length {
        let n = stream.read(&mut chunk).await.map_err(|_| 400u16)?;
        if n == 0 {
            return Err(400);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Request { method, path, body })
}
