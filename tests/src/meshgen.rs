//! Whole meshes, generated from a seed: clusters on networks with or without an east-west
//! gateway, primary and remote control planes with remote secrets, workloads of one service in
//! several localities with every health status, weights, versions, terminating pods and
//! proxyless ones, and a DestinationRule (policy, locality failover or distribute, subsets)
//! with a VirtualService splitting between subsets.
//!
//! [`Mesh::generate`] draws everything from [`meshlb::SeededRng`], so a seed is a mesh on every
//! machine: the property tests (`tests/invariants.rs`) feed it proptest's seeds, and the
//! cross-build tool (`gen-scenarios`) writes the same meshes as files. [`Mesh::yaml`] writes the
//! scenario meshlb reads; the [`Mesh`] itself is what the invariants derive their expectations
//! from, independently of meshlb.

use std::fmt::Write as _;

use meshlb::{Rng, SeededRng};

/// The service every generated mesh asks for.
pub const HOST: &str = "svc.ns.svc.cluster.local";
/// Its port.
pub const PORT: u16 = 8080;
/// The localities workloads and the client are drawn from.
pub const LOCALITIES: [&str; 4] = ["r1/z1", "r1/z2", "r2/z1", "r2/z2"];
/// Health statuses, HEALTHY four times as likely.
const HEALTH: [&str; 9] = [
    "HEALTHY",
    "HEALTHY",
    "HEALTHY",
    "HEALTHY",
    "UNHEALTHY",
    "DEGRADED",
    "DRAINING",
    "TIMEOUT",
    "UNKNOWN",
];

/// One cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// `c0`, `c1`, ...
    pub name: String,
    /// Index into [`Mesh::networks`].
    pub network: usize,
    /// `None` for a primary; the index of its primary for a remote.
    pub control_plane: Option<usize>,
    /// Indices of the clusters whose API servers this primary watches.
    pub remote_secrets: Vec<usize>,
}

/// One network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    /// `net0`, `net1`, ...
    pub name: String,
    /// The address of its east-west gateway, if it has one.
    pub gateway: Option<String>,
    /// The cluster the gateway runs in.
    pub gateway_cluster: usize,
}

/// One workload of the service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workload {
    /// Index into [`Mesh::clusters`].
    pub cluster: usize,
    /// Unique address.
    pub address: String,
    /// One of [`LOCALITIES`].
    pub locality: &'static str,
    /// An EDS health status name.
    pub health: &'static str,
    /// 1..=4.
    pub weight: u32,
    /// `v1` or `v2` (label `version`).
    pub version: &'static str,
    /// A terminating pod.
    pub terminating: bool,
    /// Without a sidecar (proxyless).
    pub proxyless: bool,
}

/// The DestinationRule's locality setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocalitySetting {
    /// None given (MeshConfig's default).
    Default,
    /// `enabled: false`.
    Disabled,
    /// `failover: r1 → r2`, with outlier detection.
    Failover,
    /// `distribute: r1/* → r1/* 60, r2/* 40`, with outlier detection.
    Distribute,
}

/// A generated mesh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mesh {
    /// The seed it came from.
    pub seed: u64,
    /// `"1.30"` or `"1.31"`.
    pub istio_version: &'static str,
    /// Clusters; the first is a primary.
    pub clusters: Vec<Cluster>,
    /// Networks.
    pub networks: Vec<Network>,
    /// Workloads of the service, in file order.
    pub workloads: Vec<Workload>,
    /// The client's cluster.
    pub client_cluster: usize,
    /// The client's locality.
    pub client_locality: &'static str,
    /// Whether a DestinationRule is given.
    pub destination_rule: bool,
    /// Its `loadBalancer.simple`.
    pub policy: &'static str,
    /// Its locality setting.
    pub locality: LocalitySetting,
    /// A VirtualService routing this percentage to subset v1, the rest to v2.
    pub split: Option<u32>,
}

fn below(rng: &mut SeededRng, n: usize) -> usize {
    (rng.next_u64() % n as u64) as usize
}

fn one_in(rng: &mut SeededRng, n: u64) -> bool {
    rng.next_u64().is_multiple_of(n)
}

