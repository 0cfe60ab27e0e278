//! meshlb's input formats.
//!
//! - Envoy `ClusterLoadAssignment` and `Cluster` JSON ([`parse_envoy_json`]), in both proto3
//!   JSON spellings.
//!
//! Every error is an [`InputError`] naming the path (`endpoints[1].lb_endpoints[0].health_status`)
//! and, where the input has lines, the line. Fields of Envoy's API that meshlb does not model are
//! accepted and named in a note; anything else unknown is an error.

mod envoy;
mod error;
mod path;

pub use envoy::{Document, EnvoyInput, looks_like_envoy, parse_envoy_json, parse_envoy_value};
pub use error::InputError;
pub use path::{Path, Segment, duplicate_key, line_of};

/// Largest input meshlb reads, in bytes (64 MiB): larger input is refused with a clear error
/// rather than read into memory.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;
