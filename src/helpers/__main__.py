"""``python -m helpers``: the same command line as ``grading``."""
import sys

from helpers.runner import main

sys.exit(main())
