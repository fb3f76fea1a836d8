//! `crd`: the KubeSphere ImageUpdater CustomResourceDefinition is printed
//! in YAML and JSON, is a structural schema, and accepts every clean
//! fixture of both spellings while rejecting objects of the wrong shape.
//!
//! The `jsonschema` crate validates objects against `openAPIV3Schema` as a
//! fast stand-in for the kube-apiserver's validation; tests/cluster.rs
//! installs the CRD into a real kube-apiserver and checks the clean
//! fixtures and some of the wrong shapes there. It ignores the OpenAPI-only
//! keywords (`nullable`, `x-kubernetes-*`), which the structural walk below
//! checks instead.

mod common;

use common::{bin, project, testdata};
use serde_json::{Value, json};
use yaml_rust2::{Yaml, YamlLoader};

fn crd(format: &str) -> (String, Value) {
    let out = bin()
        .current_dir(project())
        .args(["crd", "-o", format])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    let value = match format {
        "json" => serde_json::from_str(&text).unwrap(),
        _ => {
            let docs = YamlLoader::load_from_str(&text).unwrap();
            let docs: Vec<&Yaml> = docs.iter().filter(|d| !d.is_null()).collect();
            assert_eq!(docs.len(), 1, "one document:\n{text}");
            to_json(docs[0])
        }
    };
    (text, value)
}

fn to_json(y: &Yaml) -> Value {
    match y {
        Yaml::Real(s) => s
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or(Value::String(s.clone()), Value::Number),
        Yaml::Integer(i) => json!(i),
        Yaml::String(s) => json!(s),
        Yaml::Boolean(b) => json!(b),
        Yaml::Array(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Hash(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let key = match k {
                        Yaml::String(s) => s.clone(),
                        other => format!("{other:?}"),
                    };
                    (key, to_json(v))
                })
                .collect(),
        ),
        _ => Value::Null,
    }
}

fn schema_of(crd: &Value) -> &Value {
    &crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
}

/// Every node of a structural schema is typed (or explicitly open), has no
/// references or unions, and maps say what their values are.
fn assert_structural(node: &Value, path: &str, errors: &mut Vec<String>) {
    let Some(obj) = node.as_object() else {
        errors.push(format!("{path}: not a schema object"));
        return;
    };
    for banned in [
        "$ref",
        "definitions",
        "$defs",
        "anyOf",
        "oneOf",
        "allOf",
        "not",
    ] {
        if obj.contains_key(banned) {
            errors.push(format!("{path}: has {banned}"));
        }
    }
    let open = obj.get("x-kubernetes-preserve-unknown-fields") == Some(&json!(true))
        || obj.get("x-kubernetes-int-or-string") == Some(&json!(true));
    match obj.get("type").and_then(Value::as_str) {
        Some("object" | "array" | "string" | "integer" | "number" | "boolean") => {}
        Some(other) => errors.push(format!("{path}: type {other:?}")),
        None if open => {}
        None => errors.push(format!("{path}: no type")),
    }
    if obj.contains_key("properties") && obj.contains_key("additionalProperties") {
        errors.push(format!("{path}: both properties and additionalProperties"));
    }
    if let Some(props) = obj.get("properties") {
        for (k, v) in props.as_object().into_iter().flatten() {
            assert_structural(v, &format!("{path}.{k}"), errors);
        }
    }
    if let Some(add) = obj.get("additionalProperties") {
        if add.is_boolean() {
            errors.push(format!("{path}: additionalProperties is a boolean"));
        } else {
            assert_structural(add, &format!("{path}.*"), errors);
        }
    }
    if let Some(items) = obj.get("items") {
        assert_structural(items, &format!("{path}[]"), errors);
    }
    if obj.get("type") == Some(&json!("array")) && !obj.contains_key("items") {
        errors.push(format!("{path}: array without items"));
    }
    for required in obj
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let name = required.as_str().unwrap_or_default();
        if obj.get("properties").and_then(|p| p.get(name)).is_none() {
            errors.push(format!("{path}: requires undeclared {name}"));
        }
    }
}

fn validator(crd: &Value) -> jsonschema::Validator {
    jsonschema::validator_for(schema_of(crd)).expect("the schema compiles")
}

fn objects(dir: &str) -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(testdata(dir))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    for p in paths {
        let text = std::fs::read_to_string(&p).unwrap();
        for (i, doc) in YamlLoader::load_from_str(&text).unwrap().iter().enumerate() {
            let name = format!("{}#{i}", p.file_name().unwrap().to_string_lossy());
            out.push((name, to_json(doc)));
        }
    }
    out
}

