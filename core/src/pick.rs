//! Pickers: per-worker load-balancer state over a shared [`Plan`].
//!
//! A pick follows Envoy's `ZoneAwareLoadBalancerBase::hostSourceToUse`
//! (`source/extensions/load_balancing_policies/common/load_balancer_impl.cc`): a random value
//! chooses the priority and whether healthy or degraded hosts serve (`choosePriority`:
//! `hash % 100 + 1` against the cumulative loads); a priority in panic serves from all its hosts;
//! with locality-weighted LB an EDF scheduler over effective locality weights chooses the
//! locality; then the policy chooses the host:
//!
//! - ROUND_ROBIN (`round_robin_lb.h`): plain rotation `hosts[index++ % n]` starting at a per-worker
//!   seed when all weights of the source are equal; otherwise an EDF scheduler over the weights.
//! - LEAST_REQUEST (`least_request_lb.cc`): with equal weights, `choice_count` hosts sampled
//!   with replacement, fewest active requests wins (ties keep the earlier sample); otherwise EDF
//!   over `weight / (active + 1)^active_request_bias`, re-read each time a host is picked.
//!   Callers report requests with [`Picker::request_started`] and [`Picker::request_finished`].
//! - RANDOM (`random_lb.cc`): `hosts[r % n]` with the same random value `r` that chose the
//!   priority; weights are ignored.
//! - RING_HASH and MAGLEV (`thread_aware_lb_impl.cc`): the request hash (or a random value)
//!   chooses the priority and then the host in that priority's table.
//!
//! A pick allocates nothing. When the plan changes (its [`Plan::identity`]), the picker
//! rebuilds its host lists and schedulers on the next pick (or at once, [`Picker::resync`]), as
//! Envoy refreshes a worker's load balancer on a host-set change; round-robin positions and
//! active request counts are kept. The buffers are sized for the plan's shape when the picker
//! first sees it (every list can hold all hosts of its priority or locality), so a resync after
//! a health or weight change allocates nothing.

use alloc::vec::Vec;
use core::ops::Range;

use crate::edf::{Edf, EdfScratch, Weights, reserve_to};
use crate::hash::Modulus;
use crate::model::{Availability, LbPolicy};
use crate::plan::{HostId, Plan, PriorityState};
use crate::rng::Rng;

/// One request's input to a pick.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Request {
    /// The request's hash for RING_HASH and MAGLEV (Envoy's hash policy result); `None` draws a
    /// random value, as Envoy does without a hash policy.
    pub hash: Option<u64>,
}

impl Request {
    /// A request with a hash key.
    #[must_use]
    pub const fn with_hash(hash: u64) -> Self {
        Self { hash: Some(hash) }
    }
}

/// Hash a request key (a header value, say) the way meshlb's adapters do: xxHash64, seed 0, as
/// Envoy's header hash policy (`HashUtil::xxHash64`).
#[must_use]
pub fn hash_key(key: &[u8]) -> u64 {
    xxhash_rust::xxh64::xxh64(key, 0)
}

#[derive(Debug, Clone)]
struct Source {
    rr_index: u64,
    /// `rr_index % rr_len`, kept without dividing on every pick.
    rr_pos: u32,
    /// The list length `rr_pos` was reduced for (0: not yet).
    rr_len: u32,
    /// Unequal weights: the source's EDF (kept beside it, see [`PrioritySources`]) picks.
    weighted: bool,
}

impl Source {
    /// Envoy inserts each source's round-robin index once, at the worker's seed.
    /// Envoy's plain round robin, `hosts[index++ % n]`, with `index % n` kept up to date
    /// instead of divided on every pick. (Always inlined: the wasm build left it a call at
    /// four sites.)
    #[inline(always)]
    fn next_rr(&mut self, n: u32) -> u32 {
        if self.rr_len != n {
            self.rr_len = n;
            self.rr_pos = (self.rr_index % u64::from(n)) as u32;
        }
        let i = self.rr_pos;
        self.rr_pos = if i + 1 == n { 0 } else { i + 1 };
        self.rr_index = self.rr_index.wrapping_add(1);
        if self.rr_index == 0 {
            // Envoy's index is a u64 too: after it wraps, 0 % n = 0.
            self.rr_pos = 0;
        }
        i
    }

    fn new(seed: u64) -> Self {
        Self {
            rr_index: seed,
            rr_pos: 0,
            rr_len: 0,
            weighted: false,
        }
    }
}

/// Priority 0's healthy rotation under [`Fast::Rotate`]: the same sequence as [`Source`]'s,
/// kept as a position in the current lap of the list and the round-robin index the lap started
/// at, so a pick reads two words and writes one (the index is `base + pos`, never stored).
///
/// A lap is `pos` running `0..end`: to the list's length `n`, or, on the lap where Envoy's
/// 64-bit index wraps, to the wrap (`2^64 - base`), after which the index is 0 and so is the
/// position (`0 % n`). `base` is a multiple of `n` below 2^64 (the seed less its remainder,
/// then `n` more each lap, or 0 after the wrap), so `base + pos` modulo `n` is `pos`: the
/// position [`Source::next_rr`] would have given.
///
/// The positions are offset by `first`, where the list starts in its buffer (0 for the fast
/// path's, a locality's start for a lent rotation): `pos` runs `first..end`, and a pick's host
/// is at `pos` itself, one addition and one load less a pick made ahead (a locality's start
/// was read and added at each). A lent rotation over a run of consecutive hosts may start at
/// its first host instead (`Scheduler::lent_hosts`): its positions are then its hosts.
#[derive(Debug, Clone, Copy, Default)]
struct Lap {
    pos: u32,
    end: u32,
    n: u32,
    first: u32,
    base: u64,
}

impl Lap {
    /// The lap `source`'s index is in, over a list of `n` hosts (`n >= 1`) starting at
    /// `first` (`first + n` fits a `u32`).
    fn from_source(source: &Source, n: u32, first: u32) -> Self {
        let pos = if source.rr_len == n {
            source.rr_pos
        } else {
            (source.rr_index % u64::from(n)) as u32
        };
        let base = source.rr_index.wrapping_sub(u64::from(pos));
        Self {
            pos: first + pos,
            end: first + lap_end(base, n),
            n,
            first,
            base,
        }
    }

    /// Writes the rotation back into `source`, as [`Source::next_rr`] would have left it.
    fn store(self, source: &mut Source) {
        let pos = self.pos - self.first;
        source.rr_index = self.base.wrapping_add(u64::from(pos));
        source.rr_pos = pos;
        source.rr_len = self.n;
    }

    /// Moves the list to start at `first`.
    fn move_to(&mut self, first: u32) {
        self.pos = self.pos - self.first + first;
        self.end = self.end - self.first + first;
        self.first = first;
    }

    /// The position of this pick (`index++ % n`).
    #[inline(always)]
    fn next(&mut self) -> u32 {
        let i = self.pos;
        if i + 1 == self.end {
            self.next_lap();
        } else {
            self.pos = i + 1;
        }
        i
    }

    /// Undoes one [`Lap::next`].
    fn step_back(&mut self) {
        if self.pos > self.first {
            self.pos -= 1;
        } else {
            // The last position of the lap before: the index one less, reduced anew.
            let index = self.base.wrapping_sub(1);
            let pos = (index % u64::from(self.n)) as u32;
            self.base = index - u64::from(pos);
            self.pos = self.first + pos;
            self.end = self.first + lap_end(self.base, self.n);
        }
    }

    /// The positions of the next `out.len()` picks ([`Lap::next`] as many times), lap by lap:
    /// the hosts at them copied from `healthy` (`u32::MAX` past its end), or, when
    /// `positions_are_hosts` (see `Scheduler::lent_hosts`), the positions themselves.
    fn fill(&mut self, healthy: &[u32], positions_are_hosts: bool, out: &mut [u32]) {
        if positions_are_hosts {
            self.fill_with(out, |now, pos| {
                for (host, at) in now.iter_mut().zip(pos..) {
                    *host = at;
                }
            });
        } else {
            self.fill_with(out, |now, pos| {
                match healthy.get(pos as usize..pos as usize + now.len()) {
                    Some(hosts) => now.copy_from_slice(hosts),
                    None => now.fill(u32::MAX),
                }
            });
        }
    }

    /// [`Lap::fill`]'s laps, `copy(now, pos)` writing the hosts at positions `pos..` into
    /// `now`.
    #[inline(always)]
    fn fill_with(&mut self, out: &mut [u32], copy: impl Fn(&mut [u32], u32)) {
        if self.n == 1 {
            // Laps of one (`lap_end` is 1 whatever the base): the same position every pick,
            // the index one more each.
            let mut one = [u32::MAX];
            copy(&mut one, self.pos);
            out.fill(one[0]);
            self.base = self.base.wrapping_add(out.len() as u64);
            return;
        }
        let mut out = out;
        while !out.is_empty() {
            // `pos < end` between picks: at least one (none only for a lap that is not one, as
            // a weighted locality's, which lends no rotation: no host then, and no endless loop).
            let take = (self.end.saturating_sub(self.pos) as usize).min(out.len());
            if take == 0 {
                out.fill(u32::MAX);
                return;
            }
            let (now, rest) = core::mem::take(&mut out).split_at_mut(take);
            copy(now, self.pos);
            out = rest;
            self.pos += take as u32;
            if self.pos == self.end {
                self.next_lap();
            }
        }
    }

    /// [`Lap::next`] where neither this lap nor the next is the one where the index wraps
    /// (both end `n` positions after `first`; see `Scheduler::select_room`): the lap's end
    /// taken by selects rather than a branch.
    #[inline(always)]
    fn next_by_select(&mut self) -> u32 {
        let i = self.pos;
        let ends = i + 1 == self.end;
        self.pos = core::hint::select_unpredictable(ends, self.first, i + 1);
        let step = core::hint::select_unpredictable(ends, u64::from(self.n), 0);
        self.base = self.base.wrapping_add(step);
        i
    }

    #[cold]
    #[inline(never)]
    fn next_lap(&mut self) {
        self.base = self.base.wrapping_add(u64::from(self.end - self.first));
        self.pos = self.first;
        self.end = self.first + lap_end(self.base, self.n);
    }
}

/// Where the lap starting at index `base` ends: after `n` picks, or where the 64-bit index
/// wraps to 0 if that comes first.
fn lap_end(base: u64, n: u32) -> u32 {
    match base.wrapping_neg() {
        left @ 1.. if left < u64::from(n) => left as u32,
        _ => n,
    }
}

/// A locality's rotation lent to its scheduler's runs (see `Scheduler::lent`): the lap of its
/// round-robin index over its healthy hosts, positions in the healthy buffer (the lap's
/// `first` is where the locality's hosts start), or the hosts themselves while every lent
/// rotation's list is a run of consecutive hosts (`Scheduler::lent_hosts`). A locality whose
/// hosts have unequal weights lends no rotation: its picks come from its own EDF over their
/// weights (see [`PrioritySources::make_weighted_hosts_ahead`]), and its lap only says where
/// its hosts start (`n` 0, [`Lent::is_weighted`]).
#[derive(Debug, Clone, Copy)]
struct Lent {
    /// Starting at [`Lent::NO_HOSTS`]: the locality has no healthy host (its picks get none,
    /// and its rotation stays where it was, as `pick_locality` leaves it).
    lap: Lap,
}

impl Lent {
    /// The `first` of a locality without healthy hosts: no position of the buffer (nor its
    /// lap's end, one more).
    const NO_HOSTS: u32 = u32::MAX - 1;

    /// The rotation `source` of locality `l` at positions `range` of the healthy buffer, or,
    /// when `source` is weighted, where its hosts start and `l` (its EDF's index).
    fn new(l: u32, range: Option<&Range<u32>>, source: Option<&Source>) -> Self {
        match (range, source) {
            (Some(range), Some(source)) if range.end > range.start && source.weighted => Self {
                lap: Lap {
                    first: range.start,
                    pos: l,
                    ..Lap::default()
                },
            },
            (Some(range), Some(source)) if range.end > range.start => Self {
                lap: Lap::from_source(source, range.end - range.start, range.start),
            },
            // The first position of laps of one: `next` stays there.
            _ => Self {
                lap: Lap {
                    pos: Self::NO_HOSTS,
                    end: Self::NO_HOSTS + 1,
                    n: 1,
                    first: Self::NO_HOSTS,
                    base: 0,
                },
            },
        }
    }

    /// Whether the locality has healthy hosts.
    fn has_hosts(&self) -> bool {
        self.lap.first != Self::NO_HOSTS
    }

    /// Whether the locality's hosts have unequal weights: its EDF picks them, no rotation is
    /// lent (a lap has one position or more).
    fn is_weighted(&self) -> bool {
        self.lap.n == 0
    }

    /// A weighted locality's index among its priority's (its EDF's, see
    /// [`Lent::is_weighted`]), kept where a rotation keeps its position.
    fn edf_index(&self) -> usize {
        self.lap.pos as usize
    }

    /// Whether a rotation is lent: the locality has healthy hosts of equal weights.
    fn is_rotation(&self) -> bool {
        self.has_hosts() && !self.is_weighted()
    }

    /// The next pick's host (`u32::MAX`: none), stepping the rotation: the host at its
    /// position in `healthy`, or, when `positions_are_hosts` (see `Scheduler::lent_hosts`),
    /// the position itself.
    #[inline(always)]
    fn next_host(&mut self, healthy: &[u32], positions_are_hosts: bool) -> u32 {
        let at = self.lap.next();
        if positions_are_hosts {
            return at;
        }
        healthy.get(at as usize).copied().unwrap_or(u32::MAX)
    }

    /// Undoes one [`Lent::next_host`] (a pick made ahead that was never handed out). A
    /// weighted locality's EDF is not stepped back: the picks made ahead are dropped only
    /// where its EDF is rebuilt (a full resync, see [`Scheduler::drop_ahead`]).
    fn rewind(&mut self) {
        if self.is_rotation() {
            self.lap.step_back();
        }
    }

    /// Writes the rotation back into `source` (untouched when the locality had no host, or
    /// lent none).
    fn give_back(&self, source: &mut Source) {
        if self.is_rotation() {
            self.lap.store(source);
        }
    }
}

/// The hosts of a run of picks of a priority of one locality, `lone` (see
/// [`PrioritySources::make_weighted_hosts_ahead`]): its rotation's next picks, or, when its hosts'
/// weights differ, its EDF's (`edfs[lone.edf_index()]`), made at once rather than
/// [`HOST_RUN`] at a time.
fn lone_hosts(
    lone: &mut Lent,
    edfs: &mut [Edf],
    healthy: &[u32],
    positions_are_hosts: bool,
    hosts: &mut [u32],
) {
    if !lone.is_weighted() {
        lone.lap.fill(healthy, positions_are_hosts, hosts);
        return;
    }
    let Some(edf) = edfs.get_mut(lone.edf_index()) else {
        hosts.fill(u32::MAX);
        return;
    };
    let mut positions = [0_u32; AHEAD + LANES];
    let made = positions_ahead(edf, hosts.len(), &mut positions);
    let (items, first) = (edf.items(), lone.lap.first as usize);
    let (got, missing) = hosts.split_at_mut(made.min(hosts.len()));
    for (host, &k) in got.iter_mut().zip(&positions) {
        *host = items
            .get(k as usize)
            .and_then(|&i| healthy.get(first + i as usize))
            .copied()
            .unwrap_or(u32::MAX);
    }
    missing.fill(u32::MAX);
}

/// Picks a [`HostRun`] holds. 32 rather than 16: zoned weighted ROUND_ROBIN 11.1 → 10.5 ns
/// a pick at 10k and 9.8 → 9.4 at 100k (13.5 → 13.2 at 1k; best of 5 × 1M picks,
/// interleaved), for 64 bytes more a weighted locality.
const HOST_RUN: usize = 32;

/// A weighted locality's next picks from its EDF over its hosts' weights, made
/// [`HOST_RUN`] at a time ([`Edf::pick_runs`], the replays in a loop of their own), as
/// positions in the locality's list: `at[next..len]`. Dropped with the EDF, which every
/// resync of a priority with unequal weights rebuilds (see [`Scheduler::drop_ahead`]).
#[derive(Debug, Clone, Copy, Default)]
struct HostRun {
    at: [u32; HOST_RUN],
    next: u8,
    len: u8,
}

impl HostRun {
    /// The next pick, its run made first when the last one is spent (`None`: the EDF has
    /// no entry).
    #[inline(always)]
    fn next(&mut self, edf: &mut Edf) -> Option<u32> {
        if self.next >= self.len {
            self.refill(edf);
        }
        let i = *self.at.get(usize::from(self.next))?;
        self.next += 1;
        (self.next <= self.len).then_some(i)
    }

    #[inline(never)]
    fn refill(&mut self, edf: &mut Edf) {
        let mut positions = [0_u32; HOST_RUN + LANES];
        let made = positions_ahead(edf, HOST_RUN, &mut positions);
        let items = edf.items();
        for (at, &k) in self.at.iter_mut().zip(&positions).take(made) {
            *at = items.get(k as usize).copied().unwrap_or(u32::MAX);
        }
        // At most `HOST_RUN`, which fits a byte.
        self.len = made as u8;
        self.next = 0;
    }
}

/// A locality scheduler: an EDF over the localities' effective weights, in use when `on`. Its
/// buffers stay allocated while it is off.
#[derive(Debug, Clone)]
struct Scheduler {
    /// Picked through the methods below, which hand out the picks made ahead first; whatever
    /// rebuilds or restarts it drops them (`restart`, `drop_ahead`).
    edf: Edf,
    on: bool,
    /// The scheduler as its last rebuild left it: every resync starts each scheduler afresh
    /// (as a rebuild would), and one whose localities did not change is copied from here.
    fresh: Edf,
    /// The effective weights (by locality of the priority) `fresh` was built over, once it has
    /// been: a rebuild over the same weights and seed would give `fresh` again.
    built: Option<Vec<f64>>,
    /// Whether the pick of a healthy locality makes picks ahead (see
    /// [`PrioritySources::make_hosts_ahead`] and [`PrioritySources::make_spans_ahead`]),
    /// decided at each rebuild of the priority's schedulers, which empties `ahead`: while it is
    /// `false`, `ahead` stays empty.
    batch: bool,
    /// Picks `edf` made ahead, `ahead[next..len]`, handed out before any other; [`LANES`]
    /// more, which a run's last burst may write past its picks ([`positions_ahead`]).
    ahead: [u32; AHEAD + LANES],
    /// Under ROUND_ROBIN, each pick's host as well (see [`PrioritySources::make_hosts_ahead`]):
    /// `hosts[k]` the host of the pick at `ahead[k]` (`u32::MAX`: the locality's list was
    /// empty). Under RANDOM and LEAST_REQUEST, the first of the pick's list instead (see
    /// `span_firsts`), its length in `lens[k]` ([`PrioritySources::make_spans_ahead`]).
    hosts: [u32; AHEAD + LANES],
    /// Under RANDOM and LEAST_REQUEST, the length of each pick's list (see `hosts`).
    lens: [u32; AHEAD + LANES],
    /// Under RANDOM and LEAST_REQUEST, while `spans_ready`, the healthy list of each of the
    /// EDF's items by position (see [`Edf::items`]): its first, which is its first host when
    /// the lists are `consecutive` (but for an empty list, which no pick reads) and its start
    /// in the healthy buffer otherwise, and (in `span_lens`) its length; each with [`LANES`]
    /// zeros past the items, which a burst's last lanes may read ([`spans_ahead`]).
    span_firsts: Vec<u32>,
    /// See `span_firsts`.
    span_lens: Vec<u32>,
    /// Whether `span_firsts` and `span_lens` follow the lists and the EDF's items: from the
    /// first run made with spans after a rebuild or a restart until the next (see
    /// [`Scheduler::drop_ahead`]).
    spans_ready: bool,
    /// While `spans_ready`, whether every list the spans name is a run of consecutive host
    /// indices ([`is_consecutive`]): a sample's host is then the list's first plus its
    /// position, no load of the list on the way to the active counts.
    consecutive: bool,
    /// Whether the localities' rotations are lent to `lent`: from the first run made with
    /// hosts after a rebuild or a restart until the next (see [`Scheduler::drop_ahead`]).
    lending: bool,
    /// While `lending`, the rotation of each of the EDF's items by position (see
    /// [`Edf::items`]): a run walks a burst's rotations one after another, where it looked
    /// up each pick's locality, its range and its rotation.
    lent: Vec<Lent>,
    /// While `lending`, whether every lent rotation's list is a run of consecutive host
    /// indices ([`is_consecutive`]) and its lap's positions are those hosts (see
    /// [`Scheduler::place_lent`]): a pick's position is its host, not read from the healthy
    /// buffer. Otherwise the positions are in the buffer.
    lent_hosts: bool,
    /// While `lent_hosts` over short lists, how many more picks the runs may make before a
    /// lent rotation's lap could be the one where Envoy's 64-bit index wraps: while a run
    /// fits, its laps end by a select ([`Lap::next_by_select`]). 0 otherwise.
    select_room: u64,
    /// Whether [`Scheduler::place_lent`] has run since the rotations were lent or refreshed.
    placed: bool,
    /// Whether the one lent rotation is the priority's whole healthy list's (its
    /// `healthy_source`), lent to a scheduler that is off (see
    /// [`PrioritySources::make_list_ahead`]), rather than the EDF's items'.
    lent_list: bool,
    /// Under ROUND_ROBIN over unequal host weights, each weighted locality's next picks,
    /// made ahead from its EDF (by the EDF's item position, as `lent`; see [`HostRun`]).
    host_runs: Vec<HostRun>,
    ahead_next: u8,
    ahead_len: u8,
    /// Picks the next run makes ahead: 1 after a rebuild or a restart, then twice as many a
    /// run up to [`AHEAD`], so that the first pick after a health change (which restarts
    /// every scheduler) makes one pick rather than a full run: a flip plus the next pick at
    /// zoned 10k took 663 ns with runs of sixteen from the start, 464 before runs.
    run: u8,
}

/// How a scheduler makes its picks ahead ([`Scheduler::made_ahead`]): with their hosts (also
/// the picks of a priority's whole list, made in its scheduler's room while the scheduler is
/// off, [`PrioritySources::make_list_ahead`]).
const MADE_AHEAD: u16 = 1;

/// How a scheduler makes its picks ahead: with their locality lists (RANDOM, LEAST_REQUEST
/// over equal weights), which [`Picker::pick_spanned`] samples.
const SPANS: u16 = 2;

/// Routes (see `Picker::routes`) to a priority whose healthy scheduler makes its picks ahead
/// with their locality lists: this plus the priority. Below it, a route is the priority whose
/// scheduler makes them with their hosts, the priority itself: the route a zoned ROUND_ROBIN
/// pick takes needs no decoding (one comparison, where flags in the top bits over the
/// priority plus 2 took a test, a mask, a subtraction and a test more: 73.5 → 67.5
/// instructions a pick inlined into a loop binary, callgrind, zoned 10k).
const SPANS_ROUTE: u16 = 1 << 14;

/// Routes to a priority whose healthy scheduler makes no picks ahead: this plus the priority.
const LOCALITY_ROUTE: u16 = 2 << 14;

/// How a route reaches a priority whose healthy traffic the policy picks from its whole
/// healthy list (see [`LIST_ROUTE`]).
const LIST: u16 = 3;

/// Routes to a priority whose healthy traffic (not in panic) the policy picks from the
/// priority's whole healthy list ([`Picker::pick_list`]): this plus the priority (below
/// [`ROUTE_GENERAL`]). Either the priority has no locality scheduler (locality-weighted LB
/// off, as Istio's default locality failover leaves it: priorities alone), under every
/// policy but LEAST_REQUEST over unequal weights (the general path) and ROUND_ROBIN over
/// equal ones (its picks made ahead, [`MADE_AHEAD`], see
/// [`PrioritySources::make_list_ahead`]); or its healthy scheduler holds one
/// locality, whose healthy list is the priority's whole list, under RANDOM and LEAST_REQUEST
/// over equal weights (every pick of a one-locality scheduler is that locality; ROUND_ROBIN's
/// are made ahead, [`MADE_AHEAD`]). Where it took the scheduler's next pick made ahead (a
/// counter loaded, stepped and stored, and a span looked up) and the policy's dispatch, or
/// the general path out of line (the priority chosen again, its health, panic and scheduler
/// checked).
const LIST_ROUTE: u16 = 3 << 14;

