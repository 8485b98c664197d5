//! Dead letters against a real SQS (LocalStack): counted in the right queue, looked at without
//! being taken, and redriven back to their queue exactly once with their body.
mod support;

use anyhow::ensure;
use event_ops::{
    QueueDepths, RedriveMethod, dead_letter_queue_url, depths, peek, redrive, redrive_with_report,
};
use support::{as_received, bodies, dead_letter, take, with_queue_pair};

const EMPTY: QueueDepths = QueueDepths {
    waiting: 0,
    in_flight: 0,
    delayed: 0,
};

#[tokio::test]
async fn messages_past_their_receive_count_wait_in_the_dead_letter_queue() {
    with_queue_pair("depths", async |sqs, pair| {
        dead_letter(sqs, pair, &bodies("depths", 4)).await?;

        let source = depths(sqs, &pair.source_url).await?;
        let dlq = depths(sqs, &pair.dlq_url).await?;
        ensure!(source == EMPTY, "the source queue still holds {source:?}");
        ensure!(
            dlq == QueueDepths {
                waiting: 4,
                ..EMPTY
            },
            "the DLQ holds {dlq:?}, not 4 waiting"
        );
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn redrive_returns_every_dead_letter_to_its_queue_once_with_its_body() {
    with_queue_pair("redrive", async |sqs, pair| {
        let sent = bodies("redrive", 12);
        dead_letter(sqs, pair, &sent).await?;

        let report = redrive_with_report(sqs, &pair.dlq_url, &pair.source_url, None).await?;
        ensure!(report.moved == 12, "redrive reported {report:?}");
        ensure!(report.method == RedriveMethod::MoveTask, "{report:?}");

        let dlq = depths(sqs, &pair.dlq_url).await?;
        ensure!(
            dlq == EMPTY,
            "the DLQ still holds {dlq:?} after the redrive"
        );
        let back = take(sqs, &pair.source_url, sent.len()).await?;
        ensure!(
            back == as_received(&sent),
            "the source queue got back {back:#?}\ninstead of {:#?}",
            as_received(&sent)
        );
        let left = depths(sqs, &pair.source_url).await?;
        ensure!(left == EMPTY, "extra copies in the source queue: {left:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn a_limited_redrive_moves_at_most_that_many_and_keeps_their_attributes() {
    with_queue_pair("limited", async |sqs, pair| {
        let sent = bodies("limited", 5);
        dead_letter(sqs, pair, &sent).await?;

        let first = redrive_with_report(sqs, &pair.dlq_url, &pair.source_url, Some(2)).await?;
        ensure!(first.moved == 2, "the first redrive reported {first:?}");
        ensure!(first.method == RedriveMethod::Copy, "{first:?}");
        let dlq = depths(sqs, &pair.dlq_url).await?;
        ensure!(
            dlq == QueueDepths {
                waiting: 3,
                ..EMPTY
            },
            "after moving 2 the DLQ holds {dlq:?}"
        );
        let mut back = take(sqs, &pair.source_url, 2).await?;

        let rest = redrive(sqs, &pair.dlq_url, &pair.source_url, Some(10)).await?;
        ensure!(rest == 3, "the second redrive moved {rest}, not the 3 left");
        back.extend(take(sqs, &pair.source_url, 3).await?);
        back.sort();

        ensure!(
            back == as_received(&sent),
            "bodies or attributes differ: got {back:#?}\ninstead of {:#?}",
            as_received(&sent)
        );
        for (queue, url) in [("DLQ", &pair.dlq_url), ("source queue", &pair.source_url)] {
            let left = depths(sqs, url).await?;
            ensure!(left == EMPTY, "the {queue} still holds {left:?}");
        }
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn peek_shows_dead_letters_and_leaves_them_in_place() {
    with_queue_pair("peek", async |sqs, pair| {
        let sent = bodies("peek", 3);
        dead_letter(sqs, pair, &sent).await?;

        let letters = peek(sqs, &pair.dlq_url, 10).await?;
        let mut seen: Vec<String> = letters.iter().map(|l| l.body.clone()).collect();
        seen.sort();
        let mut expected = sent.clone();
        expected.sort();
        ensure!(seen == expected, "peek showed {letters:#?}");
        for letter in &letters {
            ensure!(
                letter.receive_count.is_some_and(|n| n >= 1)
                    && letter.sent_at.is_some()
                    && !letter.message_id.is_empty(),
                "incomplete: {letter:?}"
            );
        }

        let dlq = depths(sqs, &pair.dlq_url).await?;
        ensure!(
            dlq == QueueDepths {
                waiting: 3,
                ..EMPTY
            },
            "after a peek the DLQ holds {dlq:?}, not 3 visible"
        );
        let limited = peek(sqs, &pair.dlq_url, 2).await?;
        ensure!(limited.len() == 2, "peek --max 2 showed {}", limited.len());

        let moved = redrive(sqs, &pair.dlq_url, &pair.source_url, None).await?;
        ensure!(moved == 3, "after peeking, redrive moved {moved}, not 3");
        let back = take(sqs, &pair.source_url, 3).await?;
        ensure!(back == as_received(&sent), "got back {back:#?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn redriving_an_empty_dead_letter_queue_moves_nothing() {
    with_queue_pair("empty", async |sqs, pair| {
        let all = redrive(sqs, &pair.dlq_url, &pair.source_url, None).await?;
        let some = redrive(sqs, &pair.dlq_url, &pair.source_url, Some(5)).await?;
        ensure!(
            (all, some) == (0, 0),
            "moved {all} and {some} out of an empty DLQ"
        );
        let peeked = peek(sqs, &pair.dlq_url, 10).await?;
        ensure!(peeked.is_empty(), "peek showed {peeked:?}");
        let source = depths(sqs, &pair.source_url).await?;
        ensure!(source == EMPTY, "the source queue holds {source:?}");
        Ok(())
    })
    .await;
}

#[tokio::test]
async fn the_dead_letter_queue_is_the_one_the_redrive_policy_names() {
    with_queue_pair("policy", async |sqs, pair| {
        let found = dead_letter_queue_url(sqs, &pair.source_url).await?;
        ensure!(found == pair.dlq_url, "found {found}, not {}", pair.dlq_url);

        let err = match dead_letter_queue_url(sqs, &pair.dlq_url).await {
            Ok(url) => anyhow::bail!("a queue without a RedrivePolicy resolved to {url}"),
            Err(err) => format!("{err:#}"),
        };
        ensure!(err.contains("no dead-letter queue"), "unclear error: {err}");
        Ok(())
    })
    .await;
}
