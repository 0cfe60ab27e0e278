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
mod path;
mod scenario;
pub mod tree;
#[cfg(feature = "yaml")]
mod yaml;

pub use edit::{document_json, document_with_health};
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
