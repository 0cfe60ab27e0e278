//! Earliest-deadline-first scheduling: Envoy's weighted round robin.
//!
//! Each entry has a deadline `current_time + 1 / weight`; a pick takes the entry with the
//! earliest deadline (ties: the one added first), moves the current time to that deadline and
//! re-adds the entry with its (possibly new) weight. Over a cycle, an entry of weight `w` is
//! picked `w / Σ w` of the time, smoothly interleaved.
//!
//! Source: envoy `source/common/upstream/edf_scheduler.h` (`EdfScheduler::add`, `pickAndAdd`,
//! `createWithPicks`), used by `EdfLoadBalancerBase` in
//! `source/extensions/load_balancing_policies/common/load_balancer_impl.cc` and by the locality
//! scheduler in `locality_wrr.cc`.

use alloc::vec::Vec;

/// An entry's place in the order: deadline, then insertion order. Deadlines are positive
/// (current time + 1 / positive weight), and positive floats order like their bits, so
/// comparing `(deadline bits, order)` as integers orders entries; orders are unique, so no two
/// keys are equal and every structure that takes the least key picks the same entry.
type Key = (u64, u64);

#[inline]
fn key(deadline: f64, order: u64) -> Key {
    (deadline.to_bits(), order)
}

/// A key as one integer, for a comparison without a branch.
#[inline(always)]
fn wide(key: Key) -> u128 {
    (u128::from(key.0) << 64) | u128::from(key.1)
}

/// A match's loser in the tree: its leaf and its key's deadline (bits), read together.
///
/// Only the deadline decides a match unless two are equal, when the orders do (read then from
/// `orders`, by leaf, out of line: [`replay_ties`]). A level of a replay is then one load of the
/// node and a 64-bit comparison, where it was a load of the node's leaf, then of that leaf's
/// key, and a 128-bit comparison (`cmp`, `sbb` and a select more). Zoned ROUND_ROBIN's
/// locality scheduler (16 bursts, 4 levels) replays once every 3.75 picks, and its replays
/// were a third of a pick's instructions. With the winner's deadline handed back (the next
/// burst's re-add reads no key) and the loop ended by the node's shift to zero, callgrind
/// counts 65.2 → 58.1 instructions a pick in `make_hosts_ahead` at 10k hosts (its host loop
/// slimmed in the same commit); with the routes that need no decoding (`pick::route_to`),
/// 159.6 → 146.5 a pick in all, and in a loop binary on the AMD EPYC (best of 5 × 3M picks,
/// interleaved) 7.8–8.0 → 6.4–6.6 ns at 1k–100k hosts.
///
/// Packed to 12 bytes (four-byte aligned): a node costs what a leaf's index and its key's
/// deadline did when the keys were by leaf, and a picker's schedulers keep what they kept.
#[derive(Debug, Clone, Copy, Default)]
#[repr(C, packed(4))]
struct Held {
    deadline: u64,
    leaf: u32,
}

/// Replays `up`'s matches (a leaf whose key changed: its new deadline, its new order
/// already in `orders`) up to the root of the loser tree `tree`: at each node the lesser key
/// goes on up, the greater stays. Orders are unique, so no two keys are equal. Returns the
/// winner: the leaf that now holds the least key, and its deadline.
///
/// `tree` and `orders` are the tree's `size` slots each (callers slice both to
/// `..=size - 1`), `size` a power of two, and every index is below it by construction
/// (internal nodes `1..size`, leaves `< size`); they are masked by `size - 1` anyway, which
/// changes none and shows the compiler, once inlined, that they are in bounds: it drops a
/// check a level.
#[inline(always)]
fn replay(tree: &mut [Held], orders: &[u64], up: Held) -> Held {
    use core::hint::select_unpredictable as select;
    let mask = tree.len().wrapping_sub(1);
    // From the leaf's parent to the root (node 1), the loop's end the shift's own zero.
    // Field by field: a packed struct selected whole went through the stack.
    let (mut deadline, mut leaf) = (up.deadline, up.leaf);
    let mut node = (tree.len() + leaf as usize) >> 1;
    while node != 0 {
        let held = tree[node & mask];
        let (held_deadline, held_leaf) = (held.deadline, held.leaf);
        if held_deadline == deadline {
            return replay_ties(tree, orders, node, Held { deadline, leaf });
        }
        let swap = held_deadline < deadline;
        tree[node & mask] = Held {
            deadline: select(swap, deadline, held_deadline),
            leaf: select(swap, leaf, held_leaf),
        };
        deadline = select(swap, held_deadline, deadline);
        leaf = select(swap, held_leaf, leaf);
        node >>= 1;
    }
    Held { deadline, leaf }
}

/// [`replay`] from `node` to the root once a match meets two equal deadlines, which the
/// orders (by leaf) decide: the one added first wins. Out of line: deadlines are seldom
/// equal.
#[cold]
#[inline(never)]
fn replay_ties(tree: &mut [Held], orders: &[u64], mut node: usize, mut up: Held) -> Held {
    let order = |leaf: u32| orders.get(leaf as usize).copied().unwrap_or(u64::MAX);
    while node != 0 {
        let Some(slot) = tree.get_mut(node) else {
            break;
        };
        let held = *slot;
        if (held.deadline, order(held.leaf)) < (up.deadline, order(up.leaf)) {
            *slot = up;
            up = held;
        }
        node >>= 1;
    }
    up
}

/// Greater than every real key (a real deadline is finite): the key of the tree's padding
/// leaves, which therefore never win.
const NEVER: Key = (u64::MAX, u64::MAX);

