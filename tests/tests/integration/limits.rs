//! Every limit of docs/limits.md, tested at the limit (accepted) and one past it (refused with
//! its message), on the cheapest input of that shape.
//!
//! The limits' values are written here by hand from docs/limits.md (and Envoy's protos where
//! Envoy has the limit), not read from the constants, so a changed constant fails until the
//! table and this file agree. Where a limit's input would be large (4M endpoints, 16M hash-table
//! entries), the shape is the cheapest one: empty addresses with duplicates allowed, one host
//! per priority.

use meshlb::limits::{
    MAX_CLUSTERS, MAX_HASH_TABLE_ENTRIES, MAX_LABEL_KEY_BYTES, MAX_LABEL_VALUE_BYTES, MAX_LABELS,
    MAX_LOCALITIES, hash_table_entries_bound,
};
use meshlb::mesh::{ClusterSpec, Scenario};
use meshlb::{
    Endpoint, LbConfig, LbPolicy, LoadAssignment, LocalityEndpoints, MAX_CHOICE_COUNT,
    MAX_ENDPOINTS, Plan, PlanError,
};
use meshlb_tests::{meshlb, temp_file};

#[test]
fn the_constants_are_the_documented_values() {
    assert_eq!(MAX_ENDPOINTS, 4_194_304);
    assert_eq!(MAX_LOCALITIES, 65_536);
    assert_eq!(MAX_HASH_TABLE_ENTRIES, 8_388_736);
    assert_eq!(MAX_CLUSTERS, 4_096);
    assert_eq!(MAX_LABELS, 256);
    assert_eq!(MAX_LABEL_KEY_BYTES, 317);
    assert_eq!(MAX_LABEL_VALUE_BYTES, 63);
    assert_eq!(MAX_CHOICE_COUNT, 1_000);
    // Envoy's: endpoint.proto `priority` lte 128; cluster.proto ring sizes lte 8388608;
    // maglev.proto table_size lte 5000011.
    assert_eq!(meshlb::MAX_PRIORITY, 128);
    assert_eq!(meshlb::MAX_RING_SIZE, 8_388_608);
    assert_eq!(meshlb::MAX_MAGLEV_TABLE_SIZE, 5_000_011);
    assert_eq!(meshlb_formats::MAX_INPUT_BYTES, 64 * 1024 * 1024);
    assert_eq!(meshlb_formats::MAX_NESTING_DEPTH, 128);
    assert_eq!(meshlb_formats::MAX_DOCUMENTS, 65_536);
    assert_eq!(meshlb_formats::MAX_WORKLOADS, 1_000_000);
}

fn group(priority: u32, endpoints: Vec<Endpoint>) -> LocalityEndpoints {
    LocalityEndpoints {
        priority,
        endpoints,
        ..Default::default()
    }
}

fn assignment(localities: Vec<LocalityEndpoints>) -> LoadAssignment {
    LoadAssignment {
        localities,
        ..Default::default()
    }
}

fn build(assignment: &LoadAssignment, config: &LbConfig) -> Result<Plan, PlanError> {
    Plan::build(assignment, config)
}

#[test]
fn endpoints_at_the_limit_and_one_past() {
    // Empty addresses allocate nothing; duplicates are allowed, so no address is needed.
    let mut many = assignment(vec![group(0, vec![Endpoint::new("", 80); 4_194_304])]);
    many.allow_duplicate_endpoints = true;
    let plan = build(&many, &LbConfig::default()).expect("4,194,304 endpoints are planned");
    assert_eq!(plan.hosts().len(), 4_194_304);
    drop(plan);
    many.localities[0].endpoints.push(Endpoint::new("", 80));
    let err = build(&many, &LbConfig::default()).expect_err("one more is refused");
    assert_eq!(
        err.to_string(),
        "4194305 endpoints is more than meshlb plans in one assignment (4194304)"
    );
}

