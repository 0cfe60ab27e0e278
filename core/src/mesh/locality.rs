//! Locality: Istio's `localityLbSetting` turned into the Envoy-shaped assignment a [`Plan`]
//! takes.
//!
//! Sources: istio/istio `pilot/pkg/networking/core/loadbalancer/loadbalancer.go`
//! (`GetEffectiveLbSetting`, `ApplyLocalityLoadBalancer`, `applyLocalityFailover`,
//! `applyFailoverPriorities`, `applyLocalityWeights`), `pilot/pkg/networking/util/util.go`
//! (`LbPriority`), `cluster_traffic_policy.go` (`applyLoadBalancer`, `applyOutlierDetection`);
//! Istio docs "Locality failover", "Locality weighted distribution".
//!
//! [`Plan`]: crate::Plan

use alloc::collections::BTreeSet;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::discovery::{Destination, View, labels};
use super::model::{IstioLbPolicy, IstioVersion, LocalityLbSetting};
use crate::explain::{
    DistributeReport, DistributeTarget, DropReason, DroppedEndpoint, FailoverReport,
    LocalityLbMode, LocalitySettingReport, LocalitySettingSource,
};
use crate::model::{
    Endpoint, LbConfig, LbPolicy, LoadAssignment, Locality, LocalityEndpoints, MaglevConfig,
    RingHashConfig,
};
use crate::note::{Note, NoteCode};

/// One destination's Envoy cluster: the assignment, its LB configuration, and which view
/// endpoint each assignment endpoint is.
#[derive(Debug, Clone)]
pub struct EnvoyCluster {
    /// The `ClusterLoadAssignment`.
    pub assignment: LoadAssignment,
    /// The cluster's load-balancing configuration.
    pub config: LbConfig,
    /// For each locality group and endpoint of `assignment`: (group index, endpoint index) in
    /// the destination's groups.
    pub origins: Vec<Vec<(usize, usize)>>,
    /// Which locality mode applied.
    pub mode: LocalityLbMode,
    /// Endpoints a `distribute` rule left out.
    pub dropped: Vec<DroppedEndpoint>,
    /// Why.
    pub notes: Vec<Note>,
    /// The locality setting in force and where it came from.
    pub locality_setting: LocalitySettingReport,
}

/// Which setting is in force and where it came from (`GetEffectiveLbSetting`): the setting
/// (None when disabled), whether `trafficDistribution` forces it, the source for a person, and
/// the report of what was written there.
fn effective_setting(
    view: &View,
    destination: &Destination,
) -> (
    Option<LocalityLbSetting>,
    bool,
    String,
    LocalitySettingReport,
) {
    let outlier = destination.policy.outlier_detection.is_some();
    let report = |source, from: &str, written: &LocalityLbSetting| LocalitySettingReport {
        subset: destination.subset.clone(),
        source,
        from: from.to_string(),
        enabled: written.enabled != Some(false),
        failover: written
            .failover
            .iter()
            .map(|f| FailoverReport {
                from: f.from.clone(),
                to: f.to.clone(),
            })
            .collect(),
        failover_priority: written.failover_priority.clone(),
        distribute: written
            .distribute
            .iter()
            .map(|d| DistributeReport {
                from: d.from.clone(),
                to: d
                    .to
                    .iter()
                    .map(|(locality, weight)| DistributeTarget {
                        locality: locality.clone(),
                        weight: *weight,
                    })
                    .collect(),
            })
            .collect(),
        outlier_detection: outlier,
    };
    let dr_setting = destination
        .policy
        .load_balancer
        .as_ref()
        .and_then(|lb| lb.locality_lb_setting.clone());
    let dr_name = view.destination_rule.as_ref().map(|d| {
        format!(
            "DestinationRule {}/{}",
            d.metadata.namespace, d.metadata.name
        )
    });
    if let Some(s) = dr_setting {
        let from = dr_name.unwrap_or_default();
        let written = report(LocalitySettingSource::DestinationRule, &from, &s);
        if s.enabled == Some(false) {
            return (
                None,
                false,
                format!("{from} sets localityLbSetting.enabled: false"),
                written,
            );
        }
        return (Some(s), false, from, written);
    }
    if let Some(td) = &view.traffic_distribution {
        let mut setting = LocalityLbSetting {
            failover_priority: alloc::vec![
                labels::NETWORK.into(),
                labels::REGION.into(),
                labels::ZONE.into()
            ],
            ..LocalityLbSetting::default()
        };
        if td == "PreferSameNode" {
            setting.failover_priority.push(labels::SUBZONE.into());
            setting
                .failover_priority
                .push("kubernetes.io/hostname".into());
        }
        let from = format!("the Service's trafficDistribution: {td}");
        let written = report(LocalitySettingSource::TrafficDistribution, &from, &setting);
        return (Some(setting), true, from, written);
    }
    match &view.mesh_locality_setting {
        Some(s) if s.enabled == Some(false) => (
            None,
            false,
            "MeshConfig localityLbSetting.enabled: false".into(),
            report(
                LocalitySettingSource::MeshConfig,
                "MeshConfig localityLbSetting",
                s,
            ),
        ),
        Some(s) => (
            Some(s.clone()),
            false,
            "MeshConfig localityLbSetting".into(),
            report(
                LocalitySettingSource::MeshConfig,
                "MeshConfig localityLbSetting",
                s,
            ),
        ),
        None => {
            let setting = LocalityLbSetting {
                enabled: Some(true),
                ..LocalityLbSetting::default()
            };
            let from = "the MeshConfig default localityLbSetting {enabled: true}";
            let written = report(LocalitySettingSource::Default, from, &setting);
            (Some(setting), false, from.into(), written)
        }
    }
}

