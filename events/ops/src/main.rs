//! `event-ops status | peek <queue> [--max N] | redrive <queue> [--max N]`; see `events/README.md`.
use event_ops::Catalog;
use event_ops::cli::{self, Command};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let catalog = match Catalog::bundled() {
        Ok(catalog) => catalog,
        Err(err) => {
            eprintln!("event-ops: error: {err:#}");
            return ExitCode::FAILURE;
        }
    };
    let command = match cli::parse(&args, &catalog) {
        Ok(command) => command,
        Err(cli::UsageError::Usage(message)) => {
            eprintln!("event-ops: {message}\n\n{}", cli::usage(&catalog));
            return ExitCode::from(2);
        }
        Err(err) => {
            eprintln!("event-ops: {err}");
            return ExitCode::from(2);
        }
    };
    if command == Command::Help {
        print!("{}", cli::usage(&catalog));
        return ExitCode::SUCCESS;
    }
    let sqs = aws_sdk_sqs::Client::new(&shared::aws::sdk_config().await);
    match cli::execute(&sqs, &catalog, &command, &mut std::io::stdout()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("event-ops: error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