#[test]
fn localities_at_the_limit_and_one_past() {
    let mut groups: Vec<LocalityEndpoints> = (0..65_536).map(|_| group(0, Vec::new())).collect();
    groups[0].endpoints.push(Endpoint::new("10.0.0.1", 80));
    let plan = build(&assignment(groups.clone()), &LbConfig::default())
        .expect("65,536 locality groups are planned");
    assert_eq!(plan.localities().len(), 65_536);
    groups.push(group(0, Vec::new()));
    let err = build(&assignment(groups), &LbConfig::default()).expect_err("one more is refused");
    assert_eq!(
        err.to_string(),
        "65537 locality groups is more than meshlb plans in one assignment (65536)"
    );
}

#[test]
fn priorities_at_envoys_limit_and_one_past() {
    // endpoint.proto: `priority` `lte: 128`, so 129 priorities (0..=128).
    let groups = |top: u32| -> Vec<_> {
        (0..=top)
            .map(|p| {
                group(
                    p,
                    vec![Endpoint::new(&format!("10.0.{}.{}", p / 256, p % 256), 80)],
                )
            })
            .collect()
    };
    let plan = build(&assignment(groups(128)), &LbConfig::default()).expect("priority 128");
    assert_eq!(plan.priorities().len(), 129);
    let err = build(&assignment(groups(129)), &LbConfig::default()).expect_err("priority 129");
    assert_eq!(
        err.to_string(),
        "priority 129 is above Envoy's maximum of 128"
    );
}

fn ring(min: u64, max: u64) -> LbConfig {
    let mut config = LbConfig {
        policy: LbPolicy::RingHash,
        ..LbConfig::default()
    };
    config.ring_hash.minimum_ring_size = min;
    config.ring_hash.maximum_ring_size = max;
    config
}

fn one_host_per_priority(priorities: u32) -> LoadAssignment {
    assignment(
        (0..priorities)
            .map(|p| group(p, vec![Endpoint::new(&format!("10.1.0.{p}"), 80)]))
            .collect(),
    )
}

#[test]
fn ring_size_at_envoys_limit_and_one_past() {
    // cluster.proto: `maximum_ring_size` `lte: 8388608`.
    let one = one_host_per_priority(1);
    build(&one, &ring(1024, 8_388_608)).expect("maximum_ring_size 8388608");
    let err = build(&one, &ring(1024, 8_388_609)).expect_err("8388609");
    assert_eq!(
        err.to_string(),
        "maximum_ring_size 8388609 is out of range: it must be between 1 and 8388608"
    );
}

#[test]
fn maglev_table_at_envoys_limit_and_one_past() {
    // maglev.proto: `table_size` `lte: 5000011`; 5000011 is prime.
    let one = one_host_per_priority(1);
    let mut config = LbConfig {
        policy: LbPolicy::Maglev,
        ..LbConfig::default()
    };
    config.maglev.table_size = 5_000_011;
    let plan = build(&one, &config).expect("table_size 5000011");
    assert_eq!(plan.table(0).map(|t| t.len()), Some(5_000_011));
    config.maglev.table_size = 5_000_012;
    let err = build(&one, &config).expect_err("5000012");
    assert_eq!(
        err.to_string(),
        "maglev table_size 5000012 must be a prime number no larger than 5000011"
    );
}

