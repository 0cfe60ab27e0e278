//! `Cluster.health_checks`: a cluster's active health checks (`envoy.config.core.v3.HealthCheck`,
//! `api/envoy/config/core/v3/health_check.proto`), read as written.
//!
//! They do not change what meshlb explains (an explanation takes each endpoint's health from
//! its `health_status`, the EDS view; the outcome of Envoy's own checks is not in the files),
//! so they stay quiet in the explanation; a proxy that runs the checks itself (`meshlb-proxy`)
//! takes their values from here.

use crate::envoy::resource::{Parser, string};
use crate::error::InputError;
use crate::path::Path;
use crate::tree::{Node, Value};

/// A cluster's first active health check, each value `None` where the input leaves it out
/// (Envoy requires `timeout`, `interval` and both thresholds; a caller supplies its own
/// defaults rather than this reader refusing the file).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HealthCheck {
    /// Where it is written: `file: path` (`c.json: clusters[0].health_checks[0]`).
    pub at: String,
    /// `interval`, milliseconds.
    pub interval_ms: Option<u64>,
    /// `timeout`, milliseconds.
    pub timeout_ms: Option<u64>,
    /// `unhealthy_threshold`.
    pub unhealthy_threshold: Option<u32>,
    /// `healthy_threshold`.
    pub healthy_threshold: Option<u32>,
    /// `no_traffic_interval`, milliseconds.
    pub no_traffic_interval_ms: Option<u64>,
    /// `unhealthy_interval`, milliseconds.
    pub unhealthy_interval_ms: Option<u64>,
    /// `unhealthy_edge_interval`, milliseconds.
    pub unhealthy_edge_interval_ms: Option<u64>,
    /// `healthy_edge_interval`, milliseconds.
    pub healthy_edge_interval_ms: Option<u64>,
    /// What it checks with.
    pub protocol: Protocol,
}

/// The health checker a [`HealthCheck`] names (its `health_checker` oneof).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Protocol {
    /// `http_health_check`.
    Http {
        /// `path`.
        path: Option<String>,
        /// `host`.
        host: Option<String>,
        /// `expected_statuses`, each `[start, end)`.
        expected_statuses: Option<Vec<(u16, u16)>>,
    },
    /// Another checker: `tcp_health_check`, `grpc_health_check` or `custom_health_check`.
    Other(&'static str),
    /// None given (Envoy refuses such a check).
    #[default]
    Missing,
}

const MODELLED: &[&str] = &[
    "timeout",
    "interval",
    "unhealthy_threshold",
    "healthy_threshold",
    "no_traffic_interval",
    "unhealthy_interval",
    "unhealthy_edge_interval",
    "healthy_edge_interval",
    "http_health_check",
    "tcp_health_check",
    "grpc_health_check",
    "custom_health_check",
];

const IGNORED: &[&str] = &[
    "initial_jitter",
    "interval_jitter",
    "interval_jitter_percent",
    "alt_port",
    "reuse_connection",
    "no_traffic_healthy_interval",
    "event_log_path",
    "event_logger",
    "event_service",
    "always_log_health_check_failures",
    "always_log_health_check_success",
    "tls_options",
    "transport_socket_match_criteria",
];

const HTTP_MODELLED: &[&str] = &["host", "path", "expected_statuses"];

const HTTP_IGNORED: &[&str] = &[
    "send",
    "receive",
    "response_buffer_size",
    "request_headers_to_add",
    "request_headers_to_remove",
    "retriable_statuses",
    "codec_client_type",
    "service_name_matcher",
    "method",
    // v2's names.
    "service_name",
    "use_http2",
];