/// A route to the general path.
const ROUTE_GENERAL: u16 = u16::MAX - 1;

/// A route not decided since the last sync.
const ROUTE_UNKNOWN: u16 = u16::MAX;

/// The route to `priority`'s healthy scheduler, which makes its picks ahead as `made` says
/// ([`Scheduler::made_ahead`]), or whose list the policy picks from ([`LIST`]); `None` past
/// the priorities a route can name (2^14, and 2^14 - 2 for [`LIST_ROUTE`], whose last two
/// values are [`ROUTE_GENERAL`] and [`ROUTE_UNKNOWN`]).
fn route_to(priority: usize, made: u16) -> Option<u16> {
    let p = u16::try_from(priority).ok().filter(|&p| p < SPANS_ROUTE)?;
    Some(match made {
        MADE_AHEAD => p,
        SPANS => SPANS_ROUTE | p,
        LIST => Some(LIST_ROUTE | p).filter(|&route| route < ROUTE_GENERAL)?,
        _ => LOCALITY_ROUTE | p,
    })
}

/// A route (below [`ROUTE_GENERAL`]) as how it picks ([`MADE_AHEAD`], [`SPANS`], [`LIST`], or 0
/// for a locality scheduler that makes no picks ahead) and the priority.
fn route_parts(route: u16) -> (u16, usize) {
    let made = match route >> 14 {
        0 => MADE_AHEAD,
        1 => SPANS,
        2 => 0,
        _ => LIST,
    };
    (made, usize::from(route & (SPANS_ROUTE - 1)))
}

/// Spends `made` picks of a scheduler's `select_room` (whatever steps the lent rotations
/// spends it: a rotation steps once a pick at most) and returns whether the run fitted in
/// it, so that its laps may end by a select ([`Lap::next_by_select`]).
fn spend_room(select_room: &mut u64, made: usize) -> bool {
    let fits = *select_room >= made as u64;
    *select_room = select_room.saturating_sub(made as u64);
    fits
}

/// Hosts a lent rotation's list holds on average below which its laps end by a select
/// ([`Lap::next_by_select`]) rather than a branch. A lap ends every `n` picks of its
/// locality, in the order the locality EDF interleaves them, which a predictor cannot
/// follow: at 1k zoned hosts (about 7 a locality) at 22 % of the picks. The selects cost a
/// few instructions a pick whether the lap ends or not. Zoned ROUND_ROBIN in a loop binary
/// (pinned, best of 3 × 200 × 100k picks), branch against select at every length: 7.03 /
/// 6.71 ns at 1k hosts, 7.52 / 7.28 at 2k, 7.75 / 7.63 at 3k, 7.18 / 7.22 at 5k, 7.16 /
/// 7.30 at 10k (priority 0's lists hold about 4, 8, 12, 20 and 40 healthy hosts on
/// average, priority 1's about 6, 12, 18, 30 and 60).
const SELECT_LAPS_UNDER: u64 = 16;

/// Most picks a locality scheduler makes at once ([`Scheduler::next_run`]); a power of two
/// that fits a byte (`ahead_len`). Zoned ROUND_ROBIN at 10k: 170 instructions a pick with 16,
/// 165 with 32 (13.6–13.8 → 12.5–13.7 ns); as many with 64. Once the bursts' ends no longer
/// cost a mispredicted branch each ([`positions_ahead`]), a run's own start and end were most
/// of those left (callgrind's branch model: the check for a pick made ahead, the runs' loop
/// exits, about 5 a run): loop binary on the Xeon, best of 5 × 1M picks, 32 → 64 → 128,
/// ROUND_ROBIN 6.6 → 6.7 → 6.1 ns at 1k, 6.7 → 6.3 → 6.1 at 10k, 6.5 → 6.1 → 5.8 at 100k;
/// RANDOM 9.3 → 9.0 → 8.8 at 1k, 9.6 → 9.3 at 10k; LEAST_REQUEST within 2 %. A health change
/// drops what was made and not handed out, at most 127 picks a scheduler, each rotation
/// stepped back (about 10 instructions a pick); a flip plus the next pick 314 → 324 ns.
const AHEAD: usize = 128;

/// Positions [`positions_ahead`] (and spans [`spans_ahead`]) writes at once: `Scheduler::ahead`
/// (and `hosts` and `lens`) has this many past [`AHEAD`], where a run's last burst writes
/// beyond its picks.
const LANES: usize = 8;

/// The next `run` picks of `edf` (at most `N - LANES`, [`AHEAD`] for a locality scheduler)
/// as positions among its items ([`Edf::items`]), into `ahead[..made]`; returns `made` (0
/// when the EDF has no item).
///
/// A burst's picks are consecutive positions, written [`LANES`] at a time whatever its length,
/// where a loop over the burst's items ended at its length: the one branch a burst that a
/// predictor could not learn (the bursts' lengths follow the EDF's order). The caller then
/// walks the run's picks in a loop of their own. Zoned ROUND_ROBIN (3 × 50 localities), best
/// of 5 × 1M picks in a loop binary, interleaved runs on the Xeon: 8.8 → 7.7 ns a pick at 10k
/// hosts, 8.7 → 7.4 at 100k, 7.3 → 7.5 at 1k (where the bursts are longer: 30 localities
/// keep their whole weight, one burst each weight); RANDOM 12.3 → 11.4 at 10k, LEAST_REQUEST
/// 15.7 → 14.5. Four lanes at a time: 8.2 ns at 10k (a burst of five takes two); sixteen 8.2.
/// `perf` had put 9 % of `make_hosts_ahead`'s samples just after that loop's exit, and
/// callgrind's branch model a mispredicted exit every 3.4 picks; the instructions are as
/// many (124 a pick at 1k, 132 at 10k).
///
/// A scheduler of one burst (a priority of one locality, as Istio's failover priorities often
/// are, or of localities of equal weights) takes its entries in turn
/// ([`Edf::pick_one_burst`]).
#[inline(always)]
fn positions_ahead<const N: usize>(edf: &mut Edf, run: usize, ahead: &mut [u32; N]) -> usize {
    positions_ahead_with(edf, run, ahead, |_, _, _| {})
}

/// [`positions_ahead`], calling `also(to, from, len)` for each stretch it writes: the picks at
/// `to..to + len` of `ahead` are the items at positions `from..from + len` (a burst's
/// [`LANES`], which may run past its picks into the room past the run and, as positions, past
/// the items; one pick at a time for a scheduler of one burst), so that a caller keeping
/// something by position copies it beside the picks.
#[inline(always)]
fn positions_ahead_with<const N: usize>(
    edf: &mut Edf,
    run: usize,
    ahead: &mut [u32; N],
    mut also: impl FnMut(usize, usize, usize),
) -> usize {
    let run = run.min(N.saturating_sub(LANES));
    if let Some(out) = ahead.get_mut(..run)
        && edf.pick_one_burst(out)
    {
        for (k, &at) in out.iter().enumerate() {
            also(k, at as usize, 1);
        }
        return run;
    }
    edf.pick_runs(run, |first, made, n| {
        // Lanes until the burst's picks are written (at least one: a burst ending the run
        // may have none left to write, and its lanes land in `ahead`'s room past `AHEAD`).
        let mut j = 0;
        loop {
            // `made + j <= N - LANES`: in bounds.
            let Some(lanes) = ahead.get_mut(made + j..made + j + LANES) else {
                debug_assert!(false, "a run past `AHEAD`");
                return;
            };
            for (l, at) in lanes.iter_mut().enumerate() {
                *at = (first + j + l) as u32;
            }
            also(made + j, first + j, LANES);
            j += LANES;
            if j >= n {
                break;
            }
        }
    })
}

/// [`positions_ahead`] for a scheduler whose picks are made with their lists (see
/// [`PrioritySources::make_spans_ahead`]): each pick's position, and its list's first and
/// length copied from the spans kept by position (a burst's picks are consecutive positions,
/// so their spans are consecutive too, copied [`LANES`] at a time). Returns how many picks it
/// made.
///
/// Where the pick read its position, then the span at that position, it reads its list's
/// first and length at its own index (figures at [`PrioritySources::make_spans_ahead`]).
#[inline(always)]
fn spans_ahead(scheduler: &mut Scheduler, run: usize) -> usize {
    let Scheduler {
        edf,
        ahead,
        hosts,
        lens,
        span_firsts,
        span_lens,
        ..
    } = scheduler;
    let (firsts, counts): (&[u32], &[u32]) = (span_firsts, span_lens);
    positions_ahead_with(edf, run, ahead, |to, from, len| {
        // The spans are read up to `LANES` past a burst, into the padding past the items at
        // most; written up to `LANES` past the run, as the positions.
        let (Some(to_first), Some(to_len), Some(from_first), Some(from_len)) = (
            hosts.get_mut(to..to + len),
            lens.get_mut(to..to + len),
            firsts.get(from..from + len),
            counts.get(from..from + len),
        ) else {
            debug_assert!(false, "spans past `AHEAD` or past their padding");
            return;
        };
        to_first.copy_from_slice(from_first);
        to_len.copy_from_slice(from_len);
    })
}

impl Default for Scheduler {
    fn default() -> Self {
        Self {
            edf: Edf::default(),
            on: false,
            fresh: Edf::default(),
            built: None,
            batch: false,
            ahead: [0; AHEAD + LANES],
            hosts: [0; AHEAD + LANES],
            lens: [0; AHEAD + LANES],
            span_firsts: Vec::new(),
            span_lens: Vec::new(),
            spans_ready: false,
            consecutive: false,
            lending: false,
            lent: Vec::new(),
            lent_list: false,
            lent_hosts: false,
            select_room: 0,
            placed: false,
            host_runs: Vec::new(),
            ahead_next: 0,
            ahead_len: 0,
            run: 0,
        }
    }
}

impl Scheduler {
    /// How the scheduler makes its picks ahead under `policy`: with their
    /// hosts ([`MADE_AHEAD`], ROUND_ROBIN), with their locality lists ([`SPANS`], RANDOM and
    /// LEAST_REQUEST), or not at all (0: LEAST_REQUEST over unequal host weights, see
    /// `batch`).
    fn made_ahead(&self, policy: LbPolicy) -> u16 {
        match (self.batch, policy) {
            (false, _) => 0,
            (true, LbPolicy::RoundRobin) => MADE_AHEAD,
            (true, _) => SPANS,
        }
    }

    /// Starts the scheduler afresh, from its last rebuild (see [`Scheduler::drop_ahead`]).
    fn restart(&mut self) {
        self.drop_ahead();
        self.edf.copy_from(&self.fresh);
    }

    /// Forgets the picks made ahead, before the scheduler is rebuilt or restarted under them,
    /// stepping back the rotation of each pick whose host was made (a lent one): as if those
    /// picks had never been made, and the spans are made anew at the next run (the lists
    /// may have moved). A pick a weighted locality's EDF made is not stepped back:
    /// that happens only in a full resync, which has rebuilt the EDF from its seed (see
    /// [`PrioritySources::make_weighted_hosts_ahead`]).
    fn drop_ahead(&mut self) {
        if self.lending {
            let (next, len) = (usize::from(self.ahead_next), usize::from(self.ahead_len));
            for &at in self.ahead.get(next..len).unwrap_or_default() {
                if let Some(lent) = self.lent.get_mut(at as usize) {
                    lent.rewind();
                }
            }
        }
        self.ahead_next = 0;
        self.ahead_len = 0;
        self.run = 1;
        self.spans_ready = false;
        for run in &mut self.host_runs {
            *run = HostRun::default();
        }
    }

    /// Gives the lent rotations back to `sources`, the rotations of the scheduler's
    /// localities (by locality index within the priority), before the EDF's items change
    /// (they say whose each lent rotation is) or another policy picks. Call
    /// [`Scheduler::drop_ahead`] first.
    fn give_back(&mut self, sources: &mut [Source]) {
        debug_assert!(
            !self.lent_list,
            "the list's rotation goes back to its own source"
        );
        if self.lending && !self.lent_list {
            for (lent, &l) in self.lent.iter().zip(self.edf.items()) {
                if let Some(source) = sources.get_mut(l as usize) {
                    lent.give_back(source);
                }
            }
        }
        self.lending = false;
    }

    /// After the localities' lists changed (`ranges`, their positions in the healthy buffer)
    /// under the same EDF items: each lent rotation's start moves with its list, and one whose
    /// list changed length (or was or became empty) is given back and lent again, reduced
    /// modulo the new length at the next pick as its source would be.
    fn refresh_lent(&mut self, ranges: &[Range<u32>], sources: &mut [Source]) {
        if !self.lending {
            return;
        }
        for (lent, &l) in self.lent.iter_mut().zip(self.edf.items()) {
            let Some(range) = ranges.get(l as usize) else {
                continue;
            };
            let unweighted = sources.get(l as usize).is_some_and(|s| !s.weighted);
            // A lap is over one host or more: `n == lap.n` is not empty.
            if lent.is_rotation() && unweighted && range.end.wrapping_sub(range.start) == lent.lap.n
            {
                lent.lap.move_to(range.start);
            } else if let Some(source) = sources.get_mut(l as usize) {
                lent.give_back(source);
                *lent = Lent::new(l, Some(range), Some(source));
            }
        }
        self.unplace();
    }

    /// Lends the rotations of the EDF's items to `lent` (see `lending`); `ranges` are the
    /// localities' positions in the healthy buffer, `sources` their rotations.
    fn lend(&mut self, ranges: &[Range<u32>], sources: &[Source]) {
        self.lent.clear();
        self.lent.extend(self.edf.items().iter().map(|&l| {
            let (range, source) = (ranges.get(l as usize), sources.get(l as usize));
            Lent::new(l, range, source)
        }));
        self.lending = true;
        self.unplace();
    }

    /// The lent rotations' positions are in the healthy buffer (as [`Lent::new`] and
    /// [`Lap::move_to`] leave them) until [`Scheduler::place_lent`].
    fn unplace(&mut self) {
        (self.lent_hosts, self.select_room, self.placed) = (false, 0, false);
    }

    /// Decides `lent_hosts` for the lent rotations, whose positions are in the buffer
    /// `healthy` (`ranges` as [`Scheduler::lend`]'s): when every rotation's list is a run of
    /// consecutive host indices, each lap moves to its list's first host, so that its
    /// positions are its hosts. Weighted localities lend no rotation and keep their start.
    ///
    /// Called by the first full run ([`AHEAD`] picks) after the rotations were lent or
    /// refreshed, not by the lend or the refresh: its check of every list (about 70
    /// instructions a locality) made a health flip plus the next pick at 10k zoned hosts
    /// 648 → 871 ns in criterion; the runs before it, of 1 to 64 picks, read the buffer.
    ///
    /// The run's loop then writes each pick's position as its host, where it read the host
    /// from the buffer at that position (a bounds check, the buffer's pointer reloaded and a
    /// load a pick): zoned ROUND_ROBIN 110.3 → 106.5 M instructions for 1M picks and their
    /// set-up at 1k, 134.4 → 130.4 M at 10k (callgrind); 7.31 / 7.27 / 7.07 → 7.05 / 7.08 /
    /// 6.89 ns a pick at 1k / 10k / 100k (loop binary, best of 5 × 200 runs, interleaved).
    ///
    /// Over short lists ([`SELECT_LAPS_UNDER`]) it also sets `select_room`: the laps then end
    /// by a select while no lap of a run can be the wrap's. A run steps each rotation once a
    /// pick at most, so a rotation whose lap starts at index `base` meets no wrap lap (one
    /// whose end `lap_end` moves) within `2^64 − base − 2n` picks; the room is the least of
    /// those. Zoned ROUND_ROBIN at 1k: 106.5 → 103.0 M instructions (callgrind), 7.06 → 6.63
    /// ns a pick (loop binary, best of 5 × 200 runs, interleaved), 7.53 → 7.14 ns in
    /// criterion (best of 8 × 0.6 s, interleaved; the floor 2.53 / 2.51).
    fn place_lent(&mut self, ranges: &[Range<u32>], healthy: &[u32]) {
        (self.lent_hosts, self.select_room, self.placed) = (false, 0, true);
        let items = self.edf.items();
        // The first host of locality `l`'s list when it is a run of consecutive hosts.
        let run_first = |l: u32| {
            let range = ranges.get(l as usize)?;
            let list = healthy.get(range.start as usize..range.end as usize)?;
            let first = *list.first()?;
            is_consecutive(list).then_some(first)
        };
        // One pass, each rotation moved as it is found to be a run; the first that is not
        // sends the ones before it back to the buffer (at 10k zoned hosts 3,497 instructions
        // a call, 4,242 with a pass to decide and one to move).
        let (mut listed, mut rotations, mut room) = (0_u64, 0_u64, u64::MAX);
        let mut not_a_run = None;
        for (k, (lent, &l)) in self.lent.iter_mut().zip(items).enumerate() {
            if lent.is_weighted() {
                continue;
            }
            let Some(first) = run_first(l).filter(|_| lent.has_hosts()) else {
                not_a_run = Some(k);
                break;
            };
            lent.lap.move_to(first);
            let n = u64::from(lent.lap.n);
            (listed, rotations) = (listed + n, rotations + 1);
            // Index values left before the wrap (0: none since it wrapped, 2^64 of them), less
            // two laps: the lap a run ends in is then never the wrap's.
            let left = match lent.lap.base.wrapping_neg() {
                0 => u64::MAX,
                left => left,
            };
            room = room.min(left.saturating_sub(2 * n));
        }
        if let Some(k) = not_a_run {
            for (lent, &l) in self.lent.iter_mut().zip(items).take(k) {
                if let (true, Some(range)) = (lent.is_rotation(), ranges.get(l as usize)) {
                    lent.lap.move_to(range.start);
                }
            }
            return;
        }
        self.lent_hosts = true;
        if listed < SELECT_LAPS_UNDER * rotations {
            self.select_room = room;
        }
    }

    /// How many picks the next run makes with its hosts ([`Scheduler::next_run`]): the
    /// localities' rotations lent first if they are not ([`Scheduler::lend`]), and placed by
    /// the first full run ([`Scheduler::place_lent`]). `ranges` are the localities' positions
    /// in the buffer `healthy`, `sources` their rotations.
    fn next_lent_run(
        &mut self,
        ranges: &[Range<u32>],
        sources: &[Source],
        healthy: &[u32],
    ) -> usize {
        if !self.lending {
            self.lend(ranges, sources);
        }
        let run = self.next_run();
        if run == AHEAD && !self.placed {
            self.place_lent(ranges, healthy);
        }
        run
    }

    /// How many picks the next run makes (see `run`).
    fn next_run(&mut self) -> usize {
        let run = usize::from(self.run).clamp(1, AHEAD);
        self.run = (2 * run).min(AHEAD) as u8;
        run
    }

    /// The next locality, when the scheduler is on and has a locality of positive weight.
    #[inline(always)]
    fn pick(&mut self, weight: impl Fn(u32) -> f64) -> Option<u32> {
        if !self.on {
            return None;
        }
        // Runs with hosts are handed out by `pick_locality` alone: their hosts are taken.
        debug_assert!(!self.lending, "picks made ahead with their hosts");
        match self.next_ahead() {
            Some(l) => Some(l),
            None => self.edf.pick_and_add(weight),
        }
    }

    /// The locality list of the next pick made ahead by [`PrioritySources::make_spans_ahead`],
    /// if one is left: its first (its first host when the lists are `consecutive`, its start
    /// in the healthy buffer otherwise) and its length.
    #[inline(always)]
    fn next_span(&mut self) -> Option<(u32, u32)> {
        let k = self.made_left()?;
        Some(self.take_span(k))
    }

    /// Hands out the pick made ahead at `k` (what [`Scheduler::made_left`] gave) and returns
    /// its locality list, as [`Scheduler::next_span`] gives it. Split from it for a pick
    /// that draws between the test and the hand-out ([`Picker::pick_spanned_pair`]).
    #[inline(always)]
    fn take_span(&mut self, k: u8) -> (u32, u32) {
        self.ahead_next = k + 1;
        // `k` is below `ahead_len`, at most `AHEAD`: the mask changes nothing, and leaves no
        // bounds check.
        let k = usize::from(k) & (AHEAD - 1);
        (self.hosts[k], self.lens[k])
    }

    /// Where the next pick made ahead stands in `ahead` (and `hosts`, and `lens`), if one is
    /// left: it is handed out.
    #[inline(always)]
    fn next_made(&mut self) -> Option<usize> {
        let k = self.made_left()?;
        self.ahead_next = k + 1;
        Some(usize::from(k))
    }

    /// Where the next pick made ahead stands, if one is left, without handing it out.
    #[inline(always)]
    fn made_left(&self) -> Option<u8> {
        (self.ahead_next < self.ahead_len).then_some(self.ahead_next)
    }

    /// The locality of the next pick made ahead, if one is left (`ahead` holds positions
    /// among the EDF's items).
    #[inline(always)]
    fn next_ahead(&mut self) -> Option<u32> {
        let k = self.next_made()?;
        let at = *self.ahead.get(k)?;
        self.edf.items().get(at as usize).copied()
    }

    /// The host of the next pick made ahead with its host, if one is left (`u32::MAX`: none
    /// could serve).
    #[inline(always)]
    fn next_ahead_host(&mut self) -> Option<u32> {
        // `k` is below `ahead_len`, at most `AHEAD`: the mask changes nothing, and leaves no
        // bounds check (one instruction less a pick, callgrind).
        self.next_made().map(|k| self.hosts[k & (AHEAD - 1)])
    }
}

/// A list of host indices, `buf[start..]`, grouped by locality; the groups' ranges (kept
/// beside it) are positions in `buf`, so a group's hosts are one slice of it. A host put in
/// or taken out shifts the shorter side of the list ([`move_host`]): the front by moving
/// `start` (taken out) or into the room before it (put in), the back as a vector would. A
/// flip of the first host of a one-locality priority at 10,000 hosts moved the whole list
/// (40 KB, 92 % of a flip-then-pick's instructions, 0.76–0.94 µs on this host); now it moves
/// none, and a flip-then-pick takes 0.26–0.28 µs.
#[derive(Debug, Clone, Default)]
struct HostRow {
    buf: Vec<u32>,
    start: usize,
}

impl core::ops::Deref for HostRow {
    type Target = [u32];

    /// The whole list.
    #[inline(always)]
    fn deref(&self) -> &[u32] {
        self.buf.get(self.start..).unwrap_or_default()
    }
}

impl HostRow {
    /// The `i`-th host of the whole list (one addition more than a slice's `get`).
    #[inline(always)]
    fn host(&self, i: usize) -> Option<u32> {
        self.buf.get(self.start + i).copied()
    }

    /// A group's hosts: `r` is a range of positions in the buffer (empty when past its end).
    #[inline(always)]
    fn group(&self, r: &Range<u32>) -> &[u32] {
        self.buf
            .get(r.start as usize..r.end as usize)
            .unwrap_or_default()
    }

    /// A locality's list as a span made ahead gives it when the lists are not consecutive:
    /// `n` hosts from position `start` of the buffer (`None` past its end).
    #[inline(always)]
    fn span(&self, start: u32, n: u32) -> Option<&[u32]> {
        self.buf.get(start as usize..)?.get(..n as usize)
    }

    /// Empties the list, keeping room for `n` hosts.
    fn reset(&mut self, n: usize) {
        self.buf.clear();
        self.start = 0;
        reserve_to(&mut self.buf, n);
    }

    /// Appends a host (while the groups are built, from an empty list).
    fn push(&mut self, id: u32) {
        self.buf.push(id);
    }

    /// Moves the list to the buffer's front (`start` 0), and the groups' `ranges` with it.
    fn compact(&mut self, ranges: &mut [Range<u32>]) {
        let from = self.start;
        if from == 0 {
            return;
        }
        self.buf.copy_within(from.., 0);
        self.buf.truncate(self.buf.len() - from);
        self.start = 0;
        let back = |x: u32| x - from as u32;
        for r in ranges.iter_mut() {
            *r = back(r.start)..back(r.end);
        }
    }
}