fn errors(v: &jsonschema::Validator, object: &Value) -> Vec<String> {
    v.iter_errors(object)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn prints_the_imageupdater_crd() {
    for format in ["yaml", "json"] {
        let (_, crd) = crd(format);
        assert_eq!(crd["apiVersion"], "apiextensions.k8s.io/v1");
        assert_eq!(crd["kind"], "CustomResourceDefinition");
        assert_eq!(
            crd["metadata"]["name"],
            "imageupdaters.gitops.kubesphere.io"
        );
        let spec = &crd["spec"];
        assert_eq!(spec["group"], "gitops.kubesphere.io");
        assert_eq!(spec["scope"], "Namespaced");
        assert_eq!(spec["names"]["kind"], "ImageUpdater");
        assert_eq!(spec["names"]["plural"], "imageupdaters");
        assert_eq!(spec["names"]["singular"], "imageupdater");
        let [version] = spec["versions"].as_array().unwrap().as_slice() else {
            panic!("one version")
        };
        assert_eq!(version["name"], "v1alpha1");
        assert_eq!(version["served"], true);
        assert_eq!(version["storage"], true);
        assert_eq!(version["subresources"], json!({"status": {}}));
        assert_eq!(
            version["additionalPrinterColumns"],
            json!([
                {"name": "Kind", "type": "string", "jsonPath": ".spec.kind"},
                {"name": "Ready", "type": "string",
                 "jsonPath": ".status.conditions[?(@.type==\"Ready\")].status"},
                {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
            ])
        );
    }
}

#[test]
fn yaml_and_json_print_the_same_crd() {
    assert_eq!(crd("yaml").1, crd("json").1);
}

#[test]
fn the_schema_is_structural() {
    let (_, crd) = crd("json");
    let schema = schema_of(&crd);
    let mut errors = Vec::new();
    assert_structural(schema, "openAPIV3Schema", &mut errors);
    assert_eq!(errors, Vec::<String>::new(), "{schema:#}");
    let spec = &schema["properties"]["spec"]["properties"];
    // Both spellings and the Flux section are declared.
    for key in ["kind", "images", "argo", "argocd", "fluxcd"] {
        assert!(spec.get(key).is_some(), "spec.{key}");
    }
    assert_eq!(
        spec["kind"]["enum"],
        json!(["argocd", "fluxcd"]),
        "{:#}",
        spec["kind"]
    );
    assert_eq!(spec["kind"]["default"], "argocd");
    assert_eq!(spec["argo"]["required"], json!(["app"]));
    assert_eq!(spec["argo"]["properties"]["write"]["default"], "built-in");
    assert_eq!(
        spec["argo"]["properties"]["write"]["enum"],
        json!(["built-in", "git"])
    );
    for map in [
        "updateStrategy",
        "allowTags",
        "ignoreTags",
        "platforms",
        "secrets",
    ] {
        let m = &spec["argo"]["properties"][map];
        assert_eq!(m["type"], "object", "argo.{map}");
        assert_eq!(
            m["additionalProperties"],
            json!({"type": "string"}),
            "argo.{map}"
        );
    }
    for map in [
        "update-strategy",
        "allow-tags",
        "ignore-tags",
        "platforms",
        "secret",
    ] {
        assert_eq!(
            spec["argocd"]["properties"][map]["additionalProperties"],
            json!({"type": "string"}),
            "argocd.{map}"
        );
    }
    let flux = &spec["fluxcd"]["properties"];
    assert_eq!(
        flux["policy"]["properties"]["semver"]["properties"]["range"]["type"],
        "string"
    );
    assert_eq!(
        flux["git"]["properties"]["commit"]["properties"]["messageTemplate"]["type"],
        "string"
    );
    assert_eq!(schema["required"], json!(["spec"]));
}

#[test]
fn every_clean_fixture_validates() {
    let (_, crd) = crd("yaml");
    let v = validator(&crd);
    let objects = objects("kubesphere/clean");
    assert!(objects.len() >= 6);
    for (name, object) in &objects {
        assert_eq!(errors(&v, object), Vec::<String>::new(), "{name}");
    }
}

#[test]
fn wrong_shapes_are_rejected() {
    let (_, crd) = crd("json");
    let v = validator(&crd);
    let base = json!({
        "apiVersion": "gitops.kubesphere.io/v1alpha1",
        "kind": "ImageUpdater",
        "metadata": {"name": "x", "namespace": "y"},
        "spec": {"kind": "argocd", "images": ["a=b/c"], "argo": {"app": {"name": "x"}}},
    });
    assert_eq!(errors(&v, &base), Vec::<String>::new());
    let with = |pointer: &str, value: Value| {
        let mut o = base.clone();
        *o.pointer_mut(pointer).unwrap() = value;
        o
    };
    let bad = [
        ("images a string", with("/spec/images", json!("x"))),
        ("unknown kind", with("/spec/kind", json!("other"))),
        ("image not a string", with("/spec/images", json!([1]))),
        ("write off the enum", {
            let mut o = base.clone();
            o["spec"]["argo"]["write"] = json!("sideways");
            o
        }),
        ("map value not a string", {
            let mut o = base.clone();
            o["spec"]["argo"]["updateStrategy"] = json!({"a": ["semver"]});
            o
        }),
        (
            "argo without app",
            with("/spec/argo", json!({"write": "git"})),
        ),
        ("no spec", {
            let mut o = base.clone();
            o.as_object_mut().unwrap().remove("spec");
            o
        }),
        ("flux interval not a duration", {
            let mut o = base.clone();
            o["spec"]["fluxcd"] = json!({"interval": "soon"});
            o
        }),
    ];
    for (what, object) in bad {
        assert!(!errors(&v, &object).is_empty(), "{what} is accepted");
    }
}

#[test]
fn crd_yaml_snapshot() {
    let (text, _) = crd("yaml");
    insta::assert_snapshot!("crd_yaml", text);
}
