"""Stage 01, data cleaning (数据清洗): loading rules, the row ledger, standardisation, masking,
and the stage's report tables and charts. The declaration is in :mod:`helpers.cleaning.stage`."""
