//! `--format text`: what a person reads at a glance.

use std::fmt::Write;

use meshlb::{Explanation, LbPolicy, Simulation};

const BAR: usize = 24;

fn bar(share: f64) -> String {
    let eighths = (share.clamp(0.0, 1.0) * (BAR * 8) as f64).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(['▏', '▎', '▍', '▌', '▋', '▊', '▉'][eighths % 8 - 1]);
    }
    let width = s.chars().count();
    s.push_str(&"·".repeat(BAR - width));
    s
}

fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

/// The explanation as text: status, priorities, endpoints grouped by subset, priority and
/// locality with share bars, then drops and notes.
pub(crate) fn explanation(title: &str, e: &Explanation) -> String {
    let mut out = String::new();
    let status = serde_json::to_value(e.status)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let _ = writeln!(out, "{title}");
    if let (Some(client), Some(host)) = (&e.client, &e.host) {
        let _ = writeln!(
            out,
            "client {}/{} (network {:?}, locality {:?}, control plane {}) -> {host}",
            client.cluster, client.namespace, client.network, client.locality, client.control_plane
        );
    }
    let _ = writeln!(out, "status: {status}: {}", e.message);
    let locality_lb = serde_json::to_value(e.locality_lb)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    // Istio's locality LB (failover, distribute) is a scenario's; Envoy input has none.
    let istio = if e.client.is_some() {
        format!(", locality LB {locality_lb}")
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "policy {}{istio}, overprovisioning factor {}%, panic threshold {}%, locality-weighted LB {}",
        e.lb_policy,
        e.overprovisioning_factor,
        e.panic_threshold,
        if e.locality_weighted { "on" } else { "off" }
    );
    if let Some(routes) = &e.routes {
        let list: Vec<String> = routes
            .iter()
            .map(|r| {
                format!(
                    "{} {}",
                    r.subset.as_deref().unwrap_or("(no subset)"),
                    r.weight
                )
            })
            .collect();
        let _ = writeln!(out, "routes: {}", list.join(", "));
    }
    let _ = writeln!(
        out,
        "\nPRIORITIES  (health and degraded after overprovisioning; load = share of requests)"
    );
    for p in &e.priorities {
        let subset = p
            .subset
            .as_deref()
            .map_or_else(String::new, |s| format!("[{s}] "));
        let _ = writeln!(
            out,
            "  {subset}P{:<3} load {:>3}%{}   health {:>3}%  degraded {:>3}%   {} host{}: {} healthy, {} degraded{}",
            p.priority,
            p.healthy_load + p.degraded_load,
            if p.degraded_load > 0 {
                format!(" ({}% to degraded)", p.degraded_load)
            } else {
                String::new()
            },
            p.health,
            p.degraded,
            p.hosts,
            if p.hosts == 1 { "" } else { "s" },
            p.healthy_hosts,
            p.degraded_hosts,
            // An empty priority is in panic by Envoy's count, with no host to serve.
            if p.panic && p.hosts > 0 {
                "   PANIC: all hosts serve"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(out, "\nENDPOINTS");
    let place_of = |endpoint: &meshlb::EndpointReport| match (&endpoint.cluster, &endpoint.network)
    {
        (Some(c), Some(n)) if !n.is_empty() => format!("{c}/{n}"),
        (Some(c), _) => c.clone(),
        _ => String::new(),
    };
    // Columns as wide as their longest cell (a Unix socket's path is longer than any IP).
    let address_w = column_width(
        e.endpoints
            .iter()
            .map(|p| meshlb::endpoint_address(&p.address, p.port))
            .collect::<Vec<_>>()
            .iter()
            .map(String::as_str),
        "",
    )
    .max(22);
    let place_w = e
        .endpoints
        .iter()
        .map(|p| place_of(p).chars().count())
        .max()
        .unwrap_or(0)
        .max(14);
    let mut current: Option<(Option<&str>, u32, &str)> = None;
    for endpoint in &e.endpoints {
        let key = (
            endpoint.subset.as_deref(),
            endpoint.priority,
            endpoint.locality.as_str(),
        );
        if current != Some(key) {
            let subset = endpoint
                .subset
                .as_deref()
                .map_or_else(String::new, |s| format!("[{s}] "));
            let name = if endpoint.locality.is_empty() {
                "(no locality)"
            } else {
                endpoint.locality.as_str()
            };
            let _ = writeln!(out, "  {subset}P{} {name}", endpoint.priority);
            current = Some(key);
        }
        let address = meshlb::endpoint_address(&endpoint.address, endpoint.port);
        let place = place_of(endpoint);
        let kind = if endpoint.behind.is_empty() {
            String::new()
        } else {
            format!("  gateway for {}", endpoint.behind.join(", "))
        };
        let _ = writeln!(
            out,
            "    {address:<address_w$} {place:<place_w$} {:<9} w{:<4} {} {:>7}{kind}",
            endpoint.health.as_str(),
            endpoint.weight,
            bar(endpoint.share),
            pct(endpoint.share)
        );
    }
    if !e.dropped.is_empty() {
        let _ = writeln!(out, "\nDROPPED");
        for d in &e.dropped {
            let _ = writeln!(
                out,
                "  {:<22} {:<10} {}: {}",
                meshlb::endpoint_address(&d.address, d.port),
                d.cluster.as_deref().unwrap_or(""),
                serde_reason(d),
                d.message
            );
        }
    }
    if !e.notes.is_empty() {
        let _ = writeln!(out, "\nNOTES");
        for note in &e.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

fn serde_reason(d: &meshlb::DroppedEndpoint) -> String {
    serde_json::to_value(d.reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// A report section: `header`, then the first 20 of `lines` and how many more the JSON lists;
/// nothing when there are no lines.
fn capped(out: &mut String, header: &str, lines: &[String]) {
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(out, "{header}");
    for line in lines.iter().take(20) {
        let _ = writeln!(out, "{line}");
    }
    if lines.len() > 20 {
        let _ = writeln!(
            out,
            "  ... {} more (--format json lists them all)",
            lines.len() - 20
        );
    }
}

/// The width of a text column: its longest cell or its header, in characters.
fn column_width<'a>(cells: impl Iterator<Item = &'a str>, header: &str) -> usize {
    cells
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0)
        .max(header.chars().count())
}

/// The clusters of an Envoy input, one line each, as `istioctl proxy-config cluster` lists
/// them, with what meshlb can say of their endpoints.
pub(crate) fn listing(listing: &meshlb_formats::Listing) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", listing.title);
    let explainable: Vec<_> = listing
        .rows
        .iter()
        .filter(|r| r.unexplained.is_none())
        .filter_map(|r| r.endpoints)
        .collect();
    // A cluster without endpoints explains too (Envoy answers 503), but says little.
    let with_endpoints = explainable.iter().filter(|&&n| n > 0).count();
    let _ = writeln!(
        out,
        "{} clusters, {} meshlb can explain ({with_endpoints} with endpoints): meshlb explain FILE --cluster NAME\n",
        listing.rows.len(),
        explainable.len()
    );
    let width = column_width(listing.rows.iter().map(|r| r.name.as_str()), "CLUSTER");
    let _ = writeln!(
        out,
        "{:<width$}  {:<12} {:<16} {:>9} {:>10} {:>10}  SOURCE",
        "CLUSTER", "TYPE", "POLICY", "HEALTHY", "LOCALITIES", "PRIORITIES"
    );
    for row in &listing.rows {
        let healthy = match (row.healthy, row.endpoints) {
            (Some(h), Some(t)) => format!("{h}/{t}"),
            _ => "-".into(),
        };
        let counts = |n: u32| {
            if row.endpoints.is_some() {
                n.to_string()
            } else {
                "-".into()
            }
        };
        let _ = writeln!(
            out,
            "{:<width$}  {:<12} {:<16} {:>9} {:>10} {:>10}  {}",
            row.name,
            row.discovery_type.as_deref().unwrap_or("(EDS)"),
            row.lb_policy,
            healthy,
            counts(row.localities),
            counts(row.priorities),
            row.source
        );
    }
    let unexplained: Vec<&meshlb::ClusterRow> = listing
        .rows
        .iter()
        .filter(|r| r.unexplained.is_some())
        .collect();
    if !unexplained.is_empty() {
        let _ = writeln!(out, "\nNOT EXPLAINABLE");
        for row in unexplained {
            let _ = writeln!(
                out,
                "  {}: {}",
                row.name,
                row.unexplained.as_deref().unwrap_or_default()
            );
        }
    }
    if !listing.notes.is_empty() {
        let _ = writeln!(out, "\nNOTES");
        for note in &listing.notes {
            let _ = writeln!(out, "  - {note}");
        }
    }
    out
}

/// A simulation as text: per endpoint the count, observed and explained shares; for a timed
/// simulation also the latency and the requests in flight.
pub(crate) fn simulation(title: &str, policy: LbPolicy, s: &Simulation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "{} requests, seed {}, policy {}",
        s.requests, s.seed, policy
    );
    if let Some(t) = &s.traffic {
        let _ = writeln!(
            out,
            "timed: Poisson arrivals at {} requests/s over {:.1} s, exponential durations; {:.1} requests in flight on average",
            t.rate,
            t.duration_ms / 1000.0,
            t.mean_active
        );
    }
    let timed = s.traffic.is_some();
    let _ = writeln!(
        out,
        "\n  {:<22} {:>9} {:>9} {:>9} {:>8}{}  observed",
        "endpoint",
        "count",
        "observed",
        "explained",
        "delta",
        if timed {
            format!(" {:>10} {:>9}", "latency", "in flight")
        } else {
            String::new()
        }
    );
    for e in &s.endpoints {
        let extra = match (e.latency_ms, e.mean_active) {
            (Some(l), Some(a)) => format!(" {:>8.1}ms {a:>9.2}", l),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {:<22} {:>9} {:>9} {:>9} {:>+7.2}%{extra}  {}",
            meshlb::endpoint_address(&e.address, e.port),
            e.count,
            pct(e.observed),
            pct(e.share),
            (e.observed - e.share) * 100.0,
            bar(e.observed)
        );
    }
    if s.dropped > 0 {
        let _ = writeln!(
            out,
            "\n  {} requests dropped by drop_overloads (503 drop overload)",
            s.dropped
        );
    }
    if s.unrouted > 0 {
        let _ = writeln!(
            out,
            "\n  {} requests found no host (503 no healthy upstream)",
            s.unrouted
        );
    }
    let _ = writeln!(
        out,
        "\nlargest |observed - explained|: {:.4} ({} points)",
        s.max_abs_deviation,
        pct(s.max_abs_deviation)
    );
    if timed && policy == LbPolicy::LeastRequest {
        let _ = writeln!(
            out,
            "LEAST_REQUEST compares requests in flight (power of two choices): an endpoint that holds more of them than the one it is compared with loses, so slow endpoints receive less than their explained share"
        );
    }
    out
}

/// A signed percentage, `+12.50%`, `-3.00%`, or `0.00%`.
fn signed(x: f64) -> String {
    if x.abs() < 5e-5 {
        "0.00%".into()
    } else {
        format!("{:+.2}%", x * 100.0)
    }
}

fn status_name(s: meshlb::Status) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn health_name(h: Option<meshlb::HealthStatus>) -> String {
    h.and_then(|h| serde_json::to_value(h).ok())
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "-".into())
}

/// A diff as text: status, then one table per level with before, after, delta and the after
/// share's bar, then route changes and the new notes.
pub(crate) fn diff(before: &str, after: &str, d: &meshlb::Diff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "before: {before}");
    let _ = writeln!(out, "after:  {after}");
    let (sb, sa) = (status_name(d.status_before), status_name(d.status_after));
    if sb == sa {
        let _ = writeln!(out, "status: {sa}");
    } else {
        let _ = writeln!(out, "status: {sb} -> {sa}");
    }
    let _ = writeln!(
        out,
        "routed: {} -> {}",
        pct(d.routed_before),
        pct(d.routed_after)
    );
    let tables: [(&str, &[meshlb::ShareChange]); 5] = [
        ("ENDPOINTS", &d.endpoints),
        ("CLUSTERS", &d.clusters),
        ("ZONES", &d.zones),
        ("REGIONS", &d.regions),
        ("NETWORKS", &d.networks),
    ];
    for (name, rows) in tables {
        if rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n{name}  (before -> after, delta; bar: after)");
        for r in rows {
            let mark = match r.presence {
                meshlb::Presence::Kept => "",
                meshlb::Presence::Gained => "  gained",
                meshlb::Presence::Lost => "  lost",
            };
            let health = if name == "ENDPOINTS" && r.health_before != r.health_after {
                format!(
                    "  {} -> {}",
                    health_name(r.health_before),
                    health_name(r.health_after)
                )
            } else {
                String::new()
            };
            let _ = writeln!(
                out,
                "  {:<24} {:>8} -> {:>8}  {:>9}  {}{mark}{health}",
                r.key,
                pct(r.before),
                pct(r.after),
                signed(r.delta),
                bar(r.after)
            );
        }
    }
    if d.routes_before != d.routes_after {
        let routes = |r: &Option<Vec<meshlb::RouteReport>>| match r {
            None => "none".to_string(),
            Some(r) => r
                .iter()
                .map(|d| format!("{} {}", d.subset.as_deref().unwrap_or("(all)"), d.weight))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let _ = writeln!(
            out,
            "\nROUTES\n  {} -> {}",
            routes(&d.routes_before),
            routes(&d.routes_after)
        );
    }
    if !d.notes.is_empty() {
        let _ = writeln!(out, "\nNOTES (new)");
        for n in &d.notes {
            let _ = writeln!(out, "  - {n}");
        }
    }
    out
}

/// A percentage with one decimal, right-aligned in 6 columns (`100.0%`).
fn pct1(x: f64) -> String {
    format!("{:5.1}%", x * 100.0)
}

/// The mesh-wide report: the failure domains ranked by blast radius, then the traffic matrix
/// (per location and host: same zone, other zone in the region, other region, other network).
pub(crate) fn report(title: &str, r: &meshlb::mesh::Report) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}: mesh-wide report");
    let _ = writeln!(
        out,
        "{} client location{} x {} host{}, {} single failure{} swept ({} explanations)",
        r.locations.len(),
        if r.locations.len() == 1 { "" } else { "s" },
        r.hosts.len(),
        if r.hosts.len() == 1 { "" } else { "s" },
        r.sweep.len(),
        if r.sweep.len() == 1 { "" } else { "s" },
        r.explained
    );
    let pairs = r.matrix.len();
    let _ = writeln!(
        out,
        "\nFAILURE DOMAINS  (ranked: outages, then the largest share moved or sent to what failed; of {pairs} pairs)"
    );
    let width = column_width(r.sweep.iter().map(|s| s.failure.as_str()), "failure");
    let _ = writeln!(
        out,
        "  rank  {:width$}  outages  moved  largest  leave region  stale  to failed  bar: largest share",
        "failure"
    );
    for s in &r.sweep {
        let _ = writeln!(
            out,
            "  {:>4}  {:width$}  {:>7}  {:>5}  {}  {:>12}  {:>5}  {:>9}  {}",
            s.rank,
            s.failure,
            s.outages.len(),
            s.moved.len(),
            pct1(s.largest_moved),
            s.leaves_region.len(),
            s.stale,
            s.stale_to_failed.len(),
            bar(s.largest_share)
        );
    }
    let outages: Vec<String> = r
        .sweep
        .iter()
        .flat_map(|s| {
            s.outages.iter().map(move |o| {
                format!(
                    "  {}: {} -> {} loses every endpoint",
                    s.failure, o.location, o.host
                )
            })
        })
        .collect();
    capped(&mut out, "\nOUTAGES", &outages);
    let stale: Vec<String> = r
        .sweep
        .iter()
        .flat_map(|s| {
            s.stale_to_failed.iter().map(move |p| {
                format!(
                    "  {}: {} -> {} sends {} of its requests to what failed (its control plane is down: its proxies keep their last configuration)",
                    s.failure,
                    p.location,
                    p.host,
                    pct1(p.share).trim()
                )
            })
        })
        .collect();
    capped(
        &mut out,
        "\nSTALE CONFIGURATION  (requests that fail until outlier detection, where configured, ejects the dead endpoints)",
        &stale,
    );
    let _ = writeln!(
        out,
        "\nTRAFFIC MATRIX  (share of routed requests, relative to the client; other zone: another zone of its region)"
    );
    let lw = r
        .matrix
        .iter()
        .map(|m| m.location.chars().count() + m.host.chars().count() + 4)
        .max()
        .unwrap_or(0)
        .max(15);
    let _ = writeln!(
        out,
        "  {:lw$}  {:13}  same zone  other zone  other region  other network",
        "location -> host", "status"
    );
    for m in &r.matrix {
        let pair = format!("{} -> {}", m.location, m.host);
        if m.routed > 0.0 {
            let _ = writeln!(
                out,
                "  {pair:lw$}  {:13}     {}      {}        {}         {}",
                status_name(m.status),
                pct1(m.same_zone),
                pct1(m.cross_zone - m.cross_region),
                pct1(m.cross_region),
                pct1(m.cross_network)
            );
        } else {
            let _ = writeln!(out, "  {pair:lw$}  {}", status_name(m.status));
        }
    }
    let _ = writeln!(
        out,
        "\nPER LOCATION  (mean over its routed hosts; cross zone: outside its zone, other regions included)"
    );
    for t in &r.totals {
        let _ = writeln!(
            out,
            "  {:lw$}  {}/{} routed  cross zone {}  cross region {}  cross network {}",
            t.location,
            t.routed,
            t.hosts,
            pct1(t.cross_zone),
            pct1(t.cross_region),
            pct1(t.cross_network)
        );
    }
    out
}
