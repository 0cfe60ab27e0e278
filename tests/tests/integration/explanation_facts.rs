//! What the explanation says besides shares, which the playground draws instead of computing
//! it: the client's config cluster, the DestinationRule and VirtualService that applied (and
//! where the scenario holds them), the locality setting in force and its source, each
//! gateway's endpoints with their weights and shares, and the topology with defaults applied.

use std::collections::BTreeSet;

use meshlb::{EndpointKind, Explanation, LocalitySettingSource, Status};
use meshlb_formats::{Options, document_json, load};
use meshlb_tests::workspace_root;
use serde_json::Value;

fn examples() -> Vec<(String, String)> {
    let dir = workspace_root().join("examples");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&p).expect("readable"))
        })
        .collect();
    out.sort();
    out
}

fn explain(text: &str, fail: &[&str]) -> Explanation {
    let options = Options {
        fail: fail.iter().map(|f| (*f).to_string()).collect(),
        ..Options::default()
    };
    load("input", text, &options).expect("loads").explain()
}

/// The value at `config[I].resources[J]` in the document.
fn at<'a>(doc: &'a Value, path: &str) -> &'a Value {
    let mut node = doc;
    for part in path.split(['.', '[', ']']).filter(|p| !p.is_empty()) {
        node = match part.parse::<usize>() {
            Ok(i) => &node[i],
            Err(_) => &node[part],
        };
    }
    node
}

#[test]
fn the_rules_that_applied_are_where_the_explanation_says() {
    let mut seen = 0;
    for (name, text) in examples() {
        let e = explain(&text, &[]);
        let doc: Value = serde_json::from_str(&document_json(&text).unwrap()).unwrap();
        let client = e.client.as_ref().expect("a scenario has a client");
        for (kind, r) in [
            ("DestinationRule", &e.destination_rule),
            ("VirtualService", &e.virtual_service),
        ] {
            let Some(r) = r else { continue };
            seen += 1;
            let resource = at(&doc, &r.path);
            assert_eq!(resource["kind"], kind, "{name}: {}", r.path);
            assert_eq!(resource["metadata"]["name"], r.name.as_str(), "{name}");
            assert_eq!(
                r.cluster, client.config_cluster,
                "{name}: held by the config cluster"
            );
            let config_index: usize = r.path["config[".len()..]
                .split(']')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            assert_eq!(
                doc["config"][config_index]["cluster"],
                r.cluster.as_str(),
                "{name}"
            );
            assert!(
                e.notes
                    .iter()
                    .any(|n| n.contains(&format!("{}/{}", r.namespace, r.name))),
                "{name}: the notes name {kind} {}/{}",
                r.namespace,
                r.name
            );
        }
    }
    assert!(
        seen >= 8,
        "the examples use DestinationRules and VirtualServices ({seen})"
    );
}

#[test]
fn the_config_cluster_is_the_control_planes() {
    let text =
        std::fs::read_to_string(workspace_root().join("examples/external-control-plane.yaml"))
            .unwrap();
    let e = explain(&text, &[]);
    let client = e.client.unwrap();
    assert_eq!(client.control_plane, "external-istiod");
    assert_eq!(client.config_cluster, "cluster1");
    let topology = e.topology.unwrap();
    let cp = topology.control_planes.iter().find(|c| c.external).unwrap();
    assert_eq!(cp.config_cluster, "cluster1");
    assert_eq!(cp.watches.first().map(String::as_str), Some("cluster1"));
    for (name, text) in examples() {
        let e = explain(&text, &[]);
        let client = e.client.unwrap();
        let topology = e.topology.unwrap();
        let cp = topology
            .control_planes
            .iter()
            .find(|c| c.name == client.control_plane)
            .unwrap_or_else(|| panic!("{name}: the client's control plane is in the topology"));
        assert_eq!(cp.config_cluster, client.config_cluster, "{name}");
    }
}

#[test]
fn the_locality_setting_in_force_says_where_it_came_from() {
    let default = std::fs::read_to_string(workspace_root().join("examples/default.yaml")).unwrap();
    let e = explain(&default, &[]);
    let s = &e.locality_settings[0];
    assert_eq!(s.source, LocalitySettingSource::DestinationRule);
    assert_eq!(s.from, "DestinationRule bookinfo/reviews");
    assert!(s.enabled && s.outlier_detection);
    assert_eq!(
        s.failover
            .iter()
            .map(|f| (f.from.as_str(), f.to.as_str()))
            .collect::<Vec<_>>(),
        [("us-east", "us-west")]
    );
    for (name, text) in examples() {
        let e = explain(&text, &[]);
        if e.status == Status::Routed {
            let routes = e.routes.as_ref().map_or(1, Vec::len);
            assert_eq!(
                e.locality_settings.len(),
                routes,
                "{name}: one per destination"
            );
        }
        for s in &e.locality_settings {
            assert!(
                e.notes.iter().any(|n| n.contains(&s.from))
                    || s.source == LocalitySettingSource::Default,
                "{name}: the notes name the source {:?}",
                s.from
            );
        }
    }
}

