//! `clerk-webhook dev`'s JSON API over loopback, with the worker running on the real clock.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // Tests fail by panicking.

mod common;

use std::time::Duration;

use common::{Endpoint, Reply, SECRET, eventually, start_dev};
use serde_json::{Value, json};

struct Dev {
    base: String,
    client: reqwest::Client,
}

impl Dev {
    async fn start(forward_to: &str, time_scale: f64) -> Self {
        let base = start_dev(forward_to, SECRET, time_scale).await;
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    async fn get(&self, path: &str) -> (u16, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_str(&response.text().await.unwrap()).unwrap(),
        )
    }

    async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (
            status,
            serde_json::from_str(&response.text().await.unwrap()).unwrap(),
        )
    }

    async fn wait_for_status(&self, id: &str, status: &str) -> Value {
        let mut last = Value::Null;
        let reached = eventually(Duration::from_secs(10), async || {
            last = self.get(&format!("/api/messages/{id}")).await.1;
            last["status"] == status
        })
        .await;
        assert!(reached, "{id} never became {status}: {last:#}");
        last
    }
}

#[tokio::test]
async fn a_sample_is_created_delivered_and_shown_with_its_attempt() {
    let endpoint = Endpoint::start(vec![], Reply::status(200)).await;
    let dev = Dev::start(&endpoint.url, 1.0).await;
    let (status, created) = dev
        .post("/api/messages", json!({"event_type": "user.created"}))
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert!(id.starts_with("msg_"));

    let message = dev.wait_for_status(&id, "succeeded").await;
    assert_eq!(message["event_type"], "user.created");
    assert_eq!(message["next_attempt_at"], Value::Null);
    assert_eq!(message["payload"]["type"], "user.created");
    assert!(message["created_at"].as_str().unwrap().ends_with('Z'));
    let attempt = &message["attempts"][0];
    assert_eq!(attempt["status_code"], 200);
    assert_eq!(attempt["error"], Value::Null);
    assert_eq!(attempt["response_body"], "answer 200");
    assert!(attempt["latency_ms"].is_u64());
    assert_eq!(attempt["request_headers"]["svix-id"], id.as_str());
    assert!(
        attempt["request_headers"]["svix-signature"]
            .as_str()
            .unwrap()
            .starts_with("v1,")
    );
    let shown = serde_json::to_string(&message).unwrap();
    assert!(
        !shown.contains(SECRET.trim_start_matches("whsec_")),
        "the secret is never shown"
    );
}

#[tokio::test]
async fn payloads_and_injected_json_become_messages_listed_newest_first() {
    let endpoint = Endpoint::start(vec![], Reply::status(200)).await;
    let dev = Dev::start(&endpoint.url, 1.0).await;
    let payload = json!({"type": "user.deleted", "object": "event", "data": {"id": "user_1", "deleted": true}});
    let (status, first) = dev
        .post("/api/messages", json!({ "payload": payload }))
        .await;
    assert_eq!(status, 201);
    let raw = br#"{"type":"organization.created","data":{"id":"org_1"},  "object":"event"}"#;
    let response = dev
        .client
        .post(format!("{}/in", dev.base))
        .body(raw.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        201,
        "any JSON, any content type"
    );
    let second: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    dev.wait_for_status(second["id"].as_str().unwrap(), "succeeded")
        .await;
    dev.wait_for_status(first["id"].as_str().unwrap(), "succeeded")
        .await;

    let (_, list) = dev.get("/api/messages").await;
    let ids: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            second["id"].as_str().unwrap(),
            first["id"].as_str().unwrap()
        ]
    );
    assert_eq!(list[0]["event_type"], "organization.created");
    let bodies: Vec<Vec<u8>> = endpoint.received().into_iter().map(|r| r.body).collect();
    assert!(
        bodies.contains(&raw.to_vec()),
        "injected bytes are sent exactly as received"
    );
}

