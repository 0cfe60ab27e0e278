//! Run-time update documents: health and weight changes to a loaded input, without a
//! restart. The proxy-wasm filter reads them from proxy-wasm shared data and its admin path,
//! `meshlb-proxy` from `POST /meshlb/update`; this is the one reader both use.
//!
//! ```json
//! { "updates": [
//!     { "locality": "region1", "health": "UNHEALTHY" },
//!     { "endpoint": "10.2.0.10:5000", "weight": 3 },
//!     { "endpoint": "10.1.0.10:5000", "health": "HEALTHY", "weight": 1 }
//! ] }
//! ```
//!
//! Each update selects endpoints, by `endpoint` (`address:port`, `[v6]:port`) or by `locality`
//! (`region`, `region/zone` or `region/zone/subzone`: every endpoint at or under it), and sets
//! their `health` (an EDS health status name), their `weight` (at least 1), or both. Updates
//! apply in order and set absolute values, so applying a document twice changes nothing
//! (an endpoint already in the state asked for is left alone: an Envoy plan keeps its pickers;
//! a scenario is only recomputed on a real change). A document with one invalid update is
//! rejected whole; an update that selects no endpoint is reported and the others apply.

use crate::tree::json_string;
use crate::{Balancer, InputError, Path};
use meshlb::HealthStatus;
use target::Target;

/// One update as written.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Raw {
    endpoint: Option<String>,
    locality: Option<String>,
    health: Option<String>,
    weight: Option<u32>,
}

impl Raw {
    /// Reads `{"endpoint" | "locality": ..., "health": ..., "weight": ...}`.
    fn read(node: &crate::tree::Node, path: &Path) -> Result<Self, InputError> {
        let fields = node.members(path, &["endpoint", "locality", "health", "weight"])?;
        let string = |name: &str| -> Result<Option<String>, InputError> {
            fields
                .get(name)
                .map(|(node, path)| node.string(&path).map(str::to_owned))
                .transpose()
        };
        Ok(Self {
            endpoint: string("endpoint")?,
            locality: string("locality")?,
            health: string("health")?,
            weight: fields
                .get("weight")
                .map(|(node, path)| node.uint(&path, u64::from(u32::MAX)).map(|w| w as u32))
                .transpose()?,
        })
    }

    /// The update as a JSON object, fields in a fixed order, absent ones left out.
    fn write(&self, out: &mut String) {
        out.push('{');
        let mut first = true;
        let mut field = |out: &mut String, name: &str| {
            if !first {
                out.push(',');
            }
            first = false;
            json_string(name, out);
            out.push(':');
        };
        for (name, value) in [
            ("endpoint", &self.endpoint),
            ("locality", &self.locality),
            ("health", &self.health),
        ] {
            if let Some(value) = value {
                field(out, name);
                json_string(value, out);
            }
        }
        if let Some(weight) = self.weight {
            field(out, "weight");
            out.push_str(&weight.to_string());
        }
        out.push('}');
    }
}

/// Which endpoints an update selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// One endpoint.
    Endpoint {
        /// Address (IPv6 without brackets).
        address: String,
        /// Port.
        port: u16,
    },
    /// Every endpoint at or under a locality (`region`, `region/zone`, ...).
    Locality(String),
}

impl Selector {
    /// Whether it selects the endpoint `address:port` (IPv6 without brackets) in `locality`
    /// (`region/zone/subzone`, as explanations write it): the endpoint itself, or every
    /// endpoint at or under the locality.
    #[must_use]
    pub fn selects(&self, address: &str, port: u16, locality: &str) -> bool {
        match self {
            Self::Endpoint {
                address: a,
                port: p,
            } => a == address && *p == port,
            Self::Locality(l) => {
                locality == l
                    || locality
                        .strip_prefix(l.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
            }
        }
    }
}

impl core::fmt::Display for Selector {
    /// `address:port` (`[v6]:port`) or the locality, as written in the document.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            Self::Endpoint { address, port } => {
                f.write_str(&meshlb::endpoint_address(address, *port))
            }
            Self::Locality(l) => f.write_str(l),
        }
    }
}

/// One validated update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Update {
    /// The endpoints it selects.
    pub selector: Selector,
    /// The health to set.
    pub health: Option<HealthStatus>,
    /// The weight to set.
    pub weight: Option<u32>,
    /// As written, for merging into the shared document.
    raw: Raw,
}

