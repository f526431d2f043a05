//! A throwaway PostgreSQL cluster, started from the system's binaries (`initdb`, `pg_ctl`) in a
//! temp directory on a free port, as the `postgres` user when run as root (initdb refuses root).
//! A watchdog process stops the cluster and deletes its directory once the process that started
//! it is gone, however it ends.
//!
//! [`cluster`] is one shared cluster per process (the contract tests give each test a database
//! in it); a test or benchmark that must stop PostgreSQL, or measure it alone, starts a
//! [`dedicated`] cluster of its own.

use std::{
    net::TcpListener,
    ops::Deref,
    path::{Path, PathBuf},
    process::{Command, Stdio},
    sync::OnceLock,
};

use anyhow::{Context as _, bail};
use sqlx::Connection as _;

/// A running cluster.
#[derive(Debug)]
pub struct PgCluster {
    bin: PathBuf,
    data: PathBuf,
    run_as: Option<String>,
    durability: Durability,
    pub port: u16,
}

/// How far a cluster's commits survive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// Commits return before their WAL is written: the shared test cluster, for speed.
    Fast,
    /// Commits wait for their WAL to reach the kernel, so they survive the server being killed
    /// (`pg_ctl -m immediate stop`), not a power loss.
    SurvivesKill,
    /// PostgreSQL's defaults (`fsync`, `full_page_writes`): commits reach the disk, as in
    /// production. For measuring writes.
    SurvivesPowerLoss,
}

static CLUSTER: OnceLock<Result<PgCluster, String>> = OnceLock::new();

/// The process's cluster, started on first use; `Err` says why there is none.
pub fn cluster() -> Result<&'static PgCluster, &'static str> {
    CLUSTER
        .get_or_init(|| PgCluster::start(Durability::Fast).map_err(|err| format!("{err:#}")))
        .as_ref()
        .map_err(String::as_str)
}

/// A cluster one test owns, in its own directory on its own port: the test may stop and start it
/// ([`PgCluster::stop`], [`PgCluster::start_server`]) without disturbing the shared [`cluster`].
/// Its commits survive an immediate stop. It is stopped, and its directory removed, when dropped
/// (and by the watchdog if the process dies first).
#[derive(Debug)]
pub struct DedicatedCluster {
    cluster: PgCluster,
}

/// Starts a [`DedicatedCluster`]; `Err` says why there is none (as for [`cluster`]).
pub fn dedicated() -> anyhow::Result<DedicatedCluster> {
    dedicated_with(Durability::SurvivesKill)
}

/// Starts a [`DedicatedCluster`] whose commits survive as far as `durability` says.
pub fn dedicated_with(durability: Durability) -> anyhow::Result<DedicatedCluster> {
    Ok(DedicatedCluster {
        cluster: PgCluster::start(durability)?,
    })
}

impl Deref for DedicatedCluster {
    type Target = PgCluster;

    fn deref(&self) -> &PgCluster {
        &self.cluster
    }
}

