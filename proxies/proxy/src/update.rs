//! The run-time update document: the proxy-wasm filter's format (`filter/src/update.rs`),
//! taken by `POST /meshlb/update`.
//!
//! ```json
//! { "updates": [
//!     { "locality": "region1/zone-a", "health": "UNHEALTHY" },
//!     { "endpoint": "127.0.0.1:18201", "weight": 3 },
//!     { "endpoint": "127.0.0.1:18101", "health": "HEALTHY", "weight": 1 }
//! ] }
//! ```
//!
//! Each update selects endpoints by `endpoint` (`address:port`, `[v6]:port`) or by `locality`
//! (`region`, `region/zone` or `region/zone/subzone`: every endpoint at or under it) and sets
//! their EDS `health` (a status name), their `weight` (at least 1), or both. Updates apply in
//! order and set absolute values: applying a document twice changes nothing. A document with
//! one invalid update is rejected whole; an update that selects no endpoint is reported and the
//! others apply.

use meshlb::HealthStatus;
use serde_json::Value;

/// What an update selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// One endpoint, `address` and `port`.
    Endpoint(String, u16),
    /// Every endpoint at or under a locality: its parts (`region`, `zone`, `subzone`).
    Locality(Vec<String>),
}

/// One update, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// What it selects.
    pub selector: Selector,
    /// The EDS health status to set.
    pub health: Option<HealthStatus>,
    /// The weight to set (at least 1).
    pub weight: Option<u32>,
}

/// Parses an update document.
///
/// # Errors
/// A message naming the update (`updates[1].health`) and the problem.
pub fn parse(bytes: &[u8]) -> Result<Vec<Update>, String> {
    let root: Value =
        serde_json::from_slice(bytes).map_err(|e| format!("the update document: {e}"))?;
    let Some(object) = root.as_object() else {
        return Err("the update document: expected an object {\"updates\": [...]}".into());
    };
    if let Some(key) = object.keys().find(|k| *k != "updates") {
        return Err(format!(
            "the update document: unknown field {key:?} (expected: updates)"
        ));
    }
    let Some(updates) = object.get("updates").and_then(Value::as_array) else {
        return Err("updates: expected an array".into());
    };
    updates
        .iter()
        .enumerate()
        .map(|(i, update)| one(update).map_err(|e| format!("updates[{i}]{e}")))
        .collect()
}

fn one(update: &Value) -> Result<Update, String> {
    let Some(fields) = update.as_object() else {
        return Err(": expected an object".into());
    };
    for key in fields.keys() {
        if !matches!(key.as_str(), "endpoint" | "locality" | "health" | "weight") {
            return Err(format!(
                ": unknown field {key:?} (expected: endpoint, locality, health, weight)"
            ));
        }
    }
    let string = |name: &str| -> Result<Option<&str>, String> {
        match fields.get(name) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!(".{name}: expected a string")),
        }
    };
    let selector = match (string("endpoint")?, string("locality")?) {
        (Some(endpoint), None) => {
            let (address, port) =
                parse_endpoint(endpoint).map_err(|e| format!(".endpoint: {e}"))?;
            Selector::Endpoint(address, port)
        }
        (None, Some(locality)) => {
            let parts: Vec<String> = locality.split('/').map(str::to_owned).collect();
            if locality.is_empty() || parts.len() > 3 || parts.iter().any(String::is_empty) {
                return Err(format!(
                    ".locality: {locality:?}: expected region, region/zone or region/zone/subzone"
                ));
            }
            Selector::Locality(parts)
        }
        (Some(_), Some(_)) => return Err(": give endpoint or locality, not both".into()),
        (None, None) => return Err(": give endpoint or locality".into()),
    };
    let health = match string("health")? {
        None => None,
        Some(name) => Some(HealthStatus::from_name(name).ok_or_else(|| {
            format!(
                ".health: {name:?}: expected HEALTHY, UNHEALTHY, DRAINING, TIMEOUT, DEGRADED or UNKNOWN"
            )
        })?),
    };
    let weight = match fields.get("weight") {
        None => None,
        Some(value) => {
            let w = value
                .as_u64()
                .filter(|w| (1..=u64::from(u32::MAX)).contains(w))
                .ok_or(".weight: expected an integer from 1 to 4294967295")?;
            Some(w as u32)
        }
    };
    if health.is_none() && weight.is_none() {
        return Err(": give health, weight or both".into());
    }
    Ok(Update {
        selector,
        health,
        weight,
    })
}

