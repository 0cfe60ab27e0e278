//! One entry point for every adapter: text in (a scenario or Envoy JSON), options applied,
//! planned and ready to explain or simulate.
//!
//! The CLI, the wasm package and the proxy-wasm filter all call [`load`], so the same input and
//! options give the same explanation and the same error message everywhere.

use meshlb::mesh::MeshPlan;
use meshlb::{Explanation, LbPolicy, Plan, Simulation};
use meshlb::{Note, NoteCode};

use crate::InputError;

/// Overrides of what the input says, as the CLI's flags give them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    /// Scenarios: the client's `CLUSTER/NAMESPACE` (`--from`).
    pub from: Option<String>,
    /// Scenarios: the client's `REGION/ZONE/SUBZONE` (`--locality`).
    pub locality: Option<String>,
    /// Scenarios: the host the client calls (`--to`).
    pub to: Option<String>,
    /// Envoy input: the load-balancing policy (`--lb-policy`).
    pub lb_policy: Option<LbPolicy>,
    /// Envoy input: the healthy panic threshold, percent (`--panic-threshold`).
    pub panic_threshold: Option<f64>,
    /// Envoy input holding several clusters: the one to explain (`--cluster`), by its exact
    /// Envoy name.
    pub cluster: Option<String>,
    /// Scenarios: request headers, each `NAME=VALUE` (`--header`, repeatable); they replace
    /// the scenario's `request.headers` when given.
    pub headers: Vec<String>,
    /// Scenarios: the request's path, query string included (`--path`).
    pub path: Option<String>,
    /// Scenarios: the request's method (`--method`).
    pub method: Option<String>,
    /// Scenarios: the request's port (`--port`).
    pub port: Option<u16>,
    /// `kubectl` dumps (`--kube NAME=PATH`): per cluster, its name and its files' names and
    /// texts. When given, the scenario is imported from them ([`crate::kube`]) and the text
    /// passed to [`load`] is not read.
    pub kube: Vec<(String, Vec<(String, String)>)>,
    /// With `kube`: a partial scenario merged over the import (`--overlay`), name and text.
    pub overlay: Option<(String, String)>,
    /// With `kube`: the client pod, `CLUSTER/NAMESPACE/POD` (`--from-pod`).
    pub from_pod: Option<String>,
    /// What-if failures, each `KIND=VALUE` (`--fail`, repeatable; [`meshlb::mesh::Failure`]):
    /// applied to a scenario after the other flags, or to an Envoy assignment (zones, regions
    /// and endpoints only) before planning.
    pub fail: Vec<String>,
}

/// Requests per second of a timed simulation without `--rate`.
pub const DEFAULT_RATE: f64 = 1000.0;

/// Mean latency, milliseconds, of the endpoints a timed simulation gives no `--latency`.
pub const DEFAULT_MEAN_LATENCY_MS: f64 = 10.0;

/// A timed simulation's options, as the CLI's flags give them ([`Loaded::simulate_traffic`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TrafficOptions {
    /// Arrivals, requests per second (`--rate`; default [`DEFAULT_RATE`]).
    pub rate: Option<f64>,
    /// Mean latency of endpoints not in `latencies`, milliseconds (`--mean-latency`; default
    /// [`DEFAULT_MEAN_LATENCY_MS`]).
    pub mean_latency_ms: Option<f64>,
    /// Endpoints' mean latencies, each `ADDRESS:PORT=MS` (`--latency`, repeatable).
    pub latencies: Vec<String>,
}

impl TrafficOptions {
    /// Whether any option asks for a timed simulation.
    #[must_use]
    pub fn is_timed(&self) -> bool {
        self.rate.is_some() || self.mean_latency_ms.is_some() || !self.latencies.is_empty()
    }
}

