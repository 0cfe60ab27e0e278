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

/// The deadline a key holds.
#[inline]
fn deadline(key: Key) -> f64 {
    f64::from_bits(key.0)
}

/// A key as one integer, for a comparison without a branch.
#[inline(always)]
fn wide(key: Key) -> u128 {
    (u128::from(key.0) << 64) | u128::from(key.1)
}

/// Replays leaf `leaf`'s matches up to the root of the loser tree `tree` (`levels` of them)
/// after its key became `added` (already in `keys`): at each node the lesser key goes on up,
/// the greater stays. Orders are unique, so `<` never meets equal keys. Returns the leaf that
/// now holds the least key.
///
/// `tree` and `keys` are the tree's `size` slots each (callers slice both to `..=size - 1`),
/// `size` a power of two, and every index is below it by construction (internal nodes
/// `1..size`, leaves `< size`); they are masked by `size - 1` anyway, which changes none and
/// shows the compiler, once inlined, that they are in bounds: it drops two checks a level.
#[inline(always)]
fn replay(tree: &mut [u32], keys: &[Key], levels: u32, leaf: usize, added: Key) -> u32 {
    replay_path::<false>(tree, keys, levels, leaf, added).0
}

/// [`replay`], and under `TRACK` whether the next replay of the winner may be skipped: the
/// least deadline (as bits) of the keys left at the nodes of the replayed path when the
/// replayed leaf won again (then the winner's path holds exactly those losers, and a re-add of
/// an earlier deadline would win every match again and change nothing), 0 otherwise (the
/// winner's path is another, and the next re-add replays; always 0 without `TRACK`).
#[inline(always)]
fn replay_path<const TRACK: bool>(
    tree: &mut [u32],
    keys: &[Key],
    levels: u32,
    leaf: usize,
    added: Key,
) -> (u32, u64) {
    use core::hint::select_unpredictable as select;
    let mask = tree.len().wrapping_sub(1);
    let (mut up, mut up_key) = (leaf as u32, wide(added));
    let mut node = tree.len() + leaf;
    let mut least_left = u128::MAX;
    for _ in 0..levels {
        node >>= 1;
        let held = tree[node & mask];
        let held_key = wide(keys[held as usize & mask]);
        let swap = held_key < up_key;
        tree[node & mask] = select(swap, up, held);
        if TRACK {
            least_left = least_left.min(select(swap, up_key, held_key));
        }
        up = select(swap, held, up);
        up_key = select(swap, held_key, up_key);
    }
    let won_again = TRACK && up == leaf as u32;
    let bound = if won_again {
        (least_left >> 64) as u64
    } else {
        0
    };
    (up, bound)
}

/// Greater than every real key (a real deadline is finite): the key of the tree's padding
/// leaves, which therefore never win.
const NEVER: Key = (u64::MAX, u64::MAX);

/// An EDF scheduler over a fixed set of items (indices into the caller's slice).
///
/// A pick always re-adds the entry it takes, so the set of entries never changes between
/// rebuilds: a tournament tree (a loser tree) over one leaf per entry keeps the least key at
/// the top. Re-adding the winner replays its path to the root, one comparison per level
/// (`log2 n`), where a binary heap's sift-down compares twice per level and moves entries.
///
/// The tree is laid out as an implicit binary tree over a power-of-two number of leaves
/// (`size`; the leaves past the entries hold [`NEVER`]): leaf `i` is node `size + i`, the parent
/// of node `k` is `k / 2`, internal nodes are `1..size`. A node holds only the *leaf* that lost
/// its match (4 bytes); keys, items and inverse weights are arrays by leaf. Every path has the
/// same length, so a pick's replay is a loop the branch predictor knows the length of, and a
/// level is a load of the stored leaf and its key (both independent of the match below, so
/// they are in flight before it is decided), one comparison and three selects.
#[derive(Debug, Clone, Default)]
pub(crate) struct Edf {
    /// `tree[node]`, the leaf that lost the match at internal node `1..size` (`tree[0]` is
    /// unused). The leaves are the entries, or with classes the classes (their heads).
    tree: Vec<u32>,
    /// Each leaf's key (`size` of them): an entry's, or a class head's.
    keys: Vec<Key>,
    /// Each leaf's item (entries only).
    items: Vec<u32>,
    /// Leaves, a power of two (0: no entries).
    size: usize,
    /// `log2 size`, the matches on every path.
    levels: u32,
    /// The leaf holding the least key (`None`: no entries).
    top: Option<u32>,
    /// Entries.
    n: usize,
    /// Non-empty: the entries are kept by weight class instead of in the tree.
    classes: Vec<Class>,
    /// Classes: the entries, class by class, each class's slots a ring in key order.
    slots: Vec<Slot>,
    /// A tree over fixed weights: `1 / weight` by leaf, the value a pick adds to the current
    /// time (empty otherwise: the weight is asked for at each pick).
    inverse: Vec<f64>,
    current_time: f64,
    order: u64,
    /// Classes (bit `c`) whose next re-add may land before an initial key (see
    /// [`Edf::settle`]).
    unsettled: u32,
    /// With classes, a deadline (as bits) below which the top's next key needs no replay
    /// (see [`replay_path`]; 0: replay). A deadline rather than a whole key: 8 bytes an
    /// EDF rather than 16, and one comparison; a next key that ties on the deadline replays.
    skip_below: u64,
    /// Classes of [`MIN_RUN_CLASS_SIZE`] entries or more on average: a class's entries mostly
    /// share a deadline (they start with one, and move by one increment), so the top class
    /// wins a run of picks, and its replays are skipped while it does (`skip_below`).
    /// ROUND_ROBIN over weights 1–8 at 100,000 hosts in one locality (8 classes of 12,500,
    /// whose laps are runs): 190 → 107 instructions a pick, 13.0–13.7 → 7.2–7.6 ns
    /// (interleaved runs of a loop). Where laps are short, the skip's branch goes either way
    /// and costs more than it saves: zoned ROUND_ROBIN (50 localities in 16 classes) tested at
    /// every pick took 257 → 274 instructions, 20.8–21.0 → 23.6–23.9 ns; zoned ROUND_ROBIN
    /// over weights 1–8 (a locality's 67 hosts in 8 classes) 47.1–47.5 → 49.6–50.6 ns with
    /// runs from 8 entries a class, 46.6–48.4 from 32.
    runs: bool,
}

