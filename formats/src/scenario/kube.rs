//! The scenario's readers of Istio resources and MeshConfig, for the Kubernetes dump importer
//! (`crate::kube`): the same checks and messages as in a scenario, paths from the object.

use meshlb::Note;
use std::collections::BTreeSet;

use meshlb::mesh::{MeshConfig, Resource};

use super::Parser;
use crate::error::InputError;
use crate::path::At;
use crate::tree::Node;

/// What reading one Istio resource or one MeshConfig outside a scenario gave: the value, the
/// patterns of accepted but unmodelled fields, and other notes.
pub(crate) type Read<T> = (T, BTreeSet<String>, Vec<Note>);

/// Reads one Istio resource (a `kubectl` dump's object, at the document root or at
/// `items[item]` of a `List`) with the scenario's reader: Istio's API, the same checks and
/// messages, paths from the document root. `text` is the document the node was read from.
///
/// # Errors
/// As [`parse_scenario`](super::parse_scenario) for `config[].resources[]`.
pub(crate) fn istio_resource(
    text: &str,
    node: &Node,
    item: Option<usize>,
) -> Result<Read<Resource>, InputError> {
    let mut parser = Parser::new(text);
    let root = At::Root;
    let items = root.key("items");
    let at = match item {
        Some(i) => items.index(i),
        None => At::Root,
    };
    let resource = parser.resource(node, &at)?;
    let notes = std::mem::take(&mut parser.notes);
    Ok((resource, parser.ignored, notes))
}

/// Reads a MeshConfig (the `istio` ConfigMap's `data.mesh`, already loaded from its text) with
/// the scenario's `meshConfig` reader.
///
/// # Errors
/// As [`parse_scenario`](super::parse_scenario) for `clusters[].meshConfig`.
pub(crate) fn mesh_config(text: &str, node: &Node) -> Result<Read<MeshConfig>, InputError> {
    let mut parser = Parser::new(text);
    let config = parser.mesh_config(node, &At::Root)?;
    let notes = std::mem::take(&mut parser.notes);
    Ok((config, parser.ignored, notes))
}
