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

use alloc::collections::BinaryHeap;
use core::cmp::Ordering;

#[derive(Debug, Clone, Copy)]
struct Entry {
    deadline: f64,
    order: u64,
    item: u32,
}

impl PartialEq for Entry {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Entry {}
impl PartialOrd for Entry {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Entry {
    /// Reversed, so the max-heap pops the earliest deadline, then the lowest insertion order.
    #[inline]
    fn cmp(&self, other: &Self) -> Ordering {
        // Deadlines are positive (current time + 1 / positive weight), and positive floats order
        // like their bits: one integer comparison of (deadline bits, order).
        let key = |e: &Self| (u128::from(e.deadline.to_bits()) << 64) | u128::from(e.order);
        key(other).cmp(&key(self))
    }
}

/// An EDF scheduler over items `0..n` (indices into the caller's slice).
#[derive(Debug, Clone, Default)]
pub(crate) struct Edf {
    queue: BinaryHeap<Entry>,
    current_time: f64,
    order: u64,
}

impl Edf {
    /// Empties the scheduler, keeping its buffer.
    pub(crate) fn clear(&mut self) {
        self.queue.clear();
        self.current_time = 0.0;
        self.order = 0;
    }

    /// Adds `item` with `weight` (> 0).
    #[cfg(test)]
    pub(crate) fn add(&mut self, weight: f64, item: u32) {
        debug_assert!(weight > 0.0, "EDF weights must be positive");
        let deadline = self.current_time + 1.0 / weight;
        self.queue.push(Entry {
            deadline,
            order: self.order,
            item,
        });
        self.order += 1;
    }

    /// Rebuilds the scheduler over items `0..n` as if they had been added in order to an empty
    /// scheduler and then picked `picks` times (Envoy's `EdfScheduler::createWithPicks`, which
    /// gives each worker a different starting point). Reuses the buffer.
    pub(crate) fn rebuild_with_picks(&mut self, n: u32, weight: impl Fn(u32) -> f64, picks: u32) {
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
        let mut entries = core::mem::take(&mut self.queue).into_vec();
        entries.clear();
        entries.reserve(n as usize);
        let mut picks_so_far = 0_u32;
        let mut max_pick_time = 0.0_f64;
        for i in 0..n {
            let w = augmented(i);
            let mut floor_picks = (w * f64::from(picks) / weights_sum) as u32;
            if floor_picks > 0 && f64::from(floor_picks) / w >= per_weight {
                floor_picks -= 1;
            }
            let pick_time = f64::from(floor_picks) / w;
            let deadline = f64::from(floor_picks + 1) / w;
            entries.push(Entry {
                deadline,
                order: u64::from(i),
                item: i,
            });
            max_pick_time = max_pick_time.max(pick_time);
            picks_so_far += floor_picks;
        }
        self.queue = BinaryHeap::from(entries);
        self.current_time = max_pick_time;
        self.order = u64::from(n);
        while picks_so_far < picks {
            self.pick_and_add(&weight);
            picks_so_far += 1;
        }
    }

    /// Picks the item with the earliest deadline and re-adds it with `weight(item)`.
    pub(crate) fn pick_and_add(&mut self, weight: impl Fn(u32) -> f64) -> Option<u32> {
        // Re-add in place: one sift-down instead of pop (sift to the bottom and back up) plus
        // push (sift up). The heap holds the same entries as after pop + push, and orders are
        // unique, so every later pick is the same.
        let mut top = self.queue.peek_mut()?;
        let item = top.item;
        self.current_time = top.deadline;
        let w = weight(item);
        debug_assert!(w > 0.0, "EDF weights must be positive");
        top.deadline = self.current_time + 1.0 / w;
        top.order = self.order;
        self.order += 1;
        drop(top);
        Some(item)
    }

    /// Renames every item through `f` (the order of the queue is unchanged).
    pub(crate) fn map_items(&mut self, f: impl Fn(u32) -> u32) {
        let mut entries = core::mem::take(&mut self.queue).into_vec();
        for entry in &mut entries {
            entry.item = f(entry.item);
        }
        self.queue = BinaryHeap::from(entries);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

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
            fast.rebuild_with_picks(4, |i| weights[i as usize], picks);
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
}
