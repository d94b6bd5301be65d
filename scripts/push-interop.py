#!/usr/bin/env python3
"""Interop check of artel-push against independent Web Push implementations.

Plays the push service: generates a browser subscription (P-256 key pair and
auth secret, with `cryptography`), listens on 127.0.0.1, and has artel-push
send one push to it (`cargo run -p artel-push --example send_push`). The
request is then checked with PyPI's py-vapid (VAPID, RFC 8292: the JWT's
ES256 signature under the `k` key, aud/exp/sub) and decrypted with PyPI's
http_ece (aes128gcm, RFC 8188/8291). Not part of CI; run by hand:

    python3 scripts/push-interop.py            # creates /tmp/artel-push-interop venv

Exit status 0 and "INTEROP OK" when both libraries accept what Artel sent.
"""

import base64
import http.server
import json
import os
import subprocess
import sys
import threading
import time

VENV = "/tmp/artel-push-interop"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def ensure_venv():
    """Re-runs this script inside a venv with py-vapid and http_ece."""
    if sys.prefix == VENV:
        return
    if not os.path.exists(os.path.join(VENV, "bin", "python")):
        print("creating venv", VENV, "with py-vapid and http_ece from PyPI")
        subprocess.check_call([sys.executable, "-m", "venv", VENV])
        subprocess.check_call([os.path.join(VENV, "bin", "pip"), "install", "-q", "py-vapid", "http_ece"])
    os.execv(os.path.join(VENV, "bin", "python"), [os.path.join(VENV, "bin", "python"), __file__])


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64u(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def main():
    ensure_venv()
    import http_ece
    import py_vapid
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    browser_key = ec.generate_private_key(ec.SECP256R1())
    p256dh = browser_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    auth = os.urandom(16)
    received = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("content-length", "0"))
            received["headers"] = {k.lower(): v for k, v in self.headers.items()}
            received["body"] = self.rfile.read(length)
            self.send_response(201)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    endpoint = f"http://127.0.0.1:{port}/push/interop"
    payload = json.dumps({"title": "Анна", "body": "Привет from Artel", "count": 1})

    cmd = ["cargo", "run", "-q", "-p", "artel-push", "--example", "send_push", "--",
           endpoint, b64u(p256dh), b64u(auth), payload]
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=1800)
    print(out.stdout.strip())
    if out.returncode != 0:
        print(out.stderr[-3000:])
        sys.exit("send_push failed")
    for _ in range(50):
        if received:
            break
        time.sleep(0.1)
    if not received:
        sys.exit("no request reached the push service")
    headers, body = received["headers"], received["body"]
    print("request headers:", {k: v for k, v in headers.items() if k != "authorization"})

    # VAPID (RFC 8292) with py-vapid: signature under k, then the claims.
    authorization = headers["authorization"]
    assert authorization.startswith("vapid "), authorization
    # py-vapid splits the header at its last space, so it wants no space after
    # the comma; RFC 8292 allows one (web-push sends "t=…, k=…"): normalise.
    if not py_vapid.Vapid02.verify(authorization.replace(", ", ",")):
        sys.exit("py-vapid: the VAPID signature does not verify")
    params = dict(p.strip().split("=", 1) for p in authorization[len("vapid "):].split(","))
    claims = json.loads(unb64u(params["t"].split(".")[1]))
    assert claims["aud"] == f"http://127.0.0.1:{port}", claims
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600, claims
    assert claims["sub"].startswith("mailto:"), claims
    print("py-vapid: signature OK; claims", claims)

    # Payload (RFC 8291, aes128gcm) with http_ece.
    assert headers["content-encoding"] == "aes128gcm", headers
    plain = http_ece.decrypt(body, private_key=browser_key, auth_secret=auth, version="aes128gcm")
    assert plain.decode() == payload, plain
    print("http_ece: decrypted", plain.decode())
    print("INTEROP OK")


if __name__ == "__main__":
    main()
