//! Caps on open connections: in total, and per client network. When a cap is reached, idle
//! connections are reclaimed before a new one is refused, as nginx and Envoy's overload manager
//! do: from the client network holding the most connections, the longest idle first (for the
//! per-network cap, the network's own). A connection over a cap with nothing idle to reclaim is
//! closed at once, so the ones already open keep their answers. Under pressure (three quarters
//! of the slots taken) the idle timeout is shortened.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore};

use super::clock::ConnectionClock;
use crate::rate_limit::client_network;

/// Counts open connections against the two caps, and knows each one's clock.
#[derive(Debug)]
pub struct ConnectionCaps {
    total: Arc<Semaphore>,
    max_total: usize,
    max_per_network: usize,
    shared: Arc<Shared>,
    /// Newcomers waiting for a reclaimed slot.
    waiting: Arc<Semaphore>,
}

/// What the slots give back when dropped.
#[derive(Debug)]
struct Shared {
    state: Mutex<State>,
    /// Signalled whenever a slot is given back.
    freed: Notify,
    max_total: usize,
    pressure: Arc<AtomicBool>,
}

#[derive(Debug, Default)]
struct State {
    per_network: HashMap<IpAddr, usize>,
    /// Connections of trusted proxies, which count only against the total.
    exempt: usize,
    open: HashMap<u64, Open>,
    next_id: u64,
}

/// How long a new connection that has sent nothing must have waited to be reclaimed: its
/// first request may be on the wire. A kept-alive connection between requests may be closed at
/// any time (RFC 9112 §9.3.1: its client retries on a new one), so it is reclaimed at once.
const MIN_IDLE_TO_RECLAIM: Duration = Duration::from_millis(500);

/// Newcomers waiting at once for a reclaimed slot; past it, one over a cap is refused at once,
/// so a flood of connections cannot hold descriptors beyond the caps for long.
pub const MAX_WAITING: usize = 64;

impl Shared {
    /// Pressure is on while three quarters of the slots are taken; when it comes on, every
    /// connection's watchdog works its (now shorter) idle deadline out again. Called with the
    /// state locked, so the count is the one that holds.
    fn update_pressure(&self, state: &State) {
        let pressed = state.open.len() * 4 >= self.max_total * 3;
        if pressed && !self.pressure.swap(true, Ordering::Relaxed) {
            for open in state.open.values() {
                open.clock.recheck();
            }
        } else if !pressed {
            self.pressure.store(false, Ordering::Relaxed);
        }
    }
}

/// An open connection: its client network (`None` for a trusted proxy), its clock, and when it
/// was last asked to give its slot back (so one slot is not promised twice while it closes; a
/// connection that got busy meanwhile keeps its slot, and may be asked again later).
#[derive(Debug)]
struct Open {
    network: Option<IpAddr>,
    clock: Arc<ConnectionClock>,
    asked: Option<tokio::time::Instant>,
}

/// One open connection's place under the caps, given back when dropped.
#[derive(Debug)]
pub struct ConnectionSlot {
    /// Given back in `drop`, before the waiters are told.
    total: Option<OwnedSemaphorePermit>,
    id: u64,
    network: Option<IpAddr>,
    shared: Arc<Shared>,
}

/// Which cap refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    Total,
    PerNetwork,
}

impl ConnectionCaps {
    pub fn new(max_total: usize, max_per_network: usize) -> Self {
        Self {
            total: Arc::new(Semaphore::new(max_total)),
            max_total,
            max_per_network,
            shared: Arc::new(Shared {
                state: Mutex::default(),
                freed: Notify::new(),
                max_total,
                pressure: Arc::default(),
            }),
            waiting: Arc::new(Semaphore::new(MAX_WAITING)),
        }
    }

    /// The flag every connection's clock reads: whether slots are short.
    pub fn pressure(&self) -> Arc<AtomicBool> {
        self.shared.pressure.clone()
    }

