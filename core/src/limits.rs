//! Limits: the most meshlb plans and explains, so that the time and memory one input costs are
//! bounded by its size.
//!
//! meshlb reads files users did not write by hand (dumps, generated configuration). Envoy's and
//! Istio's own validation bounds some values (priority ≤ 128, ring size ≤ 8M, Maglev table ≤
//! 5,000,011, weight sums ≤ `u32::MAX`); those checks live where the value is read. This module
//! holds the limits meshlb adds where Envoy has none, each chosen far above what a real mesh
//! holds and low enough that the worst input meshlb accepts is planned in seconds:
//!
//! | limit | value | why |
//! |---|---|---|
//! | [`MAX_LOCALITIES`] | 65,536 locality groups per assignment | each group is a locality scheduler entry and an explanation row |
//! | [`MAX_HASH_TABLE_ENTRIES`] | 8,388,736 entries over all priorities of one plan, and over the plans of one request's route destinations | Envoy builds one ring (≤ 8M) or Maglev table (≤ 5,000,011) per priority, and up to 129 priorities: 129 × 8M ring entries would need 16 GiB |
//! | [`MAX_CLUSTERS`] | 4,096 clusters per scenario | discovery visits every cluster pair |
//! | [`MAX_LABELS`] | 256 labels per label set | matching compares label sets |
//! | [`MAX_LABEL_KEY_BYTES`], [`MAX_LABEL_VALUE_BYTES`] | 317 and 63 bytes | Kubernetes' own limits on label keys (`prefix/name`: 253 + 1 + 63) and values (63) |
//!
//! The table in `docs/limits.md` lists every limit, with the formats' (input size, nesting
//! depth, documents, workloads) and where each is enforced.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::vec::Vec;

use crate::error::PlanError;
use crate::mesh::ScenarioError;
use crate::mesh::model::{Labels, Resource, Scenario};
use crate::model::{LbConfig, LbPolicy, LoadAssignment, LocalityEndpoints};

/// Most locality groups (`LocalityLbEndpoints`) one assignment may hold.
pub const MAX_LOCALITIES: usize = 1 << 16;

/// Most entries the hash tables (rings or Maglev tables) of all priorities of one plan may hold,
/// counted as [`hash_table_entries_bound`] does: the largest tables any health state could build.
/// 128 priorities at Envoy's default Maglev table (128 × 65,537 = 8,388,736), which is also
/// Envoy's largest ring ([`crate::MAX_RING_SIZE`], 8,388,608) with room for its rounding: all of
/// a plan's tables together hold about as much as Envoy's largest single one, 128 MiB of ring
/// entries. A fuzz input of 132 rings of 65,536 entries (8,650,752) does not fit.
pub const MAX_HASH_TABLE_ENTRIES: u64 = 128 * 65_537;

/// Most clusters one scenario may hold.
pub const MAX_CLUSTERS: usize = 4096;

/// Most labels one label set (a workload's, a client's, a subset's, a selector's) may hold.
pub const MAX_LABELS: usize = 256;

/// Longest label key, in bytes: Kubernetes allows an optional DNS-subdomain prefix of 253 bytes,
/// a `/` and a name of 63 (`apimachinery/pkg/util/validation`, `IsQualifiedName`).
pub const MAX_LABEL_KEY_BYTES: usize = 253 + 1 + 63;

/// Longest label value, in bytes (Kubernetes' `IsValidLabelValue`: at most 63 characters).
pub const MAX_LABEL_VALUE_BYTES: usize = 63;

