//! The load generator: one tokio task per connection, each with its own keep-alive HTTP/1
//! connection and its own sessions, sending requests back to back for a warm-up and then a fixed
//! measured window: `GET /sessions`, or writes ([`Workload`]).

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use anyhow::{Context as _, bail};
use axum::body::Bytes;
use reqwest::{
    Method, StatusCode, Url,
    header::{AUTHORIZATION, CONTENT_TYPE, HeaderValue},
};
use tokio::time::Instant;

use crate::{
    seed::{Credential, TRUSTED_FINGERPRINT},
    server,
};

/// What a run's requests are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Workload {
    /// `GET /sessions`, each body checked for its length.
    List,
    /// `POST /sessions/{id}/heartbeat` of the connection's own sessions.
    Heartbeat,
    /// `POST /devices/trust` of a device of the caller's.
    Trust,
    /// Nine in ten `GET /sessions`, one in ten heartbeats.
    Mixed,
}

impl Workload {
    pub fn describe(self) -> &'static str {
        match self {
            Self::List => "GET /sessions",
            Self::Heartbeat => "POST /sessions/{id}/heartbeat",
            Self::Trust => "POST /devices/trust",
            Self::Mixed => "90 % GET /sessions, 10 % heartbeats",
        }
    }

    /// The request number `index` of a connection.
    fn request(self, index: usize) -> Request {
        match self {
            Self::List => Request::List,
            Self::Heartbeat => Request::Heartbeat,
            Self::Trust => Request::Trust,
            Self::Mixed if index % 10 == 9 => Request::Heartbeat,
            Self::Mixed => Request::List,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    List,
    Heartbeat,
    Trust,
}

/// One session's requests, ready to send.
#[derive(Debug, Clone)]
struct Target {
    auth: HeaderValue,
    heartbeat: Url,
    /// The length of its `GET /sessions` body when the run started.
    list_length: usize,
}

/// No single request may take longer; a slower one counts as an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// After a failed request a connection pauses this long, so errors cannot spin.
const ERROR_PAUSE: Duration = Duration::from_millis(10);

/// One load run.
#[derive(Debug, Clone)]
pub struct Load {
    /// The server, `http://host:port`.
    pub base: Url,
    pub workload: Workload,
    /// The sessions of each connection; a connection cycles through its own.
    pub sessions: Vec<Vec<Credential>>,
    pub warmup: Duration,
    pub duration: Duration,
    /// How many sessions every `GET /sessions` body must list (checked once per token).
    pub expected_sessions: usize,
    /// The server's process id, to sample its CPU time and memory.
    pub server_pid: u32,
    /// The database server's main process (PostgreSQL's postmaster): its CPU time and its
    /// children's count as "database". Backends must live through the window (the service's
    /// pool keeps its connections open).
    pub database_pid: Option<u32>,
    /// Notified when the measured window opens (after the warm-up).
    pub window_opens: Option<Arc<tokio::sync::Notify>>,
}

/// What a run measured.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub connections: usize,
    pub duration: Duration,
    /// Successful requests that started and finished within the measured window.
    pub requests: u64,
    /// Failed requests (transport errors, timeouts, non-200 statuses, short bodies) in the
    /// whole run, warm-up included.
    pub errors: u64,
    pub first_error: Option<String>,
    /// Latencies of `requests`, sorted.
    pub latencies: Vec<Duration>,
    pub cpu: Option<CpuSplit>,
    /// Server RSS sampled every second through the run (warm-up included), in bytes.
    pub rss: Vec<u64>,
    /// How busy the machine was (0 to 1) in the second before the run started; above
    /// [`QUIET`], something else was running.
    pub busy_before: f64,
}

/// Where the machine's CPU time went in the measured window, in seconds of CPU.
#[derive(Debug, Clone, Copy)]
pub struct CpuSplit {
    pub server: f64,
    pub load_generator: f64,
    pub database: f64,
    /// Everything busy on the machine, the above included.
    pub machine_busy: f64,
    /// All CPU time the machine had (cores × wall time).
    pub machine_total: f64,
    /// Context switches of the server's threads.
    pub server_switches: u64,
    /// Read system calls of the server (its database files; sockets are not counted).
    pub server_reads: u64,
}

impl Outcome {
    pub fn rps(&self) -> f64 {
        self.requests as f64 / self.duration.as_secs_f64()
    }

