//! Consistent hashing: Envoy's ring hash (ketama) and Maglev tables.
//!
//! Both are built per priority from the priority's healthy hosts, or from all its hosts while it
//! is in panic; degraded hosts are never placed (envoy
//! `source/extensions/load_balancing_policies/common/thread_aware_lb_impl.cc`, `refresh` and
//! `normalizeWeights`). Host weights are normalised to sum to 1 over the priority; with
//! locality-weighted LB a host's weight is `locality_weight / Σ locality_weights × weight /
//! Σ weights in its locality`, without the availability adjustment the other policies apply
//! (a `TODO` in Envoy's code), and localities of weight 0 are left out.
//!
//! - Ring hash (`ring_hash/ring_hash_lb.cc`): the ring has `scale = min(ceil(min_w ×
//!   minimum_ring_size) / min_w, maximum_ring_size)` entries in all; walking the hosts in order,
//!   each adds entries `xxHash64("<address:port>_<i>", seed 0)` until the running count reaches
//!   the running target `Σ scale × w`. A request hash `h` goes to the first entry `>= h`,
//!   wrapping to the first entry.
//! - Maglev (`maglev/maglev_lb.cc`; Eisenbud et al., "Maglev: A Fast and Reliable Software
//!   Network Load Balancer", NSDI 2016): hosts sorted by key; each has `offset = xxHash64(key, 0)
//!   % M` and `skip = xxHash64(key, 1) % (M − 1) + 1`; in rounds, each host whose weight allows
//!   takes the next free slot of its permutation `(offset + skip × next) % M`. A request hash
//!   `h` goes to `table[h % M]`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use xxhash_rust::xxh64::xxh64;

use crate::model::LbPolicy;
use crate::plan::{HostId, Plan, host_key};

/// The lookup structure of one priority for a hash policy.
#[derive(Debug, Clone, Default)]
pub enum HashTable {
    /// No host to place (no healthy host, or every locality weight 0).
    #[default]
    Empty,
    /// A ketama ring: `(hash, host)` sorted by hash.
    Ring(Vec<(u64, u32)>),
    /// A Maglev lookup table of prime size: the host of each slot.
    Maglev(Vec<u32>),
}

impl HashTable {
    /// The host a request hash maps to, or `None` when the table is empty.
    #[must_use]
    #[inline]
    pub fn lookup(&self, hash: u64) -> Option<HostId> {
        match self {
            Self::Empty => None,
            Self::Ring(ring) => {
                // First entry with hash >= h, wrapping past the last (ketama_get_server).
                let i = ring.partition_point(|&(entry, _)| entry < hash);
                let i = if i == ring.len() { 0 } else { i };
                ring.get(i).map(|&(_, host)| HostId(host))
            }
            Self::Maglev(table) => {
                let len = table.len() as u64;
                table.get((hash % len.max(1)) as usize).map(|&h| HostId(h))
            }
        }
    }

    /// Number of ring entries or table slots.
    #[must_use]
    pub fn len(&self) -> usize {
        match self {
            Self::Empty => 0,
            Self::Ring(r) => r.len(),
            Self::Maglev(t) => t.len(),
        }
    }

    /// Whether the table places no host.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Rebuilds the table of `priority` from `plan`, reusing this table's buffer.
    pub(crate) fn rebuild(&mut self, plan: &Plan, priority: usize) {
        let weights = normalized_weights(plan, priority);
        let buffer = match core::mem::take(self) {
            Self::Ring(r) => Buffer::Ring(r),
            Self::Maglev(t) => Buffer::Maglev(t),
            Self::Empty => Buffer::None,
        };
        if weights.hosts.is_empty() {
            *self = Self::Empty;
            return;
        }
        *self = match plan.config().policy {
            LbPolicy::Maglev => {
                let table = buffer.take_maglev();
                Self::Maglev(build_maglev(
                    plan,
                    &weights,
                    plan.config().maglev.table_size,
                    table,
                ))
            }
            _ => {
                let ring = buffer.take_ring();
                let config = plan.config().ring_hash;
                Self::Ring(build_ring(
                    plan,
                    &weights,
                    config.minimum_ring_size,
                    config.maximum_ring_size,
                    ring,
                ))
            }
        };
    }

    /// Adds each host's owned fraction of the hash space to `shares[host]`.
    pub(crate) fn add_shares(&self, shares: &mut [f64]) {
        match self {
            Self::Empty => {}
            Self::Ring(ring) => {
                // Entry k owns (hash[k-1], hash[k]]; entry 0 also owns everything past the last.
                const SPACE: f64 = 18_446_744_073_709_551_616.0; // 2^64
                let Some(&(last, _)) = ring.last() else {
                    return;
                };
                let mut previous: Option<u64> = None;
                for &(hash, host) in ring {
                    let owned: u128 = match previous {
                        None => u128::from(hash) + 1 + u128::from(u64::MAX - last),
                        Some(p) => u128::from(hash - p),
                    };
                    shares[host as usize] += owned as f64 / SPACE;
                    previous = Some(hash);
                }
            }
            Self::Maglev(table) => {
                let slot = 1.0 / table.len() as f64;
                for &host in table {
                    shares[host as usize] += slot;
                }
            }
        }
    }
}

enum Buffer {
    None,
    Ring(Vec<(u64, u32)>),
    Maglev(Vec<u32>),
}

