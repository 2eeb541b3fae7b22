"""`python -m tinygrad_edu demo`."""

import sys

from .cli import main

sys.exit(main())
