//! Envoy's admin `/clusters?format=json` (`envoy.admin.v3.Clusters`), which is also what
//! `istioctl proxy-config endpoint POD -o json` prints: each cluster's hosts as the running
//! Envoy sees them, with health flags instead of an EDS status.
//!
//! Health, as Envoy's load balancer sees a host (`HostImplBase::coarseHealth`,
//! `source/common/upstream/upstream_impl.h`; flags in `envoy/upstream/upstream.h`; the admin
//! handler fills `eds_health_status` from the flags, `clusters_handler.cc`):
//! - **unhealthy** when `failed_active_health_check`, `failed_outlier_check`, or
//!   `eds_health_status` `UNHEALTHY`/`TIMEOUT` (flag `FAILED_EDS_HEALTH`) or `DRAINING` (flag
//!   `EDS_STATUS_DRAINING`) is set;
//! - else **degraded** when `failed_active_degraded_check` or `eds_health_status` `DEGRADED`;
//! - else **healthy** (`pending_dynamic_removal` alone keeps a host healthy: it takes traffic
//!   until removed).
//! - `pending_active_hc`, `excluded_via_immediate_hc_fail` and `DRAINING` also **exclude** the
//!   host: Envoy leaves excluded hosts out of the counts priority health and locality weights
//!   are computed from (`excludeBasedOnHealthFlag`), and never picks them outside panic. meshlb
//!   leaves them out of the assignment and names them in a note.
//!
//! The output has no load-balancing policy and no locality weights: the cluster is explained
//! as ROUND_ROBIN without locality weighting, and a note says so.

use super::resource::{Parser, Place, array, health_status, string};
use crate::error::InputError;
use crate::path::Path;
use crate::tree::Node;
use meshlb::{Endpoint, HealthStatus, LoadAssignment, LocalityEndpoints};
use meshlb::{Note, NoteCode};

/// One `ClusterStatus`: its name and the assignment its hosts make.
#[derive(Debug)]
pub(super) struct ClusterStatus {
    pub(super) name: String,
    pub(super) assignment: LoadAssignment,
    pub(super) groups: Vec<(Place, Vec<Place>)>,
    pub(super) notes: Vec<Note>,
}

/// `Clusters.cluster_statuses[i]`.
pub(super) fn cluster_status(value: &Node, path: &Path) -> Result<ClusterStatus, InputError> {
    let mut parser = Parser::default();
    let f = parser.object(
        value,
        path,
        "ClusterStatus",
        &["name", "host_statuses", "eds_service_name"],
        &[
            "added_via_api",
            "success_rate_ejection_threshold",
            "local_origin_success_rate_ejection_threshold",
            "circuit_breakers",
            "observability_name",
        ],
    )?;
    let (n, np) = f.require("name", "the cluster's name")?;
    let name = string(n, &np)?;
    if let Some((v, p)) = f.get("eds_service_name") {
        string(v, &p)?;
    }
    let mut assignment = LoadAssignment::default();
    let mut groups: Vec<(Place, Vec<Place>)> = Vec::new();
    let mut excluded = Vec::new();
    if let Some((hosts, hp)) = f.get("host_statuses") {
        for (i, host) in array(hosts, &hp)?.iter().enumerate() {
            let p = hp.index(i);
            let (endpoint, locality, priority, exclude) = host_status(&mut parser, host, &p)?;
            if exclude {
                excluded.push(meshlb::endpoint_address(&endpoint.address, endpoint.port));
                continue;
            }
            // Hosts are listed per priority and locality, in order: consecutive hosts of one
            // (priority, locality) form one group.
            let same = assignment
                .localities
                .last()
                .is_some_and(|g| g.priority == priority && g.locality == locality);
            if !same {
                assignment.localities.push(LocalityEndpoints {
                    locality,
                    weight: None,
                    priority,
                    endpoints: Vec::new(),
                });
                groups.push(((p.clone(), host.line), Vec::new()));
            }
            if let (Some(group), Some((_, places))) =
                (assignment.localities.last_mut(), groups.last_mut())
            {
                group.endpoints.push(endpoint);
                places.push((p, host.line));
            }
        }
    }
    parser.note(NoteCode::Input, "/clusters output carries no load-balancing policy and no locality weights: meshlb explains the hosts as ROUND_ROBIN without locality weighting (the cluster's configuration is in /config_dump)");
    if !excluded.is_empty() {
        parser.note(NoteCode::Input, format!(
            "excluded by Envoy (pending its first health check, excluded by an immediate health-check failure, or draining), so left out: {}",
            excluded.join(", ")
        ));
    }
    Ok(ClusterStatus {
        name,
        assignment,
        groups,
        notes: parser.finish(),
    })
}