/// `LocalityMatch`: every segment of the pattern is `*` or equal; missing segments match all.
fn locality_matches(locality: &Locality, pattern: &str) -> bool {
    let parts = locality.parts();
    pattern
        .split('/')
        .zip(parts)
        .all(|(p, value)| p == "*" || p.is_empty() || p == value)
}

/// `util.LbPriority`: 0 same region/zone/subzone, 1 same zone, 2 same region, 3 other region.
fn lb_priority(client: &Locality, group: &Locality) -> u32 {
    if client.region() != group.region() {
        3
    } else if client.zone() != group.zone() {
        2
    } else if client.sub_zone() != group.sub_zone() {
        1
    } else {
        0
    }
}

/// Renumbers raw priorities 0..N-1 in order, without gaps.
fn compact(raw: &[u32]) -> Vec<u32> {
    let distinct: BTreeSet<u32> = raw.iter().copied().collect();
    let order: Vec<u32> = distinct.into_iter().collect();
    raw.iter()
        .map(|r| order.partition_point(|x| x < r) as u32)
        .collect()
}

/// `applyFailoverPriorityPerLocality`: the label priority of one endpoint. With N entries, the
/// first entry `j` whose wanted value (the client's label, or the `key=value` override) differs
/// from the endpoint's gives `N - j`; all equal gives 0. Istio 1.31: when the first entry is
/// `topology.istio.io/network` and the network differs, it is skipped, the rest decide, and `N` is
/// added ("network locality is preferred but not required").
fn label_priority<'a>(
    view: &'a View,
    entries: &'a [String],
    endpoint: &super::discovery::ViewEndpoint,
) -> u32 {
    // (label key, wanted value): the `key=value` override, else the client's label ("" when
    // absent, as Go's map lookup gives).
    let want = |entry: &'a str| -> (&'a str, &'a str) {
        entry.split_once('=').unwrap_or_else(|| {
            (
                entry,
                view.client_labels.get(entry).map_or("", String::as_str),
            )
        })
    };
    let have = |key: &str| endpoint.label(key).unwrap_or_default();
    let rank = |list: &'a [String]| -> u32 {
        let n = list.len() as u32;
        list.iter()
            .enumerate()
            .find(|(_, e)| {
                let (key, value) = want(e);
                value != have(key)
            })
            .map_or(0, |(j, _)| n - j as u32)
    };
    let n = entries.len() as u32;
    if view.istio_version == IstioVersion::V1_31
        && entries.first().is_some_and(|e| e == labels::NETWORK)
        && want(labels::NETWORK).1 != have(labels::NETWORK)
    {
        return n + rank(&entries[1..]);
    }
    rank(entries)
}

