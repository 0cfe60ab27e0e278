// Draws the view (model.js) as boxes and flows.
//
// Boxes are plain HTML (so they lay themselves out at any width and every endpoint is a real
// button a keyboard reaches); the traffic is an inline SVG layer on top of the boxes and under
// the endpoints, redrawn whenever the boxes move. A flow's stroke width is proportional to the
// share of requests it carries; its colour is the priority the requests are sent at.

const SVG = "http://www.w3.org/2000/svg";

/** Stroke width of a flow carrying all requests; a flow's width is share × this. */
export const FULL_WIDTH = 26;
/** The thinnest flow drawn (a share of a few percent would vanish otherwise). */
const MIN_WIDTH = 1.5;

/** Number of priority colours in style.css (`.p0` … `.p5`); higher priorities reuse them. */
const PRIORITY_COLOURS = 6;

export const prioClass = (p) => `p${Math.min(Math.max(p ?? 0, 0), PRIORITY_COLOURS - 1)}`;

/** A share (0..1) as a percentage for people: "70%", "33.3%", "0.15%". */
export function pct(share) {
  const v = share * 100;
  if (v === 0) return "0%";
  if (Math.abs(v - Math.round(v)) < 0.005) return `${Math.round(v)}%`;
  if (v < 1) return `${v.toFixed(2)}%`;
  return `${v.toFixed(1)}%`;
}

/** `document.createElement` with attributes, classes and children in one call. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else if (k === "style") el.setAttribute("style", v);
    else if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k.startsWith("data")) el.setAttribute(k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), v === true ? "" : String(v));
    else el.setAttribute(k, v === true ? "" : String(v));
  }
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

const healthClass = (health) => `h-${String(health ?? "unknown").toLowerCase()}`;

/** The region / zone / subzone label of a locality. */
function localityLabel(l) {
  if (!l.locality) return [h("span", { class: "muted" }, "no locality")];
  const parts = [h("span", { class: "region" }, l.region)];
  if (l.zone) parts.push(" / ", h("b", {}, l.zone));
  if (l.subzone) parts.push(" / ", l.subzone);
  return parts;
}

/**
 * Renders `view` into `root` (the diagram's scrolling element). `on` holds the what-if
 * handlers: cycle(item), and toggleFailure(failure) for meshlb's `KIND=VALUE` failures.
 */
export function renderDiagram(root, view, on) {
  const inner = h("div", { class: "diagram-inner" });
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "flows");
  svg.setAttribute("aria-hidden", "true");
  inner.append(svg);

  for (const mesh of view.meshes) inner.append(renderMesh(view, mesh, on));
  inner.append(renderLegend(view));
  root.replaceChildren(inner);
  drawFlows(root, view);
}

function renderMesh(view, mesh, on) {
  const facts = [];
  if (mesh.trustBundles?.length) facts.push(`trusts ${mesh.trustBundles.join(", ")}`);
  for (const i of mesh.imports ?? []) facts.push(`imports ${i.service} from ${i.mesh}`);
  const external = view.externalControlPlanes.filter((cp) =>
    mesh.networkList.some((n) => n.clusters.some((c) => c.controlPlane === cp.name)),
  );
  return h(
    "section",
    { class: mesh.envoy ? "mesh envoy" : "mesh", "aria-label": mesh.envoy ? "Envoy input" : `mesh ${mesh.id}` },
    mesh.envoy
      ? h("div", { class: "mesh-label" }, h("b", {}, "Envoy input"), " · no mesh: one Envoy cluster's endpoints")
      : h(
          "div",
          { class: "mesh-label" },
          "mesh ",
          h("b", {}, mesh.id),
          ` · trust domain ${mesh.trustDomain}`,
          facts.length ? ` · ${facts.join(" · ")}` : "",
        ),
    external.map((cp) => {
      const failure = `control-plane=${cp.name}`;
      const failed = view.fails.includes(failure);
      return h(
        "div",
        { class: `external-cp${failed ? " failed" : ""}` },
        h("span", { class: "cp-icon", "aria-hidden": "true" }, "⚙"),
        " external control plane ",
        h("b", {}, cp.name),
        ` · config from ${cp.config_cluster}`,
        ` · watches ${cp.watches.join(", ")}`,
        failButton(on, failure, failed, {
          label: "Fail",
          restore: "Restore",
          title: `What if control plane ${cp.name} fails? Its proxies keep their last configuration`,
          key: `fail-cp:${cp.name}`,
        }),
      );
    }),
    h("div", { class: "networks" }, mesh.networkList.map((n) => renderNetwork(view, n, on))),
  );
}

