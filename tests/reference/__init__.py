"""Published vectors, schemas, value sets and reference data, copied verbatim (see README.md)."""

from pathlib import Path

REFERENCE_DIR = Path(__file__).resolve().parent
