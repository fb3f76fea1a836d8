//! Commit messages: the default message, and the data a Go-template
//! message sees.
//!
//! One data tree serves both peers' templates, so a template written for
//! either renders unchanged:
//! - Flux `ImageUpdateAutomation` v1: `.AutomationObject` (prints
//!   `namespace/name`; fields `.Namespace`, `.Name`), `.Values`
//!   (`messageTemplateValues`), `.Changed.FileChanges` (file → object id →
//!   changes), `.Changed.Objects` (object id → changes, merged across
//!   files), `.Changed.Changes` (de-duplicated). An object id has
//!   `.APIVersion .Kind .Name .Namespace` (empty for a kustomization or
//!   plain YAML); a change has `.OldValue .NewValue .Setter`. The removed
//!   `.Updated` and `.Changed.ImageResult` are errors naming the removed
//!   field, as Flux's `RemovedTemplateField` is.
//! - Argo CD Image Updater: `.AppName`, `.AppChanges` with `.Image` (the
//!   repository path without registry), `.OldTag`, `.NewTag` (the digest
//!   when the value is one), `.Labels` (always empty: we read no image
//!   config).
//!
//! Receives [`Change`]s from `apply`; hands on strings. The executor is
//! [`crate::gosyntax::exec`].

use std::collections::BTreeMap;

use super::{Change, ObjectId};
use crate::gosyntax::exec::{ExecError, Struct, Template, Value};

/// What the template data holds beyond the changes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageContext {
    /// `.AutomationObject` as `(namespace, name)`; empty when not given,
    /// which prints `/` as Go prints an empty `NamespacedName`.
    pub automation: Option<(String, String)>,
    /// `.Values`.
    pub values: BTreeMap<String, String>,
    /// `.AppName` when no change names an Application.
    pub app_name: Option<String>,
}

/// The message when no template is given: a subject, a blank line, then
/// one line per change, `image old → new (file:line)`, in file and line
/// order. Stable: tests and users' tooling may read it.
pub fn default_message(changes: &[Change]) -> String {
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let mut images: Vec<(&str, &str)> = sorted
        .iter()
        .map(|c| (c.image.as_str(), shown(&c.new_tag, &c.new_value)))
        .collect();
    images.sort_unstable();
    images.dedup();
    let mut names: Vec<&str> = images.iter().map(|i| i.0).collect();
    names.dedup();
    let subject = match (names.as_slice(), images.as_slice()) {
        ([], _) => "Update images".to_owned(),
        ([name], [(_, tag)]) => format!("Update {name} to {tag}"),
        (names, _) if names.len() == 1 => format!("Update {}", names[0]),
        (names, _) => format!("Update {} images", names.len()),
    };
    let mut msg = subject;
    msg.push_str("\n\n");
    for c in sorted {
        msg.push_str(&format!(
            "- {} {} → {} ({}:{})\n",
            c.image,
            shown(&c.old_tag, &c.old_value),
            shown(&c.new_tag, &c.new_value),
            c.file,
            c.line
        ));
    }
    msg
}

fn shown<'a>(tag: &'a str, value: &'a str) -> &'a str {
    if tag.is_empty() { value } else { tag }
}

/// Checks a template before anything is written: Go's parse, fields whose
/// place in the data is known statically (also in branches a run would not
/// take), and one run over sample data with a change of every shape.
/// The error is the template engine's own (it knows line, column and
/// field); [`super::GitError`] takes it as [`super::ErrorKind::Template`].
pub fn check_template(src: &str) -> Result<(), ExecError> {
    let t = Template::parse(src)?;
    let sample = sample_data();
    t.check_fields(&sample)?;
    t.execute(&sample).map(|_| ())
}

/// Renders `src` with the data built from `changes`.
pub fn render(src: &str, changes: &[Change], ctx: &MessageContext) -> Result<String, ExecError> {
    let t = Template::parse(src)?;
    let data = template_data(changes, ctx);
    t.check_fields(&data)?;
    t.execute(&data)
}

