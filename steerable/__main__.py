"""``python -m steerable``: the command line interface (see :mod:`steerable.cli.main`)."""
import sys

from .cli.main import main

sys.exit(main())