/// What applying a document did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Applied {
    /// Endpoints whose health or weight changed.
    pub changed: usize,
    /// Updates that could not apply, one sentence each.
    pub errors: Vec<String>,
}

/// Parses and validates an update document.
///
/// # Errors
/// The first problem: invalid JSON, an unknown field, an update without selector or change,
/// an unknown health status, weight 0, a malformed `address:port`.
pub fn parse(bytes: &[u8]) -> Result<Vec<Update>, String> {
    if bytes.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err("expected a JSON object, such as {\"updates\": [...]}".into());
    }
    let text = crate::text_ref("updates", bytes)?;
    let root = crate::parse_json(text).map_err(|e| e.to_string())?;
    let top = Path::root();
    let (list, path) = root
        .members(&top, &["updates"])
        .and_then(|m| m.require("updates", "a list of updates"))
        .map_err(|e| e.to_string())?;
    let crate::tree::Value::Seq(items) = &list.value else {
        return Err(format!(
            "updates: expected a list, found {} (line {})",
            list.kind(),
            list.line
        ));
    };
    items
        .iter()
        .enumerate()
        .map(|(i, item)| {
            let raw = Raw::read(item, &path.index(i)).map_err(|e| e.to_string())?;
            validate(raw).map_err(|e| format!("updates[{i}]: {e}"))
        })
        .collect()
}

fn validate(raw: Raw) -> Result<Update, String> {
    let selector = match (&raw.endpoint, &raw.locality) {
        (Some(endpoint), None) => {
            let (address, port) = parse_endpoint(endpoint)?;
            Selector::Endpoint { address, port }
        }
        (None, Some(locality)) => Selector::Locality(locality.trim_end_matches('/').to_owned()),
        _ => return Err("give exactly one of \"endpoint\" (ADDRESS:PORT) or \"locality\"".into()),
    };
    let health = match &raw.health {
        None => None,
        Some(name) => Some(
            name.parse::<HealthStatus>()
                .map_err(|e| format!("health: {e}"))?,
        ),
    };
    if raw.weight == Some(0) {
        return Err("weight: must be at least 1".into());
    }
    if health.is_none() && raw.weight.is_none() {
        return Err("nothing to change: give \"health\", \"weight\" or both".into());
    }
    Ok(Update {
        selector,
        health,
        weight: raw.weight,
        raw,
    })
}

/// `10.0.0.1:80` or `[fd00::1]:80`: the address (IPv6 without brackets) and the port.
///
/// # Errors
/// A sentence naming `endpoint` and the expected form.
pub fn parse_endpoint(endpoint: &str) -> Result<(String, u16), String> {
    let bad = || format!("endpoint {endpoint:?}: expected ADDRESS:PORT (IPv6 as [ADDRESS]:PORT)");
    let (address, port) = endpoint.rsplit_once(':').ok_or_else(bad)?;
    let address = match address.strip_prefix('[') {
        Some(v6) => v6.strip_suffix(']').ok_or_else(bad)?,
        None if address.contains(':') => return Err(bad()),
        None => address,
    };
    let port = port.parse().map_err(|_| bad())?;
    if address.is_empty() {
        return Err(bad());
    }
    Ok((address.to_owned(), port))
}

/// The shared document after `updates`: each update appended, and the fields it sets taken
/// out of the earlier updates with its selector (in `current` or `updates`; one left setting
/// nothing goes). Every endpoint's health and weight is then the last value an update set for
/// it, as applying each document in turn left it, so a worker configured later, which applies
/// the merged document from nothing, agrees with the running ones (an update that replaced an
/// earlier one whole lost the fields it did not set). An unreadable `current` is replaced.
pub fn merge(current: Option<&[u8]>, updates: &[Update]) -> Vec<u8> {
    let old = current
        .and_then(|bytes| parse(bytes).ok())
        .unwrap_or_default();
    let mut kept: Vec<(Selector, Raw)> = old.into_iter().map(|u| (u.selector, u.raw)).collect();
    for new in updates {
        for (selector, earlier) in &mut kept {
            if *selector == new.selector {
                if new.raw.health.is_some() {
                    earlier.health = None;
                }
                if new.raw.weight.is_some() {
                    earlier.weight = None;
                }
            }
        }
        kept.retain(|(_, raw)| raw.health.is_some() || raw.weight.is_some());
        kept.push((new.selector.clone(), new.raw.clone()));
    }
    let kept: Vec<Raw> = kept.into_iter().map(|(_, raw)| raw).collect();
    let mut out = String::from("{\"updates\":[");
    for (i, raw) in kept.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        raw.write(&mut out);
    }
    out.push_str("]}");
    out.into_bytes()
}

