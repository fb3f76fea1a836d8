//! The certificates the API server and the webhook share: a CA, and a
//! serving certificate it signs for the webhook's names (the Service's DNS
//! names in a cluster; 127.0.0.1 and localhost on a workstation). Files
//! are those of a `kubernetes.io/tls` Secret: `tls.crt`, `tls.key`,
//! `ca.crt`. Hands them to [`super::manifests`] and to `webhook cert`.

#![allow(clippy::disallowed_methods)] // an I/O module

use std::net::IpAddr;
use std::path::Path;

use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SanType,
};

use super::WebhookError;

pub const CERT_FILE: &str = "tls.crt";
pub const KEY_FILE: &str = "tls.key";
pub const CA_FILE: &str = "ca.crt";

/// PEM texts.
#[derive(Debug, Clone)]
pub struct Generated {
    pub ca: String,
    pub cert: String,
    pub key: String,
}

fn failed(e: &rcgen::Error) -> WebhookError {
    WebhookError::Certificate(e.to_string())
}

/// A fresh CA and a serving certificate for `hosts` (DNS names or IP
/// addresses). The CA's key is dropped: a new certificate means a new
/// CA, and the caBundle is replaced with it.
pub fn generate(hosts: &[String]) -> Result<Generated, WebhookError> {
    let ca_key = KeyPair::generate().map_err(|e| failed(&e))?;
    let mut ca = CertificateParams::default();
    ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
    ca.distinguished_name
        .push(DnType::CommonName, "kubectl-imageupdate webhook CA");
    ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let issuer = CertifiedIssuer::self_signed(ca, ca_key).map_err(|e| failed(&e))?;

    let key = KeyPair::generate().map_err(|e| failed(&e))?;
    let mut serving = CertificateParams::default();
    if let Some(first) = hosts.first() {
        serving
            .distinguished_name
            .push(DnType::CommonName, first.as_str());
    }
    for host in hosts {
        let san = match host.parse::<IpAddr>() {
            Ok(ip) => SanType::IpAddress(ip),
            Err(_) => SanType::DnsName(
                host.as_str()
                    .try_into()
                    .map_err(|e: rcgen::Error| WebhookError::Certificate(format!("{host}: {e}")))?,
            ),
        };
        serving.subject_alt_names.push(san);
    }
    serving.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    serving.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let cert = serving.signed_by(&key, &issuer).map_err(|e| failed(&e))?;
    Ok(Generated {
        ca: issuer.pem(),
        cert: cert.pem(),
        key: key.serialize_pem(),
    })
}

/// Writes `tls.crt`, `tls.key` (mode 0600) and `ca.crt` into `dir`.
pub fn write(dir: &Path, g: &Generated) -> Result<(), WebhookError> {
    use std::os::unix::fs::OpenOptionsExt;
    let io = |path: &Path, e: std::io::Error| WebhookError::Io {
        path: path.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    for (name, text, mode) in [
        (CA_FILE, &g.ca, 0o644),
        (CERT_FILE, &g.cert, 0o644),
        (KEY_FILE, &g.key, 0o600),
    ] {
        let path = dir.join(name);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .open(&path)
            .map_err(|e| io(&path, e))?;
        std::io::Write::write_all(&mut f, text.as_bytes()).map_err(|e| io(&path, e))?;
    }
    Ok(())
}