/// `ADDRESS:PORT=MS` (IPv6 as `[ADDRESS]:PORT=MS`).
fn parse_latency(spec: &str) -> Result<(String, u16, f64), String> {
    let bad =
        || format!("--latency {spec:?}: expected ADDRESS:PORT=MS (IPv6 as [ADDRESS]:PORT=MS)");
    let (endpoint, ms) = spec.rsplit_once('=').ok_or_else(bad)?;
    let ms: f64 = ms.trim().parse().map_err(|_| bad())?;
    if !(ms.is_finite() && ms >= 0.0) {
        return Err(format!(
            "--latency {spec}: {ms} is not a latency (milliseconds, 0 or more)"
        ));
    }
    let (address, port) = endpoint.rsplit_once(':').ok_or_else(bad)?;
    let address = match address.strip_prefix('[') {
        Some(v6) => v6.strip_suffix(']').ok_or_else(bad)?,
        None if address.contains(':') => return Err(bad()),
        None => address,
    };
    let port: u16 = port.parse().map_err(|_| bad())?;
    if address.is_empty() {
        return Err(bad());
    }
    Ok((address.to_owned(), port, ms))
}

/// The clusters of an Envoy input holding several, when none was chosen: what `meshlb explain`
/// lists, as `istioctl proxy-config cluster` does.
#[derive(Debug, Clone)]
pub struct Listing {
    /// `name: admin /config_dump` (the files and what they are).
    pub title: String,
    /// One row per cluster.
    pub rows: Vec<meshlb::ClusterRow>,
    /// Remarks about the input as a whole.
    pub notes: Vec<Note>,
}

/// What [`read`] made of the input: one plan, or the list of clusters to choose from.
#[derive(Debug, Clone)]
pub enum Input {
    /// A scenario, or one Envoy cluster.
    Loaded(Box<Loaded>),
    /// Several Envoy clusters and no `cluster` option.
    Listing(Listing),
}

/// What the input became.
#[derive(Debug, Clone)]
pub enum Planned {
    /// An Envoy cluster's plan.
    Envoy(Box<Plan>),
    /// A scenario's decisions for its client and request.
    Mesh(Box<MeshPlan>),
}

/// A loaded input: its title, its plan and the notes parsing produced.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// `name: Cluster "x"` or `name: scenario`.
    pub title: String,
    /// The plan.
    pub planned: Planned,
    /// Notes from parsing and options, appended to the explanation's.
    pub notes: Vec<Note>,
    /// The scenario (with options applied) a mesh plan was built from, kept for updates.
    pub scenario: Option<Box<meshlb::mesh::Scenario>>,
    /// Envoy input: the cluster's first active health check, when it has one.
    pub health_check: Option<crate::HealthCheck>,
}

impl Loaded {
    /// The plans as a [`meshlb::Route`] (a scenario's kept with it, for updates), for callers
    /// that keep their own pickers.
    #[must_use]
    pub fn into_route(self) -> meshlb::Route {
        match self.planned {
            Planned::Envoy(plan) => meshlb::Route::from_plan(*plan),
            Planned::Mesh(plan) => {
                meshlb::Route::from_mesh_plan(self.scenario.map(|s| *s).unwrap_or_default(), *plan)
            }
        }
    }

    /// The explanation (shared/SCENARIO.md §3), parsing notes included, and (with the
    /// `topology` feature) for a scenario its topology with defaults applied
    /// ([`meshlb::mesh::Topology`]).
    #[must_use]
    pub fn explain(&self) -> Explanation {
        let mut explanation = match &self.planned {
            Planned::Envoy(plan) => plan.explain(),
            Planned::Mesh(plan) => plan.explain(),
        };
        explanation.extend_notes(self.notes.iter().cloned());
        #[cfg(feature = "topology")]
        if let Some(scenario) = &self.scenario {
            explanation.topology = Some(meshlb::mesh::Topology::of(
                scenario,
                explanation.host.as_deref(),
            ));
        }
        explanation
    }

    /// `requests` seeded picks through the real pickers.
    #[must_use]
    pub fn simulate(&self, requests: u64, seed: u64) -> Simulation {
        match &self.planned {
            Planned::Envoy(plan) => meshlb::simulate(plan, requests, seed),
            Planned::Mesh(plan) => plan.simulate(requests, seed),
        }
    }

