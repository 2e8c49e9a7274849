"""Bytes on the wire to Python values (implementations of the domain's decoding ports)."""