    /// A place among the newcomers waiting for a reclaimed slot, if one is free.
    pub fn wait_turn(&self) -> Option<OwnedSemaphorePermit> {
        self.waiting.clone().try_acquire_owned().ok()
    }

    /// A slot for a connection from `peer`, timed by `clock`. Peers in `exempt` (trusted
    /// proxies, which carry many clients) count only against the total.
    pub fn admit(
        &self,
        peer: IpAddr,
        exempt: bool,
        clock: &Arc<ConnectionClock>,
    ) -> Result<ConnectionSlot, Refusal> {
        let network = (!exempt).then(|| client_network(peer));
        let mut state = self.shared.state.lock().expect("never poisoned");
        // The per-network cap first: a network at its cap is refused as such, and can only
        // ever reclaim its own idle connections, never another client's.
        if let Some(network) = network
            && state.per_network.get(&network).copied().unwrap_or(0) >= self.max_per_network
        {
            return Err(Refusal::PerNetwork);
        }
        let total = self
            .total
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Total)?;
        match network {
            Some(network) => *state.per_network.entry(network).or_default() += 1,
            None => state.exempt += 1,
        }
        state.next_id += 1;
        let id = state.next_id;
        state.open.insert(
            id,
            Open {
                network,
                clock: clock.clone(),
                asked: None,
            },
        );
        self.shared.update_pressure(&state);
        drop(state);
        Ok(ConnectionSlot {
            total: Some(total),
            id,
            network,
            shared: self.shared.clone(),
        })
    }

    /// After `refusal`, asks the idle connection whose slot the newcomer from `peer` should
    /// have to close: for the per-network cap, the network's own longest idle; for the total,
    /// the longest idle of the network holding the most connections. Whether one was asked.
    pub fn reclaim_for(&self, peer: IpAddr, exempt: bool, refusal: Refusal) -> bool {
        let mut state = self.shared.state.lock().expect("never poisoned");
        let holding = |state: &State, network: Option<IpAddr>| match network {
            Some(network) => state.per_network.get(&network).copied().unwrap_or(0),
            None => state.exempt,
        };
        let now = tokio::time::Instant::now();
        let idle = state.open.iter().filter_map(|(id, open)| {
            let promised = open
                .asked
                .is_some_and(|asked| now.duration_since(asked) < MIN_IDLE_TO_RECLAIM);
            (!promised).then_some(())?;
            let (since, first_request) = open.clock.idle()?;
            let waited = now.duration_since(since);
            (!first_request || waited >= MIN_IDLE_TO_RECLAIM).then_some((*id, open.network, since))
        });
        let victim = match refusal {
            Refusal::PerNetwork => {
                let network = (!exempt).then(|| client_network(peer));
                idle.filter(|(_, candidate, _)| *candidate == network)
                    .min_by_key(|(_, _, since)| *since)
            }
            Refusal::Total => idle.max_by_key(|(_, network, since)| {
                (holding(&state, *network), std::cmp::Reverse(*since))
            }),
        };
        let Some((id, _, _)) = victim else {
            return false;
        };
        let Some(open) = state.open.get_mut(&id) else {
            return false;
        };
        open.asked = Some(now);
        open.clock.reclaim();
        true
    }

    /// [`Self::admit`], waiting up to `within` for a slot to be given back.
    pub async fn admit_within(
        &self,
        peer: IpAddr,
        exempt: bool,
        clock: &Arc<ConnectionClock>,
        within: Duration,
    ) -> Result<ConnectionSlot, Refusal> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let freed = self.shared.freed.notified();
            tokio::pin!(freed);
            freed.as_mut().enable();
            match self.admit(peer, exempt, clock) {
                Ok(slot) => return Ok(slot),
                Err(refusal) => {
                    if tokio::time::timeout_at(deadline, freed).await.is_err() {
                        return Err(refusal);
                    }
                }
            }
        }
    }

    /// Waits until every slot has been given back: every connection closed.
    pub async fn all_closed(&self) {
        let all = u32::try_from(self.max_total).unwrap_or(u32::MAX);
        let _ = self.total.acquire_many(all).await;
    }

    /// How many connections are open.
    pub fn open(&self) -> usize {
        self.max_total - self.total.available_permits()
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut state = self.shared.state.lock().expect("never poisoned");
        state.open.remove(&self.id);
        match self.network {
            Some(network) => {
                if let Some(count) = state.per_network.get_mut(&network) {
                    *count -= 1;
                    if *count == 0 {
                        state.per_network.remove(&network);
                    }
                }
            }
            None => state.exempt = state.exempt.saturating_sub(1),
        }
        self.shared.update_pressure(&state);
        drop(state);
        drop(self.total.take());
        self.shared.freed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::edge::Timeouts;

    fn clock(caps: &ConnectionCaps) -> Arc<ConnectionClock> {
        let timeouts = Timeouts {
            header_read: Duration::from_secs(10),
            body: Duration::from_secs(10),
            idle: Duration::from_secs(10),
            request: Duration::from_secs(10),
        };
        ConnectionClock::new(timeouts, caps.pressure())
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn slots_are_capped_in_total_and_per_network_and_given_back_on_drop() {
        let caps = ConnectionCaps::new(3, 2);
        let first = caps.admit(ip("192.0.2.1"), false, &clock(&caps)).unwrap();
        let _second = caps.admit(ip("192.0.2.1"), false, &clock(&caps)).unwrap();
        assert_eq!(
            caps.admit(ip("192.0.2.1"), false, &clock(&caps))
                .unwrap_err(),
            Refusal::PerNetwork
        );
        assert_eq!(caps.open(), 2, "a refusal gives its total slot back");
        let _proxy = caps.admit(ip("192.0.2.9"), true, &clock(&caps)).unwrap();
        assert_eq!(
            caps.admit(ip("192.0.2.7"), false, &clock(&caps))
                .unwrap_err(),
            Refusal::Total
        );
        assert!(caps.pressure().load(Ordering::Relaxed), "every slot taken");
        drop(first);
        assert!(caps.admit(ip("192.0.2.1"), false, &clock(&caps)).is_ok());
        assert!(caps.shared.state.lock().unwrap().per_network.len() <= 1);
    }

    #[tokio::test]
    async fn the_network_holding_the_most_gives_its_longest_idle_connection_back() {
        let caps = ConnectionCaps::new(4, 3);
        let mut clocks = Vec::new();
        for _ in 0..4 {
            clocks.push(clock(&caps));
            // Each idle since a moment of its own, so "longest idle" has one answer.
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
        let _slots = [
            caps.admit(ip("192.0.2.1"), false, &clocks[0]).unwrap(),
            caps.admit(ip("192.0.2.1"), false, &clocks[1]).unwrap(),
            caps.admit(ip("192.0.2.2"), false, &clocks[2]).unwrap(),
            caps.admit(ip("192.0.2.3"), false, &clocks[3]).unwrap(),
        ];
        // Every connection is new and silent: idle since it was opened, the first the longest;
        // once idle long enough to be reclaimed.
        tokio::time::sleep(MIN_IDLE_TO_RECLAIM).await;
        assert!(caps.reclaim_for(ip("192.0.2.8"), false, Refusal::Total));
        assert!(
            asked(&clocks[0]).await,
            "192.0.2.1 holds the most; its longest idle"
        );
        for other in &clocks[1..] {
            assert!(!asked(other).await);
        }
        // Over the per-network cap, a network gives back its own.
        assert!(caps.reclaim_for(ip("192.0.2.2"), false, Refusal::PerNetwork));
        assert!(asked(&clocks[2]).await);
        // A network with nothing open has nothing to give.
        assert!(!caps.reclaim_for(ip("192.0.2.5"), false, Refusal::PerNetwork));
    }

    /// Whether the connection was asked to give its slot back.
    async fn asked(clock: &Arc<ConnectionClock>) -> bool {
        tokio::time::timeout(Duration::from_millis(10), clock.reclaimed())
            .await
            .is_ok()
    }
}