    /// `requests` seeded requests that take time (the CLI's `simulate --latency`,
    /// `--mean-latency`, `--rate`): [`meshlb::simulate_traffic`] through the runtime. The picks
    /// are seeded as [`Loaded::simulate`]'s.
    ///
    /// # Errors
    /// A malformed `--latency`, one naming no endpoint of the explanation, or a rate or latency
    /// that is not a positive (latency: non-negative) finite number.
    pub fn simulate_traffic(
        &self,
        requests: u64,
        seed: u64,
        traffic: &TrafficOptions,
    ) -> Result<Simulation, String> {
        let explanation = self.explain();
        let mean = traffic.mean_latency_ms.unwrap_or(DEFAULT_MEAN_LATENCY_MS);
        if !(mean.is_finite() && mean >= 0.0) {
            return Err(format!(
                "--mean-latency {mean}: expected milliseconds, 0 or more"
            ));
        }
        let mut latencies = vec![mean; explanation.endpoints.len()];
        for spec in &traffic.latencies {
            let (address, port, ms) = parse_latency(spec)?;
            let mut found = false;
            for (i, e) in explanation.endpoints.iter().enumerate() {
                if e.address == address && e.port == port {
                    latencies[i] = ms;
                    found = true;
                }
            }
            if !found {
                return Err(format!(
                    "--latency {spec}: no endpoint {} in the explanation",
                    meshlb::endpoint_address(&address, port)
                ));
            }
        }
        let rate = traffic.rate.unwrap_or(DEFAULT_RATE);
        let model = meshlb::Traffic::new(rate, latencies).map_err(|e| format!("--{e}"))?;
        let mut rng = meshlb::SeededRng::new(seed);
        let mut balancer = match &self.planned {
            Planned::Envoy(plan) => meshlb::Balancer::from_plan((**plan).clone(), &mut rng),
            Planned::Mesh(plan) => meshlb::Balancer::from_mesh_plan(
                self.scenario.as_deref().cloned().unwrap_or_default(),
                (**plan).clone(),
                &mut rng,
            ),
        };
        Ok(meshlb::simulate_traffic(
            &mut balancer,
            &mut rng,
            &model,
            requests,
            seed,
        ))
    }

    /// The load-balancing policy in force (the first destination's, for a scenario).
    #[must_use]
    pub fn policy(&self) -> LbPolicy {
        match &self.planned {
            Planned::Envoy(plan) => plan.config().policy,
            Planned::Mesh(plan) => plan.lb_policy(),
        }
    }
}

/// Whether `text` is Envoy input (any artefact [`crate::read_envoy`] reads) rather than a
/// scenario.
#[must_use]
pub fn is_envoy(text: &str) -> bool {
    !crate::looks_like_scenario(text)
        && crate::tree::load_stream(text).is_ok_and(|root| crate::looks_like_envoy(&root))
}

/// Parses `text` (named `name` in messages), applies `options` and plans it: a scenario, or
/// one Envoy cluster (the input's only one, or the one `options.cluster` names).
///
/// # Errors
/// A message naming the input, the path, the line and the problem, as the CLI prints it after
/// `meshlb: error: `; for Envoy input holding several clusters and no `cluster` option, the
/// message lists them.
pub fn load(name: &str, text: &str, options: &Options) -> Result<Loaded, String> {
    match read(&[(name, text)], options)? {
        Input::Loaded(loaded) => Ok(*loaded),
        Input::Listing(listing) => {
            let names: Vec<String> = listing
                .rows
                .iter()
                .take(8)
                .map(|r| format!("{:?}", r.name))
                .collect();
            Err(format!(
                "{name} holds {} clusters: choose one by its name (`--cluster`, or the `cluster` option): {}{}",
                listing.rows.len(),
                names.join(", "),
                if listing.rows.len() > names.len() {
                    ", ..."
                } else {
                    ""
                }
            ))
        }
    }
}

