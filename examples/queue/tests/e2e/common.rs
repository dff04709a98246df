//! What the queue's end-to-end tests share: the example binary as a child process, a
//! stand-in `NOTIFY_URL` that records every call, and signed deliveries over HTTP.

use std::collections::HashMap;
use std::io::Read;
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing;
use clerk_webhook_testkit::TEST_SECRET;
use clerk_webhook_testkit::deliveries::{Delivery, now, user_created, verifier};

pub(crate) const BINARY: &str = env!("CARGO_BIN_EXE_example-queue");

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free loopback port")
}

/// A fresh directory for one test's SQLite file, removed on drop.
pub(crate) struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!(
            "example-queue-{name}-{}-{}",
            std::process::id(),
            now()
        ));
        std::fs::create_dir_all(&dir).expect("a temporary directory");
        Self(dir)
    }

    pub(crate) fn sqlite_url(&self) -> String {
        format!("sqlite://{}/queue.db", self.0.display())
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The settings every test process gets: fast polling and backoff, nothing from a
/// developer's `.env` (the process runs in the temporary directory).
fn command(env: &[(&str, &str)]) -> Command {
    let mut command = Command::new(BINARY);
    command
        .current_dir(std::env::temp_dir())
        .env("CLERK_WEBHOOK_SIGNING_SECRET", TEST_SECRET)
        .env("HOST", "127.0.0.1")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .env("QUEUE_POLL_MS", "100")
        .env("RETRY_BACKOFF_MIN_MS", "100")
        .env("RETRY_BACKOFF_MAX_MS", "400")
        .env_remove("WORKERS")
        .env_remove("NOTIFY_ATTEMPTS")
        .env_remove("NOTIFY_TIMEOUT")
        .env_remove("JOB_LEASE_SECS")
        .envs(env.iter().copied())
        .stdin(Stdio::null());
    command
}

/// `example-queue <args>` to completion (`jobs`, `retry-dead`, a start-up failure).
pub(crate) fn run(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(env)
        .args(args)
        .output()
        .expect("the example binary runs")
}

/// `example-queue` without a signing secret, to completion.
pub(crate) fn run_without_secret(env: &[(&str, &str)]) -> Output {
    command(env)
        .env_remove("CLERK_WEBHOOK_SIGNING_SECRET")
        .output()
        .expect("the example binary runs")
}

/// `example-queue jobs`, its standard output.
pub(crate) fn jobs(database_url: &str) -> String {
    let output = run(&["jobs"], &[("DATABASE_URL", database_url)]);
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The summary line of `example-queue jobs` once every job is done.
pub(crate) const NOTHING_LEFT: &str = "0 pending, 0 running, 0 failed, 0 dead";

/// Waits until the last line of `example-queue jobs` is `summary`; returns the listing.
pub(crate) fn wait_for_jobs(database_url: &str, limit: Duration, summary: &str) -> String {
    let started = Instant::now();
    loop {
        let listing = jobs(database_url);
        if listing.lines().last() == Some(summary) {
            return listing;
        }
        assert!(
            started.elapsed() < limit,
            "jobs never showed {summary:?}; last listing:\n{listing}"
        );
        thread::sleep(Duration::from_millis(200));
    }
}

/// A running `example-queue` (receiver and workers) and everything it printed.
pub(crate) struct QueueProcess {
    child: Child,
    pub(crate) port: u16,
    output: Arc<Mutex<String>>,
}

impl QueueProcess {
    /// Starts the process and waits until it listens.
    pub(crate) fn start(env: &[(&str, &str)]) -> Self {
        let process = Self::spawn(&[], env);
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", process.port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "never listened\n{}",
                process.output()
            );
            thread::sleep(Duration::from_millis(50));
        }
        process
    }

    fn spawn(args: &[&str], env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = command(env)
            .args(args)
            .env("PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the example binary starts");
        let output = Arc::new(Mutex::new(String::new()));
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let output = Arc::clone(&output);
            thread::spawn(move || collect(pipe, &output));
        }
        Self {
            child,
            port,
            output,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/api/webhooks", self.port)
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    pub(crate) fn output(&self) -> String {
        self.output.lock().map(|o| o.clone()).unwrap_or_default()
    }

    pub(crate) fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([&format!("-{signal}"), &self.pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{signal}");
    }

    /// Waits for the process to exit and returns its exit code.
    pub(crate) fn wait(&mut self, limit: Duration) -> Option<i32> {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                return status.code();
            }
            assert!(
                started.elapsed() < limit,
                "no exit within {limit:?}\n{}",
                self.output()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

/// `example-queue worker`: the workers only.
pub(crate) struct WorkerProcess(QueueProcess);

impl WorkerProcess {
    pub(crate) fn start(env: &[(&str, &str)]) -> Self {
        Self(QueueProcess::spawn(&["worker"], env))
    }

    /// SIGTERM, then exit code 0.
    pub(crate) fn stop(&mut self) {
        self.0.signal("TERM");
        assert_eq!(
            self.0.wait(Duration::from_secs(30)),
            Some(0),
            "{}",
            self.0.output()
        );
    }
}

impl Drop for QueueProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn collect(mut pipe: impl Read, into: &Mutex<String>) {
    let mut buf = [0u8; 4096];
    while let Ok(n) = pipe.read(&mut buf) {
        if n == 0 {
            break;
        }
        if let Ok(mut into) = into.lock() {
            into.push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    }
}

/// One call the stand-in `NOTIFY_URL` received.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    pub(crate) key: String,
    pub(crate) body: String,
    /// When it arrived.
    pub(crate) at: Instant,
    /// What it answered.
    pub(crate) status: u16,
}

/// How the stand-in `NOTIFY_URL` answers a call with `key`, knowing how many calls with
/// that key came before.
pub(crate) type Behaviour = dyn Fn(&str, usize) -> StatusCode + Send + Sync;

#[derive(Clone)]
struct NotifyState {
    calls: Arc<Mutex<Vec<Call>>>,
    delay: Duration,
    behaviour: Arc<Mutex<Arc<Behaviour>>>,
}

/// A stand-in for a mail API on loopback: records every call (its `Idempotency-Key` and
/// body), waits `delay`, then answers what the behaviour says.
pub(crate) struct NotifyServer {
    pub(crate) url: String,
    state: NotifyState,
}

impl NotifyServer {
    pub(crate) fn start(
        delay: Duration,
        behaviour: impl Fn(&str, usize) -> StatusCode + Send + Sync + 'static,
    ) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().expect("an address");
        listener.set_nonblocking(true).expect("non-blocking");
        let state = NotifyState {
            calls: Arc::default(),
            delay,
            behaviour: Arc::new(Mutex::new(Arc::new(behaviour))),
        };
        let app = axum::Router::new()
            .route("/notify", routing::post(record))
            .with_state(state.clone());
        thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
                let _ = axum::serve(listener, app).await;
            });
        });
        Self {
            url: format!("http://{addr}/notify"),
            state,
        }
    }

    /// From now on, answer as `behaviour` says.
    pub(crate) fn answer_with(
        &self,
        behaviour: impl Fn(&str, usize) -> StatusCode + Send + Sync + 'static,
    ) {
        *self.state.behaviour.lock().expect("behaviour") = Arc::new(behaviour);
    }

    pub(crate) fn calls(&self) -> Vec<Call> {
        self.state.calls.lock().expect("calls").clone()
    }

    /// Calls per `Idempotency-Key`.
    pub(crate) fn counts(&self) -> HashMap<String, usize> {
        let mut counts = HashMap::new();
        for call in self.calls() {
            *counts.entry(call.key).or_insert(0) += 1;
        }
        counts
    }

    /// Waits until `done` holds for the calls so far, or panics after `limit`.
    pub(crate) fn wait_until(&self, limit: Duration, what: &str, done: impl Fn(&[Call]) -> bool) {
        let started = Instant::now();
        while !done(&self.calls()) {
            assert!(
                started.elapsed() < limit,
                "{what}: not within {limit:?}; calls: {:?}",
                self.counts()
            );
            thread::sleep(Duration::from_millis(20));
        }
    }
}

