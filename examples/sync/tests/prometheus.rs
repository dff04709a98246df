//! A real Prometheus server (Debian's `prometheus`) scrapes `example-sync`'s METRICS_ADDR
//! every second while the test sends a known mix of deliveries; PromQL through its HTTP
//! API gives back exactly what was sent. Forged deliveries with random `type` values add
//! no series.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clerk_webhook_core::WebhookVerifier;
use clerk_webhook_core::testing::{SignedDelivery, unix_now};
use clerk_webhook_testkit::{TEST_SECRET, WRONG_SECRET};
use common::{free_port, get_body, post, start_with, wait_for};
use serde_json::{Value, json};

fn user_created(n: usize) -> String {
    json!({"type": "user.created", "object": "event", "timestamp": unix_now(),
        "data": {"object": "user", "id": format!("user_m{n}"), "first_name": "M", "email_addresses": [],
            "created_at": 1000, "updated_at": 1000}})
    .to_string()
}

struct Prometheus {
    child: Child,
    port: u16,
    dir: std::path::PathBuf,
}

impl Prometheus {
    fn scraping(target: u16) -> Self {
        let dir =
            std::env::temp_dir().join(format!("example-sync-prometheus-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        std::fs::write(
            &config,
            format!(
                "global: {{scrape_interval: 1s, evaluation_interval: 1s}}\n\
                 scrape_configs:\n  - job_name: clerk-webhooks\n    static_configs:\n      - targets: ['127.0.0.1:{target}']\n"
            ),
        )
        .unwrap();
        let port = free_port();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|error| {
                panic!("prometheus: {error} (apt-get install prometheus; .ci/run does)")
            });
        wait_for(port);
        Self { child, port, dir }
    }

    /// The instant vector of `query`, as {labels → value}.
    fn query(&self, query: &str) -> BTreeMap<String, f64> {
        let mut path = String::from("/api/v1/query?query=");
        for byte in query.bytes() {
            if byte.is_ascii_alphanumeric() || b"_-.".contains(&byte) {
                path.push(byte as char);
            } else {
                path.push_str(&format!("%{byte:02X}"));
            }
        }
        let (status, body) = get_body(self.port, &path).unwrap();
        assert_eq!(status, 200, "{query}: {body}");
        let body: Value = serde_json::from_str(&body).unwrap();
        body["data"]["result"]
            .as_array()
            .unwrap()
            .iter()
            .map(|series| {
                let labels = series["metric"].to_string();
                let value = series["value"][1].as_str().unwrap().parse().unwrap();
                (labels, value)
            })
            .collect()
    }

    /// Polls `query` until it equals `expected` (scrapes come every second).
    fn wait_for(&self, query: &str, expected: &BTreeMap<String, f64>) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.query(query);
            if &got == expected {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{query}: got {got:?}, expected {expected:?}"
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn by(label: &str, values: &[(&str, f64)]) -> BTreeMap<String, f64> {
    values
        .iter()
        .map(|(value, count)| (json!({ label: value }).to_string(), *count))
        .collect()
}

#[test]
fn prometheus_counts_exactly_what_was_sent() {
    let binary = env!("CARGO_BIN_EXE_example-sync");
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/metrics.db", dir.path().display());
    let (port, metrics_port) = (free_port(), free_port());
    let metrics_addr = format!("127.0.0.1:{metrics_port}");
    let mut receiver = start_with(
        binary,
        &url,
        port,
        &[("METRICS_ADDR", metrics_addr.as_str())],
    );
    wait_for(port);
    wait_for(metrics_port);
    let prometheus = Prometheus::scraping(metrics_port);

    let verifier = WebhookVerifier::new(TEST_SECRET).unwrap();
    let forger = WebhookVerifier::new(WRONG_SECRET).unwrap();
    let send = |delivery: &SignedDelivery| post(port, delivery).unwrap();
    // 5 valid, 2 duplicates of them, 3 forged, 2 stale, 2 drifted, 1 unusable.
    for n in 0..5 {
        assert_eq!(
            send(&SignedDelivery::sign(
                &verifier,
                format!("msg_v{n}"),
                unix_now(),
                user_created(n)
            )),
            200
        );
    }
    for n in 0..2 {
        assert_eq!(
            send(&SignedDelivery::sign(
                &verifier,
                format!("msg_v{n}"),
                unix_now(),
                user_created(n)
            )),
            200
        );
    }
    for n in 0..3 {
        assert_eq!(
            send(&SignedDelivery::sign(
                &forger,
                format!("msg_f{n}"),
                unix_now(),
                user_created(n)
            )),
            400
        );
    }
    for n in 0..2 {
        let delivery = SignedDelivery::sign(
            &verifier,
            format!("msg_s{n}"),
            unix_now() - 600,
            user_created(n),
        );
        assert_eq!(send(&delivery), 400);
    }
    for n in 0..2 {
        let mut drifted: Value = serde_json::from_str(&user_created(10 + n)).unwrap();
        drifted["data"]["created_at"] = json!("2024-05-28T00:00:00Z");
        let delivery = SignedDelivery::sign(
            &verifier,
            format!("msg_d{n}"),
            unix_now(),
            drifted.to_string(),
        );
        assert_eq!(send(&delivery), 200);
    }
    assert_eq!(
        send(&SignedDelivery::sign(
            &verifier,
            "msg_u0",
            unix_now(),
            "not json"
        )),
        400
    );

    prometheus.wait_for(
        "sum by (outcome) (clerk_webhook_deliveries_total)",
        &by(
            "outcome",
            &[
                ("accepted", 7.0),
                ("drifted", 2.0),
                ("stale", 2.0),
                ("unusable", 1.0),
                ("unverified", 3.0),
            ],
        ),
    );
    prometheus.wait_for(
        "sum by (event_type) (clerk_webhook_deliveries_total)",
        &by("event_type", &[("none", 6.0), ("user.created", 9.0)]),
    );
    prometheus.wait_for(
        "sum by (outcome) (clerk_sync_changes_total)",
        &by(
            "outcome",
            &[("duplicate", 2.0), ("inserted", 5.0), ("quarantined", 2.0)],
        ),
    );
    prometheus.wait_for("clerk_sync_quarantined", &BTreeMap::from([(json!({"__name__": "clerk_sync_quarantined", "instance": metrics_addr, "job": "clerk-webhooks"}).to_string(), 2.0)]));
    prometheus.wait_for(
        "count(clerk_sync_lag_seconds_count)",
        &BTreeMap::from([("{}".to_owned(), 1.0)]),
    );
    let series = prometheus.query("count(clerk_webhook_deliveries_total)");

    // The cardinality rule: 1,000 forged deliveries with random types add no series.
    for n in 0..1_000 {
        let body = json!({"type": format!("evil.{n}.{}", unix_now()), "data": {}}).to_string();
        assert_eq!(
            send(&SignedDelivery::sign(
                &forger,
                format!("msg_r{n}"),
                unix_now(),
                body
            )),
            400
        );
    }
    prometheus.wait_for(
        "sum by (outcome) (clerk_webhook_deliveries_total{outcome=\"unverified\"})",
        &by("outcome", &[("unverified", 1_003.0)]),
    );
    assert_eq!(
        prometheus.query("count(clerk_webhook_deliveries_total)"),
        series,
        "no new series"
    );
    let (_, text) = get_body(metrics_port, "/metrics").unwrap();
    assert!(!text.contains("evil."), "a forged type became a label");
    let _ = receiver.kill();
    let _ = receiver.wait();
}
