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

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls::{self, pki_types};

use super::WebhookError;
use super::cert::{CERT_FILE, KEY_FILE};
use crate::controller::http::{Request, read_request, respond};
use crate::controller::log;

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

async fn connection<S: AsyncRead + AsyncWrite + Unpin>(mut stream: S) {
    let (status, body) = match read_request(&mut stream).await {
        Ok(request) => route(&request),
        Err(status) => (status, Vec::new()),
    };
    respond(&mut stream, status, &body).await;
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
