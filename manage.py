#!/usr/bin/env python
"""Django's manage.py, equivalent to the ``socle`` command."""

from socle.cli import main

if __name__ == "__main__":
    main()
