//! `sessions`: one subcommand per operation of `openapi/sessions.yaml`, from progenitor's
//! generated command line (`sessions_client::cli`). Nothing here is written per operation: this
//! file only supplies the base URL and the token, and prints what comes back.
//!
//! A success prints the response body as JSON on stdout. An error the API answered prints its
//! body, in the API's error shape, on stderr, and exits 1; any other failure (no server, a bad
//! argument) prints why and exits 2.

use std::{cell::Cell, process::ExitCode, rc::Rc};

use clap::{Arg, ArgMatches, Command};
use serde::Serialize;
use sessions_client::{
    Client, Error, ResponseValue,
    cli::{Cli, CliCommand, CliConfig},
};

/// An error the API answered, in its error shape.
const API_ERROR: u8 = 1;
/// Anything else: no answer, an unreadable one, a bad argument.
const OTHER_FAILURE: u8 = 2;

/// Prints what the generated command line hands over, and notes the exit status of a failure
/// it already printed (the generated code also returns that failure as an error).
#[derive(Debug, Default)]
struct Output {
    failure: Rc<Cell<Option<u8>>>,
}

fn json(value: &impl Serialize) -> String {
    serde_json::to_string_pretty(value).expect("response bodies serialize")
}

impl CliConfig for Output {
    fn success_item<T>(&self, value: &ResponseValue<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        println!("{}", json(&**value));
    }

    fn success_no_item(&self, _: &ResponseValue<()>) {}

    fn error<T>(&self, value: &Error<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        match value {
            Error::ErrorResponse(response) => {
                eprintln!("{}", json(&**response));
                self.failure.set(Some(API_ERROR));
            }
            other => {
                eprintln!("error: {other}");
                self.failure.set(Some(OTHER_FAILURE));
            }
        }
    }

    fn list_start<T>(&self)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_item<T>(&self, value: &T)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        println!("{}", json(value));
    }

    fn list_end_success<T>(&self)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
    }

    fn list_end_error<T>(&self, value: &Error<T>)
    where
        T: schemars::JsonSchema + serde::Serialize + std::fmt::Debug,
    {
        self.error(value);
    }
}

/// `get_sessions` → `get-sessions`.
fn subcommand_name(operation: CliCommand) -> String {
    operation.operation_id().replace('_', "-")
}

fn command() -> Command {
    let mut command = Command::new("sessions")
        .about("The Device/Session Management API from the command line; prints JSON")
        .arg(
            Arg::new("base-url")
                .long("base-url")
                .env("SESSIONS_URL")
                .default_value("http://127.0.0.1:3000")
                .global(true)
                .help("Where the API is served"),
        )
        .arg(
            Arg::new("token")
                .long("token")
                .env("SESSIONS_TOKEN")
                .hide_env_values(true)
                .global(true)
                .help("The bearer token (`sessions-server issue-token` prints one)"),
        )
        .subcommand_required(true);
    for operation in CliCommand::iter() {
        command = command
            .subcommand(Cli::<Output>::get_command(operation).name(subcommand_name(operation)));
    }
    command
}

async fn run(matches: &ArgMatches, output: Output) -> anyhow::Result<()> {
    let (name, arguments) = matches
        .subcommand()
        .ok_or_else(|| anyhow::anyhow!("a subcommand is required"))?;
    let operation = CliCommand::iter()
        .find(|operation| subcommand_name(*operation) == name)
        .ok_or_else(|| anyhow::anyhow!("unknown subcommand {name}"))?;
    let base_url = matches
        .get_one::<String>("base-url")
        .expect("has a default");
    let token = matches
        .get_one::<String>("token")
        .ok_or_else(|| anyhow::anyhow!("no token: pass --token or set SESSIONS_TOKEN"))?;
    let client = Client::with_bearer_token(base_url, token)?;
    Cli::new(client, output).execute(operation, arguments).await
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let matches = command().get_matches();
    let output = Output::default();
    let failure = Rc::clone(&output.failure);
    match run(&matches, output).await {
        Ok(()) => ExitCode::SUCCESS,
        // Already printed by `Output::error`.
        Err(_) if failure.get().is_some() => ExitCode::from(failure.get().unwrap_or(OTHER_FAILURE)),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(OTHER_FAILURE)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_is_a_kebab_case_subcommand_with_the_global_options() {
        let command = command();
        command.clone().debug_assert();
        let names: Vec<&str> = command
            .get_subcommands()
            .map(clap::Command::get_name)
            .collect();
        assert_eq!(names.len(), CliCommand::iter().count());
        assert!(names.contains(&"get-sessions"), "{names:?}");
        assert!(names.contains(&"session-heartbeat"), "{names:?}");
        assert!(names.iter().all(|name| !name.contains('_')), "{names:?}");
    }
}