#[test]
fn hash_tables_of_all_priorities_at_the_limit_and_one_past() {
    let maglev = |table_size| {
        let mut config = LbConfig {
            policy: LbPolicy::Maglev,
            ..LbConfig::default()
        };
        config.maglev.table_size = table_size;
        config
    };
    // The limit: 128 priorities at Envoy's default Maglev table, 128 × 65,537 = 8,388,736
    // entries, built; a 129th priority is refused before anything is built.
    let at = one_host_per_priority(128);
    assert_eq!(hash_table_entries_bound(&at, &maglev(65_537)), 8_388_736);
    let plan = build(&at, &maglev(65_537)).expect("128 Maglev tables");
    let built: usize = (0..128)
        .filter_map(|p| plan.table(p))
        .map(|t| t.len())
        .sum();
    assert_eq!(built, 8_388_736);
    drop(plan);
    let err = build(&one_host_per_priority(129), &maglev(65_537)).expect_err("129 tables");
    assert_eq!(
        err.to_string(),
        "the hash tables of this assignment could hold 8454273 entries over all priorities, more than meshlb builds for one plan (8388736): lower minimum_ring_size, maximum_ring_size or the Maglev table_size, or use fewer priorities"
    );
    // Rings: one host per priority, minimum = maximum ring size, so each ring has exactly the
    // maximum (ring_hash_lb.cc: scale = min(ceil(1 × min) / 1, max)): two rings of 4,194,368
    // are the limit. With a larger maximum each ring is bounded by minimum + 1 / min_w + 1 =
    // minimum + 2, so two are 8,388,740, past it.
    let two = one_host_per_priority(2);
    let config = ring(4_194_368, 4_194_368);
    assert_eq!(hash_table_entries_bound(&two, &config), 8_388_736);
    let plan = build(&two, &config).expect("two rings of 4,194,368");
    let built: usize = (0..2).filter_map(|p| plan.table(p)).map(|t| t.len()).sum();
    assert_eq!(built, 8_388_736);
    drop(plan);
    assert!(matches!(
        build(&two, &ring(4_194_368, 8_388_608)),
        Err(PlanError::HashTablesTooLarge {
            entries: 8_388_740,
            max: 8_388_736
        })
    ));
    // One ring at Envoy's maximum fits, with several hosts too (their weights may sum to a
    // hair over 1: one entry more); the fuzz input that took minutes, 132 rings of 65,536
    // entries, does not (here 129 priorities of 65,536 + 2).
    let max = ring(8_388_608, 8_388_608);
    assert_eq!(
        hash_table_entries_bound(&one_host_per_priority(1), &max),
        8_388_608
    );
    let mut many = one_host_per_priority(1);
    many.localities[0]
        .endpoints
        .push(Endpoint::new("10.1.1.1", 80));
    assert_eq!(hash_table_entries_bound(&many, &max), 8_388_609);
    assert!(matches!(
        build(&one_host_per_priority(129), &ring(65_536, 8_388_608)),
        Err(PlanError::HashTablesTooLarge {
            entries: 8_454_402,
            max: 8_388_736
        })
    ));
    // Maglev at its maximum, 5,000,011: one priority fits, two do not.
    assert!(matches!(
        build(&one_host_per_priority(2), &maglev(5_000_011)),
        Err(PlanError::HashTablesTooLarge {
            entries: 10_000_022,
            max: 8_388_736
        })
    ));
}

#[test]
fn the_hash_table_bound_holds_for_weighted_hosts_in_any_health() {
    // The bound is an upper bound on what is built: weights 1..=7 in two localities (locality
    // weights 1 and 2), the even weights unhealthy, minimum ring 1000. The ring is built from
    // the healthy hosts, 1, 3, 5, 7 in each locality (ring_hash_lb.cc):
    // - without locality weighting, min_w = 1 / 32, scale = ceil(1000 / 32) × 32 = 1024;
    // - with it, min_w = 1/3 × 1/16 = 1/48, scale = ceil(1000 / 48) × 48 = 21 × 48 = 1008.
    // The bounds, from every host: 1000 + 56 / 1 + 1 = 1057, and 1000 + (3 / 1) × (28 / 1) + 1
    // = 1085.
    for (locality_weighted, expected, bound) in [(false, 1024, 1057), (true, 1008, 1085)] {
        let mut config = ring(1000, 8_388_608);
        config.locality_weighted = locality_weighted;
        let mut groups = Vec::new();
        for l in 0..2_u32 {
            let endpoints = (1..=7_u32)
                .map(|w| {
                    let mut e = Endpoint::new(&format!("10.2.{l}.{w}"), 80);
                    e.weight = w;
                    if w % 2 == 0 {
                        e.health = meshlb::HealthStatus::Unhealthy;
                    }
                    e
                })
                .collect();
            let mut g = group(0, endpoints);
            g.weight = Some(l + 1);
            groups.push(g);
        }
        let a = assignment(groups);
        assert_eq!(hash_table_entries_bound(&a, &config), bound);
        let plan = build(&a, &config).expect("planned");
        let built = plan.table(0).map_or(0, |t| t.len()) as u64;
        assert_eq!(built, expected);
        assert!(built <= bound);
    }
}

