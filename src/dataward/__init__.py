"""dataward: run a UK privacy notice as a machine-checked register."""

__version__ = "0.1.0"
