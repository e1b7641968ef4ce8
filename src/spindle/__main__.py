"""Entry point: ``python -m spindle`` and the ``spindle`` console script."""

import sys


def main() -> None:
    # lxml imports rnc2rng (RELAX NG compact syntax) when it is installed, and with it urllib.request,
    # ssl and rply: 40 ms of every spindle process, for a feature spindle never uses (only its tests do).
    sys.modules.setdefault("rnc2rng", None)
    from spindle.core import libraries

    libraries.quicken()  # WeasyPrint's C libraries found without ctypes' 40 subprocesses (core/libraries.py)
    libraries.tune_allocator()  # no glibc fastbins: a rebuild's merge freed without a 50 ms consolidation
    from spindle.cli import run

    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