#[test]
fn weight_sums_at_envoys_limit_and_one_past() {
    // endpoint_components.proto: the endpoint weights of a locality sum to at most
    // uint32 max (Envoy: thread_aware_lb_impl.cc, "The sum of weights of all upstream hosts in a
    // locality exceeds 4294967295").
    let weighted = |a: u32, b: u32| {
        let mut x = Endpoint::new("10.3.0.1", 80);
        x.weight = a;
        let mut y = Endpoint::new("10.3.0.2", 80);
        y.weight = b;
        assignment(vec![group(0, vec![x, y])])
    };
    build(&weighted(u32::MAX - 1, 1), &LbConfig::default()).expect("sum 4294967295");
    let err = build(&weighted(u32::MAX, 1), &LbConfig::default()).expect_err("one more");
    assert_eq!(
        err.to_string(),
        "the endpoint weights of this locality sum past 4294967295 (u32), which Envoy rejects"
    );
    // Locality weights within a priority, the same bound.
    let localities = |a: u32, b: u32| {
        let mut x = group(0, vec![Endpoint::new("10.3.1.1", 80)]);
        x.weight = Some(a);
        let mut y = group(0, vec![Endpoint::new("10.3.1.2", 80)]);
        y.weight = Some(b);
        assignment(vec![x, y])
    };
    build(&localities(u32::MAX - 1, 1), &LbConfig::default()).expect("sum 4294967295");
    let err = build(&localities(u32::MAX, 1), &LbConfig::default()).expect_err("one more");
    assert_eq!(
        err.to_string(),
        "the locality weights of priority 0 sum past 4294967295 (u32), which Envoy rejects"
    );
}

#[test]
fn choice_count_at_the_limit_and_one_past() {
    let one = one_host_per_priority(1);
    let mut config = LbConfig {
        policy: LbPolicy::LeastRequest,
        ..LbConfig::default()
    };
    config.least_request.choice_count = 1000;
    build(&one, &config).expect("choice_count 1000");
    config.least_request.choice_count = 1001;
    let err = build(&one, &config).expect_err("1001");
    assert_eq!(
        err.to_string(),
        "least request choice_count 1001 must be between 2 and 1000"
    );
}

/// A valid scenario of one cluster, one service and one workload, from the text meshlb reads.
fn small_scenario() -> Scenario {
    let text = "clusters: [{name: c0}]\n\
                services: [{name: s, namespace: ns, clusters: [c0], ports: [80]}]\n\
                workloads: [{service: s.ns, cluster: c0, address: 10.0.0.1, port: 80}]\n\
                client: {cluster: c0, namespace: ns}\n\
                request: {host: s.ns, port: 80}\n";
    let input = meshlb_formats::parse_scenario(text).expect("small scenario");
    input.scenario.validate().expect("valid");
    input.scenario
}

#[test]
fn clusters_at_the_limit_and_one_past() {
    let mut s = small_scenario();
    for i in 1..4096 {
        s.clusters.push(ClusterSpec {
            name: format!("c{i}"),
            ..ClusterSpec::default()
        });
    }
    s.validate().expect("4,096 clusters");
    s.clusters.push(ClusterSpec {
        name: "c4096".into(),
        ..ClusterSpec::default()
    });
    let err = s.validate().expect_err("4,097 clusters");
    assert_eq!(
        err.to_string(),
        "clusters: 4097 clusters: meshlb reads at most 4096 in one scenario"
    );
}

#[test]
fn labels_at_the_limit_and_one_past() {
    let mut s = small_scenario();
    for i in 0..256 {
        s.workloads[0].labels.insert(format!("k{i}"), "v".into());
    }
    s.validate().expect("256 labels");
    s.workloads[0].labels.insert("k256".into(), "v".into());
    assert_eq!(
        s.validate().expect_err("257 labels").to_string(),
        "workloads[0].labels: 257 labels: meshlb reads at most 256 in one label set"
    );

    // Key: a 253-byte prefix, '/', a 63-byte name.
    let mut s = small_scenario();
    let key = format!("{}/{}", "p".repeat(253), "n".repeat(63));
    s.client.labels.insert(key.clone(), "v".into());
    s.validate().expect("a 317-byte key");
    s.client.labels.insert(format!("{key}x"), "v".into());
    assert_eq!(
        s.validate().expect_err("a 318-byte key").to_string(),
        "client.labels: label key of 318 bytes: Kubernetes allows at most 317 (a 253-byte prefix, '/', a 63-byte name)"
    );

    let mut s = small_scenario();
    s.workloads[0].labels.insert("app".into(), "v".repeat(63));
    s.validate().expect("a 63-byte value");
    s.workloads[0].labels.insert("app".into(), "v".repeat(64));
    assert_eq!(
        s.validate().expect_err("a 64-byte value").to_string(),
        "workloads[0].labels: label \"app\": a value of 64 bytes; Kubernetes allows at most 63"
    );
}

