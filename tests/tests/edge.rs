//! The edge under hostile clients, on real sockets: slow and idle connections are timed out,
//! connections are capped in total and per client IP without starving the ones already open,
//! `X-Forwarded-For` counts only from trusted proxies, and the per-IP budget holds under
//! concurrency. Every loop here is bounded, and every wait has a deadline.

use std::{
    net::{IpAddr, Ipv4Addr, SocketAddr},
    num::NonZeroU32,
    time::Duration,
};

use contract_tests::TestApp;
use sessions_server::{
    edge::{EdgeLimits, Timeouts, TrustedProxies},
    rate_limit::RateLimits,
    service::Policy,
};
use tokio::{
    io::{AsyncReadExt as _, AsyncWriteExt as _},
    net::{TcpSocket, TcpStream},
    time::{Instant, timeout},
};

/// How long a normal client may wait for its answer while the attack goes on.
const PROMPTLY: Duration = Duration::from_secs(1);

/// Longer than a new connection that has sent nothing must wait to be reclaimed (half a
/// second); a kept-alive one between requests is reclaimed at once.
const RECLAIMABLE: Duration = Duration::from_millis(600);

fn loopback(last: u8) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 0, last)
}

/// A connection to the server from `local` (any 127.0.0.0/8 address reaches loopback).
async fn connect_from(local: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().expect("a socket");
    socket
        .bind(SocketAddr::new(IpAddr::V4(local), 0))
        .expect("a loopback address binds");
    socket.connect(server).await.expect("the server listens")
}

/// Reads until the server closes the connection (EOF or reset), for at most `within`; `None`
/// if it was still open by then. Returns what was received.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> Option<String> {
    let mut received = Vec::new();
    let closed = timeout(within, async {
        let mut buffer = [0_u8; 4096];
        while let Ok(read @ 1..) = stream.read(&mut buffer).await {
            received.extend_from_slice(&buffer[..read]);
        }
    })
    .await;
    closed
        .ok()
        .map(|()| String::from_utf8_lossy(&received).into_owned())
}

/// Sends `GET /healthz` on a kept-alive connection and reads its answer; the status line and
/// body, or `None` if no whole answer came within [`PROMPTLY`].
async fn healthz(stream: &mut TcpStream) -> Option<String> {
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
        .await
        .ok()?;
    read_answer(stream).await
}

