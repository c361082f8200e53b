"""Stage 02, customer indicators and KPIs (指标体系): per-customer indicators, company KPIs,
and the stage's report tables and charts. The declaration is in :mod:`helpers.indicators.stage`."""