#[test]
fn a_gateways_endpoints_carry_its_weight_and_its_share() {
    let mut gateways = 0;
    for (name, text) in examples() {
        for fail in [&[][..], &["zone=us-east/us-east-1a"][..]] {
            let Ok(loaded) = load(
                "input",
                &text,
                &Options {
                    fail: fail.iter().map(|f| (*f).to_string()).collect(),
                    ..Options::default()
                },
            ) else {
                continue;
            };
            let e = loaded.explain();
            for g in e
                .endpoints
                .iter()
                .filter(|g| g.kind == EndpointKind::Gateway)
            {
                gateways += 1;
                assert_eq!(g.behind.len(), g.behind_endpoints.len(), "{name}");
                let weight: u64 = g.behind_endpoints.iter().map(|b| b.weight).sum();
                assert_eq!(u64::from(g.weight), weight.max(1), "{name}: {}", g.address);
                let share: f64 = g.behind_endpoints.iter().map(|b| b.share).sum();
                assert!(
                    (share - g.share).abs() < 1e-12,
                    "{name}: {} {share} vs {}",
                    g.address,
                    g.share
                );
                for b in &g.behind_endpoints {
                    assert_eq!(
                        b.locality, g.locality,
                        "{name}: a gateway endpoint stands for its locality group"
                    );
                    assert_ne!(
                        b.network,
                        e.client.as_ref().unwrap().network,
                        "{name}: behind a gateway is another network"
                    );
                }
            }
        }
    }
    assert!(gateways >= 4, "the examples have gateways ({gateways})");
    // multi-network: three equal endpoints behind two gateways, 30% each.
    let text =
        std::fs::read_to_string(workspace_root().join("examples/multi-network.yaml")).unwrap();
    let e = explain(&text, &[]);
    for g in e
        .endpoints
        .iter()
        .filter(|g| g.kind == EndpointKind::Gateway)
    {
        assert!((g.share - 0.3).abs() < 1e-12);
        for b in &g.behind_endpoints {
            assert!((b.share - 0.1).abs() < 1e-12, "{}: {}", b.address, b.share);
        }
    }
}

#[test]
fn the_topology_has_the_defaults_applied_and_every_endpoint_drawn() {
    for (name, text) in examples() {
        let e = explain(&text, &[]);
        let t = e
            .topology
            .as_ref()
            .expect("a scenario's explanation has its topology");
        assert!(!t.meshes.is_empty(), "{name}");
        let clusters: BTreeSet<&str> = t.clusters.iter().map(|c| c.name.as_str()).collect();
        let workloads: BTreeSet<(&str, &str, u16)> = t
            .workloads
            .iter()
            .map(|w| (w.cluster.as_str(), w.address.as_str(), w.port))
            .collect();
        for c in &t.clusters {
            assert!(
                t.meshes.iter().any(|m| m.id == c.mesh),
                "{name}: {} has a mesh",
                c.name
            );
            assert!(
                t.networks.iter().any(|n| n.name == c.network),
                "{name}: {} has a network",
                c.name
            );
            assert_eq!(c.primary, c.control_plane == c.name, "{name}: {}", c.name);
        }
        for n in &t.networks {
            for g in &n.gateways {
                assert!(
                    g.port > 0 && clusters.contains(g.cluster.as_str()),
                    "{name}: {}",
                    g.address
                );
            }
        }
        for w in &t.workloads {
            assert!(
                w.weight >= 1 && clusters.contains(w.cluster.as_str()),
                "{name}: {}",
                w.address
            );
        }
        // Every workload endpoint sent, behind a gateway or dropped is one of the host's.
        for ep in e
            .endpoints
            .iter()
            .filter(|x| x.kind == EndpointKind::Workload)
        {
            let cluster = ep.cluster.as_deref().unwrap();
            if t.clusters.iter().any(|c| c.name == cluster) && !ep.address.is_empty() {
                let from_entry = !workloads.iter().any(|w| w.1 == ep.address);
                // ServiceEntry endpoints are Istio config, not workloads of the scenario.
                if !from_entry {
                    assert!(
                        workloads.contains(&(cluster, ep.address.as_str(), ep.port)),
                        "{name}: {}",
                        ep.address
                    );
                }
            }
        }
        for g in e
            .endpoints
            .iter()
            .filter(|x| x.kind == EndpointKind::Gateway)
        {
            for b in &g.behind_endpoints {
                assert!(
                    workloads.contains(&(b.cluster.as_str(), b.address.as_str(), b.port))
                        || b.address.is_empty(),
                    "{name}: {} behind {}",
                    b.address,
                    g.address
                );
            }
        }
    }
    // A failure shows in the topology: the failed network's gateways.
    let text =
        std::fs::read_to_string(workspace_root().join("examples/multi-network.yaml")).unwrap();
    let t = explain(&text, &["network=net2"]).topology.unwrap();
    let net2 = t.networks.iter().find(|n| n.name == "net2").unwrap();
    assert!(net2.gateways.iter().all(|g| g.failed));
    assert!(
        t.networks
            .iter()
            .filter(|n| n.name != "net2")
            .all(|n| n.gateways.iter().all(|g| !g.failed))
    );
}

#[test]
fn envoy_input_has_no_topology() {
    let text =
        std::fs::read_to_string(workspace_root().join("examples/envoy/spillover-panic.json"))
            .unwrap();
    let e = explain(&text, &[]);
    assert!(e.topology.is_none() && e.destination_rule.is_none() && e.locality_settings.is_empty());
    let json = serde_json::to_value(&e).unwrap();
    for key in [
        "topology",
        "destination_rule",
        "virtual_service",
        "locality_settings",
    ] {
        assert!(
            json.get(key).is_none(),
            "{key} is left out of Envoy input's JSON"
        );
    }
}
