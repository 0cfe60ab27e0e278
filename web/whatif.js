// The what-ifs: small edits the playground applies to a copy of the scenario document, and the
// failures it names. No Istio or Envoy rule lives here: every edit says *where* it writes (a
// path or a name meshlb's explanation gave: the DestinationRule that applied, the control
// plane's config cluster, the setting in force) and *what*, and meshlb decides what it means.
//
// The editor holds the scenario as text. meshlb reads it (`document(text)`, its own YAML and
// JSON reader) into a plain object; the what-if ops are applied to a copy in order, and the
// copy goes back to meshlb as JSON text. The text itself is never rewritten behind the user's
// back: the ops live beside it (and in the URL).

/** The outlierDetection the "outlier detection" what-if adds (Istio's usual example values). */
export const DEFAULT_OUTLIER_DETECTION = {
  consecutive5xxErrors: 5,
  interval: "10s",
  baseEjectionTime: "30s",
};

/** The name of the DestinationRule a what-if creates when none applies. */
export const WHATIF_RULE_NAME = "meshlb-whatif";

const list = (value) => (Array.isArray(value) ? value : []);

/** The workload identity the page uses everywhere: "cluster|address:port". */
export function workloadKey(cluster, address, port) {
  return `${cluster ?? ""}|${address}:${port}`;
}

/** The value at a path meshlb gave (`config[0].resources[2]`) in `doc`, or undefined. */
export function atPath(doc, path) {
  let node = doc;
  for (const part of String(path ?? "").match(/[^.[\]]+/g) ?? []) {
    if (node === null || typeof node !== "object") return undefined;
    node = node[/^\d+$/.test(part) ? Number(part) : part];
  }
  return node;
}

// ---------------------------------------------------------------------------------------------
// What-if operations. Each is a small JSON value, so that the list can travel in the URL:
//   { op: "health", cluster, address, port, status }     one endpoint's health (meshlb writes it)
//   { op: "client", cluster, namespace, locality }        move the client
//   { op: "secret", cp, external, cluster, on }           a control plane's remote secret
//   { op: "outlier", on, rule }                           outlierDetection on the rule
//   { op: "localityLb", on, rule, init }                  localityLbSetting.enabled
//   { op: "failover", from, to, on, rule, init }          one localityLbSetting.failover rule
//   { op: "failoverPriority", on, value, rule, init }     drop (or restore) failoverPriority
// `rule` is where the edit goes, as meshlb's explanation named it when the what-if was made
// (ruleTarget): the DestinationRule that applied (`path`), or a new one to create (`create`).
// `init` is the locality setting meshlb said was in force, written into the rule when it has
// none yet, so that the edit changes only what it says. They are applied in order to a copy.
//
// Failures are not ops: they are meshlb's own operation (`--fail KIND=VALUE`, the wasm option
// `fail`), kept as a list of strings beside the ops and handed to every meshlb call.

/**
 * Where a DestinationRule edit goes, from the explanation `exp`: the rule that applied, or a
 * new rule for the requested host in the client's namespace of the config cluster.
 */
export function ruleTarget(exp) {
  const dr = exp.destination_rule;
  if (dr?.path) return { path: dr.path };
  return {
    create: {
      cluster: exp.client?.config_cluster ?? exp.client?.cluster ?? "",
      namespace: exp.client?.namespace ?? "default",
      host: exp.host ?? "",
    },
  };
}

/** A locality setting meshlb reported in force, in the scenario format's shape. */
export function settingAsWritten(setting) {
  if (!setting) return {};
  const out = { enabled: setting.enabled };
  if (setting.failover.length) out.failover = setting.failover.map((f) => ({ from: f.from, to: f.to }));
  if (setting.failover_priority.length) out.failoverPriority = [...setting.failover_priority];
  if (setting.distribute.length) {
    out.distribute = setting.distribute.map((d) => ({
      from: d.from,
      to: Object.fromEntries(d.to.map((t) => [t.locality, t.weight])),
    }));
  }
  return out;
}

/**
 * A copy of `doc` with `ops` applied. `withHealth(doc, address, port, health, cluster)` is
 * meshlb's edit of an endpoint's health (wasm `withHealth`: it knows where a scenario or Envoy
 * input keeps it); it throws when the document has no such endpoint.
 */
export function applyOps(doc, ops, { withHealth }) {
  let s = structuredClone(doc);
  for (const op of ops) {
    switch (op.op) {
      case "health":
        s = withHealth(s, op.address, op.port, op.status, op.cluster ?? null);
        break;
      case "client":
        s.client = { ...(s.client ?? {}) };
        for (const k of ["cluster", "namespace", "locality"]) if (op[k] !== undefined) s.client[k] = op[k];
        break;
      case "secret":
        setRemoteSecret(s, op);
        break;
      case "outlier": {
        const rule = findRule(s, op.rule, op.on);
        if (!rule) break;
        if (op.on) {
          rule.spec.trafficPolicy ??= {};
          rule.spec.trafficPolicy.outlierDetection ??= { ...DEFAULT_OUTLIER_DETECTION };
        } else {
          delete rule.spec.trafficPolicy?.outlierDetection;
          for (const sub of list(rule.spec.subsets)) delete sub.trafficPolicy?.outlierDetection;
        }
        break;
      }
      case "localityLb": {
        const setting = ruleSetting(s, op);
        if (setting) setting.enabled = !!op.on;
        break;
      }
      case "failover": {
        const setting = ruleSetting(s, op);
        if (!setting) break;
        const rules = list(setting.failover).filter((f) => !(f.from === op.from && f.to === op.to));
        if (op.on) rules.push({ from: op.from, to: op.to });
        if (rules.length) setting.failover = rules;
        else delete setting.failover;
        break;
      }
      case "failoverPriority": {
        const setting = ruleSetting(s, op);
        if (!setting) break;
        if (op.on && list(op.value).length) setting.failoverPriority = [...op.value];
        else if (!op.on) delete setting.failoverPriority;
        break;
      }
      default:
        break;
    }
  }
  return s;
}

