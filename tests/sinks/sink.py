#!/usr/bin/env python3
"""A local SMTP sink and SMS provider stub for Haven's tests and benchmarks.

SMTP: accepts every message and keeps it. HTTP: `POST /sms` is the SMS
provider (JSON {id, to, from, body}; answers {"id": "sms-N"}), `GET /messages`
lists what arrived (e-mail and SMS, decoded, with the arrival time `at`),
`GET /count` says how many (first arrivals, distinct ids, repeats: an SMS whose
Idempotency-Key was already answered is answered again, not sent again, and
kept marked `repeat`, as a provider would), `POST /reset` forgets it all,
`POST /fail-sms?count=N` makes the next N SMS requests answer 503 (to test
retries). Binds free ports and writes "SMTP_PORT HTTP_PORT" to --ready-file.
"""
import argparse
import asyncio
import email
import email.policy
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
MESSAGES = []
FAIL_SMS = [0]
# Like a real provider: a request repeating an Idempotency-Key already
# answered gets the same answer and is not sent again (kept, marked repeat).
SMS_KEYS = {}


def keep(entry):
    with LOCK:
        MESSAGES.append(entry)


async def smtp_session(reader, writer):
    def send(line):
        writer.write((line + "\r\n").encode())

    send("220 sink ESMTP")
    await writer.drain()
    rcpt = []
    try:
        while True:
            raw = await reader.readline()
            if not raw:
                break
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                send("250-sink")
                send("250-8BITMIME")
                send("250 SMTPUTF8")
            elif verb == "MAIL":
                rcpt = []
                send("250 OK")
            elif verb == "RCPT":
                rcpt.append(line.split(":", 1)[1].strip().strip("<>"))
                send("250 OK")
            elif verb == "DATA":
                send("354 go ahead")
                await writer.drain()
                data = b""
                while True:
                    chunk = await reader.readline()
                    if chunk in (b".\r\n", b".\n") or not chunk:
                        break
                    if chunk.startswith(b".."):
                        chunk = chunk[1:]
                    data += chunk
                msg = email.message_from_bytes(data, policy=email.policy.default)
                body = msg.get_body(preferencelist=("plain",))
                keep({
                    "channel": "email",
                    "id": str(msg.get("Message-ID", "")).strip("<>").split("@")[0],
                    "to": rcpt[0] if rcpt else "",
                    "subject": str(msg.get("Subject", "")),
                    "body": body.get_content() if body is not None else "",
                    "at": time.time(),
                })
                send("250 queued")
            elif verb == "RSET":
                rcpt = []
                send("250 OK")
            elif verb == "NOOP":
                send("250 OK")
            elif verb == "QUIT":
                send("221 bye")
                await writer.drain()
                break
            else:
                send("502 not implemented")
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


class Http(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def answer(self, status, obj):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path.startswith("/messages"):
            with LOCK:
                self.answer(200, list(MESSAGES))
        elif self.path.startswith("/count"):
            with LOCK:
                firsts = [m for m in MESSAGES if not m.get("repeat")]
                self.answer(200, {"count": len(firsts), "distinct": len({m["id"] for m in firsts}),
                                  "repeats": len(MESSAGES) - len(firsts)})
        else:
            self.answer(404, {})

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        raw = self.rfile.read(length)
        if self.path.startswith("/reset"):
            with LOCK:
                MESSAGES.clear()
                SMS_KEYS.clear()
            return self.answer(200, {})
        if self.path.startswith("/fail-sms"):
            FAIL_SMS[0] = int(self.path.split("count=")[-1])
            return self.answer(200, {})
        if self.path.startswith("/sms"):
            with LOCK:
                if FAIL_SMS[0] > 0:
                    FAIL_SMS[0] -= 1
                    return self.answer(503, {"error": "try later"})
            req = json.loads(raw or b"{}")
            key = self.headers.get("Idempotency-Key", "")
            entry = {"channel": "sms", "id": req.get("id", ""), "to": req.get("to", ""),
                     "subject": "", "body": req.get("body", ""),
                     "auth": self.headers.get("Authorization", ""), "at": time.time()}
            with LOCK:
                if key and key in SMS_KEYS:
                    entry["repeat"] = True
                    MESSAGES.append(entry)
                    return self.answer(200, {"id": SMS_KEYS[key]})
                MESSAGES.append(entry)
                provider_id = f"sms-{len(MESSAGES)}"
                if key:
                    SMS_KEYS[key] = provider_id
            return self.answer(200, {"id": provider_id})
        self.answer(404, {})


async def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ready-file", required=True)
    args = ap.parse_args()
    # Deep listen queues: a benchmark opens hundreds of connections at once.
    server = await asyncio.start_server(smtp_session, "127.0.0.1", 0, backlog=1024)
    smtp_port = server.sockets[0].getsockname()[1]
    ThreadingHTTPServer.request_queue_size = 1024
    http = ThreadingHTTPServer(("127.0.0.1", 0), Http)
    http.daemon_threads = True
    threading.Thread(target=http.serve_forever, daemon=True).start()
    with open(args.ready_file + ".tmp", "w") as f:
        f.write(f"{smtp_port} {http.server_address[1]}\n")
    import os
    os.replace(args.ready_file + ".tmp", args.ready_file)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
