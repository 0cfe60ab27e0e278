//! The `meshlb` command line as users meet it: the JSON contract (validated against
//! schema/*.schema.json), text output, simulate agreeing with explain, exit statuses, and clear
//! errors naming the place for bad input.

use meshlb_tests::{assert_valid, envoy_examples, meshlb, schema, temp_file, workspace_root};
use serde_json::Value;

/// Every load-balancing policy `--lb-policy` accepts.
const POLICIES: [&str; 5] = [
    "ROUND_ROBIN",
    "LEAST_REQUEST",
    "RANDOM",
    "RING_HASH",
    "MAGLEV",
];

/// The cluster to explain in an example holding several (the config dump).
fn cluster_args(file: &str) -> Vec<&'static str> {
    if file.ends_with("sidecar-config-dump.json") {
        vec![
            "--cluster",
            "outbound|9080||reviews.bookinfo.svc.cluster.local",
        ]
    } else {
        Vec::new()
    }
}

#[test]
fn a_config_dump_is_listed_until_a_cluster_is_chosen() {
    let file = workspace_root().join("examples/envoy/dumps/sidecar-config-dump.json");
    let file = file.to_str().expect("utf-8 path");
    let run = meshlb(&["explain", file, "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let rows: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_valid(&schema("clusters.schema.json"), &rows, file);
    let names: Vec<&str> = rows
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| r["name"].as_str().expect("name"))
        .collect();
    // The bootstrap's prometheus_stats is listed once (the ClustersConfigDump holds it).
    assert_eq!(
        names,
        [
            "prometheus_stats",
            "sds-grpc",
            "BlackHoleCluster",
            "PassthroughCluster",
            "outbound|9080||reviews.bookinfo.svc.cluster.local"
        ]
    );
    let reviews = &rows[4];
    assert_eq!(reviews["discovery_type"], "EDS");
    assert_eq!(reviews["lb_policy"], "LEAST_REQUEST");
    assert_eq!(
        (reviews["endpoints"].as_u64(), reviews["healthy"].as_u64()),
        (Some(5), Some(4))
    );
    assert!(
        rows[3]["unexplained"]
            .as_str()
            .is_some_and(|w| w.contains("ORIGINAL_DST"))
    );
    // The joined cluster: P0 1 of 2 healthy -> health 70, load 70 %; P1 takes 30 % over two
    // hosts (locality-weighted, one locality per priority): 15 % each; P2 gets nothing.
    let mut args = vec!["explain", file, "--format", "json"];
    args.extend(cluster_args(file));
    let run = meshlb(&args);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let value: Value = serde_json::from_str(&run.stdout).expect("JSON");
    let shares: Vec<f64> = value["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| e["share"].as_f64().expect("share"))
        .collect();
    assert_eq!(shares, [0.7, 0.0, 0.15, 0.15, 0.0]);
    assert_eq!(
        value["panic_threshold"], 0,
        "healthy_panic_threshold {{}} is 0"
    );
    let miss = meshlb(&["explain", file, "--cluster", "outbound|9080||reviews"]);
    assert_eq!(miss.status, 2);
    assert!(
        miss.stderr
            .contains("\"outbound|9080||reviews.bookinfo.svc.cluster.local\""),
        "{}",
        miss.stderr
    );
    let pick = meshlb(&["pick", file, "-n", "1"]);
    assert_eq!(pick.status, 2, "a listing is no plan to pick from");
    assert!(pick.stderr.contains("--cluster"), "{}", pick.stderr);
}

#[test]
fn examples_exist() {
    assert!(
        envoy_examples().len() >= 5,
        "examples/envoy lost its examples"
    );
}

#[test]
fn explain_json_matches_the_contract_for_every_example_and_policy() {
    let validator = schema("explain.schema.json");
    for example in envoy_examples() {
        let file = example.to_str().expect("utf-8 path");
        for policy in POLICIES {
            let mut args = vec!["explain", file, "--format", "json", "--lb-policy", policy];
            args.extend(cluster_args(file));
            let run = meshlb(&args);
            assert_eq!(run.status, 0, "{file} {policy}: {}", run.stderr);
            let value: Value = serde_json::from_str(&run.stdout).expect("JSON");
            assert_valid(&validator, &value, &format!("{file} {policy}"));
            assert_eq!(value["lb_policy"], policy);
            assert_eq!(value["status"], "routed", "{file} {policy}");
            // Envoy input: no client, host, cluster, network or subset.
            assert!(value["client"].is_null() && value["host"].is_null());
            let total: f64 = value["endpoints"]
                .as_array()
                .expect("endpoints")
                .iter()
                .map(|e| e["share"].as_f64().expect("share"))
                .sum();
            assert!(
                (total - 1.0).abs() < 1e-9,
                "{file} {policy}: shares sum to {total}"
            );
        }
    }
}

#[test]
fn simulate_agrees_with_explain_within_three_sigma_on_every_example() {
    let validator = schema("simulate.schema.json");
    for example in envoy_examples() {
        let file = example.to_str().expect("utf-8 path");
        for policy in POLICIES {
            let n = 50_000_u32;
            let requests = n.to_string();
            let mut args = vec![
                "simulate",
                file,
                "--requests",
                &requests,
                "--seed",
                "9",
                "--format",
                "json",
                "--lb-policy",
                policy,
            ];
            args.extend(cluster_args(file));
            let run = meshlb(&args);
            assert_eq!(run.status, 0, "{file}: {}", run.stderr);
            let value: Value = serde_json::from_str(&run.stdout).expect("JSON");
            assert_valid(&validator, &value, file);
            assert_eq!(value["requests"], n);
            assert_eq!(value["seed"], 9);
            for e in value["endpoints"].as_array().expect("endpoints") {
                let share = e["share"].as_f64().expect("share");
                let count = e["count"].as_f64().expect("count");
                let expected = share * f64::from(n);
                let sigma = (f64::from(n) * share * (1.0 - share)).sqrt();
                assert!(
                    (count - expected).abs() <= 3.0 * sigma + 1.0,
                    "{file} {policy}: {}:{} got {count} picks, explained {expected:.1} (3 sigma = {:.1})",
                    e["address"],
                    e["port"],
                    3.0 * sigma
                );
            }
        }
    }
}

#[test]
fn same_seed_same_simulation_different_seed_different_counts() {
    let example = workspace_root().join("examples/envoy/locality-weighted.json");
    let file = example.to_str().expect("utf-8 path");
    let a = meshlb(&[
        "simulate", file, "-n", "5000", "--seed", "3", "--format", "json",
    ]);
    let b = meshlb(&[
        "simulate", file, "-n", "5000", "--seed", "3", "--format", "json",
    ]);
    let c = meshlb(&[
        "simulate", file, "-n", "5000", "--seed", "4", "--format", "json",
    ]);
    assert_eq!(a.stdout, b.stdout);
    assert_ne!(a.stdout, c.stdout);
}

fn spillover() -> String {
    workspace_root()
        .join("examples/envoy/spillover-panic.json")
        .to_str()
        .expect("utf-8 path")
        .to_string()
}

#[test]
fn the_spill_over_and_panic_example_follows_envoys_integer_arithmetic() {
    let file = spillover();
    let run = meshlb(&["explain", &file, "--format", "json"]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let value: Value = serde_json::from_str(&run.stdout).expect("JSON");
    // P0: 1 of 10 healthy, 1 DRAINING (excluded by Envoy from the count: 9 hosts count) ->
    // health 140 * 1 / 9 = 15, in panic (1/9 = 11 % < 50 %); P1: 3 of 5 -> 84; normalized
    // total availability 99 -> loads 15 * 100 / 99 = 15 and 84 * 100 / 99 = 84, the
    // remainder 1 to P0: 16 and 84.
    let p = &value["priorities"];
    assert_eq!(
        (p[0]["health"].as_u64(), p[1]["health"].as_u64()),
        (Some(15), Some(84))
    );
    assert_eq!(
        (p[0]["healthy_load"].as_u64(), p[1]["healthy_load"].as_u64()),
        (Some(16), Some(84))
    );
    assert_eq!(
        (p[0]["panic"].as_bool(), p[1]["panic"].as_bool()),
        (Some(true), Some(false))
    );
    let shares: Vec<f64> = value["endpoints"]
        .as_array()
        .expect("endpoints")
        .iter()
        .map(|e| e["share"].as_f64().expect("share"))
        .collect();
    // In panic P0's 16 % goes to all ten hosts; P1's 84 % to its three healthy hosts.
    for s in &shares[..10] {
        assert!((s - 0.016).abs() < 1e-12, "{s}");
    }
    for s in &shares[10..13] {
        assert!((s - 0.84 / 3.0).abs() < 1e-12, "{s}");
    }
    assert_eq!(&shares[13..], &[0.0, 0.0]);
}

#[test]
fn text_output_groups_by_priority_and_locality_with_bars_and_notes() {
    let file = spillover();
    let run = meshlb(&["explain", &file]);
    assert_eq!(run.status, 0);
    let text = run.stdout;
    for needle in [
        "PRIORITIES",
        "ENDPOINTS",
        "NOTES",
        "P0 us-east/us-east-1a",
        "P1 us-west/us-west-2a",
        "PANIC",
        "28.00%",
        "█",
    ] {
        assert!(
            text.contains(needle),
            "text output lacks {needle:?}:\n{text}"
        );
    }
    let sim = meshlb(&["simulate", &file, "-n", "1000"]);
    assert_eq!(sim.status, 0);
    assert!(
        sim.stdout.contains("largest |observed - explained|"),
        "{}",
        sim.stdout
    );
}

#[test]
fn panic_threshold_flag_overrides_the_cluster() {
    // Threshold 0 disables panic: P0 keeps its 16 % for its single healthy host.
    let file = spillover();
    let run = meshlb(&[
        "explain",
        &file,
        "--format",
        "json",
        "--panic-threshold",
        "0",
    ]);
    assert_eq!(run.status, 0, "{}", run.stderr);
    let value: Value = serde_json::from_str(&run.stdout).expect("JSON");
    assert_eq!(value["priorities"][0]["panic"], false);
    assert_eq!(value["panic_threshold"], 0);
    assert!((value["endpoints"][0]["share"].as_f64().expect("share") - 0.16).abs() < 1e-12);
    assert_eq!(value["endpoints"][1]["share"], 0.0);
}

#[test]
fn help_shows_examples_and_usage_errors_exit_2() {
    let help = meshlb(&["--help"]);
    assert_eq!(help.status, 0);
    assert!(
        help.stdout.contains("Examples:") && help.stdout.contains("meshlb simulate"),
        "{}",
        help.stdout
    );
    for args in [
        &["explain", "--format", "yaml"][..],
        &["frobnicate"],
        &["simulate", "--requests", "-5"],
        &["explain", "--panic-threshold", "101"],
        &["explain", "--lb-policy", "WEIGHTED"],
    ] {
        let run = meshlb(args);
        assert_eq!(run.status, 2, "{args:?}");
        assert!(!run.stderr.is_empty(), "{args:?}");
        assert!(run.stdout.is_empty(), "{args:?}");
    }
}

const GOOD: &str = r#"{
  "cluster_name": "c",
  "endpoints": [
    {
      "locality": {"region": "r", "zone": "z"},
      "lb_endpoints": [
        {"endpoint": {"address": {"socket_address": {"address": "10.0.0.1", "port_value": 80}}}},
        {"endpoint": {"address": {"socket_address": {"address": "10.0.0.2", "port_value": 80}}}, "health_status": "HEALTHY"}
      ]
    }
  ]
}"#;

/// Each case: (what, input, text the error must contain: the path or the line).
fn bad_inputs() -> Vec<(&'static str, String, &'static str)> {
    let cluster = |extra: &str| format!(r#"{{"name": "c", {extra}, "load_assignment": {GOOD}}}"#);
    vec![
        ("empty file", String::new(), "empty"),
        ("not JSON", "hello".into(), "line 1"),
        ("truncated JSON", GOOD[..60].into(), "malformed JSON"),
        ("trailing garbage", format!("{GOOD} x"), "malformed JSON"),
        ("unknown health", GOOD.replace("\"HEALTHY\"", "\"HEALTHYY\""), "endpoints[0].lb_endpoints[1].health_status"),
        ("unknown field", GOOD.replace("\"health_status\"", "\"helth_status\""), "did you mean `health_status`"),
        ("weight 0", GOOD.replace("\"health_status\": \"HEALTHY\"", "\"load_balancing_weight\": 0"), "lb_endpoints[1].load_balancing_weight"),
        ("negative weight", GOOD.replace("\"health_status\": \"HEALTHY\"", "\"load_balancing_weight\": -3"), "load_balancing_weight"),
        ("port out of range", GOOD.replace("\"port_value\": 80}}}, \"health", "\"port_value\": 70000}}}, \"health"), "port_value"),
        ("port 0", GOOD.replace("\"port_value\": 80}}}, \"health", "\"port_value\": 0}}}, \"health"), "out of range"),
        ("duplicate endpoint", GOOD.replace("10.0.0.2", "10.0.0.1"), "duplicate endpoint 10.0.0.1:80"),
        ("duplicate key", GOOD.replace("\"region\": \"r\"", "\"region\": \"r\", \"region\": \"s\""), "duplicate key"),
        ("both spellings", GOOD.replace("\"cluster_name\": \"c\"", "\"cluster_name\": \"c\", \"clusterName\": \"c\""), "spelled twice"),
        ("empty cluster_name", GOOD.replace("\"cluster_name\": \"c\"", "\"cluster_name\": \"\""), "cluster_name"),
        ("priority above 128", GOOD.replace("\"locality\"", "\"priority\": 129, \"locality\""), "endpoints[0].priority"),
        ("two drop_overloads categories", GOOD.replace("\"cluster_name\": \"c\"", "\"cluster_name\": \"c\", \"policy\": {\"drop_overloads\": [{\"category\": \"a\"}, {\"category\": \"b\"}]}"), "policy.drop_overloads[1]: drop_overloads has 2 categories"),
        ("weights overflow u32", GOOD.replace("\"health_status\": \"HEALTHY\"", "\"load_balancing_weight\": 4294967295"), "4294967295"),
        ("address missing", GOOD.replace("\"address\": \"10.0.0.1\", ", ""), "missing field `address`"),
        ("pipe without path", GOOD.replace("{\"socket_address\": {\"address\": \"10.0.0.1\", \"port_value\": 80}}", "{\"pipe\": {}}"), "missing field `path`"),
        ("string for number", GOOD.replace("\"port_value\": 80}}}, \"health", "\"port_value\": \"eighty\"}}}, \"health"), "port_value"),
        ("overprovisioning 0", GOOD.replace("\"endpoints\"", "\"policy\": {\"overprovisioning_factor\": 0}, \"endpoints\""), "policy.overprovisioning_factor"),
        ("maglev table not prime", cluster(r#""lb_policy": "MAGLEV", "maglev_lb_config": {"table_size": 65536}"#), "maglev_lb_config.table_size"),
        ("maglev table too large", cluster(r#""lb_policy": "MAGLEV", "maglev_lb_config": {"table_size": 5000021}"#), "table_size"),
        ("ring sizes inverted", cluster(r#""lb_policy": "RING_HASH", "ring_hash_lb_config": {"minimum_ring_size": 4096, "maximum_ring_size": 1024}"#), "minimum_ring_size"),
        ("ring size too large", cluster(r#""lb_policy": "RING_HASH", "ring_hash_lb_config": {"maximum_ring_size": 8388609}"#), "maximum_ring_size"),
        ("choice count 1", cluster(r#""lb_policy": "LEAST_REQUEST", "least_request_lb_config": {"choice_count": 1}"#), "choice_count"),
        ("unsupported policy", cluster(r#""lb_policy": "CLUSTER_PROVIDED""#), "lb_policy"),
        ("panic threshold 150", cluster(r#""common_lb_config": {"healthy_panic_threshold": {"value": 150}}"#), "healthy_panic_threshold.value"),
        ("unknown cluster field", cluster(r#""lb_polcy": "MAGLEV""#), "did you mean `lb_policy`"),
        ("wrong @type", GOOD.replace("\"cluster_name\"", "\"@type\": \"type.googleapis.com/envoy.config.cluster.v3.Cluster\", \"cluster_name\""), "@type"),
        ("not Envoy", r#"{"hello": "world"}"#.into(), "not an Envoy"),
        ("deep nesting", format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)), "line 1"),
    ]
}

#[test]
fn bad_input_exits_2_with_a_message_naming_the_place() {
    let cases = bad_inputs();
    assert!(cases.len() >= 20);
    for (what, input, needle) in cases {
        let path = temp_file("bad.json", input.as_bytes());
        let run = meshlb(&["explain", path.to_str().expect("utf-8 path")]);
        assert_eq!(
            run.status, 2,
            "{what}: expected exit 2, got {} with {}",
            run.status, run.stdout
        );
        assert!(run.stdout.is_empty(), "{what}: printed {}", run.stdout);
        assert!(
            run.stderr.starts_with("meshlb: error: "),
            "{what}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains(needle),
            "{what}: message {:?} lacks {needle:?}",
            run.stderr
        );
        assert!(
            run.stderr.contains(path.to_str().expect("utf-8")),
            "{what}: message does not name the file"
        );
    }
}

#[test]
fn errors_carry_the_line_of_the_offending_value() {
    let input = GOOD.replace("\"HEALTHY\"", "\"SICK\"");
    let path = temp_file("line.json", input.as_bytes());
    let run = meshlb(&["explain", path.to_str().expect("utf-8 path")]);
    // The value is on line 8 of GOOD.
    assert!(run.stderr.contains("(line 8)"), "{}", run.stderr);
}

#[test]
fn non_utf8_and_missing_files_exit_2() {
    let path = temp_file("binary.json", &[0x7b, 0xff, 0xfe, 0x00]);
    let run = meshlb(&["explain", path.to_str().expect("utf-8 path")]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("not UTF-8"), "{}", run.stderr);
    let run = meshlb(&["simulate", "/nonexistent/meshlb.json"]);
    assert_eq!(run.status, 2);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() })]

        /// Whatever the bytes, the command line answers 0 or 2 and never panics.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let path = temp_file("fuzz.json", &bytes);
            let run = meshlb(&["explain", path.to_str().expect("utf-8 path")]);
            prop_assert!(run.status == 0 || run.status == 2);
        }

        /// Mutations of a valid document (a byte replaced, a slice cut) never panic either.
        #[test]
        fn mutated_documents_never_panic(at in 0..GOOD.len(), byte in any::<u8>(), cut in 0..40_usize) {
            let mut bytes = GOOD.as_bytes().to_vec();
            bytes[at] = byte;
            let end = (at + cut).min(bytes.len());
            bytes.drain(at..end);
            let path = temp_file("mutated.json", &bytes);
            let run = meshlb(&["explain", path.to_str().expect("utf-8 path"), "--format", "json"]);
            prop_assert!(run.status == 0 || run.status == 2, "{}", run.stderr);
            if run.status == 2 {
                prop_assert!(run.stderr.starts_with("meshlb: error: "));
            }
        }
    }
}
