// What the drawing shows, computed from the scenario (after what-ifs) and meshlb's explanation.
//
// The explanation says where requests go (endpoints with shares, drops with reasons); the
// scenario says where things are (meshes, networks, gateways, clusters, localities). This
// module joins the two into one tree: mesh → network (with its gateways) → cluster → locality
// → items, plus the client and the flows from it. Nothing here decides anything about load
// balancing: every number comes from meshlb.

import {
  isScenario,
  requestHost,
  servesHost,
  splitLocality,
  workloadKey,
  zoneKey,
  localityFailure,
  endpointFailure,
} from "./scenario.js";

const list = (value) => (Array.isArray(value) ? value : []);

/**
 * @typedef {object} Item  one endpoint chip
 * @property {string} key         "w:cluster|address:port"
 * @property {"sent"|"behind"|"dropped"|"unused"} state
 * @property {string} address
 * @property {number} port
 * @property {string|null} cluster
 * @property {string} locality
 * @property {string} health
 * @property {number} share        explained share of requests (0 when not sent)
 * @property {number[]} priorities
 * @property {string[]} subsets
 * @property {string} [reason]     dropped: the reason code
 * @property {string} [message]    dropped: the sentence
 * @property {string[]} [via]      behind gateways: their keys
 * @property {boolean} editable    a scenario workload whose health a click cycles
 * @property {boolean} failed      its own failure (`endpoint=ADDRESS:PORT`) is in force
 */

/**
 * Builds the view of `scenario` explained by `exp` (with failures `fails` applied by meshlb).
 * The failures only mark which buttons are pressed: what they do is in the explanation.
 */
