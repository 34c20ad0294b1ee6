"""``python -m aggregator`` is the ``dsar`` command."""

import sys

from aggregator.cli import main

sys.exit(main())
