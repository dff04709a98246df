//! What "local only" means for the dev server: it signs whatever it is asked to with the
//! real secret, so it listens on loopback unless told otherwise, and answers only requests
//! addressed to a loopback name (a web page on another site, or a DNS-rebound name, cannot
//! use it from the developer's browser).

use std::net::{IpAddr, SocketAddr};

/// The flag that lets `--listen` take an address other than loopback.
pub const ALLOW_REMOTE_FLAG: &str = "--allow-remote";

/// Checks the `--listen` address: `Ok(None)` for loopback; for any other address, an
/// error unless `allow_remote`, and otherwise the warning to print at start-up.
///
/// # Errors
/// The one-line message for a non-loopback address without `--allow-remote`.
pub fn check_listen_address(
    address: SocketAddr,
    allow_remote: bool,
) -> Result<Option<String>, String> {
    if address.ip().to_canonical().is_loopback() {
        return Ok(None);
    }
    if !allow_remote {
        return Err(format!(
            "--listen {address} is not a loopback address: anyone who can reach it could have payloads of their choosing signed with your secret. Listen on 127.0.0.1 or [::1], or add {ALLOW_REMOTE_FLAG} if you mean it (inside a container whose port is published on the host's loopback, say)"
        ));
    }
    Ok(Some(format!(
        "  WARNING: listening on {address}, not loopback ({ALLOW_REMOTE_FLAG}): ANYONE WHO CAN REACH THIS ADDRESS can have payloads of their choosing signed with your secret and read the signatures back. Use it only where nobody else can connect."
    )))
}

/// Whether a `Host` header names this machine's loopback: `localhost`, a name under
/// `.localhost`, or a loopback IP address, each with an optional `:port`. A bracketed IPv6
/// literal must be followed by nothing or `:port` (`[::1].attacker.com` is not loopback).
#[must_use]
pub fn is_loopback_host(host: &str) -> bool {
    let Some(name) = host_name(host) else {
        return false;
    };
    if let Some(literal) = name.strip_prefix('[') {
        // `host_name` keeps the brackets only around an IPv6 literal.
        return literal
            .strip_suffix(']')
            .and_then(|literal| literal.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|ip| IpAddr::V6(ip).to_canonical().is_loopback());
    }
    let name = name.strip_suffix('.').unwrap_or(name).to_ascii_lowercase();
    name == "localhost"
        || (name.ends_with(".localhost") && is_dns_name(&name))
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// The host part of `host[:port]` (RFC 9110 `Host`): a bracketed IPv6 literal with its
/// brackets, or a name without a colon; `None` when what follows is not `:port`.
fn host_name(host: &str) -> Option<&str> {
    let (name, port) = if host.starts_with('[') {
        let end = host.find(']')?;
        let (literal, rest) = host.split_at(end + 1);
        match rest {
            "" => (literal, None),
            _ => (literal, Some(rest.strip_prefix(':')?)),
        }
    } else {
        match host.split_once(':') {
            Some((name, port)) => (name, Some(port)),
            None => (host, None),
        }
    };
    let port_is_valid = port.is_none_or(|port| {
        port.is_empty() || (port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok())
    });
    (port_is_valid && !name.is_empty()).then_some(name)
}

/// Letters, digits, hyphens and dots, as in a DNS name.
fn is_dns_name(name: &str) -> bool {
    name.split('.').all(|label| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts_are_recognised_and_lookalikes_are_not() {
        for host in [
            "localhost",
            "LOCALHOST:3030",
            "localhost.",
            "app.localhost:80",
            "127.0.0.1",
            "127.0.0.1:3030",
            "127.1.2.3:1",
            "[::1]",
            "[::1]:3030",
            "[::ffff:127.0.0.1]:3030",
            "localhost:",
        ] {
            assert!(is_loopback_host(host), "{host:?} is loopback");
        }
        for host in [
            "",
            "[::1].attacker.com",
            "[::1]attacker.com",
            "[::1]:3030.attacker.com",
            "[::1]:3030:80",
            "[::1",
            "[localhost]",
            "[127.0.0.1]",
            "::1",
            "::1:3030",
            "localhost.attacker.com",
            "attacker.com.localhost.evil",
            "localhost:3030.attacker.com",
            "localhost:99999",
            "127.0.0.1.attacker.com",
            "evil/.localhost",
            "..localhost",
            "10.0.0.1:3030",
            "[::]:3030",
            "0.0.0.0",
        ] {
            assert!(!is_loopback_host(host), "{host:?} is not loopback");
        }
    }

    #[test]
    fn only_loopback_listens_without_the_flag() {
        let loopback: SocketAddr = "127.0.0.1:3030".parse().unwrap();
        let v6: SocketAddr = "[::1]:3030".parse().unwrap();
        assert_eq!(check_listen_address(loopback, false), Ok(None));
        assert_eq!(check_listen_address(v6, false), Ok(None));
        for remote in ["0.0.0.0:3030", "[::]:3030", "192.168.1.2:3030"] {
            let remote: SocketAddr = remote.parse().unwrap();
            let refused = check_listen_address(remote, false).unwrap_err();
            assert!(refused.contains(ALLOW_REMOTE_FLAG), "{refused}");
            let warning = check_listen_address(remote, true).unwrap().unwrap();
            assert!(warning.contains("WARNING"), "{warning}");
            assert!(warning.contains(&remote.to_string()), "{warning}");
        }
    }
}
