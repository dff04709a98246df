#!/usr/bin/env bash
# Release builds of the five example servers, each in turn on loopback, driven by wrk with
# a pre-signed 2 KB user.created (2 threads, 50 connections, DURATION seconds, RUST_LOG=warn),
# RUNS runs each, next to each framework's trivial POST handler (same body, no
# verification: benches/baseline). Prints a table and writes docs/benchmarks.md (between the
# bench-servers markers) and docs/bench-servers.svg.
# example-axum also runs a third time in each run with METRICS_ADDR set (the Prometheus
# exporter installed, every delivery counted), next to its run without: the difference goes
# between the bench-metrics markers.
#   scripts/bench.sh                 RUNS=3 DURATION=10 by default
#   FRAMEWORKS=axum scripts/bench.sh only axum (verified, metrics, baseline): updates the
#                                    bench-metrics section only
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/wait-for-port.sh

runs="${RUNS:-3}"
duration="${DURATION:-10}"
port="${PORT:-3941}"
read -r -a frameworks <<<"${FRAMEWORKS:-actix-web axum poem rocket warp}"
metrics_port="$((port + 1))"
secret="$(sed -n 's/^CLERK_WEBHOOK_SIGNING_SECRET=//p' .env.example)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if ! command -v wrk >/dev/null; then
  apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi

echo "== Building release binaries"
packages=(-p clerk-webhook-cli -p bench-baseline)
for framework in "${frameworks[@]}"; do packages+=(-p "example-${framework}"); done
cargo build --release --quiet "${packages[@]}"

body="$work/user.created.json"
target/release/clerk-webhook samples user.created >"$body"
echo "== Body: $(wc -c <"$body") bytes (Clerk's user.created example)"

results="$work/results.tsv"
printf 'framework\tvariant\trun\treq_per_s\tp50_ms\tp99_ms\tnon_2xx\trss_kib\tcounted\n' >"$results"

to_ms() { # wrk latency like 1.23ms, 456.00us, 1.02s
  python3 -c "import sys; v=sys.argv[1]; print(float(v[:-2])/1000 if v.endswith('us') else float(v[:-2]) if v.endswith('ms') else float(v[:-1])*1000)" "$1"
}

bench_one() { # framework variant run binary [METRICS_ADDR]
  local framework="$1" variant="$2" run="$3" binary="$4" metrics_addr="${5:-}"
  CLERK_WEBHOOK_SIGNING_SECRET="$secret" HOST=127.0.0.1 PORT="$port" RUST_LOG=warn \
    METRICS_ADDR="$metrics_addr" "$binary" >"$work/server.log" 2>&1 &
  local pid=$!
  wait_for_port "$port" "$pid" "$work/server.log"
  # Signed now, so the timestamp stays inside the 5-minute window for the whole run.
  local signed
  signed="$(target/release/clerk-webhook sign --secret "$secret" "$body")"
  {
    echo 'wrk.method = "POST"'
    echo "local f = io.open(\"$body\", \"rb\"); wrk.body = f:read(\"*a\"); f:close()"
    echo 'wrk.headers["Content-Type"] = "application/json"'
    while IFS=': ' read -r name value; do
      echo "wrk.headers[\"$name\"] = \"$value\""
    done <<<"$signed"
  } >"$work/post.lua"
  wrk -t2 -c50 -d"${duration}s" --latency -s "$work/post.lua" "http://127.0.0.1:${port}/api/webhooks" >"$work/wrk.out"
  local rss counted=""
  rss="$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")"
  if [ -n "$metrics_addr" ]; then # what the exporter counted, so the metrics were live
    counted="$(curl -fsS "http://$metrics_addr/metrics" | awk '/^clerk_webhook_deliveries_total\{.*outcome="accepted"/ {print $2}')"
  fi
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  local rps p50 p99 non2xx
  rps="$(awk '/Requests\/sec/ {print $2}' "$work/wrk.out")"
  p50="$(to_ms "$(awk '$1 == "50%" {print $2}' "$work/wrk.out")")"
  p99="$(to_ms "$(awk '$1 == "99%" {print $2}' "$work/wrk.out")")"
  non2xx="$(awk '/Non-2xx or 3xx responses/ {print $5}' "$work/wrk.out")"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$framework" "$variant" "$run" "$rps" "$p50" "$p99" "${non2xx:-0}" "$rss" "${counted:-}" >>"$results"
  printf '   %-10s %-9s run %s: %10s req/s  p50 %6.2f ms  p99 %6.2f ms  non-2xx %s  peak RSS %s KiB%s\n' \
    "$framework" "$variant" "$run" "$rps" "$p50" "$p99" "${non2xx:-0}" "$rss" "${counted:+  counted $counted}"
}

