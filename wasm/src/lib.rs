//! meshlb for JavaScript: `explain`, `simulate`, `report`, `document` and a per-request
//! `Balancer`, through wasm-bindgen.
//!
//! A thin facade over [`meshlb_formats`] and [`meshlb`], with no rule of its own: every function
//! turns its JavaScript arguments into what the CLI's flags give ([`meshlb_formats::Options`],
//! a seed, a request count), calls the same [`meshlb_formats::load`] the CLI calls, and returns
//! the result serialised as the CLI serialises it (`serde_json`) and read back with the engine's
//! `JSON.parse`. So `explain(text)` deep-equals `JSON.parse` of
//! `meshlb explain FILE --format json` (the contract of `schema/explain.schema.json`),
//! `simulate` equals `meshlb simulate --format json`, and `Balancer.pick` gives the sequence
//! `meshlb pick` prints for the same input and seed.
//!
//! | JavaScript | CLI |
//! |---|---|
//! | `explain(input, { from, locality, to, lbPolicy, panicThreshold })` | `meshlb explain FILE --format json --from … --locality … --to … --lb-policy … --panic-threshold …` |
//! | `simulate(input, { requests, seed, ...explainOptions })` | `meshlb simulate FILE --format json --requests N --seed S` |
//! | `new Balancer(input, options, seed).pick(key)` | `meshlb pick FILE --seed S --hash KEY` |
//! | `report(input, { from, locality, to })` | `meshlb report FILE --format json` |
//! | `document(input)` | `meshlb convert FILE` (the document as JSON, as written) |
//! | `withHealth(input, address, port, health, cluster?)` | the document with one endpoint's health set |
//!
//! `input` is YAML or JSON text (a string), UTF-8 bytes (a `Uint8Array`, as a file read), or a
//! JavaScript object (a parsed scenario or Envoy document, read through `JSON.stringify`).
//!
//! Errors are JavaScript `Error`s carrying the CLI's message (after the CLI's `meshlb: error: `
//! prefix), with the input named `input`, the path and, for text, the line. Nothing a caller
//! passes makes the module trap: every JavaScript value is checked here before it reaches Rust
//! types, and every JavaScript call that can throw is caught.
//!
//! The Rust side is plain functions on [`Options`] and text ([`explain_text`],
//! [`simulate_text`]), usable and tested natively; the `#[wasm_bindgen]` exports only convert.

// Exports take `JsValue` by value, not `&JsValue`: for borrowed arguments wasm-bindgen 0.2.130
// emits `table.fill`, which binaryen 108's `wasm-opt` (Debian's) cannot parse.
#![allow(clippy::needless_pass_by_value)]

use js_sys::{JsString, Reflect, Uint8Array};
use meshlb::{EndpointKind, Explanation, HealthStatus, Simulation};
use meshlb_formats::{Options, check_size};
use serde::Serialize;
use wasm_bindgen::convert::TryFromJsValue;
use wasm_bindgen::prelude::*;

/// The name the input carries in messages (`input: line 3: ...`).
pub const INPUT_NAME: &str = "input";

/// Most requests one `simulate` call (or `Balancer.pickMany`) sends: past it a browser tab would
/// hang for minutes; the CLI has no such cap.
pub const MAX_REQUESTS: u64 = 100_000_000;

/// Largest integer a JavaScript number holds exactly (`Number.MAX_SAFE_INTEGER`): larger seeds
/// are passed as `BigInt`.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// The CLI's default request count for `meshlb simulate`.
const DEFAULT_REQUESTS: u64 = 10_000;

/// The CLI's default seed.
const DEFAULT_SEED: u64 = 1;

/// The options `explain` accepts, as the CLI's flags.
const EXPLAIN_OPTIONS: &[&str] = &[
    "from",
    "locality",
    "to",
    "lbPolicy",
    "panicThreshold",
    "cluster",
    "fail",
];

/// The options `report` accepts: who the scenario's own client is (its location is listed
/// first) and what it calls.
const REPORT_OPTIONS: &[&str] = &["from", "locality", "to"];

/// The options `simulate` accepts.
const SIMULATE_OPTIONS: &[&str] = &[
    "from",
    "locality",
    "to",
    "lbPolicy",
    "panicThreshold",
    "cluster",
    "fail",
    "requests",
    "seed",
];

#[wasm_bindgen(typescript_custom_section)]
const TYPES: &'static str = r#"
/** A meshlb scenario or an Envoy ClusterLoadAssignment / Cluster: YAML or JSON text, UTF-8
 * bytes, or a parsed object. */
export type Input = string | Uint8Array | object;

/** Envoy's load-balancing policies (`Cluster.lb_policy`). */
export type LbPolicy = "ROUND_ROBIN" | "LEAST_REQUEST" | "RANDOM" | "RING_HASH" | "MAGLEV";

/** Envoy's EDS health statuses. */
export type HealthStatus = "UNKNOWN" | "HEALTHY" | "UNHEALTHY" | "DRAINING" | "TIMEOUT" | "DEGRADED";

/** What the CLI's flags override (`--from`, `--locality`, `--to`, `--lb-policy`,
 * `--panic-threshold`, `--cluster`, `--fail`). `undefined` or `null` values are ignored; unknown keys are an error. */
export interface ExplainOptions {
  /** Scenarios: the client's `CLUSTER/NAMESPACE`. */
  from?: string | null;
  /** Scenarios: the client's `REGION/ZONE/SUBZONE`. */
  locality?: string | null;
  /** Scenarios: the host the client calls. */
  to?: string | null;
  /** Envoy input: the load-balancing policy. */
  lbPolicy?: LbPolicy | null;
  /** Envoy input: the healthy panic threshold, percent (0 to 100). */
  panicThreshold?: number | null;
  /** Envoy input holding several clusters (a config dump, a CDS/EDS list): the cluster to
   * explain, by its exact name (the CLI's `--cluster`). */
  cluster?: string | null;
  /** What-if failures, each `KIND=VALUE` (the CLI's repeated `--fail`): `zone=REGION/ZONE`,
   * `region=R`, `cluster=NAME`, `network=NAME`, `gateway=ADDRESS`, `endpoint=ADDRESS:PORT`,
   * `control-plane=NAME`; Envoy input takes zone, region and endpoint. */
  fail?: string[] | null;
}

/** `simulate`'s options: the CLI's `--requests` (default 10000, at most 100000000) and `--seed`
 * (default 1; a BigInt for seeds past Number.MAX_SAFE_INTEGER), plus ExplainOptions. */
export interface SimulateOptions extends ExplainOptions {
  requests?: number | bigint | null;
  seed?: number | bigint | null;
}

/** The client of a scenario. */
export interface ClientReport {
  cluster: string;
  namespace: string;
  network: string;
  locality: string;
  control_plane: string;
  /** The cluster whose API server holds the Istio config `control_plane` reads. */
  config_cluster: string;
}

/** An Istio resource that applied, and the (config) cluster holding it. */
export interface ConfigRef {
  namespace: string;
  name: string;
  cluster: string;
  /** Where the scenario holds it: `config[I].resources[J]`. */
  path: string;
}

/** The localityLbSetting in force for one route destination, and where it came from. */
export interface LocalitySettingReport {
  subset: string | null;
  source: "destination-rule" | "traffic-distribution" | "mesh-config" | "default";
  /** The source for a person: `DestinationRule NS/NAME`, ... */
  from: string;
  enabled: boolean;
  failover: { from: string; to: string }[];
  failover_priority: string[];
  distribute: { from: string; to: { locality: string; weight: number }[] }[];
  outlier_detection: boolean;
}