/// Reads `files` (name, text), applies `options` and plans the result: a scenario (one file),
/// or Envoy artefacts (one file or several, whose clusters and assignments are joined). Envoy
/// input holding several clusters, without `options.cluster`, gives their [`Listing`].
///
/// # Errors
/// As [`load`].
pub fn read(files: &[(&str, &str)], options: &Options) -> Result<Input, String> {
    if !options.kube.is_empty() {
        #[cfg(feature = "kube")]
        return crate::kube::load(options).map(|loaded| Input::Loaded(Box::new(loaded)));
        #[cfg(not(feature = "kube"))]
        return Err("this build does not read kubectl dumps (meshlb-formats' `kube` feature): give the scenario `meshlb import --kube ...` prints".into());
    }
    let [(name, text)] = files else {
        return read_envoy_files(files, options);
    };
    let (name, text) = (*name, *text);
    let located = |e: InputError| format!("{name}: {e}");
    // The text read once: what it is told from the tree, a scenario parsed from the same tree
    // (where `looks_like_scenario` walked the text's events, then the text was read again:
    // an Envoy YAML file was scanned twice, a scenario once and up to its `clusters` key).
    // Past the size limit or unreadable, the scenario parser says what is wrong.
    let root = (!text.trim().is_empty() && crate::check_size(name, text.len() as u64).is_ok())
        .then(|| crate::tree::load_stream(text).ok())
        .flatten();
    let scenario = match root.as_ref().map(|root| &root.value) {
        Some(crate::tree::Value::Map(entries)) => entries
            .iter()
            .any(|(key, _)| crate::scenario::SCENARIO_KEYS.contains(&key.as_str())),
        // Several documents, or a list: the first document decides.
        Some(crate::tree::Value::Seq(_)) => crate::looks_like_scenario(text),
        _ => false,
    };
    if !scenario && let Some(root) = &root {
        if crate::looks_like_envoy(root) {
            return envoy(&[(name, root)], options);
        }
        if let Some(hint) = istio_mesh_file(root) {
            return Err(format!("{name} holds {hint}"));
        }
        if is_kubernetes(root) {
            return Err(format!(
                "{name} holds Kubernetes objects (`kubectl get -o yaml` output): read it as a cluster's dump, `--kube NAME={name}` with --from and --to (`meshlb import --kube NAME={name}` prints the scenario)"
            ));
        }
        if text.trim_start().starts_with(['{', '[']) {
            return Err(format!(
                "{name}: not an Envoy artefact meshlb reads (a /config_dump, /clusters?format=json, a DiscoveryResponse, a bootstrap, Clusters or ClusterLoadAssignments) nor a meshlb scenario (top-level `clusters` or `workloads`)"
            ));
        }
    }
    if text.trim().is_empty() {
        return Err(format!(
            "{name}: the input is empty: give a meshlb scenario ({}), what Envoy or istioctl prints (a config dump, /clusters, xDS, Envoy files), or --kube dumps",
            if cfg!(feature = "yaml") {
                "YAML or JSON"
            } else {
                "JSON"
            }
        ));
    }
    for (option, given) in [
        ("lb-policy", options.lb_policy.is_some()),
        ("panic-threshold", options.panic_threshold.is_some()),
        ("cluster", options.cluster.is_some()),
    ] {
        if given {
            return Err(format!(
                "--{option} applies to Envoy input; in a scenario the DestinationRule decides (set its loadBalancer or outlierDetection.minHealthPercent)"
            ));
        }
    }
    let mut input = match &root {
        Some(root) if scenario && matches!(root.value, crate::tree::Value::Map(_)) => {
            crate::scenario::parse_scenario_tree(text, root)
        }
        _ => crate::parse_scenario(text),
    }
    .map_err(located)?;
    apply_scenario_flags(&mut input.scenario, options, &mut input.notes)?;
    apply_failures(&mut input.scenario, options, &mut input.notes)?;
    let plan = input.plan(text).map_err(|e| {
        let path = e.path.to_string();
        let flag = if path.starts_with("client.cluster") || path.starts_with("client.namespace") {
            options.from.as_ref().map(|f| format!(" (from --from {f})"))
        } else if path.starts_with("client.locality") {
            options
                .locality
                .as_ref()
                .map(|l| format!(" (from --locality {l})"))
        } else if path.starts_with("request.port") {
            options.port.map(|p| format!(" (from --port {p})"))
        } else if path.starts_with("request") {
            options.to.as_ref().map(|t| format!(" (from --to {t})"))
        } else {
            None
        };
        format!("{name}: {e}{}", flag.unwrap_or_default())
    })?;
    Ok(Input::Loaded(Box::new(Loaded {
        title: format!("{name}: scenario"),
        planned: Planned::Mesh(Box::new(plan)),
        notes: input.notes,
        scenario: Some(Box::new(input.scenario)),
        health_check: None,
    })))
}