#[test]
fn a_label_limit_error_names_file_path_and_line() {
    let text = format!(
        "clusters: [{{name: c0}}]\n\
         services: [{{name: s, namespace: ns, clusters: [c0], ports: [80]}}]\n\
         workloads:\n\
         \x20 - {{service: s.ns, cluster: c0, address: 10.0.0.1, port: 80, labels: {{app: {}}}}}\n\
         client: {{cluster: c0, namespace: ns}}\n\
         request: {{host: s.ns, port: 80}}\n",
        "v".repeat(64)
    );
    let path = temp_file("long-label.yaml", text.as_bytes());
    let run = meshlb(&["explain", path.to_str().expect("utf-8 path")]);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(run.stderr.contains("long-label.yaml"), "{}", run.stderr);
    assert!(run.stderr.contains("workloads[0].labels"), "{}", run.stderr);
    assert!(run.stderr.contains("line 4"), "{}", run.stderr);
    assert!(
        run.stderr
            .contains("a value of 64 bytes; Kubernetes allows at most 63"),
        "{}",
        run.stderr
    );
}

#[test]
fn input_size_at_the_limit_and_one_past() {
    let max = 64 * 1024 * 1024;
    assert_eq!(meshlb_formats::check_size("in.yaml", max), Ok(()));
    assert_eq!(
        meshlb_formats::check_size("in.yaml", max + 1),
        Err("in.yaml: larger than 64 MiB; meshlb does not read inputs that large".into())
    );
}

#[test]
fn nesting_at_the_limit_and_one_past() {
    // JSON lists and objects: 128 levels are read, 129 are refused.
    for (open, inner, close) in [("[", "", "]"), ("{\"a\":", "1", "}")] {
        let nested = |n: usize| format!("{}{inner}{}", open.repeat(n), close.repeat(n));
        meshlb_formats::yaml_to_json(&nested(128)).expect("128 levels");
        let err = meshlb_formats::yaml_to_json(&nested(129)).expect_err("129 levels");
        assert!(
            err.to_string().contains("nested more than 128 levels deep"),
            "{err}"
        );
    }
    // YAML block style: 129 nested mappings.
    let block = |levels: usize| -> String {
        (0..levels)
            .map(|i| format!("{}k{i}:\n", "  ".repeat(i)))
            .collect::<String>()
            + &"  ".repeat(levels)
            + "1\n"
    };
    let at = block(128);
    meshlb_formats::yaml_to_json(&at).expect("128 levels");
    let err = meshlb_formats::yaml_to_json(&block(129)).expect_err("129 levels");
    assert!(
        err.to_string().contains("nested more than 128 levels deep"),
        "{err}"
    );
}

#[test]
fn documents_at_the_limit_and_one_past() {
    // A kube dump of N documents, each an empty `---`, then one namespace object: at the limit
    // the import reads on; one past, it stops at the limit with the line of the document.
    let dump = |documents: usize| {
        let mut text = "---\n".repeat(documents - 1);
        text.push_str("---\napiVersion: v1\nkind: Namespace\nmetadata: {name: demo}\n");
        text
    };
    let import = |text: &str| {
        let path = temp_file("docs.yaml", text.as_bytes());
        let arg = format!("c1={}", path.to_str().expect("utf-8 path"));
        meshlb(&["import", "--kube", &arg])
    };
    let at = import(&dump(65_536));
    assert!(!at.stderr.contains("YAML documents"), "{}", at.stderr);
    let past = import(&dump(65_537));
    assert_eq!(past.status, 2, "{}", past.stderr);
    assert!(
        past.stderr
            .contains("more than 65536 YAML documents (`---`) in one input"),
        "{}",
        past.stderr
    );
    assert!(past.stderr.contains("line 65537"), "{}", past.stderr);
}

