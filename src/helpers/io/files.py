"""Writing files so that a reader never sees half of one, hashing them, and JSON.

Every writer of the project goes through :func:`atomic_path`: the content is
written to a temporary file beside the target and renamed over it, so a killed
run leaves the old file or the new one, never a 0-byte or truncated file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "read_json", "read_record", "sha256", "sha256_bytes", "write_json", "write_text"]

# The process's umask, read once (reading it means setting it): temporary files are created private, and the
# file that replaces the target gets the mode any new file would have, so reports stay readable by others.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def sha256(path: Path) -> str:
    """Hex sha256 of a file, read in chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def fingerprint(path: Path) -> str | None:
    """sha256 of a file, or of a folder's files (their relative names and contents); None when neither exists."""
    path = Path(path)
    if path.is_file():
        return sha256(path)
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file())
        listing = "\n".join(f"{p.relative_to(path).as_posix()} {sha256(p)}" for p in files)
        return sha256_bytes(listing.encode("utf-8"))
    return None


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


@contextlib.contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it replaces ``path`` in one rename.

    The temporary file sits in the target's folder (same file system, so the
    rename is atomic) and is removed when the writer raises.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_UMASK)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def write_json(path: Path, data: Any) -> Path:
    """Write JSON deterministically (sorted keys, UTF-8 with Chinese readable), atomically."""
    return write_text(path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n")


def read_json(path: Path) -> Any:
    """Read a JSON file written by :func:`write_json`."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_record(path: Path) -> dict[str, Any]:
    """A JSON object from a file, or ``{}`` when the file is missing, unreadable or not an object."""
    try:
        data = read_json(path)
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