/** One endpoint an east-west gateway stands for: its part of the gateway's weight, and the
 * share of requests reaching it through the gateway. */
export interface BehindEndpoint {
  address: string;
  port: number;
  cluster: string;
  network: string;
  locality: string;
  weight: number;
  share: number;
}

/** A scenario's topology, its defaults applied (after `fail`). */
export interface Topology {
  meshes: { id: string; trust_domain: string; trust_bundles: string[]; imports: string[] }[];
  control_planes: { name: string; external: boolean; config_cluster: string; remote_secrets: string[]; watches: string[] }[];
  clusters: { name: string; mesh: string; network: string; control_plane: string; primary: boolean; remote_secrets: string[]; dns_proxy: boolean }[];
  networks: { name: string; mesh: string; gateways: { address: string; port: number; cluster: string; failed: boolean }[] }[];
  /** The workloads serving the requested host. */
  workloads: { address: string; port: number; cluster: string; network: string; locality: string; health: HealthStatus; weight: number; terminating: boolean; sidecar: boolean; labels: Record<string, string> }[];
  localities: string[];
  namespaces: string[];
}

/** One priority (per subset when a route splits traffic). */
export interface PriorityReport {
  priority: number;
  health: number;
  degraded: number;
  healthy_load: number;
  degraded_load: number;
  panic: boolean;
  subset?: string | null;
  hosts: number;
  healthy_hosts: number;
  degraded_hosts: number;
}

/** One endpoint the client can send to, with its expected share of requests. */
export interface EndpointReport {
  address: string;
  port: number;
  kind: "workload" | "gateway";
  cluster: string | null;
  network: string | null;
  locality: string;
  priority: number;
  weight: number;
  health: HealthStatus;
  subset: string | null;
  /** Gateways: the `address:port` of the endpoints behind it. */
  behind?: string[];
  /** Gateways: the endpoints behind it, with their weights and shares. */
  behind_endpoints?: BehindEndpoint[];
  share: number;
}

/** An endpoint the client cannot use, and why. */
export interface DroppedEndpoint {
  address: string;
  port: number;
  cluster: string | null;
  reason:
    | "no-remote-secret" | "cluster-local" | "proxyless-cross-network" | "other-mesh"
    | "untrusted-mesh" | "not-in-subset" | "not-exported" | "not-distributed" | "not-ready"
    | "terminating" | "no-address";
  message: string;
}

/** The explanation: `meshlb explain --format json` (schema/explain.schema.json). */
export interface Explanation {
  status: "routed" | "dns-failure" | "not-visible" | "untrusted" | "no-endpoints" | "no-route" | "not-imported";
  message: string;
  client: ClientReport | null;
  host: string | null;
  lb_policy: LbPolicy;
  locality_lb: "off" | "failover" | "failover-priority" | "distribute";
  priorities: PriorityReport[];
  endpoints: EndpointReport[];
  dropped: DroppedEndpoint[];
  notes: string[];
  routes?: { subset: string | null; weight: number }[];
  overprovisioning_factor: number;
  panic_threshold: number;
  locality_weighted: boolean;
  normalized_total_availability: number;
  total_panic: boolean;
  /** Envoy input: the share of requests `drop_overloads` drops before a host is picked. */
  drop_overload: number;
  /** Scenarios: the DestinationRule that applied. */
  destination_rule?: ConfigRef;
  /** Scenarios: the VirtualService that applied. */
  virtual_service?: ConfigRef;
  /** Scenarios: the locality setting in force, per route destination. */
  locality_settings?: LocalitySettingReport[];
  /** Scenarios: the topology with defaults applied. */
  topology?: Topology;
  /** The code of each note, in the order of `notes`: decide on these, never on the wording. */
  note_codes: NoteCode[];
}

/** What a note is about (meshlb::NoteCode). */
export type NoteCode =
  | "empty-assignment"
  | "drop-overload"
  | "no-healthy-upstream"
  | "priority-load"
  | "spill-over"
  | "draining-excluded"
  | "degraded-load"
  | "total-panic"
  | "priority-fallback"
  | "panic"
  | "locality-weighted"
  | "unweighted-locality"
  | "locality-weights-ignored"
  | "policy"
  | "hash-no-host"
  | "unhealthy-endpoints"
  | "control-plane"
  | "dns"
  | "visibility"
  | "destination-rule"
  | "route"
  | "network"
  | "mesh-boundary"
  | "locality-setting"
  | "panic-threshold"
  | "failure"
  | "no-endpoint"
  | "flag"
  | "no-client"
  | "no-request"
  | "import"
  | "not-read"
  | "source"
  | "not-modelled"
  | "may-differ"
  | "input"
  | "health-check";

/** `report`'s options: the scenario's own client (`--from`, `--locality`) and host (`--to`). */
export interface ReportOptions {
  from?: string | null;
  locality?: string | null;
  to?: string | null;
}

/** The mesh-wide report: `meshlb report --format json` (schema/report.schema.json). */
export interface Report {
  locations: { name: string; cluster: string; namespace: string; locality: string; network: string; listed: boolean }[];
  hosts: string[];
  matrix: {
    location: string; host: string; status: Explanation["status"]; control_plane: string; routed: number;
    clusters: Record<string, number>; zones: Record<string, number>; regions: Record<string, number>; networks: Record<string, number>;
    same_zone: number; cross_zone: number; cross_region: number; cross_network: number;
  }[];
  totals: { location: string; hosts: number; routed: number; same_zone: number; cross_zone: number; cross_region: number; cross_network: number }[];
  sweep: {
    rank: number; failure: string; kind: string;
    outages: { location: string; host: string; share: number }[];
    leaves_region: { location: string; host: string; share: number }[];
    moved: { location: string; host: string; share: number; routed_after: number; clusters_after: Record<string, number> }[];
    largest_moved: number; stale: number;
    stale_to_failed: { location: string; host: string; share: number }[];
    lost: number; largest_share: number;
    reexplained: number;
  }[];
  explained: number;
}

/** A simulation: `meshlb simulate --format json` (schema/simulate.schema.json). */
export interface Simulation {
  requests: number;
  seed: number;
  endpoints: { address: string; port: number; count: number; observed: number; share: number }[];
  max_abs_deviation: number;
  unrouted: number;
  /** Requests `drop_overloads` dropped before load balancing. */
  dropped: number;
}

/** The endpoint one request went to. */
export interface Picked {
  /** Its index in the explanation's `endpoints`. */
  index: number;
  address: string;
  port: number;
  locality: string;
  cluster: string | null;
  subset: string | null;
  priority: number;
  health: HealthStatus;
  kind: "workload" | "gateway";
  /** `start()` only: the request's ticket, for `finish(picked)`. */
  ticket?: number;
}
"#;

/// `explain(input, options?)`: where requests go and why (`meshlb explain --format json`).
///
/// # Errors
/// The CLI's message for bad input or options.
#[wasm_bindgen(js_name = explain, unchecked_return_type = "Explanation")]
pub fn explain_js(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ExplainOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let text = input_text(&input).map_err(error)?;
    let options = read_options(options.as_ref(), EXPLAIN_OPTIONS).map_err(error)?;
    to_js(&explain_text(&text, &options.options).map_err(error)?)
}

/// `simulate(input, { requests, seed, ...options })`: seeded requests through the real pickers
/// (`meshlb simulate --format json`).
///
/// # Errors
/// The CLI's message for bad input or options; `requests` past [`MAX_REQUESTS`].
#[wasm_bindgen(js_name = simulate, unchecked_return_type = "Simulation")]
pub fn simulate_js(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "SimulateOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let text = input_text(&input).map_err(error)?;
    let read = read_options(options.as_ref(), SIMULATE_OPTIONS).map_err(error)?;
    to_js(&simulate_text(&text, &read.options, read.requests, read.seed).map_err(error)?)
}

