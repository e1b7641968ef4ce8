"""The only door through which WeasyPrint reads anything: files inside the
project and the theme, ``data:`` URLs, and the network only when allowed."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

# SVG figures name generic families (font-family="sans-serif") and never see the theme's CSS, so
# fontconfig would pick any installed face for them. Read through this door, an SVG whose font list
# starts with a generic family gets the theme's faces first (and the Noto faces for other scripts).
GENERIC = {
    "serif": ("Spindle Serif", "Noto Serif", "Noto Serif CJK SC"),
    "sans-serif": ("Spindle Sans", "Noto Sans", "Noto Sans CJK SC"),
    "monospace": ("Noto Sans Mono", "DejaVu Sans Mono", "Noto Sans Mono CJK SC"),
}
GENERIC["system-ui"] = GENERIC["ui-sans-serif"] = GENERIC["sans-serif"]
GENERIC["ui-serif"], GENERIC["ui-monospace"] = GENERIC["serif"], GENERIC["monospace"]
SCRIPTS = ("Noto Sans Thai", "Noto Sans Devanagari", "Noto Sans Bengali", "Noto Sans Arabic", "Noto Sans Hebrew",
           "Noto Sans Symbols", "Noto Sans Symbols 2", "Noto Sans Math")
_FAMILY = re.compile(r"""(font-family\s*(?:=\s*(["'])|:\s*))(.*?)(?=\2|;|}|$)""", re.M | re.I)


def svg_with_theme_faces(data: bytes) -> bytes:
    """*data* (an SVG) with the theme's faces put before each generic family that opens a font list."""
    text = data.decode("utf-8", errors="surrogateescape")

    def replace(m: re.Match) -> str:
        value = m.group(3)
        first = value.split(",")[0].strip().strip("'\"").lower()
        if first not in GENERIC:
            return m.group(0)
        quote = "'" if m.group(2) != "'" else '"'
        faces = ", ".join(f"{quote}{name}{quote}" for name in GENERIC[first] + SCRIPTS)
        return f"{m.group(1)}{faces}, {value}"

    return _FAMILY.sub(replace, text).encode("utf-8", errors="surrogateescape")


class RefusedURL(FatalURLFetchingError):
    def __init__(self, url: str, reason: str):
        super().__init__(f"refused to read '{url}': {reason}")
        self.url = url
        self.reason = reason

    def __reduce__(self):
        # Rebuilt from its own arguments: a worker process's BuildError carries it as __context__,
        # which travels with it once tblib's pickling is installed for BuildError (importing Dask's
        # distributed does that); the default (the message alone) could not be unpickled.
        return (type(self), (self.url, self.reason))


class _Copied(URLFetcherResponse):
    """A file read from a copy: its URL is the original's, its path the copy's."""

    def __init__(self, url: str, copy: Path, **kwargs):
        super().__init__(url, **kwargs)
        self.copy = copy

    @property
    def path(self):
        return str(self.copy)


class ProjectFetcher(URLFetcher):
    def __init__(self, roots: list[Path], allow_remote: bool = False, folders: dict[Path, Path] | None = None):
        super().__init__(timeout=10, allowed_protocols=None)
        self.roots = [r.resolve() for r in roots]
        self.allow_remote = allow_remote
        # a folder as the build names it -> where its files are read from (a cluster worker's copies)
        self.folders = {a.resolve(): b for a, b in (folders or {}).items()}

    def _copy_of(self, path: Path) -> Path | None:
        for named, copy in sorted(self.folders.items(), key=lambda item: -len(item[0].parts)):
            if path == named or named in path.parents:
                return copy / path.relative_to(named)
        return None

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if not any(path == root or root in path.parents for root in self.roots):
                raise RefusedURL(url, "it lies outside the project; move the file into the project")
            if self.folders:
                return self._copied(url, path)
            if not path.is_file():
                raise RefusedURL(url, "no such file; check the path")
            if path.suffix.lower() == ".svg":
                return URLFetcherResponse(url, body=svg_with_theme_faces(path.read_bytes()),
                                          headers={"Content-Type": "image/svg+xml"})
            return super().fetch(url, headers)
        if scheme in ("http", "https"):
            if self.allow_remote:
                return super().fetch(url, headers)
            raise RefusedURL(url, "network access is off; download it into the project or build with --allow-remote")
        raise RefusedURL(url, f"the '{scheme}:' scheme is not supported")

    def _copied(self, url: str, path: Path):
        """A file of the build read from its copy here, under its own URL."""
        import mimetypes

        copy = self._copy_of(path)
        if copy is None or not copy.is_file():
            raise RefusedURL(url, "no such file; check the path")
        data = copy.read_bytes()
        if path.suffix.lower() == ".svg":
            data = svg_with_theme_faces(data)
        kind = "image/svg+xml" if path.suffix.lower() == ".svg" else mimetypes.guess_type(path.name)[0]
        return _Copied(url, copy, body=data, headers={"Content-Type": kind or "application/octet-stream"})