/// An EDF scheduler over a fixed set of items (indices into the caller's slice).
///
/// A pick always re-adds the entry it takes, so the set of entries never changes between
/// rebuilds: a tournament tree (a loser tree) over the leaves keeps the least key at the top.
/// Re-adding the winner replays its path to the root, one comparison per level (`log2` of the
/// leaves), where a binary heap's sift-down compares twice per level and moves entries.
///
/// The leaves are the entries when the weights vary between picks (least request's), and
/// bursts ([`Burst`]) of entries when they are fixed until the next rebuild (round robin's
/// host weights, the localities' effective weights): a pick then hands out the top burst's
/// next entry, and the tree replays once the burst is spent.
///
/// The tree is laid out as an implicit binary tree over a power-of-two number of leaves
/// (`size`; the leaves past the real ones hold [`NEVER`]): leaf `i` is node `size + i`, the
/// parent of node `k` is `k / 2`, internal nodes are `1..size`. A node holds the leaf that
/// lost its match and that leaf's deadline ([`Held`]), `top` the winner; the orders are an
/// array by leaf, read when two deadlines are equal. Every path has the same length, so a
/// replay is a loop the branch predictor knows the length of, and a level is one load of the
/// node (independent of the match below, so in flight before it is decided), one comparison
/// and the selects.
#[derive(Debug, Clone, Default)]
pub(crate) struct Edf {
    /// `tree[node]`, the leaf that lost the match at internal node `1..size`, with its
    /// deadline (`tree[0]` is unused).
    tree: Vec<Held>,
    /// Each leaf's key's order (`size` of them): an entry's, or a burst's first entry's. The
    /// key's deadline is in the node where the leaf lost, or in `top`.
    orders: Vec<u64>,
    /// Varying weights: each leaf's item. Fixed: the bursts' items, burst by burst, each
    /// burst's in key order.
    items: Vec<u32>,
    /// Fixed weights: each real leaf's burst (empty: the leaves are entries, whose weights are
    /// asked for at each pick).
    bursts: Vec<Burst>,
    /// Leaves, a power of two (0: no entries).
    size: usize,
    /// The leaf holding the least key, with its deadline (`None`: no entries).
    top: Option<Held>,
    /// Entries.
    n: usize,
    current_time: f64,
    /// Envoy's `order_offset_`: one more at every add and every pick, less `spent` (the
    /// top burst's picks count when it is re-added: they are the orders its entries take).
    order: u64,
    /// Bursts: the entries of the top burst handed out so far (0 until it is picked, then
    /// below its length: a spent burst is re-added at once).
    spent: u32,
}

/// Entries of one weight that are next to one another in key order and share a deadline:
/// a pick hands them out one after another, and they come back together.
///
/// Over fixed weights, an entry picked at time `t` comes back with deadline `t + 1/w` (the
/// same rounding for each) and the next order. Take entries of one weight and one deadline
/// `d` with no other entry's key between theirs (`(d, order)` in key order). When the first is
/// picked, the least key is the next one of them (nothing lies between), and so on: they are
/// picked one after another, at time `d`, and come back with one deadline `d + 1/w` and
/// consecutive orders, so again with no other key between theirs. Such a run of entries is
/// therefore a burst for as long as the weights stay: the tree keeps one leaf per burst, keyed
/// by its first entry, and replays once a burst rather than once a pick (a burst picked only
/// in part is the top until it is spent). The bursts are found once, at the rebuild, from the
/// entries' initial keys in key order: one burst a weight (Envoy's `createWithPicks` gives
/// entries of one weight one deadline) unless another weight's entry shares that deadline;
/// the picks `createWithPicks` makes after are made on the bursts. A locality scheduler of
/// the zoned benchmark, 50 localities of 16 effective weights, keeps 16 bursts whatever the
/// seed; a host list of 100,000 hosts over weights 1–8 keeps 8 of 12,500 or so.
///
/// Envoy's initial deadlines can exceed a later re-add by a rounding: bursts have no order
/// among themselves but their keys', so the tree sorts that out as it does any key.
#[derive(Debug, Clone, Copy)]
struct Burst {
    /// The burst's items are `items[start..start + len]`, in key order.
    start: u32,
    len: u32,
    /// `1 / w`, the same value Envoy adds to the current time for an entry of weight `w`.
    inv: f64,
}

/// Buffers a rebuild works in, kept by the caller between rebuilds so that rebuilding a
/// scheduler of a size seen before allocates nothing.
#[derive(Debug, Clone, Default)]
pub(crate) struct EdfScratch {
    entries: Vec<(Key, u32)>,
    winners: Vec<u32>,
}

impl EdfScratch {
    /// Room for schedulers of up to `n` entries.
    pub(crate) fn reserve(&mut self, n: usize) {
        reserve_to(&mut self.entries, n);
        reserve_to(&mut self.winners, 2 * leaves(n));
    }
}

/// What an EDF's weights do until its next rebuild, which decides how it keeps its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weights {
    /// They follow something outside (least request's, the requests in flight): a leaf an
    /// entry, its weight asked for at each of its picks.
    Varying,
    /// Fixed (round robin's host weights, the localities' effective weights): a leaf a
    /// [`Burst`].
    Fixed,
}

/// Most distinct weights a rebuild over fixed weights computes each initial deadline of once
/// and places its entries by (see [`Edf::rebuild_with_picks`]); with more, it computes each
/// entry's and sorts them.
const FEW_WEIGHTS: usize = 32;

/// A weight seen by a rebuild over fixed weights: its initial deadline and floor picks, its
/// entries, and where the next of them goes in key order.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    weight: u64,
    deadline: u64,
    floor_picks: u32,
    entries: u32,
    next: u32,
}

/// The tree's leaves for `n` entries: `n` rounded up to a power of two.
fn leaves(n: usize) -> usize {
    n.checked_next_power_of_two().unwrap_or(n)
}

/// Gives `v` length `n`, keeping what it holds (`fill` only for slots it did not have): for
/// buffers whose every slot is written before it is read.
fn set_len<T: Copy>(v: &mut Vec<T>, n: usize, fill: T) {
    if v.len() >= n {
        v.truncate(n);
    } else {
        v.resize(n, fill);
    }
}

/// Grows `v`'s capacity to at least `n` (no-op when it already has room).
pub(crate) fn reserve_to<T>(v: &mut Vec<T>, n: usize) {
    if v.capacity() < n {
        v.reserve(n - v.len());
    }
}

/// Replaces `v`'s contents with `from`'s, reusing its buffer.
fn copy_vec<T: Copy>(v: &mut Vec<T>, from: &[T]) {
    v.clear();
    v.extend_from_slice(from);
}

