"""Customer grading (客户分级) toolkit: the logic behind the numbered notebooks.

The package, by what the code is:

- :mod:`helpers.core`: config loading, periods, errors, the canonical schema, the catalog of
  paths and outputs, the label registry;
- :mod:`helpers.io`: reading client exports, stage tables, JSON, atomic writes, the Excel writer;
- :mod:`helpers.pipeline`: stage declarations, the registry, a stage at work, staleness, the
  runner and the ``grading`` command;
- :mod:`helpers.reporting`: tables and notes for reviewers, chart style, HTML, the index;
- :mod:`helpers.shared`: analysis utilities several stages use;
- one sub-package per stage, each with its declaration in ``stage.py``:
  :mod:`helpers.cleaning` (01), :mod:`helpers.indicators` (02), :mod:`helpers.segmentation` (03).

See ``docs/contracts.md`` for the tables each stage reads and writes.
"""