/// The flags that override a scenario's client and request (`--from`, `--locality`, `--to`,
/// `--header`, `--path`, `--method`, `--port`), each noted: for a scenario file and for one
/// imported from `kubectl` dumps alike.
///
/// # Errors
/// A flag whose value is malformed (`--from` without `/`, a locality of four parts, ...).
pub(crate) fn apply_scenario_flags(
    scenario: &mut meshlb::mesh::Scenario,
    options: &Options,
    notes: &mut Vec<Note>,
) -> Result<(), String> {
    // Parsed once: `--from` places the client there, and it is the client's locality anyway.
    let locality = options
        .locality
        .as_deref()
        .map(meshlb::mesh::parse_locality)
        .transpose()
        .map_err(|e| format!("--locality: {e}"))?;
    if let Some(from) = &options.from {
        let (cluster, namespace) = from
            .split_once('/')
            .filter(|(c, n)| !c.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| format!("--from {from:?}: expected CLUSTER/NAMESPACE"))?;
        let moved = scenario.move_client(cluster, namespace, locality.as_ref());
        let said = moved.map_or_else(String::new, |m| format!(": {m}"));
        notes.push(Note::new(
            NoteCode::Flag,
            format!("--from {from} sets the client{said}"),
        ));
    }
    if let (Some(text), Some(locality)) = (&options.locality, locality) {
        scenario.client.locality = locality;
        notes.push(Note::new(
            NoteCode::Flag,
            format!("--locality {text} sets the client's locality"),
        ));
    }
    if let Some(to) = &options.to {
        scenario.request.host = to.clone();
        notes.push(Note::new(
            NoteCode::Flag,
            format!("--to {to} sets the requested host"),
        ));
    }
    if !options.headers.is_empty() {
        scenario.request.headers.clear();
        for h in &options.headers {
            let (name, value) = h
                .split_once('=')
                .filter(|(n, _)| !n.is_empty())
                .ok_or_else(|| format!("--header {h:?}: expected NAME=VALUE"))?;
            scenario
                .request
                .headers
                .insert(name.to_ascii_lowercase(), value.to_string());
        }
        notes.push(Note::new(
            NoteCode::Flag,
            format!(
                "--header sets the request's headers ({})",
                options.headers.join(", ")
            ),
        ));
    }
    if let Some(path) = &options.path {
        scenario.request.path = Some(path.clone());
        notes.push(Note::new(
            NoteCode::Flag,
            format!("--path {path} sets the request's path"),
        ));
    }
    if let Some(method) = &options.method {
        scenario.request.method = Some(method.clone());
        notes.push(Note::new(
            NoteCode::Flag,
            format!("--method {method} sets the request's method"),
        ));
    }
    if let Some(port) = options.port {
        scenario.request.port = Some(port);
        notes.push(Note::new(
            NoteCode::Flag,
            format!("--port {port} sets the request's port"),
        ));
    }
    Ok(())
}

/// The `--fail` values, parsed.
///
/// # Errors
/// A value that is not a failure, named with the flag.
fn failures(options: &Options) -> Result<Vec<meshlb::mesh::Failure>, String> {
    options
        .fail
        .iter()
        .map(|f| {
            f.parse::<meshlb::mesh::Failure>()
                .map_err(|e| format!("--fail {f:?}: {}", e.message))
        })
        .collect()
}

/// The `--fail` failures applied to a scenario (a file or a `kubectl` import), after
/// [`apply_scenario_flags`] (a failed control plane depends on who the client is); each
/// failure adds a note.
///
/// # Errors
/// A malformed `--fail` value, or one naming what the scenario does not have.
pub(crate) fn apply_failures(
    scenario: &mut meshlb::mesh::Scenario,
    options: &Options,
    notes: &mut Vec<Note>,
) -> Result<(), String> {
    if options.fail.is_empty() {
        return Ok(());
    }
    let failures = failures(options)?;
    let added = scenario
        .apply_failures(&failures)
        .map_err(|e| format!("--fail {}", e.message))?;
    notes.extend(
        added
            .into_iter()
            .map(|n| Note::new(n.code, format!("--fail {}", n.text))),
    );
    Ok(())
}