function renderNetwork(view, network, on) {
  const clientHere = network.clusters.some((c) => c.name === view.client?.cluster);
  const label = network.name ? ["network ", h("b", {}, network.name)] : [h("b", {}, "flat network")];
  if (view.kind === "envoy") {
    return h("div", { class: "network envoy" }, h("div", { class: "clusters" }, network.clusters.map((c) => renderCluster(view, c, on))));
  }
  return h(
    "div",
    {
      class: `network${clientHere ? " client-network" : ""}`,
      "data-network": network.name,
      style: `flex-grow:${Math.max(1, network.clusters.length)}`,
    },
    h(
      "div",
      { class: "network-edge" },
      h("span", { class: "network-label" }, ...label),
      network.gateways.map((g) => renderGateway(g)),
      network.name && network.gateways.length
        ? failButton(on, `network=${network.name}`, network.failed, {
            label: "Fail gateways",
            restore: "Restore gateways",
            title: `What if network ${network.name}'s east-west gateways fail? The endpoints behind them become unreachable`,
            key: `fail-network:${network.name}`,
            data: { "data-fail-network": network.name },
          })
        : null,
    ),
    h("div", { class: "clusters" }, network.clusters.map((c) => renderCluster(view, c, on))),
  );
}

function renderGateway(g) {
  const sent = g.share > 0;
  const priorities = [...g.priorities].sort((a, b) => a - b);
  return h(
    "span",
    {
      class: `gateway${sent ? " sent" : ""}${priorities.length ? "" : " idle"}${g.failed ? " failed" : ""}`,
      "data-key": g.key,
      "data-address": g.address,
      "data-port": g.port,
      "data-share": g.share,
      title: `east-west gateway ${g.address}:${g.port} in cluster ${g.cluster}${
        g.behind.size ? `, for ${[...g.behind.values()].map((b) => `${b.address}:${b.port}`).join(", ")}` : ""
      }${priorities.length ? `: ${pct(g.share)} of requests` : ": the client sends nothing through it"}`,
    },
    h("span", { class: "gw-icon", "aria-hidden": "true" }),
    h("span", { class: "gw-addr" }, `${g.address}:${g.port}`),
    h("span", { class: "gw-sub" }, `gateway · ${g.cluster}`),
    priorities.map((p) => h("span", { class: `badge ${prioClass(p)}` }, `P${p}`)),
    priorities.length ? h("span", { class: "gw-share" }, pct(g.share)) : null,
  );
}

/**
 * A button that adds meshlb failure `failure` (`KIND=VALUE`) to the list, or removes it when it
 * is in force (`failed`).
 */
function failButton(on, failure, failed, { label, restore, title, key, data = {} }) {
  return h(
    "button",
    {
      class: "fail",
      type: "button",
      "aria-pressed": failed ? "true" : "false",
      "data-failure": failure,
      "data-focus-key": key,
      ...data,
      title: failed ? `${restore} (--fail ${failure} is in force)` : `${title} (--fail ${failure})`,
      onclick: () => on.toggleFailure(failure),
    },
    failed ? restore : label,
  );
}