export function buildView(scenario, exp, fails = []) {
  const view = {
    kind: isScenario(scenario) ? "scenario" : "envoy",
    status: exp.status,
    meshes: [],
    externalControlPlanes: list(scenario?.externalControlPlanes),
    client: null,
    flows: [],
    gateways: new Map(), // key -> gateway
    items: new Map(), // key -> item
    priorities: exp.priorities,
    fails,
  };
  if (view.kind === "envoy") return envoyView(view, scenario, exp);

  const s = scenario;
  const meshes = list(s.meshes).length
    ? list(s.meshes)
    : [{ id: "mesh1", trustDomain: "cluster.local" }];
  const meshOf = (cluster) => cluster?.mesh ?? meshes[0].id;
  const networkDefs = new Map(list(s.networks).map((n) => [n.name, n]));
  const meshNodes = new Map();
  for (const m of meshes) {
    meshNodes.set(m.id, {
      id: m.id,
      trustDomain: m.trustDomain ?? "cluster.local",
      trustBundles: list(m.trustBundles),
      imports: list(m.imports),
      networks: new Map(),
    });
  }
  const clusterNodes = new Map();
  const networkNode = (meshId, name) => {
    const mesh = meshNodes.get(meshId) ?? meshNodes.values().next().value;
    if (!mesh.networks.has(name)) {
      mesh.networks.set(name, {
        name,
        mesh: mesh.id,
        gateways: [],
        clusters: [],
        failed: fails.includes(`network=${name}`),
      });
    }
    return mesh.networks.get(name);
  };
  for (const c of list(s.clusters)) {
    const primary = !c.controlPlane || c.controlPlane === c.name;
    const node = {
      name: c.name,
      network: c.network ?? "",
      mesh: meshOf(c),
      primary,
      controlPlane: c.controlPlane ?? c.name,
      remoteSecrets: list(c.remoteSecrets),
      failed: fails.includes(`cluster=${c.name}`),
      controlPlaneFailed: primary && fails.includes(`control-plane=${c.name}`),
      localities: new Map(),
      share: 0,
    };
    clusterNodes.set(c.name, node);
    networkNode(node.mesh, node.network).clusters.push(node);
  }
  const clusterNode = (name) => {
    if (!clusterNodes.has(name)) {
      // An endpoint of a cluster the scenario does not define (should not happen): its own box.
      const node = {
        name: name ?? "(unknown)",
        network: "",
        mesh: meshes[0].id,
        primary: false,
        controlPlane: "",
        remoteSecrets: [],
        failed: false,
        localities: new Map(),
        share: 0,
        synthetic: true,
      };
      clusterNodes.set(name, node);
      networkNode(node.mesh, "").clusters.push(node);
    }
    return clusterNodes.get(name);
  };
  const localityNode = (cluster, locality) => {
    const c = clusterNode(cluster);
    const key = locality ?? "";
    if (!c.localities.has(key)) {
      const { region, zone, subzone } = splitLocality(key);
      c.localities.set(key, {
        locality: key,
        region,
        zone,
        subzone,
        zoneKey: zoneKey(key),
        failure: localityFailure(key),
        failed: fails.includes(localityFailure(key)),
        items: [],
        priorities: new Set(),
        share: 0,
        client: false,
        cluster: c.name,
      });
    }
    return c.localities.get(key);
  };

  // Gateways: every network's east-west gateways, drawn on the network's edge.
  for (const n of list(s.networks)) {
    for (const g of list(n.gateways)) {
      const gwCluster = clusterNodes.get(g.cluster);
      const node = networkNode(gwCluster?.mesh ?? meshes[0].id, n.name);
      const gw = {
        key: `g:${n.name}|${g.address}:${g.port ?? 15443}`,
        failed: fails.includes(`gateway=${g.address}`) || fails.includes(`network=${n.name}`),
        address: g.address,
        port: g.port ?? 15443,
        cluster: g.cluster,
        network: n.name,
        share: 0,
        priorities: new Set(),
        behind: new Set(),
        localities: new Set(),
      };
      node.gateways.push(gw);
      view.gateways.set(gw.key, gw);
    }
  }

  const host = requestHost(s);
  const workloads = list(s.workloads);
  const workloadByKey = new Map(workloads.map((w) => [workloadKey(w.cluster, w.address, w.port), w]));
  const findWorkload = (cluster, address, port, network) =>
    (cluster != null ? workloadByKey.get(workloadKey(cluster, address, port)) : undefined) ??
    workloads.find(
      (w) =>
        w.address === address &&
        w.port === port &&
        (network == null || (w.network ?? clusterDef(w.cluster)?.network ?? "") === network),
    );
  const clusterDef = (name) => list(s.clusters).find((c) => c.name === name);

  const addItem = (item) => {
    item.failed = fails.includes(endpointFailure(item.address, item.port));
    const existing = view.items.get(item.key);
    if (existing) {
      existing.share += item.share;
      for (const p of item.priorities) if (!existing.priorities.includes(p)) existing.priorities.push(p);
      for (const x of item.subsets) if (!existing.subsets.includes(x)) existing.subsets.push(x);
      return existing;
    }
    view.items.set(item.key, item);
    localityNode(item.cluster, item.locality).items.push(item);
    return item;
  };

  // 1. The endpoints meshlb sends, with their shares.
  for (const ep of exp.endpoints) {
    if (ep.kind === "gateway") {
      let gw = [...view.gateways.values()].find(
        (g) => g.address === ep.address && g.port === ep.port && (ep.network == null || g.network === ep.network),
      );
      if (!gw) {
        gw = {
          key: `g:${ep.network ?? ""}|${ep.address}:${ep.port}`,
          address: ep.address,
          port: ep.port,
          cluster: ep.cluster,
          network: ep.network ?? "",
          share: 0,
          priorities: new Set(),
          behind: new Set(),
          localities: new Set(),
        };
        networkNode(clusterNodes.get(ep.cluster)?.mesh ?? meshes[0].id, gw.network).gateways.push(gw);
        view.gateways.set(gw.key, gw);
      }
      gw.share += ep.share;
      gw.priorities.add(ep.priority);
      gw.localities.add(ep.locality);
      gw.health = ep.health;
      for (const b of list(ep.behind)) gw.behind.add(b);
      continue;
    }
    const w = findWorkload(ep.cluster, ep.address, ep.port, ep.network);
    addItem({
      key: `w:${workloadKey(ep.cluster, ep.address, ep.port)}`,
      state: "sent",
      address: ep.address,
      port: ep.port,
      cluster: ep.cluster,
      locality: ep.locality ?? "",
      health: ep.health,
      weight: ep.weight,
      share: ep.share,
      priorities: [ep.priority],
      subsets: ep.subset ? [ep.subset] : [],
      editable: !!w,
    });
  }

  // 2. What stands behind each gateway: the other network's workloads, reached through it.
  for (const gw of view.gateways.values()) {
    const behind = [...gw.behind];
    for (const b of behind) {
      const i = b.lastIndexOf(":");
      const address = b.slice(0, i);
      const port = Number(b.slice(i + 1));
      const w = findWorkload(undefined, address, port, gw.network);
      const cluster = w?.cluster ?? gw.cluster;
      const item = addItem({
        key: `w:${workloadKey(cluster, address, port)}`,
        state: "behind",
        address,
        port,
        cluster,
        locality: w?.locality ?? "",
        health: w?.health ?? "HEALTHY",
        weight: w?.weight ?? 1,
        share: 0,
        priorities: [...gw.priorities],
        subsets: [],
        via: [],
        viaShare: 0,
        editable: !!w,
      });
      if (!item.via) item.via = [];
      if (!item.via.includes(gw.key)) item.via.push(gw.key);
      item.viaShare = (item.viaShare ?? 0) + gw.share / behind.length;
    }
  }

  // 3. The endpoints meshlb dropped, each with its reason.
  for (const d of exp.dropped) {
    const w = findWorkload(d.cluster, d.address, d.port);
    const item = addItem({
      key: `w:${workloadKey(d.cluster ?? w?.cluster, d.address, d.port)}`,
      state: "dropped",
      address: d.address,
      port: d.port,
      cluster: d.cluster ?? w?.cluster ?? null,
      locality: w?.locality ?? "",
      health: w?.health ?? "HEALTHY",
      weight: w?.weight ?? 1,
      share: 0,
      priorities: [],
      subsets: [],
      reason: d.reason,
      message: d.message,
      editable: !!w,
    });
    if (item.state !== "dropped") {
      // Sent in one subset, dropped from another: keep it sent, note the drop.
      item.alsoDropped = `${d.reason}: ${d.message}`;
    }
  }

  // 4. The service's other workloads (nothing sent to them: e.g. the host is not visible).
  for (const w of workloads) {
    if (!servesHost(w, host)) continue;
    const key = `w:${workloadKey(w.cluster, w.address, w.port)}`;
    if (view.items.has(key)) continue;
    addItem({
      key,
      state: "unused",
      address: w.address,
      port: w.port,
      cluster: w.cluster,
      locality: w.locality ?? "",
      health: w.health ?? "HEALTHY",
      weight: w.weight ?? 1,
      share: 0,
      priorities: [],
      subsets: [],
      editable: true,
    });
  }

  // The client, in its cluster and locality.
  const c = s.client ?? {};
  view.client = {
    key: "client",
    cluster: c.cluster,
    namespace: c.namespace,
    locality: c.locality ?? "",
    labels: c.labels ?? {},
    network: exp.client?.network ?? clusterDef(c.cluster)?.network ?? "",
    controlPlane: exp.client?.control_plane ?? clusterDef(c.cluster)?.controlPlane ?? c.cluster,
    host: exp.host ?? host,
  };
  if (c.cluster != null) localityNode(c.cluster, view.client.locality).client = true;

  finish(view, meshNodes, clusterNodes);
  return view;
}

