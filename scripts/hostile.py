"""Hostile clients against one running example server; see scripts/hostile.sh.

Usage: hostile.py PORT PID SECRET [CYCLES]  (prints one JSON line per attack and cycle)
Every loop is bounded in count and time, and talks only to 127.0.0.1.
"""
import base64, hashlib, hmac, json, resource, socket, sys, threading, time

PORT, PID, SECRET = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
KEY = base64.b64decode(SECRET.removeprefix("whsec_"))
BODY = json.dumps({"type": "user.created", "object": "event", "data": {"id": "user_hostile", "first_name": "Ada", "updated_at": 1}}).encode()


def rss_kib():
    for line in open(f"/proc/{PID}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def signed_request(body=BODY, msg_id="msg_hostile"):
    ts = str(int(time.time()))
    mac = hmac.new(KEY, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    sig = "v1," + base64.b64encode(mac).decode()
    head = (f"POST /api/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
            f"svix-id: {msg_id}\r\nsvix-timestamp: {ts}\r\nsvix-signature: {sig}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n").encode()
    return head, body


def status_of(data):
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0  # closed without an HTTP answer


def exchange(raw, timeout=10):
    with socket.create_connection(("127.0.0.1", PORT), timeout=timeout) as s:
        try:
            s.sendall(raw)
        except OSError:
            pass
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except OSError:
            pass
        return status_of(data)


def valid_ok():
    head, body = signed_request()
    return exchange(head + body) == 200


def time_to_close(sock, drip=None, limit=40.0):
    """Seconds until the server closes (or answers on) `sock`; `drip` bytes are sent one per second."""
    sock.settimeout(1.0)
    start = time.time()
    while time.time() - start < limit:
        try:
            data = sock.recv(4096)
            return round(time.time() - start, 1), status_of(data) if data else 0
        except socket.timeout:
            if drip:
                try:
                    sock.sendall(drip)
                except OSError:
                    return round(time.time() - start, 1), 0
        except OSError:
            return round(time.time() - start, 1), 0
    return None, None  # still open after the limit


def concurrent(n, make, measure):
    results = [None] * n
    def run(i):
        try:
            sock = make()
            results[i] = measure(sock)
            sock.close()
        except OSError as error:
            results[i] = ("error", str(error))
    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    return threads, results


def settle():
    """Lets closed connections finish and the allocator give back what the attack freed
    (jemalloc's decay is 10 s), serves 50 deliveries, and returns RSS in KiB."""
    time.sleep(12)
    for _ in range(50):
        valid_ok()
    return rss_kib()


def fifty_stuck_clients(out, first_bytes, drip=None):
    """50 clients send `first_bytes` (then `drip` once a second, if given) and never finish.
    Records whether a valid delivery gets 200 meanwhile, how many of the 50 the server
    closed or answered within 40 s, the slowest of those, and the statuses it answered."""
    def connect():
        s = socket.create_connection(("127.0.0.1", PORT), timeout=5)
        s.sendall(first_bytes)
        return s
    threads, results = concurrent(50, connect, lambda s: time_to_close(s, drip=drip))
    time.sleep(2)
    out["valid_meanwhile"] = valid_ok()
    for t in threads:
        t.join()
    ended = [r for r in results if isinstance(r, tuple) and r[0] is not None]
    out["closed"] = f"{len(ended)}/50"
    out["max_s"] = max(r[0] for r in ended) if ended else None
    out["statuses"] = sorted({r[1] for r in ended})


def slowloris(out):
    # Request line and one header, then one more header byte a second.
    fifty_stuck_clients(out, b"POST /api/webhooks HTTP/1.1\r\nHost: 127.0.0.1\r\n", drip=b"x")


def stalled_bodies(out):
    # All headers, 10 of 1000 body bytes, then silence.
    head, body = signed_request(b" " * 1000)
    fifty_stuck_clients(out, head + body[:10])


def idle_connections(out):
    held = []
    for _ in range(1000):
        try:
            held.append(socket.create_connection(("127.0.0.1", PORT), timeout=5))
        except OSError:
            break
    out["held"] = len(held)
    out["valid_meanwhile"] = valid_ok()
    for s in held:
        s.close()


def malformed(out):
    head, body = signed_request()
    big = head.replace(b"Host: 127.0.0.1\r\n", b"Host: 127.0.0.1\r\nX-Big: " + b"a" * (1024 * 1024) + b"\r\n")
    out["header_1MiB"] = exchange(big + body)
    huge_sig = head.replace(b"svix-signature: v1,", b"svix-signature: " + b"v1,A " * 20000 + b"v1,")
    out["signature_100KB"] = exchange(huge_sig + body)
    out["garbage"] = exchange(bytes(range(256)) * 64)
    short = head.replace(f"Content-Length: {len(body)}".encode(), f"Content-Length: {len(body) - 10}".encode())
    out["length_shorter"] = exchange(short + body)
    longer = head.replace(f"Content-Length: {len(body)}".encode(), f"Content-Length: {len(body) + 50}".encode())
    out["length_longer"] = exchange(longer + body, timeout=20)
    chunked = head.replace(f"Content-Length: {len(body)}".encode(), b"Transfer-Encoding: chunked")
    chunk = b" " * 65536
    out["chunked_past_limit"] = exchange(chunked + (b"10000\r\n" + chunk + b"\r\n") * 20 + b"0\r\n\r\n")


ATTACKS = [("slowloris", slowloris), ("stalled_bodies", stalled_bodies),
           ("idle_1000", idle_connections), ("malformed", malformed)]


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 8192), hard))
    cycles = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    for _ in range(200):
        valid_ok()
    before = rss_kib()
    print(json.dumps({"rss_start_kib": before}), flush=True)
    for cycle in range(1, cycles + 1):
        for name, attack in ATTACKS:
            out = {"cycle": cycle, "attack": name, "rss_before_kib": rss_kib()}
            attack(out)
            out["rss_after_kib"] = settle()
            out["valid_after"] = valid_ok()
            out["rss_vs_start_pct"] = round(100.0 * (out["rss_after_kib"] - before) / before, 1)
            print(json.dumps(out), flush=True)


main()
