"""Input and output: reading client exports (loaders, parsing), stage tables (Parquet), JSON,
atomic file writing and the one Excel writer."""
