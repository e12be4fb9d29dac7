"""Exports of a register in other formats: the ICO record of processing (ROP-01, ROP-02)."""
