//! An Envoy cluster's own active health check (`Cluster.health_checks[0]`,
//! `envoy.config.core.v3.HealthCheck` with `http_health_check`), read from the input when it
//! has one: its values win over the proxy's flags, which fill what it leaves out.
//!
//! meshlb's input reader accepts `health_checks` without modelling it (it does not change the
//! explanation); the proxy reads the values it needs here, from the same files.

use serde_json::Value;

/// The values found (each `None` when the input leaves it out).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Found {
    /// Where it was read: `file: path`.
    pub at: String,
    /// `interval`, ms.
    pub interval_ms: Option<u64>,
    /// `timeout`, ms.
    pub timeout_ms: Option<u64>,
    /// `unhealthy_threshold`.
    pub unhealthy_threshold: Option<u32>,
    /// `healthy_threshold`.
    pub healthy_threshold: Option<u32>,
    /// `no_traffic_interval`, ms.
    pub no_traffic_interval_ms: Option<u64>,
    /// `unhealthy_interval`, ms.
    pub unhealthy_interval_ms: Option<u64>,
    /// `unhealthy_edge_interval`, ms.
    pub unhealthy_edge_interval_ms: Option<u64>,
    /// `healthy_edge_interval`, ms.
    pub healthy_edge_interval_ms: Option<u64>,
    /// `http_health_check.path`.
    pub path: Option<String>,
    /// `http_health_check.host`.
    pub host: Option<String>,
    /// `http_health_check.expected_statuses`, `[start, end)`.
    pub expected: Option<Vec<(u16, u16)>>,
}

/// The first `health_checks` entry of the cluster named `cluster` (or of the only cluster
/// that has one) in `files` (name, text).
///
/// # Errors
/// A value of the wrong type, with the file and path; a health check that is not an HTTP one.
pub fn find(files: &[(String, String)], cluster: Option<&str>) -> Result<Option<Found>, String> {
    let mut found = Vec::new();
    for (name, text) in files {
        let root: Value = match serde_json::from_str(text) {
            Ok(root) => root,
            Err(_) => match meshlb_formats::yaml_to_json(text)
                .ok()
                .and_then(|json| serde_json::from_str(&json).ok())
            {
                Some(root) => root,
                None => continue,
            },
        };
        walk(&root, "", &mut |path, object| {
            if let Some(checks) = object.get("health_checks").and_then(Value::as_array)
                && let Some(first) = checks.first()
            {
                let named = object.get("name").and_then(Value::as_str).unwrap_or("");
                found.push((
                    named.to_owned(),
                    format!("{name}: {path}.health_checks[0]"),
                    first.clone(),
                ));
            }
        });
    }
    let chosen = match cluster {
        Some(c) => found.into_iter().find(|(n, _, _)| n == c),
        None if found.len() == 1 => found.pop(),
        None => None,
    };
    let Some((_, at, check)) = chosen else {
        return Ok(None);
    };
    read(&check, at).map(Some)
}

fn walk(value: &Value, path: &str, visit: &mut dyn FnMut(&str, &serde_json::Map<String, Value>)) {
    match value {
        Value::Object(object) => {
            visit(if path.is_empty() { "(root)" } else { path }, object);
            for (key, child) in object {
                let sub = if path.is_empty() {
                    key.clone()
                } else {
                    format!("{path}.{key}")
                };
                walk(child, &sub, visit);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                walk(child, &format!("{path}[{i}]"), visit);
            }
        }
        _ => {}
    }
}

/// A protobuf JSON `Duration` (`"5s"`, `"0.25s"`) or `{seconds, nanos}`: milliseconds.
fn duration(value: &Value) -> Option<u64> {
    match value {
        Value::String(s) => {
            let seconds: f64 = s.strip_suffix('s')?.parse().ok()?;
            (seconds.is_finite() && seconds >= 0.0).then(|| (seconds * 1000.0).round() as u64)
        }
        Value::Object(o) => {
            let seconds = o.get("seconds").map_or(Some(0), number)?;
            let nanos = o.get("nanos").map_or(Some(0), number)?;
            Some(seconds * 1000 + nanos / 1_000_000)
        }
        _ => None,
    }
}

/// A number, or a string of one (protobuf JSON writes 64-bit integers as strings).
fn number(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.parse().ok(),
        Value::Object(o) => o.get("value").and_then(number),
        _ => None,
    }
}