/// Top-level keys of Istio's MeshConfig (`mesh.istio.io/v1alpha1`), the `mesh` key of the
/// `istio` ConfigMap: a file holding any of them (and no scenario key) is one.
const MESH_CONFIG_KEYS: [&str; 10] = [
    "defaultConfig",
    "trustDomain",
    "localityLbSetting",
    "enableAutoMtls",
    "outboundTrafficPolicy",
    "accessLogFile",
    "rootNamespace",
    "discoverySelectors",
    "extensionProviders",
    "defaultDestinationRuleExportTo",
];

/// What to do with a file that holds Istio's MeshConfig or MeshNetworks alone (a ConfigMap's
/// `mesh` or `meshNetworks` value), which meshlb reads inside a cluster's dump or as part
/// of a scenario, never by itself: `None` for any other document.
fn istio_mesh_file(root: &crate::tree::Node) -> Option<&'static str> {
    let crate::tree::Value::Map(entries) = &root.value else {
        return None;
    };
    let networks_map = root
        .get("networks")
        .is_some_and(|n| matches!(n.value, crate::tree::Value::Map(_)));
    if networks_map && entries.len() == 1 {
        return Some(
            "Istio's MeshNetworks (the `meshNetworks` value of the `istio` ConfigMap), which meshlb reads inside a cluster's kubectl dump (`--kube NAME=DUMP`, the ConfigMap in it), not alone; a meshlb scenario gives networks as its `networks` list (docs/scenario.md)",
        );
    }
    if entries
        .iter()
        .any(|(key, _)| MESH_CONFIG_KEYS.contains(&key.as_str()))
    {
        return Some(
            "Istio's MeshConfig (the `mesh` value of the `istio` ConfigMap), which meshlb reads inside a cluster's kubectl dump (`--kube NAME=DUMP`, the ConfigMap in it), not alone; a meshlb scenario gives it as a cluster's `meshConfig` (docs/scenario.md)",
        );
    }
    None
}

/// Whether a document holds Kubernetes objects (`apiVersion` and `kind`, alone, in a `List` or
/// in a stream of documents).
fn is_kubernetes(root: &crate::tree::Node) -> bool {
    match &root.value {
        crate::tree::Value::Seq(items) => items.first().is_some_and(is_kubernetes),
        _ => root.get("apiVersion").is_some() && root.get("kind").is_some(),
    }
}

/// Several files: Envoy artefacts only, read and joined.
fn read_envoy_files(files: &[(&str, &str)], options: &Options) -> Result<Input, String> {
    let mut roots = Vec::with_capacity(files.len());
    for (name, text) in files {
        if text.trim().is_empty() {
            return Err(format!("{name}: the input is empty"));
        }
        let root = crate::tree::load_stream(text).map_err(|e| format!("{name}: {e}"))?;
        if crate::looks_like_scenario(text) || !crate::looks_like_envoy(&root) {
            return Err(format!(
                "{name}: several inputs are read together only when each is an Envoy artefact (a config dump, clusters, assignments, ...); a scenario is one file"
            ));
        }
        roots.push(root);
    }
    let named: Vec<(&str, &crate::tree::Node)> = files
        .iter()
        .zip(&roots)
        .map(|((name, _), root)| (*name, root))
        .collect();
    envoy(&named, options)
}

/// Envoy artefacts: the chosen (or only) cluster planned, or the listing.
fn envoy(files: &[(&str, &crate::tree::Node)], options: &Options) -> Result<Input, String> {
    let title = files
        .iter()
        .map(|(n, _)| *n)
        .collect::<Vec<_>>()
        .join(" + ");
    let file = crate::read_envoy(files).map_err(|(name, e)| format!("{name}: {e}"))?;
    let chosen = file
        .select(options.cluster.as_deref())
        .map_err(|e| format!("{title}: {e}"))?;
    let Some(input) = chosen else {
        return Ok(Input::Listing(Listing {
            title: format!("{title}: {}", file.kinds.join("; ")),
            rows: file.rows(),
            notes: file.notes,
        }));
    };
    load_envoy(&title, input.clone(), options).map(|l| Input::Loaded(Box::new(l)))
}

