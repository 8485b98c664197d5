//! What the commands print: plain aligned text, one row per queue or message.
use crate::peek::DeadLetter;
use crate::redrive::{RedriveMethod, RedriveReport};
use crate::status::StatusRow;
use std::fmt::Write;

/// How much of a body `peek` shows.
pub const BODY_PREVIEW_CHARS: usize = 100;

pub fn status_table(rows: &[StatusRow]) -> String {
    let width = rows
        .iter()
        .map(|r| r.name.len())
        .chain(["QUEUE".len()])
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "{:<width$}  {:<8}  {:>7}  {:>9}  {:>7}  {:>5}\n",
        "QUEUE", "KIND", "WAITING", "IN FLIGHT", "DELAYED", "DLQ"
    );
    let cell = |value: Option<u64>| value.map_or_else(|| "?".to_owned(), |n| n.to_string());
    for row in rows {
        let queue = row.queue.as_ref().ok();
        let _ = writeln!(
            out,
            "{:<width$}  {:<8}  {:>7}  {:>9}  {:>7}  {:>5}",
            row.name,
            row.kind.label(),
            cell(queue.map(|d| d.waiting)),
            cell(queue.map(|d| d.in_flight)),
            cell(queue.map(|d| d.delayed)),
            cell(row.dead_letters.as_ref().ok().map(|d| d.total())),
        );
    }
    for row in rows {
        if let Err(err) = &row.queue {
            let _ = writeln!(out, "{}: {err:#}", row.name);
        }
        if let (Ok(_), Err(err)) = (&row.queue, &row.dead_letters) {
            let _ = writeln!(out, "{} DLQ: {err:#}", row.name);
        }
    }
    out
}

pub fn peek_listing(dlq_name: &str, letters: &[DeadLetter]) -> String {
    let mut out = format!(
        "{dlq_name}: {} message(s) shown, left in place\n",
        letters.len()
    );
    if letters.is_empty() {
        return out;
    }
    let id_width = letters
        .iter()
        .map(|l| l.message_id.len())
        .chain(["MESSAGE ID".len()])
        .max()
        .unwrap_or(0);
    let _ = writeln!(
        out,
        "{:<id_width$}  {:>8}  {:<20}  BODY",
        "MESSAGE ID", "RECEIVES", "FIRST SENT (UTC)"
    );
    for letter in letters {
        let _ = writeln!(
            out,
            "{:<id_width$}  {:>8}  {:<20}  {}",
            letter.message_id,
            letter
                .receive_count
                .map_or_else(|| "?".to_owned(), |n| n.to_string()),
            letter.sent_at.map_or_else(
                || "?".to_owned(),
                |t| t.format("%Y-%m-%d %H:%M:%S").to_string()
            ),
            preview(&letter.body, BODY_PREVIEW_CHARS),
        );
    }
    out
}

pub fn redrive_line(
    name: &str,
    dlq_name: &str,
    source_name: &str,
    report: &RedriveReport,
) -> String {
    let how = match (report.method, report.to_move) {
        (RedriveMethod::MoveTask, Some(to_move)) => {
            format!("SQS message move task; {to_move} to move when it started")
        }
        (RedriveMethod::MoveTask, None) => "SQS message move task".to_owned(),
        (RedriveMethod::Copy, _) => "copied and deleted, up to --max".to_owned(),
    };
    format!(
        "{name}: moved {} message(s) from {dlq_name} back to {source_name} ({how})\n",
        report.moved
    )
}

/// The first `chars` characters on one line (control characters become spaces), with `…` when
/// cut.
pub fn preview(body: &str, chars: usize) -> String {
    let mut out: String = body
        .chars()
        .take(chars)
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if body.chars().nth(chars).is_some() {
        out.push('…');
    }
    out
}

/// The queue name at the end of a queue URL.
pub fn queue_name_of(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::QueueKind;
    use crate::queues::QueueDepths;
    use anyhow::anyhow;
    use chrono::DateTime;

    #[test]
    fn status_shows_one_aligned_row_per_queue_and_the_errors_below() {
        let rows = vec![
            StatusRow {
                name: "notifier".into(),
                kind: QueueKind::Consumer,
                queue: Ok(QueueDepths {
                    waiting: 12,
                    in_flight: 3,
                    delayed: 0,
                }),
                dead_letters: Ok(QueueDepths {
                    waiting: 4,
                    in_flight: 1,
                    delayed: 0,
                }),
            },
            StatusRow {
                name: "hold-expiry".into(),
                kind: QueueKind::Plain,
                queue: Err(anyhow!("queue reservations-hold-expiry was not found")),
                dead_letters: Err(anyhow!("not read")),
            },
        ];
        let table = status_table(&rows);
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(
            lines,
            vec![
                "QUEUE        KIND      WAITING  IN FLIGHT  DELAYED    DLQ",
                "notifier     consumer       12          3        0      5",
                "hold-expiry  queue           ?          ?        ?      ?",
                "hold-expiry: queue reservations-hold-expiry was not found",
            ]
        );
    }

    #[test]
    fn peek_lists_id_receives_sent_time_and_a_body_preview() {
        let letters = vec![DeadLetter {
            message_id: "6f1c".into(),
            receive_count: Some(6),
            sent_at: DateTime::from_timestamp_millis(1_795_325_853_066),
            dead_lettered_from: None,
            body: format!("{{\"detail\":\n\"{}\"}}", "a".repeat(200)),
        }];
        let listing = peek_listing("reservations-notifier-dlq", &letters);
        let lines: Vec<&str> = listing.lines().collect();
        assert_eq!(
            lines[0],
            "reservations-notifier-dlq: 1 message(s) shown, left in place"
        );
        assert_eq!(lines[1], "MESSAGE ID  RECEIVES  FIRST SENT (UTC)      BODY");
        assert!(
            lines[2].starts_with("6f1c               6  2026-11-22 05:37:33   {\"detail\": \"aaa"),
            "{}",
            lines[2]
        );
        assert!(lines[2].ends_with("a…"), "{}", lines[2]);
        assert_eq!(lines.len(), 3);
    }

    #[test]
    fn a_preview_keeps_short_bodies_whole_and_cuts_on_characters() {
        assert_eq!(preview("{}", 10), "{}");
        assert_eq!(preview("ééé", 2), "éé…");
        assert_eq!(preview("a\tb", 10), "a b");
    }

    #[test]
    fn a_queue_url_ends_with_its_name() {
        assert_eq!(
            queue_name_of(
                "http://127.0.0.1:4566/queue/us-east-1/000000000000/reservations-notifier"
            ),
            "reservations-notifier"
        );
    }
}