function renderCluster(view, c, on) {
  let role;
  if (c.envoy) role = "Envoy cluster";
  else if (c.synthetic) role = "not in the scenario";
  else if (c.primary) {
    role = `primary · watches ${c.remoteSecrets.length ? c.remoteSecrets.join(", ") : "only itself"}`;
  } else role = `remote · configured by ${c.controlPlane}`;
  const isClient = c.name === view.client?.cluster;
  return h(
    "div",
    {
      class: `cluster${isClient ? " client-cluster" : ""}${c.failed ? " failed" : ""}`,
      "data-cluster": c.name,
    },
    h(
      "div",
      { class: "cluster-head" },
      h("span", { class: "cluster-name" }, c.envoy ? c.name : ["cluster ", h("b", {}, c.name)]),
      c.share > 0 ? h("span", { class: "share-tag", title: "share of requests landing in this cluster" }, pct(c.share)) : null,
      !c.envoy && !c.synthetic && c.primary
        ? failButton(on, `control-plane=${c.name}`, c.controlPlaneFailed, {
            label: "Fail istiod",
            restore: "Restore istiod",
            title: `What if ${c.name}'s control plane (istiod) fails? Its proxies keep their last configuration`,
            key: `fail-cp:${c.name}`,
            data: { "data-fail-control-plane": c.name },
          })
        : null,
      !c.envoy && !c.synthetic
        ? failButton(on, `cluster=${c.name}`, c.failed, {
            label: "Fail",
            restore: "Restore",
            title: `What if cluster ${c.name} fails? Its workloads and its API server go down${c.primary ? ", and its control plane with them" : ""}`,
            key: `fail-cluster:${c.name}`,
            data: { "data-fail-cluster": c.name },
          })
        : null,
    ),
    h("div", { class: "cluster-role" }, role),
    c.envoy ? h("div", { class: "loc-body" }, renderClient(view.client)) : null,
    c.localityList.length === 0 ? h("div", { class: "muted empty" }, "no endpoint of this service") : null,
    c.localityList.map((l) => renderLocality(view, c, l, on)),
  );
}

function renderLocality(view, c, l, on) {
  const priorities = [...l.priorities].sort((a, b) => a - b);
  const canFail = l.zoneKey !== "" && l.items.some((i) => i.editable);
  const what = l.failure.startsWith("zone=") ? "zone" : "region";
  return h(
    "div",
    {
      class: `locality${l.failed ? " failed" : ""}${l.client ? " client-locality" : ""}`,
      "data-locality": l.locality,
      "data-zone": l.zoneKey,
    },
    h(
      "div",
      { class: "loc-head" },
      h("span", { class: "loc-name" }, ...localityLabel(l)),
      priorities.map((p) => h("span", { class: `badge ${prioClass(p)}`, title: `priority ${p}` }, `P${p}`)),
      l.share > 0 ? h("span", { class: "share-tag", title: "share of requests landing in this locality" }, pct(l.share)) : null,
      canFail
        ? failButton(on, l.failure, l.failed, {
            label: `Fail ${what}`,
            restore: `Restore ${what}`,
            title: `What if ${what} ${l.zoneKey} fails? Every workload in it, in all clusters, becomes a not-ready pod`,
            key: `fail-zone:${c.name}:${l.zoneKey}`,
            data: { "data-fail-zone": l.zoneKey },
          })
        : null,
    ),
    h(
      "div",
      { class: "loc-body" },
      l.client ? renderClient(view.client) : null,
      l.items.length ? h("div", { class: "items" }, l.items.map((item) => renderItem(view, item, on))) : null,
    ),
  );
}

function renderClient(client) {
  if (client.envoy) {
    return h(
      "div",
      { class: "client", "data-key": "client", title: "the Envoy proxy balancing this cluster's requests" },
      h("span", { class: "client-tag" }, "client"),
      h("span", { class: "client-name" }, "an Envoy proxy"),
      h("span", { class: "client-host" }, "balancing this cluster"),
    );
  }
  const app = client.labels?.app;
  return h(
    "div",
    {
      class: "client",
      "data-key": "client",
      title: `the client: ${client.cluster}/${client.namespace}, locality ${client.locality || "(none)"}, network ${client.network || "(flat)"}, control plane ${client.controlPlane}`,
    },
    h("span", { class: "client-tag" }, "client"),
    h(
      "span",
      { class: "client-name" },
      app ? [app, h("span", { class: "client-ns" }, ` · ${client.namespace}`)] : h("span", { class: "client-ns" }, `namespace ${client.namespace}`),
    ),
    // A long host breaks after its dots rather than inside a label.
    h("span", { class: "client-host" }, "calls ", String(client.host ?? "?").split(".").map((part, i) => (i ? [".", h("wbr"), part] : part))),
  );
}