/// `document(input)`: the document as written (a scenario or Envoy input, YAML or JSON), read by
/// meshlb's own reader and returned as a plain object, mappings in their written order: what an
/// editor changes before handing it back as JSON. A scenario's unquoted `istioVersion: 1.30`
/// stays the string `"1.30"`.
///
/// # Errors
/// Malformed input, with its line (`input: line 3: ...`).
#[wasm_bindgen(js_name = document, unchecked_return_type = "object")]
pub fn document_js(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
) -> Result<JsValue, JsError> {
    let text = input_text(&input).map_err(error)?;
    let json = document_text(&text).map_err(error)?;
    js_sys::JSON::parse(&json).map_err(|e| error(describe(&e)))
}

/// `withHealth(input, address, port, health, cluster?)`: the document ([`document_js`]) with
/// one endpoint's health set where its format keeps it: a scenario's workloads at
/// `address:port` (in `cluster`, when given), or an Envoy input's `lb_endpoints` entries at that
/// socket address. The playground's "cycle an endpoint" what-if.
///
/// # Errors
/// Malformed input; a health that is not Envoy's; no endpoint at `address:port`.
#[wasm_bindgen(js_name = withHealth, unchecked_return_type = "object")]
pub fn with_health_js(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_param_type = "string")] address: JsValue,
    #[wasm_bindgen(unchecked_param_type = "number")] port: JsValue,
    #[wasm_bindgen(unchecked_param_type = "HealthStatus")] health: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "string | null")] cluster: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let text = input_text(&input).map_err(error)?;
    let address = string(&address, "address").map_err(error)?;
    let port = port_of(&port).map_err(error)?;
    let health = string(&health, "health").map_err(error)?;
    let cluster = match &cluster {
        Some(c) if !c.is_null() && !c.is_undefined() => Some(string(c, "cluster").map_err(error)?),
        _ => None,
    };
    let json =
        with_health_text(&text, &address, port, cluster.as_deref(), &health).map_err(error)?;
    js_sys::JSON::parse(&json).map_err(|e| error(describe(&e)))
}

/// [`meshlb_formats::document_with_health`] on `text`, the health by its Envoy name.
///
/// # Errors
/// Malformed input, named [`INPUT_NAME`]; an unknown health; no endpoint at `address:port`.
pub fn with_health_text(
    text: &str,
    address: &str,
    port: u16,
    cluster: Option<&str>,
    health: &str,
) -> Result<String, String> {
    let status: HealthStatus = health.parse().map_err(|e| format!("health: {e}"))?;
    meshlb_formats::document_with_health(text, address, port, cluster, status)
        .map_err(|e| format!("{INPUT_NAME}: {e}"))
}

/// `report(input, { from, locality, to })`: every client location × every host, where requests
/// land, and what every single failure does (`meshlb report --format json`).
///
/// # Errors
/// The CLI's message for bad input or options; Envoy input (a report needs a scenario).
#[wasm_bindgen(js_name = report, unchecked_return_type = "Report")]
pub fn report_js(
    #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
    #[wasm_bindgen(unchecked_optional_param_type = "ReportOptions")] options: Option<JsValue>,
) -> Result<JsValue, JsError> {
    let text = input_text(&input).map_err(error)?;
    let options = read_options(options.as_ref(), REPORT_OPTIONS).map_err(error)?;
    to_js(&report_text(&text, &options.options).map_err(error)?)
}

/// The document `text` as compact JSON text ([`meshlb_formats::document_json`]).
///
/// # Errors
/// Malformed input, named [`INPUT_NAME`], with its line.
pub fn document_text(text: &str) -> Result<String, String> {
    if text.trim().is_empty() {
        return Err(format!("{INPUT_NAME}: the input is empty"));
    }
    meshlb_formats::document_json(text).map_err(|e| format!("{INPUT_NAME}: {e}"))
}

/// The mesh-wide report of the scenario `text` under `options`, as `meshlb report`.
///
/// # Errors
/// The CLI's message; Envoy input.
pub fn report_text(text: &str, options: &Options) -> Result<meshlb::mesh::Report, String> {
    let loaded = load(text, options)?;
    let Some(scenario) = &loaded.scenario else {
        return Err(format!(
            "{}: report needs a meshlb scenario (clusters, services, workloads) or --kube dumps, not Envoy input",
            loaded.title
        ));
    };
    meshlb::mesh::Report::build(scenario).map_err(|e| format!("{}: {e}", loaded.title))
}

/// With the `console_error_panic_hook` feature: print a panic's message with `console.error`
/// before the module traps (no input should panic; the feature is for debugging).
#[cfg(feature = "console_error_panic_hook")]
#[wasm_bindgen(start)]
fn start() {
    console_error_panic_hook::set_once();
}

/// The explanation of `text` (named [`INPUT_NAME`]) under `options`, as `meshlb explain`.
///
/// # Errors
/// The CLI's message (path and line included).
pub fn explain_text(text: &str, options: &Options) -> Result<Explanation, String> {
    Ok(load(text, options)?.explain())
}

/// `requests` seeded picks over `text`, as `meshlb simulate`.
///
/// # Errors
/// The CLI's message; `requests` past [`MAX_REQUESTS`].
pub fn simulate_text(
    text: &str,
    options: &Options,
    requests: u64,
    seed: u64,
) -> Result<Simulation, String> {
    check_requests(requests)?;
    Ok(load(text, options)?.simulate(requests, seed))
}

/// [`meshlb_formats::load`] with the input named [`INPUT_NAME`].
fn load(text: &str, options: &Options) -> Result<meshlb_formats::Loaded, String> {
    meshlb_formats::load(INPUT_NAME, text, options)
}

fn check_requests(requests: u64) -> Result<(), String> {
    if requests > MAX_REQUESTS {
        Err(format!(
            "requests: {requests} is more than the {MAX_REQUESTS} one call sends"
        ))
    } else {
        Ok(())
    }
}

/// Per-request load balancing: the picks `meshlb pick` prints for the same input, options and
/// seed, with health and weight changes applied in place.
///
/// `pick()` is a request that ends at once; `start()` picks a request that stays active on its
/// endpoint until `finish(picked)`, so LEAST_REQUEST sees the requests in flight (an endpoint
/// that answers slowly holds more of them and gets fewer new ones, as in Envoy).
///
/// ```js
/// const balancer = new Balancer(yaml, { from: "east/bookinfo" }, 7);
/// balancer.pick();              // { index: 3, address: "10.0.1.5", port: 9080, ... }
/// balancer.pick("user-42");     // RING_HASH / MAGLEV: hashed as a header value
/// const picked = balancer.start(); // { ..., ticket: 0 }: active until finished
/// balancer.finish(picked);      // its response came back
/// balancer.setHealth("10.0.1.5", 9080, "UNHEALTHY");
/// balancer.explain().endpoints; // shares after the change
/// balancer.free();              // release the Rust memory
/// ```
#[wasm_bindgen]
#[derive(Debug)]
pub struct Balancer {
    inner: meshlb_formats::Balancer,
    /// Requests started and not finished, by ticket (`None`: a free ticket).
    open: Vec<Option<meshlb_formats::Picked>>,
    /// Free tickets.
    free: Vec<u32>,
    /// `pick()`'s object for each endpoint of the explanation, made at the endpoint's first
    /// pick since the last update and copied for each pick after it (`None`: not made yet).
    objects: Vec<Option<JsValue>>,
    /// The error of the last per-request call that failed, until `__failure()` takes it (see
    /// [`Balancer::settle`]).
    failure: Option<JsValue>,
    /// The hash of the key `__keyText` or `__keyBytes` passed ahead of the call that follows
    /// it at once and takes it (see wasm/js/calls.js).
    key_hash: Option<u64>,
    /// The buffer wasm/js/calls.js writes a short `hashKey` into for the staged calls
    /// (`__pickStaged`, `__pickIndexStaged`, `__startStaged`): [`KEY_STAGING`] bytes, made
    /// by the first `__keyStaging()`, never moved after (empty until then).
    key_staging: Vec<u8>,
}