/// An entry kept in a weight class: its key and item.
#[derive(Debug, Clone, Copy)]
struct Slot {
    key: Key,
    item: u32,
}

/// Most weight classes an EDF over fixed weights keeps as queues (see [`Class`]); with more
/// distinct weights, the tree over the entries.
const MAX_CLASSES: usize = 16;

/// Fewest entries a weight class holds on average for [`Weights::Fixed`] entries to be kept as
/// classes: a pick then replays `log2 classes` matches and rotates a queue, rather than
/// `log2 entries` matches. A rotation costs about two matches' instructions (callgrind: 50
/// localities in 12 classes picked in 330 instructions, as a tree of 64 leaves in 322), so
/// classes of eight entries or more, which save three matches or more.
const MIN_CLASS_SIZE: usize = 8;

/// Fewest entries a weight class holds on average for its laps to skip their replays (see
/// `Edf::runs`).
const MIN_RUN_CLASS_SIZE: usize = 32;

/// What an EDF's weights do until its next rebuild, which decides how it keeps its entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Weights {
    /// They follow something outside (least request's, the requests in flight): the tree,
    /// asking for each weight at its pick.
    Varying,
    /// Fixed (round robin's host weights): classes ([`Class`]) of [`MIN_CLASS_SIZE`] entries or
    /// more on average, else the tree.
    Fixed,
    /// Fixed, and the localities' effective weights: classes whenever their tree has a quarter
    /// of the entries' leaves or fewer (two matches fewer a pick, one more than a rotation
    /// costs in a run of picks). Priority 0 of the zoned benchmark, 50 localities of 16
    /// weights (64 leaves against 16): zoned ROUND_ROBIN 21.1–21.7 → 19.8–20.3 ns a pick at 1k,
    /// 10k and 100k endpoints (260 instructions rather than 275), RANDOM 23.8–24.2 →
    /// 21.8–22.6, LEAST_REQUEST (one pick at a time) 28.0–29.1 → 25.9–27.6 (interleaved
    /// loop runs). A scheduler of one locality stays a tree: it has nothing to save.
    Localities,
}

