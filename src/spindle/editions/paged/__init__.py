"""editions.paged: HTML to PDF pages with WeasyPrint, laid out part by part in worker processes.

Imports: ``spindle.theme``, ``spindle.manuscript``, ``spindle.project``, ``spindle.core``; never
``editions.print`` or ``editions.epub``.
"""