fn load_envoy(
    name: &str,
    mut input: crate::EnvoyInput,
    options: &Options,
) -> Result<Loaded, String> {
    for (option, given) in [
        ("from", options.from.is_some()),
        ("locality", options.locality.is_some()),
        ("to", options.to.is_some()),
        ("header", !options.headers.is_empty()),
        ("path", options.path.is_some()),
        ("method", options.method.is_some()),
        ("port", options.port.is_some()),
        ("header", !options.headers.is_empty()),
        ("path", options.path.is_some()),
        ("method", options.method.is_some()),
        ("port", options.port.is_some()),
    ] {
        if given {
            return Err(format!(
                "--{option} applies to scenarios; Envoy input has no client or host"
            ));
        }
    }
    if !options.fail.is_empty() {
        let failures = failures(options)?;
        let added = meshlb::mesh::fail_assignment(&mut input.assignment, &failures)
            .map_err(|e| format!("--fail {}", e.message))?;
        input.notes.extend(
            added
                .into_iter()
                .map(|n| Note::new(n.code, format!("--fail {}", n.text))),
        );
    }
    if let Some(policy) = options.lb_policy {
        input.config.policy = policy;
        input.notes.push(Note::new(
            NoteCode::Flag,
            format!("--lb-policy {policy} overrides the input's policy"),
        ));
    }
    if let Some(threshold) = options.panic_threshold {
        meshlb::check_panic_threshold(threshold).map_err(|e| format!("--panic-threshold: {e}"))?;
        input.config.healthy_panic_threshold = threshold;
        input.notes.push(Note::new(
            NoteCode::Flag,
            format!("--panic-threshold {threshold} overrides the input's panic threshold"),
        ));
    }
    let plan = input.plan().map_err(|(file, e)| {
        if file.is_empty() {
            format!("{name}: {e}")
        } else {
            format!("{file}: {e}")
        }
    })?;
    Ok(Loaded {
        title: format!("{name}: {} {:?}", input.document.as_str(), input.name),
        planned: Planned::Envoy(Box::new(plan)),
        notes: input.notes,
        scenario: None,
        health_check: input.health_check,
    })
}

/// The endpoint a request was sent to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
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
    /// The core's ticket for the request: what [`Balancer::finish`] takes back (added field).
    pub ticket: meshlb::Picked,
}

/// Per-request load balancing over a loaded input: the same picks as `meshlb pick`, the wasm
/// package's `Balancer` and the proxy-wasm filter, for the same input, options and seed.
///
/// A translation of [`meshlb::Balancer`], the core's runtime (one pick path, batches of changes
/// with one re-plan, each request's end reported for least request): it owns the seeded random
/// generator, names endpoints by `address:port` in messages as the CLI does, and keeps the
/// explanation (with the input's notes) current.
#[derive(Debug, Clone)]
pub struct Balancer {
    title: String,
    notes: Vec<Note>,
    inner: meshlb::Balancer,
    rng: meshlb::SeededRng,
    explanation: Explanation,
}

impl Balancer {
    /// A balancer whose picks are fixed by `seed`.
    #[must_use]
    pub fn new(loaded: Loaded, seed: u64) -> Self {
        let Loaded {
            title,
            planned,
            notes,
            scenario,
            ..
        } = loaded;
        let mut rng = meshlb::SeededRng::new(seed);
        let inner = match planned {
            Planned::Envoy(plan) => meshlb::Balancer::from_plan(*plan, &mut rng),
            Planned::Mesh(plan) => meshlb::Balancer::from_mesh_plan(
                scenario.map(|s| *s).unwrap_or_default(),
                *plan,
                &mut rng,
            ),
        };
        let explanation = explanation_of(&inner, &notes);
        Self {
            title,
            notes,
            inner,
            rng,
            explanation,
        }
    }

    /// Requests dropped so far by the assignment's `drop_overloads` (each such pick returned
    /// `None` without asking the load balancer).
    #[must_use]
    pub const fn dropped(&self) -> u64 {
        self.inner.dropped()
    }

    /// The current explanation.
    #[must_use]
    pub fn explain(&self) -> &Explanation {
        &self.explanation
    }

    /// The input's title (`name: scenario`, `name: Cluster "x"`).
    #[must_use]
    pub fn title(&self) -> &str {
        &self.title
    }

    /// The scenario, with every update applied (`None` for Envoy input).
    #[must_use]
    pub fn scenario(&self) -> Option<&meshlb::mesh::Scenario> {
        self.inner.scenario()
    }

    /// The core's runtime.
    #[must_use]
    pub const fn core(&self) -> &meshlb::Balancer {
        &self.inner
    }