impl Mesh {
    /// The mesh of `seed`: 1–4 clusters on 1–3 networks, 1–12 workloads.
    #[must_use]
    pub fn generate(seed: u64) -> Self {
        let mut rng = SeededRng::new(seed);
        let rng = &mut rng;
        let network_count = 1 + below(rng, 3);
        let cluster_count = 1 + below(rng, 4);
        let mut clusters: Vec<Cluster> = (0..cluster_count)
            .map(|i| Cluster {
                name: format!("c{i}"),
                network: if i == 0 { 0 } else { below(rng, network_count) },
                control_plane: None,
                remote_secrets: Vec::new(),
            })
            .collect();
        // A cluster after the first is a remote of an earlier primary one time in three.
        for i in 1..cluster_count {
            if one_in(rng, 3) {
                let primaries: Vec<usize> = (0..i)
                    .filter(|&j| clusters[j].control_plane.is_none())
                    .collect();
                let primary = primaries[below(rng, primaries.len())];
                clusters[i].control_plane = Some(primary);
                clusters[primary].remote_secrets.push(i);
            }
        }
        // Primaries watch each other cluster with probability 1/2 (remotes: always their own).
        for (i, cluster) in clusters.iter_mut().enumerate() {
            if cluster.control_plane.is_some() {
                continue;
            }
            for j in 0..cluster_count {
                if j != i && !cluster.remote_secrets.contains(&j) && one_in(rng, 2) {
                    cluster.remote_secrets.push(j);
                }
            }
            cluster.remote_secrets.sort_unstable();
        }
        let networks = (0..network_count)
            .map(|n| {
                let on: Vec<usize> = (0..cluster_count)
                    .filter(|&c| clusters[c].network == n)
                    .collect();
                let gateway = !on.is_empty() && !one_in(rng, 3);
                Network {
                    name: format!("net{n}"),
                    gateway: gateway.then(|| format!("192.0.2.{}", n + 1)),
                    gateway_cluster: on.first().copied().unwrap_or(0),
                }
            })
            .collect();
        let workload_count = 1 + below(rng, 12);
        let workloads = (0..workload_count)
            .map(|i| {
                let cluster = below(rng, cluster_count);
                Workload {
                    cluster,
                    address: format!("10.{cluster}.0.{}", i + 1),
                    locality: LOCALITIES[below(rng, LOCALITIES.len())],
                    health: HEALTH[below(rng, HEALTH.len())],
                    weight: 1 + below(rng, 4) as u32,
                    version: if one_in(rng, 2) { "v1" } else { "v2" },
                    terminating: one_in(rng, 8),
                    proxyless: one_in(rng, 10),
                }
            })
            .collect();
        let destination_rule = !one_in(rng, 3);
        Self {
            seed,
            istio_version: if one_in(rng, 2) { "1.30" } else { "1.31" },
            client_cluster: below(rng, cluster_count),
            client_locality: LOCALITIES[below(rng, LOCALITIES.len())],
            destination_rule,
            policy: ["ROUND_ROBIN", "LEAST_REQUEST", "RANDOM"][below(rng, 3)],
            locality: [
                LocalitySetting::Default,
                LocalitySetting::Disabled,
                LocalitySetting::Failover,
                LocalitySetting::Distribute,
            ][below(rng, 4)],
            split: (destination_rule && one_in(rng, 2)).then(|| 10 * below(rng, 11) as u32),
            clusters,
            networks,
            workloads,
        }
    }

    /// The same mesh with its workloads, clusters' remote secrets and networks' order shuffled
    /// by `seed` (names and addresses unchanged).
    #[must_use]
    pub fn shuffled(&self, seed: u64) -> Self {
        fn shuffle<T>(items: &mut [T], rng: &mut SeededRng) {
            for i in (1..items.len()).rev() {
                items.swap(i, below(rng, i + 1));
            }
        }
        let mut rng = SeededRng::new(seed);
        let mut out = self.clone();
        shuffle(&mut out.workloads, &mut rng);
        for c in &mut out.clusters {
            shuffle(&mut c.remote_secrets, &mut rng);
        }
        out
    }

    /// The client's control plane: its cluster if a primary, else that cluster's primary.
    #[must_use]
    pub fn control_plane(&self) -> usize {
        self.clusters[self.client_cluster]
            .control_plane
            .unwrap_or(self.client_cluster)
    }

    /// Whether the client's control plane discovers `cluster`'s endpoints: its own cluster and
    /// the clusters it holds remote secrets for (Istio "Deployment Models": a control plane
    /// reads the API servers it has credentials for).
    #[must_use]
    pub fn discovers(&self, cluster: usize) -> bool {
        let cp = self.control_plane();
        cluster == cp || self.clusters[cp].remote_secrets.contains(&cluster)
    }

    /// The network of the client.
    #[must_use]
    pub fn client_network(&self) -> usize {
        self.clusters[self.client_cluster].network
    }

    /// The workload at `address`, if any.
    #[must_use]
    pub fn workload(&self, address: &str) -> Option<&Workload> {
        self.workloads.iter().find(|w| w.address == address)
    }