/** Envoy input: one box for the Envoy cluster, its localities, and the proxy as the client. */
function envoyView(view, doc, exp) {
  const name = doc?.cluster_name ?? doc?.clusterName ?? doc?.name ?? "Envoy cluster";
  const cluster = {
    name,
    network: "",
    mesh: "",
    primary: false,
    envoy: true,
    controlPlane: "",
    remoteSecrets: [],
    failed: false,
    localities: new Map(),
    share: 0,
  };
  const loc = (l) => {
    if (!cluster.localities.has(l)) {
      const { region, zone, subzone } = splitLocality(l);
      cluster.localities.set(l, {
        locality: l,
        region,
        zone,
        subzone,
        zoneKey: zoneKey(l),
        failure: localityFailure(l),
        failed: view.fails.includes(localityFailure(l)),
        items: [],
        priorities: new Set(),
        share: 0,
        client: false,
        cluster: name,
      });
    }
    return cluster.localities.get(l);
  };
  for (const ep of exp.endpoints) {
    const key = `w:${workloadKey(null, ep.address, ep.port)}`;
    const item = {
      key,
      state: "sent",
      address: ep.address,
      port: ep.port,
      cluster: null,
      locality: ep.locality ?? "",
      health: ep.health,
      weight: ep.weight,
      share: ep.share,
      priorities: [ep.priority],
      subsets: [],
      editable: true,
      failed: view.fails.includes(endpointFailure(ep.address, ep.port)),
    };
    view.items.set(key, item);
    loc(item.locality).items.push(item);
  }
  view.client = { key: "client", envoy: true, host: name };
  const meshNodes = new Map([
    ["", { id: "", envoy: true, networks: new Map([["", { name: "", gateways: [], clusters: [cluster] }]]) }],
  ]);
  finish(view, meshNodes, new Map([[name, cluster]]));
  return view;
}

