//! Leader election on a coordination.k8s.io/v1 Lease, as client-go's
//! `leaderelection` package does it: a replica takes the Lease when it
//! is free, released or expired (`renewTime + leaseDurationSeconds` in the
//! past), renews it every third of the duration, and every write carries
//! the `resourceVersion` it read, so two replicas racing for it cannot
//! both win (the loser gets 409). A leader that cannot renew within the
//! duration has lost it and stops; one that shuts down releases it (no
//! holder, duration 1 s) so a standby takes over at once.

use std::time::Duration;

use k8s_openapi::api::coordination::v1::{Lease, LeaseSpec};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::MicroTime;
use k8s_openapi::jiff::{SignedDuration, Timestamp};
use kube::api::{Api, ObjectMeta, PostParams};

use super::log;

#[derive(Debug, Clone)]
pub struct LeaseOptions {
    pub namespace: String,
    pub name: String,
    /// This replica (pod name and process id).
    pub identity: String,
    pub duration: Duration,
}

pub struct Elector {
    api: Api<Lease>,
    options: LeaseOptions,
}

/// What one look at the Lease found.
enum Try {
    Held,
    Taken,
    /// Someone else holds it (their identity).
    Other(String),
}

impl Elector {
    pub fn new(client: kube::Client, options: LeaseOptions) -> Self {
        Self {
            api: Api::namespaced(client, &options.namespace),
            options,
        }
    }

    fn retry(&self) -> Duration {
        (self.options.duration / 3).max(Duration::from_millis(200))
    }

    /// Returns once this replica holds the Lease.
    pub async fn acquire(&self) {
        let mut said = false;
        loop {
            match self.try_hold(false).await {
                Ok(Try::Held | Try::Taken) => {
                    log::info(
                        "acquired the lease; leading",
                        &[
                            ("lease", &self.lease_name()),
                            ("identity", &self.options.identity),
                        ],
                    );
                    return;
                }
                Ok(Try::Other(holder)) => {
                    if !said {
                        log::info(
                            "standing by; another replica leads",
                            &[
                                ("lease", &self.lease_name()),
                                ("holder", &holder),
                                ("identity", &self.options.identity),
                            ],
                        );
                        said = true;
                    }
                }
                Err(e) => log::warn(
                    "cannot read the lease",
                    &[("lease", &self.lease_name()), ("error", &e)],
                ),
            }
            tokio::time::sleep(self.retry()).await;
        }
    }

    /// Renews until a renewal has failed for a whole lease duration (or
    /// another replica holds the Lease); then returns: leadership is lost.
    pub async fn keep(&self) {
        let mut last_ok = std::time::Instant::now();
        loop {
            tokio::time::sleep(self.retry()).await;
            match self.try_hold(true).await {
                Ok(Try::Held | Try::Taken) => last_ok = std::time::Instant::now(),
                Ok(Try::Other(holder)) => {
                    log::error(
                        "lost the lease",
                        &[("lease", &self.lease_name()), ("holder", &holder)],
                    );
                    return;
                }
                Err(e) if last_ok.elapsed() >= self.options.duration => {
                    log::error(
                        "could not renew the lease in time",
                        &[("lease", &self.lease_name()), ("error", &e)],
                    );
                    return;
                }
                Err(_) => {}
            }
        }
    }

    /// Gives the Lease up, so a standby need not wait for it to expire.
    pub async fn release(&self) {
        let Ok(Some(mut lease)) = self.api.get_opt(&self.options.name).await else {
            return;
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        if spec.holder_identity.as_deref() != Some(&self.options.identity) {
            return;
        }
        spec.holder_identity = None;
        spec.lease_duration_seconds = Some(1);
        spec.renew_time = Some(MicroTime(Timestamp::now()));
        let _ = self
            .api
            .replace(&self.options.name, &PostParams::default(), &lease)
            .await;
        log::info("released the lease", &[("lease", &self.lease_name())]);
    }

    fn lease_name(&self) -> String {
        format!("{}/{}", self.options.namespace, self.options.name)
    }

    fn seconds(&self) -> i32 {
        i32::try_from(self.options.duration.as_secs().max(1)).unwrap_or(i32::MAX)
    }

    /// One attempt to hold the Lease (`renewing`: we believe we hold it).
    async fn try_hold(&self, renewing: bool) -> Result<Try, String> {
        let now = Timestamp::now();
        let me = &self.options.identity;
        let found = self
            .api
            .get_opt(&self.options.name)
            .await
            .map_err(|e| crate::cluster::causes(&e))?;
        let Some(mut lease) = found else {
            let lease = Lease {
                metadata: ObjectMeta {
                    name: Some(self.options.name.clone()),
                    namespace: Some(self.options.namespace.clone()),
                    ..ObjectMeta::default()
                },
                spec: Some(LeaseSpec {
                    holder_identity: Some(me.clone()),
                    lease_duration_seconds: Some(self.seconds()),
                    acquire_time: Some(MicroTime(now)),
                    renew_time: Some(MicroTime(now)),
                    lease_transitions: Some(0),
                    ..LeaseSpec::default()
                }),
            };
            return match self.api.create(&PostParams::default(), &lease).await {
                Ok(_) => Ok(Try::Taken),
                Err(kube::Error::Api(e)) if e.code == 409 => Ok(Try::Other(String::new())),
                Err(e) => Err(crate::cluster::causes(&e)),
            };
        };
        let spec = lease.spec.get_or_insert_with(LeaseSpec::default);
        let holder = spec.holder_identity.clone().unwrap_or_default();
        let mine = holder == *me;
        let expired = match (&spec.renew_time, spec.lease_duration_seconds) {
            (Some(MicroTime(renewed)), Some(secs)) => {
                *renewed + SignedDuration::from_secs(i64::from(secs)) < now
            }
            _ => true,
        };
        if !mine && !holder.is_empty() && !expired {
            return Ok(Try::Other(holder));
        }
        if renewing && !mine {
            // Someone else took it (or released it on our behalf).
            return Ok(Try::Other(holder));
        }
        if !mine {
            spec.acquire_time = Some(MicroTime(now));
            spec.lease_transitions = Some(spec.lease_transitions.unwrap_or(0) + 1);
        }
        spec.holder_identity = Some(me.clone());
        spec.lease_duration_seconds = Some(self.seconds());
        spec.renew_time = Some(MicroTime(now));
        match self
            .api
            .replace(&self.options.name, &PostParams::default(), &lease)
            .await
        {
            Ok(_) if mine => Ok(Try::Held),
            Ok(_) => Ok(Try::Taken),
            Err(kube::Error::Api(e)) if e.code == 409 => Ok(Try::Other(holder)),
            Err(e) => Err(crate::cluster::causes(&e)),
        }
    }
}
