//! The `event-ops` binary as an operator runs it: exit codes and what it prints.
mod support;

use anyhow::ensure;
use event_ops::{Catalog, depths};
use std::process::{Command, Output};
use support::{as_received, bodies, dead_letter, take, with_queue_pair};

fn event_ops(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_event-ops"));
    command.args(args).envs(env.iter().copied());
    match command.output() {
        Ok(output) => output,
        Err(err) => panic!("running event-ops: {err}"),
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn an_unknown_queue_exits_2_and_names_the_valid_ones() {
    let output = event_ops(&["redrive", "notifer"], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("unknown queue `notifer`"), "{stderr}");
    let catalog = Catalog::bundled().unwrap();
    assert!(
        stderr.contains(&format!("valid names: {}", catalog.names().join(", "))),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_exit_2_with_the_usage() {
    let output = event_ops(&["redrive", "notifier", "--max", "0"], &[]);
    let stderr = text(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("usage: event-ops"), "{stderr}");
}

#[tokio::test]
async fn status_prints_a_row_for_every_provisioned_queue() {
    let _ = support::sqs().await;
    let output = event_ops(&["status"], &[]);
    let stdout = text(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}{}",
        text(&output.stderr)
    );
    let catalog = Catalog::bundled().unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert!(
        lines[0].starts_with("QUEUE") && lines[0].ends_with("DLQ"),
        "{stdout}"
    );
    assert_eq!(lines.len(), catalog.queues().len() + 1, "{stdout}");
    for spec in catalog.queues() {
        let row = lines
            .iter()
            .find(|l| l.split_whitespace().next() == Some(spec.name.as_str()))
            .unwrap_or_else(|| panic!("no row for {}:\n{stdout}", spec.name));
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells.len(), 6, "{row}");
        assert_eq!(cells[1], spec.kind.label(), "{row}");
        assert!(cells[2..].iter().all(|c| c.parse::<u64>().is_ok()), "{row}");
    }
}

#[tokio::test]
async fn the_cli_peeks_and_redrives_the_queue_its_variable_names() {
    with_queue_pair("cli", async |sqs, pair| {
        let sent = bodies("cli", 3);
        dead_letter(sqs, pair, &sent).await?;
        let env = [("NOTIFIER_QUEUE_URL", pair.source_url.as_str())];
        let dlq_name = pair.dlq_url.rsplit('/').next().unwrap_or_default();
        let source_name = pair.source_url.rsplit('/').next().unwrap_or_default();

        let peeked = event_ops(&["peek", "notifier"], &env);
        let stdout = text(&peeked.stdout);
        ensure!(
            peeked.status.success(),
            "peek failed: {}",
            text(&peeked.stderr)
        );
        ensure!(
            stdout.starts_with(&format!("{dlq_name}: 3 message(s) shown, left in place\n")),
            "{stdout}"
        );
        for body in &sent {
            ensure!(
                stdout.contains(body.as_str()),
                "{body} missing from\n{stdout}"
            );
        }

        let redriven = event_ops(&["redrive", "notifier"], &env);
        let stdout = text(&redriven.stdout);
        ensure!(
            redriven.status.success(),
            "redrive failed: {}",
            text(&redriven.stderr)
        );
        ensure!(
            stdout.starts_with(&format!(
                "notifier: moved 3 message(s) from {dlq_name} back to {source_name} ("
            )),
            "{stdout}"
        );
        let back = take(sqs, &pair.source_url, 3).await?;
        ensure!(back == as_received(&sent), "got back {back:#?}");
        let dlq = depths(sqs, &pair.dlq_url).await?;
        ensure!(dlq.total() == 0, "the DLQ still holds {dlq:?}");
        Ok(())
    })
    .await;
}
