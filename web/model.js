// What the drawing shows, read from meshlb's explanation alone.
//
// The explanation says where requests go (endpoints with shares, gateways with the endpoints
// behind them and their shares, drops with reasons) and, for a scenario, where things are
// (`topology`: meshes, networks and their gateways, clusters, the host's workloads, every
// default applied). This module arranges the two into one tree: mesh → network (with its
// gateways) → cluster → locality → items, plus the client and the flows from it. It decides
// nothing about load balancing or Istio: every number and every fact comes from meshlb.

import { splitLocality, workloadKey, localityFailure, endpointFailure } from "./whatif.js";

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
 * @property {number} share        explained share of requests sent to it directly
 * @property {number} viaShare     behind gateways: the share meshlb says reaches it through them
 * @property {number[]} priorities
 * @property {string[]} subsets
 * @property {string} [reason]     dropped: the reason code
 * @property {string} [message]    dropped: the sentence
 * @property {string[]} [via]      behind gateways: their keys
 * @property {boolean} editable    an endpoint of the input whose health a click cycles
 * @property {boolean} failed      its own failure (`endpoint=ADDRESS:PORT`) is in force
 */

/**
 * Builds the view of explanation `exp` (with failures `fails` applied by meshlb). The failures
 * only mark which buttons are pressed: what they do is in the explanation. `client` holds what
 * the document says of the client beyond the explanation (its labels, to name it).
 */
