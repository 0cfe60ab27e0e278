//! Documents as an editor holds them: read by meshlb's own reader into JSON text (mappings in
//! their written order), and the one edit that needs to know where a format keeps an endpoint:
//! its health. The playground applies its what-ifs to this JSON and hands it back to meshlb.

use meshlb::HealthStatus;

use crate::error::InputError;
use crate::path::Path;
use crate::tree::{self, Node, Value};

/// The document `text` (a scenario or Envoy input, YAML or JSON; a stream of documents is a
/// list) read by meshlb's reader, a scenario's unquoted `istioVersion` kept as written.
fn read(text: &str) -> Result<Node, InputError> {
    let mut node = tree::load_stream(text)?;
    if let Value::Map(entries) = &mut node.value {
        for (key, value) in entries.iter_mut() {
            if key == "istioVersion" && matches!(value.value, Value::Int(_) | Value::Float(_)) {
                value.value = Value::Str(tree::raw(text, value.span));
            }
        }
    }
    Ok(node)
}

/// A document (a scenario or Envoy input, YAML or JSON) as compact JSON text for an editor
/// that changes it and hands it back to meshlb as JSON: [`crate::yaml_to_json`], except that a
/// scenario's unquoted `istioVersion: 1.30` stays the text written (`"1.30"`), as meshlb reads
/// it, rather than the number 1.3 a JSON reader would make of it.
///
/// # Errors
/// As [`crate::yaml_to_json`]; several documents (a stream) are read as a list.
pub fn document_json(text: &str) -> Result<String, InputError> {
    Ok(read(text)?.to_json(text))
}

/// The document `text` with the health of the endpoint at `address:port` set to `health`, as
/// compact JSON text ([`document_json`]): in a scenario, each workload with that address and
/// port (and in `cluster`, when given) gets `health`; in Envoy input, each `lb_endpoints` entry
/// whose socket address it is gets `health_status` (`healthStatus` where the document spells
/// its fields so), wherever the document holds assignments (a Cluster's `load_assignment`, a
/// config dump, a list).
///
/// # Errors
/// Malformed input, as [`document_json`]; no endpoint at `address:port`.
pub fn document_with_health(
    text: &str,
    address: &str,
    port: u16,
    cluster: Option<&str>,
    health: HealthStatus,
) -> Result<String, InputError> {
    let mut root = read(text)?;
    let status = Node {
        line: 0,
        span: (0, 0),
        value: Value::Str(health.as_str().to_owned()),
    };
    let changed = if crate::looks_like_scenario(text) {
        set_workload_health(&mut root, address, port, cluster, &status)
    } else {
        set_envoy_health(&mut root, text, address, port, &status)
    };
    if changed == 0 {
        return Err(InputError::at(
            &Path::root(),
            format!(
                "no endpoint {address}:{port}{} in the document",
                cluster.map_or_else(String::new, |c| format!(" in cluster {c}"))
            ),
        ));
    }
    Ok(root.to_json(text))
}

/// Sets `key` of mapping `entries` to `value`, appending it when missing.
fn put(entries: &mut Vec<(String, Node)>, key: &str, value: &Node) {
    match entries.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value.clone(),
        None => entries.push((key.to_owned(), value.clone())),
    }
}

/// A port as written: an integer, or a string of one (proto3 JSON allows both).
fn port_of(node: &Node, text: &str) -> Option<u64> {
    match &node.value {
        Value::Int(i) => u64::try_from(*i).ok(),
        Value::Str(s) => s.parse().ok(),
        Value::Float(_) => tree::raw(text, node.span).parse().ok(),
        _ => None,
    }
}

/// A scenario's `workloads[]` at `address:port` (in `cluster`): their `health`.
fn set_workload_health(
    root: &mut Node,
    address: &str,
    port: u16,
    cluster: Option<&str>,
    status: &Node,
) -> usize {
    let Value::Map(entries) = &mut root.value else {
        return 0;
    };
    let Some((_, workloads)) = entries.iter_mut().find(|(k, _)| k == "workloads") else {
        return 0;
    };
    let Value::Seq(items) = &mut workloads.value else {
        return 0;
    };
    let mut changed = 0;
    for item in items.iter_mut() {
        let matches = item.get("address").and_then(Node::as_str) == Some(address)
            && matches!(item.get("port").map(|p| &p.value), Some(Value::Int(p)) if *p == i64::from(port))
            && cluster.is_none_or(|c| item.get("cluster").and_then(Node::as_str) == Some(c));
        if let (true, Value::Map(fields)) = (matches, &mut item.value) {
            put(fields, "health", status);
            changed += 1;
        }
    }
    changed
}

