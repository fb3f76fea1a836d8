//! The rule registry: every finding the tool can report, with its stable
//! code, its name, its default severity and its documentation. Codes never
//! change meaning; `kubectl imageupdate rules` and `explain CODE` print this
//! table, and SARIF/GitLab renderers read it.

use crate::diagnostic::Severity;

#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    /// Reads well as "allow `<name>`": it names the pattern, not the fix.
    pub name: &'static str,
    pub severity: Severity,
    /// Other severities some of its findings carry (the doc says when);
    /// `--strict` promotions aside, nothing else is emitted.
    pub also: &'static [Severity],
    pub summary: &'static str,
    pub help: Option<&'static str>,
    /// Why it matters and what the controller does with it.
    pub doc: &'static str,
}

macro_rules! rules {
    ($( $ident:ident = $code:literal $name:literal $sev:ident $(/ $also:ident)*
        summary: $summary:literal
        help: $help:expr,
        doc: $doc:literal; )*) => {
        $( pub static $ident: Rule = Rule {
            code: $code, name: $name, severity: Severity::$sev,
            also: &[$(Severity::$also),*],
            summary: $summary, help: $help, doc: $doc,
        }; )*
        /// Every rule, in code order.
        pub static ALL: &[&Rule] = &[ $( &$ident ),* ];
    };
}

impl Rule {
    /// Every severity the rule's findings may carry, the default first.
    pub fn severities(&self) -> impl Iterator<Item = Severity> + '_ {
        std::iter::once(self.severity).chain(self.also.iter().copied())
    }
}

pub fn find(code_or_name: &str) -> Option<&'static Rule> {
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(code_or_name) || r.name == code_or_name)
}

