"""A tiny "customer platform" for `make demo`: answers number-masking callbacks with a `dial`
and checks that callplane signed them, the way a customer would (`callplane_shared.signing`).

    uv run python deploy/demo/customer.py   # 127.0.0.1:8199; DEMO_CUSTOMER_PORT to change

POST /masking/callback  -> 200 {"command": "dial", "phoneNumber": DEMO_DIAL_TO, "callerId": from}
POST /masking/status    -> 200 (the report is logged)
POST /calls/events      -> 200 (a Calls API subscription's call event, logged)
POST /ivr/notify        -> 200 (an IVR scenario's notification, logged)
GET  /healthz           -> 200
A request whose X-Callplane-Signature does not verify gets 401: masking with DEMO_MASKING_KEY,
call events with DEMO_SUBSCRIPTION_SECRET, IVR notifications with the scenario's notifySecret
(read from the file DEMO_IVR_SECRET_FILE, written by demo.sh when it creates the scenario).
"""
# ruff: noqa: INP001 - a script, not a package

from __future__ import annotations

import json
import logging
import os
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from callplane_shared import signing

SECRET = os.environ.get("DEMO_MASKING_KEY", "demo-secret-key-1")
SUBSCRIPTION_SECRET = os.environ.get("DEMO_SUBSCRIPTION_SECRET", "demo-subscription-secret-1")
IVR_SECRET_FILE = Path(os.environ.get("DEMO_IVR_SECRET_FILE", ".cache/run/demo/ivr-secret"))
DIAL_TO = os.environ.get("DEMO_DIAL_TO", "+41793026999")
PORT = int(os.environ.get("DEMO_CUSTOMER_PORT", "8199"))
logger = logging.getLogger("demo-customer")


class Customer(BaseHTTPRequestHandler):
    server_version = "demo-customer/1"

    def _reply(self, status: int, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._reply(200, {"status": "ok"})
        else:
            self._reply(404, {"error": "not found"})

    def _secret(self) -> str:
        if self.path.startswith("/calls/events"):
            return SUBSCRIPTION_SECRET
        if self.path.startswith("/ivr/notify"):
            # read per request: demo.sh writes it after this platform started
            return IVR_SECRET_FILE.read_text().strip() if IVR_SECRET_FILE.exists() else ""
        return SECRET

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            signing.verify(dict(self.headers.items()), body, self._secret())
        except signing.SignatureError as exc:
            logger.warning("refused %s: %s", self.path, exc)
            self._reply(401, {"error": str(exc)})
            return
        payload = json.loads(body or b"{}")
        if self.path.startswith("/masking/callback"):
            answer = {"command": "dial", "phoneNumber": DIAL_TO, "callerId": payload.get("from")}
            logger.info("callback %s (signature ok) -> dial %s", payload, DIAL_TO)
            self._reply(200, answer)
        elif self.path.startswith("/masking/status"):
            logger.info("status report (signature ok): %s", payload)
            self._reply(200, {})
        elif self.path.startswith("/calls/events"):
            event, call_id = payload.get("type"), payload.get("callId")
            logger.info("call event %s of %s (signature ok)", event, call_id)
            self._reply(200, {})
        elif self.path.startswith("/ivr/notify"):
            logger.info("IVR notification (signature ok): %s", payload)
            self._reply(200, {})
        else:
            self._reply(404, {"error": "not found"})

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib's name
        logger.debug(format, *args)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    server = ThreadingHTTPServer(("127.0.0.1", PORT), Customer)
    logger.info("demo customer platform on http://127.0.0.1:%d", PORT)
    server.serve_forever()


if __name__ == "__main__":
    main()
