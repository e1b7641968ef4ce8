"""Reproducible builds: with the same SOURCE_DATE_EPOCH every edition is
byte-identical; a different epoch shows in the EPUB's modification date."""

from __future__ import annotations

import hashlib
import time
import zipfile
from datetime import datetime, timezone

from lxml import etree

from spindle.build import orchestrate as builder

OPF = {"opf": "http://www.idpf.org/2007/opf"}


def modified(epub_path) -> str:
    with zipfile.ZipFile(epub_path) as z:
        container = etree.fromstring(z.read("META-INF/container.xml"))
        opf_path = container.xpath(
            "string(//c:rootfile/@full-path)", namespaces={"c": "urn:oasis:names:tc:opendocument:xmlns:container"}
        )
        opf = etree.fromstring(z.read(opf_path))
    return opf.xpath("string(//opf:metadata/opf:meta[@property='dcterms:modified'])", namespaces=OPF).strip()


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_second_build_with_the_same_epoch_is_byte_identical(sample_project, outputs, epoch, tmp_path, monkeypatch):
    # The library API is given the epoch explicitly; the environment must not be what makes it work.
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    again = builder.build(sample_project, builder.EDITIONS, tmp_path / "again", epoch=epoch)
    second = {o.edition: o.path for o in again.outputs}
    assert set(second) == set(outputs) == set(builder.EDITIONS)
    differing = []
    for edition in builder.EDITIONS:
        a, b = outputs[edition].read_bytes(), second[edition].read_bytes()
        assert a and b
        if a != b:
            first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
            differing.append(
                f"{edition}: {len(a)} vs {len(b)} bytes, sha256 {hashlib.sha256(a).hexdigest()[:12]} vs "
                f"{hashlib.sha256(b).hexdigest()[:12]}, first difference at byte {first}"
            )
    assert not differing, "builds with the same SOURCE_DATE_EPOCH differ:\n" + "\n".join(differing)


def test_a_different_epoch_changes_the_epub_modification_date(sample_project, outputs, epoch, tmp_path):
    later = epoch + 86400 * 30 + 3662  # an even second: zip entry times have 2-second resolution
    result = builder.build(sample_project, ["epub"], tmp_path / "later", epoch=later)
    path = result.outputs[0].path
    assert modified(outputs["epub"]) == iso(epoch)
    assert modified(path) == iso(later)
    assert modified(path) != modified(outputs["epub"])
    with zipfile.ZipFile(path) as z:
        stamps = {info.date_time for info in z.infolist()}
    assert stamps == {datetime.fromtimestamp(later, timezone.utc).timetuple()[:6]}, stamps


# --- embedded fonts: no build clock -----------------------------------------------------------

def font_timestamps(pdf_path) -> dict[str, int]:
    """head.modified (as Unix time) of every embedded OpenType/TrueType font program."""
    import io

    import pikepdf
    from fontTools.misc.timeTools import epoch_diff
    from fontTools.ttLib import TTFont

    stamps: dict[str, int] = {}
    with pikepdf.open(pdf_path) as pdf:
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/FontDescriptor":
                for key in ("/FontFile2", "/FontFile3"):
                    if key in obj:
                        data = obj[key].read_bytes()
                        if data[:4] in (b"OTTO", b"\x00\x01\x00\x00", b"true"):
                            font = TTFont(io.BytesIO(data))
                            if "head" in font:
                                stamps[str(obj.FontName)] = font["head"].modified + epoch_diff
    return stamps


def clock_stamped(stamps: dict[str, int], start: float, epoch: int) -> dict[str, str]:
    return {
        name: datetime.fromtimestamp(ts, timezone.utc).isoformat()
        for name, ts in stamps.items()
        if ts != epoch and start - 5 <= ts <= time.time() + 5
    }


def test_sample_pdfs_embed_no_build_clock_in_fonts(outputs, epoch):
    """The session's build ran during this test run: a font whose head.modified falls
    inside it was stamped with the clock, not with SOURCE_DATE_EPOCH."""
    start = time.time() - 6 * 3600  # the theme's font files are years older than any test session
    for edition in ("pdf", "print"):
        stamps = font_timestamps(outputs[edition])
        assert stamps, f"{edition}: no embedded OpenType/TrueType font programs"
        leaked = clock_stamped(stamps, start, epoch)
        assert not leaked, f"{edition}: fonts stamped with the build clock: {leaked}"