/// Applies `updates` in order to `balancer`, as one batch: every endpoint the document
/// changes is re-planned once (a locality's endpoints failing together are one EDS update).
pub fn apply(balancer: &mut Balancer, updates: &[Update]) -> Applied {
    let mut applied = Applied::default();
    // The endpoints' state as the updates before each one leave it, so that later updates see
    // earlier ones (the batch applies in the same order).
    let mut targets = Target::all(balancer);
    let mut changes = Vec::new();
    // Per change: which (update, endpoint) pair it belongs to.
    let mut pairs: Vec<usize> = Vec::new();
    let mut pair = 0;
    for update in updates {
        let mut selected = false;
        for target in targets
            .iter_mut()
            .filter(|t| t.selected_by(&update.selector))
        {
            selected = true;
            let before = changes.len();
            if let Some(health) = update.health.filter(|h| *h != target.health) {
                changes.push(meshlb::Change::health(&target.address, target.port, health));
                target.health = health;
            }
            if let Some(weight) = update.weight.filter(|w| *w != target.weight) {
                changes.push(meshlb::Change::weight(&target.address, target.port, weight));
                target.weight = weight;
            }
            if changes.len() > before {
                pairs.resize(changes.len(), pair);
                pair += 1;
            }
        }
        if !selected {
            applied.errors.push(match &update.selector {
                Selector::Endpoint { .. } => format!("no endpoint {}", update.selector),
                Selector::Locality(l) => format!("no endpoint in locality {l:?}"),
            });
        }
    }
    if changes.is_empty() {
        return applied;
    }
    match balancer.apply(&changes) {
        Ok(done) => {
            let mut rejected = vec![false; pair];
            for (i, e) in done.rejected {
                rejected[pairs[i]] = true;
                applied.errors.push(e.to_string());
            }
            // A pair counts when none of its changes was refused (as one endpoint's update).
            applied.changed = rejected.iter().filter(|r| !**r).count();
        }
        Err(e) => applied.errors.push(e),
    }
    applied
}

mod target {
    //! The endpoints updates can select, with their current health and weight.

    use super::Selector;
    use crate::Balancer;
    use meshlb::HealthStatus;

    #[derive(Debug)]
    pub(super) struct Target {
        pub(super) address: String,
        pub(super) port: u16,
        pub(super) locality: String,
        pub(super) health: HealthStatus,
        pub(super) weight: u32,
    }

    impl Target {
        /// An Envoy input's endpoints; a scenario's workloads (routed or not: a workload that
        /// istiod stops sending when it fails must still be selectable to recover).
        pub(super) fn all(balancer: &Balancer) -> Vec<Self> {
            let mut targets: Vec<Self> = match balancer.scenario() {
                Some(scenario) => scenario
                    .workloads
                    .iter()
                    .map(|w| Self {
                        address: w.address.clone(),
                        port: w.port,
                        locality: w.locality.to_string(),
                        health: w.health,
                        weight: w.weight,
                    })
                    .collect(),
                None => balancer
                    .explain()
                    .endpoints
                    .iter()
                    .map(|e| Self {
                        address: e.address.clone(),
                        port: e.port,
                        locality: e.locality.clone(),
                        health: e.health,
                        weight: e.weight,
                    })
                    .collect(),
            };
            // One address:port may appear on several networks; the balancer updates them together.
            targets.sort_by(|a, b| (&a.address, a.port).cmp(&(&b.address, b.port)));
            targets.dedup_by(|a, b| a.address == b.address && a.port == b.port);
            targets
        }

        pub(super) fn selected_by(&self, selector: &Selector) -> bool {
            selector.selects(&self.address, self.port, &self.locality)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "yaml")]
    use crate::{Options, load};

    /// The project's example: two regions, each workload its own zone (YAML: the tests that
    /// apply updates to it need the `yaml` feature; the JSON-only build runs the others).
    #[cfg(feature = "yaml")]
    const SCENARIO: &str = include_str!("../../examples/locality-failover.yaml");

    #[cfg(feature = "yaml")]
    fn balancer() -> Balancer {
        let loaded =
            load("locality-failover.yaml", SCENARIO, &Options::default()).expect("example");
        Balancer::new(loaded, 7)
    }

