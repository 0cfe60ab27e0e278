// The scenario as a JavaScript object, and the what-ifs the playground applies to it.
//
// The editor holds the scenario as text (YAML or JSON, comments and all). meshlb itself
// validates that text (its errors carry the path and the line). For drawing and for what-ifs
// the page also needs the text as an object: it parses it with the vendored js-yaml (YAML 1.2
// core schema, as meshlb's parser) and applies a list of what-if operations ("ops") to a copy.
// The text is never rewritten behind the user's back: the ops live beside it (and in the URL),
// and the modified scenario is handed to meshlb as JSON text, which it accepts as well.

import { load as loadYaml, CORE_SCHEMA } from "./vendor/js-yaml.mjs";

/** The outlierDetection the "outlier detection" what-if adds (Istio's usual example values). */
export const DEFAULT_OUTLIER_DETECTION = {
  consecutive5xxErrors: 5,
  interval: "10s",
  baseEjectionTime: "30s",
};

/** Parses scenario text (YAML or JSON) into an object; throws with the line on bad YAML. */
export function parseText(text) {
  const doc = loadYaml(text, { schema: CORE_SCHEMA });
  // `istioVersion: 1.30` unquoted is the number 1.3 to a parser; meshlb reads the number as
  // written. Keep that text (a string), or the JSON copy handed to meshlb would say 1.3.
  if (doc && typeof doc === "object" && typeof doc.istioVersion === "number") {
    const written = /^[ \t{]*["']?istioVersion["']?[ \t]*:[ \t]*([-+0-9.eE]+)/m.exec(text);
    if (written) doc.istioVersion = written[1];
  }
  return doc;
}

/** Is `doc` a meshlb scenario (as opposed to an Envoy ClusterLoadAssignment or Cluster)? */
export function isScenario(doc) {
  return !!doc && typeof doc === "object" && ("clusters" in doc || "workloads" in doc);
}

const list = (value) => (Array.isArray(value) ? value : []);

/** "region/zone/subzone" as its parts. */
export function splitLocality(locality) {
  const [region = "", zone = "", subzone = ""] = String(locality ?? "").split("/");
  return { region, zone, subzone };
}

/** The key a zone what-if uses: "region/zone" (every subzone of the zone). */
export function zoneKey(locality) {
  const { region, zone } = splitLocality(locality);
  return zone ? `${region}/${zone}` : region;
}

/** A host as a fully qualified Kubernetes name: `name`, `name.ns`, or already qualified. */
export function fqdn(host, namespace) {
  if (!host) return "";
  const dots = host.split(".").length - 1;
  if (dots === 0) return `${host}.${namespace}.svc.cluster.local`;
  if (dots === 1) return `${host}.svc.cluster.local`;
  return host;
}

/** The host the client calls, fully qualified. */
export function requestHost(s) {
  return fqdn(s?.request?.host, s?.client?.namespace ?? "default");
}

/** Does workload `w` (service "name.ns" or a ServiceEntry host) serve `host`? */
export function servesHost(w, host) {
  return !!w?.service && fqdn(w.service, "default") === host;
}

/** The workload identity the page uses everywhere: "cluster|address:port". */
export function workloadKey(cluster, address, port) {
  return `${cluster ?? ""}|${address}:${port}`;
}

/** The cluster's definition. */
export function clusterDef(s, name) {
  return list(s?.clusters).find((c) => c?.name === name);
}

/** Is the named cluster a primary (runs its own control plane)? */
export function isPrimary(s, name) {
  const c = clusterDef(s, name);
  return !!c && (!c.controlPlane || c.controlPlane === c.name);
}

/** The control planes of a scenario: primaries and external control planes. */
export function controlPlanes(s) {
  const primaries = list(s?.clusters)
    .filter((c) => isPrimary(s, c.name))
    .map((c) => ({
      name: c.name,
      external: false,
      watches: list(c.remoteSecrets),
    }));
  const external = list(s?.externalControlPlanes).map((cp) => ({
    name: cp.name,
    external: true,
    configCluster: cp.configCluster,
    watches: list(cp.remoteSecrets),
  }));
  return [...primaries, ...external];
}

/** The cluster whose API server holds the Istio config the client's proxy gets. */
export function configCluster(s) {
  const client = clusterDef(s, s?.client?.cluster);
  if (!client) return s?.client?.cluster;
  const cp = client.controlPlane || client.name;
  const external = list(s.externalControlPlanes).find((e) => e?.name === cp);
  return external ? external.configCluster : cp;
}

/** The DestinationRules for the requested host in the config the client's proxy gets. */
export function destinationRules(s) {
  const host = requestHost(s);
  const cluster = configCluster(s);
  const rules = [];
  for (const entry of list(s?.config)) {
    if (entry?.cluster !== cluster) continue;
    for (const r of list(entry.resources)) {
      if (r?.kind !== "DestinationRule" || !r.spec) continue;
      if (fqdn(r.spec.host, r.metadata?.namespace ?? "default") === host) rules.push(r);
    }
  }
  return rules;
}

/** The mesh-wide localityLbSetting of the config cluster (MeshConfig), if any. */
function meshLocalitySetting(s) {
  return clusterDef(s, configCluster(s))?.meshConfig?.localityLbSetting;
}

/**
 * The locality load-balancing settings in force for the request, and where they come from:
 * the DestinationRule's `localityLbSetting` when it has one, else the mesh default (Istio's
 * default MeshConfig turns it on).
 */
export function localitySettings(s) {
  const rules = destinationRules(s);
  const rule = rules.find((r) => r.spec?.trafficPolicy?.loadBalancer?.localityLbSetting);
  const setting = rule
    ? rule.spec.trafficPolicy.loadBalancer.localityLbSetting
    : meshLocalitySetting(s);
  return {
    source: rule
      ? `DestinationRule ${rule.metadata?.namespace}/${rule.metadata?.name}`
      : `MeshConfig of ${configCluster(s)}`,
    enabled: setting?.enabled !== false,
    failover: list(setting?.failover),
    failoverPriority: list(setting?.failoverPriority),
    distribute: list(setting?.distribute),
    outlierDetection: rules.some((r) => r.spec?.trafficPolicy?.outlierDetection),
    rule: rules[0],
  };
}

/** Regions and full localities named by workloads and the client, sorted. */
export function localities(s) {
  const all = new Set();
  for (const w of list(s?.workloads)) if (w?.locality) all.add(w.locality);
  if (s?.client?.locality) all.add(s.client.locality);
  const sorted = [...all].sort();
  const regions = [...new Set(sorted.map((l) => splitLocality(l).region).filter(Boolean))];
  return { localities: sorted, regions };
}

/** Namespaces a client could run in: the services' and the client's own, sorted. */
export function namespaces(s) {
  const all = new Set(list(s?.services).map((v) => v?.namespace).filter(Boolean));
  if (s?.client?.namespace) all.add(s.client.namespace);
  return [...all].sort();
}

// ---------------------------------------------------------------------------------------------
// What-if operations. Each is a small JSON value, so that the list can travel in the URL:
//   { op: "health", cluster, address, port, status }   one workload's health
//   { op: "client", cluster, namespace, locality }      move the client
//   { op: "secret", cp, cluster, on }                   a control plane's remote secret
//   { op: "outlier", on }                               outlierDetection on the host's rule
//   { op: "localityLb", on }                            localityLbSetting.enabled
//   { op: "failover", from, to, on }                    one localityLbSetting.failover rule
//   { op: "failoverPriority", on }                      drop (or restore) failoverPriority
// They are applied in order to a copy of the parsed scenario.
//
// Failures are not ops: they are meshlb's own operation (`--fail KIND=VALUE`, the wasm option
// `fail`), kept as a list of strings beside the ops and handed to every explain, simulate and
// Balancer call. What a failed zone, cluster, network or control plane means for health,
// readiness and gateways is decided by meshlb's core, not here (see "Failures" below).

/** A copy of `doc` with `ops` applied. */
export function applyOps(doc, ops) {
  const s = structuredClone(doc);
  if (!isScenario(s)) {
    for (const op of ops) if (op.op === "health") setEnvoyHealth(s, op);
    return s;
  }
  const base = doc;
  for (const op of ops) {
    switch (op.op) {
      case "health":
        for (const w of list(s.workloads)) {
          if (w.cluster === op.cluster && w.address === op.address && w.port === op.port) {
            w.health = op.status;
          }
        }
        break;
      case "client":
        s.client = { ...(s.client ?? {}) };
        for (const k of ["cluster", "namespace", "locality"]) if (op[k] !== undefined) s.client[k] = op[k];
        break;
      case "secret":
        setRemoteSecret(s, op);
        break;
      case "outlier": {
        if (op.on) {
          const rule = ensureRule(s);
          rule.spec.trafficPolicy ??= {};
          rule.spec.trafficPolicy.outlierDetection ??= { ...DEFAULT_OUTLIER_DETECTION };
        } else {
          for (const r of destinationRules(s)) {
            delete r.spec.trafficPolicy?.outlierDetection;
            for (const sub of list(r.spec.subsets)) delete sub.trafficPolicy?.outlierDetection;
          }
        }
        break;
      }
      case "localityLb":
        ruleLocalitySetting(s).enabled = !!op.on;
        break;
      case "failover": {
        const setting = ruleLocalitySetting(s);
        const rules = list(setting.failover).filter((f) => !(f.from === op.from && f.to === op.to));
        if (op.on) rules.push({ from: op.from, to: op.to });
        if (rules.length) setting.failover = rules;
        else delete setting.failover;
        break;
      }
      case "failoverPriority": {
        const setting = ruleLocalitySetting(s);
        if (op.on) {
          const original = localitySettings(base).failoverPriority;
          if (original.length) setting.failoverPriority = structuredClone(original);
        } else {
          delete setting.failoverPriority;
        }
        break;
      }
      default:
        break;
    }
  }
  return s;
}

/** Adds or removes `op.cluster` in control plane `op.cp`'s remote secrets. */
function setRemoteSecret(s, op) {
  const owner =
    list(s.externalControlPlanes).find((e) => e.name === op.cp) ?? clusterDef(s, op.cp);
  if (!owner) return;
  const secrets = list(owner.remoteSecrets).filter((c) => c !== op.cluster);
  if (op.on) secrets.push(op.cluster);
  owner.remoteSecrets = secrets;
}

/**
 * The DestinationRule for the requested host in the client's config cluster, created (named
 * after the service, in its namespace) when there is none.
 */
function ensureRule(s) {
  const existing = destinationRules(s)[0];
  if (existing) return existing;
  const host = requestHost(s);
  const [name, namespace] = host.split(".");
  const rule = {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name, namespace },
    spec: { host },
  };
  const cluster = configCluster(s);
  s.config = list(s.config);
  let entry = s.config.find((e) => e.cluster === cluster);
  if (!entry) {
    entry = { cluster, resources: [] };
    s.config.push(entry);
  }
  entry.resources = list(entry.resources);
  entry.resources.push(rule);
  return rule;
}

/**
 * The rule's localityLbSetting, created from the mesh default when the rule has none (a
 * rule's setting replaces the mesh's as a whole, so the copy keeps the mesh's failover rules).
 */
function ruleLocalitySetting(s) {
  const rule =
    destinationRules(s).find((r) => r.spec?.trafficPolicy?.loadBalancer?.localityLbSetting) ??
    ensureRule(s);
  rule.spec.trafficPolicy ??= {};
  rule.spec.trafficPolicy.loadBalancer ??= {};
  rule.spec.trafficPolicy.loadBalancer.localityLbSetting ??= structuredClone(
    meshLocalitySetting(s) ?? { enabled: true },
  );
  return rule.spec.trafficPolicy.loadBalancer.localityLbSetting;
}

/** Envoy input: one lb_endpoint's health_status (either spelling of the proto3 JSON). */
function setEnvoyHealth(doc, op) {
  const cla = doc.load_assignment ?? doc.loadAssignment ?? doc;
  for (const group of list(cla.endpoints)) {
    for (const lb of list(group.lb_endpoints ?? group.lbEndpoints)) {
      const sock = lb.endpoint?.address?.socket_address ?? lb.endpoint?.address?.socketAddress;
      const port = sock?.port_value ?? sock?.portValue;
      if (sock?.address === op.address && Number(port) === op.port) {
        if ("healthStatus" in lb) lb.healthStatus = op.status;
        else lb.health_status = op.status;
      }
    }
  }
}

/** The health a workload has in scenario `s` (HEALTHY when not given). */
export function workloadHealth(s, cluster, address, port) {
  if (!isScenario(s)) {
    const cla = s?.load_assignment ?? s?.loadAssignment ?? s;
    for (const group of list(cla?.endpoints)) {
      for (const lb of list(group.lb_endpoints ?? group.lbEndpoints)) {
        const sock = lb.endpoint?.address?.socket_address ?? lb.endpoint?.address?.socketAddress;
        const p = sock?.port_value ?? sock?.portValue;
        if (sock?.address === address && Number(p) === port) {
          return lb.health_status ?? lb.healthStatus ?? "UNKNOWN";
        }
      }
    }
    return "UNKNOWN";
  }
  const w = list(s.workloads).find(
    (x) => x.cluster === cluster && x.address === address && x.port === port,
  );
  return w?.health ?? "HEALTHY";
}

/** The ops with one workload's health set to `status` (no op when the base scenario says so). */
function setHealth(ops, base, { cluster, address, port }, status) {
  const same = (o) =>
    o.op === "health" && o.cluster === cluster && o.address === address && o.port === port;
  const kept = ops.filter((o) => !same(o));
  if (status === undefined) return kept;
  if (workloadHealth(applyOps(base, kept), cluster, address, port) === status) return kept;
  return [...kept, { op: "health", cluster: cluster ?? null, address, port, status }];
}

/**
 * A click on an endpoint: HEALTHY → failed (meshlb's `endpoint=ADDRESS:PORT` failure) →
 * DEGRADED (its health set in the scenario) → HEALTHY. Returns the new { ops, fails }.
 */
export function cycleEndpoint({ ops, fails }, base, current, item) {
  const failure = endpointFailure(item.address, item.port);
  if (fails.includes(failure)) {
    return { ops: setHealth(ops, base, item, "DEGRADED"), fails: fails.filter((f) => f !== failure) };
  }
  const now = workloadHealth(current, item.cluster, item.address, item.port);
  if (now === "UNHEALTHY") return { ops: setHealth(ops, base, item, "DEGRADED"), fails };
  if (now === "DEGRADED") return { ops: setHealth(ops, base, item, "HEALTHY"), fails };
  return { ops: setHealth(ops, base, item, undefined), fails: [...fails, failure] };
}

// ---------------------------------------------------------------------------------------------
// Failures: meshlb's `KIND=VALUE` strings (docs/scenario.md, "What-if failures"). The page only
// names them; meshlb applies them.

/** The failure of a locality's zone (`zone=REGION/ZONE`), or of its region when it has no zone. */
export function localityFailure(locality) {
  const { region, zone } = splitLocality(locality);
  return zone ? `zone=${region}/${zone}` : `region=${region}`;
}

/** The failure of one endpoint: `endpoint=ADDRESS:PORT` (IPv6 in brackets). */
export function endpointFailure(address, port) {
  return `endpoint=${String(address).includes(":") ? `[${address}]` : address}:${port}`;
}

/** `fails` with `failure` added, or removed when it is there. */
export function toggleFailure(fails, failure) {
  return fails.includes(failure) ? fails.filter((f) => f !== failure) : [...fails, failure];
}

/** A failure string for the list of what-ifs in force. */
export function describeFailure(failure) {
  const i = failure.indexOf("=");
  const kind = failure.slice(0, i);
  const value = failure.slice(i + 1);
  return kind === "control-plane" ? `control plane ${value} failed` : `${kind} ${value} failed`;
}

/** Reads failures from old links, which kept them as ops ({ op: "fail", zone | cluster }). */
export function legacyFailures(ops) {
  const fails = [];
  const rest = [];
  for (const op of ops) {
    if (op?.op !== "fail") rest.push(op);
    else if (typeof op.cluster === "string") fails.push(`cluster=${op.cluster}`);
    else if (typeof op.zone === "string") fails.push(op.zone.includes("/") ? `zone=${op.zone}` : `region=${op.zone}`);
  }
  return { ops: rest, fails };
}

/** The ops with `op` replacing earlier ops of the same kind (and the same subject). */
export function setOp(ops, op) {
  const sameSubject = (o) =>
    o.op === op.op &&
    (op.op !== "secret" || (o.cp === op.cp && o.cluster === op.cluster)) &&
    (op.op !== "failover" || (o.from === op.from && o.to === op.to));
  return [...ops.filter((o) => !sameSubject(o)), op];
}

/** A sentence for one op, for the list of what-ifs in force. */
export function describeOp(op) {
  switch (op.op) {
    case "health":
      return `${op.address}:${op.port}${op.cluster ? ` (${op.cluster})` : ""} set ${op.status}`;
    case "client":
      return `client moved to ${op.cluster}/${op.namespace}, locality ${op.locality || "(none)"}`;
    case "secret":
      return `${op.cp} ${op.on ? "watches" : "no longer watches"} ${op.cluster} (remote secret ${op.on ? "added" : "removed"})`;
    case "outlier":
      return `outlierDetection ${op.on ? "added" : "removed"}`;
    case "localityLb":
      return `locality load balancing ${op.on ? "enabled" : "disabled"}`;
    case "failover":
      return `failover ${op.from} → ${op.to} ${op.on ? "added" : "removed"}`;
    case "failoverPriority":
      return `failoverPriority ${op.on ? "restored" : "removed"}`;
    default:
      return JSON.stringify(op);
  }
}
