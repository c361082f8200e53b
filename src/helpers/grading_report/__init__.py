"""Stage 06, the customer grading report (客户分级报告): migration between periods and the alert digests."""