/// `address:port` or `[v6]:port`.
///
/// # Errors
/// A message saying what was expected.
pub fn parse_endpoint(endpoint: &str) -> Result<(String, u16), String> {
    let bad = || format!("{endpoint:?}: expected address:port or [v6]:port");
    let (address, port) = endpoint.rsplit_once(':').ok_or_else(bad)?;
    let address = match address.strip_prefix('[') {
        Some(rest) => rest.strip_suffix(']').ok_or_else(bad)?,
        None if address.contains(':') => return Err(bad()),
        None => address,
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    if address.is_empty() || port == 0 {
        return Err(bad());
    }
    Ok((address.to_owned(), port))
}

impl Selector {
    /// Whether the endpoint `address:port` in `locality` (`region/zone/subzone`, trailing parts
    /// possibly empty) is selected.
    #[must_use]
    pub fn selects(&self, address: &str, port: u16, locality: &str) -> bool {
        match self {
            Self::Endpoint(a, p) => a == address && *p == port,
            Self::Locality(parts) => {
                let mine: Vec<&str> = locality.split('/').collect();
                parts
                    .iter()
                    .enumerate()
                    .all(|(i, part)| mine.get(i).is_some_and(|m| m == part))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_filters_document() {
        let doc = br#"{"updates":[
            {"locality":"region1/zone-a","health":"UNHEALTHY"},
            {"endpoint":"127.0.0.1:18201","weight":3},
            {"endpoint":"[::1]:80","health":"HEALTHY","weight":1}]}"#;
        let updates = parse(doc).unwrap();
        assert_eq!(
            updates,
            vec![
                Update {
                    selector: Selector::Locality(vec!["region1".into(), "zone-a".into()]),
                    health: Some(HealthStatus::Unhealthy),
                    weight: None
                },
                Update {
                    selector: Selector::Endpoint("127.0.0.1".into(), 18201),
                    health: None,
                    weight: Some(3)
                },
                Update {
                    selector: Selector::Endpoint("::1".into(), 80),
                    health: Some(HealthStatus::Healthy),
                    weight: Some(1)
                },
            ]
        );
    }

    #[test]
    fn rejects_whole_documents_with_a_bad_update() {
        for (doc, message) in [
            (
                &br#"{"updates":[{"endpoint":"1.2.3.4:80","weight":0}]}"#[..],
                "updates[0].weight",
            ),
            (
                br#"{"updates":[{"endpoint":"1.2.3.4"}]}"#,
                "updates[0].endpoint",
            ),
            (
                br#"{"updates":[{"locality":"a","health":"SICK"}]}"#,
                "updates[0].health",
            ),
            (
                br#"{"updates":[{"locality":"a"}]}"#,
                "updates[0]: give health",
            ),
            (br#"{"update":[]}"#, "unknown field"),
            (b"not json", "the update document"),
        ] {
            let error = parse(doc).unwrap_err();
            assert!(error.contains(message), "{error}");
        }
    }

    #[test]
    fn a_locality_selects_everything_under_it() {
        let region = Selector::Locality(vec!["region1".into()]);
        let zone = Selector::Locality(vec!["region1".into(), "zone-a".into()]);
        assert!(region.selects("x", 1, "region1/zone-b/"));
        assert!(zone.selects("x", 1, "region1/zone-a/"));
        assert!(!zone.selects("x", 1, "region1/zone-b/"));
        assert!(!zone.selects("x", 1, "region10/zone-a/"));
    }
}
