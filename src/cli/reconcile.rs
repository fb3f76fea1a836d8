//! `reconcile IMAGE[:TAG]`: asks Flux to scan IMAGE now and, with
//! `--wait`, waits until the sources handled the request and, given TAG,
//! until every ImagePolicy over them picked TAG or something it prefers;
//! a policy that can never pick TAG is named with the engine's reason
//! instead of waited for.

use std::time::{Duration, Instant};

use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, KubeFlags, print};
use crate::cluster::apply::FIELD_MANAGER;
use crate::cluster::reconcile::{REQUESTED_AT, handled};
use crate::cluster::{Cluster, Live, Scope, kinds, live_workspace};
use crate::model::{Model, image};
use crate::resolve::flux;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The image that was pushed, `[registry/]repository[:tag]`.
    pub image: String,
    /// Wait until the sources handled the request (and, with a tag, until
    /// the policies picked it).
    #[arg(long)]
    pub wait: bool,
    /// How long --wait waits (Go duration: 90s, 5m).
    #[arg(long, default_value = "2m", value_parser = super::preview::positive_duration)]
    pub timeout: Duration,
    /// Look in every namespace (the default unless -n names one).
    #[arg(short = 'A', long = "all-namespaces")]
    pub all_namespaces: bool,
    /// The field manager of the request annotation.
    #[arg(long, value_name = "NAME", default_value = FIELD_MANAGER)]
    pub field_manager: String,
}

pub fn run(args: Args, kube: &KubeFlags) -> u8 {
    let parsed = match image::parse(&args.image) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {:?} is not an image reference: {e}", args.image);
            return EXIT_ERROR;
        }
    };
    let repository = parsed.normalized_name();
    let tag = parsed.tag().map(str::to_owned);
    let cluster = match Cluster::connect(&kube.connect()) {
        Ok(c) => c,
        Err(e) => return super::failed(&e),
    };
    let scope = match &kube.namespace {
        Some(ns) if !args.all_namespaces => Scope::Namespace(ns.clone()),
        _ => Scope::All,
    };
    let sources = match cluster.sources_of(&repository, &scope) {
        Ok(s) => s,
        Err(e) => return super::failed(&e),
    };
    if sources.is_empty() {
        eprintln!(
            "error: no ImageRepository, OCIRepository or OCI HelmRepository follows {repository}"
        );
        return EXIT_FINDINGS;
    }
    // Flux's own CLI uses the request time as the token.
    let token = k8s_openapi::jiff::Timestamp::now().to_string();
    for s in &sources {
        if let Err(e) = cluster.request(s, &token, &args.field_manager) {
            return super::failed(&e);
        }
        print(&format!("{}: {REQUESTED_AT}={token}\n", name(s)));
    }
    if !args.wait {
        return EXIT_CLEAN;
    }
    let deadline = Instant::now() + args.timeout;
    let every = Duration::from_millis(500);
    let state = match cluster.wait_for(&sources, |o| handled(o, &token), every, deadline) {
        Ok(s) => s,
        Err(e) => return super::failed(&e),
    };
    let mut failed = false;
    for (o, done) in &state {
        if *done {
            print(&format!("{}: reconciled\n", name(o)));
        } else {
            eprintln!(
                "error: {} did not handle the request within {:?}",
                name(o),
                args.timeout
            );
            failed = true;
        }
    }
    if let Some(tag) = tag {
        failed |=
            wait_for_tag(&cluster, &state, &scope, &tag, deadline, every).unwrap_or_else(|e| {
                super::failed(&e);
                true
            });
    }
    if failed { EXIT_FINDINGS } else { EXIT_CLEAN }
}

/// Judges every ImagePolicy over the image repositories in `sources`:
/// one that cannot pick `tag` is reported with the engine's reason; the
/// rest are waited for. `Ok(true)` when one excluded the tag or did not
/// get there in time.
fn wait_for_tag(
    cluster: &Cluster,
    sources: &[(Live, bool)],
    scope: &Scope,
    tag: &str,
    deadline: Instant,
    every: Duration,
) -> Result<bool, crate::cluster::ClusterError> {
    let repositories: Vec<&Live> = sources
        .iter()
        .map(|(o, _)| o)
        .filter(|o| o.kind.kind == "ImageRepository")
        .collect();
    let policies: Vec<Live> = cluster
        .list(&kinds::IMAGE_POLICY, scope, None)?
        .unwrap_or_default()
        .into_iter()
        .filter(|p| repositories.iter().any(|r| p.is_policy_of(r)))
        .collect();
    // The policies and their repositories go through the model, as files
    // would, and the engine judges them as preview does.
    let mut documents: Vec<Live> = policies.clone();
    documents.extend(repositories.iter().map(|r| (*r).clone()));
    let ws = live_workspace(&documents);
    let model = Model::build(&ws);
    let mut failed = false;
    let mut waiting = Vec::new();
    let mut engines = Vec::new();
    for p in &policies {
        let engine = model
            .flux
            .policy(&p.namespace, &p.name)
            .and_then(|mp| crate::preview::flux_engine(mp, model.flux.repository_for(mp)));
        let Some(engine) = engine else {
            eprintln!(
                "warning: {}: the policy cannot be read; not waited for",
                name(p)
            );
            continue;
        };
        if let Err(why) = flux::select(&engine, &[tag.to_owned()]) {
            eprintln!("error: {} never picks {tag}: {why}", name(p));
            failed = true;
            continue;
        }
        waiting.push(p.clone());
        engines.push(engine);
    }
    let picked = |p: &Live| p.str_at("status.latestRef.tag").map(str::to_owned);
    let state = cluster.wait_for(
        &waiting,
        |p| {
            let i = waiting
                .iter()
                .position(|w| w.name == p.name && w.namespace == p.namespace);
            match (picked(p), i) {
                (Some(now), Some(i)) => {
                    now == tag
                        || flux::select(&engines[i], &[tag.to_owned(), now.clone()])
                            .is_ok_and(|s| s.tag == now)
                }
                _ => false,
            }
        },
        every,
        deadline,
    )?;
    for (p, done) in state {
        let now = picked(&p).unwrap_or_else(|| "nothing".to_owned());
        if done {
            print(&format!("{}: picked {now}\n", name(&p)));
        } else {
            eprintln!("error: {}: still at {now}, not {tag}", name(&p));
            failed = true;
        }
    }
    Ok(failed)
}

fn name(o: &Live) -> String {
    format!(
        "{}.{}/{}/{}",
        o.kind.kind.to_lowercase(),
        o.kind.group,
        o.namespace,
        o.name
    )
}
