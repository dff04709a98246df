//! Shared by the multi-process tests: a history of user events, what in-order delivery
//! leaves in `app_users`, and a plain HTTP/1.1 client and process starter.
#![allow(
    dead_code,
    unreachable_pub,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic
)]

use std::collections::BTreeMap;
use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use clerk_webhook_core::testing::SignedDelivery;
use clerk_webhook_testkit::TEST_SECRET;
use serde_json::{Value, json};

pub const USERS: usize = 40;

/// One user's history, in order: created, `n % 4` updates, deleted when `n % 3 == 0`.
pub fn history() -> Vec<Value> {
    let mut events = Vec::new();
    for n in 0..USERS {
        let updates = n % 4;
        for version in 0..=updates {
            let action = if version == 0 { "created" } else { "updated" };
            let version = 100 + version as i64;
            events.push(json!({
                "type": format!("user.{action}"), "object": "event", "timestamp": 1_716_883_200 + version,
                "data": {"object": "user", "id": format!("user_{n}"), "first_name": format!("v{version}"),
                    "last_name": null, "username": format!("u{n}"), "primary_email_address_id": "idn_1",
                    "email_addresses": [{"id": "idn_1", "email_address": format!("u{n}.v{version}@example.com")}],
                    "created_at": 1000, "updated_at": version}
            }));
        }
        if n % 3 == 0 {
            events.push(
                json!({"type": "user.deleted", "object": "event", "timestamp": 1_716_890_000,
                "data": {"object": "user", "id": format!("user_{n}"), "deleted": true}}),
            );
        }
    }
    events
}

/// What `app_users` must hold after in-order delivery: (email, display name, deleted).
pub fn expected_app_users() -> BTreeMap<String, (Option<String>, Option<String>, bool)> {
    (0..USERS)
        .map(|n| {
            let version = 100 + (n % 4) as i64;
            let row = if n % 3 == 0 {
                (None, None, true)
            } else {
                (
                    Some(format!("u{n}.v{version}@example.com")),
                    Some(format!("v{version}")),
                    false,
                )
            };
            (format!("user_{n}"), row)
        })
        .collect()
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// POSTs one signed delivery; the status code, or `None` when the server is not there.
pub fn post(port: u16, delivery: &SignedDelivery) -> Option<u16> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let mut request = format!(
        "POST /api/webhooks HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
         content-length: {}\r\nconnection: close\r\n",
        delivery.body.len()
    );
    for (name, value) in delivery.headers() {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    stream.write_all(&delivery.body).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    response.split_whitespace().nth(1)?.parse().ok()
}

pub fn start(binary: &str, database_url: &str, port: u16) -> Child {
    start_with(binary, database_url, port, &[])
}

/// [`start`] with more environment variables.
pub fn start_with(binary: &str, database_url: &str, port: u16, env: &[(&str, &str)]) -> Child {
    Command::new(binary)
        .current_dir(std::env::temp_dir())
        .env("DATABASE_URL", database_url)
        .env("CLERK_WEBHOOK_SIGNING_SECRET", TEST_SECRET)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("RUST_LOG", "warn")
        .env_remove("SYNC_API_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

pub fn wait_for(port: u16) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "example-sync on {port} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `GET path`; the status code, or `None` when the server is not there.
pub fn get(port: u16, path: &str) -> Option<u16> {
    get_body(port, path).map(|(status, _)| status)
}

/// `GET path`: the status code and the body (not chunked: `connection: close`, HTTP/1.0).
pub fn get_body(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    let request = format!("GET {path} HTTP/1.0\r\nhost: 127.0.0.1\r\nconnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Some((status, body.to_owned()))
}

/// A private PostgreSQL cluster of the installed server (`initdb` and `pg_ctl`, run as
/// the `postgres` user) in a temporary folder, on its own port: a database a test may
/// stop and start. Removed on drop.
pub struct PrivatePostgres {
    pub port: u16,
    dir: std::path::PathBuf,
}

const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

fn as_postgres(program: &str, args: &[&str]) {
    let output = Command::new("runuser")
        .args(["-u", "postgres", "--", &format!("{PG_BIN}/{program}")])
        .args(args)
        .output()
        .unwrap_or_else(|error| panic!("runuser {program}: {error} (the test runs as root)"));
    assert!(output.status.success(), "{program} {args:?}: {output:?}");
}

impl PrivatePostgres {
    pub fn start() -> Self {
        let dir = std::env::temp_dir().join(format!("example-sync-pg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let chown = Command::new("chown")
            .args(["postgres:postgres"])
            .arg(&dir)
            .status()
            .unwrap();
        assert!(chown.success());
        let data = dir.join("data");
        as_postgres(
            "initdb",
            &[
                "-D",
                data.to_str().unwrap(),
                "-A",
                "trust",
                "-U",
                "postgres",
            ],
        );
        let cluster = Self {
            port: free_port(),
            dir,
        };
        cluster.resume();
        cluster
    }

    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Stops the server (fast: open connections are cut).
    pub fn stop(&self) {
        let data = self.dir.join("data");
        as_postgres(
            "pg_ctl",
            &["-D", data.to_str().unwrap(), "-m", "fast", "-w", "stop"],
        );
    }

    /// Starts it again on the same port.
    pub fn resume(&self) {
        let data = self.dir.join("data");
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("log");
        as_postgres(
            "pg_ctl",
            &[
                "-D",
                data.to_str().unwrap(),
                "-o",
                &options,
                "-l",
                log.to_str().unwrap(),
                "-w",
                "start",
            ],
        );
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        let data = self.dir.join("data");
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", &format!("{PG_BIN}/pg_ctl")])
            .args([
                "-D",
                data.to_str().unwrap_or_default(),
                "-m",
                "immediate",
                "stop",
            ])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
