//! `sessions-server`: run the service, mint tokens, print the implementation's OpenAPI document.

use std::{net::SocketAddr, num::NonZeroU32, time::Duration};

use anyhow::Context as _;
use chrono::Utc;
use clap::{Args, Parser, Subcommand, ValueEnum};
use sessions_server::{
    edge::{EdgeLimits, Timeouts, TrustedProxies},
    issue::{SessionRequest, issue_token, seed_demo},
    purge::Retention,
    rate_limit::RateLimits,
    service::Policy,
    startup::{Application, implementation_openapi},
    store::{self, DeviceInfo, ExpiryPolicy},
};
use tracing_subscriber::EnvFilter;

#[derive(Debug, Parser)]
#[command(version, about = "The Device/Session Management service")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the API until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Open a session for a user (created if new) and print only its bearer token.
    IssueToken(IssueTokenArgs),
    /// Print the OpenAPI document utoipa derives from the implementation (what `cargo xtask check` compares).
    ImplementationOpenapi,
    /// Print the JSON Schemas schemars derives from the models' serde attributes: what the
    /// server really sends and reads (the drift check's second view).
    WireSchemas,
}

#[derive(Debug, Args)]
struct DatabaseArgs {
    /// Where the data lives: `sqlite://FILE` (created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "SESSIONS_DATABASE_URL",
        default_value = "sqlite://sessions.db"
    )]
    database_url: String,
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "SESSIONS_BIND", default_value = "127.0.0.1:3000")]
    bind: SocketAddr,
    #[command(flatten)]
    database: DatabaseArgs,
    /// Seed a demo user with sessions on three devices and print a token to try the API with.
    #[arg(long)]
    demo: bool,
    /// Log line format (logs go to stderr).
    #[arg(long, env = "SESSIONS_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    #[command(flatten)]
    policy: PolicyArgs,
    #[command(flatten)]
    edge: EdgeArgs,
    /// Sessions revoked or expired longer ago than this are deleted, hourly.
    #[arg(long, env = "SESSIONS_RETENTION", default_value = "30d", value_parser = humantime::parse_duration)]
    retention: Duration,
    /// After SIGINT or SIGTERM, how long in-flight requests may take before the process exits.
    #[arg(long, env = "SESSIONS_SHUTDOWN_GRACE", default_value = "30s", value_parser = humantime::parse_duration)]
    shutdown_grace: Duration,
}

#[derive(Debug, Args)]
struct PolicyArgs {
    /// A heartbeat extends a session to now + this (sliding expiry).
    #[arg(long, env = "SESSIONS_SLIDING_TTL", default_value = "30d", value_parser = humantime::parse_duration)]
    sliding_ttl: Duration,
    /// No heartbeat extends a session past its start + this.
    #[arg(long, env = "SESSIONS_ABSOLUTE_LIFETIME", default_value = "90d", value_parser = humantime::parse_duration)]
    absolute_lifetime: Duration,
    /// How long `POST /devices/trust` trusts a device.
    #[arg(long, env = "SESSIONS_TRUST_PERIOD", default_value = "30d", value_parser = humantime::parse_duration)]
    trust_period: Duration,
    /// API requests allowed per bearer token per minute.
    #[arg(long, env = "SESSIONS_RATE_LIMIT_PER_TOKEN", default_value_t = RateLimits::default().per_token_per_minute)]
    rate_limit_per_token: NonZeroU32,
    /// API requests without a bearer token allowed per client IP per minute.
    #[arg(long, env = "SESSIONS_RATE_LIMIT_PER_IP", default_value_t = RateLimits::default().per_ip_per_minute)]
    rate_limit_per_ip: NonZeroU32,
    /// Turn rate limiting off (for benchmarks and trusted networks).
    #[arg(long, env = "SESSIONS_NO_RATE_LIMIT")]
    no_rate_limit: bool,
}