    /// Picks the endpoint for one request that ends at once (what `meshlb pick` prints; least
    /// request sees no request in flight); `hash` is the request's hash for RING_HASH and
    /// MAGLEV (see [`meshlb::hash_key`]), random when `None`. `None` when no endpoint can serve.
    pub fn pick(&mut self, hash: Option<u64>) -> Option<Picked> {
        let picked = self.inner.pick_and_finish(&mut self.rng, request(hash))?;
        self.describe(picked)
    }

    /// As [`Balancer::pick`], only the endpoint's index into the explanation's `endpoints`:
    /// the pick without its description (no string is copied).
    pub fn pick_index(&mut self, hash: Option<u64>) -> Option<usize> {
        let index = self
            .inner
            .pick_and_finish(&mut self.rng, request(hash))?
            .index();
        (index < self.explanation.endpoints.len()).then_some(index)
    }

    /// Picks the endpoint for one request that stays active on it (least request counts it)
    /// until [`Balancer::finish`] is given the returned [`Picked`].
    pub fn start(&mut self, hash: Option<u64>) -> Option<Picked> {
        let picked = self.inner.pick(&mut self.rng, request(hash))?;
        let described = self.describe(picked);
        if described.is_none() {
            self.inner.finish(picked);
        }
        described
    }

    /// Reports that the request of `picked` ([`Balancer::start`]) ended.
    pub fn finish(&mut self, picked: &Picked) {
        self.inner.finish(picked.ticket);
    }

    fn describe(&self, ticket: meshlb::Picked) -> Option<Picked> {
        let index = ticket.index();
        let e = self.explanation.endpoints.get(index)?;
        Some(Picked {
            index,
            address: e.address.clone(),
            port: e.port,
            locality: e.locality.clone(),
            cluster: e.cluster.clone(),
            subset: e.subset.clone(),
            ticket,
        })
    }

    /// Applies a batch of changes with one re-plan ([`meshlb::Balancer::apply`]), then
    /// refreshes the explanation.
    ///
    /// # Errors
    /// The message of a batch that leaves an input that cannot be planned (nothing applied).
    pub fn apply(&mut self, changes: &[meshlb::Change]) -> Result<meshlb::Applied, String> {
        let applied = self.inner.apply(changes).map_err(|e| e.to_string())?;
        if applied.changed > 0 {
            self.explanation = explanation_of(&self.inner, &self.notes);
        }
        Ok(applied)
    }

    /// Sets the health of the endpoint `address:port` (for a scenario, of every workload
    /// there).
    ///
    /// # Errors
    /// When no endpoint (or scenario workload) has that address and port, or the change makes
    /// the scenario invalid.
    pub fn set_health(
        &mut self,
        address: &str,
        port: u16,
        health: meshlb::HealthStatus,
    ) -> Result<(), String> {
        self.apply_one(meshlb::Change::health(address, port, health))
    }

    /// Sets the weight of the endpoint `address:port` (at least 1).
    ///
    /// # Errors
    /// As [`Balancer::set_health`], and for weight 0 or a locality weight sum past `u32::MAX`.
    pub fn set_weight(&mut self, address: &str, port: u16, weight: u32) -> Result<(), String> {
        self.apply_one(meshlb::Change::weight(address, port, weight))
    }

    fn apply_one(&mut self, change: meshlb::Change) -> Result<(), String> {
        let mut applied = self.apply(&[change])?;
        match applied.rejected.pop() {
            Some((_, e)) => Err(e.to_string()),
            None => Ok(()),
        }
    }
}

/// The runtime's explanation with the input's notes, as [`Loaded::explain`] gives it.
fn explanation_of(inner: &meshlb::Balancer, notes: &[Note]) -> Explanation {
    let mut explanation = inner.explain();
    explanation.extend_notes(notes.iter().cloned());
    #[cfg(feature = "topology")]
    if let Some(scenario) = inner.scenario() {
        explanation.topology = Some(meshlb::mesh::Topology::of(
            scenario,
            explanation.host.as_deref(),
        ));
    }
    explanation
}

fn request(hash: Option<u64>) -> meshlb::Request {
    hash.map_or_else(meshlb::Request::default, meshlb::Request::with_hash)
}
