//! The mesh stage: a whole scenario explained (validation, discovery, locality, one plan per
//! destination, the explanation).
//!
//! Dimensions: the built-in default scenario (3 clusters, 7 workloads, from its YAML text
//! through `meshlb_formats::load`, and from the parsed scenario), and a generated mesh of
//! 50 clusters on 5 networks with 20,000 workloads in 5 regions × 4 zones, locality failover
//! on (target: under 20 ms for the explanation); the mesh-wide report (`mesh/report`) on the
//! same generator scaled to 10 clusters, 2,000 workloads and 40 client locations, with reuse
//! and naive.

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion};
use meshlb::mesh::{
    ClientSpec, ClusterConfig, ClusterSpec, DestinationRule, Failover, GatewaySpec, IstioLbPolicy,
    LoadBalancerSettings, LocalityLbSetting, MeshPlan, Metadata, NetworkSpec, OutlierDetection,
    Report, RequestSpec, Resource, Scenario, ServiceSpec, TrafficPolicy, WorkloadSpec,
};
use meshlb::{HealthStatus, Locality};

const DEFAULT: &str = include_str!("../../examples/default.yaml");

/// 50 clusters (one primary watching the other 49), 5 networks with one east-west gateway
/// each, 400 workloads per cluster (20,000 in all) spread over 5 regions × 4 zones, every
/// tenth not ready; a DestinationRule with outlier detection and a region failover rule.
fn big_mesh() -> Scenario {
    mesh(50, 20_000, false)
}

/// The generator behind [`big_mesh`]: `n` clusters (`n` ≥ 5, a multiple of 5), `workloads`
/// spread evenly over them. With `spread`, a cluster's workloads run in all four zones of its
/// region (workload `i` in zone `(i / n) % 4`), so each cluster holds four client locations.
fn mesh(n: u32, workloads: u32, spread: bool) -> Scenario {
    let clusters: Vec<ClusterSpec> = (0..n)
        .map(|c| ClusterSpec {
            name: format!("c{c}"),
            network: format!("n{}", c % 5),
            control_plane: if c == 0 { String::new() } else { "c0".into() },
            remote_secrets: if c == 0 {
                (1..n).map(|o| format!("c{o}")).collect()
            } else {
                Vec::new()
            },
            ..ClusterSpec::default()
        })
        .collect();
    let networks = (0..5)
        .map(|n| NetworkSpec {
            name: format!("n{n}"),
            gateways: vec![GatewaySpec {
                address: format!("192.0.2.{n}"),
                port: 15443,
                cluster: format!("c{n}"),
                failed: false,
            }],
        })
        .collect();
    let workloads = (0..workloads)
        .map(|i| {
            let c = i % n;
            let zone = if spread { (i / n) % 4 } else { (c / 5) % 4 };
            WorkloadSpec {
                service: "api.shop".into(),
                cluster: format!("c{c}"),
                address: format!("10.{}.{}.{}", c, (i / n) / 250, (i / n) % 250),
                port: 8080,
                locality: Locality::new(&format!("region{}", c % 5), &format!("zone{zone}"), ""),
                health: if i % 10 == 9 {
                    HealthStatus::Unhealthy
                } else {
                    HealthStatus::Healthy
                },
                weight: 1,
                sidecar: true,
                ..WorkloadSpec::default()
            }
        })
        .collect();
    let rule = DestinationRule {
        metadata: Metadata {
            name: "api".into(),
            namespace: "shop".into(),
        },
        host: "api.shop.svc.cluster.local".into(),
        traffic_policy: Some(TrafficPolicy {
            load_balancer: Some(LoadBalancerSettings {
                policy: IstioLbPolicy::RoundRobin,
                locality_lb_setting: Some(LocalityLbSetting {
                    failover: vec![Failover {
                        from: "region0".into(),
                        to: "region1".into(),
                    }],
                    ..LocalityLbSetting::default()
                }),
            }),
            outlier_detection: Some(OutlierDetection::default()),
            ..TrafficPolicy::default()
        }),
        ..DestinationRule::default()
    };
    Scenario {
        clusters,
        networks,
        services: vec![ServiceSpec {
            name: "api".into(),
            namespace: "shop".into(),
            clusters: (0..n).map(|c| format!("c{c}")).collect(),
            ports: vec![8080],
            ..ServiceSpec::default()
        }],
        workloads,
        config: vec![ClusterConfig {
            cluster: "c0".into(),
            resources: vec![Resource::DestinationRule(rule)],
        }],
        client: ClientSpec {
            cluster: "c0".into(),
            namespace: "shop".into(),
            locality: Locality::new("region0", "zone0", ""),
            ..ClientSpec::default()
        },
        request: RequestSpec {
            host: "api.shop".into(),
            port: None,
            ..RequestSpec::default()
        },
        ..Scenario::default()
    }
}

/// Registers the `mesh` group.
pub(crate) fn register(c: &mut Criterion) {
    let mut group = c.benchmark_group("mesh/explain");
    let options = meshlb_formats::Options::default();
    group.bench_function("default/from-yaml", |b| {
        b.iter(|| {
            let loaded =
                meshlb_formats::load("default", black_box(DEFAULT), &options).map(|l| l.explain());
            black_box(loaded.map(|e| e.endpoints.len()))
        });
    });
    let default = meshlb_formats::parse_scenario(DEFAULT)
        .map(|s| s.scenario)
        .ok();
    let big = big_mesh();
    for (name, scenario) in [
        ("default", default),
        ("50-clusters-20k-workloads", Some(big)),
    ] {
        let Some(scenario) = scenario else { continue };
        group.bench_with_input(BenchmarkId::new("scenario", name), &scenario, |b, s| {
            b.iter(|| black_box(MeshPlan::build(s).map(|p| p.explain().endpoints.len())));
        });
    }
    group.finish();

    // The mesh-wide report: every client location (4 per cluster) x the one host x every
    // single zone, region, cluster, network and control-plane failure, with reuse and
    // re-explaining everything. The 50-cluster / 20,000-workload / 200-location sweep takes
    // minutes per run (README, "A mesh-wide report"), too long for criterion's samples: the
    // generator is scaled down (10 clusters, 40 locations) and the README extrapolates.
    let mut group = c.benchmark_group("mesh/report");
    group.sample_size(10);
    let name = "10-clusters-2k-workloads-40-locations";
    let scenario = mesh(10, 2_000, true);
    group.bench_with_input(BenchmarkId::new("reuse", name), &scenario, |b, s| {
        b.iter(|| black_box(Report::build(s).map(|r| r.explained)));
    });
    group.bench_with_input(BenchmarkId::new("naive", name), &scenario, |b, s| {
        b.iter(|| black_box(Report::build_naive(s).map(|r| r.explained)));
    });
    group.finish();
}