/// Bytes of a balancer's key staging buffer: the longest `hashKey` calls.js writes into wasm's
/// memory itself (longer keys are passed ahead, or checked by the general path).
const KEY_STAGING: usize = 1024;

/// Rust-side helpers, not exported to JavaScript.
impl Balancer {
    /// A balancer over `text` under `options`, its picks fixed by `seed`.
    ///
    /// # Errors
    /// The CLI's message (path and line included).
    pub fn from_text(text: &str, options: &Options, seed: u64) -> Result<Self, String> {
        let loaded = load(text, options)?;
        Ok(Self {
            inner: meshlb_formats::Balancer::new(loaded, seed),
            open: Vec::new(),
            free: Vec::new(),
            objects: Vec::new(),
            failure: None,
            key_hash: None,
            key_staging: Vec::new(),
        })
    }

    /// Picks for one request that ends at once: `key` is hashed as the CLI's `--hash KEY`
    /// (xxHash64), `None` draws a random hash for hash policies.
    pub fn pick_key(&mut self, key: Option<&[u8]>) -> Option<PickedEndpoint> {
        let index = self.pick_index_key(key)?;
        self.endpoint(index, None)
    }

    /// As [`Balancer::pick_key`], only the endpoint's index into the explanation's
    /// `endpoints`.
    pub fn pick_index_key(&mut self, key: Option<&[u8]>) -> Option<usize> {
        self.inner.pick_index(key.map(meshlb::hash_key))
    }

    /// The request hash of a per-request call given `hash_key`: the key's, else the one passed
    /// ahead of the call (`__keyText`, `__keyBytes`), else none (RING_HASH and MAGLEV draw it).
    fn call_hash(&mut self, hash_key: Option<&JsValue>) -> Result<Option<u64>, JsError> {
        let key = optional_key(hash_key)?;
        Ok(key
            .as_deref()
            .map(meshlb::hash_key)
            .or_else(|| self.key_hash.take()))
    }

    /// Picks for one request that stays active until [`Balancer::finish_ticket`] with the
    /// returned `ticket`.
    pub fn start_key(&mut self, key: Option<&[u8]>) -> Option<PickedEndpoint> {
        let (index, ticket) = self.start_index_hash(key.map(meshlb::hash_key))?;
        self.endpoint(index, Some(ticket))
    }

    /// As [`Balancer::start_key`] of a key of hash `hash`, only the endpoint's index and the
    /// request's ticket.
    fn start_index_hash(&mut self, hash: Option<u64>) -> Option<(usize, u32)> {
        let picked = self.inner.start(hash)?;
        let index = picked.index;
        let ticket = match self.free.pop() {
            Some(t) => t,
            None => {
                self.open.push(None);
                u32::try_from(self.open.len() - 1).unwrap_or(u32::MAX)
            }
        };
        if let Some(slot) = self.open.get_mut(ticket as usize) {
            *slot = Some(picked);
        }
        Some((index, ticket))
    }

    /// Reports the end of the request of `ticket` ([`Balancer::start_key`]).
    ///
    /// # Errors
    /// A ticket with no request in flight (finished already, or never given).
    pub fn finish_ticket(&mut self, ticket: u32) -> Result<(), String> {
        let picked = self
            .open
            .get_mut(ticket as usize)
            .and_then(Option::take)
            .ok_or_else(|| {
                format!("ticket {ticket}: no request in flight has it (finished already?)")
            })?;
        self.free.push(ticket);
        self.inner.finish(&picked);
        Ok(())
    }

    /// The hash of the `length` bytes wasm/js/calls.js wrote at the start of the key staging
    /// buffer, for a staged call.
    fn staged_hash(&self, length: usize) -> Result<Option<u64>, JsError> {
        match self.key_staging.get(..length) {
            Some(key) => Ok(Some(meshlb::hash_key(key))),
            None => Err(error(format!(
                "hashKey: {length} bytes staged, past the {} of the staging buffer",
                self.key_staging.len()
            ))),
        }
    }

    /// `pick(hashKey?)`'s answer for a request of hash `hash`: the endpoint's object, `null`
    /// when none can serve.
    fn pick_object(&mut self, hash: Option<u64>) -> Result<JsValue, JsError> {
        match self.inner.pick_index(hash) {
            Some(index) => self.object(index, None),
            None => Ok(JsValue::NULL),
        }
    }

    /// `start(hashKey?)`'s answer: as [`Balancer::pick_object`], the object with its `ticket`.
    fn start_object(&mut self, hash: Option<u64>) -> Result<JsValue, JsError> {
        match self.start_index_hash(hash) {
            Some((index, ticket)) => self.object(index, Some(ticket)),
            None => Ok(JsValue::NULL),
        }
    }

    /// `finish(picked)`: the request `start()` returned (or its `ticket`) ended.
    fn finish_picked(&mut self, picked: JsValue) -> Result<(), JsError> {
        let ticket = if picked.as_f64().is_some() {
            picked
        } else if picked.is_object() {
            Reflect::get(&picked, &JsValue::from_str("ticket"))
                .map_err(|e| error(format!("picked: {}", describe(&e))))?
        } else {
            return Err(error(format!(
                "picked: expected what start() returned, got {}",
                type_name(&picked)
            )));
        };
        if ticket.is_undefined() {
            return Err(error(
                "picked: no ticket: only what start() returns is finished (pick() ends at once)",
            ));
        }
        let ticket = integer(&ticket, "picked.ticket", u64::from(u32::MAX)).map_err(error)?;
        self.finish_ticket(u32::try_from(ticket).unwrap_or(u32::MAX))
            .map_err(error)
    }

    /// A per-request call's answer: `result`'s value, or `failed` with the error kept for
    /// `__failure()`. wasm/js/calls.js throws it, once the call has returned: wasm-bindgen
    /// hands a `Result` back from wasm as a new array (and an object through its table of
    /// references) at every call, most of a `pick()`'s or `pickIndex()`'s time, and a throw out
    /// of wasm would skip what releases its borrow of the balancer (which the next call then
    /// finds taken).
    fn settle<T>(&mut self, result: Result<T, JsError>, failed: T) -> T {
        result.unwrap_or_else(|e| {
            self.failure = Some(e.into());
            failed
        })
    }

    /// The explanation's endpoint `index` as a pick returns it.
    fn endpoint(&self, index: usize, ticket: Option<u32>) -> Option<PickedEndpoint> {
        let e = self.inner.explain().endpoints.get(index)?;
        Some(PickedEndpoint {
            index,
            priority: e.priority,
            health: e.health,
            kind: e.kind,
            address: e.address.clone(),
            port: e.port,
            locality: e.locality.clone(),
            cluster: e.cluster.clone(),
            subset: e.subset.clone(),
            ticket,
        })
    }

