"""build: the orchestrator. ``orchestrate.build`` loads the book, asks the editions for their files
and writes them atomically; ``uptodate`` skips a build whose inputs have not changed; ``result``
holds what a build made; ``manifest`` writes the JSON manifest for CI.

Imports: ``spindle.checks``, ``spindle.editions`` and the layers below them.
"""
