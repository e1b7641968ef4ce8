"""The build cache, in ``.spindle-cache/`` beside book.toml (never in manuscript/,
templates/ or styles/): laid-out parts of the paged editions, and one manifest
per build target that makes a rebuild with unchanged inputs a no-op.

Entries are content-addressed: a key is a SHA-256 over everything that shapes
the entry (the part's HTML, the stylesheets and the files they use, spindle's
own code, the versions of WeasyPrint and its PDF libraries). Nothing is
pickled: metadata is JSON and PDFs are stored as they are, so a cache folder
that came with someone else's project can at worst give wrong pages, never run
code. Every entry carries a SHA-256 over its kind, key and payload: a truncated,
corrupted or foreign file is a miss (and is removed), never used. Files are written
atomically; the least recently used entries are removed when the folder grows
beyond :data:`LIMIT` bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

from spindle.core import faults

FOLDER = ".spindle-cache"
LOCK = "lock"  # the build lock (build/lock.py), never pruned
LIMIT = 512 * 1024 * 1024
KEEP = 384 * 1024 * 1024


def digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        data = part.encode("utf-8") if isinstance(part, str) else part
        h.update(len(data).to_bytes(8, "big"))
        h.update(data)
    return h.hexdigest()


_DIGESTS: dict[tuple[str, int, int], str] = {}


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read once per build however often it is asked for (the stylesheets'
    fonts are hashed for each edition's key and again for the build's record of its inputs)."""
    st = os.stat(path)
    key = (os.path.abspath(path), st.st_size, st.st_mtime_ns)
    if key not in _DIGESTS:
        h = hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
        _DIGESTS[key] = h.hexdigest()
    return _DIGESTS[key]


_CODE: str | None = None


def code_fingerprint() -> str:
    """spindle's own code and theme, and the versions of the libraries that shape its output."""
    global _CODE
    if _CODE is None:
        from spindle import __version__

        package = Path(__file__).parents[1]  # the whole spindle package
        h = hashlib.sha256(__version__.encode())
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                st = path.stat()
                h.update(f"{path.relative_to(package)}|{st.st_size}|{st.st_mtime_ns}\n".encode())
        names = ("weasyprint", "pydyf", "fonttools", "pikepdf", "ebooklib", "pillow", "markdown-it-py", "jinja2")
        for name, version in zip(names, _versions(names)):
            h.update(f"{name}={version}\n".encode())
        _CODE = h.hexdigest()
    return _CODE


def _versions(names: tuple[str, ...]) -> list[str]:
    """The installed versions of *names* ('-': not installed), as importlib.metadata.version gives
    them, read from the ``NAME-VERSION.dist-info`` folders' names on sys.path where there are such:
    importing importlib.metadata and asking it costs 50 ms of every build (a no-op build's third)."""
    wanted = {re.sub(r"[-_.]+", "_", name).lower(): name for name in names}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            listed = os.listdir(entry or ".")
        except OSError:
            continue
        for folder in listed:
            stem = folder[: -len(".dist-info")]
            if folder.endswith(".dist-info") and stem.count("-") == 1:
                dist, version = stem.split("-")
                key = re.sub(r"[-_.]+", "_", dist).lower()
                if key in wanted and wanted[key] not in found:
                    found[wanted[key]] = version
        if len(found) == len(names):
            break
    out = []
    for name in names:
        if name not in found:  # an egg, a zip, another layout: ask importlib.metadata
            from importlib import metadata

            try:
                found[name] = metadata.version(name)
            except metadata.PackageNotFoundError:
                found[name] = "-"
        out.append(found[name])
    return out