#[derive(Debug, Clone)]
struct PrioritySources {
    /// Healthy hosts, grouped by locality (host order).
    healthy: HostRow,
    /// Degraded hosts, grouped by locality.
    degraded: HostRow,
    /// Per locality of the priority: its positions in `healthy`'s and `degraded`'s buffers.
    locality_healthy: Vec<Range<u32>>,
    locality_degraded: Vec<Range<u32>>,
    all: Source,
    healthy_source: Source,
    degraded_source: Source,
    locality_healthy_sources: Vec<Source>,
    locality_degraded_sources: Vec<Source>,
    /// Each source's EDF, in use while the source is `weighted`. Kept apart from the sources,
    /// so that a rotation's state is 24 bytes and a pick reads one line of it.
    all_edf: Edf,
    healthy_edf: Edf,
    degraded_edf: Edf,
    locality_healthy_edfs: Vec<Edf>,
    locality_degraded_edfs: Vec<Edf>,
    /// EDF over the localities' effective weights (items: locality index within the priority).
    locality_healthy_scheduler: Scheduler,
    locality_degraded_scheduler: Scheduler,
    /// Whether every host of the priority has the same weight (no source is weighted then,
    /// whatever the health), as of the last full sync. Only while it is not do ROUND_ROBIN
    /// and LEAST_REQUEST keep EDFs over hosts, whose buffers a sync reserves for every host of
    /// the priority so that no later pick allocates (the priority's three lists, and under
    /// locality-weighted LB each locality's two: 141–435 bytes an endpoint at 10k–100k hosts,
    /// `benches/examples/memory.rs`). Over equal weights the picker reserves none and keeps
    /// its lists and request counts alone, 12–18 bytes an endpoint at 10k–100k hosts (376–435
    /// when it reserved them whatever the weights). The first sync after a priority's weights
    /// become unequal reserves them then (a batch that changes a weight is never caught up
    /// with in place: [`Picker::sync_last_batch`] declines it).
    uniform: bool,
    /// Whether `healthy` is a run of consecutive host indices ([`is_consecutive`]), as of
    /// the last sync (see [`Picker::choose_fast`]).
    consecutive: bool,
}

impl PrioritySources {
    /// Under ROUND_ROBIN, for a priority without a locality scheduler (Istio's default
    /// locality failover: priorities, no `locality_weighted_lb_config`), the next run of
    /// picks from the priority's whole healthy list, made in the room of its scheduler, which
    /// is off (`lent_list`). Over equal weights the list's rotation (`healthy_source`,
    /// `hosts[index++ % n]`) is lent to the scheduler and a run copied from the list lap by
    /// lap ([`Lap::fill`]), as a lone locality's is; every sync gives the rotation back first,
    /// the picks not handed out stepped back ([`PrioritySources::give_back_list`]). Over
    /// unequal weights a run is the list's EDF's next positions, dropped at the sync that
    /// rebuilds the EDF. Returns the first pick's host (`u32::MAX`: the list is empty).
    ///
    /// A pick then reads the run's next host, where it stepped the source's 64-bit index and
    /// its cached position and read the list through its row (`pick_list_rotation`): the
    /// `priorities` benchmark (three priorities of one locality each, no locality weighting,
    /// 16 % of requests past priority 0) 126.5 → 87.3 M instructions for 1M picks and their
    /// set-up at 10k hosts (callgrind), as many as under locality weighting; over weights 1–8
    /// 153.5 → 108.3 M.
    #[inline(never)]
    fn make_list_ahead(&mut self) -> Option<u32> {
        let Self {
            healthy,
            healthy_source,
            healthy_edf,
            locality_healthy_scheduler: scheduler,
            ..
        } = self;
        if healthy_source.weighted {
            // Unequal weights: the list's EDF, its weights fixed until the next sync, which
            // rebuilds it from its seed (a priority with unequal weights takes a full one):
            // the picks made ahead are dropped with it, none stepped back, no rotation lent
            // (and none left from the scheduler's localities when it was on).
            if !scheduler.lent_list {
                scheduler.lent.clear();
                scheduler.lent_list = true;
            }
            let run = scheduler.next_run();
            let made = positions_ahead(healthy_edf, run, &mut scheduler.ahead);
            let items = healthy_edf.items();
            let (hosts, positions) = (
                scheduler.hosts.get_mut(..made).unwrap_or_default(),
                scheduler.ahead.get(..made).unwrap_or_default(),
            );
            for (host, &k) in hosts.iter_mut().zip(positions) {
                *host = items
                    .get(k as usize)
                    .and_then(|&i| healthy.host(i as usize))
                    .unwrap_or(u32::MAX);
            }
            // At most `AHEAD`, which fits a byte.
            scheduler.ahead_len = made as u8;
            scheduler.ahead_next = 1.min(made as u8);
            return (made > 0).then_some(scheduler.hosts[0]);
        }
        if !scheduler.lending {
            let (Ok(start), Ok(end)) = (
                u32::try_from(healthy.start),
                u32::try_from(healthy.buf.len()),
            ) else {
                return None;
            };
            let whole = start..end;
            scheduler.lent.clear();
            scheduler
                .lent
                .push(Lent::new(0, Some(&whole), Some(healthy_source)));
            scheduler.lending = true;
            scheduler.lent_list = true;
            // Its positions are in the buffer (`Lap::fill` is told so).
            scheduler.unplace();
        }
        let run = scheduler.next_run();
        let Scheduler {
            lent, ahead, hosts, ..
        } = scheduler;
        let (Some(lone), Some(hosts), Some(ahead)) =
            (lent.first_mut(), hosts.get_mut(..run), ahead.get_mut(..run))
        else {
            return None;
        };
        lone.lap.fill(&healthy.buf, false, hosts);
        // Each pick's rotation, for the picks stepped back: the one lent.
        ahead.fill(0);
        // At most `AHEAD`, which fits a byte.
        scheduler.ahead_len = run as u8;
        scheduler.ahead_next = 1;
        Some(scheduler.hosts[0])
    }

    /// Gives the healthy list's rotation back to `healthy_source` if it is lent (see
    /// [`PrioritySources::make_list_ahead`]), the picks made ahead and not handed out
    /// stepped back: before a sync moves the lists or another path picks from it. Every sync
    /// starts with it.
    fn give_back_list(&mut self) {
        let scheduler = &mut self.locality_healthy_scheduler;
        if !scheduler.lent_list {
            return;
        }
        // The picks made and not handed out are stepped back at once (rather than one by
        // one, as `drop_ahead` does a locality's): the index less as many, its position
        // reduced anew at the next pick.
        let unhanded = scheduler.ahead_len.saturating_sub(scheduler.ahead_next);
        scheduler.ahead_next = scheduler.ahead_len;
        scheduler.drop_ahead();
        // Lent only by the runs over equal weights (`lending`); the EDF's lend none.
        let lent = scheduler.lent.first().filter(|lent| lent.is_rotation());
        if let Some(lent) = lent.filter(|_| scheduler.lending) {
            let source = &mut self.healthy_source;
            lent.give_back(source);
            if unhanded > 0 {
                source.rr_index = source.rr_index.wrapping_sub(u64::from(unhanded));
                source.rr_len = 0;
            }
        }
        scheduler.lent.clear();
        scheduler.lending = false;
        scheduler.lent_list = false;
    }

    /// Under ROUND_ROBIN over equal host weights (over unequal ones,
    /// [`PrioritySources::make_weighted_hosts_ahead`]), the healthy scheduler's next run (see
    /// [`PrioritySources::make_spans_ahead`] for the runs) with each pick's host: its
    /// locality's rotation moves on as the pick's would (`hosts[index++ % n]`, each locality
    /// its own index). Localities and rotations are independent, so the picks are Envoy's,
    /// locality then host, one request after another; the picks dropped before they are
    /// handed out step their rotations back ([`Scheduler::drop_ahead`]). Returns the first
    /// pick's host (`u32::MAX`: its locality's list was empty), `None` when the scheduler has
    /// no locality.
    ///
    /// A pick then reads its host from the run, where it looked up the locality's range and
    /// rotation and stepped it itself: zoned ROUND_ROBIN at 10k, 294 → 280 instructions a pick
    /// (callgrind), 22.7–23.2 → 21.0–21.5 ns (best of 3M picks, interleaved runs of a loop);
    /// a health flip plus the next pick 447 → 451 ns.
    ///
    /// The rotations are lent to the scheduler by position among the EDF's items (see
    /// `Scheduler::lent`), so that a run walks each burst's rotations in order, as laps
    /// ([`Lap`]), where it copied the burst's localities and then looked up each one's range
    /// and rotation (and stepped Envoy's 64-bit index): 145 → 134 instructions a pick, zoned
    /// ROUND_ROBIN 12.6 → 11.5 ns at 10k in the criterion benchmark; a flip and the next pick
    /// pay for the lent rotations' moved starts (about 16 instructions a locality of the
    /// touched priority). The run's positions come first ([`positions_ahead`]), then one loop
    /// over them steps each pick's rotation, a loop a run rather than one a burst.
    #[inline(never)]
    fn make_hosts_ahead(&mut self) -> Option<u32> {
        if !self.locality_healthy_scheduler.on {
            return self.make_list_ahead();
        }
        if !self.uniform {
            return self.make_weighted_hosts_ahead();
        }
        let Self {
            healthy,
            locality_healthy,
            locality_healthy_sources,
            locality_healthy_scheduler: scheduler,
            ..
        } = self;
        let run = scheduler.next_lent_run(locality_healthy, locality_healthy_sources, &healthy.buf);
        // Slices taken once: the loop's stores could, for all the wasm build's optimiser
        // knows, change a vector's pointer or length, so through the vectors it reloaded both
        // at every pick (the native build did not).
        let healthy: &[u32] = &healthy.buf;
        let Scheduler {
            edf,
            lent,
            lent_hosts,
            select_room,
            ahead,
            hosts,
            ..
        } = scheduler;
        let (lent, lent_hosts): (&mut [Lent], bool) = (lent, *lent_hosts);
        let made = positions_ahead(edf, run, ahead);
        let selects = spend_room(select_room, made);
        // Sliced to the run: one count for the loop, no check a pick.
        let (hosts, ahead) = (
            hosts.get_mut(..made).unwrap_or_default(),
            ahead.get(..made).unwrap_or_default(),
        );
        match lent {
            // One locality: every pick is its rotation's.
            [lone] => lone.lap.fill(healthy, lent_hosts, hosts),
            // Lent by the items: always some. A loop each way, the tests out of the loop.
            _ if lent_hosts && selects => {
                for (host, &at) in hosts.iter_mut().zip(ahead) {
                    *host = lent
                        .get_mut(at as usize)
                        .map_or(u32::MAX, |l| l.lap.next_by_select());
                }
            }
            _ if lent_hosts => {
                for (host, &at) in hosts.iter_mut().zip(ahead) {
                    *host = lent.get_mut(at as usize).map_or(u32::MAX, |l| l.lap.next());
                }
            }
            _ => {
                for (host, &at) in hosts.iter_mut().zip(ahead) {
                    *host = match lent.get_mut(at as usize) {
                        Some(lent) => lent.next_host(healthy, false),
                        None => u32::MAX,
                    };
                }
            }
        }
        // At most `AHEAD`, which fits a byte.
        scheduler.ahead_len = made as u8;
        scheduler.ahead_next = 1.min(made as u8);
        (made > 0).then_some(scheduler.hosts[0])
    }

    /// [`PrioritySources::make_hosts_ahead`] where the priority's hosts have unequal weights
    /// (ROUND_ROBIN): a locality whose hosts' weights are equal steps its lent rotation, one
    /// whose weights differ takes the next of its own EDF's picks over them, made
    /// [`HOST_RUN`] at a time ([`HostRun`]); the weights are fixed until the next resync,
    /// which rebuilds every such EDF (from its seed, as Envoy's refresh does), so that the
    /// picks made ahead and dropped with it need no stepping back. Each locality's picks are
    /// its own and in order, so they are the picks Envoy makes one request after another
    /// (`Picker::pick_weighted_in`'s, which the tests compare with).
    ///
    /// Where each pick went through the locality scheduler, then out of line to its
    /// locality's EDF (callgrind, zoned weighted ROUND_ROBIN at 1k: 292 instructions a pick,
    /// 80 of them `pick_routed`'s, 66 `pick_weighted_in`'s): 225 with each EDF's pick in the
    /// run's loop, 25.8 → 17.3 ns at 1k and 19.5 → 10.7 at 100k (loop binary); then with the
    /// EDFs' runs ([`HostRun`], then of 16) as many instructions, 17.6 → 13.6 ns at 1k, 10.7
    /// → 10.2 at 100k. A priority of one locality takes the whole run from its EDF at once
    /// ([`lone_hosts`]): the failover benchmark (three priorities of one locality, weights
    /// 1–8) 6.4–7.0 → 4.2–4.5 ns a pick at 1k–100k (criterion).
    #[inline(never)]
    fn make_weighted_hosts_ahead(&mut self) -> Option<u32> {
        let Self {
            healthy,
            locality_healthy,
            locality_healthy_sources,
            locality_healthy_edfs,
            locality_healthy_scheduler: scheduler,
            ..
        } = self;
        let run = scheduler.next_lent_run(locality_healthy, locality_healthy_sources, &healthy.buf);
        // One run a lent locality (a restart may have made a locality weighted under the
        // same lent rotations); the resync reserved the room.
        if scheduler.host_runs.len() != scheduler.lent.len() {
            scheduler
                .host_runs
                .resize(scheduler.lent.len(), HostRun::default());
        }
        let healthy: &[u32] = &healthy.buf;
        let edfs: &mut [Edf] = locality_healthy_edfs;
        let Scheduler {
            edf,
            lent,
            lent_hosts,
            select_room,
            host_runs,
            ahead,
            hosts,
            ..
        } = scheduler;
        let (lent, lent_hosts): (&mut [Lent], bool) = (lent, *lent_hosts);
        let host_runs: &mut [HostRun] = host_runs;
        let made = positions_ahead(edf, run, ahead);
        // Its rotations step by a branch, but spend the room all the same.
        spend_room(select_room, made);
        let (hosts, ahead) = (
            hosts.get_mut(..made).unwrap_or_default(),
            ahead.get(..made).unwrap_or_default(),
        );
        match lent {
            // One locality: every pick is its own, a run of its EDF's (or rotation's) at once.
            [lone] => lone_hosts(lone, edfs, healthy, lent_hosts, hosts),
            _ => {
                for (host, &at) in hosts.iter_mut().zip(ahead) {
                    let Some(lent) = lent.get_mut(at as usize) else {
                        *host = u32::MAX;
                        continue;
                    };
                    if !lent.is_weighted() {
                        *host = lent.next_host(healthy, lent_hosts);
                        continue;
                    }
                    let (Some(run), Some(edf)) = (
                        host_runs.get_mut(at as usize),
                        edfs.get_mut(lent.edf_index()),
                    ) else {
                        *host = u32::MAX;
                        continue;
                    };
                    let i = run.next(edf);
                    *host = i
                        .and_then(|i| healthy.get((lent.lap.first + i) as usize))
                        .copied()
                        .unwrap_or(u32::MAX);
                }
            }
        }
        // At most `AHEAD`, which fits a byte.
        scheduler.ahead_len = made as u8;
        scheduler.ahead_next = 1.min(made as u8);
        (made > 0).then_some(scheduler.hosts[0])
    }

    /// Under RANDOM, or LEAST_REQUEST over equal host weights, the healthy scheduler's next
    /// run of picks (see [`Scheduler::next_run`]), each with its locality's healthy list (its
    /// first and length, see [`Scheduler::next_span`]): the host's choice in it depends on the
    /// pick's random values, drawn when it is handed out. Returns the first pick's list, `None`
    /// when the scheduler has no locality.
    ///
    /// The localities' weights are fixed between rebuilds, so nothing outside the scheduler
    /// changes its picks, and a loop of their own makes them (its pointers and counters in
    /// registers, out of the caller's way), to be handed out in order; the EDF runs ahead of
    /// what was handed out by at most `AHEAD - 1` picks, dropped with their spans when it is
    /// rebuilt or restarted, as every sync does once it has moved the lists (no pick comes
    /// between). Where the host's pick is short the replays were most of the work (zoned, 50
    /// localities a priority, a tree of 64 leaves at priority 0: RANDOM 24.9 → 23.6 ns a
    /// pick); where it is longer (an EDF over
    /// unequal host weights) a replay made inline ran beside the previous pick's host choice,
    /// and sixteen made in a row lost that (weighted ROUND_ROBIN 41.0 → 46.5 ns), as
    /// LEAST_REQUEST's choices did while they were a loop (27.8 → 29.7 ns; unrolled, 259 →
    /// 248 instructions a pick, 20.2–20.7 → 17.9–18.7 ns at 1k hosts). With each pick's span,
    /// where the pick looked up its locality's range and source: zoned RANDOM 192 → 188
    /// instructions a pick, 13.7–13.8 → 13.0–13.5 ns at 1k; LEAST_REQUEST 248 → 244,
    /// 18.0–18.1 → 17.1–17.7 ns at 1k and 22.6–23.6 → 21.8–22.3 at 100k (loop binary).
    ///
    /// Each item's span is kept by position (`Scheduler::span_firsts` and `span_lens`, made
    /// at the first run after each rebuild or restart, which every change of the lists
    /// brings), where each run looked up each pick's locality and range and wrote three words
    /// a pick: zoned RANDOM 158.5 → 136.2 instructions a pick at 10k, LEAST_REQUEST 247.6 →
    /// 224.2 (callgrind, less set-up); 8.4–9.3 → 7.8–8.7 ns and 12.7–14.9 → 11.9–14.4 ns at
    /// 1k–100k (loop binary). A run copies its picks' spans beside their positions, a burst's
    /// [`LANES`] at a time ([`spans_ahead`]), and a consecutive list's span holds its first
    /// host: a pick reads its list's first and length at its own index, where it read its
    /// position, then the span at that position, then (for a consecutive list) the list's
    /// first host, three loads in a row before its divisions. Zoned LEAST_REQUEST 10.42 /
    /// 11.29 / 12.20 → 9.97 / 10.83 / 11.32 ns at 1k / 10k / 100k, RANDOM 7.86 / 8.53 / 8.86
    /// → 7.17 / 7.82 / 7.80 (loop binary, best of 5 × 3 × 1M picks, interleaved), for one
    /// instruction a pick fewer (at 10k: 8 fewer in the pick, 7 more in the runs' copies).
    #[inline(never)]
    fn make_spans_ahead(&mut self) -> Option<(u32, u32)> {
        let Self {
            healthy,
            locality_healthy: ranges,
            locality_healthy_scheduler: scheduler,
            ..
        } = self;
        if !scheduler.spans_ready {
            let ranges: &[Range<u32>] = ranges;
            let span = |l: u32| {
                let range = ranges.get(l as usize).cloned().unwrap_or_default();
                (range.start, range.end.saturating_sub(range.start))
            };
            let items = scheduler.edf.items();
            scheduler.consecutive = items.iter().all(|&l| {
                let (start, n) = span(l);
                healthy.span(start, n).is_some_and(is_consecutive)
            });
            let first = |(start, n): (u32, u32)| match healthy.span(start, n) {
                // A consecutive list's first host (none in an empty list: its samples are none).
                Some(&[host, ..]) if scheduler.consecutive => host,
                _ => start,
            };
            let padding = core::iter::repeat_n(0, LANES);
            scheduler.span_firsts.clear();
            let firsts = items.iter().map(|&l| first(span(l)));
            scheduler.span_firsts.extend(firsts.chain(padding.clone()));
            scheduler.span_lens.clear();
            let lens = items.iter().map(|&l| span(l).1);
            scheduler.span_lens.extend(lens.chain(padding));
            scheduler.spans_ready = true;
        }
        let run = scheduler.next_run();
        let made = spans_ahead(scheduler, run);
        // At most `AHEAD`, which fits a byte.
        scheduler.ahead_len = made as u8;
        scheduler.ahead_next = 0;
        scheduler.next_span()
    }

    fn new(seed: u64) -> Self {
        Self {
            healthy: HostRow::default(),
            degraded: HostRow::default(),
            locality_healthy: Vec::new(),
            locality_degraded: Vec::new(),
            all: Source::new(seed),
            healthy_source: Source::new(seed),
            degraded_source: Source::new(seed),
            locality_healthy_sources: Vec::new(),
            locality_degraded_sources: Vec::new(),
            all_edf: Edf::default(),
            healthy_edf: Edf::default(),
            degraded_edf: Edf::default(),
            locality_healthy_edfs: Vec::new(),
            locality_degraded_edfs: Vec::new(),
            locality_healthy_scheduler: Scheduler::default(),
            locality_degraded_scheduler: Scheduler::default(),
            uniform: false,
            consecutive: false,
        }
    }
}

/// Which host list serves a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SourceKind {
    All,
    Healthy,
    Degraded,
    LocalityHealthy(u32),
    LocalityDegraded(u32),
}

/// Picks [`WeightedAhead`] makes at once.
const WEIGHTED_AHEAD: usize = 64;

/// Under [`Fast::Weighted`], the next picks of priority 0's healthy EDF, made ahead as runs
/// ([`Edf::pick_runs`], its replays in a loop of their own) with their hosts, handed out one
/// a pick: `hosts[next..len]`. The EDF's weights are fixed until the next sync, which rebuilds
/// it from its seed (a priority with unequal weights always takes the full resync) and drops
/// these: the picks are those the EDF would have made one request at a time. Where each pick
/// went to the EDF and, once its burst was spent, out of line to replay it (a burst is a host
/// or two at 10 hosts of weights 1–8): 133 → 124 instructions a pick at 10 hosts, 80.8 →
/// 70.3 at 100k (callgrind, less set-up); 6.85 → 6.66 ns at 10, 3.86 → 3.31 at 1k, 3.75 →
/// 3.20 at 100k (loop binary).
#[derive(Debug, Clone)]
struct WeightedAhead {
    hosts: [u32; WEIGHTED_AHEAD],
    /// The run's positions among the EDF's items ([`positions_ahead`]), [`LANES`] more.
    positions: [u32; WEIGHTED_AHEAD + LANES],
    next: u32,
    len: u32,
}

impl Default for WeightedAhead {
    fn default() -> Self {
        Self {
            hosts: [0; WEIGHTED_AHEAD],
            positions: [0; WEIGHTED_AHEAD + LANES],
            next: 0,
            len: 0,
        }
    }
}

impl WeightedAhead {
    /// The next host made ahead, if one is left.
    #[inline(always)]
    fn next(&mut self) -> Option<u32> {
        if self.next >= self.len {
            return None;
        }
        let host = self.hosts[self.next as usize & (WEIGHTED_AHEAD - 1)];
        self.next += 1;
        Some(host)
    }

    /// Forgets the picks made ahead (their EDF is rebuilt under them).
    fn drop_ahead(&mut self) {
        self.next = 0;
        self.len = 0;
    }
}

