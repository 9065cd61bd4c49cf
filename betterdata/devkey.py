"""The SECRET_KEY of the local demo (DEMO=1 or DEBUG) when none is set: generated once and kept
in .data/secret_key (mode 0600), so sessions survive a restart. Production never reaches this:
without DEBUG or DEMO a missing SECRET_KEY refuses to start (settings.py)."""

import os
import secrets
from pathlib import Path


def dev_secret_key(path: Path) -> str:
    if path.exists():
        key = path.read_text().strip()
        if key:
            return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(50)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
    return key
