//! Envoy's reference vectors through the command line: each vector becomes Envoy JSON, goes
//! through `meshlb explain --format json`, and the priorities and shares it prints must equal
//! the vector's expected values (tests/vectors/, copied from Envoy's docs and unit tests).

use meshlb_tests::{explain_json, vector_path};
use serde_json::{Value, json};

fn load(name: &str) -> Value {
    let path = vector_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

fn endpoint(address: &str, health: &str) -> Value {
    json!({
        "endpoint": {"address": {"socket_address": {"address": address, "port_value": 8080}}},
        "health_status": health
    })
}

/// A `Cluster` whose priority `p` has `hosts` endpoints: `healthy` HEALTHY, `degraded`
/// DEGRADED, the rest UNHEALTHY.
fn cluster_for(vector: &Value) -> Value {
    let mut groups = Vec::new();
    for (p, priority) in vector["priorities"]
        .as_array()
        .expect("priorities")
        .iter()
        .enumerate()
    {
        let count = |k: &str| priority.get(k).and_then(Value::as_u64).unwrap_or(0);
        let (hosts, healthy, degraded) = (count("hosts"), count("healthy"), count("degraded"));
        let endpoints: Vec<Value> = (0..hosts)
            .map(|i| {
                let health = if i < healthy {
                    "HEALTHY"
                } else if i < healthy + degraded {
                    "DEGRADED"
                } else {
                    "UNHEALTHY"
                };
                endpoint(&format!("10.{p}.{}.{}", i / 250, i % 250), health)
            })
            .collect();
        groups.push(json!({"priority": p, "lb_endpoints": endpoints}));
    }
    let mut cluster = json!({
        "name": "vector",
        "lb_policy": "ROUND_ROBIN",
        "load_assignment": {"cluster_name": "vector", "endpoints": groups}
    });
    if let Some(of) = vector.get("overprovisioning_factor") {
        cluster["load_assignment"]["policy"] = json!({"overprovisioning_factor": of});
    }
    if let Some(threshold) = vector.get("panic_threshold") {
        cluster["common_lb_config"] = json!({"healthy_panic_threshold": {"value": threshold}});
    }
    cluster
}

fn explain(document: &Value, name: &str) -> Value {
    explain_json(name, document.to_string().as_bytes(), &[], name)
}

#[test]
fn priority_vectors_through_meshlb_explain() {
    let file = load("envoy-priority.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    assert!(vectors.len() > 30, "the vector file lost its vectors");
    for vector in vectors {
        let id = vector["id"].as_str().expect("id");
        let explanation = explain(&cluster_for(vector), id);
        let priorities = explanation["priorities"].as_array().expect("priorities");
        for field in [
            "health",
            "degraded",
            "healthy_load",
            "degraded_load",
            "panic",
        ] {
            let Some(expected) = vector["expect"].get(field) else {
                continue;
            };
            let got: Vec<&Value> = priorities.iter().map(|p| &p[field]).collect();
            let expected: Vec<&Value> = expected.as_array().expect("array").iter().collect();
            assert_eq!(got, expected, "vector {id}: {field}");
        }
        let total: f64 = explanation["endpoints"]
            .as_array()
            .expect("endpoints")
            .iter()
            .map(|e| e["share"].as_f64().unwrap_or(-1.0))
            .sum();
        assert!(
            (total - 1.0).abs() < 1e-9,
            "vector {id}: shares sum to {total}"
        );
    }
}

#[test]
fn locality_weight_vectors_through_meshlb_explain() {
    let file = load("envoy-locality-weight.json");
    let vectors = file["vectors"].as_array().expect("vectors");
    assert_eq!(vectors.len(), 6, "the doc table has six rows");
    for vector in vectors {
        let id = vector["id"].as_str().expect("id");
        let localities = vector["localities"].as_array().expect("localities");
        let groups: Vec<Value> = localities
            .iter()
            .enumerate()
            .map(|(l, loc)| {
                let hosts = loc["hosts"].as_u64().expect("hosts");
                let healthy = loc["healthy"].as_u64().expect("healthy");
                let endpoints: Vec<Value> = (0..hosts)
                    .map(|i| {
                        endpoint(
                            &format!("10.{l}.{}.{}", i / 250, i % 250),
                            if i < healthy { "HEALTHY" } else { "UNHEALTHY" },
                        )
                    })
                    .collect();
                json!({
                    "locality": {"region": "r", "zone": loc["name"]},
                    "load_balancing_weight": loc["weight"],
                    "lb_endpoints": endpoints
                })
            })
            .collect();
        let cluster = json!({
            "name": "vector",
            "common_lb_config": {"locality_weighted_lb_config": {}},
            "load_assignment": {"cluster_name": "vector", "endpoints": groups}
        });
        let explanation = explain(&cluster, id);
        let endpoints = explanation["endpoints"].as_array().expect("endpoints");
        for (loc, expected) in localities
            .iter()
            .zip(vector["expect_exact"].as_array().expect("expect_exact"))
        {
            let zone = format!("r/{}", loc["name"].as_str().expect("name"));
            let share: f64 = endpoints
                .iter()
                .filter(|e| e["locality"] == zone.as_str())
                .map(|e| e["share"].as_f64().expect("share"))
                .sum();
            let expected = expected.as_f64().expect("number");
            assert!(
                (share - expected).abs() < 1e-9,
                "vector {id}: locality {zone} has {share}, expected {expected}"
            );
        }
    }
}