    pub fn percentile(&self, percent: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((percent / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    pub fn max(&self) -> Duration {
        self.latencies.last().copied().unwrap_or_default()
    }

    /// Context switches of the server's threads per measured request.
    pub fn switches_per_request(&self) -> Option<f64> {
        Some(self.cpu?.server_switches as f64 / self.requests.max(1) as f64)
    }

    /// Read system calls of the server per measured request.
    pub fn reads_per_request(&self) -> Option<f64> {
        Some(self.cpu?.server_reads as f64 / self.requests.max(1) as f64)
    }

    /// CPU microseconds per measured request: (server, load generator, database, rest).
    pub fn cpu_per_request(&self) -> Option<(f64, f64, f64, f64)> {
        let cpu = self.cpu?;
        let per = |seconds: f64| seconds * 1e6 / self.requests.max(1) as f64;
        let rest = (cpu.machine_busy - cpu.server - cpu.load_generator - cpu.database).max(0.0);
        Some((
            per(cpu.server),
            per(cpu.load_generator),
            per(cpu.database),
            per(rest),
        ))
    }
}

#[derive(Debug, Default)]
struct Shared {
    errors: AtomicU64,
    first_error: std::sync::Mutex<Option<String>>,
}

impl Shared {
    fn error(&self, what: String) {
        self.errors.fetch_add(1, Ordering::Relaxed);
        let mut first = self.first_error.lock().expect("not poisoned");
        first.get_or_insert(what);
    }
}

fn client() -> anyhow::Result<reqwest::Client> {
    reqwest::Client::builder()
        .no_proxy()
        .pool_max_idle_per_host(1)
        .tcp_nodelay(true)
        .timeout(REQUEST_TIMEOUT)
        .build()
        .context("cannot build an HTTP client")
}

/// Sends one request; the body when it is a 200.
async fn fetch(
    client: &reqwest::Client,
    request: Request,
    base: &Url,
    target: &Target,
) -> Result<Bytes, String> {
    let builder = match request {
        Request::List => client.get(base.join("sessions").map_err(|err| err.to_string())?),
        Request::Heartbeat => client.request(Method::POST, target.heartbeat.clone()),
        Request::Trust => client
            .post(base.join("devices/trust").map_err(|err| err.to_string())?)
            .header(CONTENT_TYPE, "application/json")
            .body(format!(r#"{{"fingerprint":"{TRUSTED_FINGERPRINT}"}}"#)),
    };
    let response = builder
        .header(AUTHORIZATION, target.auth.clone())
        .send()
        .await
        .map_err(|err| format!("request failed: {err}"))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| format!("body failed: {err}"))?;
    if status != StatusCode::OK {
        return Err(format!(
            "status {status}: {}",
            String::from_utf8_lossy(&body[..body.len().min(200)])
        ));
    }
    Ok(body)
}

/// Checks a `GET /sessions` body: `{"success": true, "sessions": [expected items]}`.
pub fn check_body(body: &[u8], expected_sessions: usize) -> anyhow::Result<()> {
    let value: serde_json::Value = serde_json::from_slice(body).context("the body is not JSON")?;
    let sessions = value["sessions"].as_array().map(Vec::len);
    if value["success"] != serde_json::Value::Bool(true) || sessions != Some(expected_sessions) {
        bail!(
            "expected {{\"success\": true, \"sessions\": [{expected_sessions} items]}}, got {}",
            String::from_utf8_lossy(&body[..body.len().min(300)])
        );
    }
    Ok(())
}

/// Runs `load` to its end: every connection first checks each of its tokens once, then all
/// send back to back until the window closes.
pub async fn run(load: &Load) -> anyhow::Result<Outcome> {
    let busy_before = wait_for_quiet().await;
    let shared = Arc::new(Shared::default());
    // Every connection checks each of its tokens once (which also opens the connection), all
    // connections at the same time.
    let mut preparing = Vec::with_capacity(load.sessions.len());
    for sessions in &load.sessions {
        if sessions.is_empty() {
            bail!("a connection without a session");
        }
        let sessions = sessions.clone();
        let base = load.base.clone();
        let expected = load.expected_sessions;
        let workload = load.workload;
        preparing.push(tokio::spawn(async move {
            let client = client()?;
            let mut targets = Vec::with_capacity(sessions.len());
            for session in sessions {
                let mut target = Target {
                    auth: HeaderValue::from_str(&format!("Bearer {}", session.token))?,
                    heartbeat: base.join(&format!("sessions/{}/heartbeat", session.session_id))?,
                    list_length: 0,
                };
                let body = fetch(&client, Request::List, &base, &target)
                    .await
                    .map_err(|err| anyhow::anyhow!("{base}: {err}"))?;
                check_body(&body, expected)?;
                target.list_length = body.len();
                if workload != Workload::List {
                    fetch(&client, workload.request(9), &base, &target)
                        .await
                        .map_err(|err| anyhow::anyhow!("{base}: {err}"))?;
                }
                targets.push(target);
            }
            anyhow::Ok((client, targets))
        }));
    }
    let mut prepared = Vec::with_capacity(preparing.len());
    for task in preparing {
        prepared.push(task.await.context("a connection task panicked")??);
    }

    let start = Instant::now();
    let measure_from = start + load.warmup;
    let until = measure_from + load.duration;
    let mut tasks = Vec::with_capacity(prepared.len());
    for (client, targets) in prepared {
        let shared = Arc::clone(&shared);
        let base = load.base.clone();
        let workload = load.workload;
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::with_capacity(1 << 14);
            let mut next = 0;
            loop {
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let target = &targets[next % targets.len()];
                let request = workload.request(next);
                next += 1;
                match fetch(&client, request, &base, target).await {
                    // Only a pure read run keeps every body as it was (writes move timestamps).
                    Ok(body) if workload == Workload::List && body.len() != target.list_length => {
                        shared.error(format!(
                            "body of {} bytes, {} expected",
                            body.len(),
                            target.list_length
                        ));
                        tokio::time::sleep(ERROR_PAUSE).await;
                    }
                    Ok(_) => {
                        let done = Instant::now();
                        if sent >= measure_from && done <= until {
                            latencies.push(done - sent);
                        }
                    }
                    Err(err) => {
                        shared.error(err);
                        tokio::time::sleep(ERROR_PAUSE).await;
                    }
                }
            }
            latencies
        }));
    }

    // Samplers: the server's RSS every second, CPU times at both ends of the window.
    let pid = load.server_pid;
    let database_pid = load.database_pid;
    let memory = tokio::spawn(async move {
        let mut rss = Vec::new();
        let mut at = start;
        while at <= until {
            tokio::time::sleep_until(at).await;
            rss.extend(server::rss_bytes(pid));
            at += Duration::from_secs(1);
        }
        rss
    });
    let window_opens = load.window_opens.clone();
    let cpu = tokio::spawn(async move {
        let ticks = || {
            let server = server::cpu_ticks(&pid.to_string());
            let own = server::cpu_ticks("self");
            let database: u64 = database_pid
                .map(server::process_tree)
                .unwrap_or_default()
                .iter()
                .filter_map(|pid| server::cpu_ticks(pid))
                .sum();
            let machine = server::machine_ticks();
            let switches = server::context_switches(pid);
            let reads = server::read_calls(pid).unwrap_or_default();
            Some((server?, own?, database, machine?, switches?, reads))
        };
        tokio::time::sleep_until(measure_from).await;
        let before = ticks();
        if let Some(window_opens) = window_opens {
            window_opens.notify_one();
        }
        tokio::time::sleep_until(until).await;
        before.zip(ticks())
    });

    let mut latencies = Vec::new();
    for task in tasks {
        latencies.extend(task.await.context("a connection task panicked")?);
    }
    latencies.sort_unstable();
    let rss = memory.await.context("the memory sampler panicked")?;
    let cpu = cpu.await.context("the CPU sampler panicked")?;
    let cpu = cpu.map(|(before, after)| {
        let tick = 1.0 / server::ticks_per_second() as f64;
        let seconds = |from: u64, to: u64| to.saturating_sub(from) as f64 * tick;
        CpuSplit {
            server: seconds(before.0, after.0),
            load_generator: seconds(before.1, after.1),
            database: seconds(before.2, after.2),
            machine_busy: seconds(before.3.0, after.3.0),
            machine_total: seconds(before.3.1, after.3.1),
            server_switches: after.4.saturating_sub(before.4),
            server_reads: after.5.saturating_sub(before.5),
        }
    });
    let first_error = shared.first_error.lock().expect("not poisoned").clone();
    Ok(Outcome {
        connections: load.sessions.len(),
        duration: load.duration,
        requests: latencies.len() as u64,
        errors: shared.errors.load(Ordering::Relaxed),
        first_error,
        latencies,
        cpu,
        rss,
        busy_before,
    })
}

/// The machine counts as quiet below this share of busy CPU, the benchmark's own servers idle.
pub const QUIET: f64 = 0.15;
/// How long a run waits for a quiet machine before it starts anyway.
const QUIET_WAIT: Duration = Duration::from_secs(30);

/// Waits (up to [`QUIET_WAIT`]) until the machine was less than [`QUIET`] busy for a second,
/// so other work on the machine (a build, say) does not take the benchmark's CPU. Returns the
/// busy share of the last second measured.
async fn wait_for_quiet() -> f64 {
    let deadline = Instant::now() + QUIET_WAIT;
    loop {
        let before = server::machine_ticks();
        tokio::time::sleep(Duration::from_secs(1)).await;
        let busy = before.zip(server::machine_ticks()).map_or(
            0.0,
            |((busy0, total0), (busy1, total1))| {
                busy1.saturating_sub(busy0) as f64 / total1.saturating_sub(total0).max(1) as f64
            },
        );
        if busy < QUIET || Instant::now() >= deadline {
            return busy;
        }
    }
}
