"""manuscript: from the reading order in ``book.toml`` to a ``Book`` of ``Chapter``s.

Owns reading the manuscript files (``load``: reading order, front matter, chapters), Markdown to
XHTML (``markdown``, ``xhtml`` repair), cross-references (``links``), the document model
(``model``: Book, Chapter, Heading, Note, Speaker) and interview transcripts (``transcripts/``).
Nothing here knows about editions, templates or layout.

Imports: ``spindle.project`` and ``spindle.core``.
"""