function renderItem(view, item, on) {
  const priority = item.priorities.length ? Math.min(...item.priorities) : null;
  const label = [`${item.address}:${item.port}`, item.cluster ? `in cluster ${item.cluster}` : "", item.failed ? "failed" : "", item.health];
  let detail;
  let title;
  if (item.state === "dropped") {
    label.push(`dropped: ${item.reason}: ${item.message}`);
    title = `dropped (${item.reason}): ${item.message}`;
    detail = h("span", { class: "ep-reason" }, `dropped · ${item.reason}`);
  } else if (item.state === "behind") {
    const gws = item.via.map((k) => view.gateways.get(k)?.address ?? k);
    label.push(`reached through gateway ${gws.join(", ")}`);
    title = `behind east-west gateway ${gws.join(", ")}: ${pct(item.viaShare)} of requests reach it through ${gws.length > 1 ? "them" : "it"}`;
    detail = h("span", { class: "ep-reason" }, gws.length > 1 ? `via ${gws.length} gateways` : `via gateway ${gws[0]}`);
  } else if (item.state === "unused") {
    label.push("receives no requests from this client");
    title = "this client sends it nothing (see the status)";
    detail = h("span", { class: "ep-reason" }, "not sent");
  } else {
    label.push(`priority ${priority}`, `${pct(item.share)} of requests`);
    title = `priority ${priority}${item.subsets.length ? `, subset ${item.subsets.join(", ")}` : ""}, weight ${item.weight}: ${pct(item.share)} of requests${item.alsoDropped ? ` (also dropped from another route: ${item.alsoDropped})` : ""}`;
    detail = h(
      "span",
      { class: "ep-share" },
      h("span", { class: "bar", "aria-hidden": "true" }, h("span", { style: `width:${Math.min(100, item.share * 100)}%` })),
      h("b", {}, pct(item.share)),
    );
  }
  if (item.editable) {
    label.push("press to cycle its health");
    title += item.failed ? " · failed (--fail endpoint) · click for DEGRADED" : " · click to cycle its health";
  }
  const attrs = {
    class: `ep state-${item.state}${priority !== null && item.state === "sent" ? ` ${prioClass(priority)}` : ""}${item.failed ? " failed" : ""}`,
    "data-key": item.key,
    "data-focus-key": item.key,
    "data-address": item.address,
    "data-port": item.port,
    "data-cluster": item.cluster ?? "",
    "data-state": item.state,
    "data-health": item.health,
    "data-failed": item.failed ? "true" : "false",
    "data-share": item.share,
    "data-priority": priority ?? "",
    "data-reason": item.reason,
    title,
    "aria-label": label.filter(Boolean).join(", "),
  };
  const content = [
    h(
      "span",
      { class: "ep-top" },
      h("span", { class: "ep-addr" }, `${item.address}:${item.port}`),
      item.state === "sent" && priority !== null ? h("span", { class: `badge ${prioClass(priority)}` }, `P${priority}`) : null,
    ),
    h(
      "span",
      { class: "ep-mid" },
      item.failed ? h("span", { class: "health failed-tag" }, "failed") : null,
      h("span", { class: `health ${healthClass(item.health)}` }, item.health),
      item.subsets.length ? h("span", { class: "subset" }, item.subsets.join(", ")) : null,
      item.weight > 1 ? h("span", { class: "weight" }, `w${item.weight}`) : null,
    ),
    detail,
  ];
  if (!item.editable) return h("div", { ...attrs, role: "group" }, ...content);
  return h("button", { ...attrs, type: "button", onclick: () => on.cycle(item) }, ...content);
}

function renderLegend(view) {
  const used = [...new Set(view.flows.map((f) => f.priority))].sort((a, b) => a - b);
  return h(
    "div",
    { class: "legend", "aria-hidden": "true" },
    h("span", {}, h("span", { class: "legend-client" }, "client"), " sends the requests"),
    h(
      "span",
      {},
      h("span", { class: "legend-line thin" }),
      h("span", { class: "legend-line thick" }),
      "width = share of requests, colour = priority",
    ),
    used.map((p) => h("span", { class: `badge ${prioClass(p)}` }, `P${p}`)),
    h("span", {}, h("span", { class: "legend-dropped" }, "dropped"), " greyed, reason on hover"),
    h("span", {}, h("span", { class: "legend-gw" }), "east-west gateway"),
  );
}

