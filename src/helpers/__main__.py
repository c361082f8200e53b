"""``python -m helpers``: the same command line as ``grading``."""

import sys

from helpers.pipeline.cli import main

sys.exit(main())
