"""Parses a message with Python's email package and prints what a mail client would see, as JSON."""
import email
import email.policy
import json
import sys

msg = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
parts = []
for part in msg.walk():
    if part.is_multipart():
        continue
    parts.append({
        "type": part.get_content_type(),
        "charset": part.get_content_charset(),
        "content": part.get_content(),
    })
print(json.dumps({
    "type": msg.get_content_type(),
    "defects": [str(d) for d in msg.defects],
    "headers": {k: str(v) for k, v in msg.items()},
    "parts": parts,
}, ensure_ascii=False))
