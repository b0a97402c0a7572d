"""``python -m obs_workflow_async``: the same as the ``obs-workflow`` command."""

import sys

from .cli import main

sys.exit(main())