#[test]
fn workloads_at_the_limit_and_one_past() {
    // The count is checked before any workload is read: at the limit the first (empty)
    // workload is the error, one past the count is.
    let text = |n: usize| {
        let mut t = String::from("{\"clusters\": [{\"name\": \"c\"}], \"workloads\": [");
        t.push_str(&vec!["{}"; n].join(","));
        t.push_str("]}");
        t
    };
    let at = meshlb_formats::parse_scenario(&text(1_000_000)).expect_err("empty workload");
    assert!(at.to_string().contains("workloads[0]"), "{at}");
    let past = meshlb_formats::parse_scenario(&text(1_000_001)).expect_err("too many");
    assert!(
        past.to_string()
            .contains("1000001 workloads: meshlb reads at most 1000000 in one scenario"),
        "{past}"
    );
}

/// A scenario whose VirtualService routes to `subsets` subsets of one workload each, under a
/// DestinationRule with Maglev tables of 4,194,301 entries (2^22 - 3, a prime).
fn maglev_routes(subsets: usize) -> String {
    let mut text = String::from(
        "clusters: [{name: c0}]\nservices: [{name: s, namespace: ns, clusters: [c0], ports: [80]}]\nworkloads:\n",
    );
    for i in 0..subsets {
        text.push_str(&format!(
            "  - {{service: s.ns, cluster: c0, address: 10.0.0.{i}, port: 80, labels: {{v: s{i}}}}}\n"
        ));
    }
    text.push_str(
        "client: {cluster: c0, namespace: ns}\nrequest: {host: s.ns, port: 80}\nconfig:\n  - cluster: c0\n    resources:\n",
    );
    text.push_str("      - apiVersion: networking.istio.io/v1\n        kind: DestinationRule\n        metadata: {name: s, namespace: ns}\n        spec:\n          host: s.ns.svc.cluster.local\n          trafficPolicy: {loadBalancer: {consistentHash: {httpHeaderName: x-user, maglev: {tableSize: 4194301}}}}\n          subsets:\n");
    for i in 0..subsets {
        text.push_str(&format!(
            "            - {{name: s{i}, labels: {{v: s{i}}}}}\n"
        ));
    }
    text.push_str("      - apiVersion: networking.istio.io/v1\n        kind: VirtualService\n        metadata: {name: s, namespace: ns}\n        spec:\n          hosts: [s.ns.svc.cluster.local]\n          http:\n            - route:\n");
    let weights: Vec<usize> = (0..subsets)
        .map(|i| 100 / subsets + usize::from(i < 100 % subsets))
        .collect();
    for (i, w) in weights.iter().enumerate() {
        text.push_str(&format!(
            "                - {{destination: {{host: s.ns.svc.cluster.local, subset: s{i}}}, weight: {w}}}\n"
        ));
    }
    text
}

#[test]
fn hash_tables_of_all_route_destinations_at_the_limit_and_one_past() {
    // Each subset is its own Envoy cluster and plan, alive together for one request: two
    // Maglev tables of 4,194,301 (8,388,602 entries) are within the limit, three are not.
    let two = meshlb_formats::parse_scenario(&maglev_routes(2)).expect("two subsets");
    let plan = meshlb::mesh::MeshPlan::build(&two.scenario).expect("two Maglev tables");
    assert_eq!(plan.explain().routes.map(|r| r.len()), Some(2));
    drop(plan);
    let three = meshlb_formats::parse_scenario(&maglev_routes(3)).expect("three subsets");
    let err = meshlb::mesh::MeshPlan::build(&three.scenario).expect_err("three Maglev tables");
    assert_eq!(
        err.to_string(),
        "config: the hash tables of the route's destinations could hold 12582903 entries, more than meshlb builds for one request (8388736): lower the DestinationRule's ringHash.minimumRingSize or maglev.tableSize, or route to fewer subsets"
    );
}

