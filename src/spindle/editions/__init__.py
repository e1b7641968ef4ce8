"""editions: turning a ``Book`` into files.

- ``paged/``: HTML to PDF with WeasyPrint: the engine (``engine``), splitting a book into parts
  (``split``), laying one part out in a worker process (``worker``), scheduling parts and merging
  them (``scheduler``, ``merge``), page numbers (``pagemap``), footnote placement (``footnotes``)
  and the only door through which WeasyPrint reads files (``fetcher``).
- ``print/``: the print edition's finishing: signatures, cover with spine and barcode, crop marks,
  PDF/X, imposition and preflight (``printing`` ties them together).
- ``epub/``: the EPUB 3 writer and its cover image.
- ``layouts``: lays out the paged editions (screen PDF and print) and hands page starts to the EPUB.

Imports: ``spindle.theme``, ``spindle.manuscript``, ``spindle.project``, ``spindle.core``; within
this package ``epub`` and ``print`` may use ``paged``, and ``layouts`` uses all three, never the
other way round.
"""
