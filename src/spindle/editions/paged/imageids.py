"""Raster images named in the PDF by where they lie in the project, not where it lies on this disk.

WeasyPrint names a raster image's XObject in the PDF (``/i<id>0``) after a hash of its URL, and an
image's URL is absolute (``file:///home/ann/books/x/manuscript/figures/map.png``): the same project
built in two folders (a CI checkout and the author's, or one checkout after a rename) gave two
PDFs that differ in every page showing a photo, against the rule that the same sources and
SOURCE_DATE_EPOCH give the same bytes. While spindle lays out, an image's id is the hash of its URL
with the folder it was found in replaced by a name of that folder's role: the project
(``project:``), a series' shared theme (``shared0:`` ...), spindle's built-in theme (``spindle:``,
which lies wherever spindle was installed). Different files keep different ids (their paths in the
project differ), so WeasyPrint's reuse of one image drawn twice is as before.

:func:`use` is called before each layout with the folders of that layout (a process lays out one
part at a time); on a WeasyPrint without ``weasyprint.document.original_get_image_from_uri`` nothing
is changed.
"""

from __future__ import annotations

from hashlib import md5
from pathlib import Path

_ROOTS: list[tuple[str, str]] = []  # (folder's URI with a trailing slash, its role), longest first
_SAVED: dict = {}


def use(root: Path, shared: tuple = ()) -> None:
    """Name the images of the next layouts after their place under *root* (the project), the
    *shared* folders (a series' theme) or spindle's built-in theme."""
    from spindle.theme import BUILTIN

    roots = [(Path(root), "project"), *((Path(p), f"shared{i}") for i, p in enumerate(shared)), (BUILTIN, "spindle")]
    found = []
    for folder, role in roots:
        for path in {folder, folder.resolve()}:
            found.append((path.as_uri().rstrip("/") + "/", role))
    _ROOTS[:] = sorted(found, key=lambda item: -len(item[0]))
    _install()


def portable(url: str) -> str:
    """*url* with the folder it lies in given by its role (unchanged when in none of them)."""
    for prefix, role in _ROOTS:
        if url.startswith(prefix):
            return f"{role}:{url[len(prefix):]}"
    return url


def _install() -> None:
    if _SAVED:
        return
    import weasyprint.document as wdoc

    original = getattr(wdoc, "original_get_image_from_uri", None)
    if original is None:
        return
    _SAVED["get"] = original

    def get_image_from_uri(cache, url_fetcher, options, url, *args, **kwargs):
        image = original(cache, url_fetcher, options, url, *args, **kwargs)
        if image is not None and getattr(image, "id", None) is not None and not getattr(image, "_spindle_id", False):
            image.id = md5(portable(url).encode(), usedforsecurity=False).hexdigest()  # (as WeasyPrint hashes)
            image._spindle_id = True
        return image

    wdoc.original_get_image_from_uri = get_image_from_uri


def uninstall() -> None:
    """WeasyPrint's own naming back (tests)."""
    if _SAVED:
        import weasyprint.document as wdoc

        wdoc.original_get_image_from_uri = _SAVED.pop("get")
