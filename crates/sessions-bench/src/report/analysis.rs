//! Why targets were missed, reasoned from the run's own figures.

use std::fmt::Write as _;

use super::{
    TARGET_P99_RATIO, TARGET_RSS_GROWTH, TARGET_SCALING, littles_mean, mib, ms, ratio,
    target_ratio, thousands, total_cpu_per_request,
};
use crate::{Results, load::Outcome};

/// Why targets were missed, reasoned from this run's figures.
pub(super) fn write_analysis(
    out: &mut String,
    r: &Results,
    baseline: &Outcome,
) -> std::fmt::Result {
    writeln!(out, "### Reading the figures\n")?;
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    let (Some(base_total), Some((base_server, base_client, _, _)), Some(base_cpu)) = (
        total_cpu_per_request(baseline),
        baseline.cpu_per_request(),
        baseline.cpu,
    ) else {
        return writeln!(
            out,
            "No CPU figures were taken, so there is nothing to reason from."
        );
    };
    writeln!(
        out,
        "- **The machine is the limit.** In the baseline run the machine was {:.0} % busy, and \
         the load generator used {base_client:.0} µs of CPU per request against the server's \
         {base_server:.0} µs: on {cores} cores shared by client and server, requests/s ≈ CPU \
         available / CPU spent per request, all processes together. The baseline's {} \
         requests/s is the limit of this machine with this client rather than of axum.",
        100.0 * base_cpu.machine_busy / base_cpu.machine_total.max(1e-9),
        thousands(baseline.rps()),
    )?;
    let base_switches = baseline.switches_per_request().unwrap_or_default();
    for backend in &r.backends {
        let outcome = &backend.throughput;
        let (Some(total), Some((server, client, database, _)), Some(switches)) = (
            total_cpu_per_request(outcome),
            outcome.cpu_per_request(),
            outcome.switches_per_request(),
        ) else {
            continue;
        };
        write!(
            out,
            "- **The service on {}: {total:.0} µs of CPU per request in all, against the \
             baseline's {base_total:.0} µs, hence {:.2}× its requests/s.** The server process \
             spends {server:.0} µs per request (the baseline {base_server:.0} µs){}, and its \
             threads were switched {switches:.1} times per request (the baseline \
             {base_switches:.1}).",
            backend.name,
            outcome.rps() / baseline.rps().max(1e-9),
            if database >= 1.0 {
                format!(", PostgreSQL's processes another {database:.0} µs")
            } else {
                String::new()
            },
        )?;
        if let Some(Ok(profile)) = &backend.profile {
            let kernel: f64 = profile
                .objects
                .iter()
                .filter(|(_, name)| name.contains("kernel"))
                .map(|(percent, _)| percent)
                .sum();
            let stages: Vec<String> = profile
                .stages
                .iter()
                .filter(|(percent, _)| *percent >= 1.0)
                .map(|(percent, stage)| format!("{stage} {:.0} µs", percent / 100.0 * server))
                .collect();
            write!(
                out,
                " `perf` puts {kernel:.0} % of the server's samples in the kernel; by stage, \
                 of the {server:.0} µs: {}.",
                stages.join(", ")
            )?;
        }
        if backend.name == "SQLite" {
            write!(
                out,
                " Reads run inline on the tokio worker that serves the request (rusqlite), so \
                 a request crosses no thread: the switches left are the runtime's own, waking \
                 a worker for a connection's next request."
            )?;
        } else {
            write!(
                out,
                " A request makes two round trips over loopback TCP to a PostgreSQL backend \
                 process (the token lookup, then the caller's sessions): each wakes that process, \
                 and then the tokio worker waiting for its answer. The stages' shares are the \
                 server's own CPU (sqlx encoding, decoding and its socket I/O); the time \
                 PostgreSQL spends is in its own column above."
            )?;
        }
        writeln!(out)?;
        // What the ratio target leaves for the service's own work.
        let target = target_ratio(backend.name);
        if outcome.rps() < target * baseline.rps() {
            let budget = base_total / target;
            writeln!(
                out,
                "- **What {target}× of the baseline would take.** At the baseline's CPU per \
                 request ({base_total:.0} µs), {target}× its requests/s allows {budget:.0} µs \
                 per request in all; the load generator needs about {base_client:.0} µs of it \
                 at such rates ({client:.0} µs at the service's), which leaves about {:.0} µs \
                 for the server{}: authentication, two reads, serializing 10 sessions, the \
                 log line and the middleware, against {server:.0} µs now.",
                (budget - base_client).max(0.0),
                if database >= 1.0 {
                    " and the database together"
                } else {
                    ""
                },
            )?;
        }
    }
    for backend in &r.backends {
        let outcome = &backend.throughput;
        let p99 = outcome.percentile(99.0);
        if backend.name == "SQLite" && ratio(p99, baseline.percentile(99.0)) > TARGET_P99_RATIO {
            writeln!(
                out,
                "- **p99 at {} connections, {}: {}.** With {} requests always in flight, the \
                 mean latency is connections / throughput = {} (Little's law), whatever the \
                 code does, against the baseline's {}: the p99 follows the throughput. The \
                 spread from p50 ({}) to p99 is queueing on {cores} cores shared with the load \
                 generator.",
                r.connections,
                backend.name,
                ms(p99),
                r.connections,
                ms(littles_mean(outcome)),
                ms(littles_mean(baseline)),
                ms(outcome.percentile(50.0)),
            )?;
        }
    }
    for backend in &r.backends {
        let Some(large) = &backend.latency_large else {
            continue;
        };
        let p50 = ratio(
            large.percentile(50.0),
            backend.latency_small.percentile(50.0),
        );
        let p99 = ratio(
            large.percentile(99.0),
            backend.latency_small.percentile(99.0),
        );
        if p50 <= TARGET_SCALING && p99 <= TARGET_SCALING {
            continue;
        }
        let extra = large
            .percentile(50.0)
            .saturating_sub(backend.latency_small.percentile(50.0));
        write!(
            out,
            "- **{} with {} sessions: p50 {p50:.2}×, p99 {p99:.2}× of the small data set** \
             (p50 {} → {}, {} µs more). Both statements stay index lookups (plans above), \
             whose depth grows only logarithmically; what changes is caching. Each request \
             reads another user's rows, scattered over a database of {}",
            backend.name,
            thousands(r.large_sessions as f64),
            ms(backend.latency_small.percentile(50.0)),
            ms(large.percentile(50.0)),
            extra.as_micros(),
            backend.size_large.map_or("n/a".to_owned(), mib),
        )?;
        match backend.name {
            "SQLite" => writeln!(
                out,
                ", while each of the service's read connections keeps {} of pages \
                 (`PRAGMA cache_size` = {}): a page past it is a `read()` from the operating \
                 system's page cache ({} per request, against {} with the small database of \
                 {}). `mmap_size` would save those calls, but every connection's mapping \
                 counts in full towards the server's resident memory (+550 MiB in the soak \
                 when it was tried).{}",
                r.sqlite_cache
                    .map_or("n/a".to_owned(), |(_, bytes)| mib(bytes)),
                r.sqlite_cache
                    .map_or("n/a".to_owned(), |(pragma, _)| pragma.to_string()),
                large
                    .reads_per_request()
                    .map_or("n/a".to_owned(), |reads| format!("{reads:.1}")),
                backend
                    .latency_small
                    .reads_per_request()
                    .map_or("n/a".to_owned(), |reads| format!("{reads:.1}")),
                backend.size_small.map_or("n/a".to_owned(), mib),
                if p99 > TARGET_SCALING && p50 <= TARGET_SCALING {
                    " The p99 of one connection over a few seconds also moves with anything \
                     else the machine does."
                } else {
                    ""
                }
            )?,
            _ => writeln!(
                out,
                ", against PostgreSQL's shared buffers of {}.",
                r.postgres_shared_buffers.as_deref().unwrap_or("n/a")
            )?,
        }
    }
    for backend in &r.backends {
        let Some(soak) = &backend.soak else { continue };
        let o = &soak.outcome;
        let peak = o.rss.iter().copied().max().unwrap_or(soak.rss_before);
        let growth = peak.saturating_sub(soak.rss_before);
        if o.errors > 0 {
            writeln!(
                out,
                "- **The {} soak had {} errors**, the first: `{}`.",
                backend.name,
                o.errors,
                o.first_error.as_deref().unwrap_or("?")
            )?;
        }
        if growth > TARGET_RSS_GROWTH {
            let half = o
                .rss
                .get(o.rss.len() / 2)
                .copied()
                .unwrap_or(soak.rss_before);
            let end = o.rss.last().copied().unwrap_or(half);
            writeln!(
                out,
                "- **The {} server's RSS rose {} under {} connections**: {} in the first half \
                 of the soak, {} in the second. {}",
                backend.name,
                mib(growth),
                soak.connections,
                mib(half.saturating_sub(soak.rss_before)),
                mib(end.saturating_sub(half)),
                if end.saturating_sub(half) < 4 * 1024 * 1024 {
                    "It levels off: memory taken on as the load arrives (buffers for every \
                     connection, the database connections' page caches, an allocator arena per \
                     busy thread), not a leak; the allocator keeps it after the clients leave."
                } else {
                    "It was still growing at the end: a leak is possible, and a longer soak \
                     would tell."
                }
            )?;
        }
    }
    Ok(())
}