class Cache:
    """A folder of entries: ``parts/KEY.pdf`` with ``parts/KEY.json``, ``table/KEY.json``, ``builds/KEY.json``,
    ``chapters/KEY.json`` (manuscript.load), ``lint/KEY.json`` (checks.lint), ``bodies/KEY.html`` (theme.render), ..."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.wrote = False
        self.written = 0  # bytes written by this build
        self.rejected = 0  # entries found damaged or foreign (and removed) by this build

    @property
    def enabled(self) -> bool:
        return self.folder is not None

    def _path(self, kind: str, key: str, suffix: str) -> Path:
        assert self.folder is not None
        return self.folder / kind / key[:2] / f"{key}{suffix}"

    def read(self, kind: str, key: str, suffix: str = ".json") -> bytes | None:
        """The entry's payload, or None: absent, or not exactly what :meth:`write` stored under
        this kind and key (truncated, corrupted, or a file from elsewhere); such a file is
        removed, so the entry is made again."""
        if self.folder is None:
            return None
        path = self._path(kind, key, suffix)
        try:
            stored = path.read_bytes()
        except OSError:
            return None
        data = _unseal(stored, kind, key + suffix)
        if data is None:
            self.rejected += 1
            try:
                path.unlink()
            except OSError:
                pass
            return None
        try:
            os.utime(path)  # recently used: kept when the folder is pruned
        except OSError:
            pass
        return data

    def write(self, kind: str, key: str, data: bytes, suffix: str = ".json") -> None:
        if self.folder is None:
            return
        path = self._path(kind, key, suffix)
        sealed = _seal(data, kind, key + suffix)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.part")
            tmp.write_bytes(sealed)  # no fsync: after a power cut, the checksum tells a torn entry
            faults.point("cache")
            os.replace(tmp, path)
            self.wrote = True
            self.written += len(sealed)
        except OSError:  # a cache that cannot be written only makes the next build slower
            try:
                tmp.unlink()
            except (OSError, UnboundLocalError):
                pass

    def read_json(self, kind: str, key: str):
        data = self.read(kind, key)
        if data is None:
            return None
        try:
            return json.loads(data)
        except ValueError:
            return None

    def write_json(self, kind: str, key: str, value) -> None:
        self.write(kind, key, json.dumps(value, sort_keys=True, separators=(",", ":")).encode("utf-8"))

    def prune(self, limit: int = LIMIT, keep: int = KEEP) -> None:
        """Remove the least recently used entries when the folder holds more than *limit* bytes.
        A ledger of the bytes written keeps this from walking the folder after every build."""
        if self.folder is None or not self.wrote or not self.folder.is_dir():
            return
        ledger = self.folder / "size"
        try:
            total = int(ledger.read_text()) + self.written
        except (OSError, ValueError):
            total = limit + 1  # unknown: count
        if total <= limit:
            self._ledger(total)
            return
        files = []
        for path in self.folder.rglob("*"):
            try:
                st = path.stat()
            except OSError:
                continue
            if path.parent == self.folder and path.name.startswith("crash-"):
                continue  # a bug's traceback (core/crash.py): kept for the report, whatever its age
            if path.is_file() and path != ledger and path.name != LOCK:
                files.append((st.st_mtime, st.st_size, path))
        total = sum(size for _, size, _ in files)
        if total > limit:
            for _, size, path in sorted(files):
                if total <= keep:
                    break
                try:
                    path.unlink()
                    total -= size
                except OSError:
                    pass
        self._ledger(total)

    def _ledger(self, total: int) -> None:
        try:
            (self.folder / "size").write_text(str(total))
        except OSError:
            pass


MAGIC = b"spindle-cache-1 sha256="
HEADER = len(MAGIC) + 64 + 1  # the bytes an entry adds to its payload


def _seal(data: bytes, kind: str, name: str) -> bytes:
    """The payload behind a header holding a SHA-256 over kind, name and payload."""
    return MAGIC + digest(kind, name, data).encode("ascii") + b"\n" + data


def _unseal(stored: bytes, kind: str, name: str) -> bytes | None:
    if not stored.startswith(MAGIC) or len(stored) < HEADER or stored[HEADER - 1:HEADER] != b"\n":
        return None
    data = stored[HEADER:]
    if stored[len(MAGIC):HEADER - 1] != digest(kind, name, data).encode("ascii"):
        return None
    return data


def folder_for(root: Path, option) -> Path | None:
    """The cache folder: *option* (a path), none when *option* is False, else .spindle-cache/ beside book.toml."""
    if option is False:
        return None
    if option:
        return Path(option)
    return root / FOLDER


# --- the no-op check: what a build read, and what it wrote ----------------------------------------------------

@dataclass
class Stamps:
    """Files (relative to the project) with size, modification time and content hash."""

    files: dict[str, list] = field(default_factory=dict)  # path -> [size, mtime_ns, sha256] (or None: absent)

    def add(self, root: Path, path: Path) -> None:
        try:
            relative = str(path.resolve().relative_to(root))
        except ValueError:
            relative = str(path.resolve())
        if relative in self.files:
            return
        try:
            st = path.stat()
            self.files[relative] = [st.st_size, st.st_mtime_ns, file_digest(path)]
        except OSError:
            self.files[relative] = None

    def add_tree(self, root: Path, folder: Path) -> None:
        """Every file under *folder*, and the folder's listing (a new file there counts as a change)."""
        listing = []
        if folder.is_dir():
            for path in sorted(folder.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    listing.append(str(path.relative_to(folder)))
                    self.add(root, path)
        try:
            key = "listing:" + str(folder.resolve().relative_to(root))
        except ValueError:
            key = "listing:" + str(folder.resolve())
        self.files[key] = [digest("\n".join(listing))]

    def unchanged(self, root: Path) -> bool:
        for relative, stamp in self.files.items():
            if relative.startswith("listing:"):
                folder = Path(relative.removeprefix("listing:"))
                folder = folder if folder.is_absolute() else root / folder
                listing = []
                if folder.is_dir():
                    listing = [str(p.relative_to(folder)) for p in sorted(folder.rglob("*"))
                               if p.is_file() and "__pycache__" not in p.parts]
                if [digest("\n".join(listing))] != stamp:
                    return False
                continue
            path = Path(relative)
            path = path if path.is_absolute() else root / path
            try:
                st = path.stat()
            except OSError:
                if stamp is not None:
                    return False
                continue
            if stamp is None:
                return False
            size, mtime, sha = stamp
            if st.st_size != size:
                return False
            if st.st_mtime_ns != mtime and file_digest(path) != sha:
                return False
        return True


def written_stamp(path: Path) -> list:
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