/// Envoy input: every `lb_endpoints` (`lbEndpoints`) entry at `address:port`, anywhere in the
/// document: its `health_status` (`healthStatus`).
fn set_envoy_health(node: &mut Node, text: &str, address: &str, port: u16, status: &Node) -> usize {
    let mut changed = 0;
    match &mut node.value {
        Value::Map(entries) => {
            for (key, value) in entries.iter_mut() {
                if key == "lb_endpoints" || key == "lbEndpoints" {
                    let camel = key == "lbEndpoints";
                    if let Value::Seq(items) = &mut value.value {
                        for lb in items.iter_mut() {
                            if is_socket(lb, text, address, port)
                                && let Value::Map(fields) = &mut lb.value
                            {
                                let spelled = if fields.iter().any(|(k, _)| k == "healthStatus")
                                    || (camel && !fields.iter().any(|(k, _)| k == "health_status"))
                                {
                                    "healthStatus"
                                } else {
                                    "health_status"
                                };
                                put(fields, spelled, status);
                                changed += 1;
                            }
                        }
                    }
                } else {
                    changed += set_envoy_health(value, text, address, port, status);
                }
            }
        }
        Value::Seq(items) => {
            for item in items.iter_mut() {
                changed += set_envoy_health(item, text, address, port, status);
            }
        }
        _ => {}
    }
    changed
}

/// Whether an `lb_endpoints` entry is at `address:port` (`endpoint.address.socket_address`).
fn is_socket(lb: &Node, text: &str, address: &str, port: u16) -> bool {
    let socket = lb
        .get("endpoint")
        .and_then(|e| e.get("address"))
        .and_then(|a| a.get("socket_address").or_else(|| a.get("socketAddress")));
    socket.is_some_and(|s| {
        s.get("address").and_then(Node::as_str) == Some(address)
            && s.get("port_value")
                .or_else(|| s.get("portValue"))
                .and_then(|p| port_of(p, text))
                == Some(u64::from(port))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_scenario_workload_gets_its_health() {
        // JSON, which the JSON-only build (the filter's) reads too; YAML goes the same way.
        let text = r#"{"istioVersion": 1.30, "workloads": [
            {"service": "a.b", "cluster": "c1", "address": "10.0.0.1", "port": 80},
            {"service": "a.b", "cluster": "c2", "address": "10.0.0.1", "port": 80, "health": "UNHEALTHY"}]}"#;
        let json =
            document_with_health(text, "10.0.0.1", 80, Some("c2"), HealthStatus::Degraded).unwrap();
        assert_eq!(
            json,
            r#"{"istioVersion":"1.30","workloads":[{"service":"a.b","cluster":"c1","address":"10.0.0.1","port":80},{"service":"a.b","cluster":"c2","address":"10.0.0.1","port":80,"health":"DEGRADED"}]}"#
        );
        let json = document_with_health(text, "10.0.0.1", 80, None, HealthStatus::Healthy).unwrap();
        assert_eq!(json.matches(r#""health":"HEALTHY""#).count(), 2);
        let e =
            document_with_health(text, "10.0.0.9", 80, None, HealthStatus::Healthy).unwrap_err();
        assert!(e.to_string().contains("no endpoint 10.0.0.9:80"), "{e}");
    }

    #[test]
    fn an_envoy_endpoint_gets_its_health_in_the_documents_spelling() {
        let snake = r#"{"name":"c","load_assignment":{"cluster_name":"c","endpoints":[{"lb_endpoints":[{"endpoint":{"address":{"socket_address":{"address":"10.0.0.1","port_value":80}}}}]}]}}"#;
        let json =
            document_with_health(snake, "10.0.0.1", 80, None, HealthStatus::Degraded).unwrap();
        assert!(json.contains(r#""health_status":"DEGRADED""#), "{json}");
        let camel = r#"{"clusterName":"c","endpoints":[{"lbEndpoints":[{"endpoint":{"address":{"socketAddress":{"address":"10.0.0.1","portValue":"80"}}},"healthStatus":"UNHEALTHY"}]}]}"#;
        let json =
            document_with_health(camel, "10.0.0.1", 80, None, HealthStatus::Healthy).unwrap();
        assert!(
            json.contains(r#""healthStatus":"HEALTHY""#) && !json.contains("UNHEALTHY"),
            "{json}"
        );
        assert!(document_with_health(camel, "10.0.0.1", 81, None, HealthStatus::Healthy).is_err());
    }
}