    /// `pick()`'s and `start()`'s object for the explanation's endpoint `index`: a copy of the
    /// one `to_js` made at the endpoint's first pick since the last update (the same fields in
    /// the same order, a new object each time, so a caller changing one changes no other).
    /// A copy is one call into JavaScript, where `to_js` turns every string into a JavaScript
    /// one again (under Node, a `pick()` took 1.9 µs through `to_js`, 0.14 µs with the copy).
    fn object(&mut self, index: usize, ticket: Option<u32>) -> Result<JsValue, JsError> {
        let count = self.inner.explain().endpoints.len();
        if self.objects.len() != count {
            self.objects.clear();
            self.objects.resize(count, None);
        }
        if matches!(self.objects.get(index), Some(None)) {
            let made = self.endpoint(index, None).map(|e| to_js(&e)).transpose()?;
            if let Some(slot) = self.objects.get_mut(index) {
                *slot = made;
            }
        }
        let made = self
            .objects
            .get(index)
            .and_then(Option::as_ref)
            .ok_or_else(|| error(format!("endpoint {index}: not among the {count} explained")))?;
        Ok(match ticket {
            None => copy_object(made),
            Some(ticket) => copy_with_ticket(made, ticket),
        })
    }

    /// The current explanation.
    #[must_use]
    pub fn explanation(&self) -> &Explanation {
        self.inner.explain()
    }
}

#[wasm_bindgen]
impl Balancer {
    /// `new Balancer(input, options?, seed?)`: the seed (default 1, as the CLI's) fixes every
    /// pick; a `BigInt` for seeds past `Number.MAX_SAFE_INTEGER`.
    ///
    /// # Errors
    /// The CLI's message for bad input or options.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "Input")] input: JsValue,
        #[wasm_bindgen(unchecked_optional_param_type = "ExplainOptions")] options: Option<JsValue>,
        #[wasm_bindgen(unchecked_optional_param_type = "number | bigint")] seed: Option<JsValue>,
    ) -> Result<Balancer, JsError> {
        let text = input_text(&input).map_err(error)?;
        let options = read_options(options.as_ref(), EXPLAIN_OPTIONS).map_err(error)?;
        let seed = match &seed {
            Some(value) => integer(value, "seed", u64::MAX).map_err(error)?,
            None => DEFAULT_SEED,
        };
        Self::from_text(&text, &options.options, seed).map_err(error)
    }

    /// `pick(hashKey?)`, which the package's `Balancer` (wasm/js/calls.js) documents and throws
    /// for: the endpoint's object, `null` when none can serve, `undefined` when the call failed
    /// (its error kept for `__failure()`).
    #[wasm_bindgen(js_name = __pick, skip_typescript)]
    pub fn pick_call(&mut self, hash_key: Option<HashKey>) -> JsValue {
        let hash = self.call_hash(hash_key.as_ref().map(AsRef::as_ref));
        let picked = hash.and_then(|hash| self.pick_object(hash));
        self.settle(picked, JsValue::UNDEFINED)
    }

    /// `pickIndex(hashKey?)` (wasm/js/calls.js): the endpoint's index, -1 when none can serve,
    /// -2 (`FAILED_INDEX`) when the call failed (its error kept for `__failure()`).
    #[wasm_bindgen(js_name = __pickIndex, skip_typescript)]
    pub fn pick_index_call(&mut self, hash_key: Option<HashKey>) -> i32 {
        let index = self
            .call_hash(hash_key.as_ref().map(AsRef::as_ref))
            .map(|hash| js_index(self.inner.pick_index(hash)));
        self.settle(index, FAILED_INDEX)
    }

    /// Passes a `hashKey` string ahead of the `__pick`, `__pickIndex` or `__start` call that
    /// follows at once (wasm/js/calls.js), by wasm-bindgen's own passing of strings: one
    /// that needs none of the general path's checks (well-formed, and far below the size
    /// limit; see there).
    #[wasm_bindgen(js_name = __keyText, skip_typescript)]
    pub fn key_text(&mut self, key: &str) {
        self.key_hash = Some(meshlb::hash_key(key.as_bytes()));
    }

    /// As `__keyText`, for a `hashKey` of bytes: a plain `Uint8Array` or Node `Buffer` (no
    /// other subclass, no `Proxy`, no `length` of its own) far below the size limit.
    #[wasm_bindgen(js_name = __keyBytes, skip_typescript)]
    pub fn key_bytes(&mut self, key: &[u8]) {
        self.key_hash = Some(meshlb::hash_key(key));
    }

    /// `pickNext()`: as `pickIndex()` without a hash key (RING_HASH and MAGLEV draw the hash from
    /// the seeded generator), the endpoint's index into the explanation's `endpoints`, -1 when
    /// none can serve. It takes no argument and cannot fail: a call into wasm and nothing else
    /// (`pickIndex()` without a key calls it, wasm/js/calls.js).
    #[wasm_bindgen(js_name = pickNext)]
    pub fn pick_next(&mut self) -> i32 {
        js_index(self.pick_index_key(None))
    }

    /// `start(hashKey?)` (wasm/js/calls.js): as `__pick`, the object with its `ticket`.
    #[wasm_bindgen(js_name = __start, skip_typescript)]
    pub fn start_call(&mut self, hash_key: Option<HashKey>) -> JsValue {
        let hash = self.call_hash(hash_key.as_ref().map(AsRef::as_ref));
        let started = hash.and_then(|hash| self.start_object(hash));
        self.settle(started, JsValue::UNDEFINED)
    }

    /// The key staging buffer (see `__pickStaged`) as a view of wasm's memory, made at the
    /// first call. The view is detached when wasm's memory grows (its `byteLength` then reads
    /// 0), and calls.js asks for it again; the buffer itself never moves. Internal: the view
    /// outlives the balancer, and calls.js lets it go when the balancer is released.
    #[wasm_bindgen(js_name = __keyStaging, skip_typescript)]
    pub fn key_staging(&mut self) -> Uint8Array {
        if self.key_staging.len() != KEY_STAGING {
            self.key_staging = vec![0; KEY_STAGING];
        }
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
        // A wasm32 address fits a `u32`.
        let at = u32::try_from(self.key_staging.as_ptr() as usize).unwrap_or(0);
        Uint8Array::new_with_byte_offset_and_length(&memory.buffer(), at, KEY_STAGING as u32)
    }

    /// `pick(hashKey)` (wasm/js/calls.js) for a key whose `length` UTF-8 bytes calls.js wrote
    /// into the key staging buffer (`__keyStaging`): a short ASCII string, or short plain bytes.
    /// One call and no copy of wasm-bindgen's, where passing the key ahead (`__keyText`) takes
    /// two and an allocation. As `__pick` otherwise.
    #[wasm_bindgen(js_name = __pickStaged, skip_typescript)]
    pub fn pick_staged(&mut self, length: usize) -> JsValue {
        let picked = self
            .staged_hash(length)
            .and_then(|hash| self.pick_object(hash));
        self.settle(picked, JsValue::UNDEFINED)
    }

    /// `pickIndex(hashKey)` for a key staged as for `__pickStaged`; as `__pickIndex` otherwise.
    #[wasm_bindgen(js_name = __pickIndexStaged, skip_typescript)]
    pub fn pick_index_staged(&mut self, length: usize) -> i32 {
        let index = self
            .staged_hash(length)
            .map(|hash| js_index(self.inner.pick_index(hash)));
        self.settle(index, FAILED_INDEX)
    }

    /// `start(hashKey)` for a key staged as for `__pickStaged`; as `__start` otherwise.
    #[wasm_bindgen(js_name = __startStaged, skip_typescript)]
    pub fn start_staged(&mut self, length: usize) -> JsValue {
        let started = self
            .staged_hash(length)
            .and_then(|hash| self.start_object(hash));
        self.settle(started, JsValue::UNDEFINED)
    }

    /// `finish(picked)` (wasm/js/calls.js): whether the request finished, `false` when the call
    /// failed (its error kept for `__failure()`).
    #[wasm_bindgen(js_name = __finish, skip_typescript)]
    pub fn finish_call(&mut self, picked: JsValue) -> bool {
        let finished = self.finish_picked(picked);
        self.settle(finished.map(|()| true), false)
    }

    /// The error of the last per-request call that failed (`undefined` if none did since the
    /// last time it was taken), for wasm/js/calls.js to throw.
    #[wasm_bindgen(js_name = __failure, skip_typescript)]
    pub fn take_failure(&mut self) -> JsValue {
        self.failure.take().unwrap_or(JsValue::UNDEFINED)
    }

    /// `activeRequests(index)`: requests started and not finished on the explanation's
    /// endpoint `index`.
    ///
    /// # Errors
    /// `index` not an integer.
    #[wasm_bindgen(js_name = activeRequests)]
    pub fn active_requests(
        &self,
        #[wasm_bindgen(unchecked_param_type = "number")] index: JsValue,
    ) -> Result<u32, JsError> {
        let index = integer(&index, "index", u64::from(u32::MAX)).map_err(error)?;
        Ok(self
            .inner
            .core()
            .active_requests(usize::try_from(index).unwrap_or(usize::MAX)))
    }

    /// `pickMany(count)`: `count` picks without hash keys, as the indices into the explanation's
    /// `endpoints` (-1 where no endpoint could serve): cheap for animations.
    ///
    /// # Errors
    /// `count` not an integer in `0..=100000000`.
    #[wasm_bindgen(js_name = pickMany)]
    pub fn pick_many(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "number")] count: JsValue,
    ) -> Result<Vec<i32>, JsError> {
        let count = integer(&count, "count", MAX_REQUESTS).map_err(error)?;
        // Allocated once: the range's length is known.
        let picks = (0..count).map(|_| self.pick_next());
        Ok(picks.collect())
    }

    /// `setHealth(address, port, status)`: one endpoint's (or scenario workload's) health.
    ///
    /// # Errors
    /// Unknown endpoint or status; a change that makes the scenario invalid.
    #[wasm_bindgen(js_name = setHealth)]
    pub fn set_health(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] address: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] port: JsValue,
        #[wasm_bindgen(unchecked_param_type = "HealthStatus")] status: JsValue,
    ) -> Result<(), JsError> {
        let address = string(&address, "address").map_err(error)?;
        let port = port_of(&port).map_err(error)?;
        let name = string(&status, "status").map_err(error)?;
        let health = name
            .parse::<HealthStatus>()
            .map_err(|e| error(format!("status: {e}")))?;
        self.inner
            .set_health(&address, port, health)
            .map_err(error)?;
        self.objects.clear();
        Ok(())
    }

    /// `setWeight(address, port, weight)`: one endpoint's (or scenario workload's) weight, at
    /// least 1.
    ///
    /// # Errors
    /// Unknown endpoint; a weight that is not an integer in `1..=4294967295`; a locality whose
    /// weights then overflow.
    #[wasm_bindgen(js_name = setWeight)]
    pub fn set_weight(
        &mut self,
        #[wasm_bindgen(unchecked_param_type = "string")] address: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] port: JsValue,
        #[wasm_bindgen(unchecked_param_type = "number")] weight: JsValue,
    ) -> Result<(), JsError> {
        let address = string(&address, "address").map_err(error)?;
        let port = port_of(&port).map_err(error)?;
        let weight = integer(&weight, "weight", u64::from(u32::MAX)).map_err(error)?;
        let weight = u32::try_from(weight).map_err(|e| error(format!("weight: {e}")))?;
        self.inner
            .set_weight(&address, port, weight)
            .map_err(error)?;
        self.objects.clear();
        Ok(())
    }

    /// `explain()`: the current explanation, updates applied.
    ///
    /// # Errors
    /// None in practice (serialisation of plain data).
    #[wasm_bindgen(js_name = explain, unchecked_return_type = "Explanation")]
    pub fn explain_js(&self) -> Result<JsValue, JsError> {
        to_js(self.inner.explain())
    }
}