impl Buffer {
    fn take_ring(self) -> Vec<(u64, u32)> {
        match self {
            Self::Ring(mut r) => {
                r.clear();
                r
            }
            _ => Vec::new(),
        }
    }
    fn take_maglev(self) -> Vec<u32> {
        match self {
            Self::Maglev(mut t) => {
                t.clear();
                t
            }
            _ => Vec::new(),
        }
    }
}

struct NormalizedWeights {
    /// (host, normalised weight), in host-set order.
    hosts: Vec<(u32, f64)>,
    min: f64,
    max: f64,
}

/// Envoy's `normalizeWeights` for one priority (`thread_aware_lb_impl.cc`).
fn normalized_weights(plan: &Plan, priority: usize) -> NormalizedWeights {
    let state = &plan.priorities()[priority];
    let in_panic = state.panic;
    let eligible = |id: u32| {
        in_panic || plan.hosts()[id as usize].availability() == crate::Availability::Healthy
    };
    let mut out = NormalizedWeights {
        hosts: Vec::new(),
        min: 1.0,
        max: 0.0,
    };
    let push_hosts = |ids: core::ops::Range<u32>, scale: f64, out: &mut NormalizedWeights| {
        let sum: u64 = ids
            .clone()
            .filter(|&i| eligible(i))
            .map(|i| u64::from(plan.hosts()[i as usize].endpoint.weight))
            .sum();
        if sum == 0 {
            return;
        }
        for id in ids.filter(|&i| eligible(i)) {
            let w = f64::from(plan.hosts()[id as usize].endpoint.weight) * scale / sum as f64;
            out.hosts.push((id, w));
            out.min = out.min.min(w);
            out.max = out.max.max(w);
        }
    };
    if plan.config().locality_weighted {
        let groups =
            &plan.localities()[state.localities.start as usize..state.localities.end as usize];
        let sum: u64 = groups.iter().map(|g| u64::from(g.weight)).sum();
        if sum == 0 {
            return out;
        }
        for group in groups.iter().filter(|g| g.weight != 0) {
            push_hosts(
                group.hosts.clone(),
                f64::from(group.weight) / sum as f64,
                &mut out,
            );
        }
    } else {
        push_hosts(state.hosts.clone(), 1.0, &mut out);
    }
    out
}

fn build_ring(
    plan: &Plan,
    weights: &NormalizedWeights,
    min_ring_size: u64,
    max_ring_size: u64,
    mut ring: Vec<(u64, u32)>,
) -> Vec<(u64, u32)> {
    let min_w = weights.min;
    let scale = (libm::ceil(min_w * min_ring_size as f64) / min_w).min(max_ring_size as f64);
    ring.reserve(libm::ceil(scale) as usize);
    let mut key = String::new();
    let (mut current, mut target) = (0.0_f64, 0.0_f64);
    for &(id, w) in &weights.hosts {
        key.clear();
        key.push_str(&host_key(&plan.hosts()[id as usize].endpoint));
        key.push('_');
        let prefix = key.len();
        target += scale * w;
        let mut i = 0_u64;
        while current < target {
            key.truncate(prefix);
            let _ = write!(key, "{i}");
            ring.push((xxh64(key.as_bytes(), 0), id));
            i += 1;
            current += 1.0;
        }
    }
    // Stable: equal hashes keep host-set order (Envoy's std::sort leaves it unspecified).
    ring.sort_by_key(|&(hash, _)| hash);
    ring
}

fn build_maglev(
    plan: &Plan,
    weights: &NormalizedWeights,
    table_size: u64,
    mut table: Vec<u32>,
) -> Vec<u32> {
    struct Entry {
        host: u32,
        skip: u64,
        weight: f64,
        target: f64,
        next: u64,
    }
    let mut entries: Vec<(String, u32, f64)> = weights
        .hosts
        .iter()
        .map(|&(id, w)| (host_key(&plan.hosts()[id as usize].endpoint), id, w))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut entries: Vec<Entry> = entries
        .into_iter()
        .map(|(key, host, weight)| {
            let offset = xxh64(key.as_bytes(), 0) % table_size;
            Entry {
                host,
                skip: xxh64(key.as_bytes(), 1) % (table_size - 1) + 1,
                weight,
                target: 0.0,
                next: offset,
            }
        })
        .collect();
    const FREE: u32 = u32::MAX;
    table.resize(table_size as usize, FREE);
    // Occupancy as a bitset: 8 KiB for the default 65,537 slots, so probing stays in L1
    // while the table itself (256 KiB) is written once per slot.
    let mut taken: Vec<u64> = alloc::vec![0; (table_size as usize).div_ceil(64)];
    let max_weight = weights.max;
    let mut filled = 0_u64;
    let mut iteration = 1_u64;
    while filled < table_size {
        for entry in &mut entries {
            if filled >= table_size {
                break;
            }
            if (iteration as f64) * entry.weight < entry.target {
                continue;
            }
            entry.target += max_weight;
            // `entry.next` is the permutation position `(offset + skip × k) % M` itself,
            // advanced by `skip` with one conditional subtraction (offset, skip < M).
            let mut slot = entry.next;
            while taken[(slot / 64) as usize] & (1 << (slot % 64)) != 0 {
                slot += entry.skip;
                if slot >= table_size {
                    slot -= table_size;
                }
            }
            table[slot as usize] = entry.host;
            taken[(slot / 64) as usize] |= 1 << (slot % 64);
            slot += entry.skip;
            if slot >= table_size {
                slot -= table_size;
            }
            entry.next = slot;
            filled += 1;
        }
        iteration += 1;
    }
    table
}