/// Sample data: one Deployment change driven by a Flux setter and one Argo
/// change, so every `range` body runs.
pub fn sample_data() -> Value {
    let changes = vec![
        Change {
            file: "apps/podinfo.yaml".into(),
            line: 12,
            image: "ghcr.io/stefanprodan/podinfo".into(),
            old_value: "ghcr.io/stefanprodan/podinfo:6.0.0".into(),
            new_value: "ghcr.io/stefanprodan/podinfo:6.0.1".into(),
            old_tag: "6.0.0".into(),
            new_tag: "6.0.1".into(),
            setter: Some("flux-system:podinfo".into()),
            object: Some(ObjectId {
                api_version: "apps/v1".into(),
                kind: "Deployment".into(),
                namespace: "default".into(),
                name: "podinfo".into(),
            }),
            app: None,
            alias: None,
        },
        Change {
            file: "apps/.argocd-source-guestbook.yaml".into(),
            line: 4,
            image: "nginx".into(),
            old_value: "1.25.3".into(),
            new_value: "1.25.4".into(),
            old_tag: "1.25.3".into(),
            new_tag: "1.25.4".into(),
            setter: None,
            object: None,
            app: Some("guestbook".into()),
            alias: Some("web".into()),
        },
    ];
    let ctx = MessageContext {
        automation: Some(("flux-system".into(), "update-images".into())),
        values: BTreeMap::from([("env".to_owned(), "prod".to_owned())]),
        app_name: None,
    };
    template_data(&changes, &ctx)
}

fn object_value(id: &ObjectId) -> Value {
    let s = Struct::new("ObjectIdentifier")
        .field("APIVersion", Value::str(&id.api_version))
        .field("Kind", Value::str(&id.kind))
        .field("Name", Value::str(&id.name))
        .field("Namespace", Value::str(&id.namespace));
    // Go's %v of the embedded ResourceIdentifier{TypeMeta, NameMeta}.
    let display = format!(
        "{{{{{} {}}} {{{} {}}}}}",
        id.api_version, id.kind, id.name, id.namespace
    );
    Value::Struct(Struct {
        display: Some(display),
        ..s
    })
}

/// Flux's `update.Change`.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
struct FluxChange {
    old: String,
    new: String,
    setter: String,
}

impl FluxChange {
    fn of(c: &Change) -> Self {
        FluxChange {
            old: c.old_value.clone(),
            new: c.new_value.clone(),
            setter: c.setter.clone().unwrap_or_default(),
        }
    }

    fn value(&self) -> Value {
        Value::Struct(
            Struct::new("Change")
                .field("OldValue", Value::str(&self.old))
                .field("NewValue", Value::str(&self.new))
                .field("Setter", Value::str(&self.setter)),
        )
    }
}

fn changes_value(list: &[FluxChange]) -> Value {
    Value::List(list.iter().map(FluxChange::value).collect())
}

fn object_map(map: &BTreeMap<ObjectId, Vec<FluxChange>>) -> Value {
    Value::Map(
        map.iter()
            .map(|(id, list)| (object_value(id), changes_value(list)))
            .collect(),
    )
}

/// The repository path without registry, as Argo's `.Image` shows it:
/// `gcr.io/a/b` → `a/b`, Docker official images without `library/`.
pub fn argo_image_name(image: &str) -> String {
    match crate::model::image::parse(image) {
        Ok(r) if r.is_docker_hub() => {
            let p = r.normalized_path();
            match p.strip_prefix("library/") {
                Some(rest) if !rest.contains('/') => rest.to_owned(),
                _ => p,
            }
        }
        Ok(r) => r.path().to_owned(),
        Err(_) => image.to_owned(),
    }
}