// ---------------------------------------------------------------------------------------------
// Flows

/** The rectangle of `el` relative to `inner`. */
function boxOf(el, inner) {
  const r = el.getBoundingClientRect();
  const o = inner.getBoundingClientRect();
  return { x: r.left - o.left, y: r.top - o.top, w: r.width, h: r.height };
}

/** The point at `t` of the cubic Bézier s, c1, c2, e. */
function bezier([s, c1, c2, e], t) {
  const u = 1 - t;
  const w = [u * u * u, 3 * u * u * t, 3 * u * t * t, t * t * t];
  return {
    x: w[0] * s.x + w[1] * c1.x + w[2] * c2.x + w[3] * e.x,
    y: w[0] * s.y + w[1] * c1.y + w[2] * c2.y + w[3] * e.y,
  };
}

/** The length of a curve, near enough. */
function length(curve) {
  let total = 0;
  let prev = curve[0];
  for (let i = 1; i <= 16; i++) {
    const p = bezier(curve, i / 16);
    total += Math.hypot(p.x - prev.x, p.y - prev.y);
    prev = p;
  }
  return total;
}

/** How many of `obstacles` the curve crosses (sampled), given its half width. */
function hits(curve, obstacles, half) {
  let n = 0;
  for (const o of obstacles) {
    for (let i = 1; i < 24; i++) {
      const p = bezier(curve, i / 24);
      if (p.x > o.x - half && p.x < o.x + o.w + half && p.y > o.y - half && p.y < o.y + o.h + half) {
        n++;
        break;
      }
    }
  }
  return n;
}

/**
 * A cubic Bézier from box `a` to box `b`, leaving and entering on the facing sides, bent
 * sideways (or taken around a side) as little as it takes to pass around the other endpoints
 * (`obstacles`) rather than under them, so that a flow never seems to run through an endpoint
 * it does not reach.
 */
function flowPath(a, b, obstacles, width) {
  const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
  const ac = { x: a.x + a.w / 2, y: a.y + a.h / 2 };
  const bc = { x: b.x + b.w / 2, y: b.y + b.h / 2 };
  const dx = bc.x - ac.x;
  const dy = bc.y - ac.y;
  // Straight across, horizontally or vertically, bent by `bend` across its direction.
  const across = (horizontal, bend) => {
    if (horizontal) {
      const dir = Math.sign(dx) || 1;
      const s = { x: ac.x + (dir * a.w) / 2, y: clamp(bc.y, a.y + 8, a.y + a.h - 8) };
      const e = { x: bc.x - (dir * b.w) / 2, y: bc.y };
      const k = Math.max(24, Math.abs(e.x - s.x) / 2);
      return [s, { x: s.x + dir * k, y: s.y + bend }, { x: e.x - dir * k, y: e.y + bend }, e];
    }
    const dir = Math.sign(dy) || 1;
    const s = { x: clamp(bc.x, a.x + 12, a.x + a.w - 12), y: ac.y + (dir * a.h) / 2 };
    const e = { x: bc.x, y: bc.y - (dir * b.h) / 2 };
    const k = Math.max(24, Math.abs(e.y - s.y) / 2);
    return [s, { x: s.x + bend, y: s.y + dir * k }, { x: e.x + bend, y: e.y - dir * k }, e];
  };
  // Around a side: leave `a` and enter `b` on the same side (right, left, below, above),
  // bulging out past both.
  const around = (side, bulge) => {
    if (side === "right" || side === "left") {
      const r = side === "right";
      const sx = r ? a.x + a.w : a.x;
      const ex = r ? b.x + b.w : b.x;
      const out = r ? Math.max(sx, ex) + bulge : Math.min(sx, ex) - bulge;
      return [{ x: sx, y: ac.y }, { x: out, y: ac.y }, { x: out, y: bc.y }, { x: ex, y: bc.y }];
    }
    const d = side === "below";
    const sy = d ? a.y + a.h : a.y;
    const ey = d ? b.y + b.h : b.y;
    const out = d ? Math.max(sy, ey) + bulge : Math.min(sy, ey) - bulge;
    return [{ x: ac.x, y: sy }, { x: ac.x, y: out }, { x: bc.x, y: out }, { x: bc.x, y: ey }];
  };
  // Horizontal first when the boxes sit side by side, vertical when one is above the other.
  const apartX = b.x >= a.x + a.w || b.x + b.w <= a.x;
  const apartY = b.y >= a.y + a.h || b.y + b.h <= a.y;
  const horizontalFirst = apartX && (!apartY || Math.abs(dx) > Math.abs(dy) * 1.2);
  const first = horizontalFirst;
  // Every candidate is scored: fewest endpoints crossed, then shortest.
  const candidates = [];
  for (const bend of [0, 25, -25, 50, -50, 80, -80, 120, -120, 170, -170, 230, -230]) {
    candidates.push(across(first, bend), across(!first, bend));
  }
  for (const side of ["right", "left", "below", "above"]) candidates.push(around(side, 24), around(side, 48));
  const half = Math.min(width / 2, 6);
  let best = null;
  for (const curve of candidates) {
    const score = hits(curve, obstacles, half) * 1e6 + length(curve);
    if (!best || score < best.score) best = { score, curve };
  }
  const f = (n) => n.toFixed(1);
  const [p0, p1, p2, p3] = best.curve;
  return `M${f(p0.x)},${f(p0.y)} C${f(p1.x)},${f(p1.y)} ${f(p2.x)},${f(p2.y)} ${f(p3.x)},${f(p3.y)}`;
}

