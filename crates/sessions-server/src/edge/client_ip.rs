//! The address a request is attributed to: the peer, or, when the peer is a trusted proxy, the
//! client `X-Forwarded-For` names.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

static X_FORWARDED_FOR: axum::http::HeaderName =
    axum::http::HeaderName::from_static("x-forwarded-for");

/// The proxies whose `X-Forwarded-For` is believed (`--trusted-proxy`).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    pub fn new(networks: Vec<IpNet>) -> Self {
        Self(networks)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|network| network.contains(&ip))
    }

    /// The client behind `peer`: if `peer` is trusted, the right-most address of
    /// `X-Forwarded-For` that is not itself a trusted proxy (each proxy appends the address it
    /// saw, so what lies left of an untrusted hop may be forged). Anything unreadable stops the
    /// walk there and the request is attributed to the last hop believed.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.contains(peer) {
            return peer;
        }
        let mut client = peer;
        let hops = headers
            .get_all(&X_FORWARDED_FOR)
            .iter()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .flat_map(|value| {
                value
                    .to_str()
                    .unwrap_or("unreadable")
                    .rsplit(',')
                    .map(str::trim)
                    .collect::<Vec<_>>()
            });
        for hop in hops {
            let Ok(address) = hop.parse::<IpAddr>() else {
                break;
            };
            client = address;
            if !self.contains(address) {
                break;
            }
        }
        client
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append(&X_FORWARDED_FOR, HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies_and_only_up_to_the_first_untrusted_hop() {
        let trusted = TrustedProxies::new(vec![
            "10.0.0.0/8".parse().unwrap(),
            "2001:db8::/32".parse().unwrap(),
        ]);
        let headers = forwarded(&["198.51.100.7, 203.0.113.5"]);
        assert_eq!(
            trusted.client(ip("192.0.2.1"), &headers),
            ip("192.0.2.1"),
            "an untrusted peer's header is ignored"
        );
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &headers),
            ip("203.0.113.5"),
            "the right-most hop, not the forgeable left one"
        );
        let through_two = forwarded(&["203.0.113.5", "10.9.9.9"]);
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &through_two),
            ip("203.0.113.5")
        );
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &HeaderMap::new()),
            ip("10.1.2.3"),
            "no header: the proxy itself"
        );
        assert_eq!(
            trusted.client(ip("10.1.2.3"), &forwarded(&["203.0.113.5, garbage"])),
            ip("10.1.2.3"),
            "an unreadable hop is not skipped over"
        );
        assert_eq!(
            trusted.client(ip("::ffff:10.1.2.3"), &headers),
            ip("203.0.113.5"),
            "an IPv4-mapped peer is its IPv4 address"
        );
        assert_eq!(
            trusted.client(ip("2001:db8::1"), &forwarded(&["2001:db9::5"])),
            ip("2001:db9::5")
        );
    }
}
