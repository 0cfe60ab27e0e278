//! Shared helpers of meshlb's integration tests: where the vectors, schemas and examples live,
//! and a way to run the `meshlb` command line in-process.

pub mod meshgen;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::Value;

/// The workspace root.
#[must_use]
pub fn workspace_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A file under `tests/vectors/` (copies of shared/vectors, see its README).
#[must_use]
pub fn vector_path(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("vectors")
        .join(name)
}

/// Every Envoy example under `examples/envoy/`, sorted.
#[must_use]
pub fn envoy_examples() -> Vec<PathBuf> {
    let dir = workspace_root().join("examples").join("envoy");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// What one run of the command line did.
#[derive(Debug)]
pub struct Run {
    /// Exit status.
    pub status: u8,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

/// Runs `meshlb ARGS...` in-process.
#[must_use]
pub fn meshlb(args: &[&str]) -> Run {
    let mut out = Vec::new();
    let mut err = Vec::new();
    let status = meshlb_cli::run(
        std::iter::once("meshlb").chain(args.iter().copied()),
        &mut out,
        &mut err,
    );
    Run {
        status,
        stdout: String::from_utf8(out).expect("stdout is UTF-8"),
        stderr: String::from_utf8(err).expect("stderr is UTF-8"),
    }
}

/// Writes `contents` to a fresh file in the system's temporary directory and returns its path.
#[must_use]
pub fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("meshlb-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let path = dir.join(format!("{n}-{name}"));
    std::fs::write(&path, contents).expect("write temp file");
    path
}

/// The JSON schema `schema/NAME`, compiled.
#[must_use]
pub fn schema(name: &str) -> jsonschema::Validator {
    let path = workspace_root().join("schema").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let schema: Value = serde_json::from_str(&text).expect("schema is JSON");
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// Asserts `instance` matches `validator`, listing every error (`what` names the instance).
pub fn assert_valid(validator: &jsonschema::Validator, instance: &Value, what: &str) {
    let errors: Vec<String> = validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{what} does not match the schema:\n{}",
        errors.join("\n")
    );
}

/// `meshlb explain FILE --format json EXTRA...` on `contents` written to a temporary file
/// `name`: asserts exit 0 (the message names `what` and standard error) and returns the JSON.
#[must_use]
pub fn explain_json(name: &str, contents: &[u8], extra: &[&str], what: &str) -> Value {
    let path = temp_file(name, contents);
    explain_path(&path, extra, what)
}

/// `meshlb explain FILE --format json EXTRA...`: asserts exit 0 (the message names `what` and
/// standard error) and returns the JSON.
#[must_use]
pub fn explain_path(path: &Path, extra: &[&str], what: &str) -> Value {
    let file = path.to_str().expect("utf-8 path");
    let mut args = vec!["explain", file, "--format", "json"];
    args.extend_from_slice(extra);
    let run = meshlb(&args);
    assert_eq!(run.status, 0, "{what}: {}", run.stderr);
    serde_json::from_str(&run.stdout).expect("explain prints JSON")
}

/// An explanation's shares by `address:port`, summed (a gateway appears once per locality group
/// it serves).
#[must_use]
pub fn shares(e: &Value) -> std::collections::BTreeMap<String, f64> {
    let mut out = std::collections::BTreeMap::new();
    for ep in e["endpoints"].as_array().expect("endpoints") {
        let key = format!(
            "{}:{}",
            ep["address"].as_str().expect("address"),
            ep["port"]
        );
        *out.entry(key).or_insert(0.0) += ep["share"].as_f64().expect("share");
    }
    out
}

/// An explanation's dropped endpoints as (`address:port`, reason code).
#[must_use]
pub fn dropped(e: &Value) -> Vec<(String, String)> {
    e["dropped"]
        .as_array()
        .expect("dropped")
        .iter()
        .map(|d| {
            (
                format!("{}:{}", d["address"].as_str().expect("address"), d["port"]),
                d["reason"].as_str().expect("reason").to_string(),
            )
        })
        .collect()
}

/// An explanation's notes, one per line.
#[must_use]
pub fn notes(e: &Value) -> String {
    e["notes"]
        .as_array()
        .expect("notes")
        .iter()
        .filter_map(Value::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The dump sets of tests/kube: (model = the example of that name, client pod, clusters).
pub const KUBE_MODELS: &[(&str, &str, &[&str])] = &[
    (
        "single-cluster",
        "kind/demo/curl-7d5c9b6d4b-xk2jq",
        &["kind"],
    ),
    (
        "multi-primary",
        "east/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        &["east", "west"],
    ),
    (
        "multi-network",
        "east/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        &["east", "west"],
    ),
    (
        "primary-remote",
        "remote/bookinfo/productpage-v1-6c8d5f9b7-pp001",
        &["primary", "remote"],
    ),
    (
        "external-control-plane",
        "cluster1/sample/curl-5d6c8b7f9-cu001",
        &["cluster1", "cluster2", "cluster3"],
    ),
    (
        "blue-green-subsets",
        "prod/shop/frontend-8c7b6d5f4-fr001",
        &["prod"],
    ),
    (
        "blue-green-secrets",
        "blue/shop/frontend-8c7b6d5f4-fr001",
        &["blue", "green"],
    ),
    (
        "meshes-trusted",
        "cluster-a/shop/checkout-5b6d8f7c9-ch001",
        &["cluster-a", "cluster-b"],
    ),
    (
        "meshes-untrusted",
        "cluster-a/shop/checkout-5b6d8f7c9-ch001",
        &["cluster-a", "cluster-b"],
    ),
];

/// tests/kube.
#[must_use]
pub fn kube_dir() -> PathBuf {
    workspace_root().join("tests").join("kube")
}

/// A file's text.
///
/// # Panics
/// When it cannot be read.
#[must_use]
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// One cluster's dump of a model, as `Options::kube` takes it.
#[must_use]
pub fn kube_dump(model: &str, cluster: &str) -> (String, Vec<(String, String)>) {
    let path = kube_dir().join(model).join(format!("{cluster}.yaml"));
    (
        cluster.to_string(),
        vec![(format!("{model}/{cluster}.yaml"), read(&path))],
    )
}

/// The options that import a model's dumps with its overlay and client pod.
#[must_use]
pub fn kube_options(model: &str, pod: &str, clusters: &[&str]) -> meshlb_formats::Options {
    let overlay = kube_dir().join(format!("{model}.overlay.yaml"));
    meshlb_formats::Options {
        kube: clusters.iter().map(|c| kube_dump(model, c)).collect(),
        overlay: Some((format!("{model}.overlay.yaml"), read(&overlay))),
        from_pod: Some(pod.to_string()),
        ..meshlb_formats::Options::default()
    }
}
