//! The example server under test: a child process, its output, and a raw TCP client.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::HeaderTimeout;
use super::wire::{RawResponse, read_response};
use crate::deliveries::WEBHOOK_PATH;

const STARTUP_TIMEOUT: Duration = Duration::from_secs(60);
const IO_TIMEOUT: Duration = Duration::from_secs(20);

pub(super) fn base_command(binary: &str, port: u16) -> Command {
    let mut command = Command::new(binary);
    command
        // Away from the repository, so no developer's `.env` is read.
        .current_dir(std::env::temp_dir())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("RUST_LOG", "info")
        .env_remove("WEBHOOK_BODY_TIMEOUT")
        .env_remove("WEBHOOK_HEADER_TIMEOUT")
        .env("RUST_BACKTRACE", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    command
}

pub(super) fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    listener.local_addr().expect("a bound address").port()
}

/// A running example server and everything it has printed.
pub(super) struct Server {
    child: Mutex<Child>,
    port: u16,
    output: Arc<Mutex<String>>,
    pub(super) header_timeout: HeaderTimeout,
}

impl Server {
    pub(super) fn start(
        binary: &str,
        secret: &str,
        env: &[(&str, &str)],
        header_timeout: HeaderTimeout,
    ) -> Self {
        let port = free_port();
        let mut child = base_command(binary, port)
            .envs(env.iter().copied())
            .env("CLERK_WEBHOOK_SIGNING_SECRET", secret)
            .spawn()
            .expect("the example binary starts");
        let output = Arc::new(Mutex::new(String::new()));
        if let Some(stdout) = child.stdout.take() {
            collect(stdout, Arc::clone(&output));
        }
        if let Some(stderr) = child.stderr.take() {
            collect(stderr, Arc::clone(&output));
        }
        let server = Self {
            child: Mutex::new(child),
            port,
            output,
            header_timeout,
        };
        server.wait_until_listening();
        server
    }

    pub(super) fn wait_until_listening(&self) {
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            if let Ok(Some(status)) = self.child.lock().unwrap().try_wait() {
                panic!(
                    "server exited with {status} before listening\n{}",
                    self.output()
                );
            }
            assert!(
                started.elapsed() < STARTUP_TIMEOUT,
                "server never listened\n{}",
                self.output()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    pub(super) fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    pub(super) fn check(&self, name: &str, check: fn(&Self)) {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(self)));
        if let Err(panic) = result {
            let _ = self.child.lock().unwrap().kill();
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_default();
            panic!(
                "e2e check {name:?} failed: {message}\n--- server output ---\n{}",
                self.output()
            );
        }
    }

    pub(super) fn url(&self) -> String {
        format!("http://127.0.0.1:{}{WEBHOOK_PATH}", self.port)
    }

    pub(super) fn connect(&self) -> TcpStream {
        let stream = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        stream.set_read_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream.set_write_timeout(Some(IO_TIMEOUT)).expect("timeout");
        stream
    }

    /// Sends one request on a fresh connection and reads the response to the end.
    pub(super) fn exchange(&self, request: &[u8]) -> RawResponse {
        let mut stream = self.connect();
        // The server may answer and close before reading all of an oversized body.
        let _ = stream.write_all(request);
        read_response(&mut stream)
    }

    pub(super) fn wait_for_log(&self, needle: &str) {
        let started = Instant::now();
        while !self.output().contains(needle) {
            assert!(
                started.elapsed() < IO_TIMEOUT,
                "no log line containing {needle:?}"
            );
            thread::sleep(Duration::from_millis(20));
        }
    }

    pub(super) fn terminate(&self) {
        let pid = self.child.lock().unwrap().id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -TERM {pid}");
    }

    pub(super) fn wait_for_exit(&self) -> ExitStatus {
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.lock().unwrap().try_wait().expect("wait") {
                return status;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "no exit after SIGTERM\n{}",
                self.output()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(mut child) = self.child.lock() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(super) fn collect(mut pipe: impl Read + Send + 'static, into: Arc<Mutex<String>>) {
    thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
}