/** Sorts the tree, sums shares per locality and cluster, and lists the flows. */
function finish(view, meshNodes, clusterNodes) {
  for (const item of view.items.values()) {
    const c = clusterNodes.get(item.cluster) ?? [...clusterNodes.values()][0];
    const l = c?.localities.get(item.locality);
    if (!l) continue;
    l.share += item.share;
    c.share += item.share;
    if (item.state === "sent") for (const p of item.priorities) l.priorities.add(p);
  }
  for (const gw of view.gateways.values()) {
    // A gateway's traffic lands in the clusters behind it.
    for (const key of gw.behind) {
      const item = [...view.items.values()].find((i) => i.via?.includes(gw.key) && `${i.address}:${i.port}` === key);
      if (!item) continue;
      const c = clusterNodes.get(item.cluster);
      const l = c?.localities.get(item.locality);
      if (l) {
        l.share += gw.share / gw.behind.size;
        c.share += gw.share / gw.behind.size;
        for (const p of gw.priorities) l.priorities.add(p);
      }
    }
  }
  // The client's locality first, then in priority order (the order traffic fails over in).
  const first = (l) => (l.priorities.size ? Math.min(...l.priorities) : Infinity);
  const byLocality = (a, b) =>
    Number(b.client) - Number(a.client) || first(a) - first(b) || a.locality.localeCompare(b.locality);
  for (const mesh of meshNodes.values()) {
    const networks = [...mesh.networks.values()];
    // The client's network first, then by name.
    networks.sort((a, b) => rank(view, a) - rank(view, b) || a.name.localeCompare(b.name));
    for (const n of networks) {
      n.clusters.sort(
        (a, b) =>
          Number(b.name === view.client?.cluster) - Number(a.name === view.client?.cluster),
      );
      for (const c of n.clusters) {
        c.localityList = [...c.localities.values()].sort(byLocality);
        for (const l of c.localityList) l.items.sort(itemOrder);
      }
    }
    mesh.networkList = networks;
  }
  view.meshes = [...meshNodes.values()].sort(
    (a, b) => Number(hasClient(view, b)) - Number(hasClient(view, a)),
  );

  // Flows from the client: one per endpoint or gateway that receives requests, and from each
  // gateway on to what stands behind it.
  for (const item of view.items.values()) {
    if (item.state === "sent" && item.share > 0) {
      view.flows.push({ from: "client", to: item.key, share: item.share, priority: Math.min(...item.priorities) });
    }
  }
  for (const gw of view.gateways.values()) {
    if (gw.share <= 0) continue;
    const priority = Math.min(...gw.priorities);
    view.flows.push({ from: "client", to: gw.key, share: gw.share, priority });
    // On from the gateway to what stands behind it: one dashed flow per endpoint, drawn from
    // the first gateway it is behind and as wide as all its gateways together send it.
    for (const item of view.items.values()) {
      if (item.via?.[0] === gw.key) {
        view.flows.push({ from: gw.key, to: item.key, share: item.viaShare, priority, behind: true });
      }
    }
  }
}

const STATE_ORDER = { sent: 0, behind: 1, unused: 2, dropped: 3 };
function itemOrder(a, b) {
  return STATE_ORDER[a.state] - STATE_ORDER[b.state] || compareAddress(a.address, b.address) || a.port - b.port;
}

/** Dotted addresses in numeric order. */
export function compareAddress(a, b) {
  const pa = a.split(".");
  const pb = b.split(".");
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number(pa[i]);
    const y = Number(pb[i]);
    if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
    if (!(Number.isFinite(x) && Number.isFinite(y)) && pa[i] !== pb[i]) return String(pa[i]).localeCompare(String(pb[i]));
  }
  return 0;
}

function rank(view, network) {
  return network.clusters.some((c) => c.name === view.client?.cluster) ? 0 : 1;
}

function hasClient(view, mesh) {
  return [...mesh.networks.values()].some((n) => rank(view, n) === 0);
}
