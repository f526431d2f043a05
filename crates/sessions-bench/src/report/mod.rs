//! The Markdown report: a table per measurement, the targets met or missed, and why.

use std::{fmt::Write as _, time::Duration};

mod analysis;
mod plans;

pub use plans::{postgres_plan, sqlite_plan};

use crate::{Backend, Results, load::Outcome, seed};

/// Targets, reported and never asserted: requests/s against the baseline's, per backend.
const TARGET_RATIO_SQLITE: f64 = 0.5;
const TARGET_RATIO_POSTGRES: f64 = 0.3;
/// p99 at the throughput run's connections, SQLite, against the baseline's p99.
const TARGET_P99_RATIO: f64 = 2.5;
/// The SQLite server's CPU per request, in µs.
const TARGET_SERVER_CPU: f64 = 30.0;
const TARGET_SCALING: f64 = 1.2;

fn target_ratio(backend: &str) -> f64 {
    if backend == "SQLite" {
        TARGET_RATIO_SQLITE
    } else {
        TARGET_RATIO_POSTGRES
    }
}
const TARGET_RSS_GROWTH: u64 = 50 * 1024 * 1024;

pub fn ms(duration: Duration) -> String {
    let ms = duration.as_secs_f64() * 1e3;
    if ms < 10.0 {
        format!("{ms:.2} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / 1024.0 / 1024.0)
}

/// 12345.6 → "12,346".
fn thousands(value: f64) -> String {
    let digits = format!("{:.0}", value.max(0.0));
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn verdict(met: bool) -> &'static str {
    if met { "**met**" } else { "**missed**" }
}

fn ratio(over: Duration, under: Duration) -> f64 {
    over.as_secs_f64() / under.as_secs_f64().max(1e-9)
}

/// Mean latency with `connections` requests always in flight (Little's law).
fn littles_mean(outcome: &Outcome) -> Duration {
    Duration::from_secs_f64(outcome.connections as f64 / outcome.rps().max(1e-9))
}

fn cpu_row(name: &str, outcome: &Outcome) -> String {
    match (
        outcome.cpu_per_request(),
        outcome.cpu,
        outcome.switches_per_request(),
    ) {
        (Some((server, client, database, rest)), Some(cpu), Some(switches)) => format!(
            "| {name} | {server:.0} µs | {client:.0} µs | {database:.0} µs | {rest:.0} µs | {:.0} µs | {:.0} % | {switches:.1} |",
            server + client + database + rest,
            100.0 * cpu.machine_busy / cpu.machine_total.max(1e-9)
        ),
        _ => format!("| {name} | n/a | n/a | n/a | n/a | n/a | n/a | n/a |"),
    }
}

/// Heartbeats on SQLite reach at least this share of the baseline's requests/s.
const TARGET_WRITE_RATIO: f64 = 0.2;

fn write_writes(out: &mut String, r: &Results, baseline: &Outcome) -> std::fmt::Result {
    if r.backends.iter().all(|backend| backend.writes.is_empty()) {
        return Ok(());
    }
    writeln!(
        out,
        "### Writes at {} connections, {} sessions stored\n",
        r.connections,
        thousands(r.small_sessions as f64)
    )?;
    writeln!(
        out,
        "Each connection writes as its own sessions: a heartbeat names the caller's own session, \
         a trust names the caller's first device. Every answer is a 200 sent after its commit \
         reached the disk.\n"
    )?;
    writeln!(
        out,
        "| server | requests | requests/s | × baseline | server CPU / request | p50 | p99 | errors |\n|---|---|---|---|---|---|---|---|"
    )?;
    for backend in &r.backends {
        for (workload, outcome) in &backend.writes {
            let server_cpu = outcome.cpu_per_request().map_or_else(
                || "n/a".to_owned(),
                |(server, ..)| format!("{server:.0} µs"),
            );
            writeln!(
                out,
                "| {} | `{}` | {} | {:.2}× | {server_cpu} | {} | {} | {} |",
                backend.name,
                workload.describe(),
                thousands(outcome.rps()),
                outcome.rps() / baseline.rps().max(1e-9),
                ms(outcome.percentile(50.0)),
                ms(outcome.percentile(99.0)),
                outcome.errors
            )?;
        }
    }
    let sqlite_heartbeats = r
        .backends
        .iter()
        .filter(|backend| backend.name == "SQLite")
        .flat_map(|backend| &backend.writes)
        .find(|(workload, _)| *workload == crate::load::Workload::Heartbeat);
    if let Some((_, heartbeats)) = sqlite_heartbeats {
        let ratio = heartbeats.rps() / baseline.rps().max(1e-9);
        writeln!(
            out,
            "\nTarget: SQLite heartbeats ≥ {TARGET_WRITE_RATIO}× the baseline's requests/s: {} ({ratio:.2}×).",
            verdict(ratio >= TARGET_WRITE_RATIO)
        )?;
    }
    writeln!(out)
}

fn total_cpu_per_request(outcome: &Outcome) -> Option<f64> {
    outcome
        .cpu_per_request()
        .map(|(server, client, database, rest)| server + client + database + rest)
}

pub fn markdown(results: &Results) -> String {
    let mut out = String::new();
    write_markdown(&mut out, results).expect("writing to a String cannot fail");
    out
}

fn write_markdown(out: &mut String, r: &Results) -> std::fmt::Result {
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    writeln!(out, "## HTTP load: `GET /sessions`\n")?;
    writeln!(
        out,
        "Measured by `crates/sessions-bench` (`cargo run --release -p sessions-bench -- run`), \
         release builds. Every server is a separate process on 127.0.0.1: the real \
         `sessions-server serve` with its rate limiter on (limits far above the load), and as the baseline a static-JSON axum handler \
         (the same axum and tokio, no middleware, no database) answering every request with the \
         very body the service returned for one user ({} bytes). The load generator (reqwest, \
         HTTP/1.1) runs one tokio task per connection, each with its own keep-alive connection \
         and its own bearer tokens (sessions of different users, which each connection cycles \
         through), sending requests back to back: {} s of warm-up, then {} s measured. Latency \
         runs from sending a request to the last byte of its body; only 200s with a body of \
         the expected length count as successes. Every user has {} active sessions on {} \
         devices, so every response lists {} sessions. The load generator, the servers and \
         PostgreSQL share the machine's {cores} cores. The service logs one line per request at \
         `info` (its default), to a file.\n",
        r.body_bytes,
        r.warmup,
        r.duration,
        seed::SESSIONS_PER_USER,
        seed::DEVICES_PER_USER,
        seed::SESSIONS_PER_USER,
    )?;
    writeln!(
        out,
        "- SQLite {}, through the service's own settings: WAL, `synchronous = FULL` (every \
         answered write is on disk); reads through rusqlite, inline on the request's thread \
         (an 8 MiB page cache each); the service's writes through one rusqlite writer thread \
         that commits the writes queued meanwhile as one transaction.",
        r.sqlite_version
    )?;
    match (&r.postgres_version, &r.postgres_skipped) {
        (Some(version), _) => writeln!(
            out,
            "- {version}: a throwaway cluster on loopback TCP with PostgreSQL's default \
             durability (`fsync`, `full_page_writes` and `synchronous_commit` on), so its writes \
             reach the disk as SQLite's do; the service's pool of 16.\n"
        )?,
        (None, Some(why)) => writeln!(out, "- PostgreSQL: {why}.\n")?,
        (None, None) => writeln!(out)?,
    }

    let Some(baseline) = &r.baseline else {
        return writeln!(out, "No baseline was measured.");
    };

    // Throughput.
    writeln!(
        out,
        "### Throughput at {} connections, {} sessions stored\n",
        r.connections,
        thousands(r.small_sessions as f64)
    )?;
    writeln!(
        out,
        "| server | requests/s | × baseline | p50 | p99 | max | errors |\n|---|---|---|---|---|---|---|"
    )?;
    let row = |out: &mut String, name: &str, outcome: &Outcome| {
        writeln!(
            out,
            "| {name} | {} | {:.2}× | {} | {} | {} | {} |",
            thousands(outcome.rps()),
            outcome.rps() / baseline.rps().max(1e-9),
            ms(outcome.percentile(50.0)),
            ms(outcome.percentile(99.0)),
            ms(outcome.max()),
            outcome.errors
        )
    };
    row(out, "baseline: static JSON, axum", baseline)?;
    for backend in &r.backends {
        row(
            out,
            &format!("service on {}", backend.name),
            &backend.throughput,
        )?;
    }
    writeln!(
        out,
        "\nWhere the CPU went, per request, in the measured window (`/proc`: the server process, \
         the load generator, PostgreSQL's processes; the rest is the kernel's softirq time for \
         loopback TCP and anything else running), and how often the server's threads were \
         switched in or out, per request:\n"
    )?;
    writeln!(
        out,
        "| server | server process | load generator | PostgreSQL | rest | total | machine busy | server context switches |\n|---|---|---|---|---|---|---|---|"
    )?;
    writeln!(out, "{}", cpu_row("baseline", baseline))?;
    for backend in &r.backends {
        writeln!(
            out,
            "{}",
            cpu_row(&format!("service on {}", backend.name), &backend.throughput)
        )?;
    }
    writeln!(out)?;
    write_writes(out, r, baseline)?;
    write_profile(out, r)?;
    writeln!(out, "Targets:\n")?;
    for backend in &r.backends {
        let ratio = backend.throughput.rps() / baseline.rps().max(1e-9);
        let target = target_ratio(backend.name);
        writeln!(
            out,
            "- {} ≥ {target}× the baseline's requests/s: {} ({ratio:.2}×).",
            backend.name,
            verdict(ratio >= target)
        )?;
    }
    if let Some(sqlite) = r.backends.iter().find(|backend| backend.name == "SQLite") {
        let p99 = ratio(
            sqlite.throughput.percentile(99.0),
            baseline.percentile(99.0),
        );
        writeln!(
            out,
            "- p99 at {} connections, SQLite, ≤ {TARGET_P99_RATIO}× the baseline's p99: {} \
             ({p99:.2}×: {} against {}).",
            r.connections,
            verdict(p99 <= TARGET_P99_RATIO),
            ms(sqlite.throughput.percentile(99.0)),
            ms(baseline.percentile(99.0)),
        )?;
        if let Some((server, ..)) = sqlite.throughput.cpu_per_request() {
            writeln!(
                out,
                "- The SQLite server's CPU per request ≤ {TARGET_SERVER_CPU:.0} µs: {} \
                 ({server:.0} µs).",
                verdict(server <= TARGET_SERVER_CPU)
            )?;
        }
    }
    writeln!(out)?;

    // Scaling.
    writeln!(
        out,
        "### Scaling: {} vs {} sessions stored\n",
        thousands(r.small_sessions as f64),
        thousands(r.large_sessions as f64)
    )?;
    writeln!(
        out,
        "The large data set is the small one plus {} more users with {} sessions and {} devices \
         each, inserted with bulk SQL in one transaction (PostgreSQL then runs `VACUUM ANALYZE`, \
         as autovacuum would in a live database). Every connection cycles through the tokens \
         of up to {} users spread evenly over all users, so the whole table is read, not only \
         its first pages. One connection ({} s measured after {} s of warm-up) shows the \
         latency of a lone request; {} connections the same under load. The {}-session row at {} connections is the throughput run above. \
         The server's `read()`s (`syscr` in `/proc/PID/io`: file reads, not socket receives) \
         show how often a request went past the database's own cache.\n",
        thousands(((r.large_sessions - r.small_sessions) / seed::SESSIONS_PER_USER) as f64),
        seed::SESSIONS_PER_USER,
        seed::DEVICES_PER_USER,
        crate::USERS_PER_CONNECTION,
        r.latency_duration,
        r.warmup.min(1),
        r.connections,
        thousands(r.small_sessions as f64),
        r.connections,
    )?;
    writeln!(
        out,
        "| backend | sessions stored | database size | seeding | 1 connection: p50 | p99 | server `read()`s per request | {c} connections: requests/s | p50 | p99 |\n|---|---|---|---|---|---|---|---|---|---|",
        c = r.connections
    )?;
    for backend in &r.backends {
        let (Some(large_latency), Some(large_throughput)) =
            (&backend.latency_large, &backend.throughput_large)
        else {
            continue;
        };
        let line = |out: &mut String,
                    stored: usize,
                    size: Option<u64>,
                    seeding: Option<Duration>,
                    latency: &Outcome,
                    throughput: &Outcome| {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                backend.name,
                thousands(stored as f64),
                size.map_or("n/a".to_owned(), mib),
                seeding.map_or("n/a".to_owned(), |seeding| format!(
                    "{:.1} s",
                    seeding.as_secs_f64()
                )),
                ms(latency.percentile(50.0)),
                ms(latency.percentile(99.0)),
                latency
                    .reads_per_request()
                    .map_or("n/a".to_owned(), |reads| format!("{reads:.1}")),
                thousands(throughput.rps()),
                ms(throughput.percentile(50.0)),
                ms(throughput.percentile(99.0)),
            )
        };
        line(
            out,
            r.small_sessions,
            backend.size_small,
            Some(backend.seed_small),
            &backend.latency_small,
            &backend.throughput,
        )?;
        line(
            out,
            r.large_sessions,
            backend.size_large,
            backend.seed_large,
            large_latency,
            large_throughput,
        )?;
        writeln!(
            out,
            "| {} | ratio | | | {:.2}× | {:.2}× | | {:.2}× | {:.2}× | {:.2}× |",
            backend.name,
            ratio(
                large_latency.percentile(50.0),
                backend.latency_small.percentile(50.0)
            ),
            ratio(
                large_latency.percentile(99.0),
                backend.latency_small.percentile(99.0)
            ),
            large_throughput.rps() / backend.throughput.rps().max(1e-9),
            ratio(
                large_throughput.percentile(50.0),
                backend.throughput.percentile(50.0)
            ),
            ratio(
                large_throughput.percentile(99.0),
                backend.throughput.percentile(99.0)
            ),
        )?;
    }
    writeln!(
        out,
        "\nTarget: latency with {} sessions ≤ {TARGET_SCALING}× latency with {} (p50 and p99 of a lone connection):\n",
        thousands(r.large_sessions as f64),
        thousands(r.small_sessions as f64)
    )?;
    for backend in &r.backends {
        if let Some(large) = &backend.latency_large {
            let p50 = ratio(
                large.percentile(50.0),
                backend.latency_small.percentile(50.0),
            );
            let p99 = ratio(
                large.percentile(99.0),
                backend.latency_small.percentile(99.0),
            );
            writeln!(
                out,
                "- {}: {} (p50 {p50:.2}×, p99 {p99:.2}×).",
                backend.name,
                verdict(p50 <= TARGET_SCALING && p99 <= TARGET_SCALING)
            )?;
        }
    }
    writeln!(out)?;
    for backend in &r.backends {
        if let Some(plan) = &backend.plan_large {
            writeln!(
                out,
                "{}'s plans with {} sessions stored:\n\n```text\n{}```\n",
                backend.name,
                thousands(r.large_sessions as f64),
                plan
            )?;
        }
    }

    // Soak.
    let soaks: Vec<(&Backend, &crate::Soak)> = r
        .backends
        .iter()
        .filter_map(|backend| Some((backend, backend.soak.as_ref()?)))
        .collect();
    if let Some((_, first)) = soaks.first() {
        writeln!(
            out,
            "### Soak: {} s at {} connections, {} sessions stored\n",
            first.outcome.duration.as_secs(),
            first.connections,
            thousands(r.large_sessions as f64)
        )?;
        writeln!(
            out,
            "A freshly started server, no warm-up (each connection first checks its tokens once). \
             RSS is the server's `VmRSS` (`/proc/PID/status`): idle before the first request, the \
             highest of the samples taken every second, halfway, at the end of the window with all \
             connections open, and 1 s after the clients closed them.\n"
        )?;
        writeln!(
            out,
            "| backend | requests | errors | requests/s | p50 | p99 | max | RSS before | peak | halfway | at the end | after | peak − before | clean exit |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
        )?;
        for (backend, soak) in &soaks {
            let o = &soak.outcome;
            let peak = o.rss.iter().copied().max().unwrap_or(soak.rss_before);
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                backend.name,
                thousands(o.requests as f64),
                o.errors,
                thousands(o.rps()),
                ms(o.percentile(50.0)),
                ms(o.percentile(99.0)),
                ms(o.max()),
                mib(soak.rss_before),
                mib(peak),
                o.rss
                    .get(o.rss.len() / 2)
                    .map_or("n/a".to_owned(), |rss| mib(*rss)),
                o.rss.last().map_or("n/a".to_owned(), |rss| mib(*rss)),
                soak.rss_after.map_or("n/a".to_owned(), mib),
                mib(peak.saturating_sub(soak.rss_before)),
                if soak.clean_exit { "yes" } else { "no" },
            )?;
        }
        writeln!(
            out,
            "\nTarget: 0 errors and the server's RSS within {} of where it started:\n",
            mib(TARGET_RSS_GROWTH)
        )?;
        for (backend, soak) in &soaks {
            let peak = soak
                .outcome
                .rss
                .iter()
                .copied()
                .max()
                .unwrap_or(soak.rss_before);
            let growth = peak.saturating_sub(soak.rss_before);
            writeln!(
                out,
                "- {}: {} ({} errors, {} server error log lines, peak {} above the start).",
                backend.name,
                verdict(
                    soak.outcome.errors == 0
                        && soak.error_lines == 0
                        && growth <= TARGET_RSS_GROWTH
                ),
                soak.outcome.errors,
                soak.error_lines,
                mib(growth)
            )?;
            if let Some(error) = &soak.outcome.first_error {
                writeln!(out, "  First error: `{error}`.")?;
            }
        }
        writeln!(out)?;
    }

    let mut incidents: Vec<String> = r
        .backends
        .iter()
        .flat_map(|backend| backend.incidents.iter().cloned())
        .collect();
    let mut outcomes: Vec<(String, &Outcome)> = vec![("baseline".to_owned(), baseline)];
    for backend in &r.backends {
        let name = backend.name;
        outcomes.push((format!("{name}, throughput"), &backend.throughput));
        outcomes.push((
            format!("{name}, one connection, small"),
            &backend.latency_small,
        ));
        if let Some(outcome) = &backend.latency_large {
            outcomes.push((format!("{name}, one connection, large"), outcome));
        }
        if let Some(outcome) = &backend.throughput_large {
            outcomes.push((format!("{name}, throughput, large"), outcome));
        }
        if let Some(soak) = &backend.soak {
            outcomes.push((format!("{name}, soak"), &soak.outcome));
        }
    }
    for (name, outcome) in outcomes {
        if outcome.busy_before >= crate::load::QUIET {
            incidents.push(format!(
                "{name}: started while the machine was {:.0} % busy with other work (after \
                 waiting 30 s for it to calm down); its figures may be low.",
                outcome.busy_before * 100.0
            ));
        }
    }
    if !incidents.is_empty() {
        writeln!(out, "Incidents:\n")?;
        for incident in incidents {
            writeln!(out, "- {incident}")?;
        }
        writeln!(out)?;
    }

    analysis::write_analysis(out, r, baseline)
}