impl Edf {
    /// Room for `n` entries, so rebuilds up to that size allocate nothing. Varying weights
    /// keep no bursts: 24 bytes a leaf; fixed ones 16 bytes a burst more (at most one an
    /// entry).
    pub(crate) fn reserve(&mut self, n: usize, weights: Weights) {
        let size = leaves(n);
        reserve_to(&mut self.tree, size);
        reserve_to(&mut self.orders, size);
        reserve_to(&mut self.items, size);
        if weights == Weights::Fixed {
            reserve_to(&mut self.bursts, n);
        }
    }

    /// Makes `self` the same scheduler as `other`, reusing its buffers (no allocation when
    /// they have room for `other`'s entries).
    pub(crate) fn copy_from(&mut self, other: &Self) {
        copy_vec(&mut self.tree, &other.tree);
        copy_vec(&mut self.orders, &other.orders);
        copy_vec(&mut self.items, &other.items);
        copy_vec(&mut self.bursts, &other.bursts);
        self.size = other.size;
        self.top = other.top;
        self.n = other.n;
        self.current_time = other.current_time;
        self.order = other.order;
        self.spent = other.spent;
    }

    /// Empties the scheduler, keeping its buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.tree.clear();
        self.orders.clear();
        self.items.clear();
        self.bursts.clear();
        self.size = 0;
        self.top = None;
        self.n = 0;
        self.current_time = 0.0;
        self.order = 0;
        self.spent = 0;
    }

    /// A leaf an entry: the tree over `entries` (key and item each), `winners` a buffer.
    fn build(&mut self, entries: &[(Key, u32)], winners: &mut Vec<u32>) {
        self.n = entries.len();
        self.bursts.clear();
        self.spent = 0;
        self.items.clear();
        self.items.extend(entries.iter().map(|&(_, item)| item));
        self.build_tree(entries.len(), |leaf| entries[leaf].0, winners);
    }

    /// The loser tree over `n` leaves, leaf `l`'s key `key(l)` (padded here to a power of two
    /// with [`NEVER`]), `winners` a buffer.
    fn build_tree(&mut self, n: usize, key: impl Fn(usize) -> Key, winners: &mut Vec<u32>) {
        self.orders.clear();
        if n == 0 {
            self.size = 0;
            self.top = None;
            return;
        }
        let size = leaves(n);
        self.size = size;
        let key = |leaf: u32| {
            let leaf = leaf as usize;
            if leaf < n { key(leaf) } else { NEVER }
        };
        self.orders.extend((0..size as u32).map(|leaf| key(leaf).1));
        // Each node's winner, bottom up; the tree keeps the losers.
        set_len(winners, 2 * size, 0);
        set_len(&mut self.tree, size, Held::default());
        for leaf in 0..size {
            winners[size + leaf] = leaf as u32;
        }
        for node in (1..size).rev() {
            let (a, b) = (winners[2 * node], winners[2 * node + 1]);
            let a_wins = wide(key(a)) < wide(key(b));
            let (win, lose) = if a_wins { (a, b) } else { (b, a) };
            winners[node] = win;
            self.tree[node] = Held {
                deadline: key(lose).0,
                leaf: lose,
            };
        }
        self.top = Some(Held {
            deadline: key(winners[1]).0,
            leaf: winners[1],
        });
    }

    /// Adds `item` with `weight` (> 0).
    #[cfg(test)]
    pub(crate) fn add(&mut self, weight: f64, item: u32) {
        debug_assert!(weight > 0.0, "EDF weights must be positive");
        // Tests only, on a tree of entries: gather every key and rebuild. Each leaf but the
        // top lost once, and its node holds its deadline.
        let mut deadlines = alloc::vec![0; self.size];
        for held in self.tree.iter().skip(1).chain(self.top.as_ref()) {
            deadlines[held.leaf as usize] = held.deadline;
        }
        let mut entries: Vec<(Key, u32)> = (0..self.n)
            .map(|l| ((deadlines[l], self.orders[l]), self.items[l]))
            .collect();
        entries.push((key(self.current_time + 1.0 / weight, self.order), item));
        self.order += 1;
        self.build(&entries, &mut Vec::new());
    }

    /// Rebuilds the scheduler over items `0..n` as if they had been added in order to an empty
    /// scheduler and then picked `picks` times (Envoy's `EdfScheduler::createWithPicks`, which
    /// gives each worker a different starting point). `weights` says whether `weight` gives
    /// every pick until the next rebuild the same weights, and so whether the entries are kept
    /// as bursts ([`Burst`]). Reuses the buffers: allocates nothing when the scheduler and
    /// `scratch` have room for `n` entries.
    pub(crate) fn rebuild_with_picks(
        &mut self,
        n: u32,
        weight: impl Fn(u32) -> f64,
        picks: u32,
        weights: Weights,
        scratch: &mut EdfScratch,
    ) {
        self.clear();
        if n == 0 {
            return;
        }
        // "over 400M picks should be sufficient": picks % (u32::MAX / 10).
        let picks = picks % 429_496_729;
        // An epsilon keeps weights that are multiples of each other from landing on equal
        // deadlines through rounding (Envoy PR 31592).
        let augmented = |i: u32| weight(i) + 1e-13;
        let weights_sum: f64 = (0..n).map(augmented).sum();
        let per_weight = f64::from(picks) / weights_sum;
        // The picks before the current time of an entry of (augmented) weight `w`.
        let initial_picks = |w: f64| {
            let mut floor_picks = (w * f64::from(picks) / weights_sum) as u32;
            if floor_picks > 0 && f64::from(floor_picks) / w >= per_weight {
                floor_picks -= 1;
            }
            floor_picks
        };
        let fixed = weights == Weights::Fixed;
        // Over fixed weights, while there are few: the distinct weights (bits), each with its
        // initial deadline, floor picks and entries (the first two depend on the weight
        // alone: computed once a weight).
        let mut seen = [Seen::default(); FEW_WEIGHTS];
        let (mut distinct, mut few) = (0, fixed);
        let entries = &mut scratch.entries;
        entries.clear();
        let mut picks_so_far = 0_u32;
        let mut max_pick_time = 0.0_f64;
        for i in 0..n {
            let w = augmented(i);
            let known = if few {
                seen[..distinct]
                    .iter_mut()
                    .find(|s| s.weight == w.to_bits())
            } else {
                None
            };
            let (floor_picks, deadline) = match known {
                Some(s) => {
                    s.entries += 1;
                    (s.floor_picks, f64::from_bits(s.deadline))
                }
                None => {
                    let floor_picks = initial_picks(w);
                    let deadline = f64::from(floor_picks + 1) / w;
                    max_pick_time = max_pick_time.max(f64::from(floor_picks) / w);
                    if few && distinct < FEW_WEIGHTS {
                        seen[distinct] = Seen {
                            weight: w.to_bits(),
                            deadline: deadline.to_bits(),
                            floor_picks,
                            entries: 1,
                            next: 0,
                        };
                        distinct += 1;
                    } else {
                        few = false;
                    }
                    (floor_picks, deadline)
                }
            };
            entries.push((key(deadline, u64::from(i)), i));
            picks_so_far += floor_picks;
        }
        if fixed {
            // The entries in key order, then bursts. Few weights: each entry goes straight to
            // its place, after the entries of earlier deadlines (or of an equal deadline and
            // a weight first seen earlier) and, within its weight, in item (= order) order.
            if few {
                let seen = &mut seen[..distinct];
                let mut by_deadline = [0_usize; FEW_WEIGHTS];
                for (k, slot) in by_deadline.iter_mut().enumerate().take(distinct) {
                    *slot = k;
                }
                let by_deadline = &mut by_deadline[..distinct];
                by_deadline.sort_by_key(|&k| seen[k].deadline);
                let mut at = 0;
                for &k in by_deadline.iter() {
                    seen[k].next = at;
                    at += seen[k].entries;
                }
                for i in 0..n {
                    let bits = augmented(i).to_bits();
                    if let Some(s) = seen.iter_mut().find(|s| s.weight == bits) {
                        if let Some(slot) = entries.get_mut(s.next as usize) {
                            *slot = ((s.deadline, u64::from(i)), i);
                        }
                        s.next += 1;
                    }
                }
                // Weights of one deadline (a rounding's coincidence) interleave by order.
                if !entries.is_sorted_by_key(|&(key, _)| wide(key)) {
                    entries.sort_unstable_by_key(|&(key, _)| wide(key));
                }
            } else {
                entries.sort_unstable_by_key(|&(key, _)| wide(key));
            }
            self.build_bursts(entries, |item| 1.0 / weight(item), &mut scratch.winners);
        } else {
            self.build(entries, &mut scratch.winners);
        }
        self.current_time = max_pick_time;
        self.order = u64::from(n);
        // The picks left: each entry's floor falls short of its share by less than two.
        while picks_so_far < picks {
            self.pick_and_add(&weight);
            picks_so_far += 1;
        }
    }

    /// Keeps `entries` (key and item each, in key order) as bursts: runs of entries of one
    /// inverse weight `inv(item)` and one deadline. `winners` is a buffer.
    fn build_bursts(
        &mut self,
        entries: &[(Key, u32)],
        inv: impl Fn(u32) -> f64,
        winners: &mut Vec<u32>,
    ) {
        debug_assert!(
            entries.is_sorted_by_key(|&(key, _)| wide(key)),
            "entries out of order"
        );
        self.n = entries.len();
        self.items.clear();
        self.bursts.clear();
        self.spent = 0;
        let mut last: Option<(u64, u64)> = None;
        for (at, &(key, item)) in entries.iter().enumerate() {
            let inv = inv(item);
            match self.bursts.last_mut() {
                Some(burst) if last == Some((key.0, inv.to_bits())) => burst.len += 1,
                _ => {
                    self.bursts.push(Burst {
                        start: at as u32,
                        len: 1,
                        inv,
                    });
                }
            }
            last = Some((key.0, inv.to_bits()));
            self.items.push(item);
        }
        // A burst's key is its first entry's (taken out while the tree borrows the rest).
        let bursts = core::mem::take(&mut self.bursts);
        let first = |b: usize| entries[bursts[b].start as usize].0;
        self.build_tree(bursts.len(), first, winners);
        self.bursts = bursts;
    }

    /// Picks the item with the earliest deadline and re-adds it with `weight(item)` (when it
    /// was rebuilt with fixed weights, the weight it was rebuilt with: the same).
    #[inline(always)]
    pub(crate) fn pick_and_add(&mut self, weight: impl Fn(u32) -> f64) -> Option<u32> {
        if !self.bursts.is_empty() {
            return self.pick_fixed();
        }
        let top = self.top?;
        let item = *self.items.get(top.leaf as usize)?;
        self.current_time = f64::from_bits(top.deadline);
        let w = weight(item);
        debug_assert!(w > 0.0, "EDF weights must be positive");
        *self.orders.get_mut(top.leaf as usize)? = self.order;
        self.order += 1;
        let mask = self.size.wrapping_sub(1);
        let (tree, orders) = (self.tree.get_mut(..=mask)?, self.orders.get(..=mask)?);
        let up = Held {
            deadline: (self.current_time + 1.0 / w).to_bits(),
            leaf: top.leaf,
        };
        self.top = Some(replay(tree, orders, up));
        Some(item)
    }

    /// [`Edf::pick_and_add`] of a scheduler over fixed weights (kept as bursts): the top
    /// burst's next item; the tree replays once the burst is spent, out of line.
    #[inline(always)]
    fn pick_fixed(&mut self) -> Option<u32> {
        let top = self.top?;
        let burst = *self.bursts.get(top.leaf as usize)?;
        let item = *self.items.get((burst.start + self.spent) as usize)?;
        self.spent += 1;
        if self.spent == burst.len {
            self.re_add_burst(top, burst);
        }
        Some(item)
    }

    /// The top burst, `top`, was handed out: its entries come back with one deadline and the
    /// orders of their picks (`self.order` on, see `order`), and the tree replays it.
    #[inline(never)]
    fn re_add_burst(&mut self, top: Held, burst: Burst) {
        let order = self.order;
        self.order += u64::from(burst.len);
        self.spent = 0;
        let mask = self.size.wrapping_sub(1);
        let (Some(tree), Some(orders)) = (self.tree.get_mut(..=mask), self.orders.get_mut(..=mask))
        else {
            return;
        };
        self.current_time = f64::from_bits(top.deadline);
        orders[top.leaf as usize & mask] = order;
        let up = Held {
            deadline: (self.current_time + burst.inv).to_bits(),
            leaf: top.leaf,
        };
        self.top = Some(replay(tree, orders, up));
    }

    /// The next `out.len()` picks of a scheduler over fixed weights into `out`: what as many
    /// [`Edf::pick_and_add`] calls would give, each burst's items copied at once (see
    /// [`Edf::pick_runs`]). Returns how many it made: `out.len()`, or 0 when the scheduler is
    /// empty or asks for its weights ([`Weights::Varying`]). (The pickers make their runs
    /// with [`Edf::pick_runs`] directly; the tests check the runs through this.)
    #[cfg(test)]
    pub(crate) fn pick_many(&mut self, out: &mut [u32]) -> usize {
        let items = self.items.clone();
        self.pick_runs(out.len(), |first, made, n| {
            if let (Some(to), Some(from)) = (out.get_mut(made..made + n), items.get(first..)) {
                to.copy_from_slice(from.get(..n).unwrap_or_default());
            }
        })
    }

    /// The next `max` picks of a scheduler over fixed weights, as runs of consecutive
    /// entries: `run(first, made, n)` for each, the picks `made..made + n` being the bursts'
    /// items at positions `first..first + n` (see [`Edf::items`]), in pick order (`n` may be
    /// 0 at the end). What as many [`Edf::pick_and_add`] calls would give, with the slices
    /// and the order in locals, so that the compiler keeps them in registers from one burst
    /// to the next (each call reloads them: its stores into the tree might, for all it
    /// knows, change them). Returns how many it made: `max`, or 0 when the scheduler is empty
    /// or asks for its weights ([`Weights::Varying`]).
    ///
    /// One test a burst ends the loop: whether the run ends within it (which `made == max`
    /// also passes, with nothing left to take). The positions are handed out rather than the
    /// items (no slice to check); 129 → 103 instructions a burst (callgrind, zoned
    /// ROUND_ROBIN's locality scheduler, with its positions' lanes).
    #[inline(always)]
    pub(crate) fn pick_runs(
        &mut self,
        max: usize,
        mut run: impl FnMut(usize, usize, usize),
    ) -> usize {
        let Some(mut top) = self.top else {
            return 0;
        };
        let mask = self.size.wrapping_sub(1);
        let (Some(tree), Some(orders)) = (self.tree.get_mut(..=mask), self.orders.get_mut(..=mask))
        else {
            return 0;
        };
        let bursts = self.bursts.as_slice();
        let (mut order, mut spent, mut now) = (self.order, self.spent as usize, self.current_time);
        let mut made = 0;
        // The top is a burst (padding leaves never win; none without bursts).
        while let Some(&burst) = bursts.get(top.leaf as usize) {
            // A burst is re-added once spent: some of it is left.
            let (first, left) = (burst.start as usize + spent, burst.len as usize - spent);
            if left > max - made {
                // The run ends within the burst: the rest waits, the burst stays on top.
                let take = max - made;
                run(first, made, take);
                spent += take;
                made = max;
                break;
            }
            run(first, made, left);
            made += left;
            spent = 0;
            // Re-added: the winner's deadline comes back with the replay, no key is read.
            now = f64::from_bits(top.deadline);
            orders[top.leaf as usize & mask] = order;
            order += u64::from(burst.len);
            let up = Held {
                deadline: (now + burst.inv).to_bits(),
                leaf: top.leaf,
            };
            top = replay(tree, orders, up);
        }
        self.current_time = now;
        self.order = order;
        self.spent = spent as u32;
        self.top = Some(top);
        made
    }

    /// Over fixed weights where every entry is in one burst (one entry, or entries of one
    /// weight and one deadline: a priority of one locality, or of localities of equal
    /// weights), the next `out.len()` picks as positions (see [`Edf::items`]): the entries in
    /// turn from where the last pick left them, as [`Edf::pick_runs`] gives them. Returns
    /// `false` (nothing written) for any other scheduler.
    ///
    /// The burst's deadline is not stepped: no other is compared with it, and nothing reads
    /// it until the next rebuild, which starts it afresh (Envoy's `chooseLocality` steps a
    /// lone locality's scheduler all the same).
    ///
    /// A lone entry was a burst a pick through [`Edf::pick_runs`], eight lanes written and a
    /// replay each, and its rotation's lap ended at every pick of a one-host locality. The
    /// built-in default scenario (three priorities of a locality each) with this and
    /// `Lap::fill`: `pickIndex` natively 242 → 149 instructions a pick (callgrind), 15.0 →
    /// 9.3 ns (best of 5 × 1M picks); under Node `pickMany` 29 → 18 ns a pick.
    pub(crate) fn pick_one_burst(&mut self, out: &mut [u32]) -> bool {
        let [burst] = self.bursts.as_slice() else {
            return false;
        };
        // One burst holds every entry: it starts at 0, and `spent` is below its length.
        let (len, mut at) = (burst.len, self.spent);
        if len == 1 {
            out.fill(0);
            return true;
        }
        for position in out {
            *position = at;
            at += 1;
            if at == len {
                at = 0;
            }
        }
        self.spent = at;
        true
    }

    /// Over fixed weights, the bursts' items, burst by burst (the positions
    /// [`Edf::pick_runs`] names), fixed until the next rebuild; over varying weights, each
    /// leaf's.
    pub(crate) fn items(&self) -> &[u32] {
        self.items.get(..self.n).unwrap_or_default()
    }

    /// Renames every item through `f` (the order of the entries is unchanged).
    pub(crate) fn map_items(&mut self, f: impl Fn(u32) -> u32) {
        for item in self.items.iter_mut().take(self.n) {
            *item = f(*item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::strategy::Strategy;

    /// `edf`'s next `n` picks (fewer if it has none).
    fn picks_of(edf: &mut Edf, n: usize, weight: impl Fn(u32) -> f64) -> Vec<u32> {
        (0..n).map_while(|_| edf.pick_and_add(&weight)).collect()
    }

    #[test]
    fn picks_follow_weights_and_break_ties_by_insertion_order() {
        let weights = [1.0, 2.0, 3.0];
        let mut edf = Edf::default();
        for (i, w) in weights.iter().enumerate() {
            edf.add(*w, i as u32);
        }
        let picks: Vec<u32> = picks_of(&mut edf, 6, |i| weights[i as usize]);
        // Deadlines: a 1, 2, ...; b 0.5, 1, 1.5, ...; c 1/3, 2/3, 1, ...
        // Order: c(1/3) b(1/2) c(2/3) then a, b, c all at 1 -> insertion order a, b, c.
        assert_eq!(picks, [2, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn create_with_picks_equals_adding_then_picking() {
        // createWithPicks' contract: the same state as adding the entries to an empty scheduler
        // and picking `picks` times. Entries whose deadlines tie may come out in another order
        // (the epsilon Envoy adds shifts them), so these weights have no common multiples.
        let weights = [5.5, 7.3, 1.9, 3.7];
        for picks in [0_u32, 1, 5, 23, 101, 1000] {
            let mut slow = Edf::default();
            for (i, w) in weights.iter().enumerate() {
                slow.add(*w, i as u32);
            }
            for _ in 0..picks {
                slow.pick_and_add(|i| weights[i as usize]);
            }
            let mut fast = Edf::default();
            fast.rebuild_with_picks(
                4,
                |i| weights[i as usize],
                picks,
                Weights::Varying,
                &mut EdfScratch::default(),
            );
            let a: Vec<u32> = picks_of(&mut slow, 50, |i| weights[i as usize]);
            let b: Vec<u32> = picks_of(&mut fast, 50, |i| weights[i as usize]);
            assert_eq!(a.len(), 50, "picks = {picks}");
            assert_eq!(a, b, "picks = {picks}");
        }
    }

    /// The plainest EDF there is: a list scanned for the least `(deadline, order)`, as
    /// `EdfScheduler` orders its queue. The tree must pick exactly as it does.
    struct Reference {
        entries: Vec<(f64, u64, u32)>,
        current_time: f64,
        order: u64,
    }

    impl Reference {
        fn new(weights: &[f64]) -> Self {
            let mut r = Self {
                entries: Vec::new(),
                current_time: 0.0,
                order: 0,
            };
            for (i, w) in weights.iter().enumerate() {
                r.entries
                    .push((r.current_time + 1.0 / w, r.order, i as u32));
                r.order += 1;
            }
            r
        }

        fn pick_and_add(&mut self, weight: impl Fn(u32) -> f64) -> Option<u32> {
            let (at, _) = self
                .entries
                .iter()
                .enumerate()
                .min_by(|(_, a), (_, b)| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)))?;
            let (deadline, _, item) = self.entries.remove(at);
            self.current_time = deadline;
            self.entries
                .push((self.current_time + 1.0 / weight(item), self.order, item));
            self.order += 1;
            Some(item)
        }
    }

    proptest::proptest! {
        /// Any weights (ties included: equal and multiple weights), fixed or changing between
        /// picks as least request's do: the tree picks as the reference list.
        #[test]
        fn the_tree_picks_as_a_plain_edf(
            weights in proptest::collection::vec(1_u32..=8, 1..70),
            changing in proptest::bool::ANY,
            picks in 1_usize..600,
        ) {
            let weights: Vec<f64> = weights.into_iter().map(f64::from).collect();
            let mut reference = Reference::new(&weights);
            let mut tree = Edf::default();
            for (i, w) in weights.iter().enumerate() {
                tree.add(*w, i as u32);
            }
            let calls = core::cell::Cell::new(0_u32);
            let weight = |i: u32| {
                let w = weights[i as usize];
                if changing {
                    calls.set(calls.get() + 1);
                    w / f64::from(1 + calls.get() % 3)
                } else {
                    w
                }
            };
            for _ in 0..picks {
                let before = calls.get();
                let a = reference.pick_and_add(weight);
                calls.set(before);
                let b = tree.pick_and_add(weight);
                proptest::prop_assert!(a.is_some());
                proptest::prop_assert_eq!(a, b);
            }
        }
    }

    /// Schedulers over `weights` after `picks` initial picks: one asking for each weight (a
    /// tree of entries), and one over fixed weights (bursts).
    fn built_both(weights: &[f64], picks: u32) -> (Edf, Edf) {
        let build = |kind| {
            let mut edf = Edf::default();
            let n = weights.len() as u32;
            let weight = |i: u32| weights[i as usize];
            edf.rebuild_with_picks(n, weight, picks, kind, &mut EdfScratch::default());
            edf
        };
        (build(Weights::Varying), build(Weights::Fixed))
    }

    /// An entry's weight in the property tests: integer ones (Envoy's host weights) and
    /// fractional ones (the localities' effective weights, some far apart).
    fn weight_value() -> impl Strategy<Value = f64> {
        proptest::prop_oneof![
            (1_u32..=8).prop_map(f64::from),
            (1_u32..=12).prop_map(f64::from),
            proptest::sample::select(alloc::vec![0.6, 1.8, 2.4, 0.2, 3.3, 1.0 / 3.0, 1e-3, 7.7e5]),
        ]
    }

    /// Weights for the property tests: any mix, or a few shared by many entries (long
    /// bursts).
    fn weight_list() -> impl Strategy<Value = Vec<f64>> {
        proptest::prop_oneof![
            proptest::collection::vec(weight_value(), 1..400),
            (
                proptest::collection::vec(weight_value(), 1..6),
                proptest::collection::vec(0_usize..6, 1..300),
            )
                .prop_map(|(palette, of)| {
                    of.iter()
                        .map(|&k| palette[k % palette.len()])
                        .collect::<Vec<f64>>()
                }),
        ]
    }

    proptest::proptest! {
        /// Fixed weights kept as bursts pick exactly as the tree of entries from the same
        /// `createWithPicks` start: integer weights (Envoy's host weights), fractional ones
        /// (the localities' effective weights), and any number of initial picks (whose
        /// rounded deadlines split bursts and may fall before a later re-add). A copy made in
        /// the middle of a burst picks as its original.
        #[test]
        fn bursts_pick_as_the_tree(
            weights in weight_list(),
            picks in proptest::prop_oneof![0_u32..1000, proptest::num::u32::ANY],
            copy_at in 0_usize..50,
        ) {
            let weight = |i: u32| weights[i as usize];
            let (mut tree, mut bursts) = built_both(&weights, picks);
            proptest::prop_assert!(!bursts.bursts.is_empty() && bursts.bursts.len() <= weights.len());
            let mut copy = Edf::default();
            for step in 0..(3 * weights.len() + 50) {
                if step == copy_at {
                    copy.copy_from(&bursts);
                }
                let a = tree.pick_and_add(weight);
                let b = bursts.pick_and_add(weight);
                proptest::prop_assert!(a.is_some());
                proptest::prop_assert_eq!(a, b, "pick {}", step);
            }
            let (_, mut again) = built_both(&weights, picks);
            for step in 0..copy_at.min(3 * weights.len() + 50) {
                again.pick_and_add(weight);
                let _ = step;
            }
            for step in 0..100 {
                proptest::prop_assert_eq!(copy.pick_and_add(weight), again.pick_and_add(weight), "copy, pick {}", step);
            }
        }
    }

    proptest::proptest! {
        /// A scheduler over fixed weights makes runs of picks (`pick_many`, runs of 0 to 16)
        /// that are the picks of a tree asking for each weight, one at a time, and both go on
        /// alike after, whether a run ends within a burst or at its end.
        #[test]
        fn runs_of_picks_are_the_picks_one_at_a_time(
            weights in weight_list(),
            picks in proptest::prop_oneof![0_u32..1000, proptest::num::u32::ANY],
            runs in proptest::collection::vec(0_usize..=16, 1..40),
        ) {
            let weight = |i: u32| weights[i as usize];
            let (mut one, mut many) = built_both(&weights, picks);
            for run in runs {
                let mut out = [u32::MAX; 16];
                let made = many.pick_many(&mut out[..run]);
                proptest::prop_assert_eq!(made, run);
                for (i, &item) in out[..run].iter().enumerate() {
                    proptest::prop_assert_eq!(Some(item), one.pick_and_add(weight), "pick {}", i);
                }
            }
            for step in 0..20 {
                let a = many.pick_and_add(weight);
                proptest::prop_assert_eq!(a, one.pick_and_add(weight), "after, pick {}", step);
            }
        }
    }

    proptest::proptest! {
        /// A scheduler of one burst (entries of one weight, from any number of initial
        /// picks) hands out its runs (`pick_one_burst`) as the picks of a tree asking for each
        /// weight, one at a time, and both go on alike after.
        #[test]
        fn one_burst_takes_its_entries_in_turn(
            n in 1_usize..8,
            w in weight_value(),
            picks in proptest::prop_oneof![0_u32..1000, proptest::num::u32::ANY],
            runs in proptest::collection::vec(0_usize..=16, 1..40),
        ) {
            let weights = alloc::vec![w; n];
            let weight = |i: u32| weights[i as usize];
            let (mut one, mut many) = built_both(&weights, picks);
            proptest::prop_assert_eq!(many.bursts.len(), 1);
            for run in runs {
                let mut out = [u32::MAX; 16];
                proptest::prop_assert!(many.pick_one_burst(&mut out[..run]));
                for (i, &at) in out[..run].iter().enumerate() {
                    let item = many.items().get(at as usize).copied();
                    proptest::prop_assert_eq!(item, one.pick_and_add(weight), "pick {}", i);
                }
            }
            for step in 0..20 {
                let a = many.pick_and_add(weight);
                proptest::prop_assert_eq!(a, one.pick_and_add(weight), "after, pick {}", step);
            }
        }
    }

    #[test]
    fn only_a_scheduler_of_one_burst_takes_its_entries_in_turn() {
        let mut out = [u32::MAX; 4];
        // Weights 2, 2, 2, 1: two bursts (see the test below).
        let (mut varying, mut two) = built_both(&[2.0, 2.0, 2.0, 1.0], 0);
        assert!(!two.pick_one_burst(&mut out));
        assert!(!varying.pick_one_burst(&mut out));
        assert!(!Edf::default().pick_one_burst(&mut out));
        assert_eq!(out, [u32::MAX; 4]);
        // One entry: every pick is it.
        let (_, mut lone) = built_both(&[3.0], 7);
        assert!(lone.pick_one_burst(&mut out));
        assert_eq!(out, [0; 4]);
    }

    #[test]
    fn entries_of_one_weight_and_deadline_are_one_burst() {
        // Weights 2, 2, 2, 1 from an empty start: deadlines 1/(2 + 1e-13) for the first three
        // (one burst, in insertion order) and 1/(1 + 1e-13) for the last (a burst of its own).
        let weights = [2.0, 2.0, 2.0, 1.0];
        let (_, mut edf) = built_both(&weights, 0);
        assert_eq!(edf.bursts.len(), 2);
        assert_eq!(edf.items, [0, 1, 2, 3]);
        // The burst comes back at 1/(2 + 1e-13) + 1/2 = 1 - 2.5e-14, after 3's 1 - 1e-13; then
        // at 1.5 - 2.5e-14, before 3's 2 - 1e-13; then at 2 - 2.5e-14, after it.
        let picks: Vec<u32> = picks_of(&mut edf, 12, |i| weights[i as usize]);
        assert_eq!(picks, [0, 1, 2, 3, 0, 1, 2, 0, 1, 2, 3, 0]);
        // Picked once from the start: the first burst is under way, and goes on from 1.
        let (_, mut edf) = built_both(&weights, 1);
        assert_eq!((edf.bursts.len(), edf.spent), (2, 1));
        let picks: Vec<u32> = picks_of(&mut edf, 6, |i| weights[i as usize]);
        assert_eq!(picks, [1, 2, 3, 0, 1, 2]);
    }

    #[test]
    fn weights_of_one_initial_deadline_interleave_by_order() {
        // 7.000000000000002 and the next float up: their augmented weights are distinct, and
        // so are their inverses, but 1 / (w + 1e-13) rounds to one initial deadline. The
        // entries alternate, so in key order (by item) they alternate too: four bursts.
        let (a, b) = (7.000_000_000_000_003, 7.000_000_000_000_002);
        assert!(1.0_f64 / a != 1.0 / b && 1.0 / (a + 1e-13) == 1.0 / (b + 1e-13));
        let weights = [a, b, a, b];
        let weight = |i: u32| weights[i as usize];
        let (mut tree, mut bursts) = built_both(&weights, 0);
        assert_eq!(bursts.items, [0, 1, 2, 3]);
        assert_eq!(bursts.bursts.len(), 4);
        for step in 0..40 {
            assert_eq!(
                bursts.pick_and_add(weight),
                tree.pick_and_add(weight),
                "pick {step}"
            );
        }
    }

    #[test]
    fn entries_of_one_deadline_and_other_weights_are_bursts_apart() {
        // Three entries at 10.0, orders 0 to 2; the middle one of weight 2, the others of
        // weight 4: three bursts, as the middle one comes back later than the others.
        let inv = |item: u32| if item == 1 { 0.5 } else { 0.25 };
        let entries: Vec<(Key, u32)> = (0..3).map(|i| (key(10.0, u64::from(i)), i)).collect();
        let mut edf = Edf::default();
        edf.build_bursts(&entries, inv, &mut Vec::new());
        edf.order = 3;
        assert_eq!(edf.bursts.len(), 3);
        // 0 → (10.25, 3), 1 → (10.5, 4), 2 → (10.25, 5); 0 → (10.5, 6), 2 → (10.5, 7);
        // 1 → (11.0, 8), 0 → (10.75, 9), 2 → (10.75, 10); 0 → (11.0, 11), 2 → (11.0, 12);
        // then 1, 0, 2 at 11.0.
        let picks: Vec<u32> = picks_of(&mut edf, 13, |i| 1.0 / inv(i));
        assert_eq!(picks, [0, 1, 2, 0, 2, 1, 0, 2, 0, 2, 1, 0, 2]);
    }

    #[test]
    fn a_rounded_initial_deadline_is_put_back_in_order() {
        // Two entries of one weight whose keys are out of order when the first comes back:
        // the bursts must still pick the least key first.
        let mut edf = Edf::default();
        let n = 8;
        let mut entries: Vec<(Key, u32)> = [(key(10.0, 0), 0), (key(10.5, 1), 1)]
            .into_iter()
            .chain((2..n).map(|i| (key(18.0 + f64::from(i), u64::from(i)), i)))
            .collect();
        entries.sort_unstable_by_key(|&(key, _)| wide(key));
        edf.build_bursts(&entries, |_| 0.25, &mut Vec::new());
        edf.order = u64::from(n);
        // Picks 0 at 10.0 and re-adds it at 10.25: before every other entry.
        assert_eq!(edf.pick_and_add(|_| 4.0), Some(0));
        assert_eq!(edf.pick_and_add(|_| 4.0), Some(0));
        // 0 now at 10.5 with a later order than 1 (10.5, order 1), before 2 (20.0).
        assert_eq!(edf.pick_and_add(|_| 4.0), Some(1));
        assert_eq!(edf.pick_and_add(|_| 4.0), Some(0));
        // Both back at 10.75, 1 first (re-added first); entry 2 waits at 20.0.
        assert_eq!(edf.pick_and_add(|_| 4.0), Some(1));
        assert_eq!(edf.pick_and_add(|_| 4.0), Some(0));
    }

    #[test]
    fn renamed_items_and_a_single_entry() {
        let weights = [2.0, 1.0, 3.0];
        let mut edf = Edf::default();
        edf.rebuild_with_picks(
            3,
            |i| weights[i as usize],
            0,
            Weights::Varying,
            &mut EdfScratch::default(),
        );
        let plain: Vec<u32> = picks_of(&mut edf, 12, |i| weights[i as usize]);
        let mut renamed = Edf::default();
        renamed.rebuild_with_picks(
            3,
            |i| weights[i as usize],
            0,
            Weights::Fixed,
            &mut EdfScratch::default(),
        );
        renamed.map_items(|i| 10 + i);
        let picked: Vec<u32> = picks_of(&mut renamed, 12, |i| weights[(i - 10) as usize]);
        assert_eq!(picked, plain.iter().map(|i| i + 10).collect::<Vec<_>>());
        // Renamed while kept as bursts (40 entries of 3 weights, as a locality scheduler's
        // are): the leaves are bursts, and only the entries' items change.
        let weights: Vec<f64> = (0..40).map(|i| f64::from(i % 3 + 1) * 0.7).collect();
        let build = |weights_do| {
            let mut edf = Edf::default();
            let weight = |i: u32| weights[i as usize];
            edf.rebuild_with_picks(40, weight, 11, weights_do, &mut EdfScratch::default());
            edf
        };
        let (mut tree, mut bursts) = (build(Weights::Varying), build(Weights::Fixed));
        assert!(bursts.bursts.len() < 10);
        bursts.map_items(|i| 100 + i);
        for _ in 0..200 {
            let want = tree.pick_and_add(|i| weights[i as usize]).map(|i| 100 + i);
            assert_eq!(bursts.pick_and_add(|i| weights[(i - 100) as usize]), want);
        }
        let mut one = Edf::default();
        one.rebuild_with_picks(1, |_| 5.0, 7, Weights::Fixed, &mut EdfScratch::default());
        assert_eq!(one.pick_and_add(|_| 5.0), Some(0));
        assert_eq!(one.pick_and_add(|_| 5.0), Some(0));
        let mut none = Edf::default();
        none.rebuild_with_picks(0, |_| 1.0, 3, Weights::Fixed, &mut EdfScratch::default());
        assert_eq!(none.pick_and_add(|_| 1.0), None);
    }
}
