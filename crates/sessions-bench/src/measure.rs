//! The measurements of one server: throughput, latency, writes, the profile and the soak.

use std::{
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use anyhow::Context as _;
use reqwest::Url;
use tokio::sync::Notify;

use crate::{
    PROFILE_SECONDS, RunArgs, Soak, USERS_PER_CONNECTION,
    launch::stop,
    load::{self, Load, Outcome, Workload},
    profile, report, seed,
    server::ServerProcess,
};

pub(crate) struct Measure<'a> {
    pub(crate) args: &'a RunArgs,
    pub(crate) database_pid: Option<u32>,
}

impl Measure<'_> {
    async fn load(
        &self,
        server: &ServerProcess,
        users: usize,
        connections: usize,
        warmup: u64,
        duration: u64,
        what: &str,
    ) -> anyhow::Result<Outcome> {
        self.load_with(
            server,
            users,
            (connections, Workload::List),
            warmup,
            duration,
            what,
            None,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn load_with(
        &self,
        server: &ServerProcess,
        users: usize,
        (connections, workload): (usize, Workload),
        warmup: u64,
        duration: u64,
        what: &str,
        window_opens: Option<Arc<Notify>>,
    ) -> anyhow::Result<Outcome> {
        progress!("{what}: {connections} connection(s), {warmup} s warm-up + {duration} s");
        let outcome = load::run(&Load {
            base: Url::parse(&format!("http://{}/", server.addr))?,
            workload,
            sessions: seed::assign_sessions(connections, users, USERS_PER_CONNECTION),
            warmup: Duration::from_secs(warmup),
            duration: Duration::from_secs(duration),
            expected_sessions: seed::SESSIONS_PER_USER,
            server_pid: server.pid(),
            database_pid: self.database_pid,
            window_opens: window_opens.clone(),
        })
        .await
        .with_context(|| what.to_owned())?;
        progress!(
            "{what}: {:.0} requests/s, p50 {}, p99 {}, {} errors",
            outcome.rps(),
            report::ms(outcome.percentile(50.0)),
            report::ms(outcome.percentile(99.0)),
            outcome.errors
        );
        Ok(outcome)
    }

    pub(crate) async fn throughput(
        &self,
        server: &ServerProcess,
        users: usize,
        what: &str,
    ) -> anyhow::Result<Outcome> {
        let args = self.args;
        self.load(
            server,
            users,
            args.connections,
            args.warmup,
            args.duration,
            what,
        )
        .await
    }

    /// The write workloads at the throughput runs' connections, one after the other.
    pub(crate) async fn writes(
        &self,
        server: &ServerProcess,
        users: usize,
        what: &str,
    ) -> anyhow::Result<Vec<(Workload, Outcome)>> {
        let args = self.args;
        let mut outcomes = Vec::new();
        for workload in [Workload::Heartbeat, Workload::Trust, Workload::Mixed] {
            let outcome = self
                .load_with(
                    server,
                    users,
                    (args.connections, workload),
                    args.warmup,
                    args.duration,
                    &format!("{what}, {}", workload.describe()),
                    None,
                )
                .await?;
            outcomes.push((workload, outcome));
        }
        Ok(outcomes)
    }

    pub(crate) async fn latency(
        &self,
        server: &ServerProcess,
        users: usize,
        what: &str,
    ) -> anyhow::Result<Outcome> {
        let args = self.args;
        self.load(
            server,
            users,
            1,
            args.warmup.min(1),
            args.latency_duration,
            what,
        )
        .await
    }

    /// [`Self::profile`] unless `--no-profile`, or `perf` is missing (then why not).
    pub(crate) async fn profile_if_wanted(
        &self,
        server: &ServerProcess,
        users: usize,
        work: &Path,
        what: &str,
    ) -> anyhow::Result<Option<Result<profile::Profile, String>>> {
        if self.args.no_profile {
            return Ok(None);
        }
        if !profile::available() {
            return Ok(Some(Err(
                "`perf` is not available on this machine".to_owned()
            )));
        }
        let data = work.join("perf.data");
        Ok(Some(self.profile(server, users, data, what).await?))
    }

    /// `perf` samples the server for [`PROFILE_SECONDS`] in the middle of a throughput run.
    pub(crate) async fn profile(
        &self,
        server: &ServerProcess,
        users: usize,
        data: PathBuf,
        what: &str,
    ) -> anyhow::Result<Result<profile::Profile, String>> {
        let args = self.args;
        let pid = server.pid();
        let window_opens = Arc::new(Notify::new());
        let recording = tokio::spawn({
            let window_opens = Arc::clone(&window_opens);
            async move {
                window_opens.notified().await;
                tokio::task::spawn_blocking(move || {
                    profile::record(pid, Duration::from_secs(PROFILE_SECONDS), &data)
                })
                .await
            }
        });
        let load = self
            .load_with(
                server,
                users,
                (args.connections, Workload::List),
                args.warmup,
                PROFILE_SECONDS + 1,
                what,
                Some(window_opens),
            )
            .await;
        if load.is_err() {
            recording.abort();
        }
        load?;
        let profile = recording
            .await
            .context("the profiler panicked")?
            .context("the profiler panicked")?;
        Ok(profile.map_err(|err| format!("{err:#}")))
    }

    /// A fresh server process under `soak_connections` for `soak_duration`, memory watched.
    pub(crate) async fn soak(
        &self,
        server: ServerProcess,
        users: usize,
        what: &str,
        incidents: &mut Vec<String>,
    ) -> anyhow::Result<Soak> {
        let args = self.args;
        // Let the process settle, then take its idle RSS.
        tokio::time::sleep(Duration::from_millis(500)).await;
        let rss_before = server.rss_bytes().context("no RSS for the server")?;
        let outcome = self
            .load(
                &server,
                users,
                args.soak_connections,
                0,
                args.soak_duration,
                what,
            )
            .await?;
        // The clients are gone: what the server keeps once idle again.
        tokio::time::sleep(Duration::from_secs(1)).await;
        let rss_after = server.rss_bytes();
        let stopped = stop(server, what, incidents)?;
        Ok(Soak {
            outcome,
            connections: args.soak_connections,
            rss_before,
            rss_after,
            clean_exit: stopped.clean_exit,
            error_lines: stopped.error_lines,
        })
    }
}
