//! Subsets: the route's destinations (a VirtualService's weighted HTTP route over
//! DestinationRule subsets, else the whole service) and which endpoints each subset selects.
//! Each destination is its own Envoy cluster (`outbound|port|subset|host`) with its own
//! endpoints and merged policy.
//!
//! Sources: istio/istio `pilot/pkg/networking/core/route/route.go` (`TranslateRoute`,
//! `processWeightedDestination`: one destination gets the whole route, several split by weight,
//! weight-0 destinations are dropped; `GetDestinationCluster`);
//! `pilot/pkg/xds/endpoints/endpoint_builder.go` (an endpoint is in a subset iff the subset's
//! labels are a subset of its labels, topology labels included); Istio reference
//! "Destination Rule", `Subset` (<https://istio.io/latest/docs/reference/config/networking/destination-rule/#Subset>).
//! shared/SEMANTICS.md B3; shared/research/istio.md §9.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::super::model::{Labels, Subset, VirtualService};
use super::super::routing;
use super::candidates::Candidate;
use super::qualify;
use crate::note::{Note, NoteCode};

/// The route's destinations for `host`: (subset, weight) from the first HTTP route of the
/// VirtualService that matches the request ([`routing::select_route`]), or one destination
/// without a subset when no VirtualService applies. None when a VirtualService applies and no
/// route matches: Envoy's route table answers 404 (`NR`).
pub(crate) fn routes(
    vs: Option<&VirtualService>,
    host: &str,
    proxy_labels: &Labels,
    proxy_namespace: &str,
    request: &routing::HttpRequest<'_>,
    notes: &mut Vec<Note>,
) -> Option<Vec<(Option<String>, u32)>> {
    let Some(vs) = vs else {
        return Some(alloc::vec![(None, 100)]);
    };
    if vs.http.is_empty() {
        notes.push(Note::new(
            NoteCode::Route,
            format!(
                "VirtualService {}/{} has no http route: the default route applies",
                vs.metadata.namespace, vs.metadata.name
            ),
        ));
        return Some(alloc::vec![(None, 100)]);
    }
    let mut why_not = Vec::new();
    let Some((_, route, why)) =
        routing::select_route(vs, proxy_labels, proxy_namespace, request, &mut why_not)
    else {
        notes.push(Note::new(NoteCode::Route, format!(
            "no http route of VirtualService {}/{} matches the request ({} {}{}): Envoy's route table answers 404 (NR)",
            vs.metadata.namespace,
            vs.metadata.name,
            request.method,
            request.path,
            if request.port == 0 { String::new() } else { format!(" on port {}", request.port) }
        )));
        notes.extend(
            why_not
                .into_iter()
                .map(|why| Note::new(NoteCode::Route, why)),
        );
        return None;
    };
    notes.extend(
        why_not
            .into_iter()
            .map(|why| Note::new(NoteCode::Route, why)),
    );
    notes.push(Note::new(
        NoteCode::Route,
        format!(
            "VirtualService {}/{}: {why}",
            vs.metadata.namespace, vs.metadata.name
        ),
    ));
    let mut out = Vec::new();
    for d in &route.route {
        if qualify(&d.host, &vs.metadata.namespace) != host && d.host != host {
            notes.push(Note::new(
                NoteCode::Route,
                format!(
                    "route destination {} is another host: its share is not explained here",
                    d.host
                ),
            ));
            continue;
        }
        let weight = if route.route.len() == 1 {
            100
        } else {
            d.weight.unwrap_or(0).clamp(0, i64::from(u32::MAX)) as u32
        };
        if weight == 0 && route.route.len() > 1 {
            continue;
        }
        out.push((d.subset.clone(), weight));
    }
    notes.push(Note::new(
        NoteCode::Route,
        format!(
            "VirtualService {}/{} routes {}",
            vs.metadata.namespace,
            vs.metadata.name,
            out.iter()
                .map(|(s, w)| format!(
                    "{w} to {}",
                    s.as_deref()
                        .map_or_else(|| "the service".to_string(), |s| format!("subset {s}"))
                ))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ));
    if out.is_empty() {
        out.push((None, 100));
    }
    Some(out)
}

/// Whether a destination selects `endpoint`: a defined subset selects the endpoints whose
/// labels (topology labels included: [`super::ViewEndpoint::label`]) include all of its labels; the
/// whole service (`exists` without a subset) selects every endpoint; a subset no
/// DestinationRule defines selects none.
pub(crate) fn selects(definition: Option<&Subset>, exists: bool, endpoint: &Candidate<'_>) -> bool {
    match definition {
        Some(def) => def
            .labels
            .iter()
            .all(|(k, v)| endpoint.label(k) == Some(v.as_str())),
        None => exists,
    }
}

/// The note for a route to a subset no DestinationRule for `host` defines.
pub(crate) fn missing_subset_note(subset: Option<&str>, weight: u32, host: &str) -> String {
    format!(
        "the route names subset {:?}, which no DestinationRule for {host} defines: Envoy answers 503 (no cluster) for that {}% of requests",
        subset.unwrap_or(""),
        weight
    )
}

/// Why an endpoint with `labels` (its own) that no routed subset selects is left out.
pub(crate) fn not_in_subset_message(labels: &Labels) -> String {
    format!(
        "labels {} match no routed subset",
        labels
            .iter()
            .filter(|(k, _)| !k.starts_with("topology."))
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(",")
    )
}
