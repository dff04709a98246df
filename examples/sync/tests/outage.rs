//! The database goes away for longer than Svix waits (20 s > 15 s) under a steady stream
//! of deliveries: every answer comes within 10 s, none is 2xx while the database is down,
//! `/readyz` says 503 and then 200, the same process recovers by itself, and after
//! Svix-style retries the tables equal in-order delivery.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clerk_webhook_core::WebhookVerifier;
use clerk_webhook_core::testing::{SignedDelivery, unix_now};
use clerk_webhook_testkit::TEST_SECRET;
use common::{PrivatePostgres, expected_app_users, free_port, get, history, post, start, wait_for};

/// One answer: when the request started and ended, and its status (`None`: no answer).
struct Answer {
    started: Instant,
    ended: Instant,
    status: Option<u16>,
}

/// `/readyz` answers, with when they came.
type Probes = Arc<Mutex<Vec<(Instant, Option<u16>)>>>;

#[test]
fn a_database_outage_is_answered_503_in_time_and_recovered() {
    let binary = env!("CARGO_BIN_EXE_example-sync");
    let postgres = PrivatePostgres::start();
    let port = free_port();
    let mut receiver = start(binary, &postgres.url(), port);
    wait_for(port);
    assert_eq!(get(port, "/readyz"), Some(200));
    assert_eq!(get(port, "/healthz"), Some(200));

    let events = history();
    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let queue: Arc<Mutex<VecDeque<(usize, Instant)>>> = Arc::new(Mutex::new(
        (0..events.len()).map(|i| (i, Instant::now())).collect(),
    ));
    let answers: Arc<Mutex<Vec<Answer>>> = Arc::default();
    let readiness: Probes = Arc::default();
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));

    // A steady stream from four senders, one delivery each every 150 ms; a failed one
    // comes back 1 s later (Svix's first retry is 5 s: sooner means more answers to judge).
    let succeeded = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders: Vec<_> = (0..4)
        .map(|_| {
            let (queue, answers, events, verifier, succeeded) = (
                Arc::clone(&queue),
                Arc::clone(&answers),
                events.clone(),
                verifier.clone(),
                Arc::clone(&succeeded),
            );
            std::thread::spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(120);
                while succeeded.load(std::sync::atomic::Ordering::SeqCst) < events.len() {
                    assert!(Instant::now() < deadline, "deliveries did not all succeed");
                    std::thread::sleep(Duration::from_millis(150));
                    let next = {
                        let mut queue = queue.lock().unwrap();
                        match queue.front() {
                            Some((_, due)) if *due <= Instant::now() => queue.pop_front(),
                            _ => None,
                        }
                    };
                    let Some((event, _)) = next else { continue };
                    let delivery = SignedDelivery::sign(
                        &verifier,
                        format!("msg_{event}"),
                        unix_now(),
                        events[event].to_string(),
                    );
                    let started = Instant::now();
                    let status = post(port, &delivery);
                    let ended = Instant::now();
                    answers.lock().unwrap().push(Answer {
                        started,
                        ended,
                        status,
                    });
                    if status.is_some_and(|status| (200..300).contains(&status)) {
                        succeeded.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    } else {
                        queue
                            .lock()
                            .unwrap()
                            .push_back((event, ended + Duration::from_secs(1)));
                    }
                }
            })
        })
        .collect();
    let prober = {
        let (readiness, done) = (Arc::clone(&readiness), Arc::clone(&done));
        std::thread::spawn(move || {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let status = get(port, "/readyz");
                readiness.lock().unwrap().push((Instant::now(), status));
                std::thread::sleep(Duration::from_millis(500));
            }
        })
    };

    std::thread::sleep(Duration::from_secs(3));
    postgres.stop();
    let down = Instant::now();
    std::thread::sleep(Duration::from_secs(20));
    let up = Instant::now();
    postgres.resume();
    for sender in senders {
        sender.join().unwrap();
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    prober.join().unwrap();

    let answers = answers.lock().unwrap();
    let slowest = answers.iter().map(|a| a.ended - a.started).max().unwrap();
    assert!(
        slowest < Duration::from_secs(10),
        "an answer took {slowest:?}"
    );
    let during: Vec<&Answer> = answers
        .iter()
        .filter(|a| a.started >= down && a.ended <= up)
        .collect();
    assert!(
        during.len() >= 4,
        "the stream went on during the outage: {}",
        during.len()
    );
    let slowest_during = during.iter().map(|a| a.ended - a.started).max().unwrap();
    eprintln!(
        "{} answers, {} while the database was down (all 503, slowest {slowest_during:?}); slowest overall {slowest:?}",
        answers.len(),
        during.len()
    );
    for answer in &during {
        assert_eq!(answer.status, Some(503), "while the database was down");
    }
    let readiness = readiness.lock().unwrap();
    let ready_during: Vec<Option<u16>> = readiness
        .iter()
        .filter(|(at, _)| *at > down + Duration::from_secs(2) && *at < up)
        .map(|(_, status)| *status)
        .collect();
    assert!(
        !ready_during.is_empty() && ready_during.iter().all(|s| *s == Some(503)),
        "{ready_during:?}"
    );
    assert_eq!(readiness.last().unwrap().1, Some(200), "ready again");
    assert_eq!(get(port, "/readyz"), Some(200));

    let rows = std::process::Command::new("psql")
        .args(["-h", "127.0.0.1", "-p", &postgres.port.to_string(), "-U", "postgres", "-At", "-F", "|", "-c"])
        .arg("SELECT id, coalesce(email, ''), coalesce(display_name, ''), deleted FROM app_users ORDER BY id")
        .output()
        .unwrap();
    let rows = String::from_utf8_lossy(&rows.stdout);
    let app_users: BTreeMap<String, (Option<String>, Option<String>, bool)> = rows
        .lines()
        .map(|line| {
            let fields: Vec<&str> = line.split('|').collect();
            let text = |s: &str| (!s.is_empty()).then(|| s.to_owned());
            (
                fields[0].to_owned(),
                (text(fields[1]), text(fields[2]), fields[3] == "t"),
            )
        })
        .collect();
    assert_eq!(
        app_users,
        expected_app_users(),
        "after Svix-style retries, as in order"
    );
    let _ = receiver.kill();
    let _ = receiver.wait();
}
