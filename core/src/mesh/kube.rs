//! How istiod reads Kubernetes objects into its endpoints: the rules a `kubectl` dump import
//! (meshlb-formats' `kube` module) applies, kept here with the other mesh rules.
//!
//! Sources: istio/istio `pilot/pkg/serviceregistry/kube/controller/endpointslice.go`
//! (`endpointHealthStatus`, `updateEndpointCacheForSlice`), `pilot/pkg/features`
//! (`PILOT_PERSISTENT_SESSION_LABEL`, default `istio.io/persistent-session`), and Kubernetes'
//! `discovery.k8s.io/v1` `EndpointConditions` (kubernetes/website
//! `content/en/docs/concepts/services-networking/endpoint-slices.md`, "Conditions").

use crate::model::HealthStatus;

/// The Service label that turns on persistent sessions, and with them DRAINING endpoints
/// (istio/istio `pilot/pkg/features/pilot.go` `PersistentSessionLabel`, env
/// `PILOT_PERSISTENT_SESSION_LABEL`, default `istio.io/persistent-session`).
pub const PERSISTENT_SESSION_LABEL: &str = "istio.io/persistent-session";

/// `endpoints[].conditions` of an EndpointSlice, as written (`None`: the field is absent).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EndpointConditions {
    /// `ready`: the endpoint is ready for new traffic (false while terminating).
    pub ready: Option<bool>,
    /// `serving`: the same, but kept while terminating.
    pub serving: Option<bool>,
    /// `terminating`: the endpoint is shutting down.
    pub terminating: Option<bool>,
}

/// What istiod makes of an EndpointSlice endpoint: its health, and whether it is terminating
/// (istiod never sends a terminating endpoint; the scenario's `terminating: true`).
///
/// istio/istio `endpointslice.go` `endpointHealthStatus`:
/// 1. `ready` absent or true → HEALTHY;
/// 2. not ready, the Service carries the persistent-session label, `serving` and `terminating`
///    not false → DRAINING;
/// 3. not ready and `terminating` not false (absent counts) → Terminating;
/// 4. otherwise UNHEALTHY (whether it is sent depends on the Istio version: shared/SEMANTICS.md
///    B2, applied by discovery).
#[must_use]
pub fn endpoint_slice_health(
    conditions: EndpointConditions,
    persistent_session: bool,
) -> (HealthStatus, bool) {
    let not_false = |c: Option<bool>| c != Some(false);
    if not_false(conditions.ready) {
        return (HealthStatus::Healthy, false);
    }
    if persistent_session && not_false(conditions.serving) && not_false(conditions.terminating) {
        return (HealthStatus::Draining, false);
    }
    if not_false(conditions.terminating) {
        return (HealthStatus::Unhealthy, true);
    }
    (HealthStatus::Unhealthy, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(
        ready: Option<bool>,
        serving: Option<bool>,
        terminating: Option<bool>,
    ) -> EndpointConditions {
        EndpointConditions {
            ready,
            serving,
            terminating,
        }
    }

    #[test]
    fn conditions_map_as_istiod_reads_them() {
        let t = Some(true);
        let f = Some(false);
        assert_eq!(
            endpoint_slice_health(c(None, None, None), false),
            (HealthStatus::Healthy, false)
        );
        assert_eq!(
            endpoint_slice_health(c(t, t, f), false),
            (HealthStatus::Healthy, false)
        );
        // A pod that is not ready yet.
        assert_eq!(
            endpoint_slice_health(c(f, f, f), false),
            (HealthStatus::Unhealthy, false)
        );
        // A pod shutting down: terminating, still serving.
        assert_eq!(
            endpoint_slice_health(c(f, t, t), false),
            (HealthStatus::Unhealthy, true)
        );
        // An absent `terminating` counts as terminating.
        assert_eq!(
            endpoint_slice_health(c(f, None, None), false),
            (HealthStatus::Unhealthy, true)
        );
        // Persistent sessions keep a terminating, serving pod as DRAINING.
        assert_eq!(
            endpoint_slice_health(c(f, t, t), true),
            (HealthStatus::Draining, false)
        );
        assert_eq!(
            endpoint_slice_health(c(f, f, t), true),
            (HealthStatus::Unhealthy, true)
        );
    }
}