/// The most entries the hash tables of a plan of `assignment` under `config` can hold, whatever
/// the hosts' health: 0 unless the policy is `RING_HASH` or `MAGLEV`.
///
/// A priority with hosts gets one table (Envoy's `thread_aware_lb_impl.cc` builds one per
/// priority). A Maglev table always has `table_size` entries (`maglev_lb.cc`). A ring has
/// `ceil(scale × Σ w)` entries, `scale = min(ceil(min_w × minimum_ring_size) / min_w,
/// maximum_ring_size)`, where `min_w` is the smallest normalised weight `w` of the hosts it is
/// built from (`ring_hash_lb.cc`); since `ceil(x) < x + 1`, that is below
/// `minimum_ring_size + 1 / min_w + 1` (or the maximum, plus one for the rounding of `Σ w`
/// when there are several hosts), and `1 / min_w` is at most
/// the priority's weight sum over its smallest weight (with locality-weighted LB, the product of
/// that ratio for locality weights and the largest one for endpoint weights within a locality),
/// whichever hosts are healthy.
#[must_use]
pub fn hash_table_entries_bound(assignment: &LoadAssignment, config: &LbConfig) -> u64 {
    if !config.policy.is_hash_based() {
        return 0;
    }
    // The groups with endpoints by priority, in one pass, whatever the priorities' values (the
    // plan refuses those above 128 after this check).
    let mut by_priority: BTreeMap<u32, Vec<&LocalityEndpoints>> = BTreeMap::new();
    for g in assignment
        .localities
        .iter()
        .filter(|g| !g.endpoints.is_empty())
    {
        by_priority.entry(g.priority).or_default().push(g);
    }
    let mut total = 0_u64;
    for list in by_priority.values() {
        let groups = || list.iter().copied();
        let entries = if config.policy == LbPolicy::Maglev {
            config.maglev.table_size
        } else {
            // 1 / min_w, bounded from above.
            let ratio = |weights: &mut dyn Iterator<Item = u64>| {
                let (sum, min) = weights.fold((0_u64, u64::MAX), |(s, m), w| {
                    (s.saturating_add(w), m.min(w))
                });
                if min == 0 || min == u64::MAX {
                    0.0
                } else {
                    sum as f64 / min as f64
                }
            };
            let inverse_min = if config.locality_weighted {
                let localities = ratio(&mut groups().filter_map(|g| g.weight).map(u64::from));
                let within = groups()
                    .filter(|g| g.weight.is_some_and(|w| w > 0))
                    .map(|g| ratio(&mut g.endpoints.iter().map(|e| u64::from(e.weight))))
                    .fold(0.0_f64, f64::max);
                localities * within
            } else {
                ratio(
                    &mut groups()
                        .flat_map(|g| g.endpoints.iter())
                        .map(|e| u64::from(e.weight)),
                )
            };
            let ring = config.ring_hash;
            let bound = ring.minimum_ring_size as f64 + libm::ceil(inverse_min) + 1.0;
            // At the cap the ring has `ceil(maximum_ring_size × Σ w)` entries; with several
            // hosts the normalised weights may sum to a hair over 1 in floating point.
            let hosts: usize = groups().map(|g| g.endpoints.len()).sum();
            let cap = ring.maximum_ring_size + u64::from(hosts > 1);
            if inverse_min == 0.0 {
                0
            } else if bound >= cap as f64 {
                cap
            } else {
                bound as u64
            }
        };
        total = total.saturating_add(entries);
    }
    total
}

/// The plan-stage limits: [`MAX_LOCALITIES`] and [`MAX_HASH_TABLE_ENTRIES`]. `Plan::build`
/// calls this after checking the configuration's values and each group's priority and weight.
///
/// # Errors
/// [`PlanError::TooManyLocalities`], [`PlanError::HashTablesTooLarge`].
pub(crate) fn check_plan(assignment: &LoadAssignment, config: &LbConfig) -> Result<(), PlanError> {
    let count = assignment.localities.len();
    if count > MAX_LOCALITIES {
        return Err(PlanError::TooManyLocalities {
            count,
            max: MAX_LOCALITIES,
        });
    }
    let entries = hash_table_entries_bound(assignment, config);
    if entries > MAX_HASH_TABLE_ENTRIES {
        return Err(PlanError::HashTablesTooLarge {
            entries,
            max: MAX_HASH_TABLE_ENTRIES,
        });
    }
    Ok(())
}

