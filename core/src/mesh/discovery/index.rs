//! Lookups every discovery of one scenario makes, computed once: which workloads a service
//! has, and each workload's cluster, network and locality as indices. [`super::discover`]
//! builds it for its one request; the report builds it once for every (client, host) pair it
//! explains, which then cost only their own candidates rather than a scan of every workload.
//! It holds no rule of its own.

use alloc::collections::BTreeMap;
use alloc::string::String;
use alloc::vec::Vec;

use super::super::model::Scenario;
use crate::model::Locality;

/// The workloads of a scenario, indexed (positions in `scenario.workloads`, `clusters`,
/// `networks`).
#[derive(Debug, Clone)]
pub(crate) struct Index {
    /// Workloads per `service` value, in scenario order.
    by_service: BTreeMap<String, Vec<usize>>,
    /// Per workload: its cluster, when the scenario has it.
    cluster: Vec<Option<usize>>,
    /// Per workload: its network (its own, else its cluster's) in `scenario.networks`, when
    /// listed there.
    network: Vec<Option<usize>>,
    /// Per workload: its locality's position in `localities`.
    locality: Vec<u32>,
    /// The workloads' distinct localities, sorted.
    localities: Vec<Locality>,
}

impl Index {
    /// Indexes `scenario`'s workloads.
    pub(crate) fn of(scenario: &Scenario) -> Self {
        let clusters: BTreeMap<&str, usize> = scenario
            .clusters
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.as_str(), i))
            .collect();
        let networks: BTreeMap<&str, usize> = scenario
            .networks
            .iter()
            .enumerate()
            .rev() // the first network of a name wins, as a `position` lookup would
            .map(|(i, n)| (n.name.as_str(), i))
            .collect();
        let mut by_service: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let mut cluster = Vec::with_capacity(scenario.workloads.len());
        let mut network = Vec::with_capacity(scenario.workloads.len());
        for (i, w) in scenario.workloads.iter().enumerate() {
            match by_service.get_mut(w.service.as_str()) {
                Some(list) => list.push(i),
                None => {
                    by_service.insert(w.service.clone(), alloc::vec![i]);
                }
            }
            let c = clusters.get(w.cluster.as_str()).copied();
            cluster.push(c);
            let name = match (&w.network, c) {
                (Some(n), _) => Some(n.as_str()),
                (None, Some(c)) => Some(scenario.clusters[c].network.as_str()),
                (None, None) => None,
            };
            network.push(name.and_then(|n| networks.get(n).copied()));
        }
        let mut localities: Vec<&Locality> =
            scenario.workloads.iter().map(|w| &w.locality).collect();
        localities.sort_unstable();
        localities.dedup();
        let locality = scenario
            .workloads
            .iter()
            .map(|w| localities.binary_search(&&w.locality).unwrap_or(0) as u32)
            .collect();
        Self {
            by_service,
            cluster,
            network,
            locality,
            localities: localities.into_iter().cloned().collect(),
        }
    }

    /// The workloads whose `service` is one of `names`, in scenario order, each once.
    pub(crate) fn workloads(&self, names: &[&str]) -> Vec<usize> {
        let mut out: Vec<usize> = names
            .iter()
            .filter_map(|n| self.by_service.get(*n))
            .flatten()
            .copied()
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Workload `i`'s cluster.
    pub(crate) fn cluster(&self, i: usize) -> Option<usize> {
        self.cluster[i]
    }

    /// Workload `i`'s network in `scenario.networks`.
    pub(crate) fn network(&self, i: usize) -> Option<usize> {
        self.network[i]
    }

    /// Workload `i`'s locality id: equal ids, equal localities.
    pub(crate) fn locality(&self, i: usize) -> u32 {
        self.locality[i]
    }

    /// The locality id of `locality` (of an endpoint that is not a workload): a workload's id
    /// when one has it, else an id past them from `extra`, which holds the others seen so far.
    pub(crate) fn locality_id<'a>(
        &self,
        locality: &'a Locality,
        extra: &mut Vec<&'a Locality>,
    ) -> u32 {
        if let Ok(i) = self.localities.binary_search(locality) {
            return i as u32;
        }
        let k = extra
            .iter()
            .position(|l| *l == locality)
            .unwrap_or_else(|| {
                extra.push(locality);
                extra.len() - 1
            });
        (self.localities.len() + k) as u32
    }
}