/// What the edge allows each client (see the README's "Under attack").
#[derive(Debug, Args)]
struct EdgeArgs {
    /// A request's head must arrive within this, from its first byte (or from the connection's
    /// opening, for its first request).
    #[arg(long, env = "SESSIONS_HEADER_READ_TIMEOUT", default_value = "10s", value_parser = humantime::parse_duration)]
    header_read_timeout: Duration,
    /// A request's body must arrive in full within this, from its head; later, 408.
    #[arg(long, env = "SESSIONS_BODY_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    body_timeout: Duration,
    /// A keep-alive connection with no request for this long is closed.
    #[arg(long, env = "SESSIONS_IDLE_TIMEOUT", default_value = "30s", value_parser = humantime::parse_duration)]
    idle_timeout: Duration,
    /// A request's connection is closed if its answer is not sent in full within this.
    #[arg(long, env = "SESSIONS_REQUEST_TIMEOUT", default_value = "60s", value_parser = humantime::parse_duration)]
    request_timeout: Duration,
    /// Open connections in all; over it, new ones are closed at once. The process needs this
    /// many file descriptors plus 256.
    #[arg(long, env = "SESSIONS_MAX_CONNECTIONS", default_value_t = EdgeLimits::default().max_connections)]
    max_connections: usize,
    /// Open connections per client IP (IPv6: per /64); over it, its new ones are closed at once.
    #[arg(long, env = "SESSIONS_MAX_CONNECTIONS_PER_IP", default_value_t = EdgeLimits::default().max_connections_per_ip)]
    max_connections_per_ip: usize,
    /// A proxy (address or CIDR) whose `X-Forwarded-For` names the client; repeatable. Its
    /// connections count only against --max-connections.
    #[arg(
        long = "trusted-proxy",
        env = "SESSIONS_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<String>,
}

impl EdgeArgs {
    fn limits(&self) -> anyhow::Result<EdgeLimits> {
        let trusted_proxies = self
            .trusted_proxies
            .iter()
            .map(|text| {
                let text = text.trim();
                text.parse::<ipnet::IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .with_context(|| {
                        format!("--trusted-proxy {text:?} is not an address or a CIDR")
                    })
            })
            .collect::<anyhow::Result<_>>()?;
        let timeouts = [
            (self.header_read_timeout, "header-read-timeout"),
            (self.body_timeout, "body-timeout"),
            (self.idle_timeout, "idle-timeout"),
            (self.request_timeout, "request-timeout"),
        ];
        for (timeout, name) in timeouts {
            anyhow::ensure!(
                !timeout.is_zero() && timeout <= Duration::from_secs(24 * 60 * 60),
                "--{name} must be between 1ms and 24h"
            );
        }
        anyhow::ensure!(
            self.max_connections > 0,
            "--max-connections must be at least 1"
        );
        anyhow::ensure!(
            self.max_connections_per_ip > 0,
            "--max-connections-per-ip must be at least 1"
        );
        Ok(EdgeLimits {
            timeouts: Timeouts {
                header_read: self.header_read_timeout,
                body: self.body_timeout,
                idle: self.idle_timeout,
                request: self.request_timeout,
            },
            max_connections: self.max_connections,
            max_connections_per_ip: self.max_connections_per_ip,
            trusted_proxies: TrustedProxies::new(trusted_proxies),
        })
    }
}

/// Raises the soft open-file limit as far as `needed` (within the hard limit), or says plainly
/// that the limits cannot be kept: better a refusal to start than connections failing later.
fn ensure_file_descriptors(needed: usize) -> anyhow::Result<()> {
    use rustix::process::{Resource, getrlimit, setrlimit};
    let needed = u64::try_from(needed).unwrap_or(u64::MAX);
    let limit = getrlimit(Resource::Nofile);
    if limit.current.is_none_or(|current| current >= needed) {
        return Ok(());
    }
    let hard = limit.maximum;
    anyhow::ensure!(
        hard.is_none_or(|hard| hard >= needed),
        "--max-connections needs {needed} open files, but the hard limit is {}; \
         raise it (ulimit -Hn) or lower --max-connections",
        hard.unwrap_or_default()
    );
    setrlimit(
        Resource::Nofile,
        rustix::process::Rlimit {
            current: Some(needed),
            maximum: hard,
        },
    )
    .context("cannot raise the open-file limit")?;
    Ok(())
}

/// Far beyond any sensible lifetime, and far below where date arithmetic overflows.
const LONGEST: Duration = Duration::from_secs(100 * 366 * 24 * 60 * 60);