/// Builds the Envoy cluster of one destination.
#[must_use]
pub fn envoy_cluster(view: &View, destination: &Destination) -> EnvoyCluster {
    let mut notes = Vec::new();
    let policy = &destination.policy;
    let outlier = policy.outlier_detection.is_some();
    let (setting, force, source, locality_setting) = effective_setting(view, destination);

    // The groups as istiod sends them: one per locality, priority 0, weight Σ endpoint weights.
    struct G {
        locality: Locality,
        priority: u32,
        weight: Option<u32>,
        members: Vec<(usize, usize)>,
    }
    let mut groups: Vec<G> = destination
        .groups
        .iter()
        .enumerate()
        .map(|(gi, g)| G {
            locality: g.locality.clone(),
            priority: 0,
            weight: Some(
                g.endpoints
                    .iter()
                    .fold(0_u32, |a, e| a.saturating_add(e.weight)),
            ),
            members: (0..g.endpoints.len()).map(|ei| (gi, ei)).collect(),
        })
        .collect();
    let endpoint = |(gi, ei): (usize, usize)| &destination.groups[gi].endpoints[ei];

    let mut mode = LocalityLbMode::Off;
    let mut locality_weighted = false;
    let mut dropped = Vec::new();
    match &setting {
        None => notes.push(Note::new(NoteCode::LocalitySetting, format!("locality load balancing is off ({source}): traffic is spread evenly over all endpoints"))),
        Some(s) if !s.distribute.is_empty() => {
            mode = LocalityLbMode::Distribute;
            locality_weighted = true;
            match s.distribute.iter().find(|d| locality_matches(&view.client_locality, &d.from)) {
                None => notes.push(Note::new(NoteCode::LocalitySetting, format!(
                    "{source} has distribute rules, but none matches the client's locality {}: weights stay as sent",
                    view.client_locality
                ))),
                Some(rule) => {
                    let mut unmatched: Vec<usize> = (0..groups.len()).collect();
                    for (to, w) in &rule.to {
                        let matched: Vec<usize> = unmatched.iter().copied().filter(|&i| locality_matches(&groups[i].locality, to)).collect();
                        unmatched.retain(|i| !matched.contains(i));
                        let total: u64 = matched.iter().map(|&i| u64::from(groups[i].weight.unwrap_or(1))).sum();
                        for &i in &matched {
                            let g = u64::from(groups[i].weight.unwrap_or(1));
                            // ceil(g * w / total), as applyLocalityWeights.
                            groups[i].weight = Some((g * u64::from(*w)).div_ceil(total.max(1)) as u32);
                        }
                    }
                    for &i in &unmatched {
                        for &m in &groups[i].members {
                            let e = endpoint(m);
                            dropped.push(DroppedEndpoint {
                                address: e.address.clone(),
                                port: e.port,
                                cluster: Some(e.cluster.clone()),
                                reason: DropReason::NotDistributed,
                                message: format!("locality {} matches no `to` of the distribute rule from {}", groups[i].locality, rule.from),
                            });
                        }
                        groups[i].members.clear();
                    }
                    notes.push(Note::new(NoteCode::LocalitySetting, format!(
                        "distribute applies ({source}, rule from {}): {}",
                        rule.from,
                        rule.to.iter().map(|(k, w)| format!("{k} {w}%")).collect::<Vec<_>>().join(", ")
                    )));
                }
            }
        }
        Some(s) if outlier || force => {
            let has_priority = !s.failover_priority.is_empty();
            // failoverPriority: split each group by label priority.
            if has_priority && !view.client_labels.is_empty() {
                mode = LocalityLbMode::FailoverPriority;
                let mut split: Vec<G> = Vec::new();
                let mut raws = Vec::new();
                for g in &groups {
                    let mut by_priority: alloc::collections::BTreeMap<u32, Vec<(usize, usize)>> = alloc::collections::BTreeMap::new();
                    for &m in &g.members {
                        by_priority.entry(label_priority(view, &s.failover_priority, endpoint(m))).or_default().push(m);
                    }
                    for (p, members) in by_priority {
                        raws.push(p);
                        let weight = members.iter().fold(0_u32, |a, &m| a.saturating_add(endpoint(m).weight));
                        split.push(G { locality: g.locality.clone(), priority: p, weight: Some(weight), members });
                    }
                }
                let compacted = compact(&raws);
                for (g, p) in split.iter_mut().zip(compacted) {
                    g.priority = p;
                }
                groups = split;
                notes.push(Note::new(NoteCode::LocalitySetting, format!(
                    "failoverPriority applies ({source}{}): endpoints rank by the first of [{}] whose value differs from the client's",
                    if force { ", forced by trafficDistribution" } else { ", with outlierDetection" },
                    s.failover_priority.join(", ")
                )));
            }
            if !has_priority || !s.failover.is_empty() {
                if mode == LocalityLbMode::Off {
                    mode = LocalityLbMode::Failover;
                }
                let rule = s.failover.iter().find(|f| f.from == view.client_locality.region());
                let raw: Vec<u32> = groups
                    .iter()
                    .map(|g| {
                        let mut p = lb_priority(&view.client_locality, &g.locality);
                        if p == 3 && rule.is_some_and(|r| g.locality.region() != r.to) {
                            p = 4;
                        }
                        g.priority * 5 + p
                    })
                    .collect();
                for (g, p) in groups.iter_mut().zip(compact(&raw)) {
                    g.priority = p;
                }
                notes.push(Note::new(NoteCode::LocalitySetting, format!(
                    "locality failover applies ({source}, {}): same zone and subzone first, then the zone, the region{}, then other regions",
                    if force { "forced by trafficDistribution".to_string() } else { "because outlierDetection is set".to_string() },
                    rule.map_or_else(String::new, |r| format!(", then region {} (failover from {})", r.to, r.from))
                )));
            }
            locality_weighted = !s.failover.is_empty() || has_priority;
        }
        Some(_) => notes.push(Note::new(NoteCode::LocalitySetting, format!(
            "locality failover is configured ({source}) but inactive: no outlierDetection, so every locality is priority 0 and traffic is spread evenly"
        ))),
    }

    // Envoy cluster settings from the merged policy.
    let mut config = LbConfig {
        locality_weighted,
        ..LbConfig::default()
    };
    let lb = policy
        .load_balancer
        .as_ref()
        .map_or(IstioLbPolicy::Unspecified, |l| l.policy);
    config.policy = match lb {
        IstioLbPolicy::Unspecified | IstioLbPolicy::LeastRequest => LbPolicy::LeastRequest,
        IstioLbPolicy::RoundRobin => LbPolicy::RoundRobin,
        IstioLbPolicy::Random => LbPolicy::Random,
        IstioLbPolicy::Passthrough => {
            notes.push(Note::new(NoteCode::Policy, "PASSTHROUGH: Envoy sends to the original destination without load balancing; shares are shown as RANDOM would spread them"));
            LbPolicy::Random
        }
        IstioLbPolicy::RingHash { minimum_ring_size } => {
            config.ring_hash = RingHashConfig {
                minimum_ring_size: minimum_ring_size.unwrap_or(1024).max(1),
                ..RingHashConfig::default()
            };
            LbPolicy::RingHash
        }
        IstioLbPolicy::Maglev { table_size } => {
            config.maglev = MaglevConfig {
                table_size: table_size.unwrap_or(crate::DEFAULT_MAGLEV_TABLE_SIZE),
            };
            LbPolicy::Maglev
        }
    };
    // Panic threshold (applyOutlierDetection / applyLoadBalancer).
    let sends_unhealthy = view.traffic_distribution.is_some()
        || (view.istio_version == IstioVersion::V1_31
            && policy
                .outlier_detection
                .as_ref()
                .and_then(|o| o.min_health_percent)
                .unwrap_or(0)
                <= 0);
    config.healthy_panic_threshold = match &policy.outlier_detection {
        Some(_) if view.traffic_distribution.is_some() => 0.0,
        Some(od) => f64::from(od.min_health_percent.unwrap_or(0).clamp(0, 100)),
        None if sends_unhealthy => 0.0,
        None => crate::DEFAULT_PANIC_THRESHOLD,
    };
    if config.healthy_panic_threshold == 0.0 {
        notes.push(Note::new(NoteCode::PanicThreshold, "Istio sets the panic threshold to 0 here (panic off): unhealthy endpoints never receive traffic"));
    }

    // The assignment.
    let mut assignment = LoadAssignment {
        allow_duplicate_endpoints: true,
        ..LoadAssignment::default()
    };
    let mut origins = Vec::new();
    for g in groups.into_iter().filter(|g| !g.members.is_empty()) {
        let endpoints = g
            .members
            .iter()
            .map(|&m| {
                let e = endpoint(m);
                Endpoint {
                    address: e.address.clone(),
                    port: e.port,
                    weight: e.weight.max(1),
                    health: e.health,
                }
            })
            .collect();
        assignment.localities.push(LocalityEndpoints {
            locality: g.locality,
            weight: g.weight.filter(|w| *w > 0),
            priority: g.priority,
            endpoints,
        });
        origins.push(g.members);
    }
    EnvoyCluster {
        assignment,
        config,
        origins,
        mode,
        dropped,
        notes,
        locality_setting,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compaction_renumbers_without_gaps() {
        // loadbalancer_test.go "priorities with gaps": raw [1,3,3] -> [0,1,1].
        assert_eq!(compact(&[1, 3, 3]), [0, 1, 1]);
        // "some nil localities": raw [1,4,3] -> [0,2,1].
        assert_eq!(compact(&[1, 4, 3]), [0, 2, 1]);
        // "FailoverPriority with Failover": 10,2,13,9,3,14 -> 3,0,4,2,1,5.
        assert_eq!(compact(&[10, 2, 13, 9, 3, 14]), [3, 0, 4, 2, 1, 5]);
    }

    #[test]
    fn locality_patterns_match_like_istio() {
        let l = Locality::new("r1", "z1", "sz1");
        assert!(locality_matches(&l, "r1/z1/sz1"));
        assert!(locality_matches(&l, "r1/z1/*"));
        assert!(locality_matches(&l, "r1"));
        assert!(locality_matches(&l, "*"));
        assert!(!locality_matches(&l, "r1/z2"));
        assert!(!locality_matches(&l, "r2/*"));
    }
}
