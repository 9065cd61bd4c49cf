#!/usr/bin/env python
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "betterdata.settings")
    # serve_demo is the local demo: DEMO=1 unless stated (settings read it before the command
    # runs: plain HTTP on localhost, a dev SECRET_KEY in .data/, mail to .data/mail/).
    if sys.argv[1:2] == ["serve_demo"]:
        os.environ.setdefault("DEMO", "1")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
