//! Pick: one [`Picker::pick`] per iteration, next to a baseline of the same size.
//!
//! Dimensions swept:
//! - policy: ROUND_ROBIN with equal weights (rotation), ROUND_ROBIN with weights 1..=8 (EDF),
//!   LEAST_REQUEST (power of two choices; every third host has one active request), RANDOM,
//!   RING_HASH and MAGLEV (Envoy's default ring and table sizes);
//! - topology and health mix: `flat` (1 priority × 1 locality, all healthy) and `zoned`
//!   (3 priorities × 50 localities, locality-weighted LB, priority 0 at 60 % healthy so 16 % of
//!   requests spill to priority 1; see `meshlb_benches::zoned`), and `failover` (Istio's
//!   locality failover: 3 priorities of one locality each, locality-weighted LB, the same health
//!   mix; see `meshlb_benches::failover`), and `priorities` (the same without locality-weighted
//!   LB, as Istio's default failover leaves it: Istio sets `locality_weighted_lb_config` only
//!   with `distribute` or a forced failover, research/istio.md; non-hash policies only, the hash
//!   policies ignore locality weighting);
//! - endpoint count: 10, 1k and 100k (`flat`); 1k, 10k and 100k (`zoned`, `failover`); 1k and
//!   100k (`priorities`).
//!
//! Each group `pick/<policy>/<topology>` holds, per endpoint count:
//! - `meshlb`: the pick;
//! - `baseline`: `slice[(rng.next_u64() % len) as usize]` with meshlb's `SeededRng` over a
//!   slice of the same length, the floor a pick is compared with;
//! - hash policies also `baseline_hashed` (the request hash read from the same precomputed
//!   array, then `slice[(hash % len) as usize]`) and `table_lookup` (`HashTable::lookup` of
//!   priority 0 alone, without choosing the priority);
//! - `pick/ring_hash/flat` also `hashring` (peer: the `hashring` crate's lookup over meshlb's
//!   own ring points, through a pass-through hasher).
//!
//! Hash policies cycle through [`HASH_COUNT`] precomputed request hashes; nothing random is drawn
//! inside the timed loop except the picks' own draws from the picker's `SeededRng`.

use std::hash::{Hash, Hasher};
use std::hint::black_box;

use crate::peers::{self, PassThrough};
use criterion::{BenchmarkGroup, BenchmarkId, Criterion, measurement::WallTime};
use meshlb::{HashTable, HostId, LbPolicy, LoadAssignment, Picker, Plan, Request, SeededRng};
use meshlb_benches::{
    HASH_COUNT, SEED, Weights, baseline_slice, build_plan, config, failover, flat, request_hashes,
    slice_pick, slice_pick_hashed, zoned,
};

/// A policy as benchmarked: its group name, policy and endpoint weights.
struct Variant {
    name: &'static str,
    policy: LbPolicy,
    weights: Weights,
}

const VARIANTS: [Variant; 6] = [
    Variant {
        name: "round_robin",
        policy: LbPolicy::RoundRobin,
        weights: Weights::Equal,
    },
    Variant {
        name: "round_robin_weighted",
        policy: LbPolicy::RoundRobin,
        weights: Weights::Varied,
    },
    Variant {
        name: "least_request",
        policy: LbPolicy::LeastRequest,
        weights: Weights::Equal,
    },
    Variant {
        name: "random",
        policy: LbPolicy::Random,
        weights: Weights::Equal,
    },
    Variant {
        name: "ring_hash",
        policy: LbPolicy::RingHash,
        weights: Weights::Equal,
    },
    Variant {
        name: "maglev",
        policy: LbPolicy::Maglev,
        weights: Weights::Equal,
    },
];

/// A topology as benchmarked.
struct Topology {
    name: &'static str,
    sizes: &'static [usize],
    build: fn(usize, Weights) -> LoadAssignment,
    locality_weighted: bool,
    /// Whether the hash policies are benchmarked on it.
    hash: bool,
}

const TOPOLOGIES: [Topology; 4] = [
    Topology {
        name: "flat",
        sizes: &[10, 1_000, 100_000],
        build: flat,
        locality_weighted: false,
        hash: true,
    },
    Topology {
        name: "zoned",
        sizes: &[1_000, 10_000, 100_000],
        build: zoned,
        locality_weighted: true,
        hash: true,
    },
    Topology {
        name: "failover",
        sizes: &[1_000, 10_000, 100_000],
        build: failover,
        locality_weighted: true,
        hash: true,
    },
    Topology {
        name: "priorities",
        sizes: &[1_000, 100_000],
        build: failover,
        locality_weighted: false,
        hash: false,
    },
];

