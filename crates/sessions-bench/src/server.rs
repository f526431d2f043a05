//! Servers under test, each a separate process, and what `/proc` tells about processes.

use std::{
    io::{BufRead as _, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use anyhow::{Context as _, bail};

/// How long a server may take to print its `Listening on http://ADDR` line.
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a server may take to drain and exit after SIGTERM before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(20);

/// A running server process. Killed when dropped, if [`ServerProcess::stop`] was not called.
#[derive(Debug)]
pub struct ServerProcess {
    child: Child,
    pub addr: SocketAddr,
    log: PathBuf,
}

/// How a server ended.
#[derive(Debug)]
pub struct Stopped {
    /// It exited on SIGTERM by itself, with status 0.
    pub clean_exit: bool,
    /// Log lines at ERROR level.
    pub error_lines: u64,
    /// The first of them, for the report.
    pub first_error: Option<String>,
}

impl ServerProcess {
    /// Starts `command` (which must print `Listening on http://ADDR` on stdout once it serves),
    /// with its stderr going to `log`.
    pub fn spawn(mut command: Command, log: &Path) -> anyhow::Result<Self> {
        let log_file = std::fs::File::create(log)
            .with_context(|| format!("cannot create {}", log.display()))?;
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log_file)
            .spawn()
            .with_context(|| format!("cannot start {command:?}"))?;
        let stdout = child.stdout.take().expect("stdout is piped");
        let (sender, receiver) = mpsc::channel();
        // Reads stdout to its end, so the server never blocks on a full pipe.
        std::thread::spawn(move || {
            let mut sent = false;
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if !sent && let Some(address) = line.strip_prefix("Listening on http://") {
                    let _ = sender.send(address.trim().to_owned());
                    sent = true;
                }
            }
        });
        let address = match receiver.recv_timeout(START_TIMEOUT) {
            Ok(address) => address,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                let log_text = std::fs::read_to_string(log).unwrap_or_default();
                let tail: Vec<&str> = log_text.lines().rev().take(20).collect();
                bail!(
                    "{command:?} did not start listening; last log lines:\n{}",
                    tail.into_iter().rev().collect::<Vec<_>>().join("\n")
                );
            }
        };
        let addr: SocketAddr = address
            .parse()
            .with_context(|| format!("unexpected address {address:?}"))?;
        if !addr.ip().is_loopback() {
            let _ = child.kill();
            bail!("the server listens on {addr}, not on loopback");
        }
        Ok(Self {
            child,
            addr,
            log: log.to_owned(),
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Resident memory, from `/proc/PID/status`.
    pub fn rss_bytes(&self) -> Option<u64> {
        rss_bytes(self.pid())
    }

    /// SIGTERM, then waits for the drain; scans and removes the log.
    pub fn stop(mut self) -> anyhow::Result<Stopped> {
        let sent = Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .context("cannot run kill")?;
        let deadline = Instant::now() + STOP_TIMEOUT;
        let status = loop {
            if let Some(status) = self.child.try_wait()? {
                break Some(status);
            }
            if !sent.success() || Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let (error_lines, first_error) = scan_log(&self.log);
        let _ = std::fs::remove_file(&self.log);
        Ok(Stopped {
            clean_exit: status.is_some_and(|status| status.success()),
            error_lines,
            first_error,
        })
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn scan_log(log: &Path) -> (u64, Option<String>) {
    let Ok(file) = std::fs::File::open(log) else {
        return (0, None);
    };
    let mut count = 0;
    let mut first = None;
    for line in BufReader::new(file).lines().map_while(Result::ok) {
        if line.contains(" ERROR ") {
            count += 1;
            first.get_or_insert(line);
        }
    }
    (count, first)
}

pub fn rss_bytes(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kib: u64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// User + system CPU time a process has used, in clock ticks, from `/proc/PID/stat`.
pub fn cpu_ticks(pid: &str) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may contain spaces: fields are counted after its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// Busy and total clock ticks of the whole machine, from `/proc/stat`.
pub fn machine_ticks() -> Option<(u64, u64)> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let values: Vec<u64> = stat
        .lines()
        .next()?
        .split_whitespace()
        .skip(1)
        .filter_map(|value| value.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    let total: u64 = values.iter().take(8).sum();
    let idle = values.get(3)? + values.get(4)?;
    Some((total - idle, total))
}

/// Clock ticks per second (`getconf CLK_TCK`, 100 on Linux unless told otherwise).
pub fn ticks_per_second() -> u64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|output| String::from_utf8_lossy(&output.stdout).trim().parse().ok())
        .unwrap_or(100)
}

/// `pid` and its direct children, found through each process's parent in `/proc/*/stat`.
pub fn process_tree(pid: u32) -> Vec<String> {
    let mut tree = vec![pid.to_string()];
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return tree;
    };
    for entry in entries.map_while(Result::ok) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|byte| byte.is_ascii_digit()) {
            continue;
        }
        let parent = std::fs::read_to_string(format!("/proc/{name}/stat"))
            .ok()
            .and_then(|stat| {
                let rest = stat.rsplit_once(')')?.1.to_owned();
                rest.split_whitespace().nth(1)?.parse::<u32>().ok()
            });
        if parent == Some(pid) {
            tree.push(name);
        }
    }
    tree
}

/// Context switches (voluntary and not) of all of a process's threads, from
/// `/proc/PID/task/*/status`.
pub fn context_switches(pid: u32) -> Option<u64> {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).ok()? {
        let Ok(status) = std::fs::read_to_string(task.ok()?.path().join("status")) else {
            continue;
        };
        total += status
            .lines()
            .filter(|line| line.contains("ctxt_switches:"))
            .filter_map(|line| line.split_whitespace().nth(1)?.parse::<u64>().ok())
            .sum::<u64>();
    }
    Some(total)
}

/// Read system calls (`read`, `pread64`, `readv` ...; not socket `recv`s) a process has made,
/// from `syscr` in `/proc/PID/io`.
pub fn read_calls(pid: u32) -> Option<u64> {
    std::fs::read_to_string(format!("/proc/{pid}/io"))
        .ok()?
        .lines()
        .find_map(|line| line.strip_prefix("syscr:"))?
        .trim()
        .parse()
        .ok()
}