/// The data tree a template sees (see the module documentation).
pub fn template_data(changes: &[Change], ctx: &MessageContext) -> Value {
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));

    let mut files: BTreeMap<String, BTreeMap<ObjectId, Vec<FluxChange>>> = BTreeMap::new();
    let mut objects: BTreeMap<ObjectId, Vec<FluxChange>> = BTreeMap::new();
    let mut all: Vec<FluxChange> = Vec::new();
    for c in &sorted {
        let id = c.object.clone().unwrap_or(ObjectId {
            api_version: String::new(),
            kind: String::new(),
            namespace: String::new(),
            name: String::new(),
        });
        let fc = FluxChange::of(c);
        files
            .entry(c.file.clone())
            .or_default()
            .entry(id.clone())
            .or_default()
            .push(fc.clone());
        objects.entry(id).or_default().push(fc.clone());
        if !all.contains(&fc) {
            all.push(fc);
        }
    }
    let file_changes = Value::string_map(files.iter().map(|(f, m)| (f.clone(), object_map(m))));
    let mut changed = Struct::new("Result")
        .field("FileChanges", file_changes)
        .field("Objects", object_map(&objects))
        .field("Changes", changes_value(&all));
    changed.removed.push((
        "ImageResult".into(),
        "field ImageResult was removed in Flux image automation v1 (RemovedTemplateField); \
         use .Changed.FileChanges, .Changed.Objects or .Changed.Changes"
            .into(),
    ));

    let (ns, name) = ctx.automation.clone().unwrap_or_default();
    let automation = Value::Struct(Struct {
        display: Some(format!("{ns}/{name}")),
        ..Struct::new("NamespacedName")
            .field("Namespace", Value::str(ns))
            .field("Name", Value::str(name))
    });

    let mut apps: Vec<&str> = sorted.iter().filter_map(|c| c.app.as_deref()).collect();
    apps.sort_unstable();
    apps.dedup();
    let app_name = if apps.is_empty() {
        ctx.app_name.clone().unwrap_or_default()
    } else {
        apps.join(", ")
    };
    let mut app_changes: Vec<Value> = Vec::new();
    let mut seen: Vec<(String, String, String)> = Vec::new();
    for c in &sorted {
        let key = (
            argo_image_name(&c.image),
            c.old_tag.clone(),
            c.new_tag.clone(),
        );
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        app_changes.push(Value::Struct(
            Struct::new("ChangeEntry")
                .field("Image", Value::Str(key.0))
                .field("OldTag", Value::Str(key.1))
                .field("NewTag", Value::Str(key.2))
                .field("Labels", Value::Map(Vec::new())),
        ));
    }

    let mut top = Struct::new("TemplateData")
        .field("AutomationObject", automation)
        .field(
            "Values",
            Value::string_map(ctx.values.iter().map(|(k, v)| (k.clone(), Value::str(v)))),
        )
        .field("Changed", Value::Struct(changed))
        .field("AppName", Value::Str(app_name))
        .field("AppChanges", Value::List(app_changes));
    top.removed.push((
        "Updated".into(),
        "field Updated was removed in Flux image automation v1 (RemovedTemplateField); \
         use .Changed.FileChanges, .Changed.Objects or .Changed.Changes"
            .into(),
    ));
    Value::Struct(top)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(file: &str, line: usize, image: &str, old: &str, new: &str) -> Change {
        Change {
            file: file.into(),
            line,
            image: image.into(),
            old_value: format!("{image}:{old}"),
            new_value: format!("{image}:{new}"),
            old_tag: old.into(),
            new_tag: new.into(),
            setter: None,
            object: None,
            app: None,
            alias: None,
        }
    }

    /// flux.md §8.3: the upstream IAC test's template and expected lines.
    #[test]
    fn flux_upstream_commit_template() {
        let mut c = change("deploy.yaml", 7, "helloworld", "1.0.0", "v1.0.0");
        c.old_value = "helloworld:1.0.0".into();
        c.new_value = "helloworld:v1.0.0".into();
        c.setter = Some("image-auto-test:policy".into());
        c.object = Some(ObjectId {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: String::new(),
            name: "test".into(),
        });
        let ctx = MessageContext {
            automation: Some(("image-auto-test".into(), "update-test".into())),
            ..MessageContext::default()
        };
        let tpl = r#"Commit summary

Automation: {{ .AutomationObject }}

Files:
{{ range $filename, $_ := .Changed.FileChanges -}}
- {{ $filename }}
{{ end -}}

Objects:
{{ range $resource, $_ := .Changed.Objects -}}
{{ if eq $resource.Kind "Deployment" -}}
- {{ $resource.Kind | lower }} {{ $resource.Name | lower }}
{{ else -}}
- {{ $resource.Kind }} {{ $resource.Name }}
{{ end -}}
{{ end -}}

Changes:
{{- range $_, $change := .Changed.Changes }}
- {{ $change.NewValue }} ({{ $change.Setter }})
{{ end -}}
"#;
        check_template(tpl).unwrap();
        let out = render(tpl, std::slice::from_ref(&c), &ctx).unwrap();
        assert_eq!(
            out,
            // `{{ end -}}` trims the blank lines after each list, as in Go.
            "Commit summary\n\nAutomation: image-auto-test/update-test\n\nFiles:\n- deploy.yaml\n\
             Objects:\n- deployment test\nChanges:\n- helloworld:v1.0.0 (image-auto-test:policy)\n"
        );
        // The per-file template of the same test: the object prints as
        // Kind/Namespace/Name with an empty namespace.
        let per_file = r#"{{ range $filename, $objects := .Changed.FileChanges -}}
{{ $filename }}:
{{ range $resource, $changes := $objects -}}
- {{ $resource.Kind }}/{{ $resource.Namespace }}/{{ $resource.Name }}
{{- range $changes }} {{ .OldValue }} -> {{ .NewValue }}{{ end }}
{{ end -}}
{{ end -}}"#;
        assert_eq!(
            render(per_file, &[c], &ctx).unwrap(),
            "deploy.yaml:\n- Deployment//test helloworld:1.0.0 -> helloworld:v1.0.0\n"
        );
    }

    /// argocd.md §3.5: the default Argo template, app foobar, two changes.
    #[test]
    fn argo_default_template() {
        let tpl = "build: automatic update of {{ .AppName }}\n\n{{ range .AppChanges -}}\nupdates image {{ .Image }} tag '{{ .OldTag }}' to '{{ .NewTag }}'\n{{ end -}}\n";
        let mut a = change(
            "a/.argocd-source-foobar.yaml",
            3,
            "gcr.io/foo/bar",
            "1.0",
            "1.1",
        );
        a.app = Some("foobar".into());
        let mut b = change("a/.argocd-source-foobar.yaml", 5, "bar/baz", "2.0", "2.1");
        b.app = Some("foobar".into());
        check_template(tpl).unwrap();
        assert_eq!(
            render(tpl, &[a, b], &MessageContext::default()).unwrap(),
            "build: automatic update of foobar\n\nupdates image foo/bar tag '1.0' to '1.1'\nupdates image bar/baz tag '2.0' to '2.1'\n"
        );
    }

    #[test]
    fn argo_image_names() {
        assert_eq!(argo_image_name("gcr.io/a/b"), "a/b");
        assert_eq!(argo_image_name("nginx"), "nginx");
        assert_eq!(argo_image_name("docker.io/library/nginx"), "nginx");
        assert_eq!(argo_image_name("docker.io/bitnami/redis"), "bitnami/redis");
        assert_eq!(argo_image_name("localhost:5000/team/app"), "team/app");
    }

    #[test]
    fn removed_and_unknown_fields_fail_before_writing() {
        let e = check_template("{{ range .Updated.Images }}{{ . }}{{ end }}")
            .unwrap_err()
            .to_string();
        assert_eq!(
            e,
            "template: commit message:1:9: executing \"commit message\" at <.Updated>: field Updated was removed in Flux image automation v1 (RemovedTemplateField); use .Changed.FileChanges, .Changed.Objects or .Changed.Changes"
        );
        let e = check_template("x\n{{ .Changed.ImageResult.Files }}")
            .unwrap_err()
            .to_string();
        assert!(e.starts_with("template: commit message:2:11: executing \"commit message\" at <.Changed.ImageResult>: field ImageResult was removed"), "{e}");
        let e = check_template("{{ .AppNmae }}").unwrap_err().to_string();
        assert!(e.contains("at <.AppNmae>: can't evaluate field AppNmae in type TemplateData (fields: AutomationObject, Values, Changed, AppName, AppChanges)"), "{e}");
        let e = check_template("{{ range .AppChanges }}{{ .Tag }}{{ end }}")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("1:26") && e.contains("field Tag in type ChangeEntry"),
            "{e}"
        );
        let e =
            check_template("{{ range $id, $c := .Changed.Objects }}{{ $id.Namespce }}{{ end }}")
                .unwrap_err()
                .to_string();
        assert!(
            e.contains("at <$id.Namespce>") && e.contains("type ObjectIdentifier"),
            "{e}"
        );
        // Unknown keys of the .Values map print <no value>, as in Go.
        check_template("{{ .Values.anything }}").unwrap();
        let e = check_template("{{ if .Missing }}").unwrap_err().to_string();
        assert!(e.contains("unexpected EOF"), "{e}");
    }

    #[test]
    fn default_message_lists_every_change() {
        let a = change("apps/web.yaml", 12, "nginx", "1.25.3", "1.25.4");
        let b = change("apps/api.yaml", 3, "ghcr.io/org/api", "v1.0.0", "v1.1.0");
        assert_eq!(
            default_message(&[a.clone(), b]),
            "Update 2 images\n\n- ghcr.io/org/api v1.0.0 → v1.1.0 (apps/api.yaml:3)\n- nginx 1.25.3 → 1.25.4 (apps/web.yaml:12)\n"
        );
        let mut a2 = a.clone();
        a2.file = "apps/web2.yaml".into();
        assert_eq!(
            default_message(&[a, a2]),
            "Update nginx to 1.25.4\n\n- nginx 1.25.3 → 1.25.4 (apps/web.yaml:12)\n- nginx 1.25.3 → 1.25.4 (apps/web2.yaml:12)\n"
        );
    }

    #[test]
    fn objects_merge_across_files_and_changes_dedupe() {
        let mut a = change("a.yaml", 1, "nginx", "1", "2");
        let id = ObjectId {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            namespace: "ns".into(),
            name: "web".into(),
        };
        a.object = Some(id.clone());
        let mut b = a.clone();
        b.file = "b.yaml".into();
        let tpl = "{{ len .Changed.Objects }} {{ len .Changed.Changes }} {{ len .Changed.FileChanges }}{{ range $id, $c := .Changed.Objects }} {{ $id }} {{ len $c }}{{ end }}";
        assert_eq!(
            render(tpl, &[a, b], &MessageContext::default()).unwrap(),
            "1 1 2 {{apps/v1 Deployment} {web ns}} 2"
        );
        assert_eq!(
            render("{{ .AutomationObject }}", &[], &MessageContext::default()).unwrap(),
            "/"
        );
    }
}