    /// The scenario, as meshlb reads it.
    #[must_use]
    pub fn yaml(&self) -> String {
        let mut y = String::new();
        let _ = writeln!(y, "# generated mesh, seed {}", self.seed);
        let _ = writeln!(y, "istioVersion: \"{}\"", self.istio_version);
        y.push_str("clusters:\n");
        for c in &self.clusters {
            let _ = writeln!(y, "  - name: {}", c.name);
            let _ = writeln!(y, "    network: {}", self.networks[c.network].name);
            if let Some(cp) = c.control_plane {
                let _ = writeln!(y, "    controlPlane: {}", self.clusters[cp].name);
            }
            if !c.remote_secrets.is_empty() {
                let names: Vec<&str> = c
                    .remote_secrets
                    .iter()
                    .map(|&i| self.clusters[i].name.as_str())
                    .collect();
                let _ = writeln!(y, "    remoteSecrets: [{}]", names.join(", "));
            }
        }
        y.push_str("networks:\n");
        for (i, n) in self.networks.iter().enumerate() {
            // meshlb refuses a network no cluster is on.
            if !self.clusters.iter().any(|c| c.network == i) {
                continue;
            }
            let _ = writeln!(y, "  - name: {}", n.name);
            match &n.gateway {
                Some(address) => {
                    let _ = writeln!(
                        y,
                        "    gateways:\n      - {{ address: {address}, port: 15443, cluster: {} }}",
                        self.clusters[n.gateway_cluster].name
                    );
                }
                None => y.push_str("    gateways: []\n"),
            }
        }
        let names: Vec<&str> = self.clusters.iter().map(|c| c.name.as_str()).collect();
        let _ = writeln!(
            y,
            "services:\n  - name: svc\n    namespace: ns\n    clusters: [{}]\n    ports: [{PORT}]",
            names.join(", ")
        );
        y.push_str("workloads:\n");
        for w in &self.workloads {
            let _ = write!(
                y,
                "  - {{ service: svc.ns, cluster: {}, address: {}, port: {PORT}, locality: {}, labels: {{ app: svc, version: {} }}, health: {}, weight: {}",
                self.clusters[w.cluster].name, w.address, w.locality, w.version, w.health, w.weight
            );
            if w.terminating {
                y.push_str(", terminating: true");
            }
            if w.proxyless {
                y.push_str(", sidecar: false");
            }
            y.push_str(" }\n");
        }
        if self.destination_rule {
            y.push_str("config:\n");
            for c in self.clusters.iter().filter(|c| c.control_plane.is_none()) {
                let _ = writeln!(y, "  - cluster: {}\n    resources:", c.name);
                y.push_str(&self.resources());
            }
        }
        let _ = writeln!(
            y,
            "client:\n  cluster: {}\n  namespace: ns\n  locality: {}\n  labels: {{ app: client }}",
            self.clusters[self.client_cluster].name, self.client_locality
        );
        let _ = writeln!(y, "request:\n  host: {HOST}\n  port: {PORT}");
        y
    }

    fn resources(&self) -> String {
        let mut r = String::new();
        r.push_str(
            "      - apiVersion: networking.istio.io/v1\n        kind: DestinationRule\n        metadata: { name: svc, namespace: ns }\n        spec:\n",
        );
        let _ = writeln!(r, "          host: {HOST}");
        r.push_str("          trafficPolicy:\n            loadBalancer:\n");
        let _ = writeln!(r, "              simple: {}", self.policy);
        match self.locality {
            LocalitySetting::Default => {}
            LocalitySetting::Disabled => {
                r.push_str("              localityLbSetting: { enabled: false }\n");
            }
            LocalitySetting::Failover => r.push_str(
                "              localityLbSetting:\n                enabled: true\n                failover: [{ from: r1, to: r2 }]\n",
            ),
            LocalitySetting::Distribute => r.push_str(
                "              localityLbSetting:\n                enabled: true\n                distribute:\n                  - from: \"r1/*\"\n                    to: { \"r1/*\": 60, \"r2/*\": 40 }\n",
            ),
        }
        if matches!(
            self.locality,
            LocalitySetting::Failover | LocalitySetting::Distribute
        ) {
            r.push_str(
                "            outlierDetection: { consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 1m }\n",
            );
        }
        if let Some(v1) = self.split {
            r.push_str(
                "          subsets:\n            - { name: v1, labels: { version: v1 } }\n            - { name: v2, labels: { version: v2 } }\n",
            );
            r.push_str(
                "      - apiVersion: networking.istio.io/v1\n        kind: VirtualService\n        metadata: { name: svc, namespace: ns }\n        spec:\n",
            );
            let _ = writeln!(
                r,
                "          hosts: [{HOST}]\n          http:\n            - route:"
            );
            let _ = writeln!(
                r,
                "                - {{ destination: {{ host: {HOST}, subset: v1 }}, weight: {v1} }}"
            );
            let _ = writeln!(
                r,
                "                - {{ destination: {{ host: {HOST}, subset: v2 }}, weight: {} }}",
                100 - v1
            );
        }
        r
    }
}