for run in $(seq 1 "$runs"); do
  echo "== Run ${run} of ${runs}"
  for framework in "${frameworks[@]}"; do
    bench_one "$framework" verified "$run" "target/release/example-${framework}"
    if [ "$framework" = axum ]; then
      bench_one "$framework" metrics "$run" "target/release/example-${framework}" "127.0.0.1:${metrics_port}"
    fi
    bench_one "$framework" baseline "$run" "target/release/baseline-${framework}"
  done
done

wrk_version="$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2 || true)"
python3 - "$results" "$runs" "$duration" "$wrk_version" <<'PY'
import csv, datetime, os, re, statistics, subprocess, sys

path, runs, duration, wrk_version = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
rows = list(csv.DictReader(open(path), delimiter="\t"))
frameworks = ["actix-web", "axum", "poem", "rocket", "warp"]
measured = {r["framework"] for r in rows}

def series(framework, variant, key):
    return [float(r[key]) for r in rows if r["framework"] == framework and r["variant"] == variant]

cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "unknown")
rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
lock = open("Cargo.lock").read()
def version(name):
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % re.escape(name), lock)
    return m.group(1) if m else "?"
versions = ", ".join(f"{n} {version(n)}" for n in ["actix-web", "axum", "poem", "rocket", "warp", "hyper"])

lines = ["<!-- bench-servers:start -->",
  f"Measured {datetime.date.today()} by `scripts/bench.sh` (RUNS={runs}, DURATION={duration}): {rustc}; {versions}; {wrk_version}; {cpu}, {os.cpu_count()} cores.",
  f"Each server in turn: `wrk -t2 -c50 -d{duration}s --latency` POSTing Clerk's `user.created` example (pre-signed, same body for the baseline), `RUST_LOG=warn`, release build. **The load generator shares the machine's two cores with the server**, so req/s is lower than on a dedicated box; the verified/baseline ratio, measured in the same runs, is the number to compare.",
  "Medians of the runs; the spread (min–max of req/s) follows in brackets. Peak RSS is the server's `VmHWM` after its run.",
  "",
  "| framework | verified req/s | baseline req/s | ratio (target ≥ 0.70) | verified p50 / p99 ms | baseline p50 / p99 ms | verified peak RSS | non-2xx (must be 0) |",
  "|---|---|---|---|---|---|---|---|"]
chart = []
for f in frameworks:
    v, b = series(f, "verified", "req_per_s"), series(f, "baseline", "req_per_s")
    if not v or not b:
        continue
    vm, bm = statistics.median(v), statistics.median(b)
    non2xx = int(sum(series(f, "verified", "non_2xx")) + sum(series(f, "baseline", "non_2xx")))
    lines.append(
        f"| {f} | {vm:,.0f} [{min(v):,.0f}–{max(v):,.0f}] | {bm:,.0f} [{min(b):,.0f}–{max(b):,.0f}] | {vm/bm:.2f} | "
        f"{statistics.median(series(f,'verified','p50_ms')):.2f} / {statistics.median(series(f,'verified','p99_ms')):.2f} | "
        f"{statistics.median(series(f,'baseline','p50_ms')):.2f} / {statistics.median(series(f,'baseline','p99_ms')):.2f} | "
        f"{statistics.median(series(f,'verified','rss_kib'))/1024:.1f} MiB | {non2xx} |")
    chart.append((f, vm, bm))
lines += ["", "![req/s per framework, verified and baseline](bench-servers.svg)", "<!-- bench-servers:end -->"]
section = "\n".join(lines)

