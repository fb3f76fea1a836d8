//! Whether Flux's controllers would act on a setter marker: the
//! image-reflector-controller must produce the named ImagePolicy's
//! `status.latestRef` (API version served, the CRD's CEL rules, not
//! suspended, one usable policy kind, its ImageRepository served, not
//! suspended and open to the policy's namespace), and an
//! ImageUpdateAutomation must apply it to the marker's file (same
//! namespace, served, not suspended, `update.strategy: Setters`,
//! `policySelector` selecting the policy, the file under `update.path`).
//! Each answer is `None` (it would) or the reason, in words preview shows
//! and apply skips with. Reads the Flux index and the objects' labels
//! while the model is built; hands each marker target its [`Verdict`],
//! which preview (and through it apply) reads.
//!
//! A repository holding no ImageUpdateAutomation at all is taken to be
//! automated from elsewhere (a fleet repository), so its markers are
//! applied; the objects the repository does hold are judged.

use super::flux::{FluxVersion, ImagePolicy, ImageRepository, ImageUpdateAutomation};
use super::marker::Suffix;
use super::target::{Driver, Target};
use super::{Model, yaml_of};
use crate::discover::Workspace;
use crate::yaml::{NodeId, Yaml};

/// What Flux's controllers would do with one setter marker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Why the policy's latestRef would not be produced or not be
    /// applied to the marker; `None` when it would.
    pub blocked: Option<String>,
    /// For a `:digest` marker, the tag its policy's `:tag` (or full)
    /// marker in the same mapping holds: what the policy last wrote
    /// beside the digest (`digestReflectionPolicy: IfNotPresent`).
    pub tag_beside: Option<String>,
}

/// The verdict of each of `model.targets` under Flux release `flux`
/// (default for targets that are not markers).
pub(super) fn judge(ws: &Workspace, model: &Model, flux: FluxVersion) -> Vec<Verdict> {
    model
        .targets
        .iter()
        .map(|t| {
            let Driver::Flux {
                namespace,
                name,
                suffix,
                ..
            } = &t.driver
            else {
                return Verdict::default();
            };
            let blocked = model.flux.policy(namespace, name).and_then(|p| {
                policy_blocked(model, p, flux)
                    .or_else(|| marker_blocked(ws, model, p, &ws.files[t.file].path, flux))
            });
            let tag_beside = (*suffix == Suffix::Digest)
                .then(|| tag_beside(ws, model, t, namespace, name))
                .flatten();
            Verdict {
                blocked,
                tag_beside,
            }
        })
        .collect()
}

/// Why the image-reflector-controller would not produce (or would not
/// move) `policy`'s latestRef; `None` when it would.
fn policy_blocked(model: &Model, policy: &ImagePolicy, flux: FluxVersion) -> Option<String> {
    let name = qualified(policy.meta.namespace.as_deref(), &policy.meta.name);
    if let Some(why) = not_served(model, policy.meta.object, "ImagePolicy", &name, flux) {
        return Some(why);
    }
    // The CRD's CEL rules (api/v1 imagepolicy_types.go, ImagePolicySpec):
    // the API server refuses the object, so no controller sees it.
    let always = policy
        .digest_reflection
        .as_ref()
        .is_some_and(|d| d.value == "Always");
    if policy.interval.is_some() && !always {
        return Some(format!(
            "the API server rejects ImagePolicy {name}: spec.interval is only accepted when spec.digestReflectionPolicy is set to 'Always'"
        ));
    }
    if always && policy.interval.is_none() {
        return Some(format!(
            "the API server rejects ImagePolicy {name}: spec.interval must be set when spec.digestReflectionPolicy is set to 'Always'"
        ));
    }
    if policy.suspend.is_some() {
        return Some(format!(
            "ImagePolicy {name} is suspended: its latestRef stays where the cluster has it, and nothing is written"
        ));
    }
    if let Some(why) = policy_kind(policy, &name) {
        return Some(why);
    }
    let repo = model.flux.repository_for(policy)?;
    let repo_name = qualified(repo.meta.namespace.as_deref(), &repo.meta.name);
    if let Some(why) = not_served(model, repo.meta.object, "ImageRepository", &repo_name, flux) {
        return Some(format!("{why}, so ImagePolicy {name} has no tags"));
    }
    if repo.suspend.is_some() {
        return Some(format!(
            "ImageRepository {repo_name} is suspended: it is not scanned, so ImagePolicy {name} keeps the latestRef the cluster has, and nothing is written"
        ));
    }
    denied(policy, repo, &name, &repo_name)
}