/// The entries of one weight, when weights are fixed between rebuilds (round robin's host
/// weights, the localities' effective weights).
///
/// An entry picked at time `t` comes back with deadline `t + 1/w` and the next order. Picks
/// happen at non-decreasing times and rounding is monotonic, so every entry of weight `w` came
/// back at a time `t' <= t`, with a deadline `t' + 1/w <= t + 1/w` and an earlier order: the
/// re-added entry's key is the greatest of its class. Each class is therefore a queue in key
/// order, its head its least key, and the least key overall is the least of the heads: the
/// loser tree is kept over the class heads (at most [`MAX_CLASSES`] leaves), and a pick rotates
/// one queue, reading memory in order, and replays `log2 classes` matches, where the tree over
/// the entries replays `log2 n` in places a large tree has out of cache. Keys are unique, so
/// both structures pick the same entry. (Envoy's initial deadlines from
/// `createWithPicks` can exceed a later re-add by a rounding; the re-added entry is then moved
/// back to its place in key order, so the order holds whatever the arithmetic.)
#[derive(Debug, Clone, Copy)]
struct Class {
    /// The class's slots are `slots[start..start + len]`, a full ring whose first entry in key
    /// order is at `start + head`.
    start: u32,
    len: u32,
    head: u32,
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

/// Whether `n` entries of `distinct` weights (at most [`MAX_CLASSES`]) are kept as classes
/// under `weights` (see [`Weights`]).
fn classes_pay(weights: Weights, n: usize, distinct: usize) -> bool {
    match weights {
        Weights::Varying => false,
        Weights::Fixed => n >= distinct * MIN_CLASS_SIZE,
        Weights::Localities => leaves(n) >= 4 * leaves(distinct),
    }
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
    /// Room for `n` entries rebuilt with `weights`, so rebuilds up to that size allocate
    /// nothing. Varying weights keep the tree alone (no classes, no inverse weights): 24 bytes
    /// a leaf rather than 32 and 24 bytes an entry more.
    pub(crate) fn reserve(&mut self, n: usize, weights: Weights) {
        let size = leaves(n);
        reserve_to(&mut self.tree, size);
        reserve_to(&mut self.keys, size);
        reserve_to(&mut self.items, size);
        if weights != Weights::Varying {
            reserve_to(&mut self.slots, n);
            reserve_to(&mut self.classes, MAX_CLASSES);
            reserve_to(&mut self.inverse, size);
        }
    }

    /// Makes `self` the same scheduler as `other`, reusing its buffers (no allocation when
    /// they have room for `other`'s entries).
    pub(crate) fn copy_from(&mut self, other: &Self) {
        copy_vec(&mut self.tree, &other.tree);
        copy_vec(&mut self.keys, &other.keys);
        copy_vec(&mut self.items, &other.items);
        copy_vec(&mut self.classes, &other.classes);
        copy_vec(&mut self.slots, &other.slots);
        copy_vec(&mut self.inverse, &other.inverse);
        self.size = other.size;
        self.levels = other.levels;
        self.top = other.top;
        self.n = other.n;
        self.current_time = other.current_time;
        self.order = other.order;
        self.unsettled = other.unsettled;
        self.skip_below = other.skip_below;
        self.runs = other.runs;
    }

    /// Empties the scheduler, keeping its buffers' capacity.
    pub(crate) fn clear(&mut self) {
        self.tree.clear();
        self.keys.clear();
        self.items.clear();
        self.classes.clear();
        self.slots.clear();
        self.inverse.clear();
        self.size = 0;
        self.levels = 0;
        self.top = None;
        self.n = 0;
        self.current_time = 0.0;
        self.order = 0;
        self.unsettled = 0;
        self.skip_below = 0;
        self.runs = false;
    }

    /// Builds the tree over `entries` (key and item, one per leaf), `winners` a buffer.
    fn build(&mut self, entries: &[(Key, u32)], winners: &mut Vec<u32>) {
        self.n = entries.len();
        self.classes.clear();
        self.slots.clear();
        self.build_tree(entries, winners);
    }

    /// The loser tree over `leaves` (key and item each), `winners` a buffer.
    fn build_tree(&mut self, leaves_in: &[(Key, u32)], winners: &mut Vec<u32>) {
        let n = leaves_in.len();
        if n == 0 {
            self.size = 0;
            self.levels = 0;
            self.top = None;
            return;
        }
        let size = leaves(n);
        self.size = size;
        self.levels = size.trailing_zeros();
        self.skip_below = 0;
        self.keys.clear();
        self.keys.extend(leaves_in.iter().map(|&(key, _)| key));
        self.keys.resize(size, NEVER);
        self.items.clear();
        self.items.extend(leaves_in.iter().map(|&(_, item)| item));
        self.items.resize(size, u32::MAX);
        // Each node's winner, bottom up; the tree keeps the losers.
        set_len(winners, 2 * size, 0);
        set_len(&mut self.tree, size, 0);
        for leaf in 0..size {
            winners[size + leaf] = leaf as u32;
        }
        for node in (1..size).rev() {
            let (a, b) = (winners[2 * node], winners[2 * node + 1]);
            let a_wins = wide(self.keys[a as usize]) < wide(self.keys[b as usize]);
            let (win, lose) = if a_wins { (a, b) } else { (b, a) };
            winners[node] = win;
            self.tree[node] = lose;
        }
        self.top = Some(winners[1]);
    }

    /// Adds `item` with `weight` (> 0).
    #[cfg(test)]
    pub(crate) fn add(&mut self, weight: f64, item: u32) {
        debug_assert!(weight > 0.0, "EDF weights must be positive");
        // Tests only: gather every key and rebuild.
        let mut entries: Vec<(Key, u32)> =
            (0..self.n).map(|l| (self.keys[l], self.items[l])).collect();
        entries.push((key(self.current_time + 1.0 / weight, self.order), item));
        self.order += 1;
        self.build(&entries, &mut Vec::new());
    }

    /// Rebuilds the scheduler over items `0..n` as if they had been added in order to an empty
    /// scheduler and then picked `picks` times (Envoy's `EdfScheduler::createWithPicks`, which
    /// gives each worker a different starting point). `weights` says whether `weight` gives
    /// every pick until the next rebuild the same weights, and so whether the entries may be
    /// kept as weight classes ([`Class`]). Reuses the buffers: allocates nothing when the
    /// scheduler and `scratch` have room for `n` entries.
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
        let entries = &mut scratch.entries;
        entries.clear();
        let mut picks_so_far = 0_u32;
        let mut max_pick_time = 0.0_f64;
        for i in 0..n {
            let w = augmented(i);
            let mut floor_picks = (w * f64::from(picks) / weights_sum) as u32;
            if floor_picks > 0 && f64::from(floor_picks) / w >= per_weight {
                floor_picks -= 1;
            }
            let pick_time = f64::from(floor_picks) / w;
            entries.push((key(f64::from(floor_picks + 1) / w, u64::from(i)), i));
            max_pick_time = max_pick_time.max(pick_time);
            picks_so_far += floor_picks;
        }
        self.inverse.clear();
        let fixed = weights != Weights::Varying;
        if !(fixed && self.build_classes(entries, &weight, weights, &mut scratch.winners)) {
            self.build(entries, &mut scratch.winners);
            if fixed {
                // Leaf `i` holds item `i`.
                self.inverse.extend((0..n).map(|i| 1.0 / weight(i)));
            }
        }
        self.current_time = max_pick_time;
        self.order = u64::from(n);
        while picks_so_far < picks {
            self.pick_and_add(&weight);
            picks_so_far += 1;
        }
    }