/// Reads one `HealthCheck` at `path`; `at` is filled by the caller, which knows the file.
pub(crate) fn read(
    parser: &mut Parser,
    value: &Node,
    path: &Path,
) -> Result<HealthCheck, InputError> {
    let fields = parser.object(value, path, "HealthCheck", MODELLED, IGNORED)?;
    let duration = |name: &str| -> Result<Option<u64>, InputError> {
        fields
            .get(name)
            .map(|(v, p)| duration_ms(v, &p))
            .transpose()
    };
    let count = |name: &str| -> Result<Option<u32>, InputError> {
        fields
            .get(name)
            .map(|(v, p)| wrapped(v).uint(&p, u64::from(u32::MAX)).map(|n| n as u32))
            .transpose()
    };
    let mut protocol = Protocol::Missing;
    if let Some((http, http_path)) = fields.get("http_health_check") {
        let f = parser.object(
            http,
            &http_path,
            "HttpHealthCheck",
            HTTP_MODELLED,
            HTTP_IGNORED,
        )?;
        let text = |name: &str| f.get(name).map(|(v, p)| string(v, &p)).transpose();
        let expected_statuses = match f.get("expected_statuses") {
            None => None,
            Some((list, list_path)) => {
                let Value::Seq(items) = &list.value else {
                    return Err(InputError::at(
                        &list_path,
                        "expected a list of status ranges",
                    ));
                };
                let mut ranges = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    let item_path = list_path.index(i);
                    let r =
                        parser.object(item, &item_path, "Int64Range", &["start", "end"], &[])?;
                    let code = |name: &str| -> Result<u16, InputError> {
                        let (v, p) = r.require(name, "an HTTP status")?;
                        v.uint(&p, 600).map(|n| n as u16)
                    };
                    ranges.push((code("start")?, code("end")?));
                }
                Some(ranges)
            }
        };
        protocol = Protocol::Http {
            path: text("path")?,
            host: text("host")?,
            expected_statuses,
        };
    } else if let Some(other) = [
        "tcp_health_check",
        "grpc_health_check",
        "custom_health_check",
    ]
    .into_iter()
    .find(|name| fields.get(name).is_some())
    {
        protocol = Protocol::Other(other);
    }
    Ok(HealthCheck {
        at: String::new(),
        interval_ms: duration("interval")?,
        timeout_ms: duration("timeout")?,
        unhealthy_threshold: count("unhealthy_threshold")?,
        healthy_threshold: count("healthy_threshold")?,
        no_traffic_interval_ms: duration("no_traffic_interval")?,
        unhealthy_interval_ms: duration("unhealthy_interval")?,
        unhealthy_edge_interval_ms: duration("unhealthy_edge_interval")?,
        healthy_edge_interval_ms: duration("healthy_edge_interval")?,
        protocol,
    })
}

/// A wrapper type's value (`UInt32Value` as `{"value": 3}`, which some dumps write) or the
/// value itself, as proto3 JSON writes it.
fn wrapped(value: &Node) -> &Node {
    match &value.value {
        Value::Map(entries) if entries.len() == 1 && entries[0].0 == "value" => &entries[0].1,
        _ => value,
    }
}

