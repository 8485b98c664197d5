#!/usr/bin/env python3
"""A channel's ARI webhook on 127.0.0.1, for the README walk-through: verifies each POST's
ARI-Signature as OpenAPI's `ari-push` webhook says, appends one JSON line per push to FILE and
answers 204; a push that does not verify answers 401 and is recorded with "verified": false.

    python3 localstack/ari-receiver.py PORT PUSH_SIGNING_SECRET FILE
"""
import hashlib
import hmac
import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# A `t` further than this from our clock is a replay (OpenAPI: 300 s).
TOLERANCE_SECONDS = 300


def verify(secret: str, header: str, body: bytes, now: float) -> str | None:
    """None if one v1 is HMAC-SHA256(secret, "<t>.<body>") and t is recent; else why not."""
    t, candidates = None, []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            t = value
        elif name == "v1":
            candidates.append(value)
    if t is None or not t.isdigit():
        return "no t in the signature"
    if abs(now - int(t)) > TOLERANCE_SECONDS:
        return "t is more than 300 s from our clock"
    expected = hmac.new(secret.encode(), t.encode() + b"." + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, c) for c in candidates):
        return "no v1 matches"
    return None


def serve(port: int, secret: str, path: str) -> None:
    written = threading.Lock()

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            signature = self.headers.get("ari-signature") or ""
            refused = verify(secret, signature, body, time.time())
            line = {"received_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                    "verified": refused is None}
            if refused:
                line["refused"] = refused
            else:
                line["ari"] = json.loads(body)
            with written, open(path, "a", encoding="utf-8") as out:
                out.write(json.dumps(line) + "\n")
            print(f"ari-receiver: {'verified' if refused is None else 'refused: ' + refused}",
                  file=sys.stderr, flush=True)
            self.send_response(204 if refused is None else 401)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *_):
            pass

    ThreadingHTTPServer(("127.0.0.1", port), Receiver).serve_forever()


if __name__ == "__main__":
    if len(sys.argv) != 4 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    serve(int(sys.argv[1]), sys.argv[2], sys.argv[3])