fn write_profile(out: &mut String, r: &Results) -> std::fmt::Result {
    for backend in &r.backends {
        match &backend.profile {
            None => {}
            Some(Err(why)) => writeln!(
                out,
                "No profile of the service on {}: {why}.\n",
                backend.name
            )?,
            Some(Ok(profile)) => write_one_profile(out, backend.name, profile)?,
        }
    }
    Ok(())
}

fn write_one_profile(
    out: &mut String,
    backend: &str,
    profile: &crate::profile::Profile,
) -> std::fmt::Result {
    writeln!(
        out,
        "Profile of the service on {backend}: `perf record -F 499 --call-graph dwarf` of the \
         server process for {} s of a second run like the one above; shares of the process's \
         samples (`[k]` kernel, `[.]` user space).\n",
        profile.seconds
    )?;
    let objects: Vec<String> = profile
        .objects
        .iter()
        .map(|(percent, name)| format!("{percent:.0} % `{name}`"))
        .collect();
    writeln!(out, "By object: {}.\n", objects.join(", "))?;
    writeln!(
        out,
        "By stage of a request, each with everything it calls (kernel time included; the \
         rest is hyper, axum, the middleware and the runtime):\n"
    )?;
    writeln!(out, "| stage | share |\n|---|---|")?;
    for (percent, stage) in &profile.stages {
        writeln!(out, "| {stage} | {percent:.1} % |")?;
    }
    writeln!(out)?;
    writeln!(out, "The hottest symbols, by self time:\n")?;
    writeln!(out, "| self | symbol |\n|---|---|")?;
    for (percent, name) in &profile.symbols {
        let mut name = name.replace('|', "\\|");
        if name.chars().count() > 110 {
            name = name.chars().take(110).collect::<String>() + "…";
        }
        writeln!(out, "| {percent:.1} % | `{name}` |")?;
    }
    writeln!(out)
}
