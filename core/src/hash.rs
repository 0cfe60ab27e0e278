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

use xxhash_rust::xxh64::xxh64;

use crate::model::LbPolicy;
use crate::plan::{HostId, Plan, Record};

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
                ring.get(i).map(|&(_, host)| HostId::new(host))
            }
            Self::Maglev(table) => {
                let len = table.len() as u64;
                table
                    .get((hash % len.max(1)) as usize)
                    .map(|&h| HostId::new(h))
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

    /// Rebuilds the table of `priority` from `plan`, reusing this table's buffer, and adds
    /// each host's owned fraction of the hash space to `shares[host]` (as
    /// [`HashTable::add_shares`]).
    pub(crate) fn rebuild(&mut self, plan: &Plan, priority: usize, shares: &mut [f64]) {
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
                let size = plan.config().maglev.table_size;
                Self::Maglev(build_maglev(plan, priority, &weights, size, table, shares))
            }
            _ => {
                let ring = buffer.take_ring();
                let config = plan.config().ring_hash;
                let ring = Self::Ring(build_ring(
                    plan,
                    &weights,
                    config.minimum_ring_size,
                    config.maximum_ring_size,
                    ring,
                ));
                ring.add_shares(shares);
                ring
            }
        };
    }

    /// Renames every host in the table through `f` (the hashes and slots stay).
    pub(crate) fn renumber(&mut self, f: impl Fn(u32) -> u32) {
        match self {
            Self::Empty => {}
            Self::Ring(ring) => ring.iter_mut().for_each(|(_, host)| *host = f(*host)),
            Self::Maglev(table) => table.iter_mut().for_each(|host| *host = f(*host)),
        }
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
                // Slot counts, then `count / M` (as a build counts them: the same value).
                let Some((&first, &last)) = table.iter().min().zip(table.iter().max()) else {
                    return;
                };
                let mut counts = alloc::vec![0_u32; (last - first) as usize + 1];
                for &host in table {
                    counts[(host - first) as usize] += 1;
                }
                for (host, &count) in (first..).zip(&counts) {
                    if let Some(share) = shares.get_mut(host as usize) {
                        *share += f64::from(count) / table.len() as f64;
                    }
                }
            }
        }
    }
}

/// Division by a table size without a divide: `a % d` from one widening multiply by
/// `m = ⌊(2^64 − 1) / d⌋` and at most one correction. The quotient estimate
/// `q = ⌊a·m / 2^64⌋` lies in `[⌊a/d⌋ − 1, ⌊a/d⌋]` (as `m > 2^64/d − 1` and `a < 2^64`), so
/// `a − q·d` lies in `[0, 2d)` (Granlund and Montgomery's invariant division, one step of it).
/// Exact for every `a` and every `d >= 1`: the same slot `hash % M` Envoy's Maglev takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Modulus {
    d: u64,
    /// Unread in WebAssembly (see [`Modulus::reduce`]).
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    m: u64,
}

impl Modulus {
    /// The modulus `d` (at least 1).
    pub(crate) const fn new(d: u64) -> Self {
        let d = if d == 0 { 1 } else { d };
        Self { d, m: u64::MAX / d }
    }

    /// `a % d`.
    ///
    /// In WebAssembly, the remainder instruction: wasm has no 64 × 64 → 128-bit multiply, so
    /// LLVM calls compiler-rt's `__multi3` for the high product (its result through the stack
    /// in linear memory), and folds one made of 32-bit halves back into that call; V8 compiles
    /// `i64.rem_u` to the processor's division.
    #[cfg(target_arch = "wasm32")]
    #[inline(always)]
    pub(crate) const fn reduce(self, a: u64) -> u64 {
        // `d` is at least 1: no panic path.
        match a.checked_rem(self.d) {
            Some(r) => r,
            None => a,
        }
    }

    /// `a % d`.
    #[cfg(not(target_arch = "wasm32"))]
    #[inline(always)]
    pub(crate) fn reduce(self, a: u64) -> u64 {
        let q = ((u128::from(a) * u128::from(self.m)) >> 64) as u64;
        let r = a - q * self.d;
        // Whether the estimate was one short depends on the dividend: a select, never a branch
        // (as a branch it is mispredicted on random dividends for most divisors: compiled so
        // where a zoned LEAST_REQUEST pick reduced its samples, 29 ns a pick became 38–53).
        core::hint::select_unpredictable(r >= self.d, r.wrapping_sub(self.d), r)
    }
}

/// What makes a table's lookup fast, kept beside it by the plan (the public [`HashTable`]
/// stays the plain sorted ring or slot table).
///
/// - A ring gets a radix index over the top `bits` of the hash: `starts[b]` is the first point
///   whose top bits are `>= b` (`starts[2^bits] = len`). The first point `>= h` lies in
///   `starts[top(h)] ..= starts[top(h) + 1]`: points before that bucket have smaller top bits,
///   points after it larger ones. With about one point per bucket, a lookup reads one index
///   entry and one or two points where a binary search over the ring touches `log2 n` cache
///   lines. Same answer as the search: the first point `>= h`, wrapping to the first.
/// - A Maglev table gets its size as a [`Modulus`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Lookup {
    starts: Vec<u32>,
    shift: u32,
    modulus: Option<Modulus>,
}

impl Lookup {
    /// Rebuilds the accelerator of `table`, reusing its buffer.
    pub(crate) fn rebuild(&mut self, table: &HashTable) {
        self.starts.clear();
        self.modulus = None;
        match table {
            HashTable::Empty => {}
            HashTable::Maglev(slots) => self.modulus = Some(Modulus::new(slots.len() as u64)),
            HashTable::Ring(ring) => {
                // About one point per bucket: 2^bits >= len, at least 2 buckets, at most 2^20.
                // (The cap keeps the index of the largest rings at 4 MiB, a few points a bucket.)
                let bits =
                    (usize::BITS - ring.len().saturating_sub(1).leading_zeros()).clamp(1, 20);
                self.shift = 64 - bits;
                // Counted, not walked: a walk through the points bucket by bucket ended on a
                // branch the predictor could not know, one per bucket (40 % of a RING_HASH
                // health flip at 10,000 zoned hosts).
                bucket_starts(ring, bits, &mut self.starts);
            }
        }
    }

