"""core: what every stage may use, and which imports nothing else of spindle.

Owns the exception tree (``errors``), atomic output and build dates (``output``), the layout and
table cache and the code fingerprint (``cache``), the shared findings list of lint and preflight
(``findings``), progress messages and the terminal display (``progress``) and path display
(``paths``). Imports: only the standard library, third-party libraries and ``spindle.__version__``.
"""
