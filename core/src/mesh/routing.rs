//! What a client's proxy is configured with before any endpoint is chosen: the `Sidecar` scope
//! (which hosts it imports, its outbound traffic policy) and the VirtualService HTTP route a
//! request takes.
//!
//! Sources: istio/istio `pilot/pkg/model/push_context.go` (`getSidecarScope`),
//! `pilot/pkg/model/sidecar.go` (`convertToSidecarScope`, `convertIstioListenerToWrapper`,
//! `selectServices`, `matchingService`), `pilot/pkg/networking/core/route/route.go`
//! (`BuildHTTPRoutesForVirtualService`, `sourceMatchHTTP`, `translateRouteMatch`,
//! `translateHeaderMatch`, `translateQueryParamMatch`), and the Istio reference pages
//! <https://istio.io/latest/docs/reference/config/networking/sidecar/> and
//! <https://istio.io/latest/docs/reference/config/networking/virtual-service/#HTTPMatchRequest>.

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::model::{
    HttpMatch, HttpRoute, Labels, OutboundTrafficMode, RequestSpec, Resource, Sidecar, StringMatch,
    VirtualService,
};
use super::regex::Regex;

/// The gateway name that stands for every sidecar (`constants.IstioMeshGateway`).
pub const MESH_GATEWAY: &str = "mesh";

/// The `Sidecar` that configures a proxy in `namespace` with `labels` (`getSidecarScope`):
/// the first Sidecar of the namespace whose `workloadSelector` the proxy's labels satisfy
/// (istiod puts selector Sidecars first), else the namespace's Sidecar without a selector,
/// else the Sidecar without a selector in the root namespace (the mesh default), else none
/// (everything is imported).
#[must_use]
pub fn client_sidecar<'a>(
    resources: &[&'a Resource],
    namespace: &str,
    labels: &Labels,
    root_namespace: &str,
) -> Option<&'a Sidecar> {
    let sidecars: Vec<&Sidecar> = resources
        .iter()
        .filter_map(|r| match r {
            Resource::Sidecar(s) => Some(s),
            _ => None,
        })
        .collect();
    let find = |ns: &str, selector: bool| {
        sidecars.iter().copied().find(|s| {
            s.metadata.namespace == ns
                && match &s.workload_selector {
                    Some(sel) => selector && sel.iter().all(|(k, v)| labels.get(k) == Some(v)),
                    None => !selector,
                }
        })
    };
    find(namespace, true)
        .or_else(|| find(namespace, false))
        .or_else(|| find(root_namespace, false))
}

/// The egress host of `sidecar` that imports `host` (of a service in `service_namespace`) on
/// `port` for a proxy in `client_namespace`, or None.
///
/// `selectServices`/`matchingService` (sidecar.go): each `namespace/dnsName` entry imports the
/// services of that namespace (`.` is the proxy's namespace, also for the root namespace's
/// Sidecar, which istiod converts per proxy namespace; `*` every namespace; `~` none) whose
/// hostname matches `dnsName` (`*` every host, `*.suffix` a suffix, else the exact FQDN). An
/// egress listener with a `port` imports a service only on that port. A Sidecar without
/// `egress` imports `*/*`.
#[must_use]
pub fn imported_by(
    sidecar: &Sidecar,
    host: &str,
    service_namespace: &str,
    client_namespace: &str,
    port: u16,
) -> Option<String> {
    if sidecar.egress.is_empty() {
        return Some("*/* (no egress listener: Istio's default)".into());
    }
    for listener in &sidecar.egress {
        if listener.port.is_some_and(|p| p != port) {
            continue;
        }
        for entry in &listener.hosts {
            let Some((ns, name)) = entry.split_once('/') else {
                continue;
            };
            let ns_ok = match ns {
                "*" => true,
                "." => service_namespace == client_namespace,
                "~" => false,
                other => other == service_namespace,
            };
            if ns_ok && dns_matches(name, host) {
                return Some(entry.clone());
            }
        }
    }
    None
}

/// `host.Name.Matches` for an imported name: `*`, `*.suffix` (not the bare suffix), or exact.
fn dns_matches(pattern: &str, host: &str) -> bool {
    pattern == "*"
        || pattern == host
        || pattern
            .strip_prefix('*')
            .is_some_and(|suffix| suffix.starts_with('.') && host.ends_with(suffix))
}

