# Sourced by the scripts. wait_for_port PORT PID LOG: returns once something listens on
# 127.0.0.1:PORT; if process PID exits first, or 30 s pass, prints LOG and exits 1.
wait_for_port() {
  local port="$1" pid="$2" log="$3"
  for _ in $(seq 1 300); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "The server exited before listening on port ${port}:" >&2
      cat "$log" >&2
      exit 1
    fi
    if (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "Nothing listened on port ${port} after 30 s:" >&2
  cat "$log" >&2
  exit 1
}
