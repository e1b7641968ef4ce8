"""editions.print: the print-ready edition: signatures and padding, the cover with its spine and
barcode, trim, bleed and crop marks, PDF/X finishing, imposition and preflight.

Imports: ``editions.paged`` and the layers below ``editions``. (Import its modules by their full
name, ``from spindle.editions.print import cover``: never bind ``print`` itself.)
"""