/// Where a request for a host the proxy has no cluster for goes, as a sentence
/// (Sidecar `OutboundTrafficPolicy`: ALLOW_ANY → PassthroughCluster, REGISTRY_ONLY →
/// BlackHoleCluster).
#[must_use]
pub fn outbound_note(mode: OutboundTrafficMode, from: &str) -> String {
    match mode {
        OutboundTrafficMode::AllowAny => format!(
            "under outboundTrafficPolicy ALLOW_ANY ({from}) the request leaves through the PassthroughCluster to its original destination IP (for a Kubernetes Service, its cluster IP: kube-proxy, not Envoy, then picks the pod)"
        ),
        OutboundTrafficMode::RegistryOnly => format!(
            "under outboundTrafficPolicy REGISTRY_ONLY ({from}) the request goes to the BlackHoleCluster: Envoy answers 502"
        ),
    }
}

/// A request as the route table sees it.
#[derive(Debug)]
pub struct HttpRequest<'a> {
    /// Path without the query string.
    pub path: &'a str,
    /// Query parameters in order.
    pub query: Vec<(&'a str, &'a str)>,
    /// Method.
    pub method: &'a str,
    /// Headers (lower-case names).
    pub headers: &'a Labels,
    /// Destination port.
    pub port: u16,
}

impl<'a> HttpRequest<'a> {
    /// The request of a scenario: path `/` and method `GET` unless given.
    #[must_use]
    pub fn new(spec: &'a RequestSpec, port: u16) -> Self {
        let full = spec.path.as_deref().unwrap_or("/");
        let (path, query) = full.split_once('?').unwrap_or((full, ""));
        let query = query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| p.split_once('=').unwrap_or((p, "")))
            .collect();
        Self {
            path,
            query,
            method: spec.method.as_deref().unwrap_or("GET"),
            headers: &spec.headers,
            port,
        }
    }
}

/// Envoy's `StringMatcher` on a present value: exact, prefix, or a full-string RE2 match.
/// `ignore_case` applies to exact and prefix only (Envoy's `case_sensitive` does not apply to
/// `safe_regex`), and folds ASCII letters only, as Envoy's `absl::EqualsIgnoreCase` and
/// `absl::StartsWithIgnoreCase` do.
fn string_matches(m: &StringMatch, value: &str, ignore_case: bool) -> bool {
    match m {
        StringMatch::Exact(x) if ignore_case => x.eq_ignore_ascii_case(value),
        StringMatch::Prefix(x) if ignore_case => value
            .as_bytes()
            .get(..x.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(x.as_bytes())),
        StringMatch::Exact(x) => x == value,
        StringMatch::Prefix(x) => value.starts_with(x.as_str()),
        // Validation compiled every regex; one that does not compile matches nothing.
        StringMatch::Regex(r) => Regex::new(r).is_ok_and(|re| re.full_match(value)),
    }
}

/// A header condition (`translateHeaderMatch`): `{}` is a presence match; a string match needs
/// the header present.
fn header_matches(cond: Option<&StringMatch>, value: Option<&str>) -> bool {
    match (cond, value) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(m), Some(v)) => string_matches(m, v, false),
    }
}

/// Headers Istio ignores in `headers` (they have their own fields).
const PSEUDO: &[&str] = &["uri", "scheme", "method", "authority"];

/// Why a match block does not apply to the proxy at all (`sourceMatchHTTP`, evaluated when
/// istiod builds the proxy's routes): with `gateways` set, only whether it names `mesh`; else
/// `sourceLabels` must be a subset of the proxy's labels (its own plus the topology labels
/// istiod adds: `pilot/pkg/xds/ads.go` `setTopologyLabels`) and `sourceNamespace` its namespace.
#[must_use]
pub fn proxy_mismatch(
    m: &HttpMatch,
    vs_gateways: &[String],
    proxy_labels: &Labels,
    proxy_namespace: &str,
) -> Option<String> {
    if !m.gateways.is_empty() {
        return (!m.gateways.iter().any(|g| g == MESH_GATEWAY))
            .then(|| format!("its gateways {:?} do not include mesh", m.gateways));
    }
    if !vs_gateways.is_empty() && !vs_gateways.iter().any(|g| g == MESH_GATEWAY) {
        return Some(format!(
            "the VirtualService's gateways {vs_gateways:?} do not include mesh"
        ));
    }
    if let Some((k, v)) = m
        .source_labels
        .iter()
        .find(|(k, v)| proxy_labels.get(*k) != Some(v))
    {
        return Some(format!(
            "sourceLabels {k}={v} is not a label of the client ({})",
            proxy_labels.get(k).map_or_else(
                || "it has none".to_string(),
                |have| format!("it has {k}={have}")
            )
        ));
    }
    match &m.source_namespace {
        Some(ns) if ns != proxy_namespace => Some(format!(
            "sourceNamespace {ns} is not the client's namespace {proxy_namespace}"
        )),
        _ => None,
    }
}