    #[cfg(feature = "yaml")]
    fn picked_localities(balancer: &mut Balancer) -> Vec<String> {
        let mut localities: Vec<String> = (0..20)
            .filter_map(|_| balancer.pick(None))
            .map(|p| p.locality)
            .collect();
        localities.sort();
        localities.dedup();
        localities
    }

    #[test]
    fn parse_validates_each_update() {
        let ok = parse(
            br#"{"updates": [{"locality": "region1/", "health": "UNHEALTHY"},
            {"endpoint": "[fd00::1]:80", "weight": 2}]}"#,
        )
        .expect("valid");
        assert_eq!(ok[0].selector, Selector::Locality("region1".into()));
        assert_eq!(
            ok[1].selector,
            Selector::Endpoint {
                address: "fd00::1".into(),
                port: 80
            }
        );
        for (doc, expected) in [
            ("", "expected a JSON object"),
            ("[]", "expected a JSON object"),
            ("{", "malformed JSON: unexpected end of the document"),
            (r#"{"updates": [{}]}"#, "updates[0]: give exactly one"),
            (
                r#"{"updates": [{"endpoint": "a:1", "locality": "r", "weight": 1}]}"#,
                "updates[0]: give exactly one",
            ),
            (
                r#"{"updates": [{"endpoint": "a:1"}]}"#,
                "updates[0]: nothing to change",
            ),
            (
                r#"{"updates": [{"endpoint": "a", "weight": 1}]}"#,
                "updates[0]: endpoint \"a\"",
            ),
            (
                r#"{"updates": [{"endpoint": "fd00::1:80", "weight": 1}]}"#,
                "updates[0]: endpoint",
            ),
            (
                r#"{"updates": [{"endpoint": "a:99999", "weight": 1}]}"#,
                "updates[0]: endpoint",
            ),
            (
                r#"{"updates": [{"endpoint": ":80", "weight": 1}]}"#,
                "updates[0]: endpoint",
            ),
            (
                r#"{"updates": [{"endpoint": "a:1", "weight": 0}]}"#,
                "updates[0]: weight",
            ),
            (
                r#"{"updates": [{"endpoint": "a:1", "health": "OK"}]}"#,
                "updates[0]: health: unknown health status \"OK\"",
            ),
            (
                r#"{"updates": [{"endpoint": "a:1", "healthy": "OK"}]}"#,
                "updates[0].healthy: unknown field `healthy`; did you mean `health`?",
            ),
        ] {
            let message = parse(doc.as_bytes()).expect_err(doc);
            assert!(message.starts_with(expected), "{doc}: {message}");
        }
    }

    #[test]
    #[cfg(feature = "yaml")]
    fn failing_a_region_fails_over_and_recovery_returns() {
        let mut balancer = balancer();
        assert_eq!(picked_localities(&mut balancer), ["region1/zone1"]);
        let fail = parse(br#"{"updates": [{"locality": "region1", "health": "UNHEALTHY"}]}"#)
            .expect("valid");
        let applied = apply(&mut balancer, &fail);
        assert_eq!(
            applied,
            Applied {
                changed: 2,
                errors: vec![]
            }
        );
        // The region's two workloads fail in one batch: one re-plan of the scenario.
        assert_eq!(balancer.core().replans(), 1);
        assert_eq!(picked_localities(&mut balancer), ["region2/zone3"]);
        // Idempotent: the same document again changes nothing.
        assert_eq!(apply(&mut balancer, &fail), Applied::default());
        let recover =
            parse(br#"{"updates": [{"endpoint": "10.1.0.10:5000", "health": "HEALTHY"}]}"#)
                .expect("valid");
        assert_eq!(apply(&mut balancer, &recover).changed, 1);
        assert_eq!(picked_localities(&mut balancer), ["region1/zone1"]);
    }

    #[test]
    #[cfg(feature = "yaml")]
    fn unknown_endpoints_are_reported_and_others_apply() {
        let mut balancer = balancer();
        let updates = parse(
            br#"{"updates": [{"endpoint": "10.9.9.9:1", "weight": 2},
            {"locality": "nowhere", "weight": 2}, {"endpoint": "10.2.0.10:5000", "weight": 2}]}"#,
        )
        .expect("valid");
        let applied = apply(&mut balancer, &updates);
        assert_eq!(applied.changed, 1);
        assert_eq!(
            applied.errors,
            [
                "no endpoint 10.9.9.9:1",
                "no endpoint in locality \"nowhere\""
            ]
        );
    }

    #[test]
    fn merge_replaces_same_selector_and_survives_garbage() {
        let first = parse(br#"{"updates": [{"locality": "region1", "health": "UNHEALTHY"}, {"endpoint": "a:1", "weight": 2}]}"#)
            .expect("valid");
        let doc = merge(None, &first);
        let second = parse(br#"{"updates": [{"locality": "region1", "health": "HEALTHY"}]}"#)
            .expect("valid");
        let merged = parse(&merge(Some(&doc), &second)).expect("merged is valid");
        assert_eq!(merged.len(), 2);
        assert_eq!(
            merged[0].selector,
            Selector::Endpoint {
                address: "a".into(),
                port: 1
            }
        );
        assert_eq!(merged[1].health, Some(HealthStatus::Healthy));
        assert_eq!(
            parse(&merge(Some(b"\xff garbage"), &second)).expect("valid"),
            second
        );
    }

    #[test]
    fn merge_keeps_the_fields_a_later_update_does_not_set() {
        let locality = |l: &str| Selector::Locality(l.into());
        // A health, then a weight for the same locality: both stay (the second update alone
        // had replaced the first, so a worker configured later saw no UNHEALTHY).
        let doc = merge(
            None,
            &parse(br#"{"updates": [{"locality": "us/z", "health": "UNHEALTHY"}]}"#)
                .expect("valid"),
        );
        let doc = merge(
            Some(&doc),
            &parse(br#"{"updates": [{"locality": "us/z", "weight": 3}]}"#).expect("valid"),
        );
        let merged = parse(&doc).expect("valid");
        let fields: Vec<_> = merged
            .iter()
            .map(|u| (u.selector.clone(), u.health, u.weight))
            .collect();
        assert_eq!(
            fields,
            [
                (locality("us/z"), Some(HealthStatus::Unhealthy), None),
                (locality("us/z"), None, Some(3)),
            ]
        );
        // Between them, an endpoint of that locality set HEALTHY: applied in order the
        // locality's weight does not undo it, and the merged document keeps that order.
        let doc = merge(None, &parse(br#"{"updates": [{"locality": "us/z", "health": "UNHEALTHY"}, {"endpoint": "10.0.0.1:80", "health": "HEALTHY"}]}"#).expect("valid"));
        let doc = merge(
            Some(&doc),
            &parse(br#"{"updates": [{"locality": "us/z", "weight": 3}]}"#).expect("valid"),
        );
        let order: Vec<_> = parse(&doc)
            .expect("valid")
            .iter()
            .map(|u| (u.health, u.weight))
            .collect();
        assert_eq!(
            order,
            [
                (Some(HealthStatus::Unhealthy), None),
                (Some(HealthStatus::Healthy), None),
                (None, Some(3)),
            ]
        );
        // A later update setting every field the earlier one set replaces it.
        let doc = merge(
            Some(&doc),
            &parse(br#"{"updates": [{"locality": "us/z", "health": "HEALTHY", "weight": 1}]}"#)
                .expect("valid"),
        );
        let merged = parse(&doc).expect("valid");
        assert_eq!(merged.len(), 2, "{merged:?}");
        assert_eq!(merged[1].selector, locality("us/z"));
        assert_eq!(
            (merged[1].health, merged[1].weight),
            (Some(HealthStatus::Healthy), Some(1))
        );
    }

    #[test]
    fn selectors_match_and_print_as_written() {
        let v6 = Selector::Endpoint {
            address: "fd00::1".into(),
            port: 80,
        };
        assert_eq!(v6.to_string(), "[fd00::1]:80");
        assert!(v6.selects("fd00::1", 80, "r/z/"));
        assert!(!v6.selects("fd00::1", 81, "r/z/"));
        let region = Selector::Locality("region1".into());
        let zone = Selector::Locality("region1/zone-a".into());
        assert_eq!(zone.to_string(), "region1/zone-a");
        assert!(region.selects("x", 1, "region1/zone-b/"));
        assert!(zone.selects("x", 1, "region1/zone-a/"));
        assert!(!zone.selects("x", 1, "region1/zone-b/"));
        assert!(!zone.selects("x", 1, "region10/zone-a/"));
    }
}