/// Adds the hash-table bound of one route destination's plan to `so_far`, the bound of the
/// route's destinations before it: a request's plans are alive together (one per subset a
/// VirtualService routes to), so [`MAX_HASH_TABLE_ENTRIES`] bounds their sum. `MeshPlan`
/// calls this before building each destination's plan.
///
/// # Errors
/// A [`ScenarioError`] at `config` when the sum passes the limit.
pub(crate) fn check_route_tables(
    so_far: u64,
    assignment: &LoadAssignment,
    config: &LbConfig,
) -> Result<u64, ScenarioError> {
    let total = so_far.saturating_add(hash_table_entries_bound(assignment, config));
    if total > MAX_HASH_TABLE_ENTRIES {
        return Err(ScenarioError::new(
            "config",
            format!(
                "the hash tables of the route's destinations could hold {total} entries, more than meshlb builds for one request ({MAX_HASH_TABLE_ENTRIES}): lower the DestinationRule's ringHash.minimumRingSize or maglev.tableSize, or route to fewer subsets"
            ),
        ));
    }
    Ok(total)
}

/// Checks one label set at `path` against [`MAX_LABELS`], [`MAX_LABEL_KEY_BYTES`] and
/// [`MAX_LABEL_VALUE_BYTES`].
fn check_labels(labels: &Labels, path: &str) -> Result<(), ScenarioError> {
    if labels.len() > MAX_LABELS {
        return Err(ScenarioError::new(
            path,
            format!(
                "{} labels: meshlb reads at most {MAX_LABELS} in one label set",
                labels.len()
            ),
        ));
    }
    for (key, value) in labels {
        if key.len() > MAX_LABEL_KEY_BYTES {
            return Err(ScenarioError::new(
                path,
                format!(
                    "label key of {} bytes: Kubernetes allows at most {MAX_LABEL_KEY_BYTES} (a 253-byte prefix, '/', a 63-byte name)",
                    key.len()
                ),
            ));
        }
        if value.len() > MAX_LABEL_VALUE_BYTES {
            return Err(ScenarioError::new(
                path,
                format!(
                    "label {key:?}: a value of {} bytes; Kubernetes allows at most {MAX_LABEL_VALUE_BYTES}",
                    value.len()
                ),
            ));
        }
    }
    Ok(())
}

/// The scenario limits: [`MAX_CLUSTERS`] and the label limits on every label set.
/// `Scenario::validate` calls this first.
///
/// # Errors
/// A [`ScenarioError`] at the offending list or label.
pub(crate) fn check_scenario(scenario: &Scenario) -> Result<(), ScenarioError> {
    if scenario.clusters.len() > MAX_CLUSTERS {
        return Err(ScenarioError::new(
            "clusters",
            format!(
                "{} clusters: meshlb reads at most {MAX_CLUSTERS} in one scenario",
                scenario.clusters.len()
            ),
        ));
    }
    for (i, w) in scenario.workloads.iter().enumerate() {
        check_labels(&w.labels, &format!("workloads[{i}].labels"))?;
    }
    check_labels(&scenario.client.labels, "client.labels")?;
    for (i, config) in scenario.config.iter().enumerate() {
        for (j, resource) in config.resources.iter().enumerate() {
            let at = format!("config[{i}].resources[{j}]");
            match resource {
                Resource::DestinationRule(dr) => {
                    for (k, subset) in dr.subsets.iter().enumerate() {
                        check_labels(&subset.labels, &format!("{at}.spec.subsets[{k}].labels"))?;
                    }
                }
                Resource::ServiceEntry(se) => {
                    for (k, e) in se.endpoints.iter().enumerate() {
                        check_labels(&e.labels, &format!("{at}.spec.endpoints[{k}].labels"))?;
                    }
                    if let Some(selector) = &se.workload_selector {
                        check_labels(selector, &format!("{at}.spec.workloadSelector.labels"))?;
                    }
                }
                Resource::WorkloadEntry(we) => {
                    check_labels(&we.spec.labels, &format!("{at}.spec.labels"))?;
                }
                Resource::Sidecar(sidecar) => {
                    if let Some(selector) = &sidecar.workload_selector {
                        check_labels(selector, &format!("{at}.spec.workloadSelector.labels"))?;
                    }
                }
                Resource::VirtualService(vs) => {
                    for (k, route) in vs.http.iter().enumerate() {
                        for (m, matched) in route.matches.iter().enumerate() {
                            check_labels(
                                &matched.source_labels,
                                &format!("{at}.spec.http[{k}].match[{m}].sourceLabels"),
                            )?;
                        }
                    }
                }
            }
        }
    }
    Ok(())
}