/// The endpoint a [`Balancer`] picked: [`meshlb_formats::Picked`] plus the explanation's facts
/// about it. (`pick()` copies its JavaScript form with a snippet that lists the fields: a new
/// field goes there too.)
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickedEndpoint {
    /// Its index in the explanation's `endpoints`.
    pub index: usize,
    /// Address.
    pub address: String,
    /// Port.
    pub port: u16,
    /// Locality string.
    pub locality: String,
    /// Cluster (scenarios).
    pub cluster: Option<String>,
    /// Subset (scenarios with routes).
    pub subset: Option<String>,
    /// Priority.
    pub priority: u32,
    /// Health.
    pub health: HealthStatus,
    /// Workload or gateway.
    pub kind: EndpointKind,
    /// `start()` only: the request's ticket for `finish` (added field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ticket: Option<u32>,
}

// ---------------------------------------------------------------------------------------------
// JavaScript values in: every check happens here, before a value reaches a Rust type.

#[wasm_bindgen]
extern "C" {
    /// `String.prototype.isWellFormed.call(s)` (ES2024): caught, so an engine without it is no
    /// error.
    #[wasm_bindgen(catch, js_namespace = ["String", "prototype", "isWellFormed"], js_name = call)]
    fn is_well_formed(s: &JsString) -> Result<bool, JsValue>;
}

/// `__pickIndex`'s answer when the call failed (-1 is "no endpoint could serve").
const FAILED_INDEX: i32 = -2;

/// An endpoint's index into the explanation's `endpoints` as JavaScript gets it: -1 when no
/// endpoint could serve (`pickIndex`, `pickNext`, `pickMany`).
fn js_index(index: Option<usize>) -> i32 {
    index.and_then(|i| i32::try_from(i).ok()).unwrap_or(-1)
}

fn error(message: impl AsRef<str>) -> JsError {
    JsError::new(message.as_ref())
}

/// `value` as the CLI prints it (`serde_json`), read back by the engine's `JSON.parse`: equal to
/// `JSON.parse` of the CLI's output by construction, numbers past 2^53 rounded the same way,
/// maps as plain objects. (serde-wasm-bindgen's JSON-compatible serializer builds the objects
/// call by call instead: 2.7 KiB more gzip, which the 250 KiB budget does not have, and it
/// refuses integers past 2^53 such as a large seed.)
fn to_js<T: Serialize + ?Sized>(value: &T) -> Result<JsValue, JsError> {
    let json = serde_json::to_string(value).map_err(|e| error(e.to_string()))?;
    js_sys::JSON::parse(&json).map_err(|e| error(describe(&e)))
}

/// `typeof value`, with `null` and arrays told apart.
fn type_name(value: &JsValue) -> String {
    if value.is_null() {
        "null".into()
    } else if is_array(value) {
        "an array".into()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    }
}