async fn read_answer(stream: &mut TcpStream) -> Option<String> {
    timeout(PROMPTLY, async {
        let mut received = Vec::new();
        let mut buffer = [0_u8; 4096];
        loop {
            let text = String::from_utf8_lossy(&received).into_owned();
            if let Some((head, body)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|line| {
                        let (name, value) = line.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                if body.len() >= length {
                    let status = head.lines().next().unwrap_or_default();
                    return Some(format!("{status}\n{body}"));
                }
            }
            let read = stream.read(&mut buffer).await.ok()?;
            if read == 0 {
                return None;
            }
            received.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .ok()
    .flatten()
}

/// A connection holding a slot the way each kind of slow client does.
async fn slow_header(local: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let mut stream = connect_from(local, server).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: te")
        .await
        .expect("the server reads");
    stream
}

async fn slow_body(local: Ipv4Addr, server: SocketAddr, token: &str) -> TcpStream {
    let mut stream = connect_from(local, server).await;
    let head = format!(
        "POST /devices/trust HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 64\r\n\r\n{{\"fin"
    );
    stream
        .write_all(head.as_bytes())
        .await
        .expect("the server reads");
    stream
}

async fn idle(local: Ipv4Addr, server: SocketAddr) -> TcpStream {
    let mut stream = connect_from(local, server).await;
    let answer = healthz(&mut stream).await.expect("answered");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    stream
}

/// Long timeouts, so only the caps act in the caps test.
fn caps_only(max_connections: usize, max_connections_per_ip: usize) -> EdgeLimits {
    EdgeLimits {
        max_connections,
        max_connections_per_ip,
        ..EdgeLimits::default()
    }
}

#[tokio::test]
async fn over_a_cap_an_idle_connection_is_reclaimed_and_a_busy_one_never() {
    let app = TestApp::spawn_with_edge(Policy::default(), caps_only(6, 3)).await;
    let server = app.server_address;
    let token = app.issue("alice", "Laptop").await.token;

    // A user's kept-alive connection, open before the attack.
    let mut user = idle(loopback(9), server).await;

    // One client fills its per-IP cap with a slow head, a slow body and an idle keep-alive.
    let attacker = loopback(2);
    let mut held = [
        slow_header(attacker, server).await,
        slow_body(attacker, server, &token).await,
        idle(attacker, server).await,
    ];
    // Over the per-IP cap its own idle connection gives its slot back: the newcomer is served,
    // the idle one closed. The slow head and body are busy, never reclaimed.
    tokio::time::sleep(RECLAIMABLE).await;
    let mut newcomer = connect_from(attacker, server).await;
    let answer = healthz(&mut newcomer).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "{answer:?}"
    );
    assert_eq!(
        closed_within(&mut held[2], PROMPTLY).await.as_deref(),
        Some(""),
        "the idle one is closed, unanswered"
    );

    // Another client is still served at once.
    let mut other = connect_from(loopback(3), server).await;
    let answer = healthz(&mut other).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "{answer:?}"
    );

    // The last slot goes; over the total cap, the network holding the most (the attacker's
    // three) gives back its idle one: the newcomer's, now between requests.
    let _last = idle(loopback(4), server).await;
    tokio::time::sleep(RECLAIMABLE).await;
    let mut over_total_cap = connect_from(loopback(5), server).await;
    let answer = healthz(&mut over_total_cap).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "{answer:?}"
    );
    assert_eq!(
        closed_within(&mut newcomer, PROMPTLY).await.as_deref(),
        Some(""),
        "the attacker's idle connection made room"
    );

    // The user's connection, from a network holding one, kept its slot.
    let answer = healthz(&mut user).await;
    assert!(
        answer
            .as_deref()
            .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
        "{answer:?}"
    );
}

#[tokio::test]
async fn over_a_cap_with_nothing_idle_a_connection_is_closed_at_once() {
    let app = TestApp::spawn_with_edge(Policy::default(), caps_only(2, 2)).await;
    let server = app.server_address;
    let _busy = [
        slow_header(loopback(2), server).await,
        slow_header(loopback(3), server).await,
    ];
    let mut over_total_cap = connect_from(loopback(4), server).await;
    assert_eq!(
        closed_within(&mut over_total_cap, PROMPTLY)
            .await
            .as_deref(),
        Some(""),
        "over the total cap, nothing to reclaim: closed at once"
    );
}

/// The slot-holding attack: a few networks hold every slot with kept-alive connections, each
/// sending a request now and then, and reconnecting when closed. A new client, from another
/// address or from an attacking one, is still served within a second, every time.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_few_networks_holding_every_slot_cannot_lock_new_clients_out() {
    const NETWORKS: u8 = 4;
    const PER_NETWORK: usize = 8;
    let app = TestApp::spawn_with_edge(
        Policy {
            rate_limits: None,
            ..Policy::default()
        },
        caps_only(usize::from(NETWORKS) * PER_NETWORK, PER_NETWORK),
    )
    .await;
    let server = app.server_address;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let mut attackers = Vec::new();
    for network in 0..NETWORKS {
        for _ in 0..PER_NETWORK {
            let mut stream = idle(loopback(10 + network), server).await;
            let stop = stop.clone();
            attackers.push(tokio::spawn(async move {
                // A request every 2 s; a new connection when this one is closed.
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_secs(2)).await;
                    if healthz(&mut stream).await.is_none() {
                        stream = connect_from(loopback(10 + network), server).await;
                    }
                }
            }));
        }
    }
    // The attack is established: its connections have been idle a while.
    tokio::time::sleep(RECLAIMABLE).await;
    for round in 0..6_u8 {
        for client in [loopback(100 + round), loopback(10)] {
            let started = Instant::now();
            let mut stream = connect_from(client, server).await;
            let answer = healthz(&mut stream).await;
            assert!(
                answer
                    .as_deref()
                    .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
                "round {round}, client {client}: {answer:?} after {:?}",
                started.elapsed()
            );
        }
        tokio::time::sleep(RECLAIMABLE).await;
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for attacker in attackers {
        attacker.abort();
    }
}

fn short_timeouts() -> EdgeLimits {
    EdgeLimits {
        timeouts: Timeouts {
            header_read: Duration::from_secs(1),
            body: Duration::from_secs(1),
            idle: Duration::from_secs(1),
            request: Duration::from_secs(10),
        },
        ..EdgeLimits::default()
    }
}

