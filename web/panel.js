// The side panel: what meshlb says (status, priorities, shares, drops, notes) and the what-if
// controls. Every number shown here is read from meshlb's explanation as it is.

import { h, pct, prioClass } from "./draw.js";
import { describeFailure, describeOp, localityFailure, ruleTarget, settingAsWritten } from "./whatif.js";

const STATUS_TEXT = {
  routed: "routed",
  "dns-failure": "DNS failure",
  "not-visible": "not visible",
  untrusted: "untrusted",
  "no-endpoints": "no endpoints",
  "no-route": "no route",
  "not-imported": "not imported",
};

/** The summary at the top of the Traffic tab. */
export function renderSummary(root, exp) {
  const c = exp.client;
  const parts = [
    h(
      "p",
      { class: "status-line" },
      h("span", { class: `status-pill status-${exp.status}`, "data-status": exp.status }, STATUS_TEXT[exp.status] ?? exp.status),
      " ",
      exp.message,
    ),
    c
      ? h(
          "p",
          { class: "who" },
          "client ",
          h("b", {}, `${c.cluster}/${c.namespace}`),
          ` in ${c.locality || "no locality"}, network ${c.network || "(flat)"}, control plane ${c.control_plane}`,
          c.config_cluster && c.config_cluster !== c.control_plane ? ` (config from cluster ${c.config_cluster})` : "",
          h("br"),
          "calls ",
          h("b", {}, exp.host ?? "?"),
        )
      : h("p", { class: "who" }, "Envoy input: the endpoints of one cluster, as one proxy balances them"),
    h(
      "p",
      { class: "policy" },
      `${exp.lb_policy} · locality LB ${exp.locality_lb} · panic threshold ${exp.panic_threshold ?? "?"}% · overprovisioning ${exp.overprovisioning_factor ?? 140}%`,
      exp.locality_weighted ? " · locality-weighted" : "",
    ),
    exp.routes?.length
      ? h(
          "p",
          { class: "routes" },
          "route: ",
          exp.routes.map((r, i) => [i ? " · " : "", h("b", {}, r.subset ?? "(all)"), ` weight ${r.weight}`]),
        )
      : null,
  ];
  root.replaceChildren(...parts.filter(Boolean));
}

/** Each priority's load, health and hosts, and where it is. */
export function renderPriorities(root, exp) {
  if (!exp.priorities.length) {
    root.replaceChildren(h("li", { class: "muted" }, "no priority: nothing is sent"));
    return;
  }
  root.replaceChildren(
    ...exp.priorities.map((p) => {
      const where = [
        ...new Set(
          exp.endpoints
            .filter((e) => e.priority === p.priority && (e.subset ?? null) === (p.subset ?? null))
            .map((e) => (e.kind === "gateway" ? `${e.locality || "?"} (via gateway)` : e.locality || "no locality")),
        ),
      ];
      const load = p.healthy_load + p.degraded_load;
      return h(
        "li",
        {
          class: `priority ${prioClass(p.priority)}`,
          "data-priority": p.priority,
          "data-subset": p.subset ?? "",
          "data-load": load,
        },
        h(
          "div",
          { class: "prio-head" },
          h("span", { class: `badge ${prioClass(p.priority)}` }, `P${p.priority}`),
          p.subset ? h("span", { class: "subset", title: "the route's destination subset: its own Envoy cluster" }, p.subset) : null,
          p.subset && exp.routes ? h("span", { class: "route-weight" }, `route weight ${exp.routes.find((r) => r.subset === p.subset)?.weight ?? "?"}`) : null,
          h("span", { class: "prio-load" }, h("b", {}, `${load}%`), p.subset ? ` of ${p.subset}'s requests` : " of requests"),
          p.panic ? h("span", { class: "panic", title: "below the panic threshold: all hosts serve, healthy or not" }, "PANIC") : null,
        ),
        h(
          "div",
          { class: "load-bar", role: "img", "aria-label": `load ${load}%` },
          h("span", { class: `healthy ${prioClass(p.priority)}`, style: `width:${p.healthy_load}%` }),
          h("span", { class: "degraded", style: `width:${p.degraded_load}%` }),
        ),
        h(
          "div",
          { class: "prio-facts" },
          `health ${p.health}%`,
          p.degraded ? ` · degraded ${p.degraded}%` : "",
          p.hosts !== undefined ? ` · ${p.healthy_hosts} of ${p.hosts} hosts healthy` : "",
          p.degraded_hosts ? `, ${p.degraded_hosts} degraded` : "",
        ),
        where.length ? h("div", { class: "prio-where" }, where.join(" · ")) : null,
      );
    }),
  );
}

