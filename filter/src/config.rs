//! The plugin configuration: one JSON object, parsed once in `on_configure`.
//!
//! ```json
//! {
//!   "input": "<a meshlb scenario or an Envoy ClusterLoadAssignment / Cluster, in JSON>",
//!   "name": "reviews.json",
//!   "from": "east/bookinfo",
//!   "locality": "us-east/us-east-1a",
//!   "to": "reviews.bookinfo",
//!   "lb_policy": "MAGLEV",
//!   "panic_threshold": 50,
//!   "cluster": "outbound|9080||reviews.bookinfo.svc.cluster.local",
//!   "fail": ["zone=us-east/us-east-1a"],
//!   "hash_header": "x-user",
//!   "header": "x-envoy-original-dst-host",
//!   "seed": 7,
//!   "updates": { "shared_data_key": "meshlb.updates", "tick_ms": 1000, "admin_path": "/meshlb/update" }
//! }
//! ```
//!
//! Only `input` is required. `input` is the document's text (a string) or the document itself
//! (an object); the filter reads JSON only (`meshlb convert` turns a YAML scenario into JSON).
//! `name` names the input in messages, as the CLI names the file. `from`, `locality`, `to`,
//! `lb_policy`, `panic_threshold`, `cluster` and `fail` (a list: one `--fail` each) are the
//! CLI's flags of the same names, with the same meaning and the same messages (`cluster` chooses one cluster of Envoy input holding
//! several, such as a config dump).
//!
//! Messages about the input are the CLI's for the same text, with one exception: an object
//! `input` is read with the configuration, so malformed JSON, a duplicate key or too deep
//! nesting inside it is reported as the configuration's (`configuration: input.a: duplicate
//! key ...`, with the configuration's line).

use meshlb::LbPolicy;
use meshlb_formats::tree::{Node, Value};
use meshlb_formats::{InputError, Loaded, Options, Path};

/// The header Envoy's `ORIGINAL_DST` cluster reads with `use_http_header: true`.
pub(crate) const DEFAULT_HEADER: &str = "x-envoy-original-dst-host";
/// The shared-data key a worker polls for updates (see `crate::update`).
pub(crate) const DEFAULT_SHARED_DATA_KEY: &str = "meshlb.updates";
/// How often a worker polls the shared-data key, milliseconds.
pub(crate) const DEFAULT_TICK_MS: u32 = 1000;
/// The name messages give the input when the configuration names none.
pub(crate) const DEFAULT_NAME: &str = "input";

/// A validated configuration: the input loaded and planned, the headers checked.
#[derive(Debug)]
pub(crate) struct Config {
    /// The planned input (moved into the worker's balancer).
    pub(crate) loaded: Loaded,
    /// Everything else.
    pub(crate) settings: Settings,
}

/// The configuration's settings besides the input.
#[derive(Debug)]
pub(crate) struct Settings {
    /// The request header whose value is the hash key (lowercase).
    pub(crate) hash_header: Option<String>,
    /// The request header the pick is written to (lowercase).
    pub(crate) header: String,
    /// The picks' seed; `None`: the host's clock.
    pub(crate) seed: Option<u64>,
    /// The shared-data key holding the update document.
    pub(crate) shared_data_key: String,
    /// Poll period of the shared-data key, milliseconds; 0: no polling.
    pub(crate) tick_ms: u32,
    /// The request path that takes updates, when enabled.
    pub(crate) admin_path: Option<String>,
}

/// The configuration's fields.
const FIELDS: &[&str] = &[
    "input",
    "name",
    "from",
    "locality",
    "to",
    "lb_policy",
    "panic_threshold",
    "cluster",
    "fail",
    "hash_header",
    "header",
    "seed",
    "updates",
];
/// The fields of `updates`.
const UPDATE_FIELDS: &[&str] = &["shared_data_key", "tick_ms", "admin_path"];

