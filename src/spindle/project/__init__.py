"""project: ``book.toml`` and what it means: the typed, validated configuration (``config``,
``schema``), the transcript format names it accepts (``formats``) and the built-in labels per
language (``i18n``).

Imports: ``spindle.core`` only.
"""
