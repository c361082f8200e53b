"""Opportunity scoring (销售机会评分): the expert score of leads, checked against won/lost history."""
