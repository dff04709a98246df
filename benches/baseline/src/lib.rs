//! Shared by the baseline servers: where to listen, and the answer.

use std::net::SocketAddr;

/// What every baseline answers, as the examples do.
pub const ANSWER: &str = "Webhook received";

/// `HOST` (default 127.0.0.1) and `PORT` (default 3000), or an error line.
///
/// # Errors
/// A message naming the bad variable.
pub fn listen_address() -> Result<SocketAddr, String> {
    let host = std::env::var("HOST").unwrap_or_else(|_| "127.0.0.1".to_owned());
    let port = std::env::var("PORT").unwrap_or_else(|_| "3000".to_owned());
    format!("{host}:{port}")
        .parse()
        .map_err(|_| format!("Invalid HOST {host:?} or PORT {port:?}"))
}

/// Prints `message` and exits 1.
pub fn exit_with(message: impl std::fmt::Display) -> ! {
    eprintln!("{message}");
    std::process::exit(1)
}