/// `PolicerFromSpec` takes semver, then alphabetical, then numerical, and
/// never falls back: a semver without a range stalls the policy.
fn policy_kind(policy: &ImagePolicy, name: &str) -> Option<String> {
    let first = policy.choices.first()?;
    if first.kind().is_some() {
        return None;
    }
    let others: Vec<&str> = policy.choices[1..]
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    let fallback = if others.is_empty() {
        String::new()
    } else {
        format!("; Flux does not fall back to {}", others.join(" or "))
    };
    Some(format!(
        "ImagePolicy {name} stalls: spec.policy.semver has no range{fallback}"
    ))
}

/// `HasAccessToRef` (fluxcd/pkg runtime/acl): another namespace's
/// ImageRepository without `accessFrom` denies the policy. With
/// `accessFrom`, the namespace labels decide; those are the cluster's, so
/// access is assumed.
fn denied(
    policy: &ImagePolicy,
    repo: &ImageRepository,
    name: &str,
    repo_name: &str,
) -> Option<String> {
    let (Some(pns), Some(rns)) = (
        policy.meta.namespace.as_deref(),
        repo.meta.namespace.as_deref(),
    ) else {
        return None;
    };
    (pns != rns && !repo.has_access_from).then(|| {
        format!(
            "ImageRepository {repo_name} has no spec.accessFrom: the controller denies ImagePolicy {name} from namespace {pns}, so it has no latestRef"
        )
    })
}

/// Why no ImageUpdateAutomation would apply `policy` to a marker in
/// `file` (a path relative to the repository root); `None` when one
/// would, or when the repository holds no automation at all.
fn marker_blocked(
    ws: &Workspace,
    model: &Model,
    policy: &ImagePolicy,
    file: &str,
    flux: FluxVersion,
) -> Option<String> {
    let automations = &model.flux.automations;
    if automations.is_empty() {
        return None;
    }
    let ns = policy.meta.namespace.as_deref();
    let mine: Vec<&ImageUpdateAutomation> = automations
        .iter()
        .filter(|a| ns.is_none_or(|ns| a.meta.in_namespace(ns)))
        .collect();
    let name = qualified(ns, &policy.meta.name);
    if mine.is_empty() {
        return Some(format!(
            "no ImageUpdateAutomation in namespace {} applies ImagePolicy {name}",
            ns.unwrap_or("default")
        ));
    }
    let mut why = Vec::new();
    let mut scopes: Vec<String> = Vec::new();
    for a in mine {
        match automation_skips(ws, model, a, policy, file, flux) {
            None => return None,
            Some(Skip::Outside(scope)) => {
                if !scopes.contains(&scope) {
                    scopes.push(scope);
                }
            }
            Some(Skip::Other(w)) => why.push(w),
        }
    }
    if !scopes.is_empty() {
        why.insert(
            0,
            format!(
                "the file is outside update.path of the automations in namespace {} ({})",
                ns.unwrap_or("default"),
                scopes.join(", ")
            ),
        );
    }
    Some(format!("not applied: {}", why.join("; ")))
}

/// Why one automation leaves a marker alone.
enum Skip {
    /// The file is outside its `update.path` (`./path`).
    Outside(String),
    Other(String),
}

