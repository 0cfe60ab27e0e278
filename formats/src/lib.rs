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

mod envoy;
mod error;
mod input;
mod json;
#[cfg(feature = "kube")]
pub mod kube;
mod names;
mod path;
mod scenario;
pub mod tree;
#[cfg(feature = "yaml")]
mod yaml;

pub use envoy::{
    ClusterEntry, Document, EnvoyFile, EnvoyInput, looks_like_envoy, parse_envoy_json,
    read as read_envoy,
};
pub use error::InputError;
pub use input::{Balancer, Input, Listing, Loaded, Options, Picked, Planned, is_envoy, load, read};
pub use path::{Path, Segment};
pub use scenario::{MAX_WORKLOADS, ScenarioInput, looks_like_scenario, parse_scenario};
pub use tree::parse_json;

/// A scenario document (YAML, or JSON) as compact JSON text, mappings in their written order:
/// the playground edits a YAML scenario as a JS object this way, and `meshlb convert` prints it.
///
/// # Errors
/// Malformed input, with its line (without the `yaml` feature, text that is not JSON).
pub fn yaml_to_json(text: &str) -> Result<String, InputError> {
    tree::load(text).map(|node| node.to_json(text))
}

/// A document (a scenario or Envoy input, YAML or JSON) as compact JSON text for an editor
/// that changes it and hands it back to meshlb as JSON: [`yaml_to_json`], except that a
/// scenario's unquoted `istioVersion: 1.30` stays the text written (`"1.30"`), as meshlb reads
/// it, rather than the number 1.3 a JSON reader would make of it.
///
/// # Errors
/// As [`yaml_to_json`]; several documents (a stream) are read as a list.
pub fn document_json(text: &str) -> Result<String, InputError> {
    let mut node = tree::load_stream(text)?;
    if let tree::Value::Map(entries) = &mut node.value {
        for (key, value) in entries.iter_mut() {
            if key == "istioVersion"
                && matches!(value.value, tree::Value::Int(_) | tree::Value::Float(_))
            {
                value.value = tree::Value::Str(tree::raw(text, value.span));
            }
        }
    }
    Ok(node.to_json(text))
}

/// Largest input meshlb reads, in bytes (64 MiB): larger input is refused with a clear error
/// rather than read into memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;
