//! `--format text`: what a person reads at a glance.

use std::fmt::Write;

use meshlb::{Explanation, Plan, Simulation, Status};

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

/// The explanation as text: status, priorities, endpoints grouped by priority and locality with
/// share bars, then notes.
pub(crate) fn explanation(title: &str, plan: &Plan, e: &Explanation) -> String {
    let mut out = String::new();
    let status = match e.status {
        Status::Routed => "routed",
        Status::DnsFailure => "dns-failure",
        Status::NotVisible => "not-visible",
        Status::Untrusted => "untrusted",
        Status::NoEndpoints => "no-endpoints",
    };
    let _ = writeln!(out, "{title}");
    let _ = writeln!(out, "status: {status}: {}", e.message);
    let _ = writeln!(
        out,
        "policy {}, overprovisioning factor {}%, panic threshold {}%, locality-weighted LB {}",
        e.lb_policy,
        e.overprovisioning_factor,
        e.panic_threshold,
        if e.locality_weighted { "on" } else { "off" }
    );
    let _ = writeln!(
        out,
        "\nPRIORITIES  (health and degraded after overprovisioning; load = share of requests)"
    );
    for p in &e.priorities {
        let _ = writeln!(
            out,
            "  P{:<3} load {:>3}%{}   health {:>3}%  degraded {:>3}%   {} hosts: {} healthy, {} degraded{}",
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
            p.healthy_hosts,
            p.degraded_hosts,
            if p.panic {
                "   PANIC: all hosts serve"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(out, "\nENDPOINTS");
    let mut current: Option<(u32, &str)> = None;
    for (endpoint, host) in e.endpoints.iter().zip(plan.hosts()) {
        let locality = &plan.localities()[host.locality as usize];
        let key = (endpoint.priority, endpoint.locality.as_str());
        if current != Some(key) {
            let weight = if locality.weight > 0 && e.locality_weighted {
                format!(
                    "  (locality weight {}, effective {:.3})",
                    locality.weight, locality.effective_healthy
                )
            } else {
                String::new()
            };
            let name = if endpoint.locality.is_empty() {
                "(no locality)"
            } else {
                endpoint.locality.as_str()
            };
            let _ = writeln!(out, "  P{} {name}{weight}", endpoint.priority);
            current = Some(key);
        }
        let address = format!("{}:{}", endpoint.address, endpoint.port);
        let _ = writeln!(
            out,
            "    {address:<22} {:<9} w{:<4} {} {:>7}",
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
                "  {}:{}  {}: {}",
                d.address,
                d.port,
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

/// A simulation as text: per endpoint the count, observed and explained shares.
pub(crate) fn simulation(title: &str, plan: &Plan, s: &Simulation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "{} requests, seed {}, policy {}",
        s.requests,
        s.seed,
        plan.config().policy
    );
    let _ = writeln!(
        out,
        "\n  {:<22} {:>9} {:>9} {:>9} {:>8}  observed",
        "endpoint", "count", "observed", "explained", "delta"
    );
    for e in &s.endpoints {
        let _ = writeln!(
            out,
            "  {:<22} {:>9} {:>9} {:>9} {:>+7.2}%  {}",
            format!("{}:{}", e.address, e.port),
            e.count,
            pct(e.observed),
            pct(e.share),
            (e.observed - e.share) * 100.0,
            bar(e.observed)
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
    out
}