/// The pick every request takes while the plan stays as it is, decided at each sync: when
/// priority 0 carries all the load as healthy traffic (`healthy_load == 100`, so
/// `choosePriority` answers priority 0, healthy, for every random value), is not in panic,
/// has no locality scheduler, or under RANDOM and LEAST_REQUEST one holding a single locality
/// whose list is the whole list (and, under LEAST_REQUEST, its healthy hosts have equal weights),
/// a pick is the policy's choice over priority 0's healthy list and nothing else. The random value is still drawn
/// (Envoy draws it, and RANDOM and the caller's RNG stream depend on it). Under RING_HASH and
/// MAGLEV, `healthy_load == 100` alone sends every hash to priority 0's table ([`Fast::Maglev`],
/// [`Fast::Hash`]); otherwise the hash chooses the priority first ([`Fast::Hashed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fast {
    /// MAGLEV: priority 0's table (`hash % 100` always lands on priority 0), of the modulus's
    /// size (not empty): slot `hash % M`, reduced here, read straight from the table. Through
    /// [`Plan::table_lookup`] (as `Hash`), the pick also tested that the table had an
    /// accelerator, the table's variant twice and whether the accelerator held a modulus: 66
    /// → 56 instructions a flat pick at 1k hosts (callgrind, the hash drawn from the RNG),
    /// 4.50 → 3.86 ns in criterion (the hash read from an array; min of 8 runs, builds
    /// interleaved, on the Zen 3 of 2026-12-07).
    Maglev(Modulus),
    /// RING_HASH (or MAGLEV over an empty table): priority 0's table (`hash % 100` always
    /// lands on priority 0).
    Hash,
    /// RING_HASH or MAGLEV otherwise: the hash chooses the priority, then its table
    /// ([`pick_hashed`]). Never `Off`, so that the general path, which every other policy
    /// takes under `Off`, does not test the policy (3 instructions a zoned pick). The hash
    /// variants are the first three: `pick` tests them in one comparison.
    Hashed,
    /// Every pick takes the general path.
    Off,
    /// ROUND_ROBIN: rotation over the list.
    Rotate,
    /// ROUND_ROBIN over unequal weights: the list's EDF (its weights fixed until the next
    /// sync, so the EDF holds their inverses and reads no weight), its picks made ahead
    /// ([`WeightedAhead`]).
    Weighted,
    /// RANDOM: `r % n` over the list.
    Random(Modulus),
    /// LEAST_REQUEST with equal weights: `choice_count` samples `r % n`, fewest active wins.
    Choices(Modulus),
    /// ROUND_ROBIN with a locality scheduler: its next pick made ahead with its host (see
    /// [`PrioritySources::make_hosts_ahead`]), where the general path took the value's point
    /// (`random % 100`) and its route to the same.
    Ahead,
}

/// Per-worker picking state over a [`Plan`].
///
/// # Examples
/// ```
/// use meshlb::{Endpoint, LbConfig, LoadAssignment, LocalityEndpoints, Picker, Plan, Request, SeededRng};
///
/// let assignment = LoadAssignment {
///     localities: vec![LocalityEndpoints {
///         endpoints: vec![Endpoint::new("10.0.0.1", 80), Endpoint::new("10.0.0.2", 80).with_weight(3)],
///         ..Default::default()
///     }],
///     ..Default::default()
/// };
/// let plan = Plan::build(&assignment, &LbConfig::default())?;
/// let mut rng = SeededRng::new(1);
/// let mut picker = Picker::new(&plan, &mut rng);
/// let mut counts = [0; 2];
/// for _ in 0..400 {
///     if let Some(host) = picker.pick(&plan, &mut rng, Request::default()) {
///         counts[host.index()] += 1;
///     }
/// }
/// // Weighted round robin is exact over a cycle: 1 : 3.
/// assert_eq!(counts, [100, 300]);
/// # Ok::<(), meshlb::PlanError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Picker {
    policy: LbPolicy,
    seed: u64,
    /// The [`Plan::identity`] the lists and schedulers were built for (0, which no plan's
    /// identity is: none).
    identity: u64,
    priorities: Vec<PrioritySources>,
    /// Active requests per host (least request).
    active: Vec<u32>,
    choice_count: u32,
    /// Whether the policy is LEAST_REQUEST of two choices (Envoy's default), decided at each
    /// sync: a pick of a list made ahead then tests this alone (see [`Picker::pick_spanned`]).
    pair: bool,
    bias: f64,
    /// Buffers for rebuilding schedulers, kept so that a resync allocates nothing.
    scratch: EdfScratch,
    /// The localities of positive weight and their weights, while a locality scheduler is
    /// rebuilt.
    positive: Vec<(u32, f64)>,
    /// The fast path in force (see [`Fast`]).
    fast: Fast,
    /// When priority 0's healthy list is a run of consecutive host indices (every host
    /// healthy, or the unhealthy ones at either end: [`is_consecutive`]), the first of them:
    /// the list's `i`-th host is `fast_first + i`, without reading the list.
    fast_first: Option<u32>,
    /// Under [`Fast::Rotate`], priority 0's healthy rotation, held here (one indirection
    /// less a pick) until the next sync hands it back.
    fast_rotation: Lap,
    /// Under [`Fast::Weighted`], the picks made ahead.
    weighted_ahead: WeightedAhead,
    /// For each value of `random % 100` (the point that chooses the priority), where the
    /// point's healthy or degraded traffic goes: [`ROUTE_UNKNOWN`] until a pick asks (each
    /// sync forgets every route), [`ROUTE_GENERAL`] for the general path, else the route to the
    /// priority whose healthy locality scheduler serves the point (not in panic), which says
    /// whether that scheduler makes its picks ahead with their hosts (see
    /// [`PrioritySources::make_hosts_ahead`]) or with their locality lists (see
    /// [`PrioritySources::make_spans_ahead`]); see [`route_to`]. A pick then reads one route where it chose the
    /// priority and checked its health, panic and scheduler: zoned ROUND_ROBIN at 10k, 165 →
    /// 151 instructions a pick, 12.5–12.7 → 11.6–11.7 ns; RANDOM 178 → 172, 14.4 → 13.6 ns.
    /// Decided at the first pick of each point rather than at the sync, which would pay for
    /// points no pick asks about: a zoned flip plus the next pick took 730 ns with every route
    /// decided at the sync, 550–590 with the routes filled run by run of points, 460–500
    /// without routes.
    routes: [u16; 100],
}

impl Picker {
    /// A picker for `plan`, its starting positions drawn from `rng` (Envoy draws one seed per
    /// worker's load balancer).
    #[must_use]
    pub fn new<R: Rng + ?Sized>(plan: &Plan, rng: &mut R) -> Self {
        Self::with_seed(plan, rng.next_u64())
    }

    /// A picker for `plan` whose starting positions come from `seed` ([`Picker::new`] draws it).
    #[must_use]
    pub fn with_seed(plan: &Plan, seed: u64) -> Self {
        let config = plan.config();
        let mut picker = Self {
            policy: config.policy,
            seed,
            identity: 0,
            priorities: Vec::new(),
            active: alloc::vec![0; plan.host_count()],
            choice_count: config.least_request.choice_count,
            pair: false,
            bias: config.least_request.active_request_bias,
            scratch: EdfScratch::default(),
            positive: Vec::new(),
            fast: Fast::Off,
            fast_first: None,
            fast_rotation: Lap::default(),
            weighted_ahead: WeightedAhead::default(),
            routes: [ROUTE_UNKNOWN; 100],
        };
        picker.sync(plan);
        picker
    }

    /// Rebuilds the host lists and schedulers for `plan` now, if its [`Plan::identity`] is not
    /// the one they were built for (a pick does the same on its own). Round-robin positions and
    /// active request counts are kept; allocates nothing unless the plan's shape (hosts per
    /// priority and locality) outgrew every shape the picker has seen, or, under ROUND_ROBIN
    /// and LEAST_REQUEST, a priority's hosts have unequal weights for the first time (their
    /// schedulers are sized then, for every host of the priority).
    pub fn resync(&mut self, plan: &Plan) {
        if self.identity != plan.identity() {
            self.sync(plan);
        }
    }

    /// The active request counts, by host index.
    pub(crate) fn active(&self) -> &[u32] {
        &self.active
    }

    /// Replaces the active request counts (by host index of the plan the next sync reads); the
    /// caller resynchronises after.
    pub(crate) fn set_active(&mut self, counts: &[u32]) {
        self.active.clear();
        self.active.extend_from_slice(counts);
        self.identity = 0;
    }