impl Drop for DedicatedCluster {
    fn drop(&mut self) {
        // Already stopped is fine: the test may have failed in the middle of an outage.
        let _ = self.cluster.stop();
        if let Some(dir) = self.cluster.data.parent() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Where `initdb` and `pg_ctl` live: on PATH, or in Debian's versioned directory.
pub fn find_binaries() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .into_iter()
        .flat_map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .find(|dir| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file());
    on_path.or_else(|| {
        let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
            .ok()?
            .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
            .filter(|bin| bin.join("initdb").is_file())
            .collect();
        versions.sort();
        versions.pop()
    })
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

fn free_port() -> anyhow::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

impl PgCluster {
    fn start(durability: Durability) -> anyhow::Result<Self> {
        let bin = find_binaries().context(
            "no PostgreSQL binaries (initdb, pg_ctl) on PATH or under /usr/lib/postgresql; \
             install the `postgresql` Debian package",
        )?;
        // initdb refuses to run as root: run the cluster as the `postgres` system user.
        let run_as = is_root().then(|| "postgres".to_owned());
        let dir = tempfile::Builder::new()
            .prefix("sessions-pg-")
            .tempdir()
            .context("a temp dir")?
            .keep();
        if run_as.is_some() {
            let status = Command::new("chown")
                .args(["postgres:postgres", &dir.display().to_string()])
                .status()?;
            if !status.success() {
                bail!("cannot hand {} to the postgres user", dir.display());
            }
        }
        let cluster = Self {
            bin,
            data: dir.join("data"),
            run_as,
            durability,
            port: free_port()?,
        };
        cluster.watch_for_exit(&dir)?;
        cluster.run(
            "initdb",
            &[
                "-D",
                &cluster.data.display().to_string(),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-locale",
                "--no-sync",
            ],
        )?;
        cluster.start_server()?;
        Ok(cluster)
    }

    /// Runs a PostgreSQL binary, as the cluster's user.
    fn run(&self, program: &str, args: &[&str]) -> anyhow::Result<()> {
        let path = self.bin.join(program);
        let mut command = match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(&path);
                command
            }
            None => Command::new(&path),
        };
        let output = command
            .args(args)
            .stdin(Stdio::null())
            .output()
            .with_context(|| format!("cannot run {}", path.display()))?;
        if !output.status.success() {
            bail!(
                "{program} failed: {}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(())
    }

    /// What `postgres --version` says, e.g. `postgres (PostgreSQL) 15.18`.
    pub fn version(&self) -> String {
        Command::new(self.bin.join("postgres"))
            .arg("--version")
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned())
            .unwrap_or_else(|_| "PostgreSQL (unknown version)".to_owned())
    }

    /// The postmaster's process id, from `postmaster.pid`, while the server runs.
    pub fn postmaster_pid(&self) -> Option<u32> {
        std::fs::read_to_string(self.data.join("postmaster.pid"))
            .ok()?
            .lines()
            .next()?
            .trim()
            .parse()
            .ok()
    }

    /// Starts the server (again, after [`PgCluster::stop`]) and waits until it accepts connections.
    pub fn start_server(&self) -> anyhow::Result<()> {
        let socket_dir = self
            .data
            .parent()
            .expect("data has a parent")
            .display()
            .to_string();
        // Below `SurvivesPowerLoss`, fsync stays off: a stopped server loses nothing the kernel
        // holds.
        let (synchronous_commit, fsync) = match self.durability {
            Durability::Fast => ("off", "off"),
            Durability::SurvivesKill => ("on", "off"),
            Durability::SurvivesPowerLoss => ("on", "on"),
        };
        let options = format!(
            "-p {} -k {socket_dir} -c listen_addresses=127.0.0.1 -c fsync={fsync} \
             -c synchronous_commit={synchronous_commit} -c full_page_writes={fsync} \
             -c max_connections=500",
            self.port,
        );
        let log = self
            .data
            .parent()
            .expect("data has a parent")
            .join("postgres.log");
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-o",
                &options,
                "-l",
                &log.display().to_string(),
                "-w",
                "start",
            ],
        )
    }

    /// Stops the server at once, as an outage would.
    pub fn stop(&self) -> anyhow::Result<()> {
        self.run(
            "pg_ctl",
            &[
                "-D",
                &self.data.display().to_string(),
                "-m",
                "immediate",
                "-w",
                "stop",
            ],
        )
    }

    /// Stops the cluster and removes its directory when this process has exited.
    fn watch_for_exit(&self, dir: &Path) -> anyhow::Result<()> {
        let stop = match &self.run_as {
            Some(user) => format!("runuser -u {user} -- "),
            None => String::new(),
        } + &format!(
            "{} -D {} -m immediate stop",
            self.bin.join("pg_ctl").display(),
            self.data.display()
        );
        let script = format!(
            "while kill -0 {parent} 2>/dev/null; do sleep 0.5; done; {stop} >/dev/null 2>&1; rm -rf {dir}",
            parent = std::process::id(),
            dir = dir.display(),
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start the cluster's watchdog")?;
        Ok(())
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// A new, empty database; returns its URL.
    pub async fn create_database(&self) -> anyhow::Result<String> {
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&self.url("postgres"))
            .await
            .context("cannot reach the test cluster")?;
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await?;
        admin.close().await?;
        Ok(self.url(&name))
    }
}