def test_pdf_is_reproducible_when_weasyprint_subsets_fonts_with_fonttools(sample_copy, epoch, tmp_path, monkeypatch):
    """scripts/setup.sh does not install libharfbuzz-subset0; WeasyPrint then subsets fonts
    with fontTools, which writes the current time into each font's head.modified unless
    SOURCE_DATE_EPOCH is set in the environment. build(epoch=...) must still be reproducible."""
    import weasyprint.pdf.fonts

    from spindle.project.config import load

    monkeypatch.setattr(weasyprint.pdf.fonts, "harfbuzz_subset", None)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    # A small book (one chapter) keeps this fast; what matters is the font subsetting.
    sample_copy.write_text(
        '[book]\ntitle = "Reproducible"\nlanguage = "en"\n'
        '[contents]\nchapters = ["manuscript/02-new-alliances.md"]\n',
        encoding="utf-8",
    )
    project = load(sample_copy)
    start = time.time()
    first = builder.build(project, ["pdf"], tmp_path / "one", epoch=epoch).outputs[0].path
    time.sleep(1.1)  # head.modified has a resolution of one second
    second = builder.build(project, ["pdf"], tmp_path / "two", epoch=epoch).outputs[0].path
    leaked = clock_stamped(font_timestamps(second), start, epoch)
    assert first.read_bytes() == second.read_bytes(), (
        "two builds with the same epoch differ; fonts stamped with the build clock: " + repr(leaked)
    )
    assert not leaked, f"fonts stamped with the build clock: {leaked}"


def test_the_project_folder_does_not_show_in_the_bytes(outputs, epoch, tmp_path):
    """A copy of the sample at a longer, different path (a CI runner's checkout, another author's
    clone) builds the same screen PDF: no absolute path, nor its length, reaches the file."""
    from conftest import copy_sample
    from spindle.project.config import load

    elsewhere = copy_sample(tmp_path / "a-much-longer-folder-name-than-the-sample-has" / "clone")
    result = builder.build(load(elsewhere), ["pdf"], tmp_path / "out", epoch=epoch)
    built = result.outputs[0].path.read_bytes()
    assert str(tmp_path).encode() not in built
    assert built == outputs["pdf"].read_bytes(), "the screen PDF depends on the project's folder"


def _photo_book(root):
    """A one-chapter book with a photograph (a raster image: WeasyPrint names those by their URL)."""
    from PIL import Image

    (root / "manuscript").mkdir(parents=True)
    Image.new("RGB", (60, 40), (180, 40, 60)).save(root / "manuscript" / "photo.png")
    (root / "manuscript" / "01-photo.md").write_text("# A photo\n\n![A red rectangle](photo.png)\n\nText.\n",
                                                     encoding="utf-8")
    (root / "book.toml").write_text('[book]\ntitle = "Photo"\nlanguage = "en"\n[contents]\n'
                                    'chapters = ["manuscript/01-photo.md"]\n', encoding="utf-8")
    return root / "book.toml"


def test_a_raster_image_does_not_bring_the_project_folder_into_the_bytes(epoch, tmp_path):
    """The same book with a PNG built in two folders gives the same PDFs (WeasyPrint named the
    image's XObject after a hash of its absolute file URL: the bytes depended on the folder)."""
    from spindle.project.config import load

    one = builder.build(load(_photo_book(tmp_path / "a")), ["pdf", "print"], tmp_path / "a" / "build", epoch=epoch)
    two = builder.build(load(_photo_book(tmp_path / "another-folder" / "b")), ["pdf", "print"],
                        tmp_path / "another-folder" / "b" / "build", epoch=epoch)
    first, second = ({o.edition: o.path.read_bytes() for o in r.outputs} for r in (one, two))
    assert b"/XObject" in first["pdf"]
    for edition in ("pdf", "print"):
        assert first[edition] == second[edition], f"the {edition} edition depends on the project's folder"