/// Why automation `a` leaves the marker alone.
fn automation_skips(
    ws: &Workspace,
    model: &Model,
    a: &ImageUpdateAutomation,
    policy: &ImagePolicy,
    file: &str,
    flux: FluxVersion,
) -> Option<Skip> {
    let name = qualified(a.meta.namespace.as_deref(), &a.meta.name);
    let label = format!("ImageUpdateAutomation {name}");
    if let Some(why) = not_served(model, a.meta.object, "ImageUpdateAutomation", &name, flux) {
        return Some(Skip::Other(why));
    }
    if a.suspend.is_some() {
        return Some(Skip::Other(format!("{label} is suspended")));
    }
    if let Some(s) = a.update_strategy.as_ref().filter(|s| s.value != "Setters") {
        return Some(Skip::Other(format!(
            "{label} stalls on update.strategy {:?}",
            s.value
        )));
    }
    if let Some(sel) = a.policy_selector {
        let yaml = yaml_of(ws, a.meta.file);
        let labels = labels_of(yaml_of(ws, policy.meta.file), policy.meta.root);
        match selects(yaml, sel, &labels) {
            Err(e) => {
                return Some(Skip::Other(format!(
                    "{label} stalls: invalid policySelector: {e}"
                )));
            }
            Ok(false) => {
                return Some(Skip::Other(format!(
                    "{label}'s policySelector does not select ImagePolicy {}",
                    policy.meta.name
                )));
            }
            Ok(true) => {}
        }
    }
    if !a.covers(file) {
        return Some(Skip::Outside(format!("./{}", a.scope())));
    }
    None
}

/// The tag a `:tag` (or full) marker of policy `namespace:name` holds in
/// the same mapping as target `t` (the kustomize entry or Helm image map
/// of a `:digest` marker): what the policy last wrote beside the digest.
fn tag_beside(
    ws: &Workspace,
    model: &Model,
    t: &Target,
    namespace: &str,
    name: &str,
) -> Option<String> {
    let yaml = yaml_of(ws, t.file);
    let parent = yaml.node(t.node).parent;
    model.targets.iter().find_map(|o| {
        let Driver::Flux {
            namespace: ns,
            name: n,
            suffix,
            ..
        } = &o.driver
        else {
            return None;
        };
        if o.file != t.file || yaml.node(o.node).parent != parent || ns != namespace || n != name {
            return None;
        }
        let value = o.current.as_deref()?;
        match suffix {
            Suffix::Tag => Some(value.to_owned()),
            Suffix::Full => super::image::parse(value).ok()?.tag().map(str::to_owned),
            _ => None,
        }
    })
}

/// `metadata.labels` of an object, as written.
fn labels_of(yaml: &Yaml, root: NodeId) -> Vec<(String, String)> {
    yaml.path(root, &["metadata", "labels"])
        .map(|m| {
            yaml.entries(m)
                .iter()
                .filter_map(|&(k, v)| Some((yaml.str(k)?.to_owned(), yaml.str(v)?.to_owned())))
                .collect()
        })
        .unwrap_or_default()
}