    /// Picks the host for one request, or `None` when no host can serve it (Envoy's "no healthy
    /// upstream").
    ///
    /// `plan` must be the plan this picker was created for (possibly updated since).
    #[inline(always)]
    pub fn pick<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        request: Request,
    ) -> Option<HostId> {
        if self.identity != plan.identity() {
            self.sync(plan);
        }
        // RING_HASH and MAGLEV first, in one comparison (the variants are the first three).
        if matches!(self.fast, Fast::Maglev(_) | Fast::Hash | Fast::Hashed) {
            let hash = request.hash.unwrap_or_else(|| rng.next_u64());
            if let Fast::Maglev(m) = self.fast {
                // A slot holds a host index, never `u32::MAX`.
                let slots = plan.first_maglev_slots()?;
                return slots
                    .get(m.reduce(hash) as usize)
                    .and_then(|&h| HostId::checked(h));
            }
            if self.fast == Fast::Hash {
                return plan.table_lookup(0, hash);
            }
            return pick_hashed(plan, hash);
        }
        if self.fast != Fast::Off {
            let random = rng.next_u64();
            // The rotation tested first, by itself: a direct branch rather than the jump
            // table of the match below.
            if self.fast == Fast::Rotate {
                let i = self.fast_rotation.next();
                if let Some(host) = self.fast_host(i) {
                    return Some(HostId::new(host));
                }
            } else if self.fast == Fast::Ahead {
                // Its answer, host or none, is the pick's.
                return self.pick_made_ahead(plan, rng, 0, random);
            } else if let Some(host) = self.pick_fast(rng, random) {
                return Some(host);
            }
            self.store_rotation();
            return self.pick_general(plan, rng, random);
        }
        // Neither RING_HASH nor MAGLEV, which are never `Fast::Off` (see `Fast::Hashed`).
        let random = rng.next_u64();
        self.pick_general(plan, rng, random)
    }

    /// The fast path's pick other than the rotation (see [`Fast`]), `random` the value that
    /// chose the priority.
    #[inline(always)]
    fn pick_fast<R: Rng + ?Sized>(&mut self, rng: &mut R, random: u64) -> Option<HostId> {
        let i = match self.fast {
            Fast::Weighted => {
                return match self.weighted_ahead.next() {
                    Some(host) => Some(HostId::new(host)),
                    None => self.make_weighted_ahead(),
                };
            }
            Fast::Random(m) => m.reduce(random) as u32,
            Fast::Choices(m) => {
                let load = |host: u32| self.active.get(host as usize).copied().unwrap_or(0);
                let host = |value: u64| self.fast_host(m.reduce(value) as u32);
                return fewest_active(self.choice_count, rng, host, load).and_then(HostId::checked);
            }
            // The rotation and the picks made ahead are the caller's own branches.
            Fast::Rotate
            | Fast::Ahead
            | Fast::Off
            | Fast::Maglev(_)
            | Fast::Hash
            | Fast::Hashed => {
                return None;
            }
        };
        self.fast_host(i).map(HostId::new)
    }

    /// ROUND_ROBIN over unequal weights without a locality scheduler: the position in
    /// `priority`'s healthy list its EDF picks (under [`Fast::Weighted`], priority 0's picks
    /// are made ahead instead, [`WeightedAhead`]).
    #[inline(always)]
    fn pick_weighted(&mut self, plan: &Plan, priority: usize) -> Option<u32> {
        let state = self.priorities.get_mut(priority)?;
        let list = &state.healthy;
        pick_by_host_weight(&mut state.healthy_edf, plan.records(), |i| {
            list.host(i as usize).unwrap_or(0)
        })
    }

    /// Under [`Fast::Weighted`], the next run of picks made ahead: returns the first's host
    /// (`None` when the EDF has none, which the general path answers as well).
    #[inline(never)]
    fn make_weighted_ahead(&mut self) -> Option<HostId> {
        let sources = self.priorities.first_mut()?;
        let ahead = &mut self.weighted_ahead;
        let edf = &mut sources.healthy_edf;
        let made = positions_ahead(edf, WEIGHTED_AHEAD, &mut ahead.positions);
        let items = edf.items();
        let positions = ahead.positions.get(..made).unwrap_or_default();
        let hosts = ahead.hosts.get_mut(..made).unwrap_or_default();
        let at = |&k: &u32| items.get(k as usize).copied().unwrap_or(u32::MAX);
        match self.fast_first {
            Some(first) => {
                for (host, i) in hosts.iter_mut().zip(positions.iter().map(at)) {
                    *host = first.wrapping_add(i);
                }
            }
            None => {
                let list = &sources.healthy;
                for (host, i) in hosts.iter_mut().zip(positions.iter().map(at)) {
                    *host = list.host(i as usize).unwrap_or(u32::MAX);
                }
            }
        }
        // At most `WEIGHTED_AHEAD`.
        ahead.len = made as u32;
        ahead.next = 0;
        // `u32::MAX` (no host in the list) answers none.
        ahead.next().and_then(HostId::checked)
    }

    /// The `i`-th host of priority 0's healthy list, under the fast path.
    #[inline(always)]
    fn fast_host(&self, i: u32) -> Option<u32> {
        match self.fast_first {
            Some(first) => Some(first + i),
            None => self.priorities.first()?.healthy.host(i as usize),
        }
    }

    /// Gives every priority's lent list rotation back (see
    /// [`PrioritySources::give_back_list`]): the first step of every sync.
    fn give_back_lists(&mut self) {
        for sources in &mut self.priorities {
            sources.give_back_list();
        }
    }

    /// Turns the fast path off, handing its rotation back to priority 0's healthy source,
    /// where the general path and the next sync keep it (a sync decides the fast path anew).
    /// RING_HASH's and MAGLEV's stays: [`Fast::Hashed`] is their general path, and the general
    /// path of [`Fast::Off`] is the other policies' alone (it reads their lists, which a hash
    /// picker does not keep).
    fn store_rotation(&mut self) {
        if self.fast == Fast::Rotate
            && let Some(state) = self.priorities.first_mut()
        {
            self.fast_rotation.store(&mut state.healthy_source);
        }
        if !matches!(self.fast, Fast::Maglev(_) | Fast::Hash | Fast::Hashed) {
            self.fast = Fast::Off;
        }
    }

    /// A non-hash pick by the general path, `random` the value drawn for the priority: a pick
    /// made ahead where the point's route says so, the rest out of line ([`Picker::pick_routed`]).
    /// Inlined whole into [`Picker::pick`], the general path made the flat picks (which never
    /// take it) slower in the criterion benchmarks: at 1k hosts LEAST_REQUEST 7.9 → 11.3 ns,
    /// RING_HASH 4.7 → 5.4, MAGLEV 4.0 → 4.5; all out of line, zoned ROUND_ROBIN 11.0–13.1 →
    /// 12.0–13.5 ns.
    #[inline(always)]
    fn pick_general<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        random: u64,
    ) -> Option<HostId> {
        // The priority's choice and its checks, decided once a sync for each point.
        let at = (random % 100) as usize;
        let route = self.routes.get(at).copied().unwrap_or(ROUTE_GENERAL);
        if route < SPANS_ROUTE {
            return self.pick_made_ahead(plan, rng, usize::from(route), random);
        }
        if route < LOCALITY_ROUTE {
            return self.pick_spanned(plan, rng, usize::from(route - SPANS_ROUTE), random);
        }
        if (LIST_ROUTE..ROUTE_GENERAL).contains(&route) {
            return self.pick_list(plan, rng, usize::from(route - LIST_ROUTE), random);
        }
        self.pick_routed(plan, rng, random, at, route)
    }

    /// [`Picker::pick_general`] for point `at` when its route is not to a pick made ahead:
    /// not decided yet, to a locality scheduler, or to the general path.
    #[inline(never)]
    fn pick_routed<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        random: u64,
        at: usize,
        mut route: u16,
    ) -> Option<HostId> {
        if route == ROUTE_UNKNOWN {
            route = self.decide_route(plan, at);
        }
        if route != ROUTE_GENERAL {
            return match route_parts(route) {
                (MADE_AHEAD, priority) => self.pick_made_ahead(plan, rng, priority, random),
                (LIST, priority) => self.pick_list(plan, rng, priority, random),
                (_, priority) => self.pick_locality(plan, rng, priority, random),
            };
        }
        // The general path: every healthy priority's list without a locality scheduler has a
        // route of its own (`LIST_ROUTE`, but LEAST_REQUEST over unequal weights), so what
        // comes here goes through `pick_in`, which the tests compare the routes with.
        let (priority, availability) = plan.choose_priority(random)?;
        if availability == Availability::Healthy
            && !plan.priorities()[priority].panic
            && self.priorities[priority].locality_healthy_scheduler.on
        {
            return self.pick_locality(plan, rng, priority, random);
        }
        self.pick_slow(plan, rng, priority, availability, random)
    }

    /// Healthy traffic of a priority not in panic whose locality scheduler is on: the
    /// scheduler chooses the locality (`chooseHealthyLocality`), then the policy the host in
    /// the locality's healthy list, read here without going through [`SourceKind`] when the
    /// locality's hosts have equal weights (or under RANDOM, which ignores them).
    #[inline(always)]
    fn pick_locality<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        random: u64,
    ) -> Option<HostId> {
        let state = &mut self.priorities[priority];
        // Fixed weights: the scheduler holds their inverses and never asks for one.
        let weight = |l: u32| plan.locality_weight(priority, l, Availability::Healthy);
        // Picks made ahead where they pay (see `PrioritySources::make_spans_ahead`); otherwise
        // none were made since the last rebuild.
        let scheduler = &mut state.locality_healthy_scheduler;
        match scheduler.made_ahead(self.policy) {
            MADE_AHEAD => return self.pick_made_ahead(plan, rng, priority, random),
            SPANS => return self.pick_spanned(plan, rng, priority, random),
            _ => {}
        }
        debug_assert!(
            scheduler.ahead_next >= scheduler.ahead_len,
            "picks made ahead"
        );
        let Some(l) = scheduler.edf.pick_and_add(weight) else {
            // No locality of positive weight: the priority's healthy list serves.
            return self.pick_in(plan, rng, priority, SourceKind::Healthy, random);
        };
        let (Some(range), Some(source)) = (
            state.locality_healthy.get(l as usize),
            state.locality_healthy_sources.get_mut(l as usize),
        ) else {
            return None;
        };
        if source.weighted && self.policy == LbPolicy::RoundRobin {
            return Self::pick_weighted_in(plan, state, l, range.clone());
        }
        if source.weighted && self.policy != LbPolicy::Random {
            return self.pick_in(plan, rng, priority, SourceKind::LocalityHealthy(l), random);
        }
        let list = state.healthy.group(range);
        if self.policy == LbPolicy::RoundRobin {
            let n = list.len() as u32;
            if n == 0 {
                return None;
            }
            let i = source.next_rr(n);
            return list.get(i as usize).and_then(|&h| HostId::checked(h));
        }
        // RANDOM or LEAST_REQUEST in the locality's list (none when it is empty).
        let i = sample(
            self.policy,
            self.choice_count,
            &self.active,
            list,
            rng,
            random,
        )?;
        list.get(i as usize).and_then(|&h| HostId::checked(h))
    }

    /// ROUND_ROBIN over unequal host weights in locality `l` of `state`'s priority, whose
    /// healthy hosts are at `range` (chosen by the locality scheduler): the locality's EDF over
    /// its hosts' weights, fixed until the next sync (it never asks for one), one request at a
    /// time. A scheduler that makes its picks ahead (ROUND_ROBIN's always does, see
    /// [`PrioritySources::make_weighted_hosts_ahead`]) never comes here; the tests pick with
    /// its schedulers made to pick one by one, through here, and compare. Out of line: inlined
    /// into `pick`, it made the flat ROUND_ROBIN and MAGLEV picks 60–70 % slower in the
    /// criterion benchmarks.
    #[inline(never)]
    fn pick_weighted_in(
        plan: &Plan,
        state: &mut PrioritySources,
        l: u32,
        range: Range<u32>,
    ) -> Option<HostId> {
        let list = state.healthy.group(&range);
        let edf = state.locality_healthy_edfs.get_mut(l as usize)?;
        let i = pick_by_host_weight(edf, plan.records(), |i| {
            list.get(i as usize).copied().unwrap_or(0)
        })?;
        list.get(i as usize).and_then(|&h| HostId::checked(h))
    }

    /// Healthy RANDOM or LEAST_REQUEST traffic of `priority`, not in panic, whose locality
    /// scheduler makes its picks ahead with their locality lists: the next list, sampled.
    ///
    /// Its own route ([`SPANS`]), where these picks went through [`Picker::pick_routed`]
    /// (its route, policy and scheduler checks, and the registers it saves for the general
    /// path): zoned RANDOM 9.6 → 8.5 ns at 10k, 8.5 → 7.5 at 1k, LEAST_REQUEST 12.5 → 11.7 at
    /// 10k (loop binary on the Xeon, best of 5 × 1M picks, interleaved).
    #[inline(always)]
    fn pick_spanned<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        random: u64,
    ) -> Option<HostId> {
        if self.pair {
            self.pick_spanned_pair(plan, rng, priority, random)
        } else if self.policy == LbPolicy::Random {
            self.pick_spanned_random(plan, rng, priority, random)
        } else {
            self.pick_sampled(plan, rng, priority, random)
        }
    }

    /// [`Picker::pick_spanned`] under LEAST_REQUEST of two choices (Envoy's default): two
    /// samples `r % n` in the next list made ahead, the one with fewer active requests
    /// ([`fewest_active`]'s pair), inlined into the pick while a list is left.
    ///
    /// Through [`Picker::pick_sampled`], the pick saved six registers and chose the policy
    /// through a jump table: zoned LEAST_REQUEST at 10k, 213 → 189 instructions a pick
    /// (callgrind, less set-up; 186 with the comparison written out here rather than taken
    /// from `fewest_active`, within noise in time); 11.9 → 11.4 ns at 1k, 12.9 → 12.6 at
    /// 10k, 14.3 → 14.1 at 100k (loop binary, best of 5 × 1M picks, interleaved). Per-locality reciprocals in
    /// place of the divisions (`Modulus`) were slower again (12.2 / 14.9 ns at 1k / 100k).
    ///
    /// The two values are drawn before the run's position moves ([`Drawn`]): with no store
    /// between the priority's draw and theirs, the compiler keeps the generator's state in
    /// registers from one to the next, where the position's store made it reload the state
    /// (a benchmark's generator, whose address the out-of-line paths take, lives in memory).
    /// At 10k, 190.3 → 184.3 M instructions for 1M picks and set-up (callgrind); 11.09 /
    /// 11.81 / 12.41 → 10.99 / 11.75 / 12.33 ns at 1k / 10k / 100k (loop binary on the Zen 3,
    /// least of 5 × 200 × 100k picks, interleaved).
    #[inline(always)]
    fn pick_spanned_pair<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        random: u64,
    ) -> Option<HostId> {
        let state = self.priorities.get_mut(priority)?;
        let scheduler = &mut state.locality_healthy_scheduler;
        let Some(k) = scheduler.made_left() else {
            return self.pick_sampled(plan, rng, priority, random);
        };
        let mut drawn = Drawn::pair(rng);
        let (first, n) = scheduler.take_span(k);
        // Two choices: `fewest_active`'s pair, its count known here.
        if scheduler.consecutive {
            return fewest_active_in_run(2, &mut drawn, first, n, &self.active)
                .and_then(HostId::checked);
        }
        let list = state.healthy.span(first, n)?;
        fewest_active_host(2, &mut drawn, list, &self.active).and_then(HostId::checked)
    }

    /// Healthy traffic of `priority`, not in panic, that the policy picks from the priority's
    /// whole healthy list (see [`LIST_ROUTE`]): RANDOM's `random % n`, LEAST_REQUEST's
    /// samples (equal weights), ROUND_ROBIN's rotation or, over unequal weights, the list's
    /// EDF; `None` when the list is empty. A lone locality's scheduler is not stepped: every
    /// pick of it is the same, and nothing reads a scheduler's state but its picks until the
    /// next sync restarts it (as [`Edf::pick_one_burst`] leaves a lone burst's deadline).
    #[inline(always)]
    fn pick_list<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        random: u64,
    ) -> Option<HostId> {
        if self.policy == LbPolicy::RoundRobin {
            return self.pick_list_rotation(plan, priority);
        }
        let sources = self.priorities.get(priority)?;
        let list: &[u32] = &sources.healthy;
        // An empty list draws nothing, as `sample`'s.
        let n = core::num::NonZeroU64::new(list.len() as u64)?;
        let host = if self.policy == LbPolicy::Random {
            // RANDOM's `hosts[r % n]` with the value that chose the priority (random_lb.cc).
            list.get((random % n) as usize).copied()
        } else if self.choice_count == 2 && sources.consecutive {
            // A list's length is a host count: it fits a `u32`.
            fewest_active_in_run(2, rng, *list.first()?, n.get() as u32, &self.active)
        } else {
            fewest_active_host(self.choice_count, rng, list, &self.active)
        };
        host.map(HostId::new)
    }

    /// [`Picker::pick_list`] under ROUND_ROBIN (a priority without a locality scheduler): the
    /// rotation over the list (`hosts[index++ % n]`), or its EDF over unequal weights (out of
    /// line). The rotation's picks are made ahead instead
    /// ([`PrioritySources::make_list_ahead`]) but where the tests pick one by one.
    #[inline(always)]
    fn pick_list_rotation(&mut self, plan: &Plan, priority: usize) -> Option<HostId> {
        let state = self.priorities.get_mut(priority)?;
        if state.healthy_source.weighted {
            return self.pick_list_weighted(plan, priority);
        }
        let n = u32::try_from(state.healthy.len()).ok().filter(|&n| n > 0)?;
        let i = state.healthy_source.next_rr(n);
        state.healthy.host(i as usize).map(HostId::new)
    }

    /// [`Picker::pick_list_rotation`] over unequal weights: the list's EDF.
    #[inline(never)]
    fn pick_list_weighted(&mut self, plan: &Plan, priority: usize) -> Option<HostId> {
        let i = self.pick_weighted(plan, priority)?;
        let state = self.priorities.get(priority)?;
        state.healthy.host(i as usize).map(HostId::new)
    }

    /// [`Picker::pick_spanned`] under RANDOM: `random % n` in the next list made ahead, a
    /// function without calls while one is left (the run's next, and the priority's list
    /// when there is none, are [`Picker::pick_sampled`]'s), so that it saves no registers:
    /// the general one pushed and popped six a pick for LEAST_REQUEST's two draws, and
    /// chose the policy through a jump table. Zoned RANDOM at 10k: 183.3 → 158.5
    /// instructions a pick (callgrind, less set-up), 9.1–10.0 → 8.4–9.3 ns at 1k–100k (loop
    /// binary).
    #[inline(never)]
    fn pick_spanned_random<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        random: u64,
    ) -> Option<HostId> {
        let state = self.priorities.get_mut(priority)?;
        let scheduler = &mut state.locality_healthy_scheduler;
        let Some((first, n)) = scheduler.next_span() else {
            return self.pick_sampled(plan, rng, priority, random);
        };
        // RANDOM's `hosts[r % n]` (random_lb.cc), none in an empty list.
        let i = random.checked_rem(u64::from(n))? as u32;
        if scheduler.consecutive {
            // Below `first + n`, a host index: no overflow.
            return HostId::checked(first + i);
        }
        let list = state.healthy.span(first, n)?;
        list.get(i as usize).and_then(|&h| HostId::checked(h))
    }

    /// [`Picker::pick_spanned`] under LEAST_REQUEST (and RANDOM when no list is left).
    #[inline(never)]
    fn pick_sampled<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        random: u64,
    ) -> Option<HostId> {
        let state = self.priorities.get_mut(priority)?;
        let span = match state.locality_healthy_scheduler.next_span() {
            Some(span) => Some(span),
            None => state.make_spans_ahead(),
        };
        let Some((first, n)) = span else {
            // No locality of positive weight: the priority's healthy list serves.
            return self.pick_in(plan, rng, priority, SourceKind::Healthy, random);
        };
        let scheduler = &state.locality_healthy_scheduler;
        if scheduler.consecutive {
            // The list's position `i` is host `first + i`, which fits a `u32` (a host index).
            let host = |i: u64| first + i as u32;
            let (policy, choices) = (self.policy, self.choice_count);
            let i = sample_at(policy, choices, &self.active, n as usize, host, rng, random)?;
            return HostId::checked(first + i);
        }
        let list = state.healthy.span(first, n)?;
        let i = sample(
            self.policy,
            self.choice_count,
            &self.active,
            list,
            rng,
            random,
        )?;
        list.get(i as usize).and_then(|&h| HostId::checked(h))
    }

    /// Healthy ROUND_ROBIN traffic of `priority`, not in panic, whose locality scheduler makes
    /// its picks ahead with their hosts, or that has no locality scheduler and equal weights
    /// (its list's rotation made ahead): the next of them.
    #[inline(always)]
    fn pick_made_ahead<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        random: u64,
    ) -> Option<HostId> {
        let state = self.priorities.get_mut(priority)?;
        let host = match state.locality_healthy_scheduler.next_ahead_host() {
            Some(host) => Some(host),
            None => state.make_hosts_ahead(),
        };
        match host {
            // `u32::MAX` (the locality's list was empty) answers none.
            Some(host) => HostId::checked(host),
            // No locality of positive weight: the priority's healthy list serves.
            None => self.pick_in(plan, rng, priority, SourceKind::Healthy, random),
        }
    }

    #[inline(never)]
    fn pick_slow<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        availability: Availability,
        random: u64,
    ) -> Option<HostId> {
        let kind = self.source_kind(plan, priority, availability);
        self.pick_in(plan, rng, priority, kind, random)
    }

    /// Records that a request to `host` started (least request counts active requests).
    pub fn request_started(&mut self, host: HostId) {
        if let Some(a) = self.active.get_mut(host.index()) {
            *a = a.saturating_add(1);
        }
    }

    /// Records that a request to `host` finished.
    pub fn request_finished(&mut self, host: HostId) {
        if let Some(a) = self.active.get_mut(host.index()) {
            *a = a.saturating_sub(1);
        }
    }

    /// Active requests on `host`, as reported.
    #[must_use]
    pub fn active_requests(&self, host: HostId) -> u32 {
        self.active.get(host.index()).copied().unwrap_or(0)
    }

    fn source_kind(
        &mut self,
        plan: &Plan,
        priority: usize,
        availability: Availability,
    ) -> SourceKind {
        if plan.priorities()[priority].panic {
            return SourceKind::All;
        }
        let state = &mut self.priorities[priority];
        let scheduler = match availability {
            Availability::Degraded => &mut state.locality_degraded_scheduler,
            _ => &mut state.locality_healthy_scheduler,
        };
        let degraded = availability == Availability::Degraded;
        let weight = |l: u32| plan.locality_weight(priority, l, availability);
        if let Some(locality) = scheduler.pick(weight) {
            return if degraded {
                SourceKind::LocalityDegraded(locality)
            } else {
                SourceKind::LocalityHealthy(locality)
            };
        }
        if availability == Availability::Degraded {
            SourceKind::Degraded
        } else {
            SourceKind::Healthy
        }
    }

    fn pick_in<R: Rng + ?Sized>(
        &mut self,
        plan: &Plan,
        rng: &mut R,
        priority: usize,
        kind: SourceKind,
        random: u64,
    ) -> Option<HostId> {
        let all_range = plan.priorities()[priority].hosts.clone();
        let state = &mut self.priorities[priority];
        // A locality's EDF exists only where its priority's weights differ (see `sync`), and a
        // source is weighted only then.
        let (list, source, edf): (HostList<'_>, &mut Source, Option<&mut Edf>) = match kind {
            SourceKind::All => (
                HostList::Range(all_range),
                &mut state.all,
                Some(&mut state.all_edf),
            ),
            SourceKind::Healthy => (
                HostList::Slice(&state.healthy),
                &mut state.healthy_source,
                Some(&mut state.healthy_edf),
            ),
            SourceKind::Degraded => (
                HostList::Slice(&state.degraded),
                &mut state.degraded_source,
                Some(&mut state.degraded_edf),
            ),
            SourceKind::LocalityHealthy(l) => {
                let r = state.locality_healthy[l as usize].clone();
                (
                    HostList::Slice(state.healthy.group(&r)),
                    &mut state.locality_healthy_sources[l as usize],
                    state.locality_healthy_edfs.get_mut(l as usize),
                )
            }
            SourceKind::LocalityDegraded(l) => {
                let r = state.locality_degraded[l as usize].clone();
                (
                    HostList::Slice(state.degraded.group(&r)),
                    &mut state.locality_degraded_sources[l as usize],
                    state.locality_degraded_edfs.get_mut(l as usize),
                )
            }
        };
        let edf = if source.weighted { edf } else { None };
        debug_assert!(
            edf.is_some() || !source.weighted,
            "a weighted list without its EDF"
        );
        let n = list.len();
        if n == 0 {
            return None;
        }
        let hosts = plan.records();
        let index = match self.policy {
            LbPolicy::Random => (random % u64::from(n)) as u32,
            LbPolicy::RoundRobin => match edf {
                Some(edf) => pick_by_host_weight(edf, hosts, |i| list.get(i))?,
                None => source.next_rr(n),
            },
            LbPolicy::LeastRequest => match edf {
                Some(edf) => {
                    let (active, bias) = (&self.active, self.bias);
                    edf.pick_and_add(|i| {
                        let host = list.get(i);
                        least_request_weight(
                            hosts[host as usize].weight,
                            active[host as usize],
                            bias,
                        )
                    })?
                }
                None => {
                    let position = |value: u64| Some((value % u64::from(n)) as u32);
                    let active = &self.active;
                    let load = |i: u32| active.get(list.get(i) as usize).copied().unwrap_or(0);
                    fewest_active(self.choice_count, rng, position, load)?
                }
            },
            LbPolicy::RingHash | LbPolicy::Maglev => return None,
        };
        Some(HostId::new(list.get(index)))
    }

    /// Rebuilds the host lists and schedulers from `plan`, keeping round-robin positions.
    /// Every buffer is first given room for the most it can hold under this plan's shape (all
    /// hosts of its priority or locality), so later resyncs over the same shape allocate nothing.
    #[cold]
    #[inline(never)]
    fn sync(&mut self, plan: &Plan) {
        self.give_back_lists();
        self.store_rotation();
        if self.sync_last_batch(plan) {
            return;
        }
        self.identity = plan.identity();
        let config = plan.config();
        self.policy = config.policy;
        self.choice_count = config.least_request.choice_count;
        self.pair = self.policy == LbPolicy::LeastRequest && self.choice_count == 2;
        self.bias = config.least_request.active_request_bias;
        let locality_weighted = config.locality_weighted;
        self.active.resize(plan.host_count(), 0);
        self.fast = Fast::Off;
        self.fast_first = None;
        if self.policy.is_hash_based() {
            let first = plan.priorities().first();
            let slots = plan.first_maglev_slots().map_or(0, <[u32]>::len) as u64;
            let carries_all = first.is_some_and(|s| s.healthy_load == 100);
            self.fast = if !carries_all {
                Fast::Hashed
            } else if self.policy == LbPolicy::Maglev && slots > 0 {
                Fast::Maglev(Modulus::new(slots))
            } else {
                Fast::Hash
            };
            return;
        }
        let priorities = plan.priorities();
        let seed = self.seed;
        self.priorities
            .resize_with(priorities.len(), || PrioritySources::new(seed));
        let weighted_rr =
            self.policy == LbPolicy::RoundRobin || self.policy == LbPolicy::LeastRequest;
        let most_groups = priorities
            .iter()
            .map(|s| s.localities.len())
            .max()
            .unwrap_or(0);
        // For the locality schedulers; for EDFs over hosts, the priorities that keep them
        // (see `weights_differ`) reserve it below.
        self.scratch.reserve(most_groups);
        reserve_to(&mut self.positive, most_groups);
        let Self {
            active,
            bias,
            policy,
            scratch,
            positive,
            priorities: all_sources,
            ..
        } = self;
        let (active, bias, policy) = (&*active, *bias, *policy);
        for (p, (state, sources)) in priorities.iter().zip(all_sources.iter_mut()).enumerate() {
            let priority_hosts = state.hosts.len();
            sources.healthy.reset(priority_hosts);
            sources.degraded.reset(priority_hosts);
            sources.locality_healthy.clear();
            sources.locality_degraded.clear();
            let groups =
                &plan.localities()[state.localities.start as usize..state.localities.end as usize];
            reserve_to(&mut sources.locality_healthy, groups.len());
            reserve_to(&mut sources.locality_degraded, groups.len());
            for group in groups {
                let (h0, d0) = (sources.healthy.len() as u32, sources.degraded.len() as u32);
                for id in group.hosts.clone() {
                    match plan.records()[id as usize].availability() {
                        Availability::Healthy => sources.healthy.push(id),
                        Availability::Degraded => sources.degraded.push(id),
                        Availability::Unavailable => {}
                    }
                }
                sources
                    .locality_healthy
                    .push(h0..sources.healthy.len() as u32);
                sources
                    .locality_degraded
                    .push(d0..sources.degraded.len() as u32);
            }
            sources
                .locality_healthy_sources
                .resize_with(groups.len(), || Source::new(seed));
            sources
                .locality_degraded_sources
                .resize_with(groups.len(), || Source::new(seed));
            if weighted_rr && weights_differ(plan, state) {
                // Round robin's weights are the hosts' own until the next rebuild; least
                // request's follow the requests in flight.
                let fixed = policy == LbPolicy::RoundRobin;
                let edf_weights = if fixed {
                    Weights::Fixed
                } else {
                    Weights::Varying
                };
                scratch.reserve(priority_hosts);
                for edf in [
                    &mut sources.all_edf,
                    &mut sources.healthy_edf,
                    &mut sources.degraded_edf,
                ] {
                    edf.reserve(priority_hosts, edf_weights);
                }
                let hosts = plan.records();
                let weight = |host: u32| -> f64 {
                    let w = hosts[host as usize].weight;
                    if policy == LbPolicy::LeastRequest {
                        least_request_weight(w, active[host as usize], bias)
                    } else {
                        f64::from(w)
                    }
                };
                let refresh = |source: (&mut Source, &mut Edf),
                               list: &HostList<'_>,
                               scratch: &mut EdfScratch| {
                    refresh_source(source, list, hosts, seed, &weight, fixed, scratch);
                };
                let all = HostList::Range(state.hosts.clone());
                refresh((&mut sources.all, &mut sources.all_edf), &all, scratch);
                let healthy = HostList::Slice(&sources.healthy);
                let source = (&mut sources.healthy_source, &mut sources.healthy_edf);
                refresh(source, &healthy, scratch);
                let degraded = HostList::Slice(&sources.degraded);
                let source = (&mut sources.degraded_source, &mut sources.degraded_edf);
                refresh(source, &degraded, scratch);
                // The localities' lists are picked from only through a locality scheduler.
                if locality_weighted {
                    sources
                        .locality_healthy_edfs
                        .resize_with(groups.len(), Edf::default);
                    sources
                        .locality_degraded_edfs
                        .resize_with(groups.len(), Edf::default);
                    for (l, group) in groups.iter().enumerate() {
                        let n = group.hosts.len();
                        sources.locality_healthy_edfs[l].reserve(n, edf_weights);
                        sources.locality_degraded_edfs[l].reserve(n, edf_weights);
                    }
                    let kinds = [
                        (
                            &sources.healthy,
                            &sources.locality_healthy,
                            &mut sources.locality_healthy_sources,
                            &mut sources.locality_healthy_edfs,
                        ),
                        (
                            &sources.degraded,
                            &sources.locality_degraded,
                            &mut sources.locality_degraded_sources,
                            &mut sources.locality_degraded_edfs,
                        ),
                    ];
                    for (row, ranges, rotations, edfs) in kinds {
                        let each = ranges.iter().zip(rotations.iter_mut().zip(edfs));
                        for (r, (source, edf)) in each {
                            refresh((source, edf), &HostList::Slice(row.group(r)), scratch);
                        }
                    }
                } else {
                    unweighted(sources.locality_healthy_sources.iter_mut());
                    unweighted(sources.locality_degraded_sources.iter_mut());
                }
            } else {
                // Equal weights (or RANDOM, which ignores them): no list is weighted, and no
                // EDF over hosts is kept (the localities' are not even sized).
                unweighted([
                    &mut sources.all,
                    &mut sources.healthy_source,
                    &mut sources.degraded_source,
                ]);
                unweighted(sources.locality_healthy_sources.iter_mut());
                unweighted(sources.locality_degraded_sources.iter_mut());
            }
            sources.uniform = !weighted_rr || !sources.all.weighted;
            rebuild_schedulers(plan, p, sources, seed, positive, scratch);
        }
        self.choose_fast(plan);
    }

    /// Catches up with one [`Plan::update`] batch of health changes, when the lists are those
    /// of the plan just before it: refreshes the lists of the locality groups the batch
    /// touched, rebuilds the locality schedulers of their priorities and restarts every other
    /// scheduler from its fresh copy, which leaves the picker as [`Picker::sync`]'s full
    /// rebuild would (same lists, same schedulers, round-robin positions kept). Returns
    /// `false`, having changed nothing, when that does not apply: the picker is further
    /// behind, a weight changed, or a priority has unequal weights (its weighted sources
    /// restart from a rebuild).
    fn sync_last_batch(&mut self, plan: &Plan) -> bool {
        self.give_back_lists();
        self.store_rotation();
        let last = plan.last_batch();
        if self.identity == 0
            || last.before != Some(self.identity)
            || last.weights
            || self.policy.is_hash_based()
            || self.priorities.len() != plan.priorities().len()
            || self.active.len() != plan.host_count()
            || self.priorities.iter().any(|s| !s.uniform)
        {
            return false;
        }
        let (localities, hosts) = (plan.localities(), plan.records());
        let mut touched = [false; 2];
        let mut many = false;
        for l in last.localities() {
            let Some(group) = localities.get(l as usize) else {
                return false;
            };
            let p = group.priority as usize;
            let (Some(state), Some(sources)) =
                (plan.priorities().get(p), self.priorities.get_mut(p))
            else {
                return false;
            };
            let k = (l - state.localities.start) as usize;
            for degraded in [false, true] {
                let want = if degraded {
                    Availability::Degraded
                } else {
                    Availability::Healthy
                };
                let (list, ranges) = if degraded {
                    (&mut sources.degraded, &mut sources.locality_degraded)
                } else {
                    (&mut sources.healthy, &mut sources.locality_healthy)
                };
                let in_group = |&&id: &&u32| group.hosts.contains(&id);
                let moved = !last.many_hosts
                    && last.hosts.iter().filter(in_group).all(|&id| {
                        let belongs = hosts[id as usize].availability() == want;
                        move_host(list, ranges, k, id, belongs)
                    });
                if !moved {
                    let members = group
                        .hosts
                        .clone()
                        .filter(|&id| hosts[id as usize].availability() == want);
                    if !replace_group(list, ranges, k, members) {
                        return false;
                    }
                }
            }
            // Remember up to two touched priorities without allocating; more: all of them.
            match p {
                0 => touched[0] = true,
                1 => touched[1] = true,
                _ => many = true,
            }
        }
        self.identity = plan.identity();
        let Self {
            priorities: all_sources,
            positive,
            scratch,
            seed,
            ..
        } = self;
        for (p, sources) in all_sources.iter_mut().enumerate() {
            if many || touched.get(p).copied().unwrap_or(false) {
                rebuild_schedulers(plan, p, sources, *seed, positive, scratch);
            } else {
                // Their lists did not change: lent rotations stay lent.
                for slot in [
                    &mut sources.locality_healthy_scheduler,
                    &mut sources.locality_degraded_scheduler,
                ] {
                    if slot.on {
                        slot.restart();
                    }
                }
            }
        }
        self.choose_fast(plan);
        true
    }

    /// Decides the route of point `at` (see `routes`) for `plan`, with which the lists and
    /// schedulers are in sync, and keeps it until the next sync.
    #[cold]
    #[inline(never)]
    fn decide_route(&mut self, plan: &Plan, at: usize) -> u16 {
        let route = match plan.choose_priority(at as u64) {
            Some((p, Availability::Healthy)) if !self.policy.is_hash_based() => {
                let scheduler = self
                    .priorities
                    .get(p)
                    .map(|sources| &sources.locality_healthy_scheduler);
                let in_panic = plan.priorities().get(p).is_none_or(|state| state.panic);
                let sources = self.priorities.get(p);
                match scheduler {
                    Some(scheduler) if scheduler.on && !in_panic => {
                        let made = match scheduler.made_ahead(self.policy) {
                            SPANS if sources.is_some_and(is_lone) => LIST,
                            made => made,
                        };
                        route_to(p, made).unwrap_or(ROUTE_GENERAL)
                    }
                    // No locality scheduler: the list, but for LEAST_REQUEST over unequal
                    // weights (re-read at each pick: the general path); ROUND_ROBIN's
                    // rotation or EDF makes its picks ahead (see
                    // `PrioritySources::make_list_ahead`).
                    Some(scheduler) if !in_panic => {
                        let weighted = sources.is_some_and(|s| s.healthy_source.weighted);
                        let made = match (self.policy, weighted) {
                            (LbPolicy::LeastRequest, true) => None,
                            (LbPolicy::RoundRobin, _)
                                if scheduler.made_ahead(self.policy) == MADE_AHEAD =>
                            {
                                Some(MADE_AHEAD)
                            }
                            _ => Some(LIST),
                        };
                        made.and_then(|made| route_to(p, made))
                            .unwrap_or(ROUTE_GENERAL)
                    }
                    _ => ROUTE_GENERAL,
                }
            }
            _ => ROUTE_GENERAL,
        };
        if let Some(slot) = self.routes.get_mut(at) {
            *slot = route;
        }
        route
    }

    /// Decides the fast path for `plan` (see [`Fast`]), and forgets the routes (see
    /// `routes`); the lists are in sync with it.
    fn choose_fast(&mut self, plan: &Plan) {
        self.routes = [ROUTE_UNKNOWN; 100];
        self.weighted_ahead.drop_ahead();
        for sources in &mut self.priorities {
            sources.consecutive = is_consecutive(&sources.healthy);
        }
        let (Some(state), Some(sources)) = (plan.priorities().first(), self.priorities.first())
        else {
            return;
        };
        let n = sources.healthy.len();
        if state.healthy_load != 100 || state.panic || n == 0 {
            return;
        }
        let scheduler = &sources.locality_healthy_scheduler;
        if scheduler.on {
            match scheduler.made_ahead(self.policy) {
                MADE_AHEAD => {
                    self.fast = Fast::Ahead;
                    return;
                }
                // One locality whose list is the priority's (see `LIST_ROUTE`): every pick is
                // the policy's over the list, as without a scheduler (below).
                SPANS if is_lone(sources) => {}
                _ => return,
            }
        }
        let modulus = Modulus::new(n as u64);
        self.fast = match (self.policy, sources.healthy_source.weighted) {
            (LbPolicy::RoundRobin, false) => Fast::Rotate,
            (LbPolicy::RoundRobin, true) => Fast::Weighted,
            // RANDOM ignores weights.
            (LbPolicy::Random, _) => Fast::Random(modulus),
            (LbPolicy::LeastRequest, false) => Fast::Choices(modulus),
            // Weighted least request re-reads each weight at its pick: the general path.
            (LbPolicy::LeastRequest, true) => return,
            // Never here: `sync` decides RING_HASH's and MAGLEV's fast path itself, before.
            (LbPolicy::RingHash | LbPolicy::Maglev, _) => return,
        };
        // Hosts `first..first + n`: the list's `i`-th host is `first + i`.
        self.fast_first = sources
            .consecutive
            .then(|| sources.healthy.first().copied())
            .flatten();
        if self.fast == Fast::Rotate {
            self.fast_rotation = Lap::from_source(&sources.healthy_source, n as u32, 0);
        }
    }
}

/// Whether `sources`' healthy locality scheduler holds one locality whose healthy list is the
/// priority's whole healthy list (see [`LIST_ROUTE`]).
fn is_lone(sources: &PrioritySources) -> bool {
    let [l] = sources.locality_healthy_scheduler.edf.items() else {
        return false;
    };
    sources.locality_healthy.get(*l as usize).is_some_and(|r| {
        let whole = (sources.healthy.start, sources.healthy.buf.len());
        r.end > r.start && (r.start as usize, r.end as usize) == whole
    })
}

