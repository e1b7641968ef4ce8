"""Small print-edition fixture books, written into a temporary folder."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

ICC_DIR = Path("/usr/share/color/icc/ghostscript")  # Debian's libgs-common (scripts/setup.sh installs it)
CMYK_PROFILE = ICC_DIR / "default_cmyk.icc"
RGB_PROFILE = ICC_DIR / "srgb.icc"
ISBN = "978-90-832059-0-8"  # a checksum-valid demo number, not an assigned ISBN
QR_URL = "https://example.org/padding-test"

PARAGRAPH = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut "
             "labore et dolore magna aliqua. ") * 6


def write(root: Path, toml: str, chapters: dict[str, str], back: dict[str, str] | None = None,
          parts: bool = False) -> Path:
    """A project with *chapters* (file name -> Markdown) and optional back matter; returns book.toml."""
    (root / "manuscript").mkdir(parents=True, exist_ok=True)
    for name, text in {**chapters, **(back or {})}.items():
        (root / "manuscript" / name).write_text(text, encoding="utf-8")
    names = [f'"manuscript/{name}"' for name in chapters]
    if parts and len(names) > 1:
        listed = f'{names[0]}, {{ title = "Part two", chapters = [{", ".join(names[1:])}] }}'
    else:
        listed = ", ".join(names)
    contents = f"[contents]\nchapters = [{listed}]\n"
    if back:
        contents += "back = [" + ", ".join(f'"manuscript/{name}"' for name in back) + "]\n"
    config = root / "book.toml"
    head, _, rest = textwrap.dedent(toml).strip().partition("\n[editions")
    config.write_text(head + "\n" + contents + ("\n[editions" + rest if rest else "") + "\n", encoding="utf-8")
    return config


def chapter(title: str, body: str = PARAGRAPH, kind: str = "chapter") -> str:
    return f"---\ntitle: {title}\nkind: {kind}\n---\n{body}\n"


def padding_book(root: Path) -> Path:
    """6×9 in, 1/8 in bleed, signature 16, PDF/X-4, saddle stitched with creep, a part
    page (full-bleed colour) and a full-bleed photograph; about 17 pages before padding."""
    from PIL import Image

    (root / "manuscript" / "figures").mkdir(parents=True, exist_ok=True)
    shutil.copy(CMYK_PROFILE, root / "press.icc")
    Image.new("RGB", (2000, 2900), (0, 90, 160)).save(root / "manuscript" / "figures" / "sky.png")
    return write(root, f'''
        [book]
        title = "Padding Test"
        authors = ["A. Writer"]
        description = "A small book for testing the print edition."
        isbn = {{ print = "{ISBN}" }}
        [editions.print]
        trim = "6x9in"
        bleed = "0.125in"
        gutter = "5mm"
        signature = 16
        imposition = "saddle-stitch"
        creep = "0.2mm"
        ppi = 50
        icc_profile = "press.icc"
        qr_url = "{QR_URL}"
    ''', {
        "01-one.md": chapter("One", PARAGRAPH + "\n\n" + PARAGRAPH),
        "02-two.md": chapter("Two", PARAGRAPH + "\n\n::: full-bleed\n![Sky](figures/sky.png)\n:::\n\n" + PARAGRAPH),
        "03-three.md": chapter("Three"),
    }, back={"99-colophon.md": chapter("Colophon", "Set in Linux Libertine.", kind="colophon")}, parts=True)
