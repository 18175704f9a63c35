"""The ``gridgov`` console script.

Every subcommand is a Django management command; hyphenated names map to their underscored
command (``gridgov import-grids`` runs ``import_grids``), and any other Django command passes
through unchanged (``gridgov migrate``, ``gridgov createsuperuser``).
"""

import os
import sys


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = argv[1].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()
