"""The core every other part builds on: config loading, periods, errors, the canonical schema,
the catalog of paths and outputs, the label registry and input validation."""
