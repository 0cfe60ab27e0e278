//! Health: which candidates istiod sends given their readiness, and with which health status.
//!
//! - A terminating pod is never sent; a draining one only for Services labelled
//!   `istio.io/persistent-session` (which meshlb does not model).
//! - A not-ready pod (meshlb: `UNHEALTHY`) is sent as UNHEALTHY since Istio 1.31, unless the
//!   destination's merged DestinationRule policy has `outlierDetection.minHealthPercent > 0`;
//!   Istio 1.30 does not send it. A Service whose traffic distribution forces failover sends
//!   it either way.
//!
//! Sources: istio/istio `pilot/pkg/xds/endpoints/endpoint_builder.go` (`filterIstioEndpoint`,
//! `supportsUnhealthyEndpoints`, `SendUnhealthyEndpoints`); shared/SEMANTICS.md B2;
//! shared/research/istio.md §2b, §4.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::super::model::{IstioVersion, TrafficPolicy};
use super::candidates::Candidate;
use crate::explain::{DropReason, DroppedEndpoint};
use crate::model::HealthStatus;

/// The candidates istiod considers at all: terminating and draining pods are dropped, with
/// their reasons.
pub(crate) fn admitted(
    candidates: Vec<Candidate>,
    dropped: &mut Vec<DroppedEndpoint>,
) -> Vec<Candidate> {
    let mut kept = Vec::new();
    for c in candidates {
        let e = &c.endpoint;
        let drop = |reason, message: String| DroppedEndpoint {
            address: e.address.clone(),
            port: e.port,
            cluster: Some(e.cluster.clone()),
            reason,
            message,
        };
        if c.terminating {
            dropped.push(drop(
                DropReason::Terminating,
                "terminating pod: istiod never sends it".into(),
            ));
            continue;
        }
        if e.health == HealthStatus::Draining {
            dropped.push(drop(
                DropReason::NotReady,
                "draining pod: istiod sends it only for Services labelled istio.io/persistent-session".into(),
            ));
            continue;
        }
        kept.push(c);
    }
    kept
}

/// Whether a destination with merged policy `policy` sends its not-ready endpoints (as
/// UNHEALTHY); `forced` when the Service's traffic distribution forces failover. Err: why
/// they are held back, as the drop's sentence.
pub(crate) fn sends_unready(
    policy: &TrafficPolicy,
    forced: bool,
    version: IstioVersion,
) -> Result<(), String> {
    let min_health = policy
        .outlier_detection
        .as_ref()
        .and_then(|o| o.min_health_percent)
        .unwrap_or(0);
    if forced || (version == IstioVersion::V1_31 && min_health <= 0) {
        return Ok(());
    }
    Err(if version == IstioVersion::V1_30 {
        "not-ready pod: Istio 1.30 does not send unready endpoints".to_string()
    } else {
        format!(
            "not-ready pod: not sent because outlierDetection.minHealthPercent is {min_health} (> 0)"
        )
    })
}
