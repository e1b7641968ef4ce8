"""checks: looking at a book without building it (``lint``: ``spindle check``) and at built pages
(``proof``: PNG spreads and contact sheets). The print preflight lives with the print edition
(``editions.print.preflight``), which runs it under ``--strict``.

Imports: ``spindle.editions`` and the layers below it.
"""
