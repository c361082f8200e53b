"""The shared reporting layer: formatted tables and notes, the chart style and shared charts,
the reviewer HTML and the reports index."""
