//! Signatures, rotation and delivery over HTTP.
use super::tests::{FAST, key, now};
use super::*;
use crate::channels::{ChannelAccount, ChannelKind};
use crate::domain::text::Title;
use std::sync::Mutex;

#[test]
fn an_old_or_tampered_signature_is_refused() {
    let secret = sign::signing_secret(&key(), "c1", now());
    let header = sign::signature(std::slice::from_ref(&secret), now(), b"{}");
    assert!(sign::verify(&secret, &header, b"{}", now()));
    assert!(!sign::verify(&secret, &header, b"{ }", now()));
    let later = now() + chrono::Duration::seconds(sign::TOLERANCE_SECONDS + 1);
    assert!(!sign::verify(&secret, &header, b"{}", later));
}

/// A receiver on 127.0.0.1 answering `answers` in turn (then 200), keeping each request's
/// signature header and body.
async fn local_receiver(
    answers: Vec<u16>,
) -> (String, std::sync::Arc<Mutex<Vec<(String, Vec<u8>)>>>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/ari", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = got.clone();
    tokio::spawn(async move {
        let mut answers = answers.into_iter();
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            let (head, body) = loop {
                let read = socket.read(&mut buf).await.unwrap();
                raw.extend_from_slice(&buf[..read]);
                let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") else {
                    continue;
                };
                let head = String::from_utf8_lossy(&raw[..end]).to_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .map(|v| v.trim().parse().unwrap())
                    .unwrap_or(0);
                while raw.len() < end + 4 + length {
                    let read = socket.read(&mut buf).await.unwrap();
                    raw.extend_from_slice(&buf[..read]);
                }
                break (head, raw[end + 4..end + 4 + length].to_vec());
            };
            let signature = head
                .lines()
                .find_map(|l| l.strip_prefix("ari-signature:"))
                .unwrap_or("")
                .trim()
                .to_owned();
            seen.lock().unwrap().push((signature, body));
            let status = answers.next().unwrap_or(200);
            let reply =
                format!("HTTP/1.1 {status} X\r\ncontent-length: 0\r\nconnection: close\r\n\r\n");
            socket.write_all(reply.as_bytes()).await.unwrap();
        }
    });
    (url, got)
}

#[tokio::test]
async fn over_http_a_500_is_retried_and_the_signature_verifies_at_the_receiver() {
    let webhook = deliver::HttpWebhook::new().unwrap();
    let secret = sign::signing_secret(&key(), "c1", now());
    let body = br#"{"hotel_code":"x"}"#;
    let send = async |url: &str| {
        let secrets = std::slice::from_ref(&secret);
        deliver::deliver(&webhook, FAST, url, secrets, body, Utc::now())
            .await
            .unwrap()
    };
    let (url, got) = local_receiver(vec![500]).await;
    assert_eq!(send(&url).await, Delivered::Accepted { attempts: 2 });
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2);
    for (signature, received) in &got {
        assert_eq!(received.as_slice(), body);
        assert!(sign::verify(&secret, signature, received, Utc::now()));
    }

    let (url, got) = local_receiver(vec![400]).await;
    assert_eq!(send(&url).await, Delivered::Rejected { status: 400 });
    assert_eq!(got.lock().unwrap().len(), 1);
}

#[test]
fn a_rotation_signs_with_both_push_secrets_until_the_old_client_secret_retires() {
    let account = ChannelAccount::connect(
        VendorId::generate(),
        ChannelKind::ChannelManager,
        Title::parse("Acme CM").unwrap(),
        None,
        "hash".into(),
        now(),
    );
    let before = sign::current_secret(&key(), &account).unwrap();
    let later = now() + chrono::Duration::hours(1);
    let rotated = account.rotated("hash2".into(), later);
    let after = sign::current_secret(&key(), &rotated).unwrap();
    assert_ne!(before, after);

    let header = sign::signature(
        &sign::channel_secrets(&key(), &rotated, later),
        later,
        b"{}",
    );
    assert!(sign::verify(&after, &header, b"{}", later));
    assert!(sign::verify(&before, &header, b"{}", later));

    let retired = later + chrono::Duration::hours(crate::channels::SECRET_GRACE_HOURS + 1);
    let header = sign::signature(
        &sign::channel_secrets(&key(), &rotated, retired),
        retired,
        b"{}",
    );
    assert!(sign::verify(&after, &header, b"{}", retired));
    assert!(!sign::verify(&before, &header, b"{}", retired));
    assert!(sign::channel_secrets(&key(), &rotated.disconnected(retired), retired).is_empty());
}
