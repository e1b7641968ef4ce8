"""spindle: build screen PDF, EPUB 3 and print editions of a book from Markdown."""

__version__ = "0.1.0"