    /// Keeps `entries` (keys in the order of their items, as `rebuild_with_picks` makes them)
    /// by weight class when they have at most [`MAX_CLASSES`] distinct weights and `weights`
    /// finds classes worth it ([`Weights::Fixed`], [`Weights::Localities`]); `false` (and
    /// nothing changed) otherwise. `winners` is a buffer.
    fn build_classes(
        &mut self,
        entries: &[(Key, u32)],
        weight: &impl Fn(u32) -> f64,
        weights: Weights,
        winners: &mut Vec<u32>,
    ) -> bool {
        // Distinct weights (by bits) in first-seen order, with their counts.
        let mut seen = [(0_u64, 0_u32); MAX_CLASSES];
        let mut distinct = 0;
        for &(_, item) in entries {
            let bits = weight(item).to_bits();
            match seen[..distinct].iter_mut().find(|(b, _)| *b == bits) {
                Some((_, count)) => *count += 1,
                None if distinct < MAX_CLASSES => {
                    seen[distinct] = (bits, 1);
                    distinct += 1;
                }
                None => return false,
            }
        }
        if !classes_pay(weights, entries.len(), distinct) {
            return false;
        }
        self.runs = entries.len() >= distinct * MIN_RUN_CLASS_SIZE;
        self.n = entries.len();
        self.classes.clear();
        // Every slot is written below.
        set_len(
            &mut self.slots,
            entries.len(),
            Slot {
                key: NEVER,
                item: u32::MAX,
            },
        );
        let mut start = 0_u32;
        for &(bits, count) in &seen[..distinct] {
            self.classes.push(Class {
                start,
                len: count,
                head: 0,
                inv: 1.0 / f64::from_bits(bits),
            });
            start += count;
        }
        // Each class's entries in item order; then each class in key order (they already are:
        // entries of one weight start with one deadline, so their orders decide).
        let mut next: [u32; MAX_CLASSES] = [0; MAX_CLASSES];
        for &(key, item) in entries {
            let bits = weight(item).to_bits();
            let c = seen[..distinct]
                .iter()
                .position(|(b, _)| *b == bits)
                .unwrap_or(0);
            let class = self.classes[c];
            self.slots[(class.start + next[c]) as usize] = Slot { key, item };
            next[c] += 1;
        }
        let mut heads = [(NEVER, 0_u32); MAX_CLASSES];
        for (c, class) in self.classes.iter().enumerate() {
            let slots = &mut self.slots[class.start as usize..(class.start + class.len) as usize];
            if !slots.is_sorted_by_key(|s| s.key) {
                slots.sort_unstable_by_key(|s| s.key);
            }
            heads[c] = (slots[0].key, c as u32);
            if slots.len() > 1 {
                self.unsettled |= 1 << c;
            }
        }
        self.build_tree(&heads[..distinct], winners);
        true
    }

