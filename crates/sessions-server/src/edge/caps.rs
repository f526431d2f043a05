//! Caps on open connections: in total, and per client network. A connection over either cap is
//! closed at once, so the ones already open keep their answers.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::{Arc, Mutex},
};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::rate_limit::client_network;

/// Counts open connections against the two caps.
#[derive(Debug)]
pub struct ConnectionCaps {
    total: Arc<Semaphore>,
    max_total: usize,
    max_per_network: usize,
    per_network: Arc<Mutex<HashMap<IpAddr, usize>>>,
}

/// One open connection's place under the caps, given back when dropped.
#[derive(Debug)]
pub struct ConnectionSlot {
    _total: OwnedSemaphorePermit,
    network: Option<IpAddr>,
    per_network: Arc<Mutex<HashMap<IpAddr, usize>>>,
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
            per_network: Arc::default(),
        }
    }

    /// A slot for a connection from `peer`. Peers in `exempt` (trusted proxies, which carry
    /// many clients) count only against the total.
    pub fn admit(&self, peer: IpAddr, exempt: bool) -> Result<ConnectionSlot, Refusal> {
        let total = self
            .total
            .clone()
            .try_acquire_owned()
            .map_err(|_| Refusal::Total)?;
        let network = if exempt {
            None
        } else {
            let network = client_network(peer);
            let mut counts = self.per_network.lock().expect("never poisoned");
            let count = counts.entry(network).or_default();
            if *count >= self.max_per_network {
                return Err(Refusal::PerNetwork);
            }
            *count += 1;
            Some(network)
        };
        Ok(ConnectionSlot {
            _total: total,
            network,
            per_network: self.per_network.clone(),
        })
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
        if let Some(network) = self.network {
            let mut counts = self.per_network.lock().expect("never poisoned");
            if let Some(count) = counts.get_mut(&network) {
                *count -= 1;
                if *count == 0 {
                    counts.remove(&network);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_capped_in_total_and_per_network_and_given_back_on_drop() {
        let caps = ConnectionCaps::new(3, 2);
        let ip = |text: &str| text.parse::<IpAddr>().unwrap();
        let first = caps.admit(ip("192.0.2.1"), false).unwrap();
        let _second = caps.admit(ip("192.0.2.1"), false).unwrap();
        assert_eq!(
            caps.admit(ip("192.0.2.1"), false).unwrap_err(),
            Refusal::PerNetwork
        );
        assert_eq!(caps.open(), 2, "a refusal gives its total slot back");
        let _proxy = caps.admit(ip("192.0.2.9"), true).unwrap();
        assert_eq!(
            caps.admit(ip("192.0.2.7"), false).unwrap_err(),
            Refusal::Total
        );
        drop(first);
        assert!(caps.admit(ip("192.0.2.1"), false).is_ok());
        assert!(caps.per_network.lock().unwrap().len() <= 1);
    }
}
