"""Finish WeasyPrint's print output with pikepdf: page boxes and crop marks
(marks.py), the PDF/X-4 output intent and reproducible metadata.

WeasyPrint's PDF/X output writes a random ``xmpMM:DocumentID`` and, without
``dcterms`` dates, the local time: here the ids are derived from the book's
identity and the dates from SOURCE_DATE_EPOCH (or the build's own clock), and
the file is saved with a content-derived /ID, so two builds of the same
sources give the same bytes."""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib.resources import files

from spindle.editions.print.marks import Marker, Sheet

NAMESPACE = uuid.UUID("6f1c0f44-5a8e-4a53-9d5c-8f3d2f3a4b71")  # spindle's uuid5 namespace


@dataclass(frozen=True)
class Finish:
    identifier: str  # the document's identity: same sources => same ids
    epoch: int | None
    sheet: Sheet | None = None  # boxes and marks to set (None: leave the pages alone)
    marks: bool = True
    output_condition: str | None = None  # set when the PDF claims PDF/X


def finish(data: bytes, spec: Finish) -> bytes:
    import pikepdf

    with pikepdf.open(io.BytesIO(data)) as pdf:
        apply(pdf, spec)
        return save(pdf)


def apply(pdf, spec: Finish) -> None:
    """Finish an open pikepdf.Pdf in place (the part-by-part layout does it in its merge,
    so that the book is read and written once)."""
    if spec.sheet is not None:
        marker = Marker(pdf, spec.sheet, spec.marks)
        for page in pdf.pages:
            box = page.obj.get("/TrimBox") or page.obj.MediaBox
            marker.apply(page, float(box[0]), float(box[1]))
    if spec.output_condition is not None:
        set_output_condition(pdf, spec.output_condition)
        add_default_rgb(pdf)
    stamp(pdf, spec.identifier, spec.epoch)


def save(pdf, min_version: str = "") -> bytes:
    import pikepdf

    out = io.BytesIO()
    pdf.save(out, deterministic_id=True, fix_metadata_version=False, min_version=min_version,
             object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    return out.getvalue()


def document_ids(identifier: str) -> tuple[str, str]:
    did = uuid.uuid5(NAMESPACE, identifier)
    iid = uuid.uuid5(NAMESPACE, identifier + "|instance")
    return f"xmp.did:{did}", f"xmp.iid:{iid}"


def pdf_date(epoch: int | None) -> tuple[str, str]:
    """(PDF date string, ISO 8601) of the build: SOURCE_DATE_EPOCH when set, in UTC."""
    moment = datetime.fromtimestamp(epoch, timezone.utc) if epoch is not None else datetime.now(timezone.utc)
    return moment.strftime("D:%Y%m%d%H%M%SZ"), moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(pdf, identifier: str, epoch: int | None) -> None:
    """Fixed document ids, and the build's dates (see :func:`date`)."""
    date(pdf, epoch)
    if "/Metadata" not in pdf.Root:
        return
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
    did, iid = document_ids(identifier)
    xmp = re.sub(r"<xmpMM:DocumentID>[^<]*</xmpMM:DocumentID>", f"<xmpMM:DocumentID>{did}</xmpMM:DocumentID>", xmp)
    if "<xmpMM:InstanceID>" in xmp:
        xmp = re.sub(r"<xmpMM:InstanceID>[^<]*</xmpMM:InstanceID>", f"<xmpMM:InstanceID>{iid}</xmpMM:InstanceID>", xmp)
    elif "</xmpMM:DocumentID>" in xmp:
        xmp = xmp.replace("</xmpMM:DocumentID>", f"</xmpMM:DocumentID><xmpMM:InstanceID>{iid}</xmpMM:InstanceID>", 1)
    pdf.Root.Metadata.write(xmp.encode("utf-8"))


def date(pdf, epoch: int | None) -> None:
    """Set the creation and modification dates (document information and XMP) to the
    build's: SOURCE_DATE_EPOCH when given, else now. The layouts themselves carry no
    date (a part laid out in an earlier build is reused as it is), so every paged
    output is dated here."""
    import pikepdf

    when, iso = pdf_date(epoch)
    pdf.docinfo[pikepdf.Name.CreationDate] = when
    pdf.docinfo[pikepdf.Name.ModDate] = when
    if "/Metadata" not in pdf.Root:
        return
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8")
    for tag in ("xmp:CreateDate", "xmp:ModifyDate", "xmp:MetadataDate"):
        xmp = re.sub(rf"<{tag}>[^<]*</{tag}>", f"<{tag}>{iso}</{tag}>", xmp)
    pdf.Root.Metadata.write(xmp.encode("utf-8"))


def set_output_condition(pdf, condition: str) -> None:
    """Name the output condition (WeasyPrint uses the profile's description for
    both fields; 'Custom' plus the description is what PDF/X expects for an
    unregistered profile)."""
    import pikepdf

    for intent in pdf.Root.get("/OutputIntents", []):
        description = str(intent.get("/Info", ""))
        intent.OutputConditionIdentifier = pikepdf.String(condition)
        intent.OutputCondition = pikepdf.String(description or condition)
        intent.Info = pikepdf.String(description or condition)
        if condition != "Custom":
            intent.RegistryName = pikepdf.String("http://www.color.org")


def add_default_rgb(pdf) -> None:
    """Make DeviceRGB content (RGB images, SVG colours) device-independent (sRGB), as
    PDF/X-4 requires with a CMYK output intent."""
    import pikepdf

    profile = files("weasyprint.pdf").joinpath("sRGB2014.icc").read_bytes()
    stream = pdf.make_indirect(pikepdf.Stream(pdf, profile))
    stream.N = 3
    default = pikepdf.Array([pikepdf.Name.ICCBased, stream])
    seen: set[tuple[int, int]] = set()

    def patch(resources) -> None:
        if resources is None or not isinstance(resources, pikepdf.Dictionary):
            return
        key = resources.objgen
        if key != (0, 0):
            if key in seen:
                return
            seen.add(key)
        if "/ColorSpace" not in resources:
            resources.ColorSpace = pikepdf.Dictionary()
        resources.ColorSpace.DefaultRGB = default
        for xobject in resources.get("/XObject", {}).values():
            if xobject.get("/Subtype") == pikepdf.Name.Form:
                patch(xobject.get("/Resources"))

    for page in pdf.pages:
        patch(page.obj.get("/Resources"))