    /// [`HashTable::lookup`], through the accelerator `self` was built for `table`.
    #[inline(always)]
    pub(crate) fn lookup(&self, table: &HashTable, hash: u64) -> Option<HostId> {
        match table {
            HashTable::Empty => None,
            HashTable::Ring(ring) => {
                let b = (hash >> self.shift) as usize;
                let (Some(&lo), Some(&hi)) = (self.starts.get(b), self.starts.get(b + 1)) else {
                    return table.lookup(hash);
                };
                let (lo, hi) = (lo as usize, hi as usize);
                let mut i = lo;
                if hi - lo > 8 {
                    i += ring
                        .get(lo..hi)
                        .map_or(0, |b| b.partition_point(|&(entry, _)| entry < hash));
                } else {
                    // Buckets mostly hold a point or two: a scan beats a search.
                    while i < hi && ring.get(i).is_some_and(|&(entry, _)| entry < hash) {
                        i += 1;
                    }
                }
                let i = if i >= ring.len() { 0 } else { i };
                ring.get(i).map(|&(_, host)| HostId::new(host))
            }
            HashTable::Maglev(slots) => {
                let slot = match self.modulus {
                    Some(m) => m.reduce(hash),
                    None => hash % (slots.len() as u64).max(1),
                };
                slots.get(slot as usize).map(|&h| HostId::new(h))
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
    /// The previous table, contents kept: a fill claims every slot once, so it need not be
    /// cleared first.
    fn take_maglev(self) -> Vec<u32> {
        match self {
            Self::Maglev(t) => t,
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
    let records = plan.records();
    let mut out = NormalizedWeights {
        hosts: Vec::with_capacity(state.hosts.len()),
        min: 1.0,
        max: 0.0,
    };
    // `normalizeHostWeights`: each eligible host's weight × the locality's share / the sum of
    // the eligible weights, in that order of operations (the same rounding as Envoy's).
    let push_hosts = |ids: core::ops::Range<u32>, scale: f64, out: &mut NormalizedWeights| {
        let Some(hosts) = records.get(ids.start as usize..ids.end as usize) else {
            return;
        };
        let eligible = |r: &Record| in_panic || r.availability() == crate::Availability::Healthy;
        let sum: u64 = hosts
            .iter()
            .filter(|r| eligible(r))
            .map(|r| u64::from(r.weight))
            .sum();
        if sum == 0 {
            return;
        }
        let sum = sum as f64;
        for (id, record) in ids.zip(hosts).filter(|(_, r)| eligible(r)) {
            let w = f64::from(record.weight) * scale / sum;
            out.hosts.push((id, w));
            // `std::min` and `std::max` (no NaN here: `sum > 0`).
            if w < out.min {
                out.min = w;
            }
            if w > out.max {
                out.max = w;
            }
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
    let keys = plan.ring_keys();
    for &(id, w) in &weights.hosts {
        let cached = keys.of(id);
        let mut prefix = None;
        target += scale * w;
        let mut i = 0_u64;
        while current < target {
            let hash = match cached.get(i as usize) {
                Some(&hash) => hash,
                None => {
                    let at = *prefix.get_or_insert_with(|| {
                        let host = plan.host(HostId::new(id));
                        ring_point_prefix(&mut key, host.address(), host.port());
                        key.len()
                    });
                    key.truncate(at);
                    crate::model::push_decimal(&mut key, i);
                    xxh64(key.as_bytes(), 0)
                }
            };
            ring.push((hash, id));
            i += 1;
            current += 1.0;
        }
    }
    // Equal hashes keep host-set order (Envoy's std::sort leaves it unspecified): hosts are
    // placed in ascending id order, so ordering by (hash, id) is the stable order by hash,
    // and an unstable sort of the pairs gives it.
    debug_assert!(
        weights.hosts.windows(2).all(|w| w[0].0 < w[1].0),
        "hosts are placed in id order"
    );
    sort_points(&mut ring);
    ring
}

/// Sorts ring points by `(hash, host)`, as `sort_unstable` would, in about linear time: the
/// hashes are xxHash64 outputs, spread evenly, so a counting pass on their top bits (about one
/// bucket a point) leaves buckets of a point or two, each then sorted on its own. A comparison
/// sort was a third of a ring rebuild. Buckets that hold many points (hashes made to share
/// their top bits) are sorted with `sort_unstable`, so the worst case stays `n log n`.
fn sort_points(ring: &mut Vec<(u64, u32)>) {
    let n = ring.len();
    if n < 64 {
        ring.sort_unstable();
        return;
    }
    let bits = (usize::BITS - n.leading_zeros()).min(20);
    let bucket = |hash: u64| (hash >> (64 - bits)) as usize;
    let mut starts = Vec::new();
    bucket_starts(ring, bits, &mut starts);
    let mut sorted = alloc::vec![(0_u64, 0_u32); n];
    let mut next = starts.clone();
    for &point in ring.iter() {
        let b = bucket(point.0);
        sorted[next[b] as usize] = point;
        next[b] += 1;
    }
    for b in 0..(1 << bits) {
        let points = &mut sorted[starts[b] as usize..starts[b + 1] as usize];
        if points.len() > 16 {
            points.sort_unstable();
        } else {
            // Insertion sort: the buckets are a point or two.
            for i in 1..points.len() {
                let mut j = i;
                while j > 0 && points[j - 1] > points[j] {
                    points.swap(j - 1, j);
                    j -= 1;
                }
            }
        }
    }
    *ring = sorted;
}

/// Fills `starts` with `2^bits + 1` bounds: `starts[b]` counts the points of `ring` whose top
/// `bits` bits (`1..=63`) are below `b`, so in a ring sorted by hash it is the index of bucket
/// `b`'s first point, and `starts[2^bits]` is the ring's length. One count past each point's
/// bucket, then the running sum: no branch on the data.
fn bucket_starts(ring: &[(u64, u32)], bits: u32, starts: &mut Vec<u32>) {
    starts.clear();
    starts.resize((1 << bits) + 1, 0);
    let shift = 64 - bits;
    for &(hash, _) in ring {
        if let Some(count) = starts.get_mut((hash >> shift) as usize + 1) {
            *count += 1;
        }
    }
    let mut sum = 0_u32;
    for start in starts.iter_mut() {
        sum += *start;
        *start = sum;
    }
}

/// The hashes of each host's first ring points, kept by a ring-hash plan once it is updated:
/// a point's hash is xxHash64 of `address:port_i` (`ring_hash_lb.cc`), which depends on the
/// address and `i` alone, so a rebuild after a health flip reads the hashes it had instead of
/// formatting and hashing every point again (at 10,000 hosts the formatting was over a third of
/// a rebuild). A host whose points outgrow its cached ones has the rest computed as before.
#[derive(Debug, Clone, Default)]
pub(crate) struct RingKeys {
    /// Host `h`'s cached hashes, its points `0, 1, ...`, are `hashes[starts[h]..starts[h + 1]]`
    /// (empty: nothing cached yet).
    starts: Vec<u32>,
    hashes: Vec<u64>,
}

impl RingKeys {
    /// Most hashes cached, in all: 4,194,304, 32 MiB (past it, a host's points are computed
    /// as before). Sized for each host's points twice over, the cache of a plan whose rings
    /// hold the most points allowed ([`crate::limits::MAX_HASH_TABLE_ENTRIES`], 8.4M) would
    /// be 16.8M hashes, 128 MiB on top of the rings' own 128 MiB: the bound keeps the cache at
    /// a quarter of the largest rings and still holds in full the cache of rings of up to
    /// about 2M points.
    const MAX: usize = 1 << 22;

    /// Whether nothing is cached.
    pub(crate) fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The hashes for `plan`'s hosts, sized from its current rings: each host twice as many
    /// points as it has now (or as its priority's hosts have on average, when more), and one,
    /// so that health changes that move every host's share a little still find theirs here.
    pub(crate) fn new(plan: &Plan) -> Self {
        let n = plan.host_count();
        let mut counts = alloc::vec![0_u32; n];
        for (p, state) in plan.priorities().iter().enumerate() {
            let range = state.hosts.start as usize..state.hosts.end as usize;
            let Some(HashTable::Ring(points)) = plan.table(p) else {
                continue;
            };
            for &(_, host) in points {
                if let Some(c) = counts.get_mut(host as usize) {
                    *c = c.saturating_add(1);
                }
            }
            let placed = counts[range.clone()].iter().filter(|&&c| c > 0).count();
            let average = points.len().div_ceil(placed.max(1)) as u32;
            for c in &mut counts[range] {
                *c = (*c).max(average).saturating_mul(2).saturating_add(1);
            }
        }
        let mut starts = Vec::with_capacity(n + 1);
        starts.push(0_u32);
        let mut total = 0_usize;
        for &c in &counts {
            total = (total + c as usize).min(Self::MAX);
            starts.push(total as u32);
        }
        let mut hashes = Vec::with_capacity(total);
        let mut key = String::new();
        for (h, host) in plan.hosts().enumerate() {
            let wanted = u64::from(starts[h + 1] - starts[h]);
            ring_point_prefix(&mut key, host.address(), host.port());
            let prefix = key.len();
            for i in 0..wanted {
                key.truncate(prefix);
                crate::model::push_decimal(&mut key, i);
                hashes.push(xxh64(key.as_bytes(), 0));
            }
        }
        Self { starts, hashes }
    }

    /// Host `h`'s cached hashes (empty when none).
    fn of(&self, h: u32) -> &[u64] {
        let h = h as usize;
        match (self.starts.get(h), self.starts.get(h + 1)) {
            (Some(&a), Some(&b)) => self.hashes.get(a as usize..b as usize).unwrap_or_default(),
            _ => &[],
        }
    }
}

/// `address:port_`, the part of a ring point's key before its number, into `key`.
fn ring_point_prefix(key: &mut String, address: &str, port: u16) {
    key.clear();
    crate::model::push_endpoint_address(key, address, port);
    key.push('_');
}

/// What every Maglev build of a plan shares: the hosts in build order (Envoy sorts them by
/// address before filling the table) and each host's permutation, `offset` and `skip`, from
/// two xxHash64s of its address (`maglev_lb.cc`). Both depend on the addresses and the table
/// size alone, so a plan computes them once and each rebuild (every health flip) reuses them:
/// at 10,000 hosts, formatting, hashing and sorting the addresses was a third of a rebuild.
#[derive(Debug, Clone, Default)]
pub(crate) struct MaglevKeys {
    /// Host indices in build order, priority by priority: `order[starts[p]..starts[p + 1]]`
    /// are priority `p`'s hosts sorted (a rebuild reads its own priority's hosts only; over one
    /// order of all hosts, a MAGLEV flip at 10,000 hosts in three priorities passed over the
    /// other 6,667 on a branch mispredicted a third of the time, 2 % of the flip).
    order: Vec<u32>,
    /// Where each priority's hosts start in `order`, and its length last.
    starts: Vec<u32>,
    /// `(offset, skip)` by host index, both below the table size (below 2^32).
    permutation: Vec<(u32, u32)>,
}

impl MaglevKeys {
    /// The keys of `hosts` (by host index) for tables of `table_size` slots (a prime below
    /// 2^32, as the plan's validation ensures). Equal addresses (allowed duplicates) keep host
    /// order.
    pub(crate) fn new(plan: &Plan, table_size: u64) -> Self {
        let keys: Vec<String> = plan
            .hosts()
            .map(|h| crate::model::endpoint_address(h.address(), h.port()))
            .collect();
        let mut order = Vec::with_capacity(keys.len());
        let mut starts = Vec::with_capacity(plan.priorities().len() + 1);
        for state in plan.priorities() {
            starts.push(order.len() as u32);
            let from = order.len();
            order.extend(state.hosts.clone());
            order[from..]
                .sort_unstable_by(|&a, &b| keys[a as usize].cmp(&keys[b as usize]).then(a.cmp(&b)));
        }
        starts.push(order.len() as u32);
        let permutation = keys
            .iter()
            .map(|key| {
                (
                    (xxh64(key.as_bytes(), 0) % table_size) as u32,
                    (xxh64(key.as_bytes(), 1) % (table_size - 1) + 1) as u32,
                )
            })
            .collect();
        Self {
            order,
            starts,
            permutation,
        }
    }

    /// Priority `priority`'s hosts in build order.
    fn order(&self, priority: usize) -> &[u32] {
        match (self.starts.get(priority), self.starts.get(priority + 1)) {
            (Some(&from), Some(&to)) => self.order.get(from as usize..to as usize).unwrap_or(&[]),
            _ => &[],
        }
    }
}

/// The Maglev table of `weights`' hosts, in `table`'s buffer; each host's share of the slots
/// added to `shares[host]` (counted as the slots are claimed: a pass over the table for them
/// took 600,000 instructions a build at the default size, 6 % of a health flip's).
fn build_maglev(
    plan: &Plan,
    priority: usize,
    weights: &NormalizedWeights,
    table_size: u64,
    mut table: Vec<u32>,
    shares: &mut [f64],
) -> Vec<u32> {
    // The priority's hosts are one range of host indices: their weights by offset in it (NaN:
    // not in the table), then the entries in build order.
    let keys = plan.maglev_keys();
    let first = weights.hosts.iter().map(|&(h, _)| h).min().unwrap_or(0);
    let last = weights.hosts.iter().map(|&(h, _)| h).max().unwrap_or(0);
    let mut weight_of = alloc::vec![f64::NAN; (last - first) as usize + 1];
    for &(host, weight) in &weights.hosts {
        weight_of[(host - first) as usize] = weight;
    }
    // One entry per weighted host, sized up front (a `filter_map`'s collect grows by doubling).
    let mut entries: Vec<MaglevEntry> = Vec::with_capacity(weights.hosts.len());
    let mut entry_weights: Vec<f64> = Vec::with_capacity(weights.hosts.len());
    for &host in keys.order(priority) {
        let Some(&weight) = host
            .checked_sub(first)
            .and_then(|at| weight_of.get(at as usize))
        else {
            continue;
        };
        if !weight.is_nan() {
            let (offset, skip) = keys.permutation[host as usize];
            entries.push(MaglevEntry::new(host, offset, skip));
            entry_weights.push(weight);
        }
    }
    fill_maglev(
        &mut entries,
        &entry_weights,
        weights.min == weights.max,
        weights.max,
        table_size,
        &mut table,
    );
    for entry in &entries {
        if let Some(share) = shares.get_mut(entry.host as usize) {
            *share += f64::from(entry.claims) / table_size as f64;
        }
    }
    table
}

/// One host of a Maglev build: its permutation and where its walk through it stands. What
/// the walks read and write, and nothing else (16 bytes): the weights are the turns' (see
/// [`Turns`]), the multiples of `skip` the walks' own. With the weight, its target, `2 ×
/// skip` and `4 × skip`, `M − ` each skip and the late phase's inverse kept here too (56
/// bytes, 110 KB for the 2,000 entries of a zoned priority), a MAGLEV flip at 10,000 zoned
/// hosts took 0.98–1.01 ms against 0.94–0.96 (best of 4 runs of 200 flips, interleaved).
struct MaglevEntry {
    host: u32,
    /// The permutation's step.
    skip: u32,
    /// The next permutation position to try, `(offset + skip × k) % M`.
    next: u32,
    /// Slots claimed.
    claims: u32,
}

impl MaglevEntry {
    /// The entry of `host` in a table of M slots: `offset < M`, `0 < skip < M`.
    fn new(host: u32, offset: u32, skip: u32) -> Self {
        Self {
            host,
            skip,
            next: offset,
            claims: 0,
        }
    }
}

/// An entry's weight in a Maglev build and where its turns stand (Envoy's `weight_` and
/// `target_weight_`).
#[derive(Clone, Copy)]
struct TurnTest {
    weight: f64,
    target: f64,
}

impl TurnTest {
    /// Whether the entry claims a slot in round `iteration` (its `iteration × weight` has
    /// reached its target), moving its target on when it does.
    #[inline(always)]
    fn takes_turn(&mut self, iteration: u64, max_weight: f64) -> bool {
        if (iteration as f64) * self.weight < self.target {
            return false;
        }
        self.target += max_weight;
        true
    }
}

/// Free slots at or below which a fill finds an entry's next free slot from the free slots
/// instead of walking its permutation (see [`fill_maglev`]). A walk then costs about
/// `M / free` probes of about 4 instructions each (two chains), the late phase `free` scan
/// steps of about 17 (callgrind): the two meet near `free = √(M × 4 / 17)`, 124 at the default
/// 65,537 slots. 128: a MAGLEV flip at 10,000 zoned hosts takes 8.44M instructions, against
/// 8.60M at 256 (the earlier `√M`), 8.45M at 192, 8.52M at 96 and 8.64M at 64; its time
/// moved within this machine's noise (best of 4 runs of 200 flips, 1.04 against 1.06 ms).
const LATE_PHASE_FREE: u64 = 128;

/// Envoy's `MaglevTable` population (`maglev_lb.cc`, Eisenbud et al., NSDI 2016, §3.4, with
/// Envoy's weights): round after round, each entry in turn whose `iteration × weight` has
/// reached its target claims the first free slot of its permutation, until every slot is
/// taken. `weights[k]` is entry `k`'s weight, `max_weight` the largest, `equal` whether they
/// are all the same. `table` is filled with `table_size` host indices (what it held is
/// overwritten: every slot is claimed once).
///
/// Most probes of a plain walk come at the end: with `f` slots free a walk probes about
/// `M / f` positions, so the last few hundred slots take over half of the build's probes
/// (`M × (H(M) − H(256))` before, `M × H(256)` after, at 65,537 slots about 380,000 and
/// 400,000). With few slots free, the late phase computes where the walk would stop instead:
/// position `next` reaches slot `s` after `d = (s − next) × skip⁻¹ mod M` steps (`M` prime,
/// so `skip` is invertible), and the walk stops at the free slot of least `d`, the same slot
/// the probes find.
fn fill_maglev(
    entries: &mut [MaglevEntry],
    weights: &[f64],
    equal: bool,
    max_weight: f64,
    table_size: u64,
    table: &mut Vec<u32>,
) {
    if entries.is_empty() {
        table.clear();
        return;
    }
    if equal {
        fill_in_turns(EveryEntry::new(entries), entries, table_size, table);
    } else if let Some(classes) = TurnClasses::new(weights, max_weight) {
        fill_in_turns(classes, entries, table_size, table);
    } else {
        fill_in_turns(
            EntryTests::new(weights, max_weight),
            entries,
            table_size,
            table,
        );
    }
}

/// [`fill_maglev`] with the turns of `turns`: the walks, by how full the table is (see
/// [`first_free`]), then the late phase.
fn fill_in_turns<T: Turns>(
    mut turns: T,
    entries: &mut [MaglevEntry],
    table_size: u64,
    table: &mut Vec<u32>,
) {
    table.resize(table_size as usize, 0);
    // Occupancy, one byte a slot: the walks' probes (about 360,000 per build at the default
    // size) are one load and one test each. A bitset (8 KiB rather than 64) took 19 % more
    // instructions for the shifts and masks, and no less time.
    let mut taken: Vec<u8> = alloc::vec![0; table_size as usize];
    // Slots filled at the end of each stretch of walks: one chain to a quarter, four to three
    // quarters, two to the late phase.
    let walks_end = table_size.saturating_sub(LATE_PHASE_FREE);
    let quarter = (table_size / 4).min(walks_end);
    let three_quarters = (table_size / 4 * 3).min(walks_end);
    let (mut at, t) = (T::Cursor::default(), &mut taken);
    walk::<T, 1>(&mut turns, &mut at, entries, table, t, quarter);
    let (middle, last) = (three_quarters - quarter, walks_end - three_quarters);
    walk::<T, 4>(&mut turns, &mut at, entries, table, t, middle);
    walk::<T, 2>(&mut turns, &mut at, entries, table, t, last);
    late_phase(&mut turns, &mut at, entries, table, &taken, table_size);
}

/// `claims` turns of `turns`, each entry claiming the first free slot of its permutation
/// (see [`first_free`] for `CHAINS`). Kept out of line, with the turn cursor in a local: the
/// loop then has the registers to itself (inlined into the table rebuild, with the round
/// state behind a reference, it reloaded its bounds and pointers from the stack at every
/// claim; a MAGLEV flip at 10,000 zoned hosts took 1.19 ms, 1.13 ms out of line).
#[inline(never)]
fn walk<T: Turns, const CHAINS: usize>(
    turns: &mut T,
    at: &mut T::Cursor,
    entries: &mut [MaglevEntry],
    table: &mut [u32],
    taken: &mut [u8],
    claims: u64,
) {
    // A local copy: the cursor stays in registers.
    let mut cursor = *at;
    for _ in 0..claims {
        let k = turns.next(&mut cursor, entries);
        let Some(entry) = entries.get_mut(k) else {
            break;
        };
        let slot = first_free::<CHAINS>(taken, entry) as usize;
        // invariant: `first_free` returns a position below M, the length of both.
        if let (Some(host), Some(taken)) = (table.get_mut(slot), taken.get_mut(slot)) {
            *host = entry.host;
            *taken = 1;
        }
        entry.next = step(slot as u64, u64::from(entry.skip), taken.len() as u64) as u32;
        entry.claims += 1;
    }
    *at = cursor;
}

/// The late phase of [`fill_maglev`]: the slots still free (in no particular order), each
/// turn's walk end computed from them.
fn late_phase<T: Turns>(
    turns: &mut T,
    at: &mut T::Cursor,
    entries: &mut [MaglevEntry],
    table: &mut [u32],
    taken: &[u8],
    m: u64,
) {
    let modulus = Modulus::new(m);
    let mut free: Vec<u32> = Vec::with_capacity(LATE_PHASE_FREE as usize);
    // Sixteen slots at a time: most runs of sixteen are all taken.
    const ALL_TAKEN: u128 = u128::from_ne_bytes([1; 16]);
    for (c, chunk) in taken.chunks(16).enumerate() {
        if <[u8; 16]>::try_from(chunk).is_ok_and(|b| u128::from_ne_bytes(b) == ALL_TAKEN) {
            continue;
        }
        let free_here = chunk.iter().enumerate().filter(|&(_, &t)| t == 0);
        free.extend(free_here.map(|(k, _)| (c * 16 + k) as u32));
    }
    while !free.is_empty() {
        let k = turns.next(at, entries);
        let Some(entry) = entries.get_mut(k) else {
            return;
        };
        // Computed at each turn: the late phase's few turns are mostly each another entry's.
        let inverse = inverse_mod_prime(u64::from(entry.skip), m);
        let next = u64::from(entry.next);
        // The free slot the walk from `next` reaches first: least steps, ties impossible (a
        // permutation visits each slot once). `(s − next) × skip⁻¹ ≡ s × skip⁻¹ + offset`
        // (mod M) with `offset = (M − next) × skip⁻¹ mod M`; `s × skip⁻¹ + offset < M² + M`
        // fits a u64 (`M < 2^32`), so each free slot costs a multiply, an add and a
        // reduction, and no branch (the conditional `s − next` wrap it replaces compiled to
        // one, taken half the time).
        let offset = modulus.reduce((m - next) * inverse);
        let mut best = (u64::MAX, 0_usize);
        for (i, &s) in free.iter().enumerate() {
            let steps = modulus.reduce(u64::from(s) * inverse + offset);
            if steps < best.0 {
                best = (steps, i);
            }
        }
        let slot = u64::from(free.swap_remove(best.1));
        if let Some(host) = table.get_mut(slot as usize) {
            *host = entry.host;
        }
        entry.next = step(slot, u64::from(entry.skip), m) as u32;
        entry.claims += 1;
    }
}

/// The permutation position after `slot`, `(slot + skip) % m` for `slot, skip < m` (a
/// conditional subtraction, not a division).
#[inline(always)]
fn step(slot: u64, skip: u64, m: u64) -> u64 {
    let next = slot + skip;
    if next >= m { next - m } else { next }
}

/// The first free slot of `entry`'s permutation from `entry.next` (positions below M, the
/// length of `taken`), probed along `CHAINS` interleaved chains (1, 2 or 4): the same slot
/// however many, since a group's lowest free position comes first in the permutation; a
/// group only reads past it. Positions step by [`step_back`] (1.08 → 1.03 ms a flip against
/// [`step`]).
///
/// One position at a time, each probe's position waits on the one before (a compare, a
/// conditional move and an add) and the walk ends on a branch the predictor cannot know; two or
/// four independent chains, stepping by `2 × skip` or `4 × skip`, keep more probes in flight
/// and branch once a group. Which pays depends on how full the table is. Timed standalone
/// (the walks of a 65,537-slot table over 2,000 entries, best of 15 × 30 builds, by stretch
/// of the fill): up to a quarter taken most walks end at their first probe and one at a time
/// is fastest (84 µs against 99 for groups of four); from a quarter to three quarters groups
/// of four take 40 % less (105 and 156 µs against 178 and 277); beyond, walks are long and
/// predictable and two chains beat four (110 µs against 122 from 95 to 99 %, 150 one at a
/// time). In a MAGLEV health flip at 10,000 zoned hosts: 1.48 → 1.24 ms (best of 8 runs
/// interleaved with the one-at-a-time build). Two chains test both probes at once (`taken`
/// holds 0 or 1, so their `&` is 0 when either is free): one branch a pair rather than two
/// (1.038 → 1.013 ms a flip); four chains keep their mask of free probes, whose `trailing_zeros`
/// picks the slot on the exit their short walks mostly take (a combined test before the mask
/// took 1.029 ms; for the long walks past three quarters, four chains with the combined test
/// took 1.02 ms against two chains' 0.99). The four chains' first group steps by `skip`, and
/// their stride is computed only for the walks that go past it (12 % of the claims from a
/// quarter to three quarters): a MAGLEV flip at 10,000 zoned hosts 8.38 → 8.10 M instructions
/// (callgrind), 1.027–1.039 → 0.993–1.014 ms in a loop binary on the Zen 4 (best of 10 × 20
/// flips, five runs interleaved).
#[inline(always)]
fn first_free<const CHAINS: usize>(taken: &[u8], entry: &MaglevEntry) -> u64 {
    let free = |slot: u64| taken[slot as usize] == 0;
    // `2 × skip` and `4 × skip` mod M for the chains, computed here: kept in the entry (with
    // `M − skip` for each), they made it 56 bytes rather than 16, and the walks slower.
    let m = taken.len() as u64;
    let skip = u64::from(entry.skip);
    let back = m - skip;
    let start = u64::from(entry.next);
    match CHAINS {
        1 => {
            let mut slot = start;
            while !free(slot) {
                slot = step_back(slot, skip, back);
            }
            slot
        }
        2 => {
            let skip2 = step(skip, skip, m);
            let back2 = m - skip2;
            let (mut even, mut odd) = (start, step_back(start, skip, back));
            loop {
                if taken[even as usize] & taken[odd as usize] == 0 {
                    return if free(even) { even } else { odd };
                }
                even = step_back(even, skip2, back2);
                odd = step_back(odd, skip2, back2);
            }
        }
        _ => {
            // The first group is the next four positions, each a step of `skip` from the one
            // before: most walks of this stretch end within it, and only the rest need the
            // chains' stride, `4 × skip` mod M, computed once they do.
            let second = step_back(start, skip, back);
            let third = step_back(second, skip, back);
            let mut group = [start, second, third, step_back(third, skip, back)];
            let mut stride = None;
            loop {
                let mut free_mask = 0_u32;
                for (i, &slot) in group.iter().enumerate() {
                    free_mask |= u32::from(free(slot)) << i;
                }
                if free_mask != 0 {
                    // The first free of the four, chosen by selects (an index into the group
                    // went through the stack).
                    let first = free_mask.trailing_zeros();
                    let (low, high) = if first & 1 == 0 {
                        (group[0], group[2])
                    } else {
                        (group[1], group[3])
                    };
                    return if first & 2 == 0 { low } else { high };
                }
                let (skip4, back4) = *stride.get_or_insert_with(|| {
                    let skip2 = step(skip, skip, m);
                    let skip4 = step(skip2, skip2, m);
                    (skip4, m - skip4)
                });
                for slot in &mut group {
                    *slot = step_back(*slot, skip4, back4);
                }
            }
        }
    }
}

/// [`step`] from `back = m − skip` as well: `slot + skip >= m` exactly when `slot >= back`,
/// and then the position is `slot − back`. The comparison no longer waits on the sum: LLVM
/// emits a compare, a conditional move of `skip` or `−back` and an add, three cycles a step
/// where [`step`] takes four (add, compare, conditional move, subtract, one after the other),
/// for a walk whose probes wait on their positions.
#[inline(always)]
fn step_back(slot: u64, skip: u64, back: u64) -> u64 {
    let (wrapped, below) = slot.overflowing_sub(back);
    if below { slot + skip } else { wrapped }
}

/// The order of a Maglev build's turns: round after round (`iteration` from 1), each entry in
/// build order whose [`TurnTest::takes_turn`] holds. `next` is the entry whose turn comes
/// next; a round without a turn is passed over (the entries of the largest weight take a turn
/// every round, so one comes). Where the turns stand within a round is a separate `Cursor`,
/// which the walks keep in a local (in registers) rather than behind a reference.
trait Turns {
    /// Where the turns stand in the current round; the default is the start of round 1.
    type Cursor: Copy + Default;
    fn next(&mut self, at: &mut Self::Cursor, entries: &mut [MaglevEntry]) -> usize;
}

/// Equal weights: every entry takes a turn every round (its target trails
/// `iteration × weight` by a whole weight), so the test is left out.
struct EveryEntry {
    len: usize,
}

impl EveryEntry {
    fn new(entries: &[MaglevEntry]) -> Self {
        Self { len: entries.len() }
    }
}

impl Turns for EveryEntry {
    /// The next entry.
    type Cursor = usize;

    #[inline(always)]
    fn next(&mut self, next: &mut usize, _: &mut [MaglevEntry]) -> usize {
        if *next >= self.len {
            *next = 0;
        }
        *next += 1;
        *next - 1
    }
}

/// Unequal weights, each entry tested in each round.
struct EntryTests {
    iteration: u64,
    max_weight: f64,
    /// By entry.
    tests: Vec<TurnTest>,
}

impl EntryTests {
    fn new(weights: &[f64], max_weight: f64) -> Self {
        Self {
            iteration: 1,
            max_weight,
            tests: weights
                .iter()
                .map(|&weight| TurnTest {
                    weight,
                    target: 0.0,
                })
                .collect(),
        }
    }
}

impl Turns for EntryTests {
    /// The next entry to test in round `iteration`.
    type Cursor = usize;

    #[inline(always)]
    fn next(&mut self, next: &mut usize, entries: &mut [MaglevEntry]) -> usize {
        loop {
            if *next >= entries.len() {
                *next = 0;
                self.iteration += 1;
            }
            *next += 1;
            let k = *next - 1;
            if self
                .tests
                .get_mut(k)
                .is_some_and(|t| t.takes_turn(self.iteration, self.max_weight))
            {
                return k;
            }
        }
    }
}

/// Unequal weights grouped by weight (bit-identical `f64`s). Every entry's target starts at 0
/// and moves on by the same `max_weight` at each of its turns, so entries of one weight take
/// their turns in the same rounds: one test per class and round stands for all of its
/// members' [`TurnTest::takes_turn`] tests (locality-weighted tables give every host of a
/// locality one weight: 50 classes for 3,333 hosts, where the tests were a third of a build's
/// instructions). A round's turns are the set bits of a mask over entries, in entry order.
struct TurnClasses {
    weights: Vec<f64>,
    targets: Vec<f64>,
    /// Each class's members, a bitset over entries of `words` words, class after class.
    members: Vec<u64>,
    words: usize,
    max_weight: f64,
    iteration: u64,
    /// The entries due in round `iteration`.
    mask: Vec<u64>,
}

impl TurnClasses {
    /// At most this many classes.
    const MAX: usize = 64;
    /// Classes pay off with at least this many entries per class on average: below, a class's
    /// mask costs about what its members' tests do.
    const MIN_MEMBERS: usize = 8;

    /// The classes of the entries of weights `entry_weights`, or `None` when they are too
    /// many or too small to pay.
    fn new(entry_weights: &[f64], max_weight: f64) -> Option<Self> {
        let mut weights: Vec<f64> = Vec::new();
        let mut class_of = Vec::with_capacity(entry_weights.len());
        // Classes by weight: an open-addressed index of twice `MAX` places holding class + 1
        // (0: empty), probed from a multiplicative hash of the weight's bits (a linear search
        // of the classes was 2 % of a MAGLEV flip at 50 classes).
        let mut index = [0_u8; 2 * Self::MAX];
        for &weight in entry_weights {
            let bits = weight.to_bits();
            let mut place = (bits.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 57) as usize;
            let class = loop {
                match index[place % index.len()] {
                    0 if weights.len() < Self::MAX => {
                        weights.push(weight);
                        index[place % index.len()] = weights.len() as u8;
                        break weights.len() - 1;
                    }
                    0 => return None,
                    c if weights[usize::from(c) - 1].to_bits() == bits => break usize::from(c) - 1,
                    _ => place += 1,
                }
            };
            class_of.push(class);
        }
        if weights.len() * Self::MIN_MEMBERS > entry_weights.len() {
            return None;
        }
        let words = entry_weights.len().div_ceil(64);
        let mut members = alloc::vec![0_u64; weights.len() * words];
        for (k, &class) in class_of.iter().enumerate() {
            members[class * words + k / 64] |= 1 << (k % 64);
        }
        let mut classes = Self {
            targets: alloc::vec![0.0; weights.len()],
            weights,
            members,
            words,
            max_weight,
            iteration: 0,
            mask: alloc::vec![0; words],
        };
        classes.next_round();
        Some(classes)
    }

    /// Moves on to the next round: its mask of due entries, their classes' targets moved on
    /// (the test and the step of [`TurnTest::takes_turn`]). Out of line: a few dozen
    /// rounds a build, against thousands of turns.
    #[inline(never)]
    fn next_round(&mut self) {
        self.iteration += 1;
        self.mask.fill(0);
        let round = self.iteration as f64;
        for (c, (&weight, target)) in self.weights.iter().zip(&mut self.targets).enumerate() {
            if round * weight < *target {
                continue;
            }
            *target += self.max_weight;
            let members = &self.members[c * self.words..(c + 1) * self.words];
            for (m, &b) in self.mask.iter_mut().zip(members) {
                *m |= b;
            }
        }
    }
}

impl Turns for TurnClasses {
    /// The next word of the round's mask to read, and the bits of the word before it whose
    /// turns have not come yet.
    type Cursor = (usize, u64);

    #[inline(always)]
    fn next(&mut self, (word, bits): &mut (usize, u64), _: &mut [MaglevEntry]) -> usize {
        while *bits == 0 {
            if *word >= self.words {
                self.next_round();
                *word = 0;
            }
            *bits = self.mask.get(*word).copied().unwrap_or(0);
            *word += 1;
        }
        let k = (*word - 1) * 64 + bits.trailing_zeros() as usize;
        *bits &= *bits - 1;
        k
    }
}

/// `a⁻¹ mod p` for a prime `p` and `0 < a < p` (the extended Euclidean algorithm).
fn inverse_mod_prime(a: u64, p: u64) -> u64 {
    // `p < 2^32` (a table size), so every remainder and coefficient fits an `i64`.
    let (mut r0, mut r1) = (p as i64, a as i64);
    let (mut t0, mut t1) = (0_i64, 1_i64);
    while r1 != 0 {
        let q = r0 / r1;
        (r0, r1) = (r1, r0 - q * r1);
        (t0, t1) = (t1, t0 - q * t1);
    }
    t0.rem_euclid(p as i64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_modulus_divides_exactly() {
        // Maglev's default size, a small prime, 1 and 2, the largest table size, and values at
        // the ends of u64 (where the quotient estimate is one short).
        for d in [65_537_u64, 7, 1, 2, 5_000_011, 3] {
            let m = Modulus::new(d);
            let mut x = 0x9e37_79b9_7f4a_7c15_u64;
            for a in [0, 1, d - 1, d, d + 1, u64::MAX, u64::MAX - 1, u64::MAX / 2] {
                assert_eq!(m.reduce(a), a % d, "{a} % {d}");
            }
            for _ in 0..10_000 {
                x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                assert_eq!(m.reduce(x), x % d, "{x} % {d}");
            }
        }
    }

    /// Envoy's population loop as `maglev_lb.cc` writes it: the permutation position
    /// `(offset + skip × next) % M` recomputed at every probe.
    fn plain_maglev(hosts: &[(u32, u32, f64)], table_size: u64) -> Vec<u32> {
        let max = hosts.iter().map(|h| h.2).fold(0.0, f64::max);
        let mut next = alloc::vec![0_u64; hosts.len()];
        let mut target = alloc::vec![0.0_f64; hosts.len()];
        let mut table = alloc::vec![u32::MAX; table_size as usize];
        let (mut filled, mut iteration) = (0, 1_u64);
        while filled < table_size {
            for (j, &(offset, skip, weight)) in hosts.iter().enumerate() {
                if filled >= table_size {
                    break;
                }
                if (iteration as f64) * weight < target[j] {
                    continue;
                }
                target[j] += max;
                let permutation = |n: u64| (u64::from(offset) + u64::from(skip) * n) % table_size;
                while table[permutation(next[j]) as usize] != u32::MAX {
                    next[j] += 1;
                }
                table[permutation(next[j]) as usize] = j as u32;
                next[j] += 1;
                filled += 1;
            }
            iteration += 1;
        }
        table
    }

    #[test]
    fn inverses_modulo_a_prime() {
        for p in [7_u64, 65_537, 5_000_011, 4_294_967_291] {
            for a in [1, 2, 3, p - 1, p / 2, 12_345 % p] {
                assert_eq!(
                    u128::from(a) * u128::from(inverse_mod_prime(a, p)) % u128::from(p),
                    1
                );
            }
        }
    }

    proptest::proptest! {
        /// The grouped probes (`Probes`) and the late phase fill every slot as the plain walk
        /// does, with equal and unequal weights, in tables that begin in the late phase (7 to
        /// 101 slots, at most [`LATE_PHASE_FREE`]) and tables that reach it; unequal weights
        /// from 4 values (weight classes) or from 99 (past [`TurnClasses::MAX`] classes: each
        /// entry tested).
        #[test]
        fn the_late_phase_fills_as_the_plain_walk(
            size in proptest::sample::select(alloc::vec![7_u64, 13, 101, 257, 263, 1_009, 4_099, 65_537]),
            hosts in proptest::collection::vec((0_u64..u64::MAX, 0_u64..u64::MAX, 1_u32..100), 1..200),
            equal in proptest::bool::ANY,
            spread in proptest::bool::ANY,
        ) {
            let weight = |w: u32| match (equal, spread) {
                (true, _) => 1,
                (false, true) => w,
                (false, false) => 1 + w % 4,
            };
            let sum: u32 = hosts.iter().map(|h| weight(h.2)).sum();
            let hosts: Vec<(u32, u32, f64)> = hosts
                .iter()
                .map(|&(a, b, w)| {
                    let w = weight(w);
                    ((a % size) as u32, (b % (size - 1) + 1) as u32, f64::from(w) / f64::from(sum))
                })
                .collect();
            let max = hosts.iter().map(|h| h.2).fold(0.0, f64::max);
            let min = hosts.iter().map(|h| h.2).fold(f64::INFINITY, f64::min);
            let entries = || -> Vec<MaglevEntry> {
                hosts
                    .iter()
                    .enumerate()
                    .map(|(i, &(offset, skip, _))| MaglevEntry::new(i as u32, offset, skip))
                    .collect()
            };
            let expected = plain_maglev(&hosts, size);
            let mut table = Vec::new();
            let weights: Vec<f64> = hosts.iter().map(|h| h.2).collect();
            fill_maglev(&mut entries(), &weights, min == max, max, size, &mut table);
            proptest::prop_assert_eq!(&table, &expected);
            // A rebuild fills the previous table's buffer without clearing it: every slot is
            // written, none keeps what the buffer held.
            let mut reused = alloc::vec![u32::MAX - 1; size as usize];
            fill_maglev(&mut entries(), &weights, min == max, max, size, &mut reused);
            proptest::prop_assert_eq!(&reused, &expected);
        }
    }

    /// The definition: the first point `>= h`, wrapping to the first point.
    fn first_at_or_after(ring: &[(u64, u32)], h: u64) -> Option<u32> {
        ring.iter()
            .find(|&&(p, _)| p >= h)
            .or(ring.first())
            .map(|&(_, host)| host)
    }

    proptest::proptest! {
        /// The radix index answers as the definition, for rings of any size and clustering
        /// (points drawn from a narrow band too, so buckets overflow), at the points, next to
        /// them and at the ends of the hash space.
        #[test]
        fn the_radix_index_finds_the_first_point_at_or_after_the_hash(
            mut points in proptest::collection::vec(proptest::num::u64::ANY, 1..300),
            narrow in proptest::bool::ANY,
            probes in proptest::collection::vec(proptest::num::u64::ANY, 0..50),
        ) {
            if narrow {
                for p in &mut points {
                    *p = 0x7000_0000_0000_0000 | (*p >> 40);
                }
            }
            points.sort_unstable();
            let ring: Vec<(u64, u32)> =
                points.iter().enumerate().map(|(i, &p)| (p, i as u32)).collect();
            let table = HashTable::Ring(ring.clone());
            let mut lookup = Lookup::default();
            lookup.rebuild(&table);
            let mut hashes = probes;
            for &(p, _) in &ring {
                hashes.extend([p, p.wrapping_sub(1), p.wrapping_add(1)]);
            }
            hashes.extend([0, u64::MAX]);
            for h in hashes {
                let want = first_at_or_after(&ring, h);
                proptest::prop_assert_eq!(lookup.lookup(&table, h).map(|x| x.get()), want);
                proptest::prop_assert_eq!(table.lookup(h).map(|x| x.get()), want);
            }
        }
    }

    proptest::proptest! {
        /// The bucket sort orders points exactly as `sort_unstable`: spread hashes, hashes
        /// sharing their top bits (one crowded bucket), equal hashes on several hosts.
        #[test]
        fn points_sort_as_a_comparison_sort(
            hashes in proptest::collection::vec(proptest::num::u64::ANY, 0..3000),
            crowd in proptest::bool::ANY,
            repeat in 0_usize..4,
        ) {
            let mut ring: Vec<(u64, u32)> = hashes
                .iter()
                .enumerate()
                .map(|(i, &h)| (if crowd { h >> 30 } else { h }, (i % 97) as u32))
                .collect();
            for i in 0..repeat.min(ring.len()) {
                let (h, _) = ring[i];
                ring.push((h, 1000 + i as u32));
            }
            let mut expected = ring.clone();
            expected.sort_unstable();
            sort_points(&mut ring);
            proptest::prop_assert_eq!(ring, expected);
        }
    }

    /// Each priority's table is Envoy's fill over that priority's hosts alone, sorted by
    /// `address:port` (the build order kept per priority), with `maglev_lb.cc`'s offset and
    /// skip from the key's two xxHash64s; an unhealthy host is left out.
    #[test]
    fn each_priority_fills_from_its_own_hosts_in_key_order() {
        use crate::model::{
            Endpoint, HealthStatus, LbConfig, LoadAssignment, Locality, LocalityEndpoints,
        };
        const M: u64 = 101;
        let priorities: [&[(&str, u32, bool)]; 2] = [
            &[
                ("10.0.0.9", 1, true),
                ("10.0.0.1", 2, true),
                ("10.0.0.5", 1, false),
            ],
            &[
                ("10.0.0.3", 3, true),
                ("10.0.0.10", 1, true),
                ("10.0.0.0", 1, true),
            ],
        ];
        let assignment = LoadAssignment {
            localities: priorities
                .iter()
                .enumerate()
                .map(|(p, hosts)| LocalityEndpoints {
                    locality: Locality::new("r", &alloc::format!("z{p}"), ""),
                    weight: None,
                    priority: p as u32,
                    endpoints: hosts
                        .iter()
                        .map(|&(address, weight, healthy)| {
                            Endpoint::new(address, 80)
                                .with_weight(weight)
                                .with_health(if healthy {
                                    HealthStatus::Healthy
                                } else {
                                    HealthStatus::Unhealthy
                                })
                        })
                        .collect(),
                })
                .collect(),
            ..LoadAssignment::default()
        };
        let mut config = LbConfig {
            policy: LbPolicy::Maglev,
            ..LbConfig::default()
        };
        config.maglev.table_size = M;
        let plan = Plan::build(&assignment, &config).expect("valid");
        let mut first_id = 0;
        for (p, hosts) in priorities.iter().enumerate() {
            // (host id, key, weight) of the healthy hosts, in key order.
            let mut keyed: Vec<(u32, String, u32)> = hosts
                .iter()
                .enumerate()
                .filter(|(_, h)| h.2)
                .map(|(i, h)| (first_id + i as u32, alloc::format!("{}:80", h.0), h.1))
                .collect();
            keyed.sort_by(|a, b| a.1.cmp(&b.1));
            let sum: u32 = keyed.iter().map(|k| k.2).sum();
            let entries: Vec<(u32, u32, f64)> = keyed
                .iter()
                .map(|(_, key, w)| {
                    (
                        (xxh64(key.as_bytes(), 0) % M) as u32,
                        (xxh64(key.as_bytes(), 1) % (M - 1) + 1) as u32,
                        f64::from(*w) / f64::from(sum),
                    )
                })
                .collect();
            let expected: Vec<u32> = plain_maglev(&entries, M)
                .iter()
                .map(|&k| keyed[k as usize].0)
                .collect();
            let Some(HashTable::Maglev(table)) = plan.table(p) else {
                panic!("priority {p} has a Maglev table");
            };
            assert_eq!(table, &expected, "priority {p}");
            first_id += hosts.len() as u32;
        }
    }

    #[test]
    fn the_maglev_lookup_takes_slot_hash_mod_size() {
        let slots: Vec<u32> = (0..7).map(|i| 10 + i).collect();
        let table = HashTable::Maglev(slots);
        let mut lookup = Lookup::default();
        lookup.rebuild(&table);
        // u64::MAX = 2^64 - 1 ≡ 1 (mod 7), since 2^3 ≡ 1 and 2^64 = 2 · 2^63 ≡ 2.
        for (hash, slot) in [(0_u64, 0_u32), (6, 6), (7, 0), (20, 6), (u64::MAX, 1)] {
            assert_eq!(
                lookup.lookup(&table, hash),
                Some(HostId::new(10 + slot)),
                "{hash}"
            );
        }
        assert_eq!(Lookup::default().lookup(&HashTable::Empty, 5), None);
    }
}
