"""A small SMTP server on loopback: the app's real smtplib client talks to it; received messages are kept."""
from __future__ import annotations

import socketserver
import threading
import time
from email import message_from_bytes, policy
from email.message import EmailMessage


class _Session(socketserver.StreamRequestHandler):
    """One client: the commands smtplib sends (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT)."""

    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self) -> None:
        self.reply("220 clinbridge-test ESMTP")
        while line := self.rfile.readline():
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self.reply("250 clinbridge-test")
            elif verb in (b"MAIL", b"RCPT", b"RSET", b"NOOP"):
                self.reply("250 OK")
            elif verb == b"DATA":
                self.reply("354 end with <CRLF>.<CRLF>")
                self.server.outbox.receive(self._data())
                self.reply("250 OK queued")
            elif verb == b"QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) not in (b".\r\n", b".\n", b""):
            lines.append(line[1:] if line.startswith(b"..") else line)  # undo dot-stuffing
        return b"".join(lines)


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class LocalSMTPServer:
    """Listens on 127.0.0.1 on a free port from start() to stop(); .messages holds what arrived."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self._arrived = threading.Condition()
        self._server = _Server(("127.0.0.1", 0), _Session)
        self._server.outbox = self
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, name="smtp-test-server", daemon=True)

    def receive(self, data: bytes) -> None:
        with self._arrived:
            self.messages.append(message_from_bytes(data, policy=policy.default))
            self._arrived.notify_all()

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """The messages once at least count have arrived (or whatever arrived when the time is up)."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self.messages) < count and time.monotonic() < deadline:
                self._arrived.wait(deadline - time.monotonic())
            return list(self.messages)

    def start(self) -> LocalSMTPServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
