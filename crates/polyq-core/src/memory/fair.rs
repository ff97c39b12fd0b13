//! Fair standard queues: a standard queue's messages that carry a message group (the SQS
//! tenant) are indexed per tenant, so that a receive can pass over the tenants that hold too
//! many of the queue's in-flight messages at the cost of a few index lookups, however long
//! their backlogs.
//!
//! SQS's rules (developer guide, "How Amazon SQS fair queues work"): a tenant becomes a noisy
//! neighbour when it holds more than 10% of the queue's in-flight messages and at least 30 of
//! its own; while any quiet tenant's message is visible a receive takes those, and among
//! noisy tenants it serves the one with the fewest in flight first. A tenant stays noisy until
//! its backlog is drained or it has sent nothing for 5 minutes. A message without a group is
//! a tenant of its own, so never noisy: those stay in the queue's plain ready index. Not
//! tracked: SQS's second measure (a tenant's share of consumers' processing time), and the
//! noisy marks themselves, which a restart of the embedded store forgets (they come back with
//! the next receive that finds the tenant over the line).

use std::collections::{BTreeSet, HashMap, HashSet};

/// In-flight messages a tenant must hold, at least, to become noisy.
const NOISY_MIN_IN_FLIGHT: u32 = 30;
/// A noisy tenant that sent nothing for this long is quiet again.
const QUIET_AFTER_IDLE_MS: u64 = 5 * 60 * 1000;

/// A visible message's place in receive order: priority slot, then seq.
pub(super) type Place = (usize, u64);

#[derive(Default)]
struct Tenant {
    in_flight: u32,
    /// Its visible messages, in receive order.
    ready: BTreeSet<Place>,
    noisy: bool,
    /// When it was last marked noisy.
    marked_ms: u64,
    /// When it last sent, as far as seen (a send while it held nothing visible or in flight
    /// is not: the mark then counts from when it was made).
    last_send_ms: u64,
}

impl Tenant {
    fn is_idle(&self) -> bool {
        self.in_flight == 0 && self.ready.is_empty()
    }
}

#[derive(Default)]
pub(super) struct Tenants {
    by_name: HashMap<String, Tenant>,
    /// Each tenant's first visible message.
    heads: BTreeSet<(Place, String)>,
    /// Tenants with at least `NOISY_MIN_IN_FLIGHT` in flight: the only ones that can become
    /// noisy.
    heavy: HashSet<String>,
    noisy: HashSet<String>,
}

impl Tenants {
    fn entry(&mut self, group: &str) -> &mut Tenant {
        if !self.by_name.contains_key(group) {
            self.by_name.insert(group.to_string(), Tenant::default());
        }
        self.by_name.get_mut(group).expect("inserted above")
    }

    /// Drops a tenant that holds nothing and is not marked.
    fn forget_if_idle(&mut self, group: &str) {
        if self
            .by_name
            .get(group)
            .is_some_and(|t| t.is_idle() && !t.noisy)
        {
            self.by_name.remove(group);
        }
    }

    /// Moves `group`'s entry in `heads` from `before` to its current first message.
    fn rehead(&mut self, group: &str, before: Option<Place>) {
        let now = self
            .by_name
            .get(group)
            .and_then(|t| t.ready.first().copied());
        if before == now {
            return;
        }
        if let Some(p) = before {
            self.heads.remove(&(p, group.to_string()));
        }
        if let Some(p) = now {
            self.heads.insert((p, group.to_string()));
        }
    }

    /// A message of `group` was sent (or moved in); call after it was attached.
    pub fn sent(&mut self, group: &str, now: u64) {
        if let Some(t) = self.by_name.get_mut(group) {
            t.last_send_ms = t.last_send_ms.max(now);
        }
    }

    /// A message of `group` became visible.
    pub fn ready_added(&mut self, group: &str, place: Place) {
        let t = self.entry(group);
        let before = t.ready.first().copied();
        t.ready.insert(place);
        self.rehead(group, before);
    }

    /// A visible message of `group` stopped being visible (leased, deleted, moved). A noisy
    /// tenant whose backlog is drained is quiet again.
    pub fn ready_removed(&mut self, group: &str, place: Place) {
        let Some(t) = self.by_name.get_mut(group) else {
            return;
        };
        let before = t.ready.first().copied();
        t.ready.remove(&place);
        if t.ready.is_empty() && t.noisy {
            t.noisy = false;
            self.noisy.remove(group);
        }
        self.rehead(group, before);
        self.forget_if_idle(group);
    }

    /// A message of `group` went in flight.
    pub fn leased(&mut self, group: &str) {
        let t = self.entry(group);
        t.in_flight += 1;
        if t.in_flight == NOISY_MIN_IN_FLIGHT {
            self.heavy.insert(group.to_string());
        }
    }