/// Rebuilds the locality schedulers of priority `p`: EDF over the effective weights, localities
/// of weight 0 left out (Envoy gives `createWithPicks` only the localities with weight > 0),
/// each started at the worker's seed; keeps a fresh copy of each.
fn rebuild_schedulers(
    plan: &Plan,
    p: usize,
    sources: &mut PrioritySources,
    seed: u64,
    positive: &mut Vec<(u32, f64)>,
    scratch: &mut EdfScratch,
) {
    let Some(state) = plan.priorities().get(p) else {
        return;
    };
    let groups = &plan.localities()[state.localities.start as usize..state.localities.end as usize];
    // Picks made ahead where the host's pick does not follow the requests in flight (see
    // `PrioritySources::make_spans_ahead`): equal host weights (RANDOM's sources are never
    // weighted, so `uniform` holds under it), or ROUND_ROBIN's fixed ones (see
    // `PrioritySources::make_weighted_hosts_ahead`); not LEAST_REQUEST's over unequal weights.
    let policy = plan.config().policy;
    let batch = sources.uniform || policy == LbPolicy::RoundRobin;
    // ROUND_ROBIN over unequal weights: room for each weighted locality's run of picks.
    let host_runs = !sources.uniform && policy == LbPolicy::RoundRobin;
    for degraded in [false, true] {
        let (slot, ranges, rotations) = if degraded {
            (
                &mut sources.locality_degraded_scheduler,
                &sources.locality_degraded,
                &mut sources.locality_degraded_sources,
            )
        } else {
            (
                &mut sources.locality_healthy_scheduler,
                &sources.locality_healthy,
                &mut sources.locality_healthy_sources,
            )
        };
        let availability = if degraded {
            Availability::Degraded
        } else {
            Availability::Healthy
        };
        slot.batch = batch && !degraded;
        slot.drop_ahead();
        slot.edf.reserve(groups.len(), Weights::Fixed);
        slot.fresh.reserve(groups.len(), Weights::Fixed);
        reserve_to(&mut slot.lent, groups.len());
        reserve_to(&mut slot.span_firsts, groups.len() + LANES);
        reserve_to(&mut slot.span_lens, groups.len() + LANES);
        if host_runs && !degraded {
            reserve_to(&mut slot.host_runs, groups.len());
        }
        if !plan.uses_locality_scheduler(p, availability) {
            slot.give_back(rotations);
            slot.on = false;
            continue;
        }
        let weights: &dyn Fn(u32) -> f64 = &|i: u32| {
            let g = &groups[i as usize];
            if degraded {
                g.effective_degraded
            } else {
                g.effective_healthy
            }
        };
        slot.on = true;
        // A health change that leaves every effective weight as it was (a locality whose
        // overprovisioned availability stays at or above 100 %, the common case with Envoy's
        // factor of 1.4) leaves the rebuilt scheduler as the fresh copy: copy it.
        let same = slot.built.as_ref().is_some_and(|built| {
            built.len() == groups.len()
                && built
                    .iter()
                    .zip(0_u32..)
                    .all(|(&w, i)| w.to_bits() == weights(i).to_bits())
        });
        if same {
            // The same items: lent rotations stay lent (where the picks made ahead with their
            // hosts go on), following their lists.
            slot.restart();
            if slot.made_ahead(policy) == MADE_AHEAD {
                slot.refresh_lent(ranges, rotations);
            } else {
                slot.give_back(rotations);
            }
            continue;
        }
        slot.give_back(rotations);
        let built = slot.built.get_or_insert_with(Vec::new);
        built.clear();
        reserve_to(built, groups.len());
        built.extend((0..groups.len() as u32).map(weights));
        rebuild_locality_scheduler(
            &mut slot.edf,
            groups.len() as u32,
            weights,
            seed as u32,
            positive,
            scratch,
        );
        slot.fresh.copy_from(&slot.edf);
    }
}

/// Replaces the members of group `k` in `row` (`ranges[k]` each group's positions in its
/// buffer) with `members`, shifting the later groups. `false` when `row` has no room (it is
/// sized for every host of the priority, so only a plan of another shape runs out).
fn replace_group(
    row: &mut HostRow,
    ranges: &mut [Range<u32>],
    k: usize,
    members: impl Iterator<Item = u32> + Clone,
) -> bool {
    // Many hosts changed: the list at its buffer's front, then shifted as a vector.
    row.compact(ranges);
    let list = &mut row.buf;
    let Some(range) = ranges.get(k).cloned() else {
        return false;
    };
    let (start, end) = (range.start as usize, range.end as usize);
    let count = members.clone().count();
    let old_len = list.len();
    let new_len = old_len - (end - start) + count;
    if new_len > list.capacity() || end > old_len {
        return false;
    }
    let new_end = start + count;
    if new_end > end {
        list.resize(new_len, 0);
        list.copy_within(end..old_len, new_end);
    } else if new_end < end {
        list.copy_within(end..old_len, new_end);
        list.truncate(new_len);
    }
    for (slot, id) in list[start..new_end].iter_mut().zip(members) {
        *slot = id;
    }
    let shift = |x: u32| (x as usize + new_end - end) as u32;
    if let Some(r) = ranges.get_mut(k) {
        r.end = new_end as u32;
    }
    for r in ranges.iter_mut().skip(k + 1) {
        *r = shift(r.start)..shift(r.end);
    }
    true
}

/// Puts host `id` in or out (`belongs`) of group `k` of `row` (each group in host order,
/// `ranges[k]` its positions in the buffer), shifting the shorter side of the list: the groups
/// before `k` and the front of `k` by moving the list's start, or the rest of `k` and the
/// groups after it. What [`replace_group`] makes of the group when only `id` changed, without
/// reading the others. `false` when `row` has no room (a plan of another shape).
fn move_host(
    row: &mut HostRow,
    ranges: &mut [Range<u32>],
    k: usize,
    id: u32,
    belongs: bool,
) -> bool {
    let Some(range) = ranges.get(k).cloned() else {
        return false;
    };
    let (start, end) = (row.start, row.buf.len());
    let group = row.buf.get(range.start as usize..range.end as usize);
    let Some(group) = group.filter(|_| range.start as usize >= start) else {
        return false;
    };
    let found = group.binary_search(&id);
    // The host's position in the buffer (found), or where it goes.
    let at = range.start as usize + found.unwrap_or_else(|at| at);
    let front = at - start < (end - start) / 2;
    let step = |r: &mut Range<u32>, by: i64| {
        let moved = |x: u32| (i64::from(x) + by) as u32;
        *r = moved(r.start)..moved(r.end);
    };
    match (found, belongs) {
        (Ok(_), true) | (Err(_), false) => return true,
        (Err(_), true) if front && start > 0 => {
            // In at the front: the hosts before `at` move one back, into the room before.
            row.buf.copy_within(start..at, start - 1);
            row.start -= 1;
            if let Some(slot) = row.buf.get_mut(at - 1) {
                *slot = id;
            }
            ranges.iter_mut().take(k).for_each(|r| step(r, -1));
            if let Some(r) = ranges.get_mut(k) {
                r.start -= 1;
            }
        }
        (Err(_), true) => {
            if row.buf.len() == row.buf.capacity() {
                if start == 0 {
                    return false;
                }
                row.compact(ranges);
                return move_host(row, ranges, k, id, belongs);
            }
            row.buf.insert(at, id);
            if let Some(r) = ranges.get_mut(k) {
                r.end += 1;
            }
            ranges.iter_mut().skip(k + 1).for_each(|r| step(r, 1));
        }
        (Ok(_), false) if front => {
            // Out at the front: the hosts before `at` move one on, over it.
            row.buf.copy_within(start..at, start + 1);
            row.start += 1;
            ranges.iter_mut().take(k).for_each(|r| step(r, 1));
            if let Some(r) = ranges.get_mut(k) {
                r.start += 1;
            }
        }
        (Ok(_), false) => {
            row.buf.remove(at);
            if let Some(r) = ranges.get_mut(k) {
                r.end -= 1;
            }
            ranges.iter_mut().skip(k + 1).for_each(|r| step(r, -1));
        }
    }
    true
}

/// Two values drawn from a generator already, handed out again in the order they were drawn
/// (then again from the first: nothing asks for a third). A pick that must move its run's
/// position before it samples draws first and samples from these, so that no store comes
/// between its draws (see [`Picker::pick_spanned_pair`]); the sequence is the generator's.
struct Drawn {
    values: [u64; 2],
    next: usize,
}

impl Drawn {
    /// The next two values of `rng`.
    #[inline(always)]
    fn pair<R: Rng + ?Sized>(rng: &mut R) -> Self {
        let first = rng.next_u64();
        Self {
            values: [first, rng.next_u64()],
            next: 0,
        }
    }
}

impl Rng for Drawn {
    #[inline(always)]
    fn next_u64(&mut self) -> u64 {
        // The mask keeps the index in bounds: no check, no panic path.
        let value = self.values[self.next & 1];
        self.next += 1;
        value
    }
}

/// ROUND_ROBIN over unequal host weights: the next position `edf` picks in a list whose `i`-th
/// host is `host(i)`. The weights are the hosts' own, fixed until the next sync, so the EDF
/// holds their inverses and never asks for one; the closure is its contract's.
#[inline(always)]
fn pick_by_host_weight(
    edf: &mut Edf,
    records: &[crate::plan::Record],
    host: impl Fn(u32) -> u32,
) -> Option<u32> {
    edf.pick_and_add(|i| {
        records
            .get(host(i) as usize)
            .map_or(0.0, |h| f64::from(h.weight))
    })
}

/// Envoy's least-request choice over equal weights (least_request_lb.cc
/// `unweightedHostPick`): `choice_count` (at least 2) samples, each `sample(r)` of a value `r`
/// drawn from `rng` now, the first the candidate and each later one taking its place only with
/// strictly fewer active requests (`load`). Two choices, Envoy's default, are unrolled: both
/// values drawn before either sample is read, then one select (the RNG's state stored once: a
/// flat pick takes 114 instructions where the loop took 134, callgrind at 1k, 8.1 → 6.5 ns).
/// Which sample wins is a coin toss to the branch predictor: selects, not branches. `None`
/// when a sample is.
#[inline(always)]
fn fewest_active<R: Rng + ?Sized, T: Copy>(
    choice_count: u32,
    rng: &mut R,
    sample: impl Fn(u64) -> Option<T>,
    load: impl Fn(T) -> u32,
) -> Option<T> {
    use core::hint::select_unpredictable as select;
    if choice_count == 2 {
        let (first, second) = (rng.next_u64(), rng.next_u64());
        let (candidate, sampled) = (sample(first)?, sample(second)?);
        return Some(select(load(sampled) < load(candidate), sampled, candidate));
    }
    let mut best = sample(rng.next_u64())?;
    let mut best_load = load(best);
    for _ in 1..choice_count {
        let sampled = sample(rng.next_u64())?;
        let sampled_load = load(sampled);
        let fewer = sampled_load < best_load;
        best = select(fewer, sampled, best);
        best_load = select(fewer, sampled_load, best_load);
    }
    Some(best)
}

/// LEAST_REQUEST over equal weights in `list` (Envoy's `unweightedHostPick`): `choice_count`
/// samples `r % n`, the host with the fewest `active` requests (by host index), `None` for an
/// empty list. The samples are hosts, each read once from the list (where a position was read
/// again for its host once chosen, a load more on the way to the answer).
#[inline(always)]
fn fewest_active_host<R: Rng + ?Sized>(
    choice_count: u32,
    rng: &mut R,
    list: &[u32],
    active: &[u32],
) -> Option<u32> {
    // An empty list draws nothing, as `sample`'s.
    let n = core::num::NonZeroU64::new(list.len() as u64)?;
    let sample = |v: u64| list.get((v % n) as usize).copied();
    let load = |host: u32| active.get(host as usize).copied().unwrap_or(0);
    fewest_active(choice_count, rng, sample, load)
}

/// [`fewest_active_host`] over a list of consecutive host indices ([`is_consecutive`]), hosts
/// `first..first + n`: a sample's host is `first + r % n`, the list's first read once, beside
/// the draws, rather than the list once a sample between its division and its active count;
/// the run's active counts are sliced once, so a sample reads its count without a bounds
/// check (3 instructions a pick; `None` if they were short, which a picker's never are: one
/// count a host of the plan).
///
/// Zoned LEAST_REQUEST (150 localities), where the pick's chain ran from the division through
/// the list to the active count: 11.05 / 12.13 / 13.73 → 10.74 / 11.41 / 12.34 ns a pick at
/// 1k / 10k / 100k hosts (loop binary, best of 5 × 3 × 1M picks, interleaved). A priority's
/// whole list (`pick_list`, Istio's failover priorities) 8.15 / 8.32 / 9.93 → 8.44 / 8.33 /
/// 8.89 ns: at 1k, where the list is in the first-level cache, the flag's test costs more
/// than the load it saves (6 instructions a pick more, callgrind).
#[inline(always)]
fn fewest_active_in_run<R: Rng + ?Sized>(
    choice_count: u32,
    rng: &mut R,
    first: u32,
    n: u32,
    active: &[u32],
) -> Option<u32> {
    let n = core::num::NonZeroU64::new(u64::from(n))?;
    // The run's active counts (one a host), checked once: a sample is below `n`, its index.
    let (start, end) = (first as usize, first as usize + n.get() as usize);
    let run = active.get(start..end)?;
    let sample = |v: u64| Some((v % n) as usize);
    let load = |i: usize| run.get(i).copied().unwrap_or(0);
    // Below `first + n`, a host index: no overflow.
    fewest_active(choice_count, rng, sample, load).map(|i| first + i as u32)
}

/// Whether `list`, a host list in host order (ascending, no host twice, as every list of a
/// picker is built and moved), is a run of consecutive host indices, its `i`-th host its
/// first plus `i`: its last less its first is its length less one. Every list is while all
/// its hosts are healthy (Istio 1.30 sends ready endpoints alone by default), and so is the
/// healthy part of a locality whose unhealthy hosts are at either end.
fn is_consecutive(list: &[u32]) -> bool {
    debug_assert!(list.is_sorted_by(|a, b| a < b), "a list out of host order");
    match (list.first(), list.last()) {
        (Some(&first), Some(&last)) => last.wrapping_sub(first) as usize == list.len() - 1,
        _ => true,
    }
}

/// RANDOM's or LEAST_REQUEST's (equal weights) position in `list` (not empty), `random` the
/// value that chose the priority; `None` for an empty list or another policy (see
/// [`sample_at`]).
#[inline(always)]
fn sample<R: Rng + ?Sized>(
    policy: LbPolicy,
    choice_count: u32,
    active: &[u32],
    list: &[u32],
    rng: &mut R,
    random: u64,
) -> Option<u32> {
    let host = |i: u64| list.get(i as usize).copied().unwrap_or(0);
    sample_at(policy, choice_count, active, list.len(), host, rng, random)
}

/// RANDOM's or LEAST_REQUEST's (equal weights) position in a list of `n` hosts, `host(i)` its
/// `i`-th, `random` the value that chose the priority; `None` for an empty list or another
/// policy. RANDOM takes `random % n` (random_lb.cc); LEAST_REQUEST samples `r % n`
/// ([`fewest_active`], `active` by host index).
#[inline(always)]
fn sample_at<R: Rng + ?Sized>(
    policy: LbPolicy,
    choice_count: u32,
    active: &[u32],
    n: usize,
    host: impl Fn(u64) -> u32,
    rng: &mut R,
    random: u64,
) -> Option<u32> {
    let n = u64::try_from(n).ok().filter(|&n| n > 0)?;
    let load = |i: u64| active.get(host(i) as usize).copied().unwrap_or(0);
    let i = match policy {
        LbPolicy::Random => random % n,
        LbPolicy::LeastRequest => fewest_active(choice_count, rng, |v| Some(v % n), load)?,
        LbPolicy::RoundRobin | LbPolicy::RingHash | LbPolicy::Maglev => return None,
    };
    // Below `n`, which fits the list's u32 positions.
    Some(i as u32)
}

fn weights_differ(plan: &Plan, state: &PriorityState) -> bool {
    let hosts = plan
        .records()
        .get(state.hosts.start as usize..state.hosts.end as usize)
        .unwrap_or_default();
    hosts
        .first()
        .is_some_and(|first| hosts.iter().any(|h| h.weight != first.weight))
}

/// Marks `sources` unweighted: their lists are picked by rotation, RANDOM or P2C, never by an
/// EDF.
fn unweighted<'a>(sources: impl IntoIterator<Item = &'a mut Source>) {
    for source in sources {
        source.weighted = false;
    }
}

/// `weight / (active + 1)^bias`, Envoy's least-request EDF weight.
fn least_request_weight(weight: u32, active: u32, bias: f64) -> f64 {
    let value = f64::from(active) + 1.0;
    let w = f64::from(weight);
    if bias == 1.0 {
        w / value
    } else if bias == 0.0 {
        w
    } else {
        w / libm::pow(value, bias)
    }
}

/// Locality EDF over the localities with effective weight > 0. Entries keep their locality
/// index as the item; the EDF is built by adding the positive-weight ones in order and
/// emulating `picks` picks. `positive` and `scratch` are buffers.
fn rebuild_locality_scheduler(
    edf: &mut Edf,
    n: u32,
    weight: &dyn Fn(u32) -> f64,
    picks: u32,
    positive: &mut Vec<(u32, f64)>,
    scratch: &mut EdfScratch,
) {
    // The weights read once (the rebuild reads each three times or more).
    positive.clear();
    positive.extend((0..n).map(|i| (i, weight(i))).filter(|&(_, w)| w > 0.0));
    edf.rebuild_with_picks(
        positive.len() as u32,
        |k| positive[k as usize].1,
        picks,
        Weights::Fixed,
        scratch,
    );
    edf.map_items(|k| positive[k as usize].0);
}

fn refresh_source(
    (source, edf): (&mut Source, &mut Edf),
    list: &HostList<'_>,
    hosts: &[crate::plan::Record],
    seed: u64,
    weight: &dyn Fn(u32) -> f64,
    fixed: bool,
    scratch: &mut EdfScratch,
) {
    let n = list.len();
    let first = if n > 0 {
        hosts[list.get(0) as usize].weight
    } else {
        0
    };
    let equal = (0..n).all(|i| hosts[list.get(i) as usize].weight == first);
    if n <= 1 || equal {
        source.weighted = false;
        return;
    }
    source.weighted = true;
    let weights = if fixed {
        Weights::Fixed
    } else {
        Weights::Varying
    };
    edf.rebuild_with_picks(n, |i| weight(list.get(i)), seed as u32, weights, scratch);
}

#[derive(Debug, Clone)]
enum HostList<'a> {
    Range(Range<u32>),
    Slice(&'a [u32]),
}

impl HostList<'_> {
    #[inline]
    fn len(&self) -> u32 {
        match self {
            Self::Range(r) => r.end - r.start,
            Self::Slice(s) => s.len() as u32,
        }
    }
    #[inline]
    fn get(&self, i: u32) -> u32 {
        match self {
            Self::Range(r) => r.start + i,
            Self::Slice(s) => s[i as usize],
        }
    }
}

