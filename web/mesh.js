// The Mesh tab: meshlb's mesh-wide report (`report(input)`, `meshlb report --format json`) for
// the loaded scenario: the traffic matrix as a heatmap (client locations × hosts) and the
// single-failure sweep as a ranked bar chart. A click on a failure domain applies that failure
// to the drawing (meshlb's `fail` option, as the failure buttons do). Every number is the
// report's; this module only lays them out.

import { h, pct } from "./draw.js";

/** What a heatmap cell can show: the report's per-pair fractions. */
export const MEASURES = [
  { key: "same_zone", label: "stays in its zone" },
  { key: "cross_zone", label: "leaves its zone" },
  { key: "cross_region", label: "leaves its region" },
  { key: "cross_network", label: "leaves its network" },
];

/**
 * The longest dotted suffix all `hosts` share (`.bookinfo.svc.cluster.local`), so that the
 * table's headers can name hosts by what tells them apart; "" for fewer than two hosts.
 */
function commonSuffix(hosts) {
  if (hosts.length < 2) return "";
  const labels = hosts.map((host) => host.split("."));
  let n = 0;
  const at = (l, i) => l[l.length - 1 - i];
  while (labels.every((l) => l.length > n + 1 && at(l, n) === at(labels[0], n))) n++;
  return n ? `.${labels[0].slice(-n).join(".")}` : "";
}

/** cluster/namespace@region/zone → its parts, for a two-line row label. */
function locationLabel(l) {
  return [h("b", {}, `${l.cluster}/${l.namespace}`), h("span", { class: "loc-sub" }, l.locality || "no locality")];
}

/**
 * Renders the report `report` (or the `error` meshlb gave) into `root`. `chosen` is the failure
 * domain applied to the drawing (or null); `measure` the heatmap's measure key. `on.choose(f)`
 * applies failure `f` (null: none); `on.measure(key)` changes the heatmap.
 */
export function renderMesh(root, { report, error, envoy, chosen, measure, on }) {
  if (envoy) {
    root.replaceChildren(
      h("p", { class: "hint" }, "The mesh view needs a meshlb scenario: Envoy input has one proxy and no mesh to sweep."),
    );
    return;
  }
  if (error) {
    root.replaceChildren(h("p", { class: "whatif-error", role: "alert" }, `meshlb could not report on this scenario: ${error}`));
    return;
  }
  if (!report) {
    root.replaceChildren(h("p", { class: "hint" }, "Computing the report…"));
    return;
  }
  const m = MEASURES.find((x) => x.key === measure) ?? MEASURES[1];
  const parts = [
    h(
      "p",
      { class: "hint mesh-intro" },
      `meshlb report: ${report.locations.length} client location${report.locations.length === 1 ? "" : "s"} × ${report.hosts.length} host${report.hosts.length === 1 ? "" : "s"}, ${report.sweep.length} single failures swept (${report.explained} explanations). `,
      "The CLI's ",
      h("code", {}, "meshlb report"),
      " says the same.",
    ),
    h("h2", {}, "Traffic matrix"),
    h(
      "label",
      { class: "field measure" },
      h("span", {}, "each cell: the share of the client's requests that"),
      h(
        "select",
        { id: "mesh-measure", onchange: (e) => on.measure(e.target.value) },
        MEASURES.map((x) => h("option", { value: x.key, selected: x.key === m.key }, x.label)),
      ),
    ),
    renderMatrix(report, m),
    h("h2", {}, "Failure domains, ranked by blast radius"),
    h(
      "p",
      { class: "hint" },
      "Bar: the largest share of a client's requests that moves, or that a client whose control plane is down still sends to what failed. Red: some client loses every endpoint, or sends every request to what failed. Click one to apply it to the drawing; click it again to restore.",
    ),
    renderSweep(report, chosen, on),
  ];
  // A chosen failure the sweep does not have (a link from another scenario): say so.
  if (chosen && !report.sweep.some((x) => x.failure === chosen)) {
    parts.push(h("p", { class: "hint", id: "mesh-chosen" }, `--fail ${chosen} is applied to the drawing; the sweep has no such single failure.`));
  }
  root.replaceChildren(...parts);
}

/** The sweep: one button per failure domain, in the report's rank order. */
function renderSweep(report, chosen, on) {
  if (!report.sweep.length) return h("p", { class: "muted" }, "no failure domain to sweep");
  return h(
    "ol",
    { class: "sweep", "aria-label": "failure domains ranked by blast radius" },
    report.sweep.map((s) => {
      // The core's ranking keys: pairs losing every request, and the largest share moved or
      // still sent to what failed.
      const outage = s.outages.length > 0;
      const lost = s.lost > 0;
      const width = lost ? 100 : Math.min(100, s.largest_share * 100);
      const selected = s.failure === chosen;
      const facts = [
        outage ? `${s.outages.length} outage${s.outages.length === 1 ? "" : "s"}` : null,
        `${s.moved.length} moved`,
        s.moved.length ? `largest ${pct(s.largest_moved)}` : null,
        s.leaves_region.length ? `${s.leaves_region.length} leave region` : null,
        s.stale ? `${s.stale} stale` : null,
        s.stale_to_failed?.length
          ? `${s.stale_to_failed.length} sending to what failed (up to ${pct(s.stale_to_failed[0].share)})`
          : null,
      ].filter(Boolean);
      return h(
        "li",
        { class: selected ? "selected" : "" },
        h(
          "button",
          {
            type: "button",
            class: `sweep-row${lost ? " outage" : ""}${selected ? " selected" : ""}`,
            "aria-pressed": selected ? "true" : "false",
            "data-failure": s.failure,
            "data-rank": s.rank,
            "data-largest": s.largest_moved,
            "data-focus-key": `sweep:${s.failure}`,
            title: selected ? `Restore (--fail ${s.failure} is applied to the drawing)` : `Apply --fail ${s.failure} to the drawing`,
            onclick: () => on.choose(selected ? null : s.failure),
          },
          h("span", { class: "sweep-rank" }, `${s.rank}.`),
          h("span", { class: "sweep-name" }, s.failure),
          h(
            "span",
            { class: "sweep-bar", "aria-hidden": "true" },
            h("span", { class: "sweep-fill", style: `width:${width.toFixed(1)}%` }),
          ),
          h("span", { class: "sweep-facts" }, facts.join(" · ")),
        ),
        selected ? renderChosen(s) : null,
      );
    }),
  );
}

