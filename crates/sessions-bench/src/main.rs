//! `sessions-bench`: the load benchmark of `GET /sessions`, run by `cargo xtask bench`.
//!
//! `sessions-bench run` builds the real `sessions-server` binary (release), seeds its databases,
//! starts every server under test as a separate process on 127.0.0.1, drives it with the load
//! generator in [`load`] and prints the figures as Markdown on stdout (progress on stderr).
//! `sessions-bench baseline` is the baseline server: axum returning one static JSON body.

/// Progress, on stderr: stdout carries only the report.
macro_rules! progress {
    ($($arg:tt)*) => { eprintln!("[sessions-bench] {}", format!($($arg)*)) };
}

mod launch;
mod load;
mod measure;
mod profile;
mod report;
mod seed;
mod server;

use std::{
    net::SocketAddr,
    path::{Path, PathBuf},
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use anyhow::{Context as _, bail};
use clap::{Args, Parser, Subcommand};
use sessions_server::store::{PostgresStore, SqliteStore};

use crate::{
    launch::{Launcher, server_binary, sessions_url, stop},
    load::{Outcome, Workload},
    measure::Measure,
};

#[derive(Debug, Parser)]
#[command(about = "Load benchmark of GET /sessions over loopback")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Run every measurement and print the report (Markdown) on stdout.
    Run(RunArgs),
    /// Serve `GET /sessions` as one static JSON body: the baseline. Prints
    /// `Listening on http://ADDR` once it serves; stops on SIGTERM or SIGINT.
    Baseline {
        #[arg(long, default_value = "127.0.0.1:0")]
        bind: SocketAddr,
        /// The body to answer with.
        #[arg(long)]
        body_file: PathBuf,
    },
}

#[derive(Debug, Clone, Args)]
struct RunArgs {
    /// The `sessions-server` binary; by default built with `cargo build --release` and taken
    /// from beside this binary.
    #[arg(long)]
    server_bin: Option<PathBuf>,
    /// Connections of the throughput and scaling runs.
    #[arg(long, default_value_t = 64)]
    connections: usize,
    /// Unmeasured seconds at the start of every run.
    #[arg(long, default_value_t = 2)]
    warmup: u64,
    /// Measured seconds of every throughput run.
    #[arg(long, default_value_t = 10)]
    duration: u64,
    /// Measured seconds of the one-connection latency runs.
    #[arg(long, default_value_t = 5)]
    latency_duration: u64,
    /// Users of the small data set (10 sessions each).
    #[arg(long, default_value_t = 100)]
    small_users: usize,
    /// Users of the large data set (10 sessions each).
    #[arg(long, default_value_t = 100_000)]
    large_users: usize,
    /// Connections of the soak.
    #[arg(long, default_value_t = 256)]
    soak_connections: usize,
    /// Seconds of the soak.
    #[arg(long, default_value_t = 30)]
    soak_duration: u64,
    /// Skip PostgreSQL even where its binaries exist.
    #[arg(long)]
    no_postgres: bool,
    /// Soak the SQLite service only.
    #[arg(long)]
    no_postgres_soak: bool,
    /// The service's log filter (`SESSIONS_LOG`); `info`, its default, logs every request.
    #[arg(long, default_value = "info")]
    service_log: String,
    /// Skip the `perf` profiles of the service.
    #[arg(long)]
    no_profile: bool,
}

/// Seconds `perf` samples the SQLite service.
const PROFILE_SECONDS: u64 = 5;

/// Tokens per connection: requests cycle through the sessions of this many users.
const USERS_PER_CONNECTION: usize = 64;

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Cmd::Run(args) => {
            let markdown = runtime.block_on(until_interrupted(run(args)))?;
            println!("{markdown}");
            Ok(())
        }
        Cmd::Baseline { bind, body_file } => runtime.block_on(baseline(bind, &body_file)),
    }
}

