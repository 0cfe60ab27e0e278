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
use super::Overlay;
use super::candidates::Candidate;
use crate::explain::{DropReason, DroppedEndpoint};
use crate::model::HealthStatus;

/// The candidates istiod considers at all, each with its health under `overlay`: terminating
/// and draining pods are dropped, with their reasons.
pub(crate) fn admitted<'c, 'a>(
    candidates: &'c [Candidate<'a>],
    overlay: &Overlay<'_>,
    dropped: &mut Vec<DroppedEndpoint>,
) -> Vec<(&'c Candidate<'a>, HealthStatus)> {
    let mut kept = Vec::with_capacity(candidates.len());
    for c in candidates {
        let health = if overlay.unready(c.source) {
            HealthStatus::Unhealthy
        } else {
            c.health
        };
        if c.terminating {
            dropped.push(c.drop(
                DropReason::Terminating,
                "terminating pod: istiod never sends it".into(),
            ));
            continue;
        }
        if health == HealthStatus::Draining {
            dropped.push(c.drop(
                DropReason::NotReady,
                "draining pod: istiod sends it only for Services labelled istio.io/persistent-session".into(),
            ));
            continue;
        }
        kept.push((c, health));
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
