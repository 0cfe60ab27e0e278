//! `report --format html`: one self-contained page (inline CSS and SVG, no script, no network)
//! drawing only what the [`Report`] says: the traffic matrix as a heatmap table, the sweep as a
//! ranked horizontal bar chart.

use std::fmt::Write;

use meshlb::mesh::Report;

/// `s` with `&`, `<`, `>` and `"` escaped for text and attribute values.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

/// A heatmap cell: the darker, the larger the fraction.
fn cell(x: f64, hue: u16) -> String {
    let x = x.clamp(0.0, 1.0);
    let light = 97.0 - 55.0 * x;
    let ink = if light < 60.0 { "#fff" } else { "#111" };
    format!(
        "<td class=\"num\" style=\"background:hsl({hue},70%,{light:.0}%);color:{ink}\">{}</td>",
        if x > 0.0 { pct(x) } else { "·".to_string() }
    )
}

const STYLE: &str = "body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#111;background:#fff}\
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}\
table{border-collapse:collapse}th,td{padding:3px 8px;border:1px solid #ddd;text-align:left}\
th{background:#f4f4f4;position:sticky;top:0}td.num{text-align:right;font-variant-numeric:tabular-nums}\
.muted{color:#777}svg text{font:12px system-ui,sans-serif}";

/// The page.
pub(crate) fn report(title: &str, r: &Report) -> String {
    let mut out = String::new();
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>meshlb report: {t}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<h1>meshlb report: {t}</h1>\n<p>{} client locations × {} hosts, {} single failures swept ({} explanations).</p>\n",
        r.locations.len(),
        r.hosts.len(),
        r.sweep.len(),
        r.explained,
        t = esc(title)
    );
    sweep_chart(&mut out, r);
    matrix(&mut out, r);
    out.push_str("</body>\n</html>\n");
    out
}

