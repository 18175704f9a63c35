"""The demo administrators' second factor, without Django: ``python -m gridgov.demo.totp``.

The demo's TOTP keys are public, like the demo password, and the same in every demo (derived
from the username). This prints the code an authenticator app holding the key shows now, so a
tester can log in as an administrator without a phone. Standard library only (RFC 6238:
HMAC-SHA1, 30-second steps, 6 digits, as django-otp's TOTPDevice defaults).
"""

import base64
import hashlib
import hmac
import struct
import sys
import time

ADMIN_USERNAMES = ("demo_audit_admin", "demo_security_admin", "demo_system_admin")


def demo_totp_key(username: str) -> bytes:
    return hashlib.sha1(f"gridgov-demo-totp:{username}".encode()).digest()


def demo_totp_secret(username: str) -> str:
    """The key as authenticator apps take it (base32)."""
    return base64.b32encode(demo_totp_key(username)).decode()


def totp_code(key: bytes, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def main(argv: list[str]) -> None:
    for username in argv or ADMIN_USERNAMES:
        print(f"{username}  {totp_code(demo_totp_key(username))}  (secret {demo_totp_secret(username)})")


if __name__ == "__main__":
    main(sys.argv[1:])