# METRICS_ADDR set against unset: example-axum, the same runs.
off, on = series("axum", "verified", "req_per_s"), series("axum", "metrics", "req_per_s")
metrics_section = None
if off and on:
    counted = [r["counted"] or "?" for r in rows if r["framework"] == "axum" and r["variant"] == "metrics"]
    pairs = [m / v - 1 for v, m in zip(off, on)]
    mlines = ["<!-- bench-metrics:start -->",
      f"Measured {datetime.date.today()} by `scripts/bench.sh` (RUNS={runs}, DURATION={duration}), in the same runs and on the same machine as each other: {rustc}; {cpu}, {os.cpu_count()} cores; release `example-axum`, `RUST_LOG=warn`, `wrk -t2 -c50 -d{duration}s`, Clerk's `user.created` example. \"metrics on\" sets `METRICS_ADDR` (the Prometheus exporter installed: every delivery counted in `clerk_webhook_deliveries_total` and timed in `clerk_webhook_receive_duration_seconds`); \"off\" leaves it unset. Runs alternate off, on, baseline.",
      "",
      "| | req/s, median [min–max] | p50 / p99 ms |",
      "|---|---|---|",
      f"| metrics off | {statistics.median(off):,.0f} [{min(off):,.0f}–{max(off):,.0f}] | {statistics.median(series('axum','verified','p50_ms')):.2f} / {statistics.median(series('axum','verified','p99_ms')):.2f} |",
      f"| metrics on | {statistics.median(on):,.0f} [{min(on):,.0f}–{max(on):,.0f}] | {statistics.median(series('axum','metrics','p50_ms')):.2f} / {statistics.median(series('axum','metrics','p99_ms')):.2f} |",
      "",
      f"Difference of the medians: **{(statistics.median(on) / statistics.median(off) - 1) * 100:+.1f} %** req/s (target: within 5 %). "
      f"Run by run (on against the off run just before it): {', '.join(f'{p * 100:+.1f} %' for p in pairs)}. "
      f"Accepted deliveries the exporter counted, per run: {', '.join(counted)}.",
      "<!-- bench-metrics:end -->"]
    metrics_section = "\n".join(mlines)

# A plain SVG bar chart: verified and baseline req/s per framework.
top = max(max(v, b) for _, v, b in chart) * 1.15
width, height, left, bottom = 640, 320, 70, 40
bar, gap = 28, 52
svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
       f'<text x="{width/2}" y="18" text-anchor="middle" font-size="14">req/s, median of {runs} runs (wrk -t2 -c50, 2 KB user.created)</text>']
plot_h = height - bottom - 30
for i in range(5):
    y = height - bottom - plot_h * i / 4
    svg.append(f'<line x1="{left}" y1="{y:.0f}" x2="{width-10}" y2="{y:.0f}" stroke="#ddd"/>')
    svg.append(f'<text x="{left-6}" y="{y+4:.0f}" text-anchor="end">{top*i/4:,.0f}</text>')
for i, (f, v, b) in enumerate(chart):
    x = left + 20 + i * (2 * bar + gap)
    for j, (value, color) in enumerate([(v, "#4c72b0"), (b, "#bbbbbb")]):
        h = plot_h * value / top
        svg.append(f'<rect x="{x + j*bar}" y="{height-bottom-h:.0f}" width="{bar-4}" height="{h:.0f}" fill="{color}"/>')
    svg.append(f'<text x="{x + bar}" y="{height-bottom+16}" text-anchor="middle">{f}</text>')
svg.append(f'<rect x="{width-190}" y="30" width="12" height="12" fill="#4c72b0"/><text x="{width-172}" y="40">verified (example)</text>')
svg.append(f'<rect x="{width-190}" y="48" width="12" height="12" fill="#bbbbbb"/><text x="{width-172}" y="58">baseline (no verification)</text>')
svg.append("</svg>")
text = open("docs/benchmarks.md").read()
if measured >= set(frameworks):
    os.makedirs("docs", exist_ok=True)
    open("docs/bench-servers.svg", "w").write("\n".join(svg) + "\n")
    text = re.sub(r"<!-- bench-servers:start -->.*?<!-- bench-servers:end -->", lambda _: section, text, flags=re.S)
    print(section)
if metrics_section:
    text = re.sub(r"<!-- bench-metrics:start -->.*?<!-- bench-metrics:end -->", lambda _: metrics_section, text, flags=re.S)
    print(metrics_section)
open("docs/benchmarks.md", "w").write(text)
PY
