//! The meshlb scenario (shared/SCENARIO.md §2), in YAML or JSON (YAML 1.2 reads JSON).
//!
//! meshlb's own sections are strict: an unknown key is an error with a "did you mean" hint.
//! Embedded Istio resources (`config[].resources[]`) take Istio's API as it is, in both of
//! proto3 JSON's spellings (`trafficPolicy` and `traffic_policy`): a field of Istio's API that
//! meshlb does not model is accepted and named in a note (sub-messages meshlb does not model at
//! all, such as `connectionPool`, are accepted with any content); a field Istio's API does not
//! have is an error. Field lists: istio/api `networking/v1alpha3/{destination_rule,
//! virtual_service,service_entry,workload_entry,sidecar}.proto` (v1 and v1beta1 are the same
//! messages), `mesh/v1alpha1/config.proto`.
//!
//! Every error is an [`InputError`] with the path (`workloads[3].cluster`) and the line.
//!
//! The reader is split by what it reads: `shapes` lists the fields of every mapping,
//! `values` reads scalars, lists and labels, `mesh` meshlb's own sections (meshes, clusters,
//! networks, services, workloads, client, request) and `istio` the embedded Istio resources and
//! MeshConfig.

use meshlb::Note;
use std::collections::BTreeSet;

use meshlb::mesh::{MeshPlan, Scenario, ScenarioError};

use crate::error::InputError;
use crate::path::{At, Path, Segment};
use crate::tree;

mod istio;
#[cfg(feature = "kube")]
mod kube;
mod mesh;
mod shapes;
mod values;

#[cfg(feature = "kube")]
pub(crate) use kube::{istio_resource, mesh_config};

/// Most workloads a scenario may list: more is refused with a clear error.
pub const MAX_WORKLOADS: usize = 1_000_000;

/// A parsed scenario and what meshlb noticed while reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScenarioInput {
    /// The scenario, with shared/SCENARIO.md's defaults filled in.
    pub scenario: Scenario,
    /// Fields accepted but not modelled, deprecated spellings, and other remarks.
    pub notes: Vec<Note>,
}

impl ScenarioInput {
    /// Validates the scenario and builds its plan ([`MeshPlan::build`]).
    ///
    /// # Errors
    /// The [`ScenarioError`] of core validation as an [`InputError`] with the same path and the
    /// line of that path in `text` (the document this input was parsed from).
    pub fn plan(&self, text: &str) -> Result<MeshPlan, InputError> {
        MeshPlan::build(&self.scenario).map_err(|e| self.locate(text, &e))
    }

    /// A [`ScenarioError`] as an [`InputError`]: the same path, and the line in `text` of that
    /// path (or of its longest prefix the document has: a missing field is reported where its
    /// parent is).
    #[must_use]
    pub fn locate(&self, text: &str, error: &ScenarioError) -> InputError {
        InputError::at(&core_path(&error.path), error.message.clone()).with_line_from(text)
    }
}

/// `config[0].resources[1].spec.host` as a [`Path`].
fn core_path(text: &str) -> Path {
    let mut segments = Vec::new();
    for part in text.split('.').filter(|p| !p.is_empty()) {
        let (name, mut rest) = part.find('[').map_or((part, ""), |i| part.split_at(i));
        if !name.is_empty() {
            segments.push(Segment::Key(name.to_owned()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let Some(end) = inner.find(']') else { break };
            let (index, tail) = inner.split_at(end);
            match index.parse() {
                Ok(i) => segments.push(Segment::Index(i)),
                Err(_) => segments.push(Segment::Key(format!("[{index}]"))),
            }
            rest = tail.get(1..).unwrap_or("");
        }
    }
    Path(segments)
}

/// The top-level keys that make a mapping a meshlb scenario.
pub(crate) const SCENARIO_KEYS: [&str; 2] = ["clusters", "workloads"];

/// Whether `text` looks like a meshlb scenario: a top-level mapping with `clusters` or
/// `workloads` (YAML or JSON).
#[must_use]
pub fn looks_like_scenario(text: &str) -> bool {
    tree::top_level_has(text, &SCENARIO_KEYS)
}

/// Parses a meshlb scenario (YAML or JSON).
///
/// # Errors
/// An [`InputError`] naming the path and line: malformed YAML, several documents, a duplicate
/// key, an unknown field (with a hint), a value of the wrong type or out of range (port 0,
/// weight 0, a locality of more than three parts, an unknown health or Istio version), an
/// unsupported Istio kind, input over [`crate::MAX_INPUT_BYTES`] or over [`MAX_WORKLOADS`] workloads.
/// References between parts (an unknown cluster, ...) are checked by [`ScenarioInput::plan`].
pub fn parse_scenario(text: &str) -> Result<ScenarioInput, InputError> {
    crate::check_size("the input", text.len() as u64)
        .map_err(|message| InputError::at(&Path::root(), message))?;
    let root = tree::load(text)?;
    parse_scenario_tree(text, &root)
}

/// [`parse_scenario`] of `text` already read into `root` (one document, as [`tree::load`]
/// reads it), so that a caller that read the text to tell what it is reads it once.
///
/// # Errors
/// As [`parse_scenario`], past reading the text.
pub(crate) fn parse_scenario_tree(
    text: &str,
    root: &tree::Node,
) -> Result<ScenarioInput, InputError> {
    let mut parser = Parser::new(text);
    let scenario = parser.scenario(root)?;
    Ok(ScenarioInput {
        scenario,
        notes: parser.finish_notes(),
    })
}

/// An error at `at`, on `line`.
fn fail(at: &At<'_>, line: usize, message: impl Into<String>) -> InputError {
    InputError {
        path: at.path(),
        line: Some(line),
        message: message.into(),
    }
}

/// Reads the tree into the model, collecting notes.
struct Parser<'t> {
    text: &'t str,
    /// Patterns (`config[].resources[].spec.trafficPolicy.connectionPool`) of fields accepted
    /// but not modelled.
    ignored: BTreeSet<String>,
    notes: Vec<Note>,
}