/// A random ring-hash assignment: per priority, localities of (locality weight, endpoints'
/// (weight, healthy)).
type Shape = Vec<Vec<(Option<u32>, Vec<(u32, bool)>)>>;

fn shape_assignment(shape: &Shape) -> LoadAssignment {
    let mut localities = Vec::new();
    for (p, groups) in shape.iter().enumerate() {
        for (g, (weight, endpoints)) in groups.iter().enumerate() {
            let endpoints = endpoints
                .iter()
                .enumerate()
                .map(|(e, &(w, healthy))| {
                    let mut ep = Endpoint::new(&format!("10.{p}.{g}.{e}"), 80);
                    ep.weight = w;
                    if !healthy {
                        ep.health = meshlb::HealthStatus::Unhealthy;
                    }
                    ep
                })
                .collect();
            let mut group = group(p as u32, endpoints);
            group.weight = *weight;
            localities.push(group);
        }
    }
    assignment(localities)
}

mod bound {
    use proptest::prelude::*;
    use proptest::test_runner::{RngAlgorithm, RngSeed};

    use super::*;

    fn shape() -> impl Strategy<Value = Shape> {
        let endpoint = (1_u32..=100, any::<bool>());
        let group = (
            prop_oneof![Just(None), (1_u32..=10).prop_map(Some)],
            prop::collection::vec(endpoint, 0..5),
        );
        prop::collection::vec(prop::collection::vec(group, 1..4), 1..4)
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 200,
            failure_persistence: None,
            rng_algorithm: RngAlgorithm::ChaCha,
            rng_seed: RngSeed::Fixed(23),
            ..ProptestConfig::default()
        })]

        /// The bound holds over whatever the health: the tables as built, then after every
        /// host turns healthy (the largest set the tables are built from), then unhealthy
        /// (panic: every host).
        #[test]
        fn the_bound_is_an_upper_bound(
            shape in shape(),
            minimum in 1_u64..5000,
            extra in 0_u64..20_000,
            locality_weighted in any::<bool>(),
        ) {
            let a = shape_assignment(&shape);
            let mut config = ring(minimum, minimum + extra);
            config.locality_weighted = locality_weighted;
            let bound = hash_table_entries_bound(&a, &config);
            let mut plan = build(&a, &config).expect("planned");
            let total = |plan: &Plan| -> u64 {
                (0..plan.priorities().len())
                    .filter_map(|p| plan.table(p))
                    .map(|t| t.len() as u64)
                    .sum()
            };
            prop_assert!(total(&plan) <= bound, "built {} > bound {bound}", total(&plan));
            for health in [meshlb::HealthStatus::Healthy, meshlb::HealthStatus::Unhealthy] {
                for i in 0..plan.hosts().len() {
                    let id = plan.hosts().nth(i).expect("a host").endpoint();
                    let id = plan.find(&id.address, id.port).expect("known host");
                    plan.set_health(id, health);
                }
                prop_assert!(total(&plan) <= bound, "built {} > bound {bound}", total(&plan));
            }
        }
    }
}

// The test times itself (the core, which it calls, takes no clock).
#[allow(clippy::disallowed_methods)]
#[test]
fn the_hash_table_bound_is_linear_in_the_input_whatever_the_priorities() {
    // Priorities are checked after the limits: the bound must not walk 0..=u32::MAX nor every
    // priority for every group. 65,536 groups with as many priority values, and one at
    // u32::MAX, are refused at once for their priority.
    let config = ring(1024, 8_388_608);
    let started = std::time::Instant::now();
    let mut groups: Vec<LocalityEndpoints> = (0..65_535_u32)
        .map(|p| {
            group(
                p,
                vec![Endpoint::new(&format!("10.4.{}.{}", p / 256, p % 256), 80)],
            )
        })
        .collect();
    groups.push(group(u32::MAX, vec![Endpoint::new("10.5.0.1", 80)]));
    let err = build(&assignment(groups), &config).expect_err("priorities above 128");
    assert_eq!(
        err.to_string(),
        "priority 129 is above Envoy's maximum of 128"
    );
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
}