/// Why a match block does not match the request (the Envoy route match Istio builds:
/// `translateRouteMatch`), or None when every condition holds (they are ANDed).
#[must_use]
pub fn request_mismatch(m: &HttpMatch, r: &HttpRequest<'_>) -> Option<String> {
    if let Some(p) = m.port
        && p != r.port
    {
        return Some(format!("port {p} is not the request's port {}", r.port));
    }
    if let Some(uri) = &m.uri
        && !string_matches(uri, r.path, m.ignore_uri_case)
    {
        return Some(format!(
            "uri {} does not match path {:?}",
            describe(uri),
            r.path
        ));
    }
    if let Some(method) = &m.method
        && !string_matches(method, r.method, false)
    {
        return Some(format!(
            "method {} does not match {:?}",
            describe(method),
            r.method
        ));
    }
    for (name, cond) in &m.headers {
        if PSEUDO.contains(&name.as_str()) {
            continue;
        }
        let value = r.headers.get(name).map(String::as_str);
        if !header_matches(cond.as_ref(), value) {
            return Some(format!(
                "header {name} {} is not satisfied ({})",
                cond.as_ref()
                    .map_or_else(|| "(present)".to_string(), describe),
                value.map_or_else(|| "absent".to_string(), |v| format!("{v:?}"))
            ));
        }
    }
    for (name, cond) in &m.without_headers {
        let value = r.headers.get(name).map(String::as_str);
        if header_matches(cond.as_ref(), value) {
            return Some(format!(
                "withoutHeaders {name} {} holds",
                cond.as_ref()
                    .map_or_else(|| "(present)".to_string(), describe)
            ));
        }
    }
    for (name, cond) in &m.query_params {
        let value = r.query.iter().find(|(k, _)| k == name).map(|(_, v)| *v);
        // `{exact: ""}` and `{}` check presence only.
        let present_only = x_is_empty(cond.as_ref());
        let ok = match (value, cond) {
            (None, _) => false,
            (Some(_), _) if present_only => true,
            (Some(v), Some(m)) => string_matches(m, v, false),
            (Some(_), None) => true,
        };
        if !ok {
            return Some(format!(
                "query parameter {name} {} is not satisfied",
                cond.as_ref()
                    .map_or_else(|| "(present)".to_string(), describe)
            ));
        }
    }
    None
}

fn x_is_empty(m: Option<&StringMatch>) -> bool {
    match m {
        None => true,
        Some(StringMatch::Exact(x)) => x.is_empty(),
        Some(_) => false,
    }
}

/// `exact "v1"`, `prefix "/api"`, `regex "v[0-9]"`.
#[must_use]
pub fn describe(m: &StringMatch) -> String {
    match m {
        StringMatch::Exact(x) => format!("exact {x:?}"),
        StringMatch::Prefix(x) => format!("prefix {x:?}"),
        StringMatch::Regex(x) => format!("regex {x:?}"),
    }
}

/// A match block's conditions, for a note.
#[must_use]
pub fn describe_match(m: &HttpMatch) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &m.name {
        parts.push(format!("name {n}"));
    }
    if let Some(u) = &m.uri {
        parts.push(format!(
            "uri {}{}",
            describe(u),
            if m.ignore_uri_case {
                " (ignoreUriCase)"
            } else {
                ""
            }
        ));
    }
    if let Some(x) = &m.method {
        parts.push(format!("method {}", describe(x)));
    }
    for (k, c) in &m.headers {
        parts.push(format!(
            "header {k} {}",
            c.as_ref().map_or_else(|| "present".to_string(), describe)
        ));
    }
    for (k, c) in &m.without_headers {
        parts.push(format!(
            "without header {k} {}",
            c.as_ref().map_or_else(|| "present".to_string(), describe)
        ));
    }
    for (k, c) in &m.query_params {
        parts.push(format!(
            "query {k} {}",
            c.as_ref().map_or_else(|| "present".to_string(), describe)
        ));
    }
    if let Some(p) = m.port {
        parts.push(format!("port {p}"));
    }
    if !m.source_labels.is_empty() {
        parts.push(format!(
            "sourceLabels {}",
            m.source_labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        ));
    }
    if let Some(ns) = &m.source_namespace {
        parts.push(format!("sourceNamespace {ns}"));
    }
    if !m.gateways.is_empty() {
        parts.push(format!("gateways {}", m.gateways.join(",")));
    }
    if parts.is_empty() {
        "no conditions".into()
    } else {
        parts.join(", ")
    }
}

