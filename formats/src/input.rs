//! One entry point for every adapter: text in (a scenario or Envoy JSON), options applied,
//! planned and ready to explain or simulate.
//!
//! The CLI, the wasm package and the proxy-wasm filter all call [`load`], so the same input and
//! options give the same explanation and the same error message everywhere.

use meshlb::mesh::MeshPlan;
use meshlb::{Explanation, LbPolicy, Plan, Simulation};

use crate::{Document, InputError};

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
    pub notes: Vec<String>,
}

impl Loaded {
    /// The explanation (shared/SCENARIO.md §3), parsing notes included.
    #[must_use]
    pub fn explain(&self) -> Explanation {
        let mut explanation = match &self.planned {
            Planned::Envoy(plan) => plan.explain(),
            Planned::Mesh(plan) => plan.explain(),
        };
        explanation.notes.extend(self.notes.iter().cloned());
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

    /// The load-balancing policy in force (the first destination's, for a scenario).
    #[must_use]
    pub fn policy(&self) -> LbPolicy {
        match &self.planned {
            Planned::Envoy(plan) => plan.config().policy,
            Planned::Mesh(plan) => plan.explain().lb_policy,
        }
    }
}

/// Whether `text` is Envoy JSON rather than a scenario.
#[must_use]
pub fn is_envoy(text: &str) -> bool {
    text.trim_start().starts_with('{') && !crate::looks_like_scenario(text)
}

/// Parses `text` (named `name` in messages), applies `options` and plans it.
///
/// # Errors
/// A message naming the input, the path, the line and the problem, as the CLI prints it after
/// `meshlb: error: `.
pub fn load(name: &str, text: &str, options: &Options) -> Result<Loaded, String> {
    let located = |e: InputError| format!("{name}: {e}");
    if is_envoy(text) {
        return load_envoy(name, text, options);
    }
    if text.trim().is_empty() {
        return Err(format!(
            "{name}: the input is empty: give a meshlb scenario (YAML or JSON) or an Envoy ClusterLoadAssignment or Cluster (JSON)"
        ));
    }
    for (option, given) in [
        ("lb-policy", options.lb_policy.is_some()),
        ("panic-threshold", options.panic_threshold.is_some()),
    ] {
        if given {
            return Err(format!(
                "--{option} applies to Envoy input; in a scenario the DestinationRule decides (set its loadBalancer or outlierDetection.minHealthPercent)"
            ));
        }
    }
    let mut input = crate::parse_scenario(text).map_err(located)?;
    let scenario = &mut input.scenario;
    if let Some(from) = &options.from {
        let (cluster, namespace) = from
            .split_once('/')
            .filter(|(c, n)| !c.is_empty() && !n.is_empty() && !n.contains('/'))
            .ok_or_else(|| format!("--from {from:?}: expected CLUSTER/NAMESPACE"))?;
        scenario.client.cluster = cluster.to_string();
        scenario.client.namespace = namespace.to_string();
        input.notes.push(format!("--from {from} sets the client"));
    }
    if let Some(locality) = &options.locality {
        scenario.client.locality =
            meshlb::mesh::parse_locality(locality).map_err(|e| format!("--locality: {e}"))?;
        input
            .notes
            .push(format!("--locality {locality} sets the client's locality"));
    }
    if let Some(to) = &options.to {
        scenario.request.host = to.clone();
        input
            .notes
            .push(format!("--to {to} sets the requested host"));
    }
    let plan = input.plan(text).map_err(|e| {
        let path = e.path.to_string();
        let flag = if path.starts_with("client.cluster") || path.starts_with("client.namespace") {
            options.from.as_ref().map(|f| format!(" (from --from {f})"))
        } else if path.starts_with("client.locality") {
            options
                .locality
                .as_ref()
                .map(|l| format!(" (from --locality {l})"))
        } else if path.starts_with("request") {
            options.to.as_ref().map(|t| format!(" (from --to {t})"))
        } else {
            None
        };
        format!("{name}: {e}{}", flag.unwrap_or_default())
    })?;
    Ok(Loaded {
        title: format!("{name}: scenario"),
        planned: Planned::Mesh(Box::new(plan)),
        notes: input.notes,
    })
}

fn load_envoy(name: &str, text: &str, options: &Options) -> Result<Loaded, String> {
    let located = |e: InputError| format!("{name}: {e}");
    for (option, given) in [
        ("from", options.from.is_some()),
        ("locality", options.locality.is_some()),
        ("to", options.to.is_some()),
    ] {
        if given {
            return Err(format!(
                "--{option} applies to scenarios; Envoy input has no client or host"
            ));
        }
    }
    let mut input = crate::parse_envoy_json(text).map_err(located)?;
    if let Some(policy) = options.lb_policy {
        input.config.policy = policy;
        input
            .notes
            .push(format!("--lb-policy {policy} overrides the input's policy"));
    }
    if let Some(threshold) = options.panic_threshold {
        if !(0.0..=100.0).contains(&threshold) {
            return Err(format!(
                "--panic-threshold {threshold} is not a percentage between 0 and 100"
            ));
        }
        input.config.healthy_panic_threshold = threshold;
        input.notes.push(format!(
            "--panic-threshold {threshold} overrides the input's panic threshold"
        ));
    }
    let plan = input.plan(Some(text)).map_err(located)?;
    let kind = match input.document {
        Document::Cluster => "Cluster",
        Document::ClusterLoadAssignment => "ClusterLoadAssignment",
    };
    Ok(Loaded {
        title: format!("{name}: {kind} {:?}", input.name),
        planned: Planned::Envoy(Box::new(plan)),
        notes: input.notes,
    })
}
