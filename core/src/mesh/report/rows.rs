//! A pair's matrix row and moved share from its endpoints' shares.
//!
//! An explanation's endpoints are keyed once ([`EndpointIndex`]): the cluster, zone, region and
//! network each counts in, where it lands relative to the client, and its `address:port`. A
//! row or a moved share is then sums over plain arrays, in the explanation's endpoint order, so
//! every sum adds the same numbers in the same order whether the shares come from a whole
//! [`Explanation`] (the baseline, the naive report) or from re-planned shares over the same
//! endpoints (the sweep): the results are bit for bit the same.

use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use super::{EPSILON, MatrixRow, Place};
use crate::explain::{EndpointKind, Explanation, Status};

/// Where an endpoint lands relative to the client's locality.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Landing {
    SameZone,
    OtherZone,
    OtherRegion,
}

/// One endpoint's keys.
#[derive(Clone, Copy)]
struct Keys {
    cluster: Option<u32>,
    zone: u32,
    region: u32,
    network: u32,
    landing: Landing,
    crosses_network: bool,
    /// Its `address:port` in [`EndpointIndex::addresses`].
    address: u32,
}

/// An explanation's endpoints, keyed for rows and moved shares.
pub(super) struct EndpointIndex {
    endpoints: Vec<Keys>,
    clusters: Vec<String>,
    zones: Vec<String>,
    regions: Vec<String>,
    networks: Vec<String>,
    /// The endpoints' `address:port`, sorted, each once.
    addresses: Vec<String>,
}

/// Keys, each with an id (ids in first-seen order).
struct Interner<K>(BTreeMap<K, u32>);

impl<K: Ord> Interner<K> {
    fn new() -> Self {
        Self(BTreeMap::new())
    }

    fn id(&mut self, key: K) -> u32 {
        let next = self.0.len() as u32;
        *self.0.entry(key).or_insert(next)
    }

    /// Each key's name, by id.
    fn names(self, name: impl Fn(K) -> String) -> Vec<String> {
        let mut names = alloc::vec![String::new(); self.0.len()];
        for (key, id) in self.0 {
            names[id as usize] = name(key);
        }
        names
    }
}

/// The region and zone of a locality string `region/zone/subzone` ("" for a missing part).
fn region_zone(locality: &str) -> (&str, &str) {
    let mut parts = locality.split('/');
    (parts.next().unwrap_or(""), parts.next().unwrap_or(""))
}

/// An endpoint's `address:port`, the key moved shares compare endpoints by.
fn address(e: &crate::explain::EndpointReport) -> String {
    crate::model::endpoint_address(&e.address, e.port)
}

impl EndpointIndex {
    /// Keys `e`'s endpoints for a client at `place`.
    pub(super) fn of(place: &Place, e: &Explanation) -> Self {
        let mut clusters = Interner::new();
        let mut zones = Interner::new();
        let mut regions = Interner::new();
        let mut networks = Interner::new();
        let keys: Vec<String> = e.endpoints.iter().map(address).collect();
        // Sorted as strings (as a map keyed by `address:port` orders them), each once; `rank`:
        // each endpoint's position among them.
        let mut order: Vec<u32> = (0..keys.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]));
        let mut rank = alloc::vec![0_u32; keys.len()];
        let mut unique: Vec<u32> = Vec::with_capacity(keys.len());
        for &i in &order {
            if unique
                .last()
                .is_none_or(|&u| keys[u as usize] != keys[i as usize])
            {
                unique.push(i);
            }
            rank[i as usize] = (unique.len() - 1) as u32;
        }
        let client = &place.locality;
        let endpoints = e
            .endpoints
            .iter()
            .zip(&rank)
            .map(|(ep, &address)| {
                let (region, zone) = region_zone(&ep.locality);
                let network = ep.network.as_deref().unwrap_or_default();
                Keys {
                    cluster: ep.cluster.as_deref().map(|c| clusters.id(c)),
                    zone: zones.id((region, zone)),
                    region: regions.id(region),
                    landing: if region != client.region() {
                        Landing::OtherRegion
                    } else if zone != client.zone() {
                        Landing::OtherZone
                    } else {
                        Landing::SameZone
                    },
                    crosses_network: ep.kind == EndpointKind::Gateway
                        || network != place.location.network,
                    network: networks.id(network),
                    address,
                }
            })
            .collect();
        let name = |s: &str| s.to_string();
        Self {
            endpoints,
            clusters: clusters.names(name),
            zones: zones.names(|(region, zone)| format!("{region}/{zone}")),
            regions: regions.names(name),
            networks: networks.names(name),
            addresses: unique
                .into_iter()
                .map(|i| keys[i as usize].clone())
                .collect(),
        }
    }

    /// Per `address:port` ([`EndpointIndex::addresses`] order), the routed share of the
    /// endpoints in `shares` (None: no endpoint of that address, or the request is not routed).
    pub(super) fn by_address(&self, status: Status, shares: &[f64]) -> Vec<Option<f64>> {
        let mut out = alloc::vec![None; self.addresses.len()];
        if status == Status::Routed {
            for (k, s) in self.endpoints.iter().zip(shares) {
                let slot: &mut Option<f64> = &mut out[k.address as usize];
                *slot = Some(slot.unwrap_or(0.0) + s);
            }
        }
        out
    }

    /// [`EndpointIndex::by_address`] for another explanation's endpoints; endpoints whose
    /// address this index does not know are left out (a moved share looks only at the
    /// addresses that had traffic before).
    pub(super) fn by_address_of(&self, e: &Explanation) -> Vec<Option<f64>> {
        let mut out = alloc::vec![None; self.addresses.len()];
        if e.status == Status::Routed {
            for ep in &e.endpoints {
                if let Ok(i) = self.addresses.binary_search(&address(ep)) {
                    let slot: &mut Option<f64> = &mut out[i];
                    *slot = Some(slot.unwrap_or(0.0) + ep.share);
                }
            }
        }
        out
    }
}

