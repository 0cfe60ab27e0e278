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
    /// Per workload: its locality's id (ids in first-seen order).
    locality: Vec<u32>,
    /// The workloads' distinct localities, sorted, with their ids.
    localities: Vec<(Locality, u32)>,
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
        // The first network of a name wins, as a `position` lookup would.
        let network_of = |name: &str| scenario.networks.iter().position(|n| n.name == name);
        let cluster_network: Vec<Option<usize>> = scenario
            .clusters
            .iter()
            .map(|c| network_of(&c.network))
            .collect();
        // Workloads of one service usually come together: one lookup per run of them.
        let mut by_service: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        let workloads = &scenario.workloads;
        let mut start = 0;
        while let Some(first) = workloads.get(start) {
            let run = workloads[start..]
                .iter()
                .position(|w| w.service != first.service)
                .unwrap_or(workloads.len() - start);
            by_service
                .entry(first.service.clone())
                .or_default()
                .extend(start..start + run);
            start += run;
        }
        let mut cluster = Vec::with_capacity(workloads.len());
        let mut network = Vec::with_capacity(workloads.len());
        for w in workloads {
            let c = clusters.get(w.cluster.as_str()).copied();
            cluster.push(c);
            network.push(match (&w.network, c) {
                (Some(n), _) => network_of(n),
                (None, Some(c)) => cluster_network[c],
                (None, None) => None,
            });
        }
        let mut ids: BTreeMap<&Locality, u32> = BTreeMap::new();
        let locality = scenario
            .workloads
            .iter()
            .map(|w| {
                let next = ids.len() as u32;
                *ids.entry(&w.locality).or_insert(next)
            })
            .collect();
        let localities = ids.into_iter().map(|(l, id)| (l.clone(), id)).collect();
        Self {
            by_service,
            cluster,
            network,
            locality,
            localities,
        }
    }

    /// The workloads whose `service` is one of `names`, in scenario order, each once.
    pub(crate) fn workloads(&self, names: &[&str]) -> Vec<usize> {
        if let [name] = names {
            return self.by_service.get(*name).cloned().unwrap_or_default();
        }
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
        if let Ok(i) = self.localities.binary_search_by(|(l, _)| l.cmp(locality)) {
            return self.localities[i].1;
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