/// `issue-token`'s lifetime: refused past 100 years, as the server's lifetimes are, and clamped
/// to the absolute lifetime, as a heartbeat would clamp it.
fn bounded_ttl(ttl: Duration, absolute_lifetime: Duration) -> anyhow::Result<Duration> {
    anyhow::ensure!(ttl <= LONGEST, "--ttl is longer than 100 years");
    anyhow::ensure!(
        absolute_lifetime <= LONGEST,
        "--absolute-lifetime is longer than 100 years"
    );
    Ok(ttl.min(absolute_lifetime))
}

impl PolicyArgs {
    fn policy(&self) -> anyhow::Result<Policy> {
        let convert = |duration: Duration, name: &str| {
            anyhow::ensure!(duration <= LONGEST, "--{name} is longer than 100 years");
            chrono::Duration::from_std(duration).with_context(|| format!("--{name} is too long"))
        };
        Ok(Policy {
            expiry: ExpiryPolicy {
                sliding_ttl: convert(self.sliding_ttl, "sliding-ttl")?,
                absolute_lifetime: convert(self.absolute_lifetime, "absolute-lifetime")?,
            },
            trust_period: convert(self.trust_period, "trust-period")?,
            rate_limits: (!self.no_rate_limit).then_some(RateLimits {
                per_token_per_minute: self.rate_limit_per_token,
                per_ip_per_minute: self.rate_limit_per_ip,
            }),
        })
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum DeviceTypeArg {
    Desktop,
    Mobile,
    Tablet,
}

impl DeviceTypeArg {
    fn stored(self) -> &'static str {
        match self {
            Self::Desktop => "DESKTOP",
            Self::Mobile => "MOBILE",
            Self::Tablet => "TABLET",
        }
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct IssueTokenArgs {
    /// The user the session belongs to (created if new).
    #[arg(long)]
    user: String,
    /// The device's display name.
    #[arg(long)]
    device_name: String,
    /// Identifies the device within the user; defaults to the device name.
    #[arg(long)]
    fingerprint: Option<String>,
    #[arg(long, value_enum, default_value_t = DeviceTypeArg::Desktop)]
    device_type: DeviceTypeArg,
    #[arg(long, default_value = "unknown")]
    os: String,
    #[arg(long, default_value = "unknown")]
    browser: String,
    #[arg(long, default_value = "unknown")]
    user_agent: String,
    #[arg(long, default_value = "unknown")]
    country: String,
    #[arg(long, default_value = "unknown")]
    city: String,
    #[arg(long, default_value = "unknown")]
    ip_address: String,
    #[arg(long, default_value = "unknown")]
    location: String,
    #[arg(long, default_value = "token")]
    login_method: String,
    /// How long the session lives, e.g. 30d, 12h, 15m; never past the absolute lifetime.
    #[arg(long, default_value = "30d", value_parser = humantime::parse_duration)]
    ttl: Duration,
    /// The most active sessions a user may hold: opening one more revokes the least recently
    /// active ones past it.
    #[arg(long, env = "SESSIONS_MAX_SESSIONS_PER_USER", default_value = "100")]
    max_sessions_per_user: NonZeroU32,
    /// The server's `--absolute-lifetime`: no session outlives it.
    #[arg(long, env = "SESSIONS_ABSOLUTE_LIFETIME", default_value = "90d", value_parser = humantime::parse_duration)]
    absolute_lifetime: Duration,
    #[command(flatten)]
    database: DatabaseArgs,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Serve(args) => serve(args).await,
        Command::IssueToken(args) => {
            init_logging(LogFormat::Text);
            let store = store::connect(&args.database.database_url)
                .await
                .with_context(|| {
                    format!(
                        "cannot open {}",
                        store::redact_password(&args.database.database_url)
                    )
                })?;
            let request = SessionRequest {
                device_fingerprint: args.fingerprint.unwrap_or_else(|| args.device_name.clone()),
                user_id: args.user,
                device: DeviceInfo {
                    name: args.device_name,
                    device_type: args.device_type.stored().to_owned(),
                    os: args.os,
                    browser: args.browser,
                    user_agent: args.user_agent,
                    country: args.country,
                    city: args.city,
                },
                ip_address: args.ip_address,
                location: args.location,
                login_method: args.login_method,
                lifetime: bounded_ttl(args.ttl, args.absolute_lifetime)?,
                max_active_sessions: Some(args.max_sessions_per_user),
            };
            let (_, token) = issue_token(store.as_ref(), request, Utc::now()).await?;
            println!("{}", token.as_str());
            Ok(())
        }
        Command::ImplementationOpenapi => {
            println!("{}", implementation_openapi().to_pretty_json()?);
            Ok(())
        }
        Command::WireSchemas => {
            let schemas = serde_json::Value::Object(sessions_api::models::wire_schemas());
            println!("{}", serde_json::to_string_pretty(&schemas)?);
            Ok(())
        }
    }
}

async fn serve(args: ServeArgs) -> anyhow::Result<()> {
    init_logging(args.log_format);
    let policy = args.policy.policy()?;
    let edge_limits = args.edge.limits()?;
    ensure_file_descriptors(edge_limits.file_descriptors_needed())?;
    let database_url = store::redact_password(&args.database.database_url);
    let store = store::connect(&args.database.database_url)
        .await
        .with_context(|| format!("cannot open {database_url}"))?;
    let demo_token = if args.demo {
        Some(
            seed_demo(store.as_ref(), Utc::now())
                .await
                .context("cannot seed the demo")?,
        )
    } else {
        None
    };
    let database = store.clone();
    let application = Application::bind(args.bind, store, policy)
        .await
        .with_context(|| format!("cannot listen on {}", args.bind))?
        .with_edge_limits(edge_limits)
        .with_retention(Retention {
            period: chrono::Duration::from_std(args.retention)
                .ok()
                .filter(|_| args.retention <= LONGEST)
                .context("--retention is longer than 100 years")?,
            ..Retention::default()
        });
    let address = application.local_addr()?;
    tracing::info!(%address, %database_url, "listening");
    if let Some(token) = demo_token {
        println!(
            "Demo user `{}` is ready, with sessions on three devices.",
            sessions_server::issue::DEMO_USER
        );
        println!("Bearer token: {}", token.as_str());
        println!("Try it:");
        println!(
            "  curl -s -H 'Authorization: Bearer {}' http://{address}/sessions",
            token.as_str()
        );
    }
    let shutdown = shutdown_signal()?;
    // Last line before serving: scripts and tests wait for it.
    println!("Listening on http://{address}");
    // Drain in-flight requests after a signal, but not forever: a client trickling its body
    // must not hold the process up.
    let (signalled, signal_received) = tokio::sync::oneshot::channel::<()>();
    let serving = application.run_until(async move {
        shutdown.await;
        let _ = signalled.send(());
    });
    let drain_deadline = async {
        if signal_received.await.is_ok() {
            tokio::time::sleep(args.shutdown_grace).await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        served = serving => served?,
        () = drain_deadline => {
            tracing::warn!(grace = ?args.shutdown_grace, "requests still open after the grace period; exiting");
        }
    }
    // After the drain: no request is left to need a connection.
    database.close().await;
    tracing::info!("stopped");
    Ok(())
}

fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_env("SESSIONS_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
}

/// Listens for SIGINT and SIGTERM from now on (so a signal that arrives before serving starts is
/// not lost to the default action) and returns a future that completes on either.
fn shutdown_signal() -> anyhow::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt()).context("cannot listen for SIGINT")?;
    let mut terminate = signal(SignalKind::terminate()).context("cannot listen for SIGTERM")?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => tracing::info!("SIGINT received, shutting down"),
            _ = terminate.recv() => tracing::info!("SIGTERM received, shutting down"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_token_lifetimes_are_capped_and_clamped_to_the_absolute_lifetime() {
        let days = |days: u64| Duration::from_secs(days * 24 * 60 * 60);
        assert_eq!(bounded_ttl(days(30), days(90)).unwrap(), days(30));
        assert_eq!(bounded_ttl(days(1000), days(90)).unwrap(), days(90));
        let absurd = humantime::parse_duration("200000y").unwrap();
        assert!(
            bounded_ttl(absurd, days(90))
                .unwrap_err()
                .to_string()
                .contains("100 years")
        );
    }
}