async fn record(State(state): State<NotifyState>, headers: HeaderMap, body: String) -> StatusCode {
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    // Recorded on arrival: a mail API has sent the email even if its answer is lost.
    let status = {
        let behaviour = Arc::clone(&state.behaviour.lock().expect("behaviour"));
        let mut calls = state.calls.lock().expect("calls");
        let before = calls.iter().filter(|call| call.key == key).count();
        let status = behaviour(&key, before);
        calls.push(Call {
            key,
            body,
            at: Instant::now(),
            status: status.as_u16(),
        });
        status
    };
    tokio::time::sleep(state.delay).await;
    status
}

/// `user.created`, signed now as message `id`.
pub(crate) fn delivery(id: &str) -> Delivery {
    Delivery::sign(&verifier(TEST_SECRET), id, now(), user_created())
}

/// The sample's `data`, as the worker must send it.
pub(crate) fn sample_data() -> serde_json::Value {
    let body: serde_json::Value =
        serde_json::from_slice(&user_created()).expect("the sample is JSON");
    body["data"].clone()
}

/// POSTs `delivery` to `url`; the status, or the connection error.
pub(crate) async fn post(
    client: &reqwest::Client,
    url: &str,
    delivery: &Delivery,
) -> Result<u16, String> {
    let mut request = client
        .post(url)
        .header("content-type", "application/json")
        .body(delivery.body.clone());
    for (name, value) in delivery.headers() {
        request = request.header(name, value);
    }
    request
        .send()
        .await
        .map(|response| response.status().as_u16())
        .map_err(|error| error.to_string())
}
