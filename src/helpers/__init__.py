"""Customer grading (客户分级) toolkit: the logic behind the numbered notebooks.

Stages and their modules: loading and cleaning (``loaders``, ``cleaning``, ``ledger``),
indicators and KPIs (``indicators``, ``kpis``), reports (``runner``, ``report``).
See ``docs/contracts.md`` for the tables each stage reads and writes.
"""