#[tokio::test]
async fn bad_requests_get_a_json_error() {
    let endpoint = Endpoint::start(vec![], Reply::status(200)).await;
    let dev = Dev::start(&endpoint.url, 1.0).await;
    for body in [
        json!({"event_type": "user.nonexistent"}),
        json!({}),
        json!({"event_type": "user.created", "payload": {}}),
        json!({"payload": [1, 2]}),
        json!({"evnt_type": "user.created"}),
    ] {
        let (status, answer) = dev.post("/api/messages", body.clone()).await;
        assert_eq!(status, 400, "{body}");
        assert!(answer["error"].is_string(), "{body}: {answer}");
    }
    let response = dev
        .client
        .post(format!("{}/in", dev.base))
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 400);
    assert_eq!(dev.get("/api/messages/msg_nope").await.0, 404);
    assert_eq!(
        dev.post("/api/messages/msg_nope/resend", json!({})).await.0,
        404
    );
    assert_eq!(dev.get("/api/messages?status=weird").await.0, 400);
    assert_eq!(
        dev.post("/api/recover", json!({"since": "yesterday"}))
            .await
            .0,
        400
    );
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_then_failed_and_resend_and_recover_work() {
    let endpoint = Endpoint::start(vec![], Reply::status(500)).await;
    // 0.000 01: Svix's whole schedule (27 h 35 min) takes 1 s.
    let dev = Dev::start(&endpoint.url, 0.000_01).await;
    let (_, created) = dev
        .post("/api/messages", json!({"event_type": "user.created"}))
        .await;
    let id = created["id"].as_str().unwrap();
    let message = dev.wait_for_status(id, "failed").await;
    assert_eq!(message["attempts"].as_array().unwrap().len(), 8);
    assert!(
        message["attempts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["status_code"] == 500)
    );
    let (_, failed) = dev.get("/api/messages?status=failed").await;
    assert_eq!(failed.as_array().unwrap().len(), 1);
    assert_eq!(dev.get("/api/messages?status=succeeded").await.1, json!([]));

    endpoint.set_otherwise(Reply::status(200));
    let (status, resent) = dev
        .post(&format!("/api/messages/{id}/resend"), json!({}))
        .await;
    assert_eq!(status, 200);
    assert_eq!(resent["status"], "succeeded");
    assert_eq!(resent["attempts"].as_array().unwrap().len(), 9);
    assert_eq!(resent["attempts"][8]["trigger"], "manual");

    endpoint.set_otherwise(Reply::status(500).with_header("webhook-delivery", "abort-message"));
    let (_, second) = dev
        .post("/api/messages", json!({"event_type": "user.updated"}))
        .await;
    let second = second["id"].as_str().unwrap();
    dev.wait_for_status(second, "failed").await;
    endpoint.set_otherwise(Reply::status(200));
    let (status, recovered) = dev.post("/api/recover", json!({"since": 0})).await;
    assert_eq!(status, 200);
    assert_eq!(recovered["resent"], 1);
    assert_eq!(recovered["succeeded"], 1);
    assert_eq!(
        dev.get(&format!("/api/messages/{second}")).await.1["status"],
        "succeeded"
    );
}

#[tokio::test]
async fn the_endpoint_is_shown_disabled_and_enabled() {
    let endpoint = Endpoint::start(
        vec![Reply::status(410).with_header("webhook-delivery", "disable")],
        Reply::status(200),
    )
    .await;
    let dev = Dev::start(&endpoint.url, 0.001).await;
    let (_, shown) = dev.get("/api/endpoint").await;
    assert_eq!(shown["url"], endpoint.url.as_str());
    assert_eq!(shown["enabled"], true);
    assert_eq!(shown["secret_hint"], "whsec_MfKQ…");
    assert_eq!(shown["development_secret"], false);

    let (_, created) = dev
        .post("/api/messages", json!({"event_type": "user.created"}))
        .await;
    let id = created["id"].as_str().unwrap();
    assert!(
        eventually(Duration::from_secs(5), async || dev
            .get("/api/endpoint")
            .await
            .1["enabled"]
            == false)
        .await
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, message) = dev.get(&format!("/api/messages/{id}")).await;
    assert_eq!(message["status"], "pending");
    assert_eq!(
        message["attempts"].as_array().unwrap().len(),
        1,
        "held while disabled"
    );
    assert_eq!(
        dev.post(&format!("/api/messages/{id}/resend"), json!({}))
            .await
            .0,
        409
    );

    let (status, enabled) = dev.post("/api/endpoint/enable", json!({})).await;
    assert_eq!((status, &enabled["enabled"]), (200, &json!(true)));
    dev.wait_for_status(id, "succeeded").await;
}

#[tokio::test]
async fn other_origins_and_rebound_host_names_are_refused() {
    let endpoint = Endpoint::start(vec![], Reply::status(200)).await;
    let dev = Dev::start(&endpoint.url, 1.0).await;
    let cross_origin = dev
        .client
        .post(format!("{}/in", dev.base))
        .header("origin", "https://evil.example")
        .header("content-type", "text/plain")
        .body(r#"{"type":"user.created","data":{}}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(cross_origin.status().as_u16(), 403);
    let rebound = dev
        .client
        .get(format!("{}/api/endpoint", dev.base))
        .header("host", "evil.example:3030")
        .send()
        .await
        .unwrap();
    assert_eq!(rebound.status().as_u16(), 403);
    let same_origin = dev
        .client
        .get(format!("{}/api/endpoint", dev.base))
        .header("origin", dev.base.as_str())
        .send()
        .await
        .unwrap();
    assert_eq!(same_origin.status().as_u16(), 200);
    assert_eq!(
        dev.get("/api/messages").await.1,
        json!([]),
        "nothing was injected"
    );
}

#[tokio::test]
async fn host_names_that_only_start_like_loopback_are_refused() {
    let endpoint = Endpoint::start(vec![], Reply::status(200)).await;
    let dev = Dev::start(&endpoint.url, 1.0).await;
    let port = dev.base.rsplit_once(':').unwrap().1;
    let answer = |host: String| {
        let request = dev
            .client
            .post(format!("{}/in", dev.base))
            .header("host", host)
            .body(r#"{"type":"user.created","data":{"id":"user_1"}}"#);
        async move { request.send().await.unwrap().status().as_u16() }
    };
    for host in [
        "[::1].attacker.com".to_owned(),
        format!("[::1]:{port}.attacker.com"),
        "[::1]attacker.com".to_owned(),
        format!("localhost:{port}.attacker.com"),
        "127.0.0.1.attacker.com".to_owned(),
    ] {
        assert_eq!(answer(host.clone()).await, 403, "Host {host}");
    }
    assert_eq!(
        dev.get("/api/messages").await.1,
        json!([]),
        "nothing was injected"
    );
    for host in [format!("[::1]:{port}"), format!("localhost:{port}")] {
        assert_eq!(answer(host.clone()).await, 201, "Host {host}");
    }
}

#[tokio::test]
async fn the_development_secret_is_recognised_without_its_whsec_prefix() {
    let bare = clerk_webhook_core::DEVELOPMENT_SECRET.trim_start_matches("whsec_");
    let info = clerk_webhook_dev::SecretInfo::of(bare);
    assert!(info.is_development_secret, "bare base64 is the same key");
    let endpoint = Endpoint::start(vec![], Reply::status(200)).await;
    let base = start_dev(&endpoint.url, bare, 1.0).await;
    let shown = reqwest::get(format!("{base}/api/endpoint"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let shown: Value = serde_json::from_str(&shown).unwrap();
    assert_eq!(shown["development_secret"], true, "{shown}");
    let own = clerk_webhook_dev::SecretInfo::of(SECRET);
    assert!(!own.is_development_secret);
}

#[tokio::test]
async fn event_types_and_samples_are_served_for_the_console() {
    let endpoint = Endpoint::start(vec![], Reply::status(200)).await;
    let dev = Dev::start(&endpoint.url, 1.0).await;
    let (_, types) = dev.get("/api/event-types").await;
    assert_eq!(types.as_array().unwrap().len(), 46);
    let (status, sample) = dev.get("/api/samples/user.created").await;
    assert_eq!((status, &sample["type"]), (200, &json!("user.created")));
    assert_eq!(dev.get("/api/samples/user.nope").await.0, 404);
}