/// Writes one byte every 100 ms for up to ten seconds, until the server closes the connection;
/// how long that took, or `None` if it never did.
async fn trickle_until_closed(stream: &mut TcpStream, byte: u8) -> Option<Duration> {
    let started = Instant::now();
    for _ in 0..100 {
        if stream.write_all(&[byte]).await.is_err() {
            return Some(started.elapsed());
        }
        let mut buffer = [0_u8; 1024];
        let read = timeout(Duration::from_millis(100), stream.read(&mut buffer)).await;
        if let Ok(Ok(0) | Err(_)) = read {
            return Some(started.elapsed());
        }
    }
    None
}

#[tokio::test]
async fn slow_heads_slow_bodies_and_idle_connections_are_closed_on_their_timeouts() {
    let app = TestApp::spawn_with_edge(Policy::default(), short_timeouts()).await;
    let server = app.server_address;
    let token = app.issue("alice", "Laptop").await.token;

    // Silent from the start.
    let mut silent = connect_from(loopback(1), server).await;
    assert!(
        closed_within(&mut silent, Duration::from_secs(5))
            .await
            .is_some(),
        "a connection that never sends a request is closed"
    );

    // A head trickled a byte at a time: the clock runs from its first byte, not from the last.
    let mut trickled_head = slow_header(loopback(1), server).await;
    let closed_after = trickle_until_closed(&mut trickled_head, b'x').await;
    assert!(
        closed_after.is_some_and(|after| after < Duration::from_secs(5)),
        "a trickled head is cut off: {closed_after:?}"
    );

    // A body trickled a byte at a time gets 408 in the error shape, then the connection closes.
    let mut trickled_body = slow_body(loopback(1), server, &token).await;
    let mut answer = String::new();
    let mut buffer = [0_u8; 4096];
    let closed = timeout(Duration::from_secs(5), async {
        loop {
            let _ = trickled_body.write_all(b" ").await;
            match timeout(Duration::from_millis(100), trickled_body.read(&mut buffer)).await {
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(read)) => answer.push_str(&String::from_utf8_lossy(&buffer[..read])),
                Err(_) => {}
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "a trickled body is cut off");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let (head, body) = answer.split_once("\r\n\r\n").expect("a whole answer");
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(body).expect("JSON"),
        serde_json::json!({ "success": false, "error": "The request body was not received in time" })
    );
    for header in [
        "cache-control: no-store",
        "x-request-id:",
        "connection: close",
    ] {
        assert!(
            head.to_ascii_lowercase().contains(header),
            "{header}: {head}"
        );
    }

    // A kept-alive connection that goes quiet is closed…
    let mut quiet = idle(loopback(1), server).await;
    assert!(
        closed_within(&mut quiet, Duration::from_secs(5))
            .await
            .is_some(),
        "an idle keep-alive connection is closed"
    );

    // …but one in steady use, a request every 400 ms for 2.4 s, is not.
    let mut busy = connect_from(loopback(1), server).await;
    for request in 0..6 {
        let answer = healthz(&mut busy).await;
        assert!(
            answer
                .as_deref()
                .is_some_and(|a| a.starts_with("HTTP/1.1 200")),
            "request {request}: {answer:?}"
        );
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
}

fn one_guess_a_minute_per_ip() -> Policy {
    Policy {
        rate_limits: Some(RateLimits {
            per_token_per_minute: NonZeroU32::new(100).expect("non-zero"),
            per_ip_per_minute: NonZeroU32::new(1).expect("non-zero"),
        }),
        ..Policy::default()
    }
}

async fn status_forwarded_for(server: SocketAddr, forwarded_for: &str) -> u16 {
    reqwest::Client::new()
        .get(format!("http://{server}/sessions"))
        .bearer_auth("made-up")
        .header("x-forwarded-for", forwarded_for)
        .send()
        .await
        .expect("the server answers")
        .status()
        .as_u16()
}

#[tokio::test]
async fn forwarded_for_names_the_client_only_behind_a_trusted_proxy() {
    let behind_proxy = EdgeLimits {
        trusted_proxies: TrustedProxies::new(vec!["127.0.0.0/8".parse().expect("a CIDR")]),
        max_connections_per_ip: 1,
        ..EdgeLimits::default()
    };
    let app = TestApp::spawn_with_edge(one_guess_a_minute_per_ip(), behind_proxy).await;
    let server = app.server_address;
    assert_eq!(status_forwarded_for(server, "203.0.113.1").await, 401);
    assert_eq!(status_forwarded_for(server, "203.0.113.1").await, 429);
    assert_eq!(
        status_forwarded_for(server, "203.0.113.2").await,
        401,
        "each client behind the proxy has a budget of its own"
    );
    assert_eq!(
        status_forwarded_for(server, "198.51.100.66, 203.0.113.1").await,
        429,
        "a forged left-most hop does not buy a fresh budget"
    );
    // A proxy carries many clients' connections: only the total caps it.
    let mut first = idle(loopback(1), server).await;
    let mut second = idle(loopback(1), server).await;
    assert!(healthz(&mut first).await.is_some() && healthz(&mut second).await.is_some());

    // Without --trusted-proxy the header is the client's say-so, and ignored.
    let app = TestApp::spawn_with(one_guess_a_minute_per_ip()).await;
    let server = app.server_address;
    assert_eq!(status_forwarded_for(server, "203.0.113.1").await, 401);
    assert_eq!(status_forwarded_for(server, "203.0.113.2").await, 429);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_guesses_from_one_ip_cannot_overrun_its_budget() {
    const BUDGET: u32 = 10;
    const GUESSES: usize = 60;
    let policy = Policy {
        rate_limits: Some(RateLimits {
            per_token_per_minute: NonZeroU32::new(100).expect("non-zero"),
            per_ip_per_minute: NonZeroU32::new(BUDGET).expect("non-zero"),
        }),
        ..Policy::default()
    };
    let app = TestApp::spawn_with(policy).await;
    let url = format!("http://{}/sessions", app.server_address);
    let http = reqwest::Client::new();
    let guesses = (0..GUESSES).map(|guess| {
        let request = http
            .get(&url)
            .bearer_auth(format!("made-up-{guess}"))
            .send();
        tokio::spawn(async move { request.await.expect("answered").status().as_u16() })
    });
    let mut statuses = Vec::new();
    for guess in guesses.collect::<Vec<_>>() {
        statuses.push(guess.await.expect("the task finishes"));
    }
    let unauthorized = statuses.iter().filter(|status| **status == 401).count();
    let limited = statuses.iter().filter(|status| **status == 429).count();
    assert_eq!(
        (unauthorized, limited),
        (BUDGET as usize, GUESSES - BUDGET as usize),
        "{statuses:?}"
    );
}

/// The head limit (64 KiB) holds however the head's bytes arrive: in one write, or in many.
#[tokio::test]
async fn a_head_over_the_limit_gets_431_however_it_is_split() {
    let app = TestApp::spawn().await;
    let server = app.server_address;
    let head = |padding: usize| {
        format!(
            "GET /healthz HTTP/1.1\r\nHost: test\r\nX-Padding: {}\r\n\r\n",
            "p".repeat(padding)
        )
    };
    let status_of = |answer: Option<String>| {
        answer
            .and_then(|answer| answer.lines().next().map(str::to_owned))
            .unwrap_or_default()
    };
    // 114 KB in one write: refused (it was accepted before), in the error shape.
    let mut stream = connect_from(loopback(1), server).await;
    stream
        .write_all(head(114_000).as_bytes())
        .await
        .expect("the head is sent");
    let answer = read_answer(&mut stream).await;
    let shown = answer.clone().unwrap_or_default();
    assert!(status_of(answer).contains(" 431 "), "{shown}");
    assert!(shown.contains(r#""success":false"#), "{shown}");
    // The same head in 1 KB writes: refused as well (hyper's own buffer limit).
    let mut stream = connect_from(loopback(2), server).await;
    for chunk in head(114_000).as_bytes().chunks(1024) {
        if stream.write_all(chunk).await.is_err() {
            break; // refused and closed before the whole head arrived
        }
    }
    let answer = closed_within(&mut stream, PROMPTLY)
        .await
        .unwrap_or_default();
    assert!(answer.starts_with("HTTP/1.1 431 "), "{answer}");
    // Just over the limit in one write: refused; just under it: served.
    let overhead = head(0).len();
    let mut stream = connect_from(loopback(3), server).await;
    stream
        .write_all(head(64 * 1024 - overhead + 1).as_bytes())
        .await
        .expect("the head is sent");
    assert!(status_of(read_answer(&mut stream).await).contains(" 431 "));
    let mut stream = connect_from(loopback(4), server).await;
    stream
        .write_all(head(60 * 1024).as_bytes())
        .await
        .expect("the head is sent");
    assert!(status_of(read_answer(&mut stream).await).contains(" 200 "));
}