/** What the chosen failure `s` (one of the sweep's) does to every pair, as the report says. */
function renderChosen(s) {
  const pair = (p) => `${p.location} → ${p.host}`;
  const where = (clusters) =>
    Object.entries(clusters)
      .filter(([, v]) => v > 0)
      .map(([c, v]) => `${c} ${pct(v)}`)
      .join(", ");
  return h(
    "div",
    { class: "mesh-chosen", id: "mesh-chosen", "data-failure": s.failure },
    h("h3", {}, `What --fail ${s.failure} does`, h("span", { class: "muted" }, ` (${s.kind}, applied to the drawing)`)),
    s.outages.length
      ? h("div", {}, h("b", {}, "Outages: "), s.outages.map(pair).join("; "))
      : h("div", { class: "muted" }, "No client loses every endpoint."),
    s.moved.length
      ? h(
          "ul",
          { class: "moved" },
          s.moved.map((mv) =>
            h(
              "li",
              {},
              h("span", { class: "mono" }, pair(mv)),
              `: ${pct(mv.share)} of requests move`,
              mv.routed_after < 1 ? `, ${pct(1 - mv.routed_after)} fail` : "",
              Object.keys(mv.clusters_after).length ? `; after: ${where(mv.clusters_after)}` : "",
            ),
          ),
        )
      : h("div", { class: "muted" }, "No traffic moves."),
    s.leaves_region.length
      ? h("div", {}, h("b", {}, "Leaves the region: "), s.leaves_region.map((p) => `${pair(p)} (${pct(p.share)})`).join("; "))
      : null,
    s.stale ? h("div", {}, `${s.stale} pair(s) keep their last configuration (their control plane is down).`) : null,
    s.stale_to_failed?.length
      ? h(
          "div",
          {},
          h("b", {}, "Still sent to what failed: "),
          s.stale_to_failed.map((p) => `${pair(p)} (${pct(p.share)})`).join("; "),
          " (those requests fail until outlier detection, where configured, ejects the dead endpoints)",
        )
      : null,
  );
}

/** The matrix: client locations × hosts, each cell the measure's fraction, darker = more. */
function renderMatrix(report, m) {
  const suffix = commonSuffix(report.hosts);
  const rows = new Map(report.matrix.map((r) => [`${r.location}\u0000${r.host}`, r]));
  const hue = m.key === "same_zone" ? 150 : 18;
  return h(
    "div",
    { class: "matrix-wrap" },
    h(
      "table",
      { class: "matrix", "data-measure": m.key },
      h("caption", { class: "sr-only" }, `Share of each client location's requests to each host that ${m.label}`),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, "client location", suffix ? h("span", { class: "loc-sub" }, `hosts *${suffix}`) : null),
          report.hosts.map((host) => h("th", { scope: "col", title: host }, suffix ? host.slice(0, -suffix.length) : host)),
        ),
      ),
      h(
        "tbody",
        {},
        report.locations.map((l) =>
          h(
            "tr",
            { class: l.listed ? "listed" : "" },
            h("th", { scope: "row", title: l.name }, locationLabel(l), l.listed ? h("span", { class: "client-tag" }, "client") : null),
            report.hosts.map((host) => {
              const r = rows.get(`${l.name}\u0000${host}`);
              if (!r) return h("td", { class: "cell none" }, "–");
              if (r.routed <= 0) {
                return h(
                  "td",
                  { class: "cell unrouted", "data-location": l.name, "data-host": host, "data-status": r.status, title: `${l.name} → ${host}: ${r.status}` },
                  r.status,
                );
              }
              const v = r[m.key];
              // The darker the cell, the larger the fraction; dark text stays AA-readable on it.
              const light = 97 - 37 * Math.min(1, Math.max(0, v));
              const zones = Object.entries(r.zones)
                .map(([z, x]) => `${z} ${pct(x)}`)
                .join(", ");
              return h(
                "td",
                {
                  class: "cell",
                  style: `background:hsl(${hue},70%,${light.toFixed(0)}%)`,
                  "data-location": l.name,
                  "data-host": host,
                  "data-value": v,
                  title: `${l.name} → ${host}: ${pct(v)} ${m.label}; zones: ${zones}`,
                },
                pct(v),
              );
            }),
          ),
        ),
      ),
    ),
  );
}