    /// Class `c`'s head is picked: it is re-added at the class's tail with the next order.
    /// Returns the item and the class's new head key.
    #[inline(always)]
    fn rotate_class(&mut self, c: usize) -> Option<(u32, Key)> {
        let class = self.classes.get_mut(c)?;
        let (start, head) = (class.start as usize, class.head as usize);
        let slot = self.slots.get_mut(start + head)?;
        let item = slot.item;
        self.current_time = deadline(slot.key);
        let added = key(self.current_time + class.inv, self.order);
        self.order += 1;
        slot.key = added;
        let next = if head + 1 == class.len as usize {
            0
        } else {
            head + 1
        };
        class.head = next as u32;
        if self.unsettled != 0 {
            self.settle(c, head, added);
        }
        Some((item, self.slots.get(start + next)?.key))
    }

    /// After class `c`'s entry at ring position `at` was re-added with key `added`, while some
    /// class may hold an initial key above a re-added one: the re-added entry is the ring's
    /// last, in order when the entry before it has a lesser key, as it has but for a rounding
    /// of Envoy's initial deadlines; otherwise it is moved back to its place in key order.
    /// Once a class's re-add lands last (every later re-add has a greater key: times only
    /// grow and rounding is monotonic), the class is settled and rotations skip this.
    #[cold]
    #[inline(never)]
    fn settle(&mut self, c: usize, at: usize, added: Key) {
        let bit = 1_u32 << c;
        let Some(&Class {
            start, len, head, ..
        }) = self.classes.get(c)
        else {
            return;
        };
        if self.unsettled & bit == 0 {
            return;
        }
        let (start, len, next) = (start as usize, len as usize, head as usize);
        let Some(ring) = self.slots.get_mut(start..start + len) else {
            return;
        };
        let before = if at == 0 { len - 1 } else { at - 1 };
        if len < 2 || wide(ring[before].key) < wide(added) {
            self.unsettled &= !bit;
            return;
        }
        let place = |j: usize| (next + j) % len;
        let mut j = len - 1;
        while j > 0 && ring[place(j - 1)].key > ring[place(j)].key {
            ring.swap(place(j - 1), place(j));
            j -= 1;
        }
    }

    /// Picks the item with the earliest deadline and re-adds it with `weight(item)` (when it
    /// was rebuilt with fixed weights, the weight it was rebuilt with: the same).
    #[inline(always)]
    pub(crate) fn pick_and_add(&mut self, weight: impl Fn(u32) -> f64) -> Option<u32> {
        let leaf = self.top? as usize;
        // The leaf's new key: the re-added entry's, or with classes the class's next head.
        let (item, added) = if self.classes.is_empty() {
            let item = *self.items.get(leaf)?;
            self.current_time = deadline(*self.keys.get(leaf)?);
            let inverse = match self.inverse.get(leaf) {
                Some(&inverse) => inverse,
                None => {
                    let w = weight(item);
                    debug_assert!(w > 0.0, "EDF weights must be positive");
                    1.0 / w
                }
            };
            let added = key(self.current_time + inverse, self.order);
            self.order += 1;
            (item, added)
        } else {
            let (item, added) = self.rotate_class(leaf)?;
            *self.keys.get_mut(leaf)? = added;
            let mask = self.size.wrapping_sub(1);
            if !self.runs {
                let (tree, keys) = (self.tree.get_mut(..=mask)?, self.keys.get(..=mask)?);
                self.top = Some(replay(tree, keys, self.levels, leaf, added));
            } else if added.0 >= self.skip_below {
                // Else the top still wins every match of its path.
                let (tree, keys) = (self.tree.get_mut(..=mask)?, self.keys.get(..=mask)?);
                let (top, skip_below) = replay_path::<true>(tree, keys, self.levels, leaf, added);
                (self.top, self.skip_below) = (Some(top), skip_below);
            }
            return Some(item);
        };
        self.keys[leaf] = added;
        let mask = self.size.wrapping_sub(1);
        let (tree, keys) = (self.tree.get_mut(..=mask)?, self.keys.get(..=mask)?);
        self.top = Some(replay(tree, keys, self.levels, leaf, added));
        Some(item)
    }

