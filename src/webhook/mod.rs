//! webhook: `kubectl imageupdate webhook`, a validating admission webhook.
//! The API server sends each create or update of a Flux ImageRepository,
//! ImagePolicy or ImageUpdateAutomation, an Argo CD Image Updater
//! `ImageUpdater` or a KubeSphere `ImageUpdater` as an AdmissionReview;
//! [`review`] judges the object by the controller's path (which is
//! validate's) and answers: errors deny it with their rule codes,
//! warnings come back as admission warnings. [`serve`] is the HTTPS
//! endpoint, [`cert`] makes the certificates the API server must trust,
//! [`manifests`] what installs it.
//!
//! The webhook needs no API server access of its own: everything it judges
//! is in the review.

pub mod cert;
pub mod manifests;
pub mod review;
pub mod serve;

/// Why the webhook did not start or stopped.
#[derive(Debug, thiserror::Error, miette::Diagnostic)]
pub enum WebhookError {
    #[error("cannot listen on {addr}: {message}")]
    #[diagnostic(code(imageupdate::webhook::listen))]
    Listen { addr: String, message: String },
    #[error("{path}: {message}")]
    #[diagnostic(
        code(imageupdate::webhook::io),
        help("make one with: kubectl imageupdate webhook cert --dir DIR --host NAME")
    )]
    Io { path: String, message: String },
    #[error("the serving certificate in {dir}: {message}")]
    #[diagnostic(code(imageupdate::webhook::tls))]
    Tls { dir: String, message: String },
    #[error("cannot generate the certificate: {0}")]
    #[diagnostic(code(imageupdate::webhook::certificate))]
    Certificate(String),
}

#[cfg(test)]
mod tests;
