//! meshlb's input formats.
//!
//! - meshlb scenarios, YAML or JSON ([`parse_scenario`], shared/SCENARIO.md §2): meshlb's own
//!   sections strictly, embedded Istio resources as Istio's API has them. YAML needs the `yaml`
//!   feature (on by default; the proxy-wasm filter leaves it out and reads JSON only).
//! - Envoy `ClusterLoadAssignment` and `Cluster` JSON ([`parse_envoy_json`]), in both proto3
//!   JSON spellings.
//!
//! [`load`] is the one entry point the adapters use: text and options in, a plan ready to
//! explain or simulate out.
//!
//! Every error is an [`InputError`] naming the path (`endpoints[1].lb_endpoints[0].health_status`)
//! and, where the input has lines, the line. Fields of Envoy's or Istio's API that meshlb does not
//! model are accepted and named in a note; anything else unknown is an error.

mod edit;
mod envoy;
mod error;
mod input;
mod json;
#[cfg(feature = "kube")]
pub mod kube;
mod names;
mod object;
mod path;
mod scenario;
pub mod tree;
pub mod update;
#[cfg(feature = "yaml")]
mod yaml;

pub use edit::{document_json, document_with_health};
pub use envoy::{
    ClusterEntry, Document, EnvoyFile, EnvoyInput, HealthCheck, HealthCheckProtocol,
    looks_like_envoy, parse_envoy_json, read as read_envoy,
};
pub use error::InputError;
pub use input::{
    Balancer, DEFAULT_MEAN_LATENCY_MS, DEFAULT_RATE, Input, Listing, Loaded, Options, Picked,
    Planned, TrafficOptions, is_envoy, load, read,
};
pub use path::{Path, Segment};
pub use scenario::{MAX_WORKLOADS, ScenarioInput, looks_like_scenario, parse_scenario};
pub use tree::parse_json;

/// A scenario document (YAML, or JSON) as compact JSON text, mappings in their written order:
/// `meshlb convert` prints it (the playground reads documents with [`document_json`]).
///
/// # Errors
/// Malformed input, with its line (without the `yaml` feature, text that is not JSON).
pub fn yaml_to_json(text: &str) -> Result<String, InputError> {
    tree::load(text).map(|node| node.to_json(text))
}

/// Largest input meshlb reads, in bytes (64 MiB): larger input is refused with a clear error
/// rather than read into memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Most YAML documents (`---` separated) one input may hold: a `kubectl get -o yaml` dump is one
/// `List` document, and a file of objects one document per object.
pub const MAX_DOCUMENTS: usize = 65_536;

/// Deepest nesting of mappings and lists meshlb reads, in YAML and JSON.
pub const MAX_NESTING_DEPTH: usize = tree::MAX_DEPTH;

/// Checks an input's size against [`MAX_INPUT_BYTES`] before it is read.
///
/// # Errors
/// `NAME: larger than 64 MiB; meshlb does not read inputs that large`.
pub fn check_size(name: &str, bytes: u64) -> Result<(), String> {
    if bytes > MAX_INPUT_BYTES {
        Err(format!(
            "{name}: larger than {} MiB; meshlb does not read inputs that large",
            MAX_INPUT_BYTES >> 20
        ))
    } else {
        Ok(())
    }
}

/// An input's bytes as text: every adapter (the CLI's files and standard input, the wasm
/// package's `Uint8Array`s, the filter's configuration and update documents) reads with this,
/// so size and encoding are checked once, with one message.
///
/// # Errors
/// Over [`MAX_INPUT_BYTES`] ([`check_size`]); not UTF-8:
/// `NAME: not UTF-8 text (invalid byte at line N)`.
pub fn text(name: &str, bytes: Vec<u8>) -> Result<String, String> {
    check_size(name, bytes.len() as u64)?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let line = e.as_bytes()[..valid]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{name}: not UTF-8 text (invalid byte at line {line})")
    })
}

/// A file read as [`text`], without reading more than one byte past [`MAX_INPUT_BYTES`]: its
/// name (the path as given) and its text. The CLI's and the proxy's one way to read a file.
///
/// # Errors
/// `NAME: cannot read: ...`, or [`text`]'s.
pub fn read_file(path: &std::path::Path) -> Result<(String, String), String> {
    use std::io::Read;
    let name = path.display().to_string();
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| f.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes))
        .map_err(|e| format!("{name}: cannot read: {e}"))?;
    let text = text(&name, bytes)?;
    Ok((name, text))
}

/// [`text`] for borrowed bytes.
///
/// # Errors
/// As [`text`].
pub fn text_ref<'b>(name: &str, bytes: &'b [u8]) -> Result<&'b str, String> {
    check_size(name, bytes.len() as u64)?;
    std::str::from_utf8(bytes).map_err(|e| {
        let line = bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1;
        format!("{name}: not UTF-8 text (invalid byte at line {line})")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalid_utf8_names_the_line() {
        let e = text("input", b"a\nb\n\xff".to_vec()).unwrap_err();
        assert_eq!(e, "input: not UTF-8 text (invalid byte at line 3)");
        assert_eq!(
            text_ref("input", b"\xc3").unwrap_err(),
            "input: not UTF-8 text (invalid byte at line 1)"
        );
        assert_eq!(text("input", b"ok\n".to_vec()).as_deref(), Ok("ok\n"));
    }

    #[test]
    fn the_size_limit_is_inclusive() {
        assert_eq!(check_size("input", MAX_INPUT_BYTES), Ok(()));
        assert_eq!(
            check_size("input", MAX_INPUT_BYTES + 1).unwrap_err(),
            "input: larger than 64 MiB; meshlb does not read inputs that large"
        );
    }
}