    /// The next `out.len()` picks of a scheduler over fixed weights into `out`: what as many
    /// [`Edf::pick_and_add`] calls would give, with the slices, the clock and the order in
    /// locals, so that the compiler keeps them in registers from one pick to the next (each
    /// call reloads them: its stores into the tree might, for all it knows, change them).
    /// Returns how many it made: `out.len()`, or 0 when the scheduler is empty, asks for its
    /// weights ([`Weights::Varying`]) or keeps classes not all settled yet (see
    /// [`Edf::settle`]; nothing changed then).
    pub(crate) fn pick_many(&mut self, out: &mut [u32]) -> usize {
        let Some(mut leaf) = self.top.map(|t| t as usize) else {
            return 0;
        };
        let mask = self.size.wrapping_sub(1);
        let (Some(tree), Some(keys), Some(items)) = (
            self.tree.get_mut(..=mask),
            self.keys.get_mut(..=mask),
            self.items.get(..=mask),
        ) else {
            return 0;
        };
        let inverse = self.inverse.as_slice();
        if !self.classes.is_empty() {
            return self.pick_many_classes(out);
        }
        if inverse.len() != self.n {
            return 0;
        }
        let (levels, mut time, mut order) = (self.levels, self.current_time, self.order);
        let mut made = 0;
        for slot in out.iter_mut() {
            // The top is a real entry (padding leaves never win), below `n`.
            let Some(&inv) = inverse.get(leaf) else {
                break;
            };
            *slot = items[leaf & mask];
            time = deadline(keys[leaf & mask]);
            let added = key(time + inv, order);
            order += 1;
            keys[leaf & mask] = added;
            leaf = replay(tree, keys, levels, leaf, added) as usize;
            made += 1;
        }
        self.current_time = time;
        self.order = order;
        self.top = Some(leaf as u32);
        made
    }

    /// [`Edf::pick_many`] of entries kept as classes, once every class is settled (0 before:
    /// [`Edf::rotate_class`] settles them one pick at a time): each pick rotates the top
    /// class's queue and replays the class's next head (unless the class wins a run, see
    /// `runs`).
    fn pick_many_classes(&mut self, out: &mut [u32]) -> usize {
        if self.runs {
            self.rotate_many::<true>(out)
        } else {
            self.rotate_many::<false>(out)
        }
    }

    /// [`Edf::pick_many_classes`], the replays skipped where they would change nothing when
    /// `RUNS` (see `runs`).
    #[inline(always)]
    fn rotate_many<const RUNS: bool>(&mut self, out: &mut [u32]) -> usize {
        let Some(mut leaf) = self.top.map(|t| t as usize) else {
            return 0;
        };
        let mask = self.size.wrapping_sub(1);
        let (Some(tree), Some(keys)) = (self.tree.get_mut(..=mask), self.keys.get_mut(..=mask))
        else {
            return 0;
        };
        if self.unsettled != 0 {
            return 0;
        }
        let (classes, slots) = (self.classes.as_mut_slice(), self.slots.as_mut_slice());
        let (levels, mut time, mut order) = (self.levels, self.current_time, self.order);
        let mut skip_below = self.skip_below;
        let mut made = 0;
        for out in out.iter_mut() {
            // The top is a class (padding leaves never win).
            let Some(class) = classes.get_mut(leaf) else {
                break;
            };
            let (start, head) = (class.start as usize, class.head as usize);
            let next = if head + 1 == class.len as usize {
                0
            } else {
                head + 1
            };
            let Some(slot) = slots.get_mut(start + head) else {
                break;
            };
            *out = slot.item;
            time = deadline(slot.key);
            slot.key = key(time + class.inv, order);
            order += 1;
            class.head = next as u32;
            let Some(&Slot { key: added, .. }) = slots.get(start + next) else {
                break;
            };
            keys[leaf & mask] = added;
            if !RUNS {
                leaf = replay(tree, keys, levels, leaf, added) as usize;
            } else if added.0 >= skip_below {
                let (top, below) = replay_path::<true>(tree, keys, levels, leaf, added);
                (leaf, skip_below) = (top as usize, below);
            }
            made += 1;
        }
        self.current_time = time;
        self.order = order;
        self.top = Some(leaf as u32);
        self.skip_below = skip_below;
        made
    }