/// Parses and validates the plugin configuration, then loads its input.
///
/// # Errors
/// A message for the log: `configuration: ...` for the configuration itself (the path, the
/// problem and the line), or exactly the CLI's message for the input (`NAME: path: problem
/// (line N)`).
pub(crate) fn parse(bytes: &[u8]) -> Result<Config, String> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(
            "configuration: empty: give a JSON object with at least \"input\" (a meshlb scenario, or an Envoy ClusterLoadAssignment or Cluster)".into(),
        );
    }
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("configuration: expected a JSON object, such as {\"input\": \"...\"}".into());
    }
    let text = meshlb_formats::text_ref("configuration", bytes)?;
    let at = |e: InputError| format!("configuration: {e}");
    let root = meshlb_formats::parse_json(text).map_err(at)?;
    let top = Path::root();
    let fields = root.members(&top, FIELDS).map_err(at)?;
    let string = |name: &str| -> Result<Option<String>, String> {
        fields
            .get(name)
            .map(|(node, path)| node.string(&path).map(str::to_owned).map_err(at))
            .transpose()
    };
    let (input, input_path) = fields
        .require(
            "input",
            "a meshlb scenario, or an Envoy ClusterLoadAssignment or Cluster",
        )
        .map_err(at)?;
    let input = input_text(input, &input_path, text).map_err(at)?;
    let lb_policy = match string("lb_policy")? {
        None => None,
        Some(name) => Some(
            name.parse::<LbPolicy>()
                .map_err(|e| format!("configuration: lb_policy: {e}"))?,
        ),
    };
    let header = match string("header")? {
        None => DEFAULT_HEADER.to_owned(),
        Some(h) => header_name("header", &h, false)?,
    };
    // The filter writes the locality header after this one: the same name would lose the
    // destination.
    if header == crate::LOCALITY_HEADER || header == crate::UPDATE_HEADER {
        return Err(format!(
            "configuration: header {header:?}: the filter's own header (it writes {} with the \
             picked endpoint's locality, and reads {} on the admin path); name another, such as \
             {DEFAULT_HEADER:?}",
            crate::LOCALITY_HEADER,
            crate::UPDATE_HEADER
        ));
    }
    let hash_header = match string("hash_header")? {
        None => None,
        Some(h) => Some(header_name("hash_header", &h, true)?),
    };
    let panic_threshold = fields
        .get("panic_threshold")
        .map(|(node, path)| node.number(&path).map_err(at))
        .transpose()?;
    let seed = fields
        .get("seed")
        .map(|(node, path)| node.uint(&path, u64::MAX).map_err(at))
        .transpose()?;
    let (mut shared_data_key, mut tick_ms, mut admin_path) =
        (DEFAULT_SHARED_DATA_KEY.to_owned(), DEFAULT_TICK_MS, None);
    if let Some((node, path)) = fields.get("updates") {
        let updates = node.members(&path, UPDATE_FIELDS).map_err(at)?;
        if let Some((node, path)) = updates.get("shared_data_key") {
            shared_data_key = node.string(&path).map_err(at)?.to_owned();
        }
        if let Some((node, path)) = updates.get("tick_ms") {
            tick_ms = node.uint(&path, u64::from(u32::MAX)).map_err(at)? as u32;
        }
        if let Some((node, path)) = updates.get("admin_path") {
            admin_path = Some(node.string(&path).map_err(at)?.to_owned());
        }
    }
    if shared_data_key.is_empty() {
        return Err("configuration: updates.shared_data_key: must not be empty".into());
    }
    if let Some(p) = &admin_path
        && !(p.starts_with('/') && !p.contains(['?', '#']) && !p.contains(char::is_whitespace))
    {
        return Err(format!(
            "configuration: updates.admin_path {p:?}: expected a path such as \"/meshlb/update\" (starting with '/', without query or spaces)"
        ));
    }
    let name = string("name")?.unwrap_or_else(|| DEFAULT_NAME.to_owned());
    let options = Options {
        from: string("from")?,
        locality: string("locality")?,
        to: string("to")?,
        lb_policy,
        panic_threshold,
        cluster: string("cluster")?,
        fail: match fields.get("fail") {
            None => Vec::new(),
            Some((node, path)) => strings(node, &path).map_err(at)?,
        },
        ..Options::default()
    };
    let loaded = meshlb_formats::load(&name, &input, &options)?;
    Ok(Config {
        loaded,
        settings: Settings {
            hash_header,
            header,
            seed,
            shared_data_key,
            tick_ms,
            admin_path,
        },
    })
}

/// A list of strings (`fail`).
fn strings(node: &Node, path: &Path) -> Result<Vec<String>, InputError> {
    match &node.value {
        Value::Seq(items) => items
            .iter()
            .enumerate()
            .map(|(i, item)| item.string(&path.index(i)).map(str::to_owned))
            .collect(),
        _ => Err(InputError {
            path: path.clone(),
            line: Some(node.line),
            message: format!(
                "expected a list of failures such as [\"zone=us-east/us-east-1a\"], found {}",
                node.kind()
            ),
        }),
    }
}

/// The input's text: a JSON string's value, or an object's own text (so that line numbers in
/// messages count from the object's first line).
fn input_text(input: &Node, path: &Path, text: &str) -> Result<String, InputError> {
    match input.as_str() {
        Some(s) => Ok(s.to_owned()),
        None if matches!(input.value, Value::Map(_)) => Ok(input.source(text)),
        None => Err(InputError {
            path: path.clone(),
            line: Some(input.line),
            message: format!(
                "expected the input's text (a string) or a JSON document (an object), found {}",
                input.kind()
            ),
        }),
    }
}