rules! {
    YAML_SYNTAX = "IU001" "yaml-syntax-error" Error
        summary: "The file is not valid YAML"
        help: Some("fix the YAML syntax; no controller can read this file"),
        doc: "Flux skips files it cannot parse without a word, Argo CD fails the whole \
application. The error points at the first position the YAML scanner rejected; \
documents before it are still checked.";
    DUPLICATE_KEY = "IU002" "duplicate-key" Error
        summary: "A mapping repeats a key"
        help: Some("remove one of the two entries"),
        doc: "YAML 1.2 forbids duplicate keys. kubectl and Argo CD reject the object; Go's \
yaml.v3 (used by Flux) fails to decode it. Which value would win is undefined.";
    UNREADABLE_FILE = "IU003" "unreadable-file" Warning / Error
        summary: "A file could not be read"
        help: None,
        doc: "A dangling or looping symlink, or a path that is not a regular file (a FIFO, a \
device), is a warning: there is no manifest there to check. A regular file that cannot be read \
(permissions, an I/O error) is an error. Either way it is reported and the run goes on with the \
other files.";
    INVALID_UTF8 = "IU004" "invalid-utf8" Error
        summary: "A YAML file is not valid UTF-8"
        help: Some("re-encode the file as UTF-8"),
        doc: "YAML streams used by Kubernetes tools must be UTF-8. The finding points at the \
first invalid byte.";
    FILE_TOO_LARGE = "IU005" "file-too-large" Warning
        summary: "A file is larger than the size limit, or too large to parse, and was not checked"
        help: Some("raise --max-file-size if this file really is a manifest"),
        doc: "Files above the limit (10 MiB by default) are skipped: they are almost always \
generated bundles or data, and reading them would slow every pre-commit run. A file whose YAML \
has over 500,000 nodes, or a flow collection (`[...]`, `{...}`) over 256 KiB long where a key may \
start, is parsed only up to that point: the parse would take hundreds of bytes of memory for \
every byte of input.";
    SYMLINK_OUTSIDE = "IU006" "symlink-outside-repository" Warning
        summary: "A symlink leads out of the repository and was not followed"
        help: Some("copy the file into the repository or remove the link"),
        doc: "Controllers clone the repository; a link that leaves it points at nothing on \
their side. The tool never reads or writes through such links.";
    UNKNOWN_FIELD = "IU007" "unknown-field" Warning
        summary: "An object has a field its schema does not define"
        help: None,
        doc: "The API server drops unknown fields of custom resources (or rejects them with \
strict validation), so a misspelt field silently does nothing. The finding suggests the \
closest known field.";
    MISSING_FIELD = "IU008" "missing-required-field" Error
        summary: "An object lacks a field its schema requires"
        help: None,
        doc: "The API server rejects the object, or the controller marks it Stalled.";

    MARKER_INVALID_JSON = "IU101" "marker-invalid-json" Error
        summary: "A comment mentions $imagepolicy but is not a valid setter marker"
        help: Some("write the marker as a JSON object alone in the comment: # {\"$imagepolicy\": \"<namespace>:<policy>\"}"),
        doc: "Flux only treats a line comment as a setter when the comment, after its leading \
`#`, is exactly one JSON object whose values are strings. Trailing text after `}`, single \
quotes or unquoted keys make it an ordinary comment, and the field is never updated.";
    MARKER_MISSING_NAMESPACE = "IU102" "marker-missing-namespace" Error
        summary: "A setter marker names a policy without its namespace"
        help: Some("write \"<namespace>:<policy>\""),
        doc: "Setter names are `<namespace>:<name>[:tag|:name|:digest]` and are matched \
exactly. `{\"$imagepolicy\": \"podinfo\"}` matches no policy and Flux ignores it silently.";
    MARKER_INVALID_REFERENCE = "IU103" "marker-invalid-reference" Error
        summary: "A setter marker's policy reference is malformed"
        help: Some("the only suffixes are :tag, :name and :digest, in lower case"),
        doc: "Flux matches the marker value as an exact, case-sensitive string. An unknown \
suffix (`:TAG`, `:version`), spaces or empty parts make the marker match nothing.";
    MARKER_ON_NON_SCALAR = "IU104" "marker-on-non-scalar" Error
        summary: "A setter marker is not attached to a scalar value"
        help: Some("put the marker at the end of the line that holds the image value"),
        doc: "Flux sets the scalar whose line comment is the marker. A marker after a \
mapping key that opens a block, after a flow collection, or on a line of its own (except \
directly above a sequence item) is never applied.";
    MARKER_POLICY_NOT_FOUND = "IU105" "marker-policy-not-found" Error
        summary: "A setter marker names an ImagePolicy that is not in the repository"
        help: None,
        doc: "Flux applies a marker only when an ImagePolicy with that namespace and name \
exists. A typo or a policy defined elsewhere leaves the field frozen. References resolve \
against the whole repository, not only the files given on the command line.";
    MARKER_IMAGE_MISMATCH = "IU106" "marker-image-mismatch" Error
        summary: "The marked value's image differs from the policy's ImageRepository"
        help: None,
        doc: "A full marker replaces the whole value with `<ImageRepository spec.image>:<tag>`. \
When the value names another image, the first update silently swaps the image. Names are \
compared after normalisation (`nginx` = `docker.io/library/nginx`).";
    MARKER_VALUE_SHAPE = "IU107" "marker-value-shape" Error
        summary: "A setter marker's suffix does not fit the value it marks"
        help: None,
        doc: "A `:tag` marker writes only a tag, a `:name` marker only a repository, a \
`:digest` marker only a digest, and a marker without suffix a full reference. Using one on \
the other kind of value produces a broken image reference on the first update.";
    MARKER_NOT_AUTOMATED = "IU108" "marker-not-automated" Warning
        summary: "No ImageUpdateAutomation covers the file of this marker"
        help: Some("widen an automation's spec.update.path or move the file under it"),
        doc: "Only ImageUpdateAutomations in the policy's namespace apply its markers, and only \
in files under their `spec.update.path`. A marker outside every such path is never updated.";
    MARKER_ON_ALIAS = "IU109" "marker-on-alias" Warning
        summary: "A setter marker sits on an alias node"
        help: Some("put the marker on the anchored value (&name) instead"),
        doc: "Flux ignores markers on alias nodes (`*name`). A marker on the anchored scalar \
updates every alias of it.";
    MARKER_ON_NON_STRING = "IU110" "marker-on-non-string" Warning
        summary: "A marked plain scalar is not a YAML string"
        help: Some("quote the value so it stays a string"),
        doc: "`tag: 1.10` is the number 1.1 to YAML. Flux keeps the node's original type when \
it writes a new value, which can produce `!!float` tags or a wrong tag at deploy time.";
    MARKER_DIGEST_NOT_REFLECTED = "IU111" "marker-digest-not-reflected" Warning
        summary: "A :digest marker's policy does not reflect digests"
        help: Some("set spec.digestReflectionPolicy to IfNotPresent or Always on the policy"),
        doc: "With `digestReflectionPolicy: Never` (the default) the policy has no digest and \
Flux writes an empty string into the field.";

    INVALID_IMAGE_REF = "IU201" "invalid-image-reference" Error
        summary: "An image reference does not follow the Docker reference grammar"
        help: None,
        doc: "The kubelet, kustomize and both controllers parse images with the \
distribution/reference grammar: lowercase repository path, tag `[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}` \
(no `+`), registered digest algorithms, no URL scheme.";
    REGISTRY_PORT_AS_TAG = "IU202" "registry-port-read-as-tag" Warning
        summary: "A registry host with a port reads as an image name and tag"
        help: Some("add the repository path: localhost:5000/<repository>"),
        doc: "`localhost:5000` alone is the image `docker.io/library/localhost` with tag \
`5000`. The repository path is missing.";

    FLUX_API_VERSION = "IU301" "flux-api-version" Warning / Error
        summary: "A Flux image automation object uses an API version Flux no longer serves"
        help: Some("use apiVersion: image.toolkit.fluxcd.io/v1"),
        doc: "`v1` is the current API since Flux 2.7. `v1beta2` was deprecated in Flux 2.7 and \
removed in Flux 2.9 (image-reflector-controller and image-automation-controller 1.2 serve only \
`v1`): a warning, since Flux 2.8 and older still serve it; preview and apply skip such objects \
unless `--flux 2.8` or older is given. `v1beta1` and the alphas were removed in Flux 2.7, and a \
malformed apiVersion (`image.toolkit.fluxcd.io/v1/v2`) is served by no release: errors.";
    INVALID_SEMVER_RANGE = "IU302" "invalid-semver-range" Error
        summary: "A semver range does not parse with Masterminds semantics"
        help: None,
        doc: "Flux and Argo CD Image Updater parse ranges with Masterminds/semver v3 (`||`, \
hyphen ranges, space or comma AND, `x` wildcards). An invalid range makes the policy \
Stalled.";
    INVALID_FILTER_PATTERN = "IU303" "invalid-filter-pattern" Error
        summary: "filterTags.pattern is not a valid Go regular expression"
        help: None,
        doc: "The policy goes Stalled with reason InvalidPolicy.";
    EXTRACT_UNKNOWN_GROUP = "IU304" "extract-unknown-group" Error
        summary: "filterTags.extract names a capture group the pattern does not have"
        help: None,
        doc: "Go's Regexp.Expand turns an unknown group into an empty string, so every tag \
extracts to the same key and the policy picks an arbitrary tag. In `$name` the name is the \
longest run of letters, digits and `_`: write `${1}x`, not `$1x`.";
    POLICY_CHOICE = "IU305" "policy-choice" Error
        summary: "An ImagePolicy needs exactly one of semver, alphabetical, numerical"
        help: None,
        doc: "With none the policy is Stalled (InvalidPolicy). With several, Flux silently uses \
the first of semver, alphabetical, numerical.";
    INVALID_ORDER = "IU306" "invalid-order" Error
        summary: "order must be asc or desc"
        help: None,
        doc: "The CRD only accepts `asc` and `desc`.";
    INVALID_DURATION = "IU307" "invalid-duration" Error
        summary: "A duration is not a Go duration the CRD accepts"
        help: Some("write durations like 30s, 5m, 1h30m (no days)"),
        doc: "Flux intervals match `^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$`; timeouts may not use \
`h`. Go has no `d` unit.";
    UNRESOLVED_REFERENCE = "IU308" "unresolved-reference" Warning
        summary: "An object refers to another object that is not in the repository"
        help: None,
        doc: "imageRepositoryRef and sourceRef must name objects the cluster has. The object \
may be created elsewhere, so this is a warning.";
    INVALID_UPDATE_STRATEGY = "IU309" "invalid-update-strategy" Error
        summary: "update.strategy must be Setters"
        help: Some("use strategy: Setters"),
        doc: "Setters is the only strategy; anything else makes the automation Stalled.";
    UPDATE_PATH_MISSING = "IU310" "update-path-missing" Error
        summary: "update.path does not exist in the repository"
        help: None,
        doc: "The automation fails every run with UpdateFailed. The path is resolved from the \
repository root (`..` and leading `/` are clamped inside it).";
    INVALID_MESSAGE_TEMPLATE = "IU311" "invalid-message-template" Error
        summary: "git.commit.messageTemplate is not a valid Go template"
        help: None,
        doc: "The automation fails when it renders the commit message.";
    REMOVED_TEMPLATE_FIELD = "IU312" "removed-template-field" Error
        summary: "messageTemplate uses a field removed in image.toolkit.fluxcd.io/v1"
        help: Some("use .Changed.FileChanges, .Changed.Objects or .Changed.Changes"),
        doc: "Since Flux 2.7 `.Updated` and `.Changed.ImageResult` are gone; a template using \
them makes the automation Stalled with reason RemovedTemplateField.";
    DIGEST_REFLECTION_INTERVAL = "IU313" "digest-reflection-interval" Error
        summary: "spec.interval and digestReflectionPolicy: Always go together"
        help: None,
        doc: "The ImagePolicy CRD accepts spec.interval only with digestReflectionPolicy \
Always, and requires it then.";
    INVALID_REPOSITORY_IMAGE = "IU314" "invalid-repository-image" Error
        summary: "ImageRepository spec.image must be a repository without scheme, tag or digest"
        help: None,
        doc: "The controller rejects a `scheme://` prefix and a tag; the object goes Stalled \
with reason ImageURLInvalid.";
    CROSS_NAMESPACE_POLICY = "IU315" "cross-namespace-policy" Warning
        summary: "An ImagePolicy refers to an ImageRepository in another namespace that does not allow it"
        help: Some("add spec.accessFrom.namespaceSelectors to the ImageRepository"),
        doc: "Without accessFrom, an ImageRepository denies policies from other namespaces.";
    CARET_WILDCARD = "IU316" "caret-wildcard-range" Warning
        summary: "The range ^* only matches 0.0.0"
        help: Some("use * for any release"),
        doc: "Masterminds/semver documents `^*` as 'any' but its code only matches 0.0.0.";

    IMAGE_LIST_SYNTAX = "IU401" "image-list-syntax" Error
        summary: "An image-list entry does not parse"
        help: Some("entries are [<alias>=]<image>[:<constraint>], separated by commas"),
        doc: "Argo CD Image Updater v1 rejects an empty or malformed image-list and skips the \
application.";
    INVALID_CONSTRAINT = "IU402" "invalid-constraint" Error
        summary: "An image's version constraint is not valid for its update strategy"
        help: None,
        doc: "The tag part of an image-list entry or imageName is a constraint, not a tag: \
`1.20` means `~1.20`, `latest` is an invalid semver constraint and the image is skipped.";
    UNKNOWN_ALIAS = "IU403" "unknown-alias" Error
        summary: "A per-image setting names an alias that is not declared"
        help: None,
        doc: "Per-alias settings only apply to aliases declared in the image list; a setting \
for an undeclared alias is ignored.";
    UNKNOWN_STRATEGY = "IU404" "unknown-update-strategy" Error
        summary: "Unknown update strategy"
        help: Some("use semver, newest-build, alphabetical or digest"),
        doc: "Argo CD Image Updater logs a warning and falls back to semver.";
    DEPRECATED_STRATEGY = "IU405" "deprecated-update-strategy" Warning
        summary: "Deprecated update strategy name"
        help: None,
        doc: "`latest` is now `newest-build` and `name` is now `alphabetical`.";
    ALLOW_TAGS_NOTHING = "IU406" "allow-tags-matches-nothing" Error
        summary: "allow-tags matches no tag"
        help: Some("write regexp:<expression> or any"),
        doc: "A value without the `regexp:` prefix (or `any`), or a regular expression that \
does not compile, is a match function that matches nothing: the image never updates.";
    INVALID_IGNORE_TAGS = "IU407" "invalid-ignore-tags" Error / Warning
        summary: "An ignore-tags pattern is not a valid Go glob"
        help: None,
        doc: "Patterns are Go filepath.Match globs; a malformed one matches nothing (error). \
Negation is `[^...]`: `[!...]` matches a literal `!` (warning: the glob still works, for \
another set of tags).";
    INVALID_PLATFORM = "IU408" "invalid-platform" Error
        summary: "A platform is not os/arch[/variant]"
        help: None,
        doc: "An unparseable platform becomes an impossible constraint: nothing matches.";
    INVALID_PULL_SECRET = "IU409" "invalid-pull-secret" Error
        summary: "A pull-secret reference is malformed"
        help: Some("use pullsecret:<ns>/<name>, secret:<ns>/<name>#<field>, env:<VAR> or ext:<path>"),
        doc: "A malformed credential reference makes every registry call for the image fail.";
    INVALID_WRITE_BACK_METHOD = "IU410" "invalid-write-back-method" Error
        summary: "Unknown write-back method"
        help: Some("use argocd, git, git:repocreds or git:secret:[<ns>/]<name>"),
        doc: "The application is skipped with a configuration error.";
    INVALID_WRITE_BACK_TARGET = "IU411" "invalid-write-back-target" Error
        summary: "Malformed write-back target"
        help: Some("use kustomization[:<dir>], helmvalues[:<file>] or a file path"),
        doc: "Argo CD Image Updater v1.3 rejects a bare kustomization file name and empty \
target paths.";
    CONFLICTING_TARGETS = "IU412" "conflicting-manifest-targets" Error
        summary: "One image has both Helm and Kustomize targets"
        help: None,
        doc: "Argo CD Image Updater v1 refuses the configuration.";
    UNKNOWN_ANNOTATION = "IU413" "unknown-annotation" Warning
        summary: "An image-updater annotation key does not exist"
        help: None,
        doc: "Unknown keys under argocd-image-updater.argoproj.io/ are silently ignored.";
    CONSTRAINT_NEEDS_ALIAS = "IU414" "constraint-needs-alias" Error
        summary: "A constraint containing '=' needs an alias"
        help: Some("add an alias: <alias>=<image>:<constraint>"),
        doc: "image-list splits each entry at the first `=`: `nginx:>=1.0` is read as alias \
`nginx:>` and image `1.0`.";
    INVALID_FORCE_UPDATE = "IU415" "invalid-force-update" Error
        summary: "force-update is not a boolean"
        help: None,
        doc: "v1 parses the value with Go ParseBool and rejects the application otherwise.";
    INVALID_GIT_BRANCH = "IU416" "invalid-git-branch" Error
        summary: "git-branch has more than one ':'"
        help: Some("use <branch>, <base>:<template> or :<template>"),
        doc: "The branch is split at `:` into base and write-branch template.";
    DIGEST_WITHOUT_CONSTRAINT = "IU417" "digest-without-constraint" Error
        summary: "The digest strategy needs the tag to track"
        help: Some("write the mutable tag as the constraint, e.g. app:latest"),
        doc: "The digest strategy tracks the tag named by the constraint; without it the image \
is skipped with an error.";
    INVALID_ALIAS = "IU418" "invalid-alias" Error
        summary: "Invalid image alias"
        help: None,
        doc: "Aliases match ^[a-zA-Z0-9][a-zA-Z0-9-._]*$ in the ImageUpdater CRD.";
    DUPLICATE_ALIAS = "IU419" "duplicate-alias" Error
        summary: "An alias is declared twice"
        help: None,
        doc: "Image lists are keyed by alias; the second entry replaces or conflicts with the first.";
    IGNORE_TAGS_REGEXP = "IU420" "ignore-tags-regexp" Warning
        summary: "An ignore-tags pattern is written as regexp:, which ignore-tags does not read"
        help: Some("ignore-tags are globs: write sha256* rather than regexp:^sha256"),
        doc: "Only allow-tags takes `regexp:<expression>`. ignore-tags patterns are Go \
filepath.Match globs (registry-scanner `image/version.go`), so `regexp:^sha256` is the glob of \
the literal text `regexp:^sha256`: no tag holds a colon, so the pattern ignores nothing and the \
tags it was meant to hide stay candidates.";
    CRD_DEFAULT_CHANGED = "IU421" "crd-default-changed" Warning
        summary: "An ImageUpdater settings block gets a different strategy from the v1.3 and the v1.4 CRDs"
        help: Some("write updateStrategy (and forceUpdate) explicitly in the block"),
        doc: "The ImageUpdater CRDs of Argo CD Image Updater v1.0–v1.3 default `updateStrategy: \
semver` and `forceUpdate: false` into every `commonUpdateSettings` block, so a block at the \
applicationRef or image level that sets only `allowTags` replaces an inherited `newest-build` \
with semver. The v1.4 CRDs (#1782) dropped those defaults and the block inherits. Which answer \
applies depends on the CRDs installed in the cluster; this tool reads the v1.4 one.";
    ANNOTATIONS_UNREAD = "IU422" "argocd-annotations-unread" Warning
        summary: "Argo CD Image Updater v1 does not read these Application annotations"
        help: Some("add an applicationRef with useAnnotations: true for the Application to an ImageUpdater in its namespace, or run with --argocd-image-updater v0 if v0.x runs"),
        doc: "Argo CD Image Updater v1.x reads an Application's `argocd-image-updater.argoproj.io/` \
annotations only when an `ImageUpdater` in the Application's namespace picks it with an \
applicationRef that sets `useAnnotations: true` (the most specific matching ref decides). A \
repository holding an `ImageUpdater` CR is read as v1.x, so annotations on an Application no such \
ref picks update nothing.";
    SHARED_HELM_PARAMETER = "IU423" "shared-helm-parameter" Warning
        summary: "Two images of one Application write the same Helm parameter"
        help: Some("give each image its own helm.image-name / helm.image-tag (manifestTargets.helm.name / tag)"),
        doc: "Argo CD Image Updater sets each image's Helm parameters in turn (image-spec, or \
image-name and image-tag, defaulting to image.name and image.tag) on the Application or in its \
write-back file. When two images name the same parameter, the one written last wins: the chart \
deploys one image's name or tag for both, and each run may flip it back. Reported for Helm \
Applications, and wherever both images name their parameters themselves.";

    KS_INVALID_KIND = "IU501" "kubesphere-invalid-kind" Error
        summary: "KubeSphere ImageUpdater kind must be argocd or fluxcd"
        help: None,
        doc: "The kind selects the engine that implements the updater.";
    KS_MISSING_SECTION = "IU502" "kubesphere-missing-section" Error
        summary: "The section for the ImageUpdater's kind is missing"
        help: None,
        doc: "kind argocd needs the argo (argocd) section, kind fluxcd the flux section.";
    KS_MIXED_SPELLING = "IU503" "kubesphere-mixed-spelling" Warning
        summary: "An ImageUpdater mixes the design and the shipped field spellings"
        help: Some("use one spelling throughout the object"),
        doc: "KubeSphere's design used kebab-case keys (`argocd`, `update-strategy`), the \
shipped API uses camelCase (`argo`, `updateStrategy`). Mixing them means one set is ignored.";

    PROMOTION_ENV_MISSING = "IU601" "promotion-environment-missing" Error
        summary: "A gitops-promotion environment has no folder in a group"
        help: None,
        doc: "gitops-promotion writes each promotion into `<group>/<environment>/`; a missing \
folder makes the promotion fail.";
    PROMOTION_INVALID_CONFIG = "IU602" "promotion-invalid-config" Error / Warning
        summary: "gitops-promotion.yaml is malformed"
        help: None,
        doc: "The promotion tool cannot load its configuration (error). A bare number as \
`status_timeout_minutes` loads, but as nanoseconds (warning).";

    EXPORT_NO_EQUIVALENT = "IU701" "export-no-equivalent" Warning
        summary: "A setting has no equivalent in the export target and is left out"
        help: Some("drop the setting, or export to a dialect that can hold it; --strict makes this an error"),
        doc: "Export converts one dialect into another (Argo CD annotations or ImageUpdater CR, Flux \
objects, KubeSphere ImageUpdater). A setting the target cannot express (platforms in Flux, a \
numerical policy in Argo CD, Helm targets in KubeSphere) is reported on its source span instead \
of being dropped silently.";
    EXPORT_SKIPPED = "IU702" "export-skipped" Warning
        summary: "A source object or image cannot be exported"
        help: Some("fix the findings validate reports for it"),
        doc: "An image entry that does not parse, or an object whose required fields are missing, has \
nothing meaningful to convert; export skips it and says why.";
    EXPORT_NORMALIZED = "IU703" "export-normalized" Info
        summary: "Export wrote a value in another form, or filled in a required value"
        help: None,
        doc: "Some conversions are not one-to-one: an alias is invented for an image the target keys \
by alias, a deprecated strategy name is written with its current name, a required Flux field \
(interval, author, branch) is filled with the `flux create` default. Each is reported so the \
output holds no surprises.";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique_and_ordered() {
        let mut codes: Vec<_> = ALL.iter().map(|r| r.code).collect();
        let sorted = {
            let mut c = codes.clone();
            c.sort();
            c
        };
        assert_eq!(codes, sorted, "rules are listed in code order");
        codes.dedup();
        assert_eq!(codes.len(), ALL.len());
        let mut names: Vec<_> = ALL.iter().map(|r| r.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn find_by_code_or_name() {
        assert_eq!(find("iu105").unwrap().name, "marker-policy-not-found");
        assert_eq!(find("duplicate-key").unwrap().code, "IU002");
        assert!(find("IU999").is_none());
    }
}