/// One `HostStatus`: the endpoint (weight and health as Envoy sees it), its locality and
/// priority, and whether Envoy excludes it.
fn host_status(
    parser: &mut Parser,
    value: &Node,
    path: &Path,
) -> Result<(Endpoint, meshlb::Locality, u32, bool), InputError> {
    let f = parser.object(
        value,
        path,
        "HostStatus",
        &["address", "health_status", "weight", "priority", "locality"],
        &[
            "stats",
            "success_rate",
            "hostname",
            "local_origin_success_rate",
        ],
    )?;
    let (av, ap) = f.require("address", "the host's address")?;
    let (address, port) = parser.address(av, &ap)?;
    let mut endpoint = Endpoint::new(&address, port);
    if let Some((v, p)) = f.get("weight") {
        // The handler prints the weight Envoy uses, at least 1 (`HostImplBase::weight`).
        endpoint.weight = (v.uint(&p, u64::from(u32::MAX))? as u32).max(1);
    }
    let mut priority = 0;
    if let Some((v, p)) = f.get("priority") {
        let n = v.uint(&p, u64::from(meshlb::MAX_PRIORITY))?;
        priority = n as u32;
    }
    let mut locality = meshlb::Locality::default();
    if let Some((v, p)) = f.get("locality") {
        locality = parser.locality(v, &p)?;
    }
    let mut exclude = false;
    if let Some((v, p)) = f.get("health_status") {
        let hf = parser.object(
            v,
            &p,
            "HostHealthStatus",
            &[
                "failed_active_health_check",
                "failed_outlier_check",
                "failed_active_degraded_check",
                "pending_dynamic_removal",
                "pending_active_hc",
                "excluded_via_immediate_hc_fail",
                "active_hc_timeout",
                "eds_health_status",
                "failed_degraded_outlier_detection",
            ],
            &[],
        )?;
        let flag = |name: &str| -> Result<bool, InputError> {
            match hf.get(name) {
                Some((v, p)) => match v.value {
                    crate::tree::Value::Bool(b) => Ok(b),
                    _ => Err(InputError::at(
                        &p,
                        format!("expected true or false, found {}", v.kind()),
                    )),
                },
                None => Ok(false),
            }
        };
        let eds = match hf.get("eds_health_status") {
            Some((v, p)) => health_status(v, &p)?,
            None => HealthStatus::Healthy,
        };
        let unhealthy = flag("failed_active_health_check")?
            || flag("failed_outlier_check")?
            || matches!(
                eds,
                HealthStatus::Unhealthy | HealthStatus::Timeout | HealthStatus::Draining
            );
        let degraded = flag("failed_active_degraded_check")?
            || flag("failed_degraded_outlier_detection")?
            || eds == HealthStatus::Degraded;
        exclude = flag("pending_active_hc")?
            || flag("excluded_via_immediate_hc_fail")?
            || eds == HealthStatus::Draining;
        flag("pending_dynamic_removal")?;
        flag("active_hc_timeout")?;
        endpoint.health = if unhealthy {
            HealthStatus::Unhealthy
        } else if degraded {
            HealthStatus::Degraded
        } else {
            HealthStatus::Healthy
        };
    }
    Ok((endpoint, locality, priority, exclude))
}
