"""The pipeline, declared in code.

- :mod:`~helpers.pipeline.spec`: how a stage declares its inputs, outputs, settings and parameters;
- :mod:`~helpers.pipeline.registry`: the stages found, the catalog of outputs and the settings model;
- :mod:`~helpers.pipeline.context`: a stage at work (:func:`open_stage`, ``stage.run()``);
- :mod:`~helpers.pipeline.state`: what the outputs were made from, and whether they are up to date;
- :mod:`~helpers.pipeline.runner`: plan and execute a period, replacing it only on success;
- :mod:`~helpers.pipeline.cli`: the ``grading`` command;
- :mod:`~helpers.pipeline.contracts`: ``docs/contracts.md`` from the declarations.
"""

from helpers.pipeline.context import StageContext, open_stage

__all__ = ["StageContext", "open_stage"]
