"""Entry point: ``python -m spindle`` and the ``spindle`` console script."""

import sys


def main() -> None:
    from spindle.cli import run

    sys.exit(run(sys.argv[1:]))


if __name__ == "__main__":
    main()
