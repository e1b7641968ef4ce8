"""The only door through which WeasyPrint reads anything: files inside the
project and the theme, ``data:`` URLs, and the network only when allowed."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from weasyprint.urls import FatalURLFetchingError, URLFetcher


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


class ProjectFetcher(URLFetcher):
    def __init__(self, roots: list[Path], allow_remote: bool = False):
        super().__init__(timeout=10, allowed_protocols=None)
        self.roots = [r.resolve() for r in roots]
        self.allow_remote = allow_remote

    def fetch(self, url, headers=None):
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            path = Path(unquote(parts.path)).resolve()
            if not any(path == root or root in path.parents for root in self.roots):
                raise RefusedURL(url, "it lies outside the project; move the file into the project")
            if not path.is_file():
                raise RefusedURL(url, "no such file; check the path")
            return super().fetch(url, headers)
        if scheme in ("http", "https"):
            if self.allow_remote:
                return super().fetch(url, headers)
            raise RefusedURL(url, "network access is off; download it into the project or build with --allow-remote")
        raise RefusedURL(url, f"the '{scheme}:' scheme is not supported")