/// A Kubernetes LabelSelector (`matchLabels` and `matchExpressions`, as
/// `metav1.LabelSelectorAsSelector` reads them) against `labels`. An empty
/// selector selects everything.
pub fn selects(yaml: &Yaml, selector: NodeId, labels: &[(String, String)]) -> Result<bool, String> {
    let value = |k: &str| labels.iter().find(|(l, _)| l == k).map(|(_, v)| v.as_str());
    if let Some(m) = yaml.get(selector, "matchLabels") {
        for &(k, v) in yaml.entries(m) {
            let (Some(k), Some(v)) = (yaml.str(k), yaml.str(v)) else {
                continue;
            };
            if value(k) != Some(v) {
                return Ok(false);
            }
        }
    }
    let Some(exprs) = yaml.get(selector, "matchExpressions") else {
        return Ok(true);
    };
    for &e in yaml.items(exprs) {
        let key = yaml.path_str(e, &["key"]).unwrap_or_default();
        let op = yaml.path_str(e, &["operator"]).unwrap_or_default();
        let values: Vec<&str> = yaml
            .get(e, "values")
            .map(|v| yaml.items(v).iter().filter_map(|&i| yaml.str(i)).collect())
            .unwrap_or_default();
        let have = value(key);
        let ok = match op {
            "In" | "NotIn" if values.is_empty() => {
                return Err(format!("operator {op} on {key:?} needs values"));
            }
            "Exists" | "DoesNotExist" if !values.is_empty() => {
                return Err(format!("operator {op} on {key:?} takes no values"));
            }
            "In" => have.is_some_and(|h| values.contains(&h)),
            "NotIn" => have.is_none_or(|h| !values.contains(&h)),
            "Exists" => have.is_some(),
            "DoesNotExist" => have.is_none(),
            other => return Err(format!("{other:?} is not a valid label selector operator")),
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The object's API version, when `flux` no longer serves it.
fn not_served(
    model: &Model,
    object: usize,
    kind: &str,
    name: &str,
    flux: FluxVersion,
) -> Option<String> {
    let version = model.objects.get(object)?.version();
    if flux.serves(version) {
        return None;
    }
    Some(match FluxVersion::removed(version) {
        Some(r) if r.minor > 0 => format!(
            "{kind} {name} is image.toolkit.fluxcd.io/{version}, which Flux {flux} does not serve (removed in Flux {r})"
        ),
        _ => format!(
            "{kind} {name} is image.toolkit.fluxcd.io/{version}, which no Flux release serves"
        ),
    })
}

fn qualified(ns: Option<&str>, name: &str) -> String {
    match ns {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::flux::{FluxVersion, same_git_repository};

    fn selector(text: &str, labels: &[(&str, &str)]) -> Result<bool, String> {
        let yaml = crate::yaml::parse(text);
        let root = yaml.roots().next().unwrap();
        let labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        selects(&yaml, root, &labels)
    }

    /// `metav1.LabelSelectorAsSelector` (k8s.io/apimachinery
    /// `pkg/apis/meta/v1/helpers.go`): matchLabels and matchExpressions
    /// AND together; `In`/`NotIn` need values, `Exists`/`DoesNotExist`
    /// take none (an invalid selector stalls the automation).
    #[test]
    fn label_selectors_as_kubernetes_reads_them() {
        let app = [("app", "web"), ("tier", "edge")];
        assert_eq!(selector("{}", &app), Ok(true));
        assert_eq!(selector("matchLabels: {app: web}", &app), Ok(true));
        assert_eq!(selector("matchLabels: {app: api}", &app), Ok(false));
        let exprs = "matchExpressions:\n  - {key: tier, operator: In, values: [edge, web]}\n  - {key: team, operator: DoesNotExist}\n";
        assert_eq!(selector(exprs, &app), Ok(true));
        assert_eq!(selector(exprs, &[("app", "web")]), Ok(false));
        let not_in = "matchExpressions: [{key: tier, operator: NotIn, values: [edge]}]";
        assert_eq!(selector(not_in, &app), Ok(false));
        assert_eq!(selector(not_in, &[]), Ok(true));
        assert!(selector("matchExpressions: [{key: a, operator: In}]", &app).is_err());
        assert!(
            selector(
                "matchExpressions: [{key: a, operator: Exists, values: [x]}]",
                &app
            )
            .is_err()
        );
        assert!(selector("matchExpressions: [{key: a, operator: Like}]", &app).is_err());
    }

    #[test]
    fn flux_releases_serve_the_image_api_versions_of_their_table() {
        let v = |s| FluxVersion::parse(s).unwrap();
        assert_eq!(v("2.9"), FluxVersion::CURRENT);
        assert_eq!(v("v2.8.3"), FluxVersion { major: 2, minor: 8 });
        assert!(FluxVersion::parse("two").is_none() && FluxVersion::parse("2").is_none());
        assert!(v("2.9").serves("v1") && !v("2.9").serves("v1beta2"));
        assert!(v("2.8").serves("v1beta2") && !v("2.8").serves("v1beta1"));
        assert!(v("2.6").serves("v1beta1") && !v("3.0").serves("v1beta2"));
        assert!(!v("2.6").serves("v2"));
    }

    #[test]
    fn git_urls_in_their_spellings_name_one_repository() {
        let same = [
            (
                "git@github.com:org/fleet.git",
                "ssh://git@github.com/org/fleet",
            ),
            (
                "https://github.com/org/fleet",
                "https://GitHub.com/org/fleet.git/",
            ),
            (
                "ssh://git@git.example.com:22/org/fleet.git",
                "git@git.example.com:org/fleet",
            ),
        ];
        for (a, b) in same {
            assert!(same_git_repository(a, b), "{a} {b}");
        }
        assert!(!same_git_repository(
            "https://github.com/org/fleet",
            "https://github.com/org/apps"
        ));
        assert!(!same_git_repository(
            "https://github.com/org/fleet",
            "https://gitlab.com/org/fleet"
        ));
    }
}