/// The endpoints' shares of an explanation, in its order.
pub(super) fn shares(e: &Explanation) -> Vec<f64> {
    e.endpoints.iter().map(|ep| ep.share).collect()
}

/// Sums of `f` per key, for the keys some endpoint added to.
struct Sums(Vec<Option<f64>>);

impl Sums {
    fn new(n: usize) -> Self {
        Self(alloc::vec![None; n])
    }

    fn add(&mut self, key: u32, f: f64) {
        let slot = &mut self.0[key as usize];
        *slot = Some(slot.unwrap_or(0.0) + f);
    }

    fn into_map(self, names: &[String]) -> BTreeMap<String, f64> {
        self.0
            .into_iter()
            .zip(names)
            .filter_map(|(v, name)| Some((name.clone(), v?)))
            .collect()
    }
}

/// The matrix row of a pair whose explanation has `status`, control plane `control_plane` and
/// these endpoint `shares` over the endpoints `index` keys.
pub(super) fn row(
    place: &Place,
    host: &str,
    status: Status,
    control_plane: &str,
    shares: &[f64],
    index: &EndpointIndex,
) -> MatrixRow {
    let routed_total: f64 = shares.iter().copied().sum();
    let routed = status == Status::Routed && routed_total > EPSILON;
    let mut r = MatrixRow {
        location: place.location.name.clone(),
        host: host.to_string(),
        status,
        control_plane: control_plane.to_string(),
        routed: if routed { routed_total.min(1.0) } else { 0.0 },
        clusters: BTreeMap::new(),
        zones: BTreeMap::new(),
        regions: BTreeMap::new(),
        networks: BTreeMap::new(),
        same_zone: 0.0,
        cross_zone: 0.0,
        cross_region: 0.0,
        cross_network: 0.0,
    };
    if !routed {
        return r;
    }
    let mut clusters = Sums::new(index.clusters.len());
    let mut zones = Sums::new(index.zones.len());
    let mut regions = Sums::new(index.regions.len());
    let mut networks = Sums::new(index.networks.len());
    for (k, &share) in index
        .endpoints
        .iter()
        .zip(shares)
        .filter(|(_, s)| **s > 0.0)
    {
        let f = share / routed_total;
        if let Some(c) = k.cluster {
            clusters.add(c, f);
        }
        zones.add(k.zone, f);
        regions.add(k.region, f);
        networks.add(k.network, f);
        match k.landing {
            Landing::OtherRegion => {
                r.cross_region += f;
                r.cross_zone += f;
            }
            Landing::OtherZone => r.cross_zone += f,
            Landing::SameZone => r.same_zone += f,
        }
        if k.crosses_network {
            r.cross_network += f;
        }
    }
    r.clusters = clusters.into_map(&index.clusters);
    r.zones = zones.into_map(&index.zones);
    r.regions = regions.into_map(&index.regions);
    r.networks = networks.into_map(&index.networks);
    r
}

/// The row of a whole explanation.
pub(super) fn row_of(place: &Place, host: &str, e: &Explanation) -> MatrixRow {
    let control_plane = e.client.as_ref().map_or("", |c| c.control_plane.as_str());
    row(
        place,
        host,
        e.status,
        control_plane,
        &shares(e),
        &EndpointIndex::of(place, e),
    )
}

/// `Σ max(0, before − after)` over the addresses that had a share before (in address order):
/// the share of requests whose endpoint changed.
pub(super) fn moved(before: &[Option<f64>], after: &[Option<f64>]) -> f64 {
    before
        .iter()
        .zip(after)
        .filter_map(|(b, a)| Some((b.as_ref()? - a.unwrap_or(0.0)).max(0.0)))
        .sum::<f64>()
        .min(1.0)
}