/// Registers every `pick/<policy>/<topology>` group.
pub(crate) fn register(c: &mut Criterion) {
    let hashes = request_hashes();
    for topology in &TOPOLOGIES {
        for variant in &VARIANTS {
            if variant.policy.is_hash_based() && !topology.hash {
                continue;
            }
            let mut group = c.benchmark_group(format!("pick/{}/{}", variant.name, topology.name));
            for &n in topology.sizes {
                let assignment = (topology.build)(n, variant.weights);
                let plan = build_plan(
                    &assignment,
                    &config(variant.policy, topology.locality_weighted),
                );
                bench_size(
                    &mut group,
                    variant,
                    &plan,
                    &hashes,
                    n,
                    topology.name == "flat",
                );
                if topology.name == "flat" {
                    bench_peers(&mut group, variant, &assignment, &plan, &hashes, n);
                }
            }
            group.finish();
        }
    }
}

fn bench_size(
    group: &mut BenchmarkGroup<'_, WallTime>,
    variant: &Variant,
    plan: &Plan,
    hashes: &[u64],
    n: usize,
    peers: bool,
) {
    let mask = HASH_COUNT - 1;
    let mut rng = SeededRng::new(SEED);
    let mut picker = Picker::new(plan, &mut rng);
    if variant.policy == LbPolicy::LeastRequest {
        for index in (0..plan.hosts().len()).step_by(3) {
            if let Some(host) = host_id(plan, index) {
                picker.request_started(host);
            }
        }
    }
    // One pick outside the timed loop: the picker has synchronised with the plan.
    let _ = picker.pick(plan, &mut rng, Request::with_hash(hashes[0]));

    if variant.policy.is_hash_based() {
        let mut i = 0_usize;
        group.bench_with_input(BenchmarkId::new("meshlb", n), &n, |b, _| {
            b.iter(|| {
                let hash = hashes[i & mask];
                i = i.wrapping_add(1);
                black_box(picker.pick(plan, &mut rng, Request::with_hash(hash)))
            });
        });
        let table = plan.table(0).unwrap_or(&HashTable::Empty);
        let mut i = 0_usize;
        group.bench_with_input(BenchmarkId::new("table_lookup", n), &n, |b, _| {
            b.iter(|| {
                let hash = hashes[i & mask];
                i = i.wrapping_add(1);
                black_box(table.lookup(hash))
            });
        });
        if peers && let HashTable::Ring(points) = table {
            bench_hashring(group, points, hashes, n);
        }
    } else {
        group.bench_with_input(BenchmarkId::new("meshlb", n), &n, |b, _| {
            b.iter(|| black_box(picker.pick(plan, &mut rng, Request::default())));
        });
    }

    let slice = baseline_slice(n);
    let mut rng = SeededRng::new(SEED);
    group.bench_with_input(BenchmarkId::new("baseline", n), &n, |b, _| {
        b.iter(|| black_box(slice_pick(&slice, &mut rng)));
    });
    if variant.policy.is_hash_based() {
        let mut i = 0_usize;
        group.bench_with_input(BenchmarkId::new("baseline_hashed", n), &n, |b, _| {
            b.iter(|| {
                let hash = hashes[i & mask];
                i = i.wrapping_add(1);
                black_box(slice_pick_hashed(&slice, hash))
            });
        });
    }
}

/// The [`HostId`] of host index `index`, through the plan's own lookup.
fn host_id(plan: &Plan, index: usize) -> Option<HostId> {
    let host = plan.hosts().nth(index)?;
    plan.find(host.address(), host.port())
}

/// The `hashring` peer: the same ring points, searched by `HashRing::get`.
fn bench_hashring(
    group: &mut BenchmarkGroup<'_, WallTime>,
    points: &[(u64, u32)],
    hashes: &[u64],
    n: usize,
) {
    let mut ring = hashring::HashRing::with_hasher(PassThrough);
    ring.batch_add(
        points
            .iter()
            .map(|&(hash, host)| RingPoint { hash, host })
            .collect(),
    );
    // Like for like: both find the first point at or after the hash (wrapping).
    let ours = HashTable::Ring(points.to_vec());
    for &hash in hashes {
        let theirs = ring.get(&hash).map(|p| p.host);
        assert_eq!(
            theirs,
            ours.lookup(hash).map(|h| h.index() as u32),
            "hash {hash:#x}"
        );
    }
    let mask = HASH_COUNT - 1;
    let mut i = 0_usize;
    group.bench_with_input(BenchmarkId::new("hashring", n), &n, |b, _| {
        b.iter(|| {
            let hash = hashes[i & mask];
            i = i.wrapping_add(1);
            black_box(ring.get(&hash).map(|p| p.host))
        });
    });
}