/** The share table: every endpoint's explained share, and the observed one after a run. */
export function renderShares(root, exp) {
  const body = exp.endpoints.map((e, i) =>
    h(
      "tr",
      {
        class: `share-row ${e.share > 0 ? "" : "zero"}`,
        "data-index": i,
        "data-address": e.address,
        "data-port": e.port,
        "data-cluster": e.cluster ?? "",
        "data-kind": e.kind,
        "data-priority": e.priority,
        "data-subset": e.subset ?? "",
        "data-share": e.share,
      },
      h("td", {}, h("span", { class: `badge ${prioClass(e.priority)}` }, `P${e.priority}`)),
      h(
        "th",
        { scope: "row" },
        h("span", { class: "mono" }, `${e.address}:${e.port}`),
        " ",
        h("span", { class: `health h-${e.health.toLowerCase()}` }, e.health),
        h(
          "span",
          { class: "where" },
          e.kind === "gateway" ? `gateway for ${(e.behind ?? []).join(", ")}` : [e.cluster, e.locality].filter(Boolean).join(" · "),
          e.subset ? ` · ${e.subset}` : "",
        ),
      ),
      h(
        "td",
        { class: "num explained" },
        h("span", { class: "bar", "aria-hidden": "true" }, h("span", { class: prioClass(e.priority), style: `width:${e.share * 100}%` })),
        pct(e.share),
      ),
      h("td", { class: "num observed", "data-observed": "" }, "–"),
    ),
  );
  root.replaceChildren(
    h(
      "table",
      { class: "shares" },
      h("caption", { class: "sr-only" }, "Each endpoint's share of requests: explained by meshlb, and observed after sending requests"),
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          h("th", { scope: "col" }, h("span", { class: "sr-only" }, "priority")),
          h("th", { scope: "col" }, "endpoint"),
          h("th", { scope: "col", class: "num" }, "explained"),
          h("th", { scope: "col", class: "num" }, "observed"),
        ),
      ),
      h("tbody", {}, body.length ? body : h("tr", {}, h("td", { colspan: 4, class: "muted" }, "no endpoint receives requests"))),
    ),
  );
}

/** The dropped endpoints, with their reasons: the accessible list behind the greyed chips. */
export function renderDropped(root, exp) {
  root.replaceChildren(
    ...(exp.dropped.length
      ? exp.dropped.map((d) =>
          h(
            "li",
            { "data-address": d.address, "data-port": d.port, "data-reason": d.reason },
            h("span", { class: "mono" }, `${d.address}:${d.port}`),
            d.cluster ? ` (${d.cluster})` : "",
            " — ",
            h("b", {}, d.reason),
            `: ${d.message}`,
          ),
        )
      : [h("li", { class: "muted" }, "none")]),
  );
}

/** The explanation's notes with their codes (`note_codes`: programs decide on the code, never on the wording). */
const codedNotes = (exp) => exp.notes.map((text, i) => ({ text, code: exp.note_codes?.[i] }));

/** The notes on what a failure (`--fail`, a click in the Mesh view) changes. */
const failureNotes = (exp) => codedNotes(exp).filter((n) => n.code === "failure").map((n) => n.text);

export function renderNotes(root, exp) {
  root.replaceChildren(...codedNotes(exp).map((n) => h("li", n.code === "failure" ? { class: "fail-note" } : {}, n.text)));
}

// ---------------------------------------------------------------------------------------------
// What-if controls

/**
 * The What-if tab. `exp` is meshlb's explanation with the what-ifs applied, `baseExp` its
 * explanation of the unedited input: the controls show what meshlb says is in force (the
 * topology, the DestinationRule that applied, the locality setting and where it came from).
 * `on.set(ops)` replaces the what-if list; `ops` is the current one. `fails` are the failures
 * (meshlb's `KIND=VALUE` strings): `on.toggleFailure(f)` adds or removes one,
 * `on.setFails(list)` replaces them.
 */
