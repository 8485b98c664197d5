#!/usr/bin/env python3
"""Local cold-start ("init") time of each Lambda: from spawning its binary to its first
`GET /2018-06-01/runtime/invocation/next`, i.e. the moment it is ready for its first event.

A tiny fake Lambda Runtime API (http.server on 127.0.0.1) stands in for the Lambda service; the
function gets AWS_LAMBDA_RUNTIME_API pointing at it, the variables `localstack/local.sh env`
prints (tables, queues, endpoints of the running emulators) and those Lambda itself sets. What a
function does before it asks for an event (SDK config, reading a KMS public key, reading the
Stripe secret from Secrets Manager, ...) runs for real against the local emulators. The fake API
never hands out an event: once the first `next` arrives the process is killed.

Binaries are this machine's (x86_64) release builds of the functions (`functions/build-zips.sh
--host`, same release profile as the arm64 zips); arm64 binaries do not run here. The zip sizes
printed beside them are the arm64 deployment zips.

    eval "$(localstack/local.sh env)"      # the emulators must be up (local.sh up)
    functions/init-times.py                # every function found built, 5 runs each
    functions/init-times.py -n 9 jwks user-get --markdown
    functions/init-times.py --env JWT_ISSUER=http://127.0.0.1:3000   # add a variable

A function that exits before asking for an event is reported with the last line it printed
(e.g. `environment variable JWT_ISSUER is not set`), not hidden.
"""
import argparse
import http.server
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR",
                             Path.home() / ".cache/reservations/target-lambda"))


def function_names():
    names = []
    for toml in sorted((ROOT / "functions").glob("*/Cargo.toml")):
        for line in toml.read_text().splitlines():
            if line.startswith("name = "):
                names.append(line.split('"')[1])
                break
    return names


def local_env():
    """The variables `localstack/local.sh env` exports (what the local gateway gives functions)."""
    out = subprocess.run([str(ROOT / "localstack/local.sh"), "env"], check=True,
                         capture_output=True, text=True).stdout
    env = {}
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export "):].split("=", 1)
            env[key] = value.strip("'\"")
    return env


class RuntimeApi(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.ready = threading.Event()
        self.ready_at = None
        self.init_error = None

    def reset(self):
        self.ready.clear()
        self.ready_at = None
        self.init_error = None


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        if self.path.endswith("/runtime/invocation/next"):
            if self.server.ready_at is None:
                self.server.ready_at = time.perf_counter()
            self.server.ready.set()
            # Never hand out an event: the process is killed while it waits here.
            time.sleep(30)
            return
        self.send_error(404)

    def do_POST(self):
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length).decode(errors="replace")
        if "/runtime/init/error" in self.path:
            self.server.init_error = body[:300]
            self.server.ready.set()
        self.send_response(202)
        self.send_header("content-length", "0")
        self.end_headers()


def one_start(api, binary, env, timeout):
    """Milliseconds from spawn to the first `next`, or (None, reason)."""
    api.reset()
    start = time.perf_counter()
    proc = subprocess.Popen([str(binary)], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = start + timeout
        while not api.ready.wait(0.005):
            if proc.poll() is not None or time.perf_counter() > deadline:
                break
        if api.ready_at is not None:
            return (api.ready_at - start) * 1000, None
        if api.init_error:
            return None, f"init error: {api.init_error}"
        if proc.poll() is None:
            return None, f"not ready after {timeout:.0f} s"
        out = proc.stdout.read().decode(errors="replace").strip().splitlines()
        return None, f"exited {proc.returncode}: {out[-1] if out else '(no output)'}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        proc.stdout.close()


def zip_kb(name):
    z = TARGET / "lambda" / name / "bootstrap.zip"
    return round(z.stat().st_size / 1024) if z.exists() else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("functions", nargs="*", help="default: every crate under functions/")
    ap.add_argument("-n", "--runs", type=int, default=5)
    ap.add_argument("--timeout", type=float, default=20.0)
    ap.add_argument("--env", action="append", default=[], metavar="KEY=VALUE",
                    help="an extra variable for every function")
    ap.add_argument("--markdown", action="store_true", help="also print a markdown table")
    args = ap.parse_args()

    names = args.functions or function_names()
    api = RuntimeApi()
    threading.Thread(target=api.serve_forever, daemon=True).start()
    port = api.server_address[1]

    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TZ")}
    base.update(local_env())
    base.update({
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/local",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local/init-times",
        "AWS_REGION": base.get("AWS_REGION", "us-east-1"),
    })
    for kv in args.env:
        key, value = kv.split("=", 1)
        base[key] = value

    print(f"init time = spawn -> first GET .../runtime/invocation/next, {args.runs} runs each, "
          f"x86_64 release binaries in {TARGET}/host/release on this machine "
          f"({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}); zip KB = arm64 bootstrap.zip")
    if args.env:
        print("extra variables: " + ", ".join(args.env))
    print(f"{'function':<24} {'zip KB':>7} {'bin KB':>7} {'median ms':>10} {'min':>7} {'max':>7}  note")
    rows = []
    for name in names:
        binary = TARGET / "host" / "release" / name
        zkb = zip_kb(name)
        if not binary.exists():
            rows.append((name, zkb, None, None, "x86_64 binary not built: not measured"))
        else:
            env = dict(base, AWS_LAMBDA_FUNCTION_NAME=name)
            times, errors = [], []
            for _ in range(args.runs):
                ms, err = one_start(api, binary, env, args.timeout)
                if ms is None:
                    errors.append(err)
                    break  # a failing start fails the same way every time
                times.append(ms)
            bkb = round(binary.stat().st_size / 1024)
            rows.append((name, zkb, bkb, times, errors[0] if errors else ""))
        n, z, b, t, note = rows[-1]
        med = f"{statistics.median(t):.1f}" if t else "-"
        lo = f"{min(t):.1f}" if t else "-"
        hi = f"{max(t):.1f}" if t else "-"
        print(f"{n:<24} {z if z is not None else '-':>7} {b if b is not None else '-':>7} "
              f"{med:>10} {lo:>7} {hi:>7}  {note}", flush=True)
    api.shutdown()

    failed = [r for r in rows if r[3] is not None and r[4]]
    if args.markdown:
        print()
        print("| function | arm64 zip KB | init ms, median (min-max), x86_64 |")
        print("|---|---:|---|")
        for n, z, b, t, note in rows:
            if t:
                cell = f"{statistics.median(t):.1f} ({min(t):.1f}-{max(t):.1f})"
            else:
                cell = note or "-"
            print(f"| {n} | {z if z is not None else 'not built'} | {cell} |")
    if failed:
        print(f"\n{len(failed)} function(s) did not get ready: "
              + "; ".join(f"{r[0]}: {r[4]}" for r in failed))
        sys.exit(1)


if __name__ == "__main__":
    main()