/// Runs `work` unless SIGINT or SIGTERM comes first; then `work` is dropped, which stops its
/// servers and removes its temporary directory (a gigabyte with the large data set).
async fn until_interrupted<T>(work: impl Future<Output = anyhow::Result<T>>) -> anyhow::Result<T> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    tokio::select! {
        done = work => done,
        _ = interrupt.recv() => bail!("interrupted (SIGINT); servers stopped, work directory removed"),
        _ = terminate.recv() => bail!("terminated (SIGTERM); servers stopped, work directory removed"),
    }
}

async fn baseline(bind: SocketAddr, body_file: &Path) -> anyhow::Result<()> {
    use axum::{body::Bytes, http::header::CONTENT_TYPE, routing::get};
    let body = Bytes::from(
        std::fs::read(body_file).with_context(|| format!("cannot read {}", body_file.display()))?,
    );
    let app = axum::Router::new().route(
        "/sessions",
        get(move || {
            let body = body.clone();
            async move { ([(CONTENT_TYPE, "application/json")], body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind(bind).await?;
    println!("Listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app)
        .with_graceful_shutdown(async {
            let mut terminate =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM can be handled");
            tokio::select! {
                _ = terminate.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        })
        .await?;
    Ok(())
}

/// Everything measured, for the report.
#[derive(Debug, Default)]
pub struct Results {
    pub connections: usize,
    pub warmup: u64,
    pub duration: u64,
    pub latency_duration: u64,
    pub small_sessions: usize,
    pub large_sessions: usize,
    pub body_bytes: usize,
    pub sqlite_version: String,
    /// SQLite's `PRAGMA cache_size` on the service's connections, and what it means in bytes.
    pub sqlite_cache: Option<(i64, u64)>,
    /// PostgreSQL's `shared_buffers`.
    pub postgres_shared_buffers: Option<String>,
    pub postgres_version: Option<String>,
    pub postgres_skipped: Option<String>,
    pub baseline: Option<Outcome>,
    pub backends: Vec<Backend>,
}

/// One backend's figures.
#[derive(Debug)]
pub struct Backend {
    pub name: &'static str,
    pub seed_small: Duration,
    pub seed_large: Option<Duration>,
    /// The database's size on disk with the small and the large data set, in bytes.
    pub size_small: Option<u64>,
    pub size_large: Option<u64>,
    /// 64 connections, small data set.
    pub throughput: Outcome,
    /// The write workloads, 64 connections, small data set.
    pub writes: Vec<(Workload, Outcome)>,
    /// The service under the throughput load, profiled by `perf`; or why there is no profile.
    pub profile: Option<Result<profile::Profile, String>>,
    /// One connection, small and large data set.
    pub latency_small: Outcome,
    pub latency_large: Option<Outcome>,
    /// 64 connections, large data set.
    pub throughput_large: Option<Outcome>,
    pub plan_large: Option<String>,
    pub soak: Option<Soak>,
    /// Servers that did not exit cleanly or logged errors, described.
    pub incidents: Vec<String>,
}

#[derive(Debug)]
pub struct Soak {
    pub outcome: Outcome,
    pub connections: usize,
    pub rss_before: u64,
    pub rss_after: Option<u64>,
    pub clean_exit: bool,
    pub error_lines: u64,
}

/// `PRAGMA cache_size` of the service's read connections (negative: KiB; positive: pages),
/// with its size in bytes.
fn sqlite_cache(store: &SqliteStore) -> Option<(i64, u64)> {
    let pragma = store.read_pragma("cache_size").ok()?;
    let page_size = store.read_pragma("page_size").ok()?;
    let bytes = if pragma < 0 {
        pragma.unsigned_abs() * 1024
    } else {
        pragma.unsigned_abs() * page_size.unsigned_abs()
    };
    Some((pragma, bytes))
}

/// A closed SQLite database's size: the file and whatever WAL is left.
fn sqlite_size(file: &Path) -> Option<u64> {
    let main = std::fs::metadata(file).ok()?.len();
    let wal = std::fs::metadata(file.with_extension("db-wal")).map_or(0, |meta| meta.len());
    Some(main + wal)
}

async fn postgres_size(pool: &sqlx::PgPool) -> Option<u64> {
    sqlx::query_scalar::<_, i64>("SELECT pg_database_size(current_database())")
        .fetch_one(pool)
        .await
        .ok()
        .and_then(|size| u64::try_from(size).ok())
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_millis() as i64)
}

async fn run(args: RunArgs) -> anyhow::Result<String> {
    if args.connections == 0 || args.soak_connections == 0 || args.small_users == 0 {
        bail!("connections and users must be positive");
    }
    if args.large_users < args.small_users {
        bail!("--large-users must be at least --small-users");
    }
    let server_bin = server_binary(args.server_bin.clone())?;
    let work = tempfile::Builder::new()
        .prefix("sessions-bench-")
        .tempdir()?;
    let mut launcher = Launcher::new(server_bin, args.service_log.clone(), work.path().to_owned());
    let now = now_ms();
    let small = args.small_users;
    let large = args.large_users;
    let mut results = Results {
        connections: args.connections,
        warmup: args.warmup,
        duration: args.duration,
        latency_duration: args.latency_duration,
        small_sessions: small * seed::SESSIONS_PER_USER,
        large_sessions: large * seed::SESSIONS_PER_USER,
        ..Results::default()
    };
    let measure = Measure {
        args: &args,
        database_pid: None,
    };

    // SQLite, small data set; its body becomes the baseline's.
    let sqlite_url = format!("sqlite://{}", work.path().join("bench.db").display());
    let store = SqliteStore::connect(&sqlite_url).await?;
    results.sqlite_cache = sqlite_cache(&store);
    progress!("seeding SQLite: {small} users × 10 sessions");
    let seed_small = seed::sqlite(store.pool(), 0..small, now).await?;
    results.sqlite_version = sqlx::query_scalar("SELECT sqlite_version()")
        .fetch_one(store.pool())
        .await?;
    store.pool().close().await;
    drop(store);
    let sqlite_file = work.path().join("bench.db");
    let size_small = sqlite_size(&sqlite_file);

    let mut incidents = Vec::new();
    let service = launcher.service(&sqlite_url)?;
    let body = reqwest::Client::builder()
        .no_proxy()
        .build()?
        .get(sessions_url(&service)?)
        .bearer_auth(seed::token(0, 0))
        .send()
        .await?
        .error_for_status()?
        .bytes()
        .await?;
    load::check_body(&body, seed::SESSIONS_PER_USER)?;
    results.body_bytes = body.len();
    let body_file = work.path().join("body.json");
    std::fs::write(&body_file, &body)?;
    let latency_small = measure
        .latency(&service, small, "SQLite, small, latency")
        .await?;
    let throughput = measure.throughput(&service, small, "SQLite, small").await?;
    let profile = measure
        .profile_if_wanted(&service, small, work.path(), "SQLite, small, under perf")
        .await?;
    // Writes last on this data set: they move the timestamps the read runs' bodies show.
    let writes = measure.writes(&service, small, "SQLite, small").await?;
    stop(service, "SQLite throughput", &mut incidents)?;

    let baseline = launcher.baseline(&body_file)?;
    results.baseline = Some(measure.throughput(&baseline, small, "baseline").await?);
    stop(baseline, "baseline", &mut incidents)?;

    // SQLite, large data set, then the soak on it.
    let store = SqliteStore::connect(&sqlite_url).await?;
    progress!(
        "seeding SQLite: {} more users × 10 sessions, one transaction",
        large - small
    );
    let seed_large = seed::sqlite(store.pool(), small..large, now).await?;
    progress!("seeded in {:.1} s", seed_large.as_secs_f64());
    let plan_large = report::sqlite_plan(store.pool(), now).await.ok();
    store.pool().close().await;
    drop(store);
    let size_large = sqlite_size(&sqlite_file);
    let service = launcher.service(&sqlite_url)?;
    let latency_large = measure
        .latency(&service, large, "SQLite, large, latency")
        .await?;
    let throughput_large = measure.throughput(&service, large, "SQLite, large").await?;
    stop(service, "SQLite large", &mut incidents)?;
    let service = launcher.service(&sqlite_url)?;
    let soak = measure
        .soak(service, large, "SQLite soak", &mut incidents)
        .await?;
    results.backends.push(Backend {
        name: "SQLite",
        seed_small,
        seed_large: Some(seed_large),
        size_small,
        size_large,
        throughput,
        writes,
        profile,
        latency_small,
        latency_large: Some(latency_large),
        throughput_large: Some(throughput_large),
        plan_large,
        soak: Some(soak),
        incidents,
    });

    // PostgreSQL, the same steps.
    let binaries = pg_throwaway::find_binaries();
    match (args.no_postgres, binaries) {
        (true, _) => results.postgres_skipped = Some("skipped (--no-postgres)".to_owned()),
        (false, None) => {
            results.postgres_skipped = Some(
                "skipped: no PostgreSQL binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql"
                    .to_owned(),
            );
        }
        (false, Some(_)) => {
            progress!("starting a throwaway PostgreSQL cluster");
            // PostgreSQL's own durability defaults: the write runs commit to disk, as SQLite's do.
            let cluster =
                pg_throwaway::dedicated_with(pg_throwaway::Durability::SurvivesPowerLoss)?;
            results.postgres_version = Some(cluster.version());
            let measure = Measure {
                args: &args,
                database_pid: cluster.postmaster_pid(),
            };
            let url = cluster.create_database().await?;
            let store = PostgresStore::connect(&url).await?;
            progress!("seeding PostgreSQL: {small} users × 10 sessions");
            let seed_small = seed::postgres(store.pool(), 0..small, now).await?;
            results.postgres_shared_buffers = sqlx::query_scalar("SHOW shared_buffers")
                .fetch_one(store.pool())
                .await
                .ok();
            let size_small = postgres_size(store.pool()).await;
            store.pool().close().await;
            drop(store);
            let mut incidents = Vec::new();
            let service = launcher.service(&url)?;
            let latency_small = measure
                .latency(&service, small, "PostgreSQL, small, latency")
                .await?;
            let throughput = measure
                .throughput(&service, small, "PostgreSQL, small")
                .await?;
            let profile = measure
                .profile_if_wanted(
                    &service,
                    small,
                    work.path(),
                    "PostgreSQL, small, under perf",
                )
                .await?;
            let writes = measure.writes(&service, small, "PostgreSQL, small").await?;
            stop(service, "PostgreSQL throughput", &mut incidents)?;

            let store = PostgresStore::connect(&url).await?;
            progress!(
                "seeding PostgreSQL: {} more users × 10 sessions, one transaction",
                large - small
            );
            let seed_large = seed::postgres(store.pool(), small..large, now).await?;
            progress!("seeded in {:.1} s", seed_large.as_secs_f64());
            let plan_large = report::postgres_plan(store.pool(), now).await.ok();
            let size_large = postgres_size(store.pool()).await;
            store.pool().close().await;
            drop(store);
            let service = launcher.service(&url)?;
            let latency_large = measure
                .latency(&service, large, "PostgreSQL, large, latency")
                .await?;
            let throughput_large = measure
                .throughput(&service, large, "PostgreSQL, large")
                .await?;
            stop(service, "PostgreSQL large", &mut incidents)?;
            let soak = if args.no_postgres_soak {
                None
            } else {
                let service = launcher.service(&url)?;
                Some(
                    measure
                        .soak(service, large, "PostgreSQL soak", &mut incidents)
                        .await?,
                )
            };
            results.backends.push(Backend {
                name: "PostgreSQL",
                seed_small,
                seed_large: Some(seed_large),
                size_small,
                size_large,
                throughput,
                writes,
                profile,
                latency_small,
                latency_large: Some(latency_large),
                throughput_large: Some(throughput_large),
                plan_large,
                soak,
                incidents,
            });
            drop(cluster);
        }
    }
    Ok(report::markdown(&results))
}