/// A `google.protobuf.Duration` in milliseconds: proto3 JSON's `"5s"`, `"0.250s"`, or the
/// `{seconds, nanos}` object some dumps write. Up to a year: longer is a mistake.
fn duration_ms(value: &Node, path: &Path) -> Result<u64, InputError> {
    const MAX_MS: u64 = 365 * 24 * 3_600_000;
    let bad = || {
        InputError::at(
            path,
            "expected a duration such as \"5s\" or \"0.25s\" (at most a year)",
        )
    };
    let ms = match &value.value {
        Value::Str(s) => {
            let seconds = s.strip_suffix('s').ok_or_else(bad)?;
            let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
            let digits = |d: &str| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit());
            if !digits(whole) || !(fraction.is_empty() || digits(fraction)) || fraction.len() > 9 {
                return Err(bad());
            }
            let whole: u64 = whole.parse().map_err(|_| bad())?;
            // Milliseconds from the first three fraction digits, rounded by the fourth.
            let mut millis = 0_u64;
            for (i, b) in fraction.bytes().take(4).enumerate() {
                let digit = u64::from(b - b'0');
                match i {
                    0 => millis += digit * 100,
                    1 => millis += digit * 10,
                    2 => millis += digit,
                    _ => millis += u64::from(digit >= 5),
                }
            }
            whole.checked_mul(1000).and_then(|w| w.checked_add(millis))
        }
        Value::Map(_) => {
            let f = crate::object::read(
                value,
                &crate::object::Shape::proto("Duration", &["seconds", "nanos"], &[]),
                |_, _, _| {},
            )
            .map_err(|_| bad())?;
            let seconds = match f.get("seconds") {
                Some((key, v)) => v.uint(&path.key(key), MAX_MS / 1000)?,
                None => 0,
            };
            let nanos = match f.get("nanos") {
                Some((key, v)) => v.uint(&path.key(key), 999_999_999)?,
                None => 0,
            };
            Some(seconds * 1000 + nanos / 1_000_000)
        }
        _ => None,
    };
    ms.filter(|ms| *ms <= MAX_MS).ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_json;

    fn read_json(text: &str) -> Result<HealthCheck, InputError> {
        let node = parse_json(text).expect("json");
        read(&mut Parser::default(), &node, &Path::root())
    }

    #[test]
    fn reads_an_http_check_with_envoys_spellings() {
        let check = read_json(
            r#"{"timeout": "0.5s", "interval": "2s", "unhealthyThreshold": 3,
                "healthy_threshold": {"value": 1}, "unhealthy_interval": {"seconds": 4},
                "no_traffic_interval": "30s", "interval_jitter": "1s",
                "http_health_check": {"path": "/healthz", "host": "web",
                    "expected_statuses": [{"start": 200, "end": 300}], "codec_client_type": "HTTP2"}}"#,
        )
        .expect("valid");
        assert_eq!(
            check,
            HealthCheck {
                at: String::new(),
                interval_ms: Some(2_000),
                timeout_ms: Some(500),
                unhealthy_threshold: Some(3),
                healthy_threshold: Some(1),
                no_traffic_interval_ms: Some(30_000),
                unhealthy_interval_ms: Some(4_000),
                unhealthy_edge_interval_ms: None,
                healthy_edge_interval_ms: None,
                protocol: Protocol::Http {
                    path: Some("/healthz".into()),
                    host: Some("web".into()),
                    expected_statuses: Some(vec![(200, 300)]),
                },
            }
        );
    }

    #[test]
    fn a_loaded_cluster_carries_its_first_check_and_the_explanation_is_unchanged() {
        let cluster = |checks: &str| {
            format!(
                r#"{{"name": "web", "type": "STATIC", {checks}
                    "load_assignment": {{"cluster_name": "web", "endpoints": [{{"lb_endpoints": [
                        {{"endpoint": {{"address": {{"socket_address": {{"address": "10.0.0.1", "port_value": 80}}}}}}}}]}}]}}}}"#
            )
        };
        let with = cluster(
            r#""health_checks": [{"interval": "2s", "timeout": "1s", "unhealthy_threshold": 2,
                "healthy_threshold": 1, "http_health_check": {"path": "/ready"}},
                {"interval": "9s", "tcp_health_check": {}}],"#,
        );
        let options = crate::Options::default();
        let loaded = crate::load("c.json", &with, &options).expect("loads");
        let check = loaded.health_check.clone().expect("a check");
        assert_eq!(check.at, "c.json: health_checks[0]");
        assert_eq!(
            (check.interval_ms, check.timeout_ms),
            (Some(2_000), Some(1_000))
        );
        assert_eq!(
            check.protocol,
            Protocol::Http {
                path: Some("/ready".into()),
                host: None,
                expected_statuses: None
            }
        );
        // The checks change nothing meshlb explains: the same explanation but for the note
        // that names the fields accepted without effect, which names health_checks.
        let without = crate::load("c.json", &cluster(""), &options).expect("loads");
        assert!(without.health_check.is_none());
        let (a, b) = (loaded.explain(), without.explain());
        assert_eq!(a.endpoints, b.endpoints);
        assert!(
            a.notes.iter().any(|n| n.contains("health_checks")),
            "{:?}",
            a.notes
        );
        // A bad second check is still an error, with its path.
        let bad = cluster(r#""health_checks": [{"interval": "1s"}, {"interval": "soon"}],"#);
        let e = crate::load("c.json", &bad, &options).expect_err("bad duration");
        assert!(
            e.contains("health_checks[1].interval: expected a duration"),
            "{e}"
        );
    }

    #[test]
    fn durations_as_proto3_json_writes_them() {
        let at = Path::root();
        let d = |text: &str| duration_ms(&parse_json(text).expect("json"), &at);
        assert_eq!(d(r#""5s""#).ok(), Some(5_000));
        assert_eq!(d(r#""0.25s""#).ok(), Some(250));
        assert_eq!(d(r#""1.0005s""#).ok(), Some(1_001));
        assert_eq!(d(r#""0.000000001s""#).ok(), Some(0));
        assert_eq!(
            d(r#"{"seconds": "2", "nanos": 500000000}"#).ok(),
            Some(2_500)
        );
        for bad in [
            r#""5""#,
            r#""-1s""#,
            r#""1e3s""#,
            r#"".5s""#,
            "5",
            r#""99999999999s""#,
        ] {
            let e = d(bad).expect_err(bad);
            assert!(e.to_string().contains("expected a duration"), "{bad}: {e}");
        }
    }

    #[test]
    fn another_checker_is_named_and_bad_values_name_their_path() {
        let tcp = read_json(r#"{"interval": "1s", "tcp_health_check": {}}"#).expect("valid");
        assert_eq!(tcp.protocol, Protocol::Other("tcp_health_check"));
        let e = read_json(r#"{"interval": 5, "http_health_check": {}}"#).expect_err("number");
        assert!(
            e.to_string().starts_with("interval: expected a duration"),
            "{e}"
        );
        let e = read_json(r#"{"http_health_check": {"expected_statuses": [{"start": 200}]}}"#)
            .expect_err("no end");
        assert!(
            e.to_string()
                .starts_with("http_health_check.expected_statuses[0]: missing field `end`"),
            "{e}"
        );
        let e = read_json(r#"{"intervall": "1s"}"#).expect_err("typo");
        assert!(e.to_string().contains("did you mean `interval`"), "{e}");
    }
}