export function buildView(exp, fails = [], client = {}) {
  const t = exp.topology;
  const view = {
    kind: t ? "scenario" : "envoy",
    status: exp.status,
    meshes: [],
    externalControlPlanes: t ? t.control_planes.filter((cp) => cp.external) : [],
    client: null,
    flows: [],
    gateways: new Map(), // key -> gateway
    items: new Map(), // key -> item
    priorities: exp.priorities,
    fails,
  };
  if (!t) return envoyView(view, exp);

  const meshNodes = new Map();
  for (const m of t.meshes) {
    meshNodes.set(m.id, {
      id: m.id,
      trustDomain: m.trust_domain,
      trustBundles: m.trust_bundles,
      imports: m.imports,
      networks: new Map(),
    });
  }
  const firstMesh = t.meshes[0]?.id ?? "";
  const networkNode = (meshId, name) => {
    const mesh = meshNodes.get(meshId) ?? meshNodes.get(firstMesh);
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
  for (const n of t.networks) networkNode(n.mesh, n.name);

  const clusterNodes = new Map();
  for (const c of t.clusters) {
    const node = {
      name: c.name,
      network: c.network,
      mesh: c.mesh,
      primary: c.primary,
      controlPlane: c.control_plane,
      remoteSecrets: c.remote_secrets,
      failed: fails.includes(`cluster=${c.name}`),
      controlPlaneFailed: c.primary && fails.includes(`control-plane=${c.name}`),
      localities: new Map(),
      share: 0,
    };
    clusterNodes.set(c.name, node);
    networkNode(node.mesh, node.network).clusters.push(node);
  }
  const clusterNode = (name) => {
    if (!clusterNodes.has(name)) {
      // An endpoint of a cluster the topology does not list (a ServiceEntry endpoint of no
      // cluster): its own box.
      const node = {
        name: name ?? "(unknown)",
        network: "",
        mesh: firstMesh,
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
      const zoneKey = zone ? `${region}/${zone}` : region;
      c.localities.set(key, {
        locality: key,
        region,
        zone,
        subzone,
        zoneKey,
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
  const gatewayKey = (network, address, port) => `g:${network}|${address}:${port}`;
  for (const n of t.networks) {
    for (const g of n.gateways) {
      const gw = {
        key: gatewayKey(n.name, g.address, g.port),
        failed: g.failed,
        address: g.address,
        port: g.port,
        cluster: g.cluster,
        network: n.name,
        share: 0,
        priorities: new Set(),
        behind: new Map(), // workload key -> { address, port, cluster, locality, share }
      };
      networkNode(n.mesh, n.name).gateways.push(gw);
      view.gateways.set(gw.key, gw);
    }
  }

  const workloads = new Map(t.workloads.map((w) => [workloadKey(w.cluster, w.address, w.port), w]));
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
  const fromWorkload = (w, state) => ({
    key: `w:${workloadKey(w.cluster, w.address, w.port)}`,
    state,
    address: w.address,
    port: w.port,
    cluster: w.cluster,
    locality: w.locality,
    health: w.health,
    weight: w.weight,
    share: 0,
    viaShare: 0,
    priorities: [],
    subsets: [],
    editable: true,
  });

  // 1. The endpoints meshlb sends, with their shares; a gateway's, with what stands behind it.
  for (const ep of exp.endpoints) {
    if (ep.kind === "gateway") {
      const gw = view.gateways.get(gatewayKey(ep.network ?? "", ep.address, ep.port));
      if (!gw) continue;
      gw.share += ep.share;
      gw.priorities.add(ep.priority);
      gw.health = ep.health;
      for (const b of list(ep.behind_endpoints)) {
        const key = workloadKey(b.cluster, b.address, b.port);
        const entry = gw.behind.get(key) ?? { ...b, share: 0 };
        entry.share += b.share;
        gw.behind.set(key, entry);
      }
      continue;
    }
    addItem({
      key: `w:${workloadKey(ep.cluster, ep.address, ep.port)}`,
      state: "sent",
      address: ep.address,
      port: ep.port,
      cluster: ep.cluster,
      locality: ep.locality,
      health: ep.health,
      weight: ep.weight,
      share: ep.share,
      viaShare: 0,
      priorities: [ep.priority],
      subsets: ep.subset ? [ep.subset] : [],
      editable: workloads.has(workloadKey(ep.cluster, ep.address, ep.port)),
    });
  }

  // 2. What stands behind each gateway: the other network's endpoints, reached through it.
  for (const gw of view.gateways.values()) {
    for (const [key, b] of gw.behind) {
      const w = workloads.get(key);
      const item = addItem(
        w
          ? fromWorkload(w, "behind")
          : {
              ...fromWorkload({ ...b, health: gw.health, weight: b.weight }, "behind"),
              editable: false,
            },
      );
      item.via ??= [];
      if (!item.via.includes(gw.key)) item.via.push(gw.key);
      item.viaShare += b.share;
      for (const p of gw.priorities) if (!item.priorities.includes(p)) item.priorities.push(p);
    }
  }

  // 3. The endpoints meshlb dropped, each with its reason.
  for (const d of exp.dropped) {
    const w = workloads.get(workloadKey(d.cluster, d.address, d.port));
    const item = addItem({
      ...(w
        ? fromWorkload(w, "dropped")
        : {
            key: `w:${workloadKey(d.cluster, d.address, d.port)}`,
            state: "dropped",
            address: d.address,
            port: d.port,
            cluster: d.cluster,
            locality: "",
            health: "UNKNOWN",
            weight: 1,
            share: 0,
            viaShare: 0,
            priorities: [],
            subsets: [],
            editable: false,
          }),
      reason: d.reason,
      message: d.message,
    });
    if (item.state !== "dropped") {
      // Sent in one subset, dropped from another: keep it sent, note the drop.
      item.alsoDropped = `${d.reason}: ${d.message}`;
    }
  }

  // 4. The host's other workloads (nothing sent to them: e.g. the host is not visible).
  for (const w of t.workloads) {
    const key = `w:${workloadKey(w.cluster, w.address, w.port)}`;
    if (!view.items.has(key)) addItem(fromWorkload(w, "unused"));
  }

  // The client, in its cluster and locality.
  const c = exp.client;
  if (c) {
    view.client = {
      key: "client",
      cluster: c.cluster,
      namespace: c.namespace,
      locality: c.locality,
      labels: client?.labels ?? {},
      network: c.network,
      controlPlane: c.control_plane,
      configCluster: c.config_cluster,
      host: exp.host,
    };
    localityNode(c.cluster, c.locality).client = true;
  }

  finish(view, meshNodes, clusterNodes);
  return view;
}

/** Envoy input: one box for the Envoy cluster, its localities, and the proxy as the client. */
function envoyView(view, exp) {
  const name = "Envoy cluster";
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
        zoneKey: zone ? `${region}/${zone}` : region,
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
      locality: ep.locality,
      health: ep.health,
      weight: ep.weight,
      share: ep.share,
      viaShare: 0,
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
    // What lands here: sent directly, and what meshlb says reaches it through gateways.
    l.share += item.share + item.viaShare;
    c.share += item.share + item.viaShare;
    if (item.state === "sent" || item.state === "behind") for (const p of item.priorities) l.priorities.add(p);
  }
  // The client's locality first, then in priority order (the order traffic fails over in).
  const first = (l) => (l.priorities.size ? Math.min(...l.priorities) : Infinity);
  const byLocality = (a, b) =>
    Number(b.client) - Number(a.client) || first(a) - first(b) || a.locality.localeCompare(b.locality);
  for (const mesh of meshNodes.values()) {
    // Networks with nothing in them (no cluster, no gateway) are not drawn.
    const networks = [...mesh.networks.values()].filter((n) => n.clusters.length || n.gateways.length);
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
    // the first gateway it is behind and as wide as meshlb says all its gateways send it.
    for (const item of view.items.values()) {
      if (item.via?.[0] === gw.key && item.viaShare > 0) {
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
