//! istiod's debug output (`/debug/edsz`, `/debug/cdsz` and its test goldens) writes Envoy's
//! resources with Go's `encoding/json` rather than proto3 JSON: a map keyed by cluster name,
//! `oneof` fields as their Go wrapper types (`"address": {"Address": {"SocketAddress": {...}}}`,
//! `"PortSpecifier": {"PortValue": 7070}`), wrapper messages as objects
//! (`"load_balancing_weight": {"value": 1}`), enums as numbers and `null` for unset `oneof`s
//! (`"LbConfig": null`). [`normalize`] rewrites such a tree into proto3 JSON's shape, so the
//! same resource parser reads it.

use crate::tree::{Node, Value};

/// `UInt32Value` fields meshlb reads, which Go writes as `{"value": N}`.
const WRAPPED: &[&str] = &[
    "load_balancing_weight",
    "overprovisioning_factor",
    "minimum_ring_size",
    "maximum_ring_size",
    "table_size",
    "choice_count",
];

/// Whether a map keyed by cluster name holds Go-written resources: every value is an object
/// whose `cluster_name` or `name` is its key.
pub(super) fn is_go_map(node: &Node) -> bool {
    let Value::Map(entries) = &node.value else {
        return false;
    };
    !entries.is_empty()
        && entries.iter().all(|(key, value)| {
            ["cluster_name", "name"]
                .iter()
                .any(|k| value.get(k).and_then(Node::as_str) == Some(key.as_str()))
        })
}

/// `PortValue` → `port_value`.
fn snake(go: &str) -> String {
    let mut out = String::with_capacity(go.len() + 4);
    for (i, c) in go.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn starts_upper(s: &str) -> bool {
    s.chars().next().is_some_and(|c| c.is_ascii_uppercase())
}

/// The tree in proto3 JSON's shape (see the module's documentation).
pub(super) fn normalize(node: &Node) -> Node {
    let value = match &node.value {
        Value::Seq(items) => Value::Seq(items.iter().map(normalize).collect()),
        Value::Map(entries) => {
            let mut out: Vec<(String, Node)> = Vec::with_capacity(entries.len());
            for (key, value) in entries {
                if starts_upper(key) {
                    match &value.value {
                        // An unset `oneof`.
                        Value::Null => {}
                        // A `oneof` wrapper: its one member is the field that is set.
                        Value::Map(inner) if inner.len() == 1 && starts_upper(&inner[0].0) => {
                            out.push((snake(&inner[0].0), normalize(&inner[0].1)));
                        }
                        _ => out.push((snake(key), normalize(value))),
                    }
                } else if WRAPPED.contains(&key.as_str())
                    && let Value::Map(inner) = &value.value
                    && inner.len() == 1
                    && inner[0].0 == "value"
                {
                    out.push((key.clone(), inner[0].1.clone()));
                } else {
                    out.push((key.clone(), normalize(value)));
                }
            }
            Value::Map(out)
        }
        other => other.clone(),
    };
    Node {
        line: node.line,
        span: node.span,
        value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_names_become_proto_names() {
        assert_eq!(snake("PortValue"), "port_value");
        assert_eq!(snake("SocketAddress"), "socket_address");
        assert_eq!(snake("RingHashLbConfig"), "ring_hash_lb_config");
    }

    #[test]
    fn oneof_wrappers_and_value_wrappers_unfold() {
        let go = crate::tree::parse_json(
            r#"{"address": {"Address": {"SocketAddress": {"address": "10.0.0.1", "PortSpecifier": {"PortValue": 80}}}}, "load_balancing_weight": {"value": 3}, "LbConfig": null}"#,
        )
        .unwrap();
        let proto = crate::tree::parse_json(
            r#"{"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}, "load_balancing_weight": 3}"#,
        )
        .unwrap();
        assert_eq!(
            normalize(&go).to_json(""),
            proto.to_json(""),
            "Go's oneof and wrapper objects read as proto3 JSON"
        );
    }
}
