//! Starting the servers under test: the real `sessions-server` (built in release), and the
//! baseline; stopping them and reporting what went wrong.

use std::{
    path::{Path, PathBuf},
    process::Command,
};

use anyhow::{Context as _, bail};
use reqwest::Url;

use crate::server::{self, ServerProcess};

/// Builds `sessions-server` (release) and returns its path, beside this very binary.
pub(crate) fn server_binary(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    if let Some(path) = explicit {
        return Ok(path);
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    progress!("building sessions-server (release)");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "--quiet",
            "-p",
            "sessions-server",
            "--bin",
            "sessions-server",
        ])
        .status()
        .context("cannot run cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p sessions-server failed");
    }
    let path = std::env::current_exe()?
        .parent()
        .context("this binary has a directory")?
        .join("sessions-server");
    if !path.is_file() {
        bail!("no {} after the build; pass --server-bin", path.display());
    }
    Ok(path)
}

/// What starts servers, and where their logs go.
#[derive(Debug)]
pub(crate) struct Launcher {
    server_bin: PathBuf,
    log_filter: String,
    work: PathBuf,
    started: usize,
}

impl Launcher {
    /// Starts `server_bin` with the log filter `log_filter`, keeping the logs under `work`.
    pub(crate) fn new(server_bin: PathBuf, log_filter: String, work: PathBuf) -> Self {
        Self {
            server_bin,
            log_filter,
            work,
            started: 0,
        }
    }

    pub(crate) fn service(&mut self, database_url: &str) -> anyhow::Result<ServerProcess> {
        let mut command = Command::new(&self.server_bin);
        command
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            // The limiter on, as in production, with limits the load never reaches.
            .args(["--rate-limit-per-token", "1000000000"])
            .args(["--rate-limit-per-ip", "1000000000"])
            // The load comes from one address; the per-IP cap would refuse most of it.
            .args(["--max-connections-per-ip", "1024"])
            .env("SESSIONS_LOG", &self.log_filter)
            .env("SESSIONS_LOG_FORMAT", "text");
        self.spawn(command)
    }

    pub(crate) fn baseline(&mut self, body_file: &Path) -> anyhow::Result<ServerProcess> {
        let mut command = Command::new(std::env::current_exe()?);
        command
            .args(["baseline", "--bind", "127.0.0.1:0", "--body-file"])
            .arg(body_file);
        self.spawn(command)
    }

    fn spawn(&mut self, command: Command) -> anyhow::Result<ServerProcess> {
        self.started += 1;
        let log = self.work.join(format!("server-{}.log", self.started));
        ServerProcess::spawn(command, &log)
    }
}

/// Stops a server; anything unusual becomes an incident of the report.
pub(crate) fn stop(
    server: ServerProcess,
    what: &str,
    incidents: &mut Vec<String>,
) -> anyhow::Result<server::Stopped> {
    let stopped = server.stop()?;
    if !stopped.clean_exit {
        incidents.push(format!(
            "{what}: the server did not exit cleanly on SIGTERM"
        ));
    }
    if stopped.error_lines > 0 {
        incidents.push(format!(
            "{what}: {} ERROR log lines, the first: `{}`",
            stopped.error_lines,
            stopped.first_error.as_deref().unwrap_or_default()
        ));
    }
    Ok(stopped)
}

pub(crate) fn sessions_url(server: &ServerProcess) -> anyhow::Result<Url> {
    Ok(Url::parse(&format!("http://{}/sessions", server.addr))?)
}