/// RING_HASH's or MAGLEV's pick of `hash` when priority 0 does not carry all the load: the
/// hash chooses the priority (`hash % 100`), then the priority's table.
#[inline(never)]
fn pick_hashed(plan: &Plan, hash: u64) -> Option<HostId> {
    let (priority, _) = plan.choose_priority(hash)?;
    plan.table_lookup(priority, hash)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{
        Endpoint, HealthStatus, LbConfig, LoadAssignment, Locality, LocalityEndpoints,
    };
    use crate::plan::HostUpdate;
    use crate::rng::SeededRng;
    use alloc::format;
    use alloc::vec::Vec;

    /// Any policy but the hash ones.
    fn non_hash_policy() -> impl proptest::strategy::Strategy<Value = LbPolicy> {
        proptest::sample::select(alloc::vec![
            LbPolicy::RoundRobin,
            LbPolicy::Random,
            LbPolicy::LeastRequest,
        ])
    }

    /// `groups` locality groups over `priorities` priorities, `per` hosts each, weights from
    /// `weights` (cycled), every host healthy.
    fn assignment(priorities: u32, groups: u32, per: u32, weights: &[u32]) -> LoadAssignment {
        let mut next = 0_u32;
        LoadAssignment {
            localities: (0..groups)
                .map(|g| LocalityEndpoints {
                    locality: Locality::new("r", &format!("z{g}"), ""),
                    weight: Some(1 + g % 3),
                    priority: g % priorities,
                    endpoints: (0..per)
                        .map(|_| {
                            next += 1;
                            let w = weights[next as usize % weights.len()];
                            Endpoint::new(&format!("10.0.{}.{}", next / 250, next % 250), 80)
                                .with_weight(w)
                        })
                        .collect(),
                })
                .collect(),
            ..Default::default()
        }
    }

    /// How many of `picks` picks (requests not kept in flight) each host of `plan` gets.
    fn host_counts(
        picker: &mut Picker,
        plan: &Plan,
        rng: &mut SeededRng,
        picks: usize,
    ) -> Vec<u32> {
        let mut counts = alloc::vec![0_u32; plan.host_count()];
        for _ in 0..picks {
            let host = picker.pick(plan, rng, Request::default()).expect("a host");
            counts[host.index()] += 1;
        }
        counts
    }

    /// The locality scheduler's picks made ahead (ROUND_ROBIN, RANDOM and LEAST_REQUEST over
    /// equal host weights, ROUND_ROBIN over unequal ones) belong to the schedule they were
    /// made from: a health change restarts the schedulers (effective weights unchanged) or
    /// rebuilds them (changed), and the localities picked after it are those of a picker made
    /// afresh for the changed plan with the same seed, wherever in a run of picks made ahead
    /// the change comes.
    #[test]
    fn picks_made_ahead_go_when_the_schedulers_restart() {
        // Two priorities of three localities of ten hosts, locality weights 1, 2, 3. One host
        // down leaves its locality at 90 % × 1.4 ≥ 100 % (weights unchanged: a restart); five
        // down leave it at 50 % × 1.4 = 70 % (a rebuild).
        let down = |hosts: core::ops::Range<u32>| -> Vec<HostUpdate> {
            hosts
                .map(|h| HostUpdate {
                    host: HostId::new(h),
                    health: Some(HealthStatus::Unhealthy),
                    weight: None,
                })
                .collect()
        };
        for policy in [
            LbPolicy::RoundRobin,
            LbPolicy::Random,
            LbPolicy::LeastRequest,
        ] {
            let config = LbConfig {
                policy,
                locality_weighted: true,
                ..LbConfig::default()
            };
            // Equal host weights, and unequal (ROUND_ROBIN's picks made ahead from each
            // locality's EDF, which the resync rebuilds).
            for (before, weights) in [1, 5, 15, 16, 17, 40, 130, 300]
                .into_iter()
                .flat_map(|before| [(before, &[2][..]), (before, &[2, 3, 5][..])])
            {
                let input = assignment(2, 6, 10, weights);
                for updates in [down(0..1), down(0..5)] {
                    let mut plan = Plan::build(&input, &config).expect("plan");
                    let mut picker = Picker::with_seed(&plan, 7);
                    let mut rng = SeededRng::new(3);
                    for _ in 0..before {
                        let _ = picker.pick(&plan, &mut rng, Request::default());
                    }
                    assert!(plan.update(&updates, |_, _| {}) > 0);
                    let mut fresh = Picker::with_seed(&plan, 7);
                    let (mut a, mut b) = (rng.clone(), rng.clone());
                    let locality =
                        |host: Option<HostId>| host.map(|h| plan.records()[h.index()].locality);
                    for i in 0..50 {
                        let x = locality(picker.pick(&plan, &mut a, Request::default()));
                        let y = locality(fresh.pick(&plan, &mut b, Request::default()));
                        assert_eq!(
                            x, y,
                            "{policy:?}, weights {weights:?}, {before} picks before, pick {i}"
                        );
                    }
                }
            }
        }
    }

    /// Under MAGLEV, a priority 0 of five hosts, two of them unhealthy, carries 60 % × 1.4 = 84
    /// % of the load (not in panic: 60 % healthy is above 50 %), priority 1 the other 16 %:
    /// the hash chooses the priority (`hash % 100` below 84: priority 0), then its table. So
    /// the picker's fast path is `Hashed`, which storing the rotation (as a fast path that
    /// gives up does) leaves as it is: the path of `Fast::Off` reads lists a hash picker does
    /// not keep.
    #[test]
    fn a_hash_picker_keeps_its_path_when_the_rotation_is_stored() {
        let config = LbConfig {
            policy: LbPolicy::Maglev,
            ..LbConfig::default()
        };
        let mut plan = Plan::build(&assignment(2, 2, 5, &[1]), &config).expect("plan");
        for host in [0, 1] {
            plan.set_health(HostId::new(host), HealthStatus::Unhealthy);
        }
        let mut picker = Picker::with_seed(&plan, 7);
        assert_eq!(picker.fast, Fast::Hashed);
        picker.store_rotation();
        assert_eq!(picker.fast, Fast::Hashed);
        let mut rng = SeededRng::new(7);
        for hash in 0..1_000_u64 {
            let request = Request::with_hash(hash);
            let host = picker.pick(&plan, &mut rng, request).map(HostId::index);
            let want = if hash % 100 < 84 { 2..=4 } else { 5..=9 };
            assert!(host.is_some_and(|h| want.contains(&h)), "{hash}: {host:?}");
        }
    }

    /// Under MAGLEV with priority 0 carrying every request, the picker reads priority 0's table
    /// itself ([`Fast::Maglev`]): for every hash the host of the table's own lookup, before
    /// and after a health flip rebuilds the table (80 % of priority 0 healthy: 80 × 1.4 ≥
    /// 100, it still carries all), and the general hash path ([`Fast::Hashed`]) once priority
    /// 0 carries 60 × 1.4 = 84 % of the load; back to the fast path when its hosts recover.
    #[test]
    fn the_maglev_fast_path_picks_as_priority_0s_table() {
        let config = LbConfig {
            policy: LbPolicy::Maglev,
            ..LbConfig::default()
        };
        let mut plan = Plan::build(&assignment(2, 2, 5, &[1]), &config).expect("plan");
        let mut rng = SeededRng::new(7);
        let mut picker = Picker::new(&plan, &mut rng);
        let check = |picker: &mut Picker, plan: &Plan, rng: &mut SeededRng| {
            let table = plan.table(0).expect("priority 0's table");
            for hash in (0..2_000_u64).chain([u64::MAX, u64::MAX - 65_537]) {
                let want = table.lookup(hash);
                assert!(want.is_some(), "{hash}");
                assert_eq!(
                    picker.pick(plan, rng, Request::with_hash(hash)),
                    want,
                    "{hash}"
                );
            }
        };
        let _ = picker.pick(&plan, &mut rng, Request::with_hash(0));
        assert!(matches!(picker.fast, Fast::Maglev(_)), "{:?}", picker.fast);
        check(&mut picker, &plan, &mut rng);
        plan.set_health(HostId::new(0), HealthStatus::Unhealthy);
        let _ = picker.pick(&plan, &mut rng, Request::with_hash(0));
        assert!(matches!(picker.fast, Fast::Maglev(_)), "{:?}", picker.fast);
        check(&mut picker, &plan, &mut rng);
        let zero = Some(HostId::new(0));
        assert!((0..2_000).all(|h| picker.pick(&plan, &mut rng, Request::with_hash(h)) != zero));
        plan.set_health(HostId::new(1), HealthStatus::Unhealthy);
        let _ = picker.pick(&plan, &mut rng, Request::with_hash(0));
        assert_eq!(picker.fast, Fast::Hashed);
        for host in [0, 1] {
            plan.set_health(HostId::new(host), HealthStatus::Healthy);
        }
        let _ = picker.pick(&plan, &mut rng, Request::with_hash(0));
        assert!(matches!(picker.fast, Fast::Maglev(_)), "{:?}", picker.fast);
        check(&mut picker, &plan, &mut rng);
    }

    /// A list is a run of consecutive host indices when its last less its first is its
    /// length less one (lists are in host order); LEAST_REQUEST then samples `first + r % n`
    /// without reading the list. A host gone unhealthy in the middle of a list ends that:
    /// with hosts 0–4 of locality z0 and host 2 down, z0's list is 0, 1, 3, 4, so its samples
    /// reach host 4 and never host 2 (`first + r % 4` would reach 2 and never 4). The same
    /// for priority 0's whole list under the one-priority fast path (no locality weights),
    /// and for a later priority's whole list.
    #[test]
    fn a_list_with_a_hole_is_sampled_through_the_list() {
        assert!(is_consecutive(&[]));
        assert!(is_consecutive(&[7]));
        assert!(is_consecutive(&[3, 4, 5]));
        assert!(!is_consecutive(&[3, 5]));
        assert!(!is_consecutive(&[0, 1, 3, 4]));
        for locality_weighted in [true, false] {
            // z0: hosts 0–4 (weight 1), z1: hosts 5–9 (weight 1), one priority.
            let input = assignment(1, 2, 5, &[1]);
            let config = LbConfig {
                policy: LbPolicy::LeastRequest,
                locality_weighted,
                ..LbConfig::default()
            };
            let mut plan = Plan::build(&input, &config).expect("plan");
            let mut picker = Picker::with_seed(&plan, 3);
            let mut rng = SeededRng::new(9);
            let counts = host_counts(&mut picker, &plan, &mut rng, 400);
            assert!(counts.iter().all(|&c| c > 0), "{counts:?}");
            plan.set_health(HostId::new(2), HealthStatus::Unhealthy);
            picker.resync(&plan);
            let counts = host_counts(&mut picker, &plan, &mut rng, 400);
            assert_eq!(
                counts[2], 0,
                "locality weighted {locality_weighted}: {counts:?}"
            );
            assert!(
                counts[4] > 0,
                "locality weighted {locality_weighted}: {counts:?}"
            );
        }
        // Istio's default failover (no locality weights): priority 0 (hosts 0–4, 0 and 1
        // down: health 3/5 × 140 = 84) sends 16 % to priority 1's whole list (hosts 5–9,
        // host 7 down: 5, 6, 8, 9), sampled through its route (`pick_list`).
        let input = assignment(2, 2, 5, &[1]);
        let config = LbConfig {
            policy: LbPolicy::LeastRequest,
            locality_weighted: false,
            ..LbConfig::default()
        };
        let mut plan = Plan::build(&input, &config).expect("plan");
        for host in [0, 1, 7] {
            plan.set_health(HostId::new(host), HealthStatus::Unhealthy);
        }
        let mut picker = Picker::with_seed(&plan, 3);
        let counts = host_counts(&mut picker, &plan, &mut SeededRng::new(9), 2000);
        assert_eq!(counts[7], 0, "{counts:?}");
        assert!(counts[9] > 0, "{counts:?}");
    }

    /// Under RANDOM and LEAST_REQUEST the runs carry each pick's locality list (its span of
    /// the healthy buffer), in which the pick's values choose the host as Envoy's policies do.
    #[test]
    fn random_and_least_request_sample_the_chosen_localitys_list() {
        // One priority of six localities (weights 1, 2, 3, 1, 2, 3) of 1 to 6 hosts, all
        // healthy: priority 0 takes every request, and its locality scheduler (Envoy's, the
        // same whatever the policy) chooses each request's locality, here read from a
        // ROUND_ROBIN picker of the same seed. Then, with the caller's values r0, r1, r2, ...
        // drawn in order: RANDOM takes host `r0 % n` of the locality's n hosts (r0 also chose
        // the priority); LEAST_REQUEST samples `r1 % n`, then `r2 % n` (and `r3 % n` with
        // three choices), each later sample replacing the candidate only with strictly fewer
        // active requests (least_request_lb.cc). Without locality weights, the same over
        // the priority's hosts (the one-priority fast path).
        let mut next = 0_u32;
        let input = LoadAssignment {
            localities: (0..6_u32)
                .map(|g| LocalityEndpoints {
                    locality: Locality::new("r", &format!("z{g}"), ""),
                    weight: Some(1 + g % 3),
                    priority: 0,
                    endpoints: (0..=g)
                        .map(|_| {
                            next += 1;
                            Endpoint::new(&format!("10.0.0.{next}"), 80)
                        })
                        .collect(),
                })
                .collect(),
            ..Default::default()
        };
        let config = |policy, choice_count, locality_weighted| LbConfig {
            policy,
            locality_weighted,
            least_request: crate::model::LeastRequestConfig {
                choice_count,
                ..Default::default()
            },
            ..LbConfig::default()
        };
        let plan = Plan::build(&input, &config(LbPolicy::RoundRobin, 2, true)).expect("plan");
        let mut rotation = Picker::with_seed(&plan, 11);
        let mut rng = SeededRng::new(5);
        let localities: Vec<u32> = (0..200)
            .map(|_| {
                let host = rotation.pick(&plan, &mut rng, Request::default());
                plan.records()[host.expect("a host").index()].locality
            })
            .collect();
        // Locality `l`'s hosts in host order, or every host without locality weights.
        let list = |plan: &Plan, l: u32, weighted: bool| -> Vec<u32> {
            (0..plan.host_count() as u32)
                .filter(|&h| !weighted || plan.records()[h as usize].locality == l)
                .collect()
        };
        let cases = [
            (LbPolicy::Random, 2),
            (LbPolicy::LeastRequest, 2),
            (LbPolicy::LeastRequest, 3),
        ];
        for ((policy, choices), weighted) in cases
            .into_iter()
            .flat_map(|case| [(case, true), (case, false)])
        {
            let plan = Plan::build(&input, &config(policy, choices, weighted)).expect("plan");
            let mut picker = Picker::with_seed(&plan, 11);
            // Through the locality's span made ahead, or the one-priority fast path.
            let fast = matches!(picker.fast, Fast::Random(_) | Fast::Choices(_));
            assert_eq!(fast, !weighted, "{policy:?}");
            // Active requests 0, 1, 2, 0, 1, 2, ...: ties as well as strict orders.
            for h in 0..plan.host_count() as u32 {
                for _ in 0..h % 3 {
                    picker.request_started(HostId::new(h));
                }
            }
            let (mut rng, mut values) = (SeededRng::new(5), SeededRng::new(5));
            for (k, &l) in localities.iter().enumerate() {
                let hosts = list(&plan, l, weighted);
                let n = hosts.len() as u64;
                let r0 = values.next_u64();
                let want = if policy == LbPolicy::Random {
                    hosts[(r0 % n) as usize]
                } else {
                    let mut sample = || hosts[(values.next_u64() % n) as usize];
                    let mut candidate = sample();
                    for _ in 1..choices {
                        let sampled = sample();
                        if sampled % 3 < candidate % 3 {
                            candidate = sampled;
                        }
                    }
                    candidate
                };
                let got = picker.pick(&plan, &mut rng, Request::default());
                let case = format!("{policy:?}, {choices} choices, locality weighted {weighted}");
                assert_eq!(got, Some(HostId::new(want)), "{case}, pick {k}");
            }
        }
    }

    /// A priority in panic serves every host (Envoy's panic mode), and LEAST_REQUEST over
    /// equal weights samples them as anywhere else: 21 hosts, 7 healthy (7/21 × 140 % = 47 %,
    /// under the 50 % panic threshold), one priority taking every request; with the caller's
    /// values r0, r1, r2, ... in order, r0 chooses the priority, then `r1 % 21`, `r2 % 21` (and
    /// `r3 % 21` with three choices) are sampled in host order, a later sample replacing the
    /// candidate only with strictly fewer active requests (least_request_lb.cc).
    #[test]
    fn least_request_in_panic_samples_every_host() {
        let input = LoadAssignment {
            localities: alloc::vec![LocalityEndpoints {
                locality: Locality::new("r", "z", ""),
                weight: None,
                priority: 0,
                endpoints: (0..21_u32)
                    .map(|h| {
                        let health = if h < 7 {
                            HealthStatus::Healthy
                        } else {
                            HealthStatus::Unhealthy
                        };
                        Endpoint::new(&format!("10.0.1.{h}"), 80).with_health(health)
                    })
                    .collect(),
            }],
            ..Default::default()
        };
        for choices in [2, 3] {
            let config = LbConfig {
                policy: LbPolicy::LeastRequest,
                least_request: crate::model::LeastRequestConfig {
                    choice_count: choices,
                    ..Default::default()
                },
                ..LbConfig::default()
            };
            let plan = Plan::build(&input, &config).expect("plan");
            assert!(plan.priorities()[0].panic, "priority 0 in panic");
            let mut picker = Picker::with_seed(&plan, 3);
            // Active requests 0, 1, 2, 0, 1, 2, ...: ties as well as strict orders.
            for h in 0..21_u32 {
                for _ in 0..h % 3 {
                    picker.request_started(HostId::new(h));
                }
            }
            let (mut rng, mut values) = (SeededRng::new(9), SeededRng::new(9));
            for k in 0..200 {
                let _priority = values.next_u64();
                let mut sample = || (values.next_u64() % 21) as u32;
                let mut want = sample();
                for _ in 1..choices {
                    let sampled = sample();
                    if sampled % 3 < want % 3 {
                        want = sampled;
                    }
                }
                let got = picker.pick(&plan, &mut rng, Request::default());
                assert_eq!(got, Some(HostId::new(want)), "{choices} choices, pick {k}");
            }
        }
    }

    /// Under ROUND_ROBIN the runs carry each pick's host too, moving its locality's rotation
    /// ahead of the picks handed out; a health change drops the run, and the rotations of the
    /// dropped picks step back: every host is Envoy's `hosts[index++ % n]`, each locality's
    /// index starting at the worker's seed and counting the picks handed out in it, over its
    /// healthy hosts at the time of the pick. Health changes in the picked priority (restart
    /// and rebuild) and in the other one, wherever in a run they come.
    #[test]
    fn hosts_made_ahead_step_their_rotations_back_when_dropped() {
        let input = assignment(2, 6, 10, &[2]);
        let config = LbConfig {
            policy: LbPolicy::RoundRobin,
            locality_weighted: true,
            ..LbConfig::default()
        };
        let health = |hosts: core::ops::Range<u32>, health: HealthStatus| -> Vec<HostUpdate> {
            hosts
                .map(|h| HostUpdate {
                    host: HostId::new(h),
                    health: Some(health),
                    weight: None,
                })
                .collect()
        };
        // The second seed wraps Envoy's 64-bit index within the first picks of each locality.
        for (seed, before) in [7_u64, u64::MAX - 2]
            .into_iter()
            .flat_map(|seed| [1, 2, 3, 5, 15, 16, 17, 40, 130, 300].map(|before| (seed, before)))
        {
            // Priority 0's first locality holds hosts 0..10, priority 1's 30..40.
            for hosts in [0..1, 0..5, 30..31, 30..35] {
                let mut plan = Plan::build(&input, &config).expect("plan");
                let mut picker = Picker::with_seed(&plan, seed);
                let mut rng = SeededRng::new(3);
                // Picks handed out so far in each locality (by the plan's locality index).
                let mut counts = alloc::vec![0_u64; plan.localities().len()];
                let mut check = |plan: &Plan,
                                 picker: &mut Picker,
                                 rng: &mut SeededRng,
                                 what: alloc::string::String| {
                    let host = picker
                        .pick(plan, rng, Request::default())
                        .expect("a healthy host");
                    assert_envoy_round_robin(plan, host, seed, &mut counts, &what);
                };
                for i in 0..before {
                    check(
                        &plan,
                        &mut picker,
                        &mut rng,
                        format!("{before}, {hosts:?}: pick {i}"),
                    );
                }
                for (round, status) in [HealthStatus::Unhealthy, HealthStatus::Healthy]
                    .into_iter()
                    .enumerate()
                {
                    assert!(plan.update(&health(hosts.clone(), status), |_, _| {}) > 0);
                    for i in 0..(before + 7) {
                        let what = format!("{before}, {hosts:?}: after change {round}, pick {i}");
                        check(&plan, &mut picker, &mut rng, what);
                    }
                }
            }
        }
    }

    /// Asserts that `host`, picked by a locality-weighted ROUND_ROBIN picker of worker seed
    /// `seed`, is Envoy's `hosts[index++ % n]` in its locality: the index is the seed plus the
    /// picks handed out in that locality so far (`counts`, by the plan's locality index,
    /// counted here; a `u64`, wrapping), over the locality's healthy hosts now.
    fn assert_envoy_round_robin(
        plan: &Plan,
        host: HostId,
        seed: u64,
        counts: &mut [u64],
        what: &str,
    ) {
        let l = plan.records()[host.index()].locality as usize;
        let healthy: Vec<u32> = plan.localities()[l]
            .hosts
            .clone()
            .filter(|&h| plan.records()[h as usize].availability() == Availability::Healthy)
            .collect();
        let want = healthy[(seed.wrapping_add(counts[l]) % healthy.len() as u64) as usize];
        counts[l] += 1;
        assert_eq!(host.index() as u32, want, "{what}");
    }

    /// While every lent rotation's list is a run of consecutive hosts, the laps' positions are
    /// the hosts themselves (`lent_hosts`, from the first full run on: 300 picks a stage
    /// reach it); a host down in the middle of a list ends that until it is back, and a host
    /// down at a list's end does not. Each pick is Envoy's `hosts[index++ % n]` in its
    /// locality (the index from the worker's seed, 7), through every change. One priority,
    /// localities of weights 1, 2, 3 of `per` hosts each: one host down leaves each weight as
    /// it was (90 % × 1.4 is over 100 %), so the lent rotations follow their lists
    /// (`refresh_lent`). Lists of 10 end their laps by a select, lists of 20 by the branch
    /// (`SELECT_LAPS_UNDER`), once the laps name their hosts.
    #[test]
    fn lent_rotations_name_their_hosts_while_the_lists_are_runs() {
        let config = LbConfig {
            policy: LbPolicy::RoundRobin,
            locality_weighted: true,
            ..LbConfig::default()
        };
        let seed = 7_u64;
        for per in [10_u32, 20] {
            let mut plan = Plan::build(&assignment(1, 3, per, &[1]), &config).expect("plan");
            let mut picker = Picker::with_seed(&plan, seed);
            let mut rng = SeededRng::new(3);
            let mut counts = alloc::vec![0_u64; plan.localities().len()];
            // Whether the laps name their hosts, and end by a select.
            let mut picks = |plan: &Plan, picker: &mut Picker, what: &str| {
                for i in 0..300 {
                    let host = picker
                        .pick(plan, &mut rng, Request::default())
                        .expect("a healthy host");
                    let what = format!("{per} a locality, {what}: pick {i}");
                    assert_envoy_round_robin(plan, host, seed, &mut counts, &what);
                }
                let scheduler = &picker.priorities[0].locality_healthy_scheduler;
                (scheduler.lent_hosts, scheduler.select_room > 0)
            };
            let short = per < 16;
            assert_eq!(picks(&plan, &mut picker, "all healthy"), (true, short));
            // Locality 0 holds hosts 0..per, 1 per..2 per, 2 2 per..3 per.
            for (host, health, runs, what) in [
                (
                    4,
                    HealthStatus::Unhealthy,
                    false,
                    "a middle host of locality 0 down",
                ),
                (4, HealthStatus::Healthy, true, "and back"),
                (
                    per,
                    HealthStatus::Unhealthy,
                    true,
                    "locality 1's first host down",
                ),
                (
                    3 * per - 1,
                    HealthStatus::Unhealthy,
                    true,
                    "and locality 2's last",
                ),
                (
                    2 * per + 5,
                    HealthStatus::Unhealthy,
                    false,
                    "and a middle one of 2",
                ),
            ] {
                plan.set_health(HostId::new(host), health);
                let want = (runs, runs && short);
                assert_eq!(picks(&plan, &mut picker, what), want, "{per}: {what}");
            }
        }
    }

    /// Short lists' laps end by a select while no lap of the runs can be the one where
    /// Envoy's 64-bit index wraps (`select_room`), and by the exact branch from there: each
    /// pick is `hosts[index++ % n]` in its locality, the index from the worker's seed
    /// wrapping to 0 (`u64` arithmetic), for seeds whose wrap comes before the first full run
    /// (the room is then too small for any select), after a few full runs, or never. One
    /// priority, localities of weights 1, 2, 3 with five hosts each.
    #[test]
    fn short_laps_end_by_a_select_until_the_index_nears_its_wrap() {
        let input = assignment(1, 3, 5, &[1]);
        let config = LbConfig {
            policy: LbPolicy::RoundRobin,
            locality_weighted: true,
            ..LbConfig::default()
        };
        let plan = Plan::build(&input, &config).expect("plan");
        for seed in [u64::MAX - 40, u64::MAX - 700, 7] {
            let mut picker = Picker::with_seed(&plan, seed);
            let mut rng = SeededRng::new(3);
            let mut counts = alloc::vec![0_u64; plan.localities().len()];
            let mut most = 0;
            for i in 0..3000 {
                let host = picker
                    .pick(&plan, &mut rng, Request::default())
                    .expect("a healthy host");
                assert_envoy_round_robin(
                    &plan,
                    host,
                    seed,
                    &mut counts,
                    &format!("seed {seed}: pick {i}"),
                );
                most = most.max(picker.priorities[0].locality_healthy_scheduler.select_room);
            }
            // 500, 1000 and 1500 picks: past the first two seeds' wraps (40 and 700 picks
            // away). The first full run comes after 1 + 2 + … + 64 = 127 picks, about 21,
            // 42 and 64 of the three localities' (weights 1, 2, 3); both seeds are multiples
            // of 5, so a lap's base is the seed plus the picks' whole laps. The first seed:
            // the first locality's base is 20 on, 41 − 20 = 21 values to its wrap, less two
            // laps, 11: under the run's 128, no select (the others wrapped already). The
            // second: the third locality's base is 60 on (63 or 64 picks), 701 − 60 − 10 =
            // 631, less the run's 128: 503, a select for three more runs. Both are spent by
            // the end; the third seed's room is 2^64 less some.
            assert_eq!(counts, [500, 1000, 1500], "seed {seed}");
            let room = picker.priorities[0].locality_healthy_scheduler.select_room;
            match seed {
                7 => assert!(room > u64::MAX / 2, "room {room}"),
                _ => assert_eq!(room, 0, "seed {seed}"),
            }
            match seed {
                7 => {}
                s if s == u64::MAX - 40 => assert_eq!(most, 0, "seed {seed}"),
                _ => assert_eq!(most, 503, "seed {seed}"),
            }
        }
    }

    /// The runs made ahead hand out the locality scheduler's picks in its order, whatever the
    /// lengths of its bursts: shorter than the lanes a run writes at once, longer, and longer
    /// than the first runs, which double from one pick (6, 40 and 100 localities of weights
    /// 1, 2, 3 make bursts of 2, 13–14 and 33–34). Each pick's locality is the next of the
    /// scheduler as its rebuild left it, picked one at a time; under ROUND_ROBIN its host is
    /// Envoy's `hosts[index++ % n]` in the locality, each index starting at the worker's seed.
    #[test]
    fn runs_hand_out_the_schedulers_picks_one_by_one() {
        for groups in [6, 40, 100] {
            let input = assignment(1, groups, 3, &[1]);
            for policy in [
                LbPolicy::RoundRobin,
                LbPolicy::Random,
                LbPolicy::LeastRequest,
            ] {
                let config = LbConfig {
                    policy,
                    locality_weighted: true,
                    ..LbConfig::default()
                };
                let plan = Plan::build(&input, &config).expect("plan");
                let seed = 11;
                let mut picker = Picker::with_seed(&plan, seed);
                picker.resync(&plan);
                let mut edf = picker.priorities[0]
                    .locality_healthy_scheduler
                    .fresh
                    .clone();
                let mut rng = SeededRng::new(5);
                let mut counts = alloc::vec![0_u64; plan.localities().len()];
                for i in 0..500 {
                    let what = format!("{policy:?}, {groups} localities, pick {i}");
                    let want = edf.pick_and_add(|_| 1.0).expect("a locality") as usize;
                    let host = picker
                        .pick(&plan, &mut rng, Request::default())
                        .expect("a host");
                    let l = plan.records()[host.index()].locality as usize;
                    assert_eq!(l, want, "{what}");
                    if policy == LbPolicy::RoundRobin {
                        let hosts = plan.localities()[l].hosts.clone();
                        let at = (seed.wrapping_add(counts[l]) % hosts.len() as u64) as usize;
                        assert_eq!(
                            host.index(),
                            hosts.clone().nth(at).expect("in range") as usize
                        );
                        counts[l] += 1;
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// After each batch of health changes, a picker that catches up with the batch alone
        /// (`sync_last_batch`) picks exactly as one rebuilt from the whole plan, for every
        /// non-hash policy, with and without locality weights, with equal and unequal weights,
        /// in 6 groups or in 70 and 130 (the touched groups' bitset then spans two and three
        /// words); and it took the batch path where it applies.
        #[test]
        fn catching_up_with_one_batch_picks_as_a_full_resync(
            policy in non_hash_policy(),
            locality_weighted in proptest::bool::ANY,
            unequal in proptest::bool::ANY,
            priorities in 1_u32..4,
            (groups, per) in proptest::sample::select(alloc::vec![(6_u32, 10_u32), (70, 2), (130, 2)]),
            batches in proptest::collection::vec(
                proptest::collection::vec((0_u32..260, 0_u8..4), 1..14), 1..8),
            seed in 0_u64..1000,
        ) {
            let weights: &[u32] = if unequal { &[1, 3, 2] } else { &[2] };
            let input = assignment(priorities, groups, per, weights);
            let config = LbConfig { policy, locality_weighted, ..LbConfig::default() };
            let mut plan = Plan::build(&input, &config).expect("plan");
            let mut picker = Picker::with_seed(&plan, seed);
            let mut rng = SeededRng::new(seed);
            for batch in batches {
                for _ in 0..7 {
                    let _ = picker.pick(&plan, &mut rng, Request::default());
                }
                let updates: Vec<HostUpdate> = batch
                    .iter()
                    .map(|&(h, s)| HostUpdate {
                        host: HostId::new(h % (groups * per)),
                        health: Some(match s {
                            0 => HealthStatus::Healthy,
                            1 => HealthStatus::Unhealthy,
                            2 => HealthStatus::Degraded,
                            _ => HealthStatus::Draining,
                        }),
                        weight: None,
                    })
                    .collect();
                if plan.update(&updates, |_, _| {}) == 0 {
                    // Nothing changed: the identity is the same, there is nothing to catch up.
                    proptest::prop_assert_eq!(picker.identity, plan.identity());
                    continue;
                }
                let mut full = picker.clone();
                full.identity = 0;
                full.sync(&plan);
                let caught_up = picker.sync_last_batch(&plan);
                if !caught_up {
                    picker.sync(&plan);
                }
                proptest::prop_assert_eq!(
                    caught_up,
                    !unequal || policy == LbPolicy::Random,
                    "the batch path applies exactly when weights are equal"
                );
                // The same lists, and the same hosts in each locality's group of them.
                for (s, f) in picker.priorities.iter().zip(&full.priorities) {
                    for (mine, theirs, my_groups, their_groups) in [
                        (&s.healthy, &f.healthy, &s.locality_healthy, &f.locality_healthy),
                        (&s.degraded, &f.degraded, &s.locality_degraded, &f.locality_degraded),
                    ] {
                        proptest::prop_assert_eq!(&**mine, &**theirs);
                        let groups = |row: &HostRow, ranges: &Vec<Range<u32>>| -> Vec<Vec<u32>> {
                            ranges.iter().map(|r| row.group(r).to_vec()).collect()
                        };
                        proptest::prop_assert_eq!(groups(mine, my_groups), groups(theirs, their_groups));
                    }
                }
                let mut a = rng.clone();
                let mut b = rng.clone();
                for i in 0..40 {
                    let x = picker.pick(&plan, &mut a, Request::default());
                    let y = full.pick(&plan, &mut b, Request::default());
                    proptest::prop_assert_eq!(x, y, "pick {}", i);
                }
                rng = a;
            }
        }
    }

    /// The positions of `picks` round-robin picks over `n` equal hosts in one locality, from a
    /// picker whose round-robin index starts at `seed`.
    fn rotation(n: u32, seed: u64, picks: usize) -> Vec<usize> {
        let input = assignment(1, 1, n, &[1]);
        let plan = Plan::build(&input, &LbConfig::default()).expect("plan");
        let mut picker = Picker::with_seed(&plan, seed);
        assert_eq!(picker.fast, Fast::Rotate);
        let mut rng = SeededRng::new(1);
        (0..picks)
            .map(|_| {
                picker
                    .pick(&plan, &mut rng, Request::default())
                    .expect("a host")
                    .index()
            })
            .collect()
    }

    /// Envoy's round-robin index is a `uint64_t` it increments after each pick
    /// (`hosts[rr_index_++ % n]`), so at 2^64 it wraps to 0 and the rotation restarts at the
    /// first host, whatever the position before. By hand: 2^64 - 1 is divisible by 3 and by 5.
    #[test]
    fn the_rotation_restarts_where_the_64_bit_index_wraps() {
        // n = 3 from 2^64 - 5: indices -5..=-1 give 2, 0, 1, 2, 0; then 0, 1, 2, 0.
        assert_eq!(rotation(3, u64::MAX - 4, 9), [2, 0, 1, 2, 0, 0, 1, 2, 0]);
        // n = 5 from 2^64 - 2: 4, 0, then 0, 1, 2, 3, 4, 0 (the wrap lands mid-lap).
        assert_eq!(rotation(5, u64::MAX - 1, 8), [4, 0, 0, 1, 2, 3, 4, 0]);
        // Far from the wrap, the plain rotation from `seed % n`.
        assert_eq!(rotation(4, 6, 6), [2, 3, 0, 1, 2, 3]);
    }

    proptest::proptest! {
        /// The routes (each point's priority, decided once a sync) pick as the priority's
        /// choice made at each pick: over several priorities with locality schedulers, hosts
        /// going unhealthy and degraded so that load spills over, degraded traffic appears
        /// and priorities fall into panic, under every policy but the hash ones, and with
        /// equal or unequal host weights (picks made ahead or not), and from the fast path's
        /// picks made ahead while priority 0 takes all the load.
        #[test]
        fn routes_pick_as_the_priority_chosen_at_each_pick(
            policy in non_hash_policy(),
            unequal in proptest::bool::ANY,
            priorities in 1_u32..4,
            lone in proptest::bool::ANY,
            locality_weighted in proptest::bool::ANY,
            seed in proptest::num::u64::ANY,
            flips in proptest::collection::vec((0_u32..18, 0_u8..4), 1..40),
        ) {
            let weights: &[u32] = if unequal { &[1, 3, 2, 5] } else { &[2] };
            // Six localities of three hosts over the priorities (a few flips change every
            // load), or one locality of six hosts a priority (Istio's failover: lone
            // localities, `LIST_ROUTE`).
            let (groups, per) = if lone { (priorities, 6) } else { (6, 3) };
            let input = assignment(priorities, groups, per, weights);
            // Without locality-weighted LB (Istio's default failover): no locality scheduler.
            let config = LbConfig { policy, locality_weighted, ..LbConfig::default() };
            let mut plan = Plan::build(&input, &config).expect("plan");
            let mut routed = Picker::with_seed(&plan, seed);
            // Every host healthy: priority 0 takes all the load, its picks made ahead under
            // locality-weighted ROUND_ROBIN (the fast path's), no route asked.
            let ahead = policy == LbPolicy::RoundRobin && locality_weighted;
            proptest::prop_assert_eq!(routed.fast == Fast::Ahead, ahead);
            let mut general = routed.clone();
            general.routes = [ROUTE_GENERAL; 100];
            general.store_rotation();
            let (mut a, mut b) = (SeededRng::new(seed), SeededRng::new(seed));
            for (round, &(host, health)) in flips.iter().enumerate() {
                for i in 0..40 {
                    let x = routed.pick(&plan, &mut a, Request::default());
                    let y = general.pick(&plan, &mut b, Request::default());
                    proptest::prop_assert_eq!(x, y, "round {} pick {}", round, i);
                    // Every third request stays: LEAST_REQUEST's samples then differ in load.
                    if let Some(host) = x.filter(|_| i % 3 == 0) {
                        routed.request_started(host);
                        general.request_started(host);
                    }
                }
                // A route to a locality scheduler says how it makes its picks ahead: with their
                // hosts (ROUND_ROBIN, whatever the weights) or their lists (RANDOM, and
                // LEAST_REQUEST over equal weights), which a lone locality's list is at once;
                // over unequal weights LEAST_REQUEST makes none.
                let made_ahead = !unequal || policy != LbPolicy::LeastRequest;
                // (Six localities can leave one healthy in a priority: lone then.)
                for &route in routed.routes.iter().filter(|&&r| r < ROUTE_GENERAL) {
                    let (made, p) = route_parts(route);
                    let want = match (made_ahead, policy) {
                        // No locality scheduler: the priority's list, whose rotation over
                        // equal weights makes its picks ahead.
                        (_, LbPolicy::RoundRobin) if !locality_weighted => MADE_AHEAD,
                        _ if !locality_weighted => LIST,
                        (false, _) => 0,
                        (true, LbPolicy::RoundRobin) => MADE_AHEAD,
                        (true, _) if lone || routed.priorities[p].locality_healthy_scheduler.edf.items().len() == 1 => LIST,
                        (true, _) => SPANS,
                    };
                    proptest::prop_assert_eq!(made, want, "round {}", round);
                }
                let health = match health {
                    0 | 1 => HealthStatus::Unhealthy,
                    2 => HealthStatus::Degraded,
                    _ => HealthStatus::Healthy,
                };
                // Eighteen hosts, or six a priority when lone.
                plan.set_health(HostId::new(host % (groups * per)), health);
                routed.resync(&plan);
                general.resync(&plan);
                general.routes = [ROUTE_GENERAL; 100];
                general.store_rotation();
            }
        }
    }

    /// `picker`'s locality schedulers make no picks ahead (as over LEAST_REQUEST's varying
    /// weights): each pick goes through its locality scheduler and then its locality's EDF,
    /// rotation or policy's sample, one request after another, as Envoy's do. Call after
    /// each sync.
    fn one_by_one(picker: &mut Picker, plan: &Plan) {
        for sources in &mut picker.priorities {
            sources.give_back_list();
            sources.locality_healthy_scheduler.drop_ahead();
            sources.locality_healthy_scheduler.batch = false;
        }
        picker.fast = Fast::Off;
        picker.choose_fast(plan);
    }

    /// A locality scheduler that lent its localities' rotations, then turned off (its one
    /// weighted locality's hosts all went down; the other locality has no weight), leaves its
    /// list of lent rotations behind: the priority's list then makes its picks ahead from its
    /// EDF over unequal weights, lending no rotation, and the next sync must not give that old
    /// locality's rotation to the priority's list. Locality-weighted ROUND_ROBIN, priority 0:
    /// locality A (weight 1, hosts 0 and 1) and B (no weight, hosts 2–4 of weights 1, 2, 1);
    /// priority 1 one host. The picks are compared with the general path's, one by one.
    #[test]
    fn a_scheduler_turned_off_gives_no_old_rotation_to_the_list() {
        let group = |zone: &str, weight: Option<u32>, priority: u32, hosts: &[(u8, u32)]| {
            LocalityEndpoints {
                locality: Locality::new("r", zone, ""),
                weight,
                priority,
                endpoints: hosts
                    .iter()
                    .map(|&(i, w)| Endpoint::new(&format!("10.0.0.{i}"), 80).with_weight(w))
                    .collect(),
            }
        };
        let input = LoadAssignment {
            localities: alloc::vec![
                group("a", Some(1), 0, &[(1, 1), (2, 1)]),
                group("b", None, 0, &[(3, 1), (4, 2), (5, 1)]),
                group("c", Some(1), 1, &[(6, 1)]),
            ],
            ..Default::default()
        };
        let config = LbConfig {
            policy: LbPolicy::RoundRobin,
            locality_weighted: true,
            ..LbConfig::default()
        };
        // However many picks the lent rotation made (its index then differs from the list's
        // by as many, modulo the list's length).
        for first in 1..=6 {
            let mut plan = Plan::build(&input, &config).expect("plan");
            let mut routed = Picker::with_seed(&plan, 11);
            let mut general = routed.clone();
            let (mut a, mut b) = (SeededRng::new(3), SeededRng::new(3));
            let mut both = |routed: &mut Picker, general: &mut Picker, plan: &Plan, n: usize| {
                general.routes = [ROUTE_GENERAL; 100];
                general.store_rotation();
                for i in 0..n {
                    let x = routed.pick(plan, &mut a, Request::default());
                    let y = general.pick(plan, &mut b, Request::default());
                    assert_eq!(x, y, "{first} first picks: pick {i}");
                }
            };
            // Priority 0 takes every request: A's rotation is lent to the scheduler's runs.
            both(&mut routed, &mut general, &plan, first);
            // A goes down: no locality of positive weight, the scheduler is off, and the list
            // (2, 3, 4 of weights 1, 2, 1) makes its picks ahead from its EDF.
            for host in [0, 1] {
                plan.set_health(HostId::new(host), HealthStatus::Unhealthy);
            }
            routed.resync(&plan);
            general.resync(&plan);
            both(&mut routed, &mut general, &plan, 7);
            let scheduler = &routed.priorities[0].locality_healthy_scheduler;
            assert!(!scheduler.on && scheduler.lent_list && !scheduler.lending);
            // Host 3 (weight 2) goes down: 2 and 4, equal weights, a rotation from the list's
            // own index.
            plan.set_health(HostId::new(3), HealthStatus::Unhealthy);
            routed.resync(&plan);
            general.resync(&plan);
            both(&mut routed, &mut general, &plan, 40);
        }
    }

    /// Istio's default locality failover (priorities, no locality weighting) under
    /// ROUND_ROBIN: a priority's rotation makes its picks ahead
    /// ([`PrioritySources::make_list_ahead`]), and a sync in the middle of a run steps the
    /// picks not handed out back, here across the wrap of Envoy's 64-bit index. Priority 0's
    /// healthy hosts are 3, 4 and 5 (hosts 0–2 unhealthy: health 50 % × 1.4, 70 % of the
    /// load). Its index starts at the seed, 2^64 - 5, and `hosts[index++ % 3]` gives positions
    /// (2^64 - 5) % 3 = 2, then 0, 1, 2, 0 (2^64 - 1 is a multiple of 3), then 0 after the
    /// wrap (0 % 3), 1, 2, 0: hosts 5, 3, 4, 5, 3, 3, 4, 5, 3. After four of them the runs
    /// made (1, 2 and 4 picks) hold three more, indices 2^64 - 1, 0 and 1.
    #[test]
    fn a_priority_without_a_locality_scheduler_steps_its_run_back_across_the_wrap() {
        let config = LbConfig {
            policy: LbPolicy::RoundRobin,
            locality_weighted: false,
            ..LbConfig::default()
        };
        // Two localities of six hosts, one a priority: hosts 0–5 priority 0's, 6–11 priority 1's.
        let mut plan = Plan::build(&assignment(2, 2, 6, &[1]), &config).expect("plan");
        for host in 0..3 {
            plan.set_health(HostId::new(host), HealthStatus::Unhealthy);
        }
        let mut picker = Picker::with_seed(&plan, u64::MAX - 4);
        let mut rng = SeededRng::new(1);
        let mut seen = Vec::new();
        // Priority 0's picks (hosts below 6) until `count` of them.
        let pick_until = |picker: &mut Picker,
                          plan: &Plan,
                          rng: &mut SeededRng,
                          seen: &mut Vec<usize>,
                          count: usize| {
            while seen.len() < count {
                let host = picker.pick(plan, rng, Request::default()).expect("a host");
                if host.index() < 6 {
                    seen.push(host.index());
                }
            }
        };
        pick_until(&mut picker, &plan, &mut rng, &mut seen, 4);
        let scheduler = &picker.priorities[0].locality_healthy_scheduler;
        assert!(!scheduler.on && scheduler.lent_list);
        // The third run's first pick handed out, three to come.
        assert_eq!((scheduler.ahead_next, scheduler.ahead_len), (1, 4));
        // A host of priority 1 goes down: the loads stay, the picker syncs.
        plan.set_health(HostId::new(11), HealthStatus::Unhealthy);
        picker.resync(&plan);
        pick_until(&mut picker, &plan, &mut rng, &mut seen, 9);
        assert_eq!(seen, [5, 3, 4, 5, 3, 3, 4, 5, 3]);
    }

    /// A priority whose locality scheduler holds one locality while another locality, without a
    /// weight, keeps healthy hosts: Envoy's locality-weighted LB never picks those
    /// (`load_balancing_weight` unset gives no load, endpoint.proto), so the lone locality's
    /// list is not the priority's and the pick samples the locality's, not the priority's
    /// whole list ([`LIST_ROUTE`] is only for a locality whose list is the whole list).
    #[test]
    fn a_lone_locality_beside_one_without_weight_samples_its_own_list() {
        let group = |zone: &str, weight: Option<u32>, first: u32| LocalityEndpoints {
            locality: Locality::new("r", zone, ""),
            weight,
            priority: 0,
            endpoints: (first..first + 3)
                .map(|i| Endpoint::new(&format!("10.0.0.{i}"), 80))
                .collect(),
        };
        let input = LoadAssignment {
            localities: alloc::vec![group("z0", Some(1), 1), group("z1", None, 4)],
            ..Default::default()
        };
        for policy in [LbPolicy::Random, LbPolicy::LeastRequest] {
            let config = LbConfig {
                policy,
                locality_weighted: true,
                ..LbConfig::default()
            };
            let plan = Plan::build(&input, &config).expect("plan");
            let mut picker = Picker::with_seed(&plan, 7);
            let counts = host_counts(&mut picker, &plan, &mut SeededRng::new(7), 300);
            // Hosts 0–2 are z0's, 3–5 z1's (host order is input order).
            assert_eq!(counts[3..], [0, 0, 0], "{policy:?}: {counts:?}");
            assert!(
                counts[..3].iter().all(|&c| c > 50),
                "{policy:?}: {counts:?}"
            );
        }
    }

    /// A priority of one locality (its picks made ahead at once, see `Lap::fill`) whose list
    /// shrinks to one host and grows back: the rotation's index counted every pick of the
    /// one host, as Envoy's `hosts[index++ % n]` does. The picker's index starts at its
    /// seed, 5: three picks of the one host take it to 8, and then `8 % 2` is host 0; a fourth
    /// pick would take it to 9, host 1.
    #[test]
    fn a_lone_locality_of_one_host_counts_its_picks() {
        let config = LbConfig {
            policy: LbPolicy::RoundRobin,
            locality_weighted: true,
            ..LbConfig::default()
        };
        for (picks, want) in [(3, [0, 1, 0, 1]), (4, [1, 0, 1, 0])] {
            let mut plan = Plan::build(&assignment(1, 1, 2, &[1]), &config).expect("plan");
            let mut picker = Picker::with_seed(&plan, 5);
            let mut rng = SeededRng::new(1);
            plan.set_health(HostId::new(0), HealthStatus::Unhealthy);
            picker.resync(&plan);
            for _ in 0..picks {
                let host = picker.pick(&plan, &mut rng, Request::default());
                assert_eq!(host.map(HostId::index), Some(1));
            }
            plan.set_health(HostId::new(0), HealthStatus::Healthy);
            picker.resync(&plan);
            let hosts: Vec<_> = (0..4)
                .filter_map(|_| picker.pick(&plan, &mut rng, Request::default()))
                .map(HostId::index)
                .collect();
            assert_eq!(hosts, want, "after {picks} picks of host 1 alone");
        }
    }

    proptest::proptest! {
        /// The locality schedulers' picks made ahead are the picks made one request at a
        /// time: ROUND_ROBIN's with their hosts, each from its locality's rotation or, over
        /// unequal host weights, its EDF; RANDOM's and LEAST_REQUEST's with their localities'
        /// lists, kept by position among the EDF's items (spans); across health and weight
        /// changes (each a resync that restarts or rebuilds the schedulers, moves the lists and
        /// drops the picks made ahead), whatever the priorities, seeds, weights and requests in
        /// flight.
        #[test]
        fn picks_made_ahead_are_the_picks_one_by_one(
            policy in non_hash_policy(),
            priorities in 1_u32..4,
            groups in 1_u32..7,
            per in 1_u32..6,
            weights in proptest::collection::vec(1_u32..5, 1..5),
            seed in proptest::num::u64::ANY,
            changes in proptest::collection::vec((0_u32..30, 0_u8..5, 1_u32..5), 1..12),
            picks in 1_usize..300,
        ) {
            // Up to three priorities of up to six localities: a priority of one locality
            // (lone, its picks made ahead at once) is common.
            let input = assignment(priorities, groups, per, &weights);
            let config = LbConfig {
                policy,
                locality_weighted: true,
                ..LbConfig::default()
            };
            let mut plan = Plan::build(&input, &config).expect("plan");
            let mut ahead = Picker::with_seed(&plan, seed);
            let mut single = ahead.clone();
            one_by_one(&mut single, &plan);
            let (mut a, mut b) = (SeededRng::new(seed), SeededRng::new(seed));
            let hosts = groups * per;
            for (round, &(host, change, weight)) in changes.iter().enumerate() {
                for i in 0..picks {
                    let x = ahead.pick(&plan, &mut a, Request::default());
                    let y = single.pick(&plan, &mut b, Request::default());
                    proptest::prop_assert_eq!(x, y, "round {} pick {}", round, i);
                    // Every third pick's request stays in flight (least request counts it).
                    if let Some(host) = x.filter(|_| i % 3 == 0) {
                        ahead.request_started(host);
                        single.request_started(host);
                    }
                }
                let id = HostId::new(host % hosts);
                match change {
                    0 => plan.set_health(id, HealthStatus::Unhealthy),
                    1 => plan.set_health(id, HealthStatus::Degraded),
                    2 => plan.set_health(id, HealthStatus::Healthy),
                    _ => plan.set_weight(id, weight).expect("weight"),
                }
                ahead.resync(&plan);
                single.resync(&plan);
                one_by_one(&mut single, &plan);
            }
        }
    }

    proptest::proptest! {
        /// The fast path (one priority, all load healthy, no locality scheduler or one of a
        /// single locality) picks the same hosts as the general path: the rotation kept as
        /// laps as Envoy's index modulo `n` (seeds near the 64-bit wrap included), weighted
        /// round robin through the same EDF, RANDOM and P2C over the same list; and after a
        /// health change hands the state back to the general path, both still agree.
        #[test]
        fn the_fast_path_picks_as_the_general_path(
            policy in non_hash_policy(),
            unequal in proptest::bool::ANY,
            locality_weighted in proptest::bool::ANY,
            n in 1_u32..40,
            seed in proptest::prop_oneof![
                proptest::num::u64::ANY,
                (u64::MAX - 200)..=u64::MAX,
            ],
            flip in 0_u32..40,
        ) {
            let weights: &[u32] = if unequal { &[1, 3, 2, 5] } else { &[2] };
            let input = assignment(1, 1, n, weights);
            let config = LbConfig { policy, locality_weighted, ..LbConfig::default() };
            let mut plan = Plan::build(&input, &config).expect("plan");
            let mut fast = Picker::with_seed(&plan, seed);
            let mut general = fast.clone();
            let weighted_lr = policy == LbPolicy::LeastRequest && unequal && n > 1;
            proptest::prop_assert_eq!(fast.fast == Fast::Off, weighted_lr);
            // Under locality-weighted LB, ROUND_ROBIN's fast path is its picks made ahead.
            let ahead = locality_weighted && policy == LbPolicy::RoundRobin;
            proptest::prop_assert_eq!(fast.fast == Fast::Ahead, ahead);
            general.store_rotation();
            // The general path itself, not a route's (`routes_pick_as_...` compares those).
            general.routes = [ROUTE_GENERAL; 100];
            let (mut a, mut b) = (SeededRng::new(seed), SeededRng::new(seed));
            for round in 0..2 {
                for i in 0..3 * n + 7 {
                    let x = fast.pick(&plan, &mut a, Request::default());
                    let y = general.pick(&plan, &mut b, Request::default());
                    proptest::prop_assert_eq!(x, y, "round {} pick {}", round, i);
                    if let Some(host) = x {
                        fast.request_started(host);
                        general.request_started(host);
                    }
                }
                // A flip: both resync (the fast path is chosen anew, then turned off again on
                // the general picker).
                let host = HostId::new(flip % n);
                plan.set_health(host, HealthStatus::Unhealthy);
                fast.resync(&plan);
                general.resync(&plan);
                general.store_rotation();
                general.routes = [ROUTE_GENERAL; 100];
            }
        }
    }
}