/// Checks an HTTP header name (RFC 9110 token characters) and lowercases it, as Envoy stores
/// header names. `pseudo` admits `:authority`, `:path` and the other pseudo-headers.
fn header_name(field: &str, name: &str, pseudo: bool) -> Result<String, String> {
    let body = match name.strip_prefix(':') {
        Some(rest) if pseudo => rest,
        _ => name,
    };
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if body.is_empty() || !body.chars().all(token) {
        return Err(format!(
            "configuration: {field} {name:?}: not an HTTP header name (letters, digits and !#$%&'*+-.^_`|~){}",
            if pseudo {
                ", or a pseudo-header such as \":authority\""
            } else {
                ""
            }
        ));
    }
    Ok(name.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CLA: &str = r#"{"cluster_name": "c", "endpoints": [{"lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}}}]}]}"#;

    #[test]
    fn defaults_and_object_input() {
        let Config {
            loaded,
            settings: config,
        } = parse(format!(r#"{{"input": {CLA}}}"#).as_bytes()).expect("valid");
        assert!(loaded.title.starts_with("input: ClusterLoadAssignment"));
        assert_eq!(config.header, DEFAULT_HEADER);
        assert_eq!(config.hash_header, None);
        assert_eq!(config.seed, None);
        assert_eq!(config.shared_data_key, DEFAULT_SHARED_DATA_KEY);
        assert_eq!(config.tick_ms, DEFAULT_TICK_MS);
        assert_eq!(config.admin_path, None);
    }

    #[test]
    fn string_input_and_every_field() {
        let json = serde_json::json!({
            "input": CLA, "name": "cla.json", "lb_policy": "MAGLEV", "panic_threshold": 0.0,
            "hash_header": "X-User", "header": "x-dst", "seed": 7,
            "updates": {"shared_data_key": "k", "tick_ms": 0, "admin_path": "/meshlb/update"}
        });
        let Config {
            loaded,
            settings: config,
        } = parse(json.to_string().as_bytes()).expect("valid");
        assert_eq!(loaded.policy(), LbPolicy::Maglev);
        assert_eq!(config.hash_header.as_deref(), Some("x-user"));
        assert_eq!(config.header, "x-dst");
        assert_eq!(config.seed, Some(7));
        assert_eq!(config.tick_ms, 0);
        assert_eq!(config.admin_path.as_deref(), Some("/meshlb/update"));
    }

    #[test]
    fn errors_name_the_problem() {
        let cases: &[(&str, &str)] = &[
            ("", "configuration: empty"),
            ("[]", "configuration: expected a JSON object"),
            ("\"x\"", "configuration: expected a JSON object"),
            (
                "{",
                "configuration: malformed JSON: unexpected end of the document",
            ),
            (r#"{"input": 3}"#, "configuration: input: expected"),
            (
                r#"{"input": "{}", "hedaer": "x"}"#,
                "configuration: hedaer: unknown field `hedaer`; did you mean `header`? (line 1)",
            ),
            (r#"{"name": "x"}"#, "configuration: missing field `input`"),
            (
                r#"{"input": "x", "name": 1}"#,
                "configuration: name: expected a string, found an integer (line 1)",
            ),
            (
                r#"{"input": "x", "lb_policy": "RR"}"#,
                "configuration: lb_policy: unknown load-balancing policy \"RR\"",
            ),
            (
                r#"{"input": "x", "header": "bad header"}"#,
                "configuration: header \"bad header\"",
            ),
            (
                r#"{"input": "x", "header": ":path"}"#,
                "configuration: header \":path\"",
            ),
            (
                r#"{"input": "x", "seed": -1}"#,
                "configuration: seed: expected a non-negative integer, found -1",
            ),
            (
                r#"{"input": "x", "updates": {"admin_path": "meshlb"}}"#,
                "configuration: updates.admin_path",
            ),
            (
                r#"{"input": "x", "updates": {"shared_data_key": ""}}"#,
                "configuration: updates.shared_data_key",
            ),
            (r#"{"input": "   "}"#, "input: the input is empty"),
            (r#"{"input": "{}", "name": "n.json"}"#, "n.json: "),
        ];
        for (config, expected) in cases {
            let message = parse(config.as_bytes()).expect_err(config);
            assert!(message.starts_with(expected), "{config}: {message}");
        }
        assert!(
            parse(br#"{"input": "x", "hash_header": ":authority"}"#)
                .is_err_and(|m| !m.contains("hash_header"))
        );
    }

    #[test]
    fn input_errors_are_the_cli_messages() {
        let options = Options::default();
        let text = r#"{"clusters": [{"name": "east"}],
            "workloads": [{"service": "nope", "cluster": "east", "address": "1.2.3.4", "port": 80}]}"#;
        let cli = meshlb_formats::load("bad.json", text, &options).expect_err("bad scenario");
        assert!(cli.contains("(line 2)"), "{cli}");
        let json = serde_json::json!({"input": text, "name": "bad.json"});
        assert_eq!(parse(json.to_string().as_bytes()).expect_err("bad"), cli);
    }

    #[test]
    fn an_object_inputs_own_syntax_errors_are_the_configurations() {
        let message = parse(b"{\"input\": {\"a\": 1,\n \"a\": 2}}").expect_err("duplicate");
        assert_eq!(
            message,
            "configuration: input.a: duplicate key `a` (a key may appear once in a mapping) (line 2)"
        );
    }
}