/// A ring point for `hashring`: it hashes to meshlb's own point hash.
#[derive(Debug, Clone, Copy)]
struct RingPoint {
    hash: u64,
    host: u32,
}

impl Hash for RingPoint {
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64(self.hash);
    }
}

/// Most backends pingora's `Weighted` selections (round robin, random) take.
pub(crate) const PINGORA_MAX_WEIGHTED: usize = 1 << 16;

/// The peers of `variant` on the flat topology's `assignment` (see `peers.rs`): each is built
/// on the same endpoints (and weights), checked to answer, then timed like meshlb's pick.
fn bench_peers(
    group: &mut BenchmarkGroup<'_, WallTime>,
    variant: &Variant,
    assignment: &LoadAssignment,
    plan: &Plan,
    hashes: &[u64],
    n: usize,
) {
    use pingora_load_balancing::selection::{Consistent, Random, RoundRobin};
    let endpoints = peers::endpoints(assignment);
    let mask = HASH_COUNT - 1;
    match variant.policy {
        // pingora's weighted selections hold at most 2^16 backends (`Weighted::build` asserts).
        LbPolicy::RoundRobin | LbPolicy::Random if n > PINGORA_MAX_WEIGHTED => {}
        LbPolicy::RoundRobin | LbPolicy::Random => {
            // pingora's RoundRobin and Random are weighted (weights 1..=8 for the weighted
            // variant), as meshlb's round robin is.
            macro_rules! pingora {
                ($s:ty) => {{
                    let lb = peers::pingora::<$s>(&endpoints);
                    assert!(lb.select(b"", 256).is_some(), "pingora picks");
                    group.bench_with_input(BenchmarkId::new("pingora", n), &n, |b, _| {
                        b.iter(|| black_box(lb.select(black_box(b""), 256)));
                    });
                }};
            }
            if variant.policy == LbPolicy::Random {
                pingora!(Random);
            } else {
                pingora!(RoundRobin);
            }
        }
        LbPolicy::LeastRequest => {
            // The active counts the meshlb picker sees: one request on every third host.
            let loads: Vec<u32> = (0..plan.hosts().len())
                .map(|i| u32::from(i % 3 == 0))
                .collect();
            let mut balance = peers::p2c(&loads);
            assert!(peers::p2c_pick(&mut balance).is_some(), "tower p2c picks");
            group.bench_with_input(BenchmarkId::new("tower_p2c", n), &n, |b, _| {
                b.iter(|| black_box(peers::p2c_pick(&mut balance)));
            });
        }
        LbPolicy::RingHash => {
            // The request key is the hash's 8 bytes: pingora hashes it with crc32 (its own
            // cost), then searches its ring of 160 points per weight unit.
            let keys: Vec<[u8; 8]> = hashes.iter().map(|h| h.to_le_bytes()).collect();
            let lb = peers::pingora::<Consistent>(&endpoints);
            assert!(
                lb.select(&keys[0], 256).is_some(),
                "pingora consistent picks"
            );
            let mut i = 0_usize;
            group.bench_with_input(BenchmarkId::new("pingora", n), &n, |b, _| {
                b.iter(|| {
                    let key = &keys[i & mask];
                    i = i.wrapping_add(1);
                    black_box(lb.select(key, 256))
                });
            });
            let continuum = peers::ketama(&endpoints);
            let mut i = 0_usize;
            group.bench_with_input(BenchmarkId::new("pingora_ketama", n), &n, |b, _| {
                b.iter(|| {
                    let key = &keys[i & mask];
                    i = i.wrapping_add(1);
                    black_box(continuum.node_idx(key))
                });
            });
        }
        LbPolicy::Maglev => {
            // The crate keeps a permutation of the whole table per host while it builds
            // (8 bytes × 65,537 × hosts): 10 hosts only.
            if n <= 10 {
                let size = plan.table(0).map_or(65_537, HashTable::len);
                let table = peers::maglev(n, size);
                let mut i = 0_usize;
                group.bench_with_input(BenchmarkId::new("maglev_crate", n), &n, |b, _| {
                    b.iter(|| {
                        let hash = hashes[i & mask];
                        i = i.wrapping_add(1);
                        black_box(maglev::ConsistentHasher::get(&table, &hash).copied())
                    });
                });
            }
        }
    }
}
