"""Stage tables as Parquet files: written atomically, read back with their types.

Which table goes to which file is the catalog's business
(:class:`helpers.core.catalog.Catalog`); this module only reads and writes one file.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from helpers.io.files import atomic_path

__all__ = ["read_table", "table_rows", "write_table"]


def write_table(path: Path, frame: pd.DataFrame) -> Path:
    """Write ``frame`` as Parquet without its index (put keys in columns), atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)
    return Path(path)


def read_table(path: Path) -> pd.DataFrame:
    """Read a table written by :func:`write_table`."""
    return pd.read_parquet(path)


def table_rows(path: Path) -> int:
    """Rows of a Parquet file, from its footer (no data read)."""
    return pq.ParquetFile(path).metadata.num_rows