    /// A message of `group` left the in-flight state (visible again, deleted, moved).
    pub fn released(&mut self, group: &str) {
        let Some(t) = self.by_name.get_mut(group) else {
            return;
        };
        t.in_flight = t.in_flight.saturating_sub(1);
        if t.in_flight + 1 == NOISY_MIN_IN_FLIGHT {
            self.heavy.remove(group);
        }
        self.forget_if_idle(group);
    }

    /// The first visible grouped message a receive should take, given the first visible
    /// message without a group (`ungrouped`, a quiet tenant of its own) and the queue's
    /// in-flight total; `None` when neither exists. Marks and unmarks noisy tenants first.
    pub fn next(
        &mut self,
        ungrouped: Option<Place>,
        total_in_flight: u64,
        now: u64,
    ) -> Option<u64> {
        self.mark(total_in_flight, now);
        let quiet = self
            .heads
            .iter()
            .find(|(_, g)| !self.noisy.contains(g))
            .map(|(p, _)| *p);
        let pick = match (quiet, ungrouped) {
            (Some(q), Some(u)) => q.min(u),
            (Some(p), None) | (None, Some(p)) => p,
            // Only noisy tenants have visible messages: the one with the fewest in flight.
            (None, None) => self
                .noisy
                .iter()
                .filter_map(|g| {
                    let t = &self.by_name[g];
                    Some((t.in_flight, *t.ready.first()?))
                })
                .min()
                .map(|(_, p)| p)?,
        };
        Some(pick.1)
    }

    /// Up to `max` visible grouped messages in plain receive order: only the first `max`
    /// tenants by head can hold any of them.
    pub fn first_n(&self, max: usize) -> Vec<Place> {
        let mut out: Vec<Place> = self
            .heads
            .iter()
            .take(max)
            .flat_map(|(_, g)| self.by_name[g].ready.iter().take(max).copied())
            .collect();
        out.sort_unstable();
        out.truncate(max);
        out
    }

    /// Marks the heavy tenants over the line (with a backlog to hold back) noisy, and unmarks
    /// the noisy ones that sent nothing for 5 minutes (counted from the mark at the earliest).
    pub fn mark(&mut self, total_in_flight: u64, now: u64) {
        for g in &self.heavy {
            let t = self
                .by_name
                .get_mut(g)
                .expect("a heavy tenant has messages in flight");
            if !t.noisy && u64::from(t.in_flight) * 10 > total_in_flight && !t.ready.is_empty() {
                t.noisy = true;
                t.marked_ms = now;
                self.noisy.insert(g.clone());
            }
        }
        if self.noisy.is_empty() {
            return;
        }
        let by_name = &mut self.by_name;
        let mut idle = Vec::new();
        self.noisy.retain(|g| {
            let t = by_name.get_mut(g).expect("a noisy tenant is kept");
            let since = t.last_send_ms.max(t.marked_ms);
            t.noisy = now.saturating_sub(since) < QUIET_AFTER_IDLE_MS;
            if !t.noisy && t.is_idle() {
                idle.push(g.clone());
            }
            t.noisy
        });
        for g in idle {
            by_name.remove(&g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn among_noisy_tenants_the_one_with_fewest_in_flight_goes_first() {
        let mut t = Tenants::default();
        for _ in 0..40 {
            t.leased("a");
        }
        for _ in 0..30 {
            t.leased("c");
        }
        t.ready_added("a", (0, 1));
        t.ready_added("c", (0, 2));
        // a holds 40 of 70, c 30 of 70: both noisy, and only they have messages waiting.
        assert_eq!(t.next(None, 70, 0), Some(2));
        // A message without a group is a quiet tenant's: it goes first.
        assert_eq!(t.next(Some((0, 3)), 70, 0), Some(3));
        // 30 of 301 is not more than a tenth: c is noisy still (marked), a too.
        assert_eq!(t.next(None, 301, 0), Some(2));
    }

    #[test]
    fn tenants_holding_nothing_are_forgotten() {
        let mut t = Tenants::default();
        for seq in 0..30 {
            t.ready_added("a", (0, seq));
        }
        for seq in 0..30 {
            t.ready_removed("a", (0, seq));
            t.leased("a");
        }
        t.ready_added("a", (0, 99));
        assert_eq!(t.next(None, 30, 0), Some(99));
        assert!(t.noisy.contains("a"));
        // Its backlog drained: quiet again.
        t.ready_removed("a", (0, 99));
        assert!(t.noisy.is_empty());
        for _ in 0..30 {
            t.released("a");
        }
        assert!(t.by_name.is_empty() && t.heads.is_empty() && t.heavy.is_empty());
        // What was never counted changes nothing.
        t.released("b");
        t.ready_removed("b", (0, 1));
        assert!(t.by_name.is_empty());
    }
}
