"""Stage 04, churn modelling and early warning (流失预警): the label without leakage, the features as of a cut-off,
the models and their out-of-time check, calibration, reasons in words, the early-warning rules, and the stage's
report tables, charts and risk list. The declaration is in :mod:`helpers.churn.stage`."""
