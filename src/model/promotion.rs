//! gitops-promotion's `gitops-promotion.yaml` at the repository root:
//! environments in promotion order, optional groups of applications, and
//! the folder layout `<group>/<environment>/` the tool promotes into.

use super::Str;
use super::object::str_at;
use crate::yaml::{NodeId, Yaml};

pub const CONFIG_FILE: &str = "gitops-promotion.yaml";

#[derive(Debug, Clone)]
pub struct Config {
    pub environments: Vec<Str>,
    /// Groups named in `groups:` (only used by the feature command).
    pub groups: Vec<Str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// `None`: the file holds no document at all.
    pub node: Option<NodeId>,
    pub message: String,
}

pub fn read(yaml: &Yaml) -> Result<Config, ConfigError> {
    let Some(root) = yaml.roots().next().filter(|&r| yaml.is_mapping(r)) else {
        let node = yaml.roots().next();
        return Err(ConfigError {
            node,
            message: match node {
                Some(_) => "the file must be a mapping".into(),
                None => "the file holds no document; it must be a mapping with environments".into(),
            },
        });
    };
    if let Some(flow) = str_at(yaml, root, &["prflow"])
        && !matches!(flow.value.as_str(), "per-app" | "per-env")
    {
        return Err(ConfigError {
            node: Some(flow.node),
            message: format!(
                "invalid prflow value {:?}; use per-app or per-env",
                flow.value
            ),
        });
    }
    let Some(envs) = yaml.get(root, "environments") else {
        return Err(ConfigError {
            node: Some(root),
            message: "environments list cannot be empty".into(),
        });
    };
    if !yaml.is_sequence(envs) {
        return Err(ConfigError {
            node: Some(envs),
            message: "environments must be a list of {name, auto} items".into(),
        });
    }
    let mut environments = Vec::new();
    for &item in yaml.items(envs) {
        match str_at(yaml, item, &["name"]) {
            Some(name) => environments.push(name),
            None => {
                return Err(ConfigError {
                    node: Some(item),
                    message: "every environment needs a name".into(),
                });
            }
        }
    }
    if environments.is_empty() {
        return Err(ConfigError {
            node: Some(envs),
            message: "environments list cannot be empty".into(),
        });
    }
    let groups = yaml
        .get(root, "groups")
        .map(|g| {
            yaml.entries(g)
                .iter()
                .filter_map(|&(k, _)| {
                    yaml.str(k).map(|v| Str {
                        value: v.to_owned(),
                        node: k,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Config {
        environments,
        groups,
    })
}

/// `status_timeout_minutes` decoded as a Go duration by yaml.v2: a bare
/// integer is nanoseconds.
pub fn timeout_is_bare_number(yaml: &Yaml) -> Option<Str> {
    let root = yaml.roots().next()?;
    let t = str_at(yaml, root, &["status_timeout_minutes"])?;
    t.value.chars().all(|c| c.is_ascii_digit()).then_some(t)
}