/// The route a request takes through `vs` (`BuildHTTPRoutesForVirtualService`): routes in
/// order, each match block of a route in order; the first block that applies to the proxy and
/// matches the request wins, as in Envoy's route table; a route without `match` matches every
/// request (and istiod stops there). Returns the route's index and a sentence saying why it
/// matched, or None (no route: Envoy answers 404) with the reasons collected in `why_not`.
#[must_use]
pub fn select_route<'v>(
    vs: &'v VirtualService,
    proxy_labels: &Labels,
    proxy_namespace: &str,
    request: &HttpRequest<'_>,
    why_not: &mut Vec<String>,
) -> Option<(usize, &'v HttpRoute, String)> {
    let label = |i: usize, r: &HttpRoute| match &r.name {
        Some(n) => format!("http[{i}] ({n})"),
        None => format!("http[{i}]"),
    };
    for (i, route) in vs.http.iter().enumerate() {
        if route.matches.is_empty() {
            return Some((
                i,
                route,
                format!(
                    "{} has no match conditions: it takes every request",
                    label(i, route)
                ),
            ));
        }
        for (j, m) in route.matches.iter().enumerate() {
            if let Some(why) = proxy_mismatch(m, &vs.gateways, proxy_labels, proxy_namespace) {
                why_not.push(format!(
                    "{} match[{j}] is not in the client's route table: {why}",
                    label(i, route)
                ));
                continue;
            }
            if let Some(why) = request_mismatch(m, request) {
                why_not.push(format!("{} match[{j}]: {why}", label(i, route)));
                continue;
            }
            return Some((
                i,
                route,
                format!(
                    "{} match[{j}] matches the request ({})",
                    label(i, route),
                    describe_match(m)
                ),
            ));
        }
    }
    None
}

/// Whether a VirtualService applies to sidecars at all: its `gateways` is empty (meaning
/// `mesh`) or names `mesh`.
#[must_use]
pub fn applies_to_sidecars(vs: &VirtualService) -> bool {
    vs.gateways.is_empty() || vs.gateways.iter().any(|g| g == MESH_GATEWAY)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mesh::model::{Metadata, SidecarEgress};
    use alloc::vec;

    fn sidecar(hosts: &[&str], port: Option<u16>) -> Sidecar {
        Sidecar {
            metadata: Metadata {
                name: "s".into(),
                namespace: "ns".into(),
            },
            egress: vec![SidecarEgress {
                port,
                hosts: hosts.iter().map(|h| (*h).to_string()).collect(),
            }],
            ..Sidecar::default()
        }
    }

    const HOST: &str = "a.ns.svc.cluster.local";

    #[test]
    fn egress_wildcards() {
        let imports = |hosts: &[&str]| imported_by(&sidecar(hosts, None), HOST, "ns", "ns", 80);
        assert!(imports(&["./*"]).is_some());
        assert!(imports(&["*/*.svc.cluster.local"]).is_some());
        // `*.suffix` needs a label before the suffix: it does not match the suffix itself.
        assert!(
            imported_by(
                &sidecar(&["*/*.ns.svc.cluster.local"], None),
                "ns.svc.cluster.local",
                "ns",
                "ns",
                80
            )
            .is_none()
        );
        assert!(imports(&["~/*"]).is_none());
        assert!(imports(&["other/*"]).is_none());
        // `.` is the client's namespace: a client in `web` does not import ns's host with it.
        assert!(imported_by(&sidecar(&["./*"], None), HOST, "ns", "web", 80).is_none());
        assert!(imported_by(&sidecar(&["*/*"], Some(81)), HOST, "ns", "ns", 80).is_none());
        assert!(imported_by(&Sidecar::default(), HOST, "ns", "ns", 80).is_some());
    }

    #[test]
    fn first_matching_block_wins() {
        let route = |uri: &str, subset: &str| HttpRoute {
            name: Some(subset.into()),
            has_match: true,
            matches: vec![HttpMatch {
                uri: Some(StringMatch::Prefix(uri.into())),
                ..HttpMatch::default()
            }],
            route: Vec::new(),
        };
        let vs = VirtualService {
            http: vec![route("/a", "first"), route("/a/b", "second")],
            ..VirtualService::default()
        };
        let spec = RequestSpec {
            path: Some("/a/b/c".into()),
            ..RequestSpec::default()
        };
        let request = HttpRequest::new(&spec, 80);
        let mut why_not = Vec::new();
        let chosen = select_route(&vs, &Labels::new(), "ns", &request, &mut why_not);
        assert_eq!(chosen.map(|(i, _, _)| i), Some(0));
        let spec = RequestSpec {
            path: Some("/z".into()),
            ..RequestSpec::default()
        };
        let request = HttpRequest::new(&spec, 80);
        assert!(select_route(&vs, &Labels::new(), "ns", &request, &mut why_not).is_none());
        assert_eq!(why_not.len(), 2);
    }
}