/** Stroke width of a flow carrying `share` of the requests. */
export const flowWidth = (share) => Math.max(MIN_WIDTH, share * FULL_WIDTH);

/** (Re)draws the flows of `view` over the boxes in `root`. */
export function drawFlows(root, view) {
  const inner = root.querySelector(".diagram-inner");
  const svg = inner?.querySelector("svg.flows");
  if (!svg) return;
  svg.setAttribute("width", inner.scrollWidth);
  svg.setAttribute("height", inner.scrollHeight);
  const layer = document.createElementNS(SVG, "g");
  const defs = document.createElementNS(SVG, "defs");
  for (let p = 0; p < PRIORITY_COLOURS; p++) {
    const marker = document.createElementNS(SVG, "marker");
    marker.setAttribute("id", `arrow-p${p}`);
    marker.setAttribute("viewBox", "0 0 10 10");
    marker.setAttribute("refX", "9");
    marker.setAttribute("refY", "5");
    marker.setAttribute("markerWidth", "9");
    marker.setAttribute("markerHeight", "9");
    marker.setAttribute("markerUnits", "userSpaceOnUse");
    marker.setAttribute("orient", "auto");
    const tip = document.createElementNS(SVG, "path");
    tip.setAttribute("d", "M0,0 L10,5 L0,10 z");
    tip.setAttribute("class", `arrow p${p}`);
    marker.append(tip);
    defs.append(marker);
  }
  const find = (key) => inner.querySelector(`[data-key="${CSS.escape(key)}"]`);
  const boxes = [...inner.querySelectorAll(".ep, .client, .gateway")].map((el) => ({ el, ...boxOf(el, inner) }));
  // Widest first, so that thin flows stay visible on top of thick ones.
  const flows = [...view.flows].sort((a, b) => b.share - a.share);
  for (const flow of flows) {
    const a = find(flow.from);
    const b = find(flow.to);
    if (!a || !b) continue;
    const path = document.createElementNS(SVG, "path");
    const obstacles = boxes.filter((o) => o.el !== a && o.el !== b);
    path.setAttribute("d", flowPath(boxOf(a, inner), boxOf(b, inner), obstacles, flowWidth(flow.share)));
    path.setAttribute("class", `flow ${prioClass(flow.priority)}${flow.behind ? " behind" : ""}`);
    path.setAttribute("stroke-width", flowWidth(flow.share).toFixed(2));
    path.setAttribute("marker-end", `url(#arrow-${prioClass(flow.priority)})`);
    path.dataset.from = flow.from;
    path.dataset.to = flow.to;
    path.dataset.share = String(flow.share);
    layer.append(path);
  }
  const particles = document.createElementNS(SVG, "g");
  particles.setAttribute("class", "particles");
  svg.replaceChildren(defs, layer, particles);
}