/// The failure domains, ranked: one bar per failure, its length the largest share moved or
/// still sent to what failed (stale configuration); red when some pair loses every endpoint,
/// or sends every request to what failed.
fn sweep_chart(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "<h2>Failure domains, ranked by blast radius</h2>\n<p class=\"muted\">Bar: the largest share of a pair's requests that moves, or that a pair whose control plane is down still sends to what failed. Red: some client loses every endpoint (outage), or sends every request to what failed.</p>"
    );
    let label_w = 260.0;
    let bar_w = 420.0;
    let row_h = 22.0;
    // Each row: its bar's share, whether it is red, and the words after it.
    let rows: Vec<(f64, bool, String)> = r
        .sweep
        .iter()
        .map(|s| {
            // Stale pairs whose kept configuration sends requests to what the failure took down.
            let to_failed = s.stale_to_failed.first().map_or(0.0, |p| p.share);
            let lost = s.lost > 0;
            let stale = match (s.stale, s.stale_to_failed.len()) {
                (0, _) => String::new(),
                (stale, 0) => format!(", {stale} stale"),
                (stale, n) => format!(
                    ", {stale} stale ({n} sending to what failed, up to {})",
                    pct(to_failed)
                ),
            };
            let words = format!(
                "{} outage{}, {} moved (largest {}), {} leave region{stale}",
                s.outages.len(),
                if s.outages.len() == 1 { "" } else { "s" },
                s.moved.len(),
                pct(s.largest_moved),
                s.leaves_region.len(),
            );
            let share = if lost {
                1.0
            } else {
                s.largest_share.clamp(0.0, 1.0)
            };
            (share, lost, words)
        })
        .collect();
    // Wide enough for the longest words after a full bar (about 7 px a character).
    let words_w = rows
        .iter()
        .map(|(_, _, w)| w.chars().count())
        .max()
        .unwrap_or(0) as f64
        * 7.0;
    let h = row_h * r.sweep.len() as f64 + 30.0;
    let w = label_w + bar_w + 12.0 + words_w.max(240.0);
    let _ = writeln!(
        out,
        "<svg role=\"img\" aria-label=\"failure domains ranked by blast radius\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"0 0 {w:.0} {h:.0}\">"
    );
    let _ = writeln!(
        out,
        "<line x1=\"{label_w}\" y1=\"0\" x2=\"{label_w}\" y2=\"{:.0}\" stroke=\"#999\"/>",
        h - 20.0
    );
    for (i, (s, (share, lost, words))) in r.sweep.iter().zip(&rows).enumerate() {
        let y = i as f64 * row_h;
        let len = share * bar_w;
        let color = if *lost { "#d23c3c" } else { "#3b7dd8" };
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">{}. {}</text>",
            label_w - 6.0,
            y + 15.0,
            s.rank,
            esc(&s.failure)
        );
        let _ = writeln!(
            out,
            "<rect x=\"{label_w}\" y=\"{:.0}\" width=\"{len:.1}\" height=\"{:.0}\" fill=\"{color}\"><title>{}: {}</title></rect>",
            y + 4.0,
            row_h - 8.0,
            esc(&s.failure),
            esc(words)
        );
        let _ = writeln!(
            out,
            "<text x=\"{:.0}\" y=\"{:.0}\">{}</text>",
            label_w + len + 6.0,
            y + 15.0,
            esc(words)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{label_w}\" y=\"{:.0}\">0%</text><text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"end\">100%</text>",
        h - 5.0,
        label_w + bar_w,
        h - 5.0
    );
    out.push_str("</svg>\n");
    let outages: Vec<(&str, &str, &str)> = r
        .sweep
        .iter()
        .flat_map(|s| {
            s.outages
                .iter()
                .map(move |o| (s.failure.as_str(), o.location.as_str(), o.host.as_str()))
        })
        .collect();
    if !outages.is_empty() {
        out.push_str(
            "<h3>Outages</h3>\n<table>\n<tr><th>failure</th><th>location</th><th>host</th></tr>\n",
        );
        for (f, l, h) in outages {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(f),
                esc(l),
                esc(h)
            );
        }
        out.push_str("</table>\n");
    }
    let stale: Vec<(&str, &str, &str, f64)> = r
        .sweep
        .iter()
        .flat_map(|s| {
            s.stale_to_failed.iter().map(move |p| {
                (
                    s.failure.as_str(),
                    p.location.as_str(),
                    p.host.as_str(),
                    p.share,
                )
            })
        })
        .collect();
    if !stale.is_empty() {
        out.push_str(
            "<h3>Stale configuration sent to what failed</h3>\n<p class=\"muted\">The pair's control plane is down, so its proxies keep their last configuration: these requests fail until Envoy's outlier detection, where configured, ejects the dead endpoints.</p>\n<table>\n<tr><th>failure</th><th>location</th><th>host</th><th>share</th></tr>\n",
        );
        for (f, l, h, share) in stale {
            let _ = writeln!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(f),
                esc(l),
                esc(h),
                pct(share)
            );
        }
        out.push_str("</table>\n");
    }
}

/// The matrix: per (location, host), the zone fractions as a heatmap, then the crossings.
fn matrix(out: &mut String, r: &Report) {
    let zones: std::collections::BTreeSet<&str> = r
        .matrix
        .iter()
        .flat_map(|m| m.zones.keys().map(String::as_str))
        .collect();
    let _ = writeln!(
        out,
        "<h2>Traffic matrix</h2>\n<p class=\"muted\">Share of each pair's routed requests landing in each zone, and crossing the client's zone, region and network.</p>\n<table>"
    );
    out.push_str("<tr><th>location</th><th>host</th><th>status</th>");
    for z in &zones {
        let _ = write!(out, "<th>{}</th>", esc(z));
    }
    out.push_str(
        "<th>same zone</th><th>cross zone</th><th>cross region</th><th>cross network</th></tr>\n",
    );
    for m in &r.matrix {
        let status = serde_json::to_value(m.status)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td>",
            esc(&m.location),
            esc(&m.host),
            esc(&status)
        );
        for z in &zones {
            out.push_str(&cell(m.zones.get(*z).copied().unwrap_or(0.0), 210));
        }
        if m.routed > 0.0 {
            out.push_str(&cell(m.same_zone, 130));
            out.push_str(&cell(m.cross_zone, 40));
            out.push_str(&cell(m.cross_region, 20));
            out.push_str(&cell(m.cross_network, 0));
        } else {
            out.push_str("<td colspan=\"4\" class=\"muted\">not routed</td>");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</table>\n");
}
