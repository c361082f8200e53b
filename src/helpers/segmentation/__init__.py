"""Stage 03, RFM segmentation and customer value (RFM客户分层与价值分级): RFM, the other gradings,
lifetime value, the value matrix, the scorecard and its manual sheet, the grading table, and the stage's
report tables and charts. The declaration is in :mod:`helpers.segmentation.stage`."""