export function renderWhatIf(root, { exp, baseExp, ops, fails, on }) {
  const failed = failureNotes(exp);
  const noteList = failed.length
    ? h("ul", { class: "notes fail-notes", "aria-label": "what meshlb says about the failures" }, failed.map((n) => h("li", { class: "fail-note" }, n)))
    : null;
  const t = exp.topology;
  if (!t) {
    root.replaceChildren(
      h("p", {}, "Envoy input: click an endpoint in the drawing to cycle its health (HEALTHY → failed → DEGRADED). The other what-ifs need a meshlb scenario."),
      renderInForce(ops, fails, on),
      noteList,
    );
    return;
  }
  const clusters = t.clusters.map((c) => c.name);
  const locs = t.localities;
  const regions = [...new Set(locs.map((l) => l.split("/")[0]).filter(Boolean))];
  const client = exp.client ?? {};
  const select = (id, label, value, options, onchange) =>
    h(
      "label",
      { class: "field" },
      h("span", {}, label),
      h(
        "select",
        { id, onchange: (e) => onchange(e.target.value) },
        options.map((o) => {
          const [v, text] = Array.isArray(o) ? o : [o, o];
          return h("option", { value: v, selected: v === value }, text);
        }),
      ),
    );
  const moveClient = (patch) =>
    on.set([
      ...ops.filter((o) => o.op !== "client"),
      { op: "client", cluster: client.cluster, namespace: client.namespace, locality: client.locality ?? "", ...patch },
    ]);

  // The setting meshlb says is in force (the first route destination's), and where an edit of
  // it goes: the DestinationRule that applied, or a new one (whatif.js ruleTarget).
  const settings = exp.locality_settings?.[0];
  const baseSettings = baseExp?.locality_settings?.[0];
  const edit = (op) => on.setOp({ ...op, rule: ruleTarget(exp), init: settingAsWritten(settings) });
  const same = (a, b) => a.from === b.from && a.to === b.to;
  const failoverRules = [
    ...(settings?.failover ?? []),
    ...(baseSettings?.failover ?? []).filter((b) => !(settings?.failover ?? []).some((f) => same(f, b))),
  ];
  const zones = [...new Set(locs.map((l) => l.split("/").slice(0, 2).join("/")))].filter((z) => z.includes("/"));

  const check = (id, label, checked, onchange, hint) =>
    h(
      "label",
      { class: "check" },
      h("input", { type: "checkbox", id, checked, onchange: (e) => onchange(e.target.checked) }),
      h("span", {}, label, hint ? h("small", {}, hint) : null),
    );

  const failCheck = (failure, label) =>
    check(`fail-${failure.replace(/[^A-Za-z0-9._-]+/g, "-")}`, label, fails.includes(failure), () => on.toggleFailure(failure));
  const networkNames = t.networks.filter((n) => n.gateways.length).map((n) => n.name);
  const cps = t.control_planes;
  const dr = exp.destination_rule;
  const vs = exp.virtual_service;

  root.replaceChildren(
    renderInForce(ops, fails, on),
    h(
      "fieldset",
      {},
      h("legend", {}, "Client"),
      select("client-cluster", "cluster", client.cluster, clusters, (v) => moveClient({ cluster: v })),
      select("client-namespace", "namespace", client.namespace, t.namespaces, (v) => moveClient({ namespace: v })),
      select(
        "client-locality",
        "locality",
        client.locality ?? "",
        [["", "(none)"], ...locs],
        (v) => moveClient({ locality: v }),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Failures"),
      h(
        "p",
        { class: "hint" },
        "meshlb applies each failure (the CLI's ",
        h("code", {}, "--fail"),
        "). Click an endpoint in the drawing to cycle it: HEALTHY → failed → DEGRADED.",
      ),
      h("div", { class: "sub" }, "fail a zone"),
      h("div", { class: "check-grid" }, zones.map((z) => failCheck(localityFailure(z), z))),
      h("div", { class: "sub" }, "fail a cluster (its workloads and API server)"),
      h("div", { class: "check-grid" }, clusters.map((c) => failCheck(`cluster=${c}`, c))),
      networkNames.length ? h("div", { class: "sub" }, "fail a network's east-west gateways") : null,
      networkNames.length ? h("div", { class: "check-grid" }, networkNames.map((n) => failCheck(`network=${n}`, n))) : null,
      cps.length ? h("div", { class: "sub" }, "fail a control plane (istiod)") : null,
      cps.length ? h("div", { class: "check-grid" }, cps.map((c) => failCheck(`control-plane=${c.name}`, c.name))) : null,
      noteList,
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Remote secrets"),
      h("p", { class: "hint" }, "A control plane discovers its config cluster and the clusters it holds a remote secret for."),
      cps.map((cp) =>
        h(
          "div",
          { class: "cp" },
          h("div", { class: "cp-name" }, cp.external ? "external control plane " : "primary ", h("b", {}, cp.name), " watches"),
          h(
            "div",
            { class: "check-grid" },
            clusters
              .filter((c) => c !== cp.config_cluster)
              .map((c) =>
                check(`secret-${cp.name}-${c}`, c, cp.remote_secrets.includes(c), (on_) =>
                  on.setOp({ op: "secret", cp: cp.name, external: cp.external, cluster: c, on: on_ }),
                ),
              ),
          ),
        ),
      ),
    ),
    h(
      "fieldset",
      {},
      h("legend", {}, "Locality load balancing"),
      h(
        "p",
        { class: "hint", id: "in-force-source" },
        settings
          ? `In force: ${settings.from}${settings.subset ? ` (subset ${settings.subset})` : ""}. `
          : "No setting in force: the request reaches no cluster. ",
        `The client's control plane ${client.control_plane} reads Istio config from cluster ${client.config_cluster}`,
        dr ? `; DestinationRule ${dr.namespace}/${dr.name} applies` : "; no DestinationRule applies",
        vs ? `; VirtualService ${vs.namespace}/${vs.name} routes` : "",
        ".",
      ),
      settings
        ? [
            check("outlier", "outlierDetection", settings.outlier_detection, (v) => edit({ op: "outlier", on: v }), "Istio sets failover priorities only with it"),
            check("locality-lb", "localityLbSetting.enabled", settings.enabled, (v) => edit({ op: "localityLb", on: v })),
            failoverRules.length ? h("div", { class: "sub" }, "failover rules") : null,
            failoverRules.map((f) =>
              check(
                `failover-${f.from}-${f.to}`,
                `${f.from} → ${f.to}`,
                settings.failover.some((x) => same(x, f)),
                (v) => edit({ op: "failover", from: f.from, to: f.to, on: v }),
              ),
            ),
            regions.length > 1 ? renderAddFailover(regions, (from, to) => edit({ op: "failover", from, to, on: true })) : null,
            baseSettings?.failover_priority.length
              ? check(
                  "failover-priority",
                  `failoverPriority [${baseSettings.failover_priority.join(", ")}]`,
                  settings.failover_priority.length > 0,
                  (v) => edit({ op: "failoverPriority", on: v, value: baseSettings.failover_priority }),
                )
              : null,
            settings.distribute.length ? h("p", { class: "hint" }, `distribute: ${settings.distribute.length} rule(s) (edit them in the scenario)`) : null,
          ]
        : null,
    ),
  );
}

function renderAddFailover(regions, add) {
  const from = h("select", { id: "failover-from", "aria-label": "failover from region" }, regions.map((r) => h("option", { value: r }, r)));
  const to = h(
    "select",
    { id: "failover-to", "aria-label": "failover to region" },
    regions.map((r, i) => h("option", { value: r, selected: i === 1 }, r)),
  );
  return h(
    "div",
    { class: "add-failover" },
    "add ",
    from,
    " → ",
    to,
    h(
      "button",
      {
        type: "button",
        onclick: () => {
          if (from.value !== to.value) add(from.value, to.value);
        },
      },
      "Add",
    ),
  );
}

function renderInForce(ops, fails, on) {
  const count = ops.length + fails.length;
  return h(
    "div",
    { class: "in-force" },
    h("h3", {}, count ? `What-ifs in force (${count})` : "No what-if in force"),
    count
      ? h(
          "ul",
          {},
          fails.map((f) =>
            h(
              "li",
              { "data-failure": f },
              describeFailure(f),
              h(
                "button",
                {
                  type: "button",
                  class: "remove",
                  "aria-label": `undo: ${describeFailure(f)}`,
                  onclick: () => on.setFails(fails.filter((x) => x !== f)),
                },
                "×",
              ),
            ),
          ),
          ops.map((op, i) =>
            h(
              "li",
              {},
              describeOp(op),
              h(
                "button",
                {
                  type: "button",
                  class: "remove",
                  "aria-label": `undo: ${describeOp(op)}`,
                  onclick: () => on.set(ops.filter((_, j) => j !== i)),
                },
                "×",
              ),
            ),
          ),
        )
      : h("p", { class: "hint" }, "Change something below or in the drawing: the picture re-flows at once."),
    count ? h("button", { type: "button", id: "reset-whatif", onclick: () => on.reset() }, "Reset all what-ifs") : null,
  );
}
