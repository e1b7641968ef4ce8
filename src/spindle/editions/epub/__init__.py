"""editions.epub: the EPUB 3 edition (``writer``) and its cover image (``cover``).

Imports: ``editions.paged`` (page starts for the page-list) and the layers below ``editions``.
"""