    /// Renames every item through `f` (the order of the entries is unchanged).
    pub(crate) fn map_items(&mut self, f: impl Fn(u32) -> u32) {
        // With classes, the leaves are classes: only the slots hold items.
        let n = if self.classes.is_empty() { self.n } else { 0 };
        for item in self.items.iter_mut().take(n) {
            *item = f(*item);
        }
        for slot in &mut self.slots {
            slot.item = f(slot.item);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;
    use proptest::strategy::Strategy;

    #[test]
    fn picks_follow_weights_and_break_ties_by_insertion_order() {
        let weights = [1.0, 2.0, 3.0];
        let mut edf = Edf::default();
        for (i, w) in weights.iter().enumerate() {
            edf.add(*w, i as u32);
        }
        let picks: Vec<u32> = (0..6)
            .map_while(|_| edf.pick_and_add(|i| weights[i as usize]))
            .collect();
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
            let a: Vec<u32> = (0..50)
                .map_while(|_| slow.pick_and_add(|i| weights[i as usize]))
                .collect();
            let b: Vec<u32> = (0..50)
                .map_while(|_| fast.pick_and_add(|i| weights[i as usize]))
                .collect();
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

    /// An entry's weight in the property tests: integer ones (Envoy's host weights, up to the
    /// class limit and past it) and fractional ones (the localities' effective weights, some
    /// far apart).
    /// Schedulers over `weights` after `picks` initial picks: one asking for each weight (the
    /// tree), and one over fixed weights, the localities' or the hosts' (tree or classes).
    fn built_both(weights: &[f64], picks: u32, localities: bool) -> (Edf, Edf) {
        let build = |kind| {
            let mut edf = Edf::default();
            let n = weights.len() as u32;
            let weight = |i: u32| weights[i as usize];
            edf.rebuild_with_picks(n, weight, picks, kind, &mut EdfScratch::default());
            edf
        };
        let fixed = if localities {
            Weights::Localities
        } else {
            Weights::Fixed
        };
        (build(Weights::Varying), build(fixed))
    }

    fn weight_value() -> impl Strategy<Value = f64> {
        proptest::prop_oneof![
            (1_u32..=8).prop_map(f64::from),
            (1_u32..=12).prop_map(f64::from),
            proptest::sample::select(alloc::vec![0.6, 1.8, 2.4, 0.2, 3.3, 1.0 / 3.0, 1e-3, 7.7e5]),
        ]
    }

    proptest::proptest! {
        /// Fixed weights kept as weight classes pick exactly as the tree from the same
        /// `createWithPicks` start: integer weights (Envoy's host weights, up to the class
        /// limit and past it, where the tree stays), fractional ones (the localities' effective
        /// weights), and any number of initial picks (whose rounded deadlines the classes must
        /// put in order).
        #[test]
        fn weight_classes_pick_as_the_tree(
            weights in proptest::collection::vec(weight_value(), 1..400),
            picks in proptest::prop_oneof![0_u32..1000, proptest::num::u32::ANY],
            localities in proptest::bool::ANY,
        ) {
            let weight = |i: u32| weights[i as usize];
            let (mut tree, mut classes) = built_both(&weights, picks, localities);
            let distinct = {
                let mut bits: Vec<u64> = weights.iter().map(|w| w.to_bits()).collect();
                bits.sort_unstable();
                bits.dedup();
                bits.len()
            };
            // Host weights: eight entries a class on average; localities: a tree of classes
            // with at most a quarter of the entries' leaves.
            let worth = if localities {
                weights.len().next_power_of_two() >= 4 * distinct.next_power_of_two()
            } else {
                weights.len() >= distinct * MIN_CLASS_SIZE
            };
            proptest::prop_assert_eq!(
                !classes.classes.is_empty(),
                distinct <= MAX_CLASSES && worth
            );
            for step in 0..(3 * weights.len() + 50) {
                let a = tree.pick_and_add(weight);
                let b = classes.pick_and_add(weight);
                proptest::prop_assert!(a.is_some());
                proptest::prop_assert_eq!(a, b, "pick {}", step);
            }
            let mut copy = Edf::default();
            copy.copy_from(&classes);
            proptest::prop_assert_eq!(copy.pick_and_add(weight), tree.pick_and_add(weight));
        }
    }

    proptest::proptest! {
        /// A scheduler over fixed weights makes runs of picks (`pick_many`, runs of 0 to 16)
        /// that are the picks of a tree asking for each weight, one at a time, and both go on
        /// alike after: as a tree, and as classes once they are settled (before, it makes no
        /// run and its caller picks one at a time, as here).
        #[test]
        fn runs_of_picks_are_the_picks_one_at_a_time(
            weights in proptest::prop_oneof![
                proptest::collection::vec(weight_value(), 1..100),
                // A few weights shared by many entries: classes (of 32 or more, whose laps
                // skip their replays, from 192 entries).
                (
                    proptest::collection::vec(weight_value(), 1..6),
                    proptest::collection::vec(0_usize..6, 1..300),
                )
                    .prop_map(|(palette, of)| {
                        of.iter().map(|&k| palette[k % palette.len()]).collect::<Vec<f64>>()
                    }),
            ],
            picks in proptest::prop_oneof![0_u32..1000, proptest::num::u32::ANY],
            runs in proptest::collection::vec(0_usize..=16, 1..40),
            localities in proptest::bool::ANY,
        ) {
            let weight = |i: u32| weights[i as usize];
            let (mut one, mut many) = built_both(&weights, picks, localities);
            for run in runs {
                let mut out = [u32::MAX; 16];
                let unsettled = !many.classes.is_empty() && many.unsettled != 0;
                let made = many.pick_many(&mut out[..run]);
                proptest::prop_assert_eq!(made, if unsettled { 0 } else { run });
                for slot in &mut out[made..run] {
                    *slot = many.pick_and_add(weight).unwrap_or(u32::MAX);
                }
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

    #[test]
    fn a_rounded_initial_deadline_is_put_back_in_order() {
        // Two entries of one weight whose keys are out of order when the second comes back:
        // the classes must still pick the least key first.
        let mut edf = Edf::default();
        let n = 8;
        let entries: Vec<(Key, u32)> = [(key(10.0, 0), 0), (key(10.5, 1), 1)]
            .into_iter()
            .chain((2..n).map(|i| (key(18.0 + f64::from(i), u64::from(i)), i)))
            .collect();
        assert!(edf.build_classes(&entries, &|_| 4.0, Weights::Fixed, &mut Vec::new()));
        edf.current_time = 9.5;
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
    fn a_copy_picks_as_its_original_with_runs() {
        // Weights 1 to 4 over 256 entries: classes of 64, whose laps skip their replays.
        let weights: Vec<f64> = (0..256).map(|i| f64::from(1 + i % 4)).collect();
        let weight = |i: u32| weights[i as usize];
        let (_, mut original) = built_both(&weights, 7, false);
        assert!(original.runs && !original.classes.is_empty());
        // Another scheduler further on (later deadlines, another bound on its replays).
        let (_, mut copy) = built_both(&weights, 1000, false);
        for _ in 0..50 {
            original.pick_and_add(weight);
            copy.pick_and_add(weight);
        }
        copy.copy_from(&original);
        for step in 0..500 {
            assert_eq!(
                copy.pick_and_add(weight),
                original.pick_and_add(weight),
                "pick {step}"
            );
        }
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
        let plain: Vec<u32> = (0..12)
            .map_while(|_| edf.pick_and_add(|i| weights[i as usize]))
            .collect();
        let mut renamed = Edf::default();
        renamed.rebuild_with_picks(
            3,
            |i| weights[i as usize],
            0,
            Weights::Fixed,
            &mut EdfScratch::default(),
        );
        renamed.map_items(|i| 10 + i);
        let picked: Vec<u32> = (0..12)
            .map_while(|_| renamed.pick_and_add(|i| weights[(i - 10) as usize]))
            .collect();
        assert_eq!(picked, plain.iter().map(|i| i + 10).collect::<Vec<_>>());
        // Renamed while kept as classes (40 entries of 3 weights, as a locality scheduler's
        // are): the leaves are classes, and only the entries' items change.
        let weights: Vec<f64> = (0..40).map(|i| f64::from(i % 3 + 1) * 0.7).collect();
        let build = |weights_do| {
            let mut edf = Edf::default();
            let weight = |i: u32| weights[i as usize];
            edf.rebuild_with_picks(40, weight, 11, weights_do, &mut EdfScratch::default());
            edf
        };
        let (mut tree, mut classes) = (build(Weights::Varying), build(Weights::Localities));
        assert_eq!(classes.classes.len(), 3);
        classes.map_items(|i| 100 + i);
        for _ in 0..200 {
            let want = tree.pick_and_add(|i| weights[i as usize]).map(|i| 100 + i);
            assert_eq!(classes.pick_and_add(|i| weights[(i - 100) as usize]), want);
        }
        let mut one = Edf::default();
        one.rebuild_with_picks(
            1,
            |_| 5.0,
            7,
            Weights::Localities,
            &mut EdfScratch::default(),
        );
        assert_eq!(one.pick_and_add(|_| 5.0), Some(0));
        assert_eq!(one.pick_and_add(|_| 5.0), Some(0));
        let mut none = Edf::default();
        none.rebuild_with_picks(
            0,
            |_| 1.0,
            3,
            Weights::Localities,
            &mut EdfScratch::default(),
        );
        assert_eq!(none.pick_and_add(|_| 1.0), None);
    }
}