/// The message of a thrown value (its `name` and `message` read with `Reflect.get`, which is
/// caught: an error's getters may throw too).
fn describe(thrown: &JsValue) -> String {
    if thrown.dyn_ref::<js_sys::Error>().is_some() {
        let read = |key: &str| {
            Reflect::get(thrown, &JsValue::from_str(key))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        format!("{}: {}", read("name"), read("message"))
    } else {
        thrown
            .as_string()
            .unwrap_or_else(|| format!("a thrown {}", type_name(thrown)))
    }
}

/// A JavaScript string as Rust text: at most [`meshlb_formats::MAX_INPUT_BYTES`], well-formed UTF-16 (a lone
/// surrogate has no UTF-8 form: it is an error, as invalid UTF-8 is to the CLI).
fn js_text(s: &JsString, what: &str) -> Result<String, String> {
    check_size(what, u64::from(s.length()))?;
    let well_formed = match is_well_formed(s) {
        Ok(b) => b,
        Err(_) => s.is_valid_utf16(),
    };
    if !well_formed {
        let units = s.iter();
        let mut line = 1;
        for c in char::decode_utf16(units) {
            match c {
                Ok('\n') => line += 1,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        return Err(format!(
            "{what}: not well-formed text (a lone UTF-16 surrogate at line {line})"
        ));
    }
    let text = JsValue::from(s)
        .as_string()
        .ok_or_else(|| format!("{what}: not a string"))?;
    check_size(what, text.len() as u64)?;
    Ok(text)
}

/// The input as text: a string, UTF-8 bytes, or an object through `JSON.stringify`.
fn input_text(input: &JsValue) -> Result<String, String> {
    if let Some(s) = input.dyn_ref::<JsString>() {
        return js_text(s, INPUT_NAME);
    }
    if let Some(bytes) = input.dyn_ref::<Uint8Array>() {
        return meshlb_formats::text(INPUT_NAME, bytes_of(bytes, INPUT_NAME)?);
    }
    if input.is_object() && !input.is_function() {
        let json = js_sys::JSON::stringify(input).map_err(|e| {
            format!(
                "{INPUT_NAME}: cannot turn the object into JSON ({})",
                describe(&e)
            )
        })?;
        let json = JsValue::from(json);
        return match json.dyn_ref::<JsString>() {
            Some(s) => js_text(s, INPUT_NAME),
            None => Err(format!("{INPUT_NAME}: the object has no JSON form")),
        };
    }
    Err(format!(
        "{INPUT_NAME}: expected YAML or JSON text (a string), UTF-8 bytes (a Uint8Array) or an object (a parsed scenario or Envoy document), got {}",
        type_name(input)
    ))
}

// The fields of `PickedEndpoint`, in its order, by name: an object literal, which V8 builds in
// about 5 ns, where `{ ...o }` took 25–30 (Node 20). A field added to `PickedEndpoint` must be
// added here: the Node tests compare the keys of `pick()` and `start()` with the struct's.
#[wasm_bindgen(inline_js = "
export function copyPicked(o) {
  return { index: o.index, address: o.address, port: o.port, locality: o.locality, cluster: o.cluster,
    subset: o.subset, priority: o.priority, health: o.health, kind: o.kind };
}
export function copyStarted(o, ticket) {
  return { index: o.index, address: o.address, port: o.port, locality: o.locality, cluster: o.cluster,
    subset: o.subset, priority: o.priority, health: o.health, kind: o.kind, ticket };
}
")]
extern "C" {
    /// A copy of a `pick()` object (a [`PickedEndpoint`] without a ticket).
    #[wasm_bindgen(js_name = copyPicked)]
    fn copy_object(o: &JsValue) -> JsValue;
    /// As [`copy_object`], with a `ticket` property last (`start()`).
    #[wasm_bindgen(js_name = copyStarted)]
    fn copy_with_ticket(o: &JsValue, ticket: u32) -> JsValue;
}

#[wasm_bindgen]
extern "C" {
    /// A `hashKey` argument as it arrives (a string or a `Uint8Array`, checked on use). An
    /// imported type rather than `JsValue`: wasm-bindgen tells its absence from the handle
    /// JavaScript passes (0 for `undefined` and `null`), where `Option<JsValue>` asks
    /// JavaScript whether the value is `undefined`, a call out of wasm on every pick.
    pub type HashKey;
}

#[wasm_bindgen]
extern "C" {
    /// `Array.isArray`, caught (a revoked `Proxy` throws).
    #[wasm_bindgen(catch, js_namespace = Array, js_name = isArray)]
    fn array_is_array(value: &JsValue) -> Result<bool, JsValue>;
    /// `Uint8Array.from(source)`, caught: a copy that is the engine's own array whatever the
    /// source (a subclass's or a `Proxy`'s `length` may throw or lie; the copy's does neither).
    #[wasm_bindgen(catch, js_namespace = Uint8Array, js_name = from)]
    fn copy_bytes(source: &Uint8Array) -> Result<Uint8Array, JsValue>;
}

/// Whether `value` is an array (`false` when asking throws).
fn is_array(value: &JsValue) -> bool {
    array_is_array(value).unwrap_or(false)
}

/// A `Uint8Array` argument's bytes, through a copy made in JavaScript (see [`copy_bytes`]): no
/// call on the caller's object throws through Rust frames, where it would leave a `Balancer`
/// borrowed and the module's stack unwound by nothing.
fn bytes_of(bytes: &Uint8Array, what: &str) -> Result<Vec<u8>, String> {
    let unreadable = |e: JsValue| format!("{what}: cannot read the Uint8Array ({})", describe(&e));
    let claimed = Reflect::get(bytes, &JsValue::from_str("length")).map_err(unreadable)?;
    if let Some(length) = claimed.as_f64() {
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // saturating: a size
        check_size(what, length as u64)?;
    }
    let copy = copy_bytes(bytes).map_err(unreadable)?;
    check_size(what, u64::from(copy.length()))?;
    Ok(copy.to_vec())
}

/// An optional `hashKey` argument's bytes.
fn optional_key(value: Option<&JsValue>) -> Result<Option<Vec<u8>>, JsError> {
    value.map(|v| key_bytes(v).map_err(error)).transpose()
}

/// A hash key: a string (hashed as its UTF-8 bytes) or bytes.
fn key_bytes(value: &JsValue) -> Result<Vec<u8>, String> {
    if let Some(s) = value.dyn_ref::<JsString>() {
        return js_text(s, "hashKey").map(String::into_bytes);
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return bytes_of(bytes, "hashKey");
    }
    Err(format!(
        "hashKey: expected a string or a Uint8Array, got {}",
        type_name(value)
    ))
}

fn string(value: &JsValue, what: &str) -> Result<String, String> {
    match value.dyn_ref::<JsString>() {
        Some(s) => js_text(s, what),
        None => Err(format!(
            "{what}: expected a string, got {}",
            type_name(value)
        )),
    }
}

/// A number as JavaScript prints it, near enough for messages.
fn number_text(v: f64) -> String {
    if v.is_finite() && v.abs() >= 1e21 {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

/// A non-negative integer at most `max`: a number (exact, so at most 2^53 - 1) or a `BigInt`.
fn integer(value: &JsValue, what: &str, max: u64) -> Result<u64, String> {
    let limit = || {
        if max > MAX_SAFE_INTEGER {
            format!("between 0 and {MAX_SAFE_INTEGER} (a BigInt up to {max})")
        } else {
            format!("between 0 and {max}")
        }
    };
    if let Some(v) = value.as_f64() {
        #[allow(clippy::cast_precision_loss)] // MAX_SAFE_INTEGER is exact in f64
        let exact = v.is_finite() && v.fract() == 0.0 && v >= 0.0 && v <= MAX_SAFE_INTEGER as f64;
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // checked just above
        let n = v as u64;
        return if exact && n <= max {
            Ok(n)
        } else {
            Err(format!(
                "{what}: {} is not an integer {}",
                number_text(v),
                limit()
            ))
        };
    }
    if value.is_bigint() {
        return match u64::try_from_js_value_ref(value) {
            Some(n) if n <= max => Ok(n),
            _ => Err(format!("{what}: the BigInt is not an integer {}", limit())),
        };
    }
    Err(format!(
        "{what}: expected an integer {}, got {}",
        limit(),
        type_name(value)
    ))
}

fn port_of(value: &JsValue) -> Result<u16, String> {
    let port = integer(value, "port", u64::from(u16::MAX))?;
    u16::try_from(port).map_err(|e| format!("port: {e}"))
}

/// Options read from JavaScript.
#[derive(Debug, Default)]
struct ReadOptions {
    options: Options,
    requests: u64,
    seed: u64,
}

/// Reads an options object: the keys in `allowed` (camelCase), each `undefined` or `null` when
/// not given; any other key is an error naming it.
fn read_options(value: Option<&JsValue>, allowed: &[&str]) -> Result<ReadOptions, String> {
    let mut read = ReadOptions {
        requests: DEFAULT_REQUESTS,
        seed: DEFAULT_SEED,
        ..ReadOptions::default()
    };
    let Some(object) = value else {
        return Ok(read);
    };
    if !object.is_object() || object.is_function() || is_array(object) {
        return Err(format!(
            "options: expected an object ({{ {} }}), got {}",
            allowed.join(", "),
            type_name(object)
        ));
    }
    let object: &js_sys::Object = object.unchecked_ref();
    let keys = Reflect::own_keys(object)
        .map_err(|e| format!("options: cannot list the keys ({})", describe(&e)))?;
    for key in keys.iter() {
        // Symbol keys are not options: ignore them.
        let Some(name) = key.as_string() else {
            continue;
        };
        if !allowed.contains(&name.as_str()) {
            return Err(format!(
                "options: unknown option {name:?} (expected {})",
                allowed.join(", ")
            ));
        }
        let value = Reflect::get(object, &key)
            .map_err(|e| format!("options.{name}: cannot read it ({})", describe(&e)))?;
        if value.is_undefined() || value.is_null() {
            continue;
        }
        let what = format!("options.{name}");
        match name.as_str() {
            "from" => read.options.from = Some(string(&value, &what)?),
            "locality" => read.options.locality = Some(string(&value, &what)?),
            "to" => read.options.to = Some(string(&value, &what)?),
            "cluster" => read.options.cluster = Some(string(&value, &what)?),
            "fail" => {
                if !is_array(&value) {
                    return Err(format!(
                        "{what}: expected an array of strings (KIND=VALUE), got {}",
                        type_name(&value)
                    ));
                }
                // Read with `Reflect.get`, caught: an array may be a `Proxy` whose traps throw.
                let get = |key: JsValue| {
                    Reflect::get(&value, &key)
                        .map_err(|e| format!("{what}: cannot read it ({})", describe(&e)))
                };
                let length = get(JsValue::from_str("length"))?.as_f64().unwrap_or(0.0);
                for i in (0..u32::MAX).take_while(|&i| f64::from(i) < length) {
                    let item = get(JsValue::from(i))?;
                    read.options
                        .fail
                        .push(string(&item, &format!("{what}[{i}]"))?);
                }
            }
            "lbPolicy" => {
                let policy = string(&value, &what)?;
                read.options.lb_policy = Some(policy.parse().map_err(|e| format!("{what}: {e}"))?);
            }
            "panicThreshold" => {
                let threshold = value.as_f64().ok_or_else(|| {
                    format!("{what}: expected a number, got {}", type_name(&value))
                })?;
                read.options.panic_threshold = Some(
                    meshlb::check_panic_threshold(threshold).map_err(|e| format!("{what}: {e}"))?,
                );
            }
            "requests" => {
                read.requests = integer(&value, &what, MAX_REQUESTS)?;
            }
            "seed" => read.seed = integer(&value, &what, u64::MAX)?,
            _ => {}
        }
    }
    Ok(read)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn explains_and_simulates_text_as_the_cli() {
        let text = include_str!("../../examples/envoy/spillover-panic.json");
        let explanation = explain_text(text, &Options::default()).unwrap();
        assert_eq!(explanation.priorities.len(), 2);
        let simulation = simulate_text(text, &Options::default(), 1000, 7).unwrap();
        assert_eq!(simulation.requests, 1000);
        assert_eq!(simulation.seed, 7);
    }

    #[test]
    fn errors_name_the_input() {
        let e = explain_text("clusters: [", &Options::default()).unwrap_err();
        assert!(e.starts_with("input: "), "{e}");
        let e = explain_text("", &Options::default()).unwrap_err();
        assert!(e.starts_with("input: the input is empty"), "{e}");
    }

    #[test]
    fn requests_are_capped() {
        let text = include_str!("../../examples/envoy/spillover-panic.json");
        let e = simulate_text(text, &Options::default(), MAX_REQUESTS + 1, 1).unwrap_err();
        assert!(e.starts_with("requests: "), "{e}");
    }

    #[test]
    fn balancer_picks_and_updates() {
        let text = include_str!("../../examples/envoy/ring-hash.json");
        let mut balancer = Balancer::from_text(text, &Options::default(), 7).unwrap();
        let first = balancer.pick_key(Some(b"user-1")).unwrap();
        assert_eq!(balancer.pick_key(Some(b"user-1")), Some(first.clone()));
        assert_eq!(
            balancer.explanation().endpoints[first.index].address,
            first.address
        );
        assert!(balancer.inner.set_weight("10.9.9.9", 1, 1).is_err());
    }

    #[test]
    fn deep_block_yaml_is_refused_without_recursion() {
        // 100,000 levels overflow any stack if read recursively; the readers refuse them first.
        let deep = format!("{}x", "- ".repeat(100_000));
        let e = explain_text(&deep, &Options::default()).unwrap_err();
        assert!(e.starts_with("input: ") && e.contains("nested"), "{e}");
    }

    #[test]
    fn reports_and_reads_documents() {
        let text = include_str!("../../examples/locality-failover.yaml");
        let report = report_text(text, &Options::default()).unwrap();
        assert!(!report.sweep.is_empty() && !report.matrix.is_empty());
        let e = report_text(
            include_str!("../../examples/envoy/ring-hash.json"),
            &Options::default(),
        )
        .unwrap_err();
        assert!(e.contains("report needs a meshlb scenario"), "{e}");
        let json = document_text("istioVersion: 1.30\nclusters: [{name: a}]\n").unwrap();
        assert_eq!(json, r#"{"istioVersion":"1.30","clusters":[{"name":"a"}]}"#);
        let envoy = include_str!("../../examples/envoy/spillover-panic.json");
        let json = with_health_text(envoy, "10.1.1.4", 9080, None, "DEGRADED").unwrap();
        let explained = explain_text(&json, &Options::default()).unwrap();
        let e = explained
            .endpoints
            .iter()
            .find(|e| e.address == "10.1.1.4")
            .unwrap();
        assert_eq!(e.health, HealthStatus::Degraded);
        let e = with_health_text(envoy, "10.1.1.4", 80, None, "DEGRADED").unwrap_err();
        assert!(e.contains("no endpoint 10.1.1.4:80"), "{e}");
        let e = with_health_text("workloads: []", "10.0.0.1", 80, None, "fine").unwrap_err();
        assert!(e.starts_with("health: "), "{e}");
        let e = document_text("clusters: [").unwrap_err();
        assert!(e.starts_with("input: ") && e.contains("line"), "{e}");
    }
}