fn read(check: &Value, at: String) -> Result<Found, String> {
    let field = |name: &str| check.get(name);
    let bad = |name: &str, what: &str| format!("{at}.{name}: expected {what}");
    let ms = |name: &str| -> Result<Option<u64>, String> {
        field(name)
            .map(|v| duration(v).ok_or_else(|| bad(name, "a duration such as \"5s\"")))
            .transpose()
    };
    let count = |name: &str| -> Result<Option<u32>, String> {
        field(name)
            .map(|v| {
                number(v)
                    .and_then(|n| u32::try_from(n).ok())
                    .ok_or_else(|| bad(name, "a count"))
            })
            .transpose()
    };
    let Some(http) = field("http_health_check") else {
        let kind = [
            "tcp_health_check",
            "grpc_health_check",
            "custom_health_check",
        ]
        .into_iter()
        .find(|k| field(k).is_some())
        .unwrap_or("a health check without http_health_check");
        return Err(format!(
            "{at}: {kind}: meshlb-proxy runs HTTP health checks only (give --no-health-checks, or the --hc-* flags with an HTTP check)"
        ));
    };
    let text = |name: &str| -> Result<Option<String>, String> {
        http.get(name)
            .map(|v| {
                v.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| bad(&format!("http_health_check.{name}"), "a string"))
            })
            .transpose()
    };
    let expected = match http.get("expected_statuses") {
        None => None,
        Some(ranges) => {
            let name = "http_health_check.expected_statuses";
            let ranges = ranges.as_array().ok_or_else(|| bad(name, "a list"))?;
            let mut out = Vec::new();
            for (i, range) in ranges.iter().enumerate() {
                let code = |k: &str| {
                    range
                        .get(k)
                        .and_then(number)
                        .and_then(|n| u16::try_from(n).ok())
                        .ok_or_else(|| bad(&format!("{name}[{i}].{k}"), "an HTTP status"))
                };
                out.push((code("start")?, code("end")?));
            }
            Some(out)
        }
    };
    Ok(Found {
        interval_ms: ms("interval")?,
        timeout_ms: ms("timeout")?,
        unhealthy_threshold: count("unhealthy_threshold")?,
        healthy_threshold: count("healthy_threshold")?,
        no_traffic_interval_ms: ms("no_traffic_interval")?,
        unhealthy_interval_ms: ms("unhealthy_interval")?,
        unhealthy_edge_interval_ms: ms("unhealthy_edge_interval")?,
        healthy_edge_interval_ms: ms("healthy_edge_interval")?,
        path: text("path")?,
        host: text("host")?,
        expected,
        at,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_clusters_http_health_check() {
        let cluster = r#"{"name": "web", "type": "STATIC", "health_checks": [{
            "timeout": "0.5s", "interval": "2s", "unhealthy_threshold": 3, "healthy_threshold": 1,
            "unhealthy_interval": {"seconds": 4}, "no_traffic_interval": "30s",
            "http_health_check": {"path": "/healthz", "expected_statuses": [{"start": 200, "end": 300}]}
        }]}"#;
        let found = find(&[("c.json".into(), cluster.into())], None)
            .unwrap()
            .unwrap();
        assert_eq!(found.at, "c.json: (root).health_checks[0]");
        assert_eq!(
            (
                found.interval_ms,
                found.timeout_ms,
                found.unhealthy_interval_ms
            ),
            (Some(2_000), Some(500), Some(4_000))
        );
        assert_eq!(
            (found.unhealthy_threshold, found.healthy_threshold),
            (Some(3), Some(1))
        );
        assert_eq!(found.no_traffic_interval_ms, Some(30_000));
        assert_eq!(found.path.as_deref(), Some("/healthz"));
        assert_eq!(found.expected, Some(vec![(200, 300)]));
    }

    #[test]
    fn a_tcp_check_or_a_bad_value_is_an_error_naming_the_path() {
        let tcp = r#"{"name": "x", "health_checks": [{"tcp_health_check": {}}]}"#;
        let error = find(&[("t.json".into(), tcp.into())], None).unwrap_err();
        assert!(
            error.contains("t.json: (root).health_checks[0]: tcp_health_check"),
            "{error}"
        );
        let bad = r#"{"name": "x", "health_checks": [{"interval": 5, "http_health_check": {}}]}"#;
        let error = find(&[("b.json".into(), bad.into())], None).unwrap_err();
        assert!(
            error.contains("health_checks[0].interval: expected a duration"),
            "{error}"
        );
    }

    #[test]
    fn no_health_checks_is_none() {
        let cluster = r#"{"name": "x", "type": "STATIC"}"#;
        assert_eq!(find(&[("c.json".into(), cluster.into())], None), Ok(None));
    }
}