/**
 * The DestinationRule `target` names in `s`: the one at `target.path`, or, for `create`, the
 * what-if's own rule in that cluster's config (made when `make` is true and it is missing).
 */
function findRule(s, target, make) {
  if (target?.path) {
    const rule = atPath(s, target.path);
    if (rule?.kind !== "DestinationRule" || typeof rule.spec !== "object" || rule.spec === null) return undefined;
    return rule;
  }
  const want = target?.create;
  if (!want) return undefined;
  s.config = list(s.config);
  let entry = s.config.find((e) => e?.cluster === want.cluster);
  const existing = list(entry?.resources).find(
    (r) => r?.kind === "DestinationRule" && r.metadata?.name === WHATIF_RULE_NAME && r.metadata?.namespace === want.namespace,
  );
  if (existing || !make) return existing;
  if (!entry) {
    entry = { cluster: want.cluster, resources: [] };
    s.config.push(entry);
  }
  entry.resources = list(entry.resources);
  const rule = {
    apiVersion: "networking.istio.io/v1",
    kind: "DestinationRule",
    metadata: { name: WHATIF_RULE_NAME, namespace: want.namespace },
    spec: { host: want.host },
  };
  entry.resources.push(rule);
  return rule;
}

/** The rule's localityLbSetting, written from `op.init` (the setting in force) when missing. */
function ruleSetting(s, op) {
  const rule = findRule(s, op.rule, true);
  if (!rule) return undefined;
  rule.spec.trafficPolicy ??= {};
  rule.spec.trafficPolicy.loadBalancer ??= {};
  rule.spec.trafficPolicy.loadBalancer.localityLbSetting ??= structuredClone(op.init ?? {});
  return rule.spec.trafficPolicy.loadBalancer.localityLbSetting;
}

/** Adds or removes `op.cluster` in control plane `op.cp`'s remote secrets. */
function setRemoteSecret(s, op) {
  const owner = op.external
    ? list(s.externalControlPlanes).find((e) => e?.name === op.cp)
    : list(s.clusters).find((c) => c?.name === op.cp);
  if (!owner) return;
  const secrets = list(owner.remoteSecrets).filter((c) => c !== op.cluster);
  if (op.on) secrets.push(op.cluster);
  owner.remoteSecrets = secrets;
}

/**
 * The health an endpoint has as written after the ops: the last health op for it, else what
 * meshlb read from the unedited input (`baseHealth`).
 */
function writtenHealth(ops, item, baseHealth) {
  const op = ops.findLast((o) => o.op === "health" && sameEndpoint(o, item));
  return op ? op.status : baseHealth;
}

const sameEndpoint = (o, item) =>
  (o.cluster ?? null) === (item.cluster ?? null) && o.address === item.address && o.port === item.port;

/** The ops with one endpoint's health set to `status` (no op when it is its unedited health). */
function withHealth(ops, item, status, baseHealth) {
  const kept = ops.filter((o) => !(o.op === "health" && sameEndpoint(o, item)));
  if (status === undefined || status === baseHealth) return kept;
  return [...kept, { op: "health", cluster: item.cluster ?? null, address: item.address, port: item.port, status }];
}

/**
 * A click on an endpoint: HEALTHY → failed (meshlb's `endpoint=ADDRESS:PORT` failure) →
 * DEGRADED (its health set in the document: DEGRADED is a health, not a failure) → HEALTHY.
 * `baseHealth` is its health in the unedited input, as meshlb read it. Returns { ops, fails }.
 */
export function cycleEndpoint({ ops, fails }, item, baseHealth) {
  const failure = endpointFailure(item.address, item.port);
  if (fails.includes(failure)) {
    return { ops: withHealth(ops, item, "DEGRADED", baseHealth), fails: fails.filter((f) => f !== failure) };
  }
  const now = writtenHealth(ops, item, baseHealth);
  if (now === "UNHEALTHY") return { ops: withHealth(ops, item, "DEGRADED", baseHealth), fails };
  if (now === "DEGRADED") return { ops: withHealth(ops, item, "HEALTHY", baseHealth), fails };
  return { ops: withHealth(ops, item, undefined, baseHealth), fails: [...fails, failure] };
}

// ---------------------------------------------------------------------------------------------
// Failures: meshlb's `KIND=VALUE` strings (docs/scenario.md, "What-if failures"). The page only
// names them; meshlb applies them.

/** "region/zone/subzone" as its parts. */
export function splitLocality(locality) {
  const [region = "", zone = "", subzone = ""] = String(locality ?? "").split("/");
  return { region, zone, subzone };
}

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
