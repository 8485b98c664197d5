//! The command line: parsing arguments into a `Command` and running it against SQS.
use crate::catalog::{Catalog, UnknownQueue};
use crate::output::{peek_listing, queue_name_of, redrive_line, status_table};
use crate::{peek, queues, redrive, status};
use std::io::Write;

/// How many dead letters `peek` shows without `--max`.
pub const DEFAULT_PEEK: usize = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Status,
    Peek { queue: String, max: usize },
    Redrive { queue: String, max: Option<usize> },
    Help,
}

/// Bad arguments: exit code 2, before any AWS call.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsageError {
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    UnknownQueue(#[from] UnknownQueue),
}

pub fn usage(catalog: &Catalog) -> String {
    format!(
        "usage: event-ops <command>\n\
         \n  status                     messages waiting, in flight and delayed per queue, and in its DLQ\
         \n  peek <queue> [--max N]     show up to N (default {DEFAULT_PEEK}) messages of the queue's DLQ, leaving them there\
         \n  redrive <queue> [--max N]  move the queue's DLQ messages back to the queue (all, or at most N)\
         \n\nqueues: {}\n",
        catalog.names().join(", ")
    )
}

pub fn parse(args: &[String], catalog: &Catalog) -> Result<Command, UsageError> {
    let usage_error = |message: &str| Err(UsageError::Usage(message.to_owned()));
    let Some((command, rest)) = args.split_first() else {
        return usage_error("no command given");
    };
    match command.as_str() {
        "-h" | "--help" | "help" => Ok(Command::Help),
        "status" => match rest {
            [] => Ok(Command::Status),
            _ => usage_error("status takes no arguments"),
        },
        "peek" | "redrive" => {
            let (queue, max) = queue_and_max(command, rest)?;
            catalog.find(&queue)?;
            Ok(if command == "peek" {
                Command::Peek {
                    queue,
                    max: max.unwrap_or(DEFAULT_PEEK),
                }
            } else {
                Command::Redrive { queue, max }
            })
        }
        other => usage_error(&format!("unknown command `{other}`")),
    }
}

fn queue_and_max(command: &str, args: &[String]) -> Result<(String, Option<usize>), UsageError> {
    let mut queue = None;
    let mut max = None;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = if arg == "--max" {
            Some(
                args.next()
                    .ok_or_else(|| UsageError::Usage("--max needs a number".to_owned()))?,
            )
        } else {
            None
        };
        let value = value
            .map(String::as_str)
            .or_else(|| arg.strip_prefix("--max="));
        if let Some(value) = value {
            max = match value.parse::<usize>() {
                Ok(n) if n > 0 => Some(n),
                _ => {
                    return Err(UsageError::Usage(format!(
                        "--max takes a whole number above 0, not `{value}`"
                    )));
                }
            };
        } else if arg.starts_with('-') {
            return Err(UsageError::Usage(format!("unknown option `{arg}`")));
        } else if queue.is_some() {
            return Err(UsageError::Usage(format!(
                "{command} takes one queue name, `{arg}` is extra"
            )));
        } else {
            queue = Some(arg.clone());
        }
    }
    let queue = queue.ok_or_else(|| UsageError::Usage(format!("{command} needs a queue name")))?;
    Ok((queue, max))
}

/// Runs a parsed command, writing its report to `out`. An error is what went wrong with AWS
/// (exit code 1); `status` also fails, after printing its table, when a queue could not be read.
pub async fn execute(
    sqs: &aws_sdk_sqs::Client,
    catalog: &Catalog,
    command: &Command,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    match command {
        Command::Help => write!(out, "{}", usage(catalog))?,
        Command::Status => {
            let rows = status::status(sqs, catalog).await;
            write!(out, "{}", status_table(&rows))?;
            let unread = rows.iter().filter(|r| !r.is_complete()).count();
            if unread > 0 {
                anyhow::bail!("{unread} of {} queues could not be read fully", rows.len());
            }
        }
        Command::Peek { queue, max } => {
            let pair = queues::resolve(sqs, catalog.find(queue)?).await?;
            let letters = peek::peek(sqs, &pair.dlq_url, *max).await?;
            write!(
                out,
                "{}",
                peek_listing(queue_name_of(&pair.dlq_url), &letters)
            )?;
        }
        Command::Redrive { queue, max } => {
            let pair = queues::resolve(sqs, catalog.find(queue)?).await?;
            let report =
                redrive::redrive_with_report(sqs, &pair.dlq_url, &pair.source_url, *max).await?;
            write!(
                out,
                "{}",
                redrive_line(
                    queue,
                    queue_name_of(&pair.dlq_url),
                    queue_name_of(&pair.source_url),
                    &report
                )
            )?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        Catalog::from_json(
            r#"{"defaultPrefix": "r", "consumers": [{"name": "notifier"}], "queues": [{"name": "hold-expiry"}]}"#,
            None,
        )
        .unwrap()
    }

    fn parse_line(line: &str) -> Result<Command, UsageError> {
        let args: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        parse(&args, &catalog())
    }

    #[test]
    fn commands_parse_with_and_without_a_limit() {
        assert_eq!(parse_line("status"), Ok(Command::Status));
        assert_eq!(
            parse_line("redrive notifier"),
            Ok(Command::Redrive {
                queue: "notifier".into(),
                max: None
            })
        );
        assert_eq!(
            parse_line("redrive --max 5 notifier"),
            Ok(Command::Redrive {
                queue: "notifier".into(),
                max: Some(5)
            })
        );
        assert_eq!(
            parse_line("peek hold-expiry --max=3"),
            Ok(Command::Peek {
                queue: "hold-expiry".into(),
                max: 3
            })
        );
        assert_eq!(
            parse_line("peek notifier"),
            Ok(Command::Peek {
                queue: "notifier".into(),
                max: DEFAULT_PEEK
            })
        );
        assert_eq!(parse_line("--help"), Ok(Command::Help));
    }

    #[test]
    fn an_unknown_queue_is_a_usage_error_naming_the_valid_ones() {
        let err = parse_line("redrive notifer").unwrap_err();
        assert_eq!(
            err.to_string(),
            "unknown queue `notifer`; valid names: notifier, hold-expiry"
        );
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        for line in [
            "",
            "drain notifier",
            "status notifier",
            "peek",
            "redrive notifier hold-expiry",
            "redrive notifier --max",
            "redrive notifier --max 0",
            "redrive notifier --max ten",
            "redrive notifier --force",
        ] {
            assert!(
                matches!(parse_line(line), Err(UsageError::Usage(_))),
                "`{line}` should be a usage error"
            );
        }
    }
}
