//! Fair standard queues: the tenants (message groups) of a standard queue that hold too many
//! of its in-flight messages, whose visible messages then wait while other tenants' are
//! available.
//!
//! SQS's rule (developer guide, "How Amazon SQS fair queues work"): a tenant is a noisy
//! neighbour when it holds more than 10% of the queue's in-flight messages and at least 30 of
//! its own; a receive then takes quiet tenants' messages whenever there are any, and the noisy
//! tenant's otherwise. A message without a group is a tenant of its own, so never noisy. SQS's
//! second measure, the share of consumers' processing time, is not tracked here: a tenant that
//! is noisy by it alone is served in turn.

use std::collections::{HashMap, HashSet};

/// In-flight messages a tenant must hold, at least, to be noisy.
const NOISY_MIN_IN_FLIGHT: u32 = 30;

/// How far past noisy tenants' messages a receive looks for a quiet tenant's: bounds the cost
/// of a receive when one tenant's backlog is long (beyond it, the noisy message is served, as
/// when no quiet one waits; SQS also calls its thresholds approximate).
pub(super) const QUIET_SCAN_LIMIT: usize = 10_000;

#[derive(Default)]
pub(super) struct Tenants {
    in_flight: HashMap<String, u32>,
    /// Tenants with at least `NOISY_MIN_IN_FLIGHT` in flight: the only ones that can be noisy.
    heavy: HashSet<String>,
}

impl Tenants {
    /// A message of `group` went in flight.
    pub fn leased(&mut self, group: &str) {
        let n = match self.in_flight.get_mut(group) {
            Some(n) => {
                *n += 1;
                *n
            }
            None => {
                self.in_flight.insert(group.to_string(), 1);
                1
            }
        };
        if n == NOISY_MIN_IN_FLIGHT {
            self.heavy.insert(group.to_string());
        }
    }

    /// A message of `group` left the in-flight state (visible again, deleted, moved).
    pub fn released(&mut self, group: &str) {
        let Some(n) = self.in_flight.get_mut(group) else {
            return;
        };
        *n -= 1;
        if *n + 1 == NOISY_MIN_IN_FLIGHT {
            self.heavy.remove(group);
        }
        if *n == 0 {
            self.in_flight.remove(group);
        }
    }

    /// The noisy tenants, given how many messages the queue has in flight in all.
    pub fn noisy(&self, total_in_flight: u64) -> Vec<&str> {
        self.heavy
            .iter()
            .filter(|g| u64::from(self.in_flight[*g]) * 10 > total_in_flight)
            .map(String::as_str)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tenant_is_noisy_from_thirty_in_flight_and_more_than_a_tenth() {
        let mut t = Tenants::default();
        for _ in 0..29 {
            t.leased("a");
        }
        assert!(t.noisy(29).is_empty());
        t.leased("a");
        assert_eq!(t.noisy(30), ["a"]);
        // 30 of 300 is exactly a tenth: not more.
        assert!(t.noisy(300).is_empty());
        assert_eq!(t.noisy(299), ["a"]);
        t.released("a");
        assert!(t.noisy(29).is_empty());
        for _ in 0..29 {
            t.released("a");
        }
        assert!(t.in_flight.is_empty() && t.heavy.is_empty());
        // Releasing what was never counted changes nothing.
        t.released("b");
        assert!(t.in_flight.is_empty());
    }
}
