"""A local SMTP server for tests: stores every message it receives, byte for byte.

Usage: smtp_sink.py DIR — listens on 127.0.0.1 (a free port), prints "ready PORT", writes each
message to DIR/NNN.eml (the DATA as received) and DIR/NNN.rcpt (the envelope recipients), and
stops when its standard input closes.
"""
import os
import socket
import sys

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        base = os.path.join(self.folder, f"{self.count:03d}")
        with open(base + ".rcpt", "w") as f:
            f.write("\n".join(envelope.rcpt_tos))
        with open(base + ".eml", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


# aiosmtpd checks its own socket by connecting to the port it was given, so it needs a real
# one: take a free port from the kernel first. Another process may take it in between: then
# take another.
for attempt in range(10):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(Sink(sys.argv[1]), hostname="127.0.0.1", port=port)
    try:
        controller.start()
        break
    except (OSError, RuntimeError):
        if attempt == 9:
            raise
print(f"ready {port}", flush=True)
sys.stdin.read()
controller.stop()
