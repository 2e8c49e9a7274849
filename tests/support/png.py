"""Read PNG chunks by hand (no Pillow), to check what the renderer really writes."""

from __future__ import annotations

import struct
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
METADATA_CHUNKS = {b"tEXt", b"zTXt", b"iTXt", b"eXIf", b"tIME"}


def chunks(data: bytes) -> list[bytes]:
    assert data[:8] == SIGNATURE, "not a PNG"
    names: list[bytes] = []
    pos = 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        name = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])
        assert zlib.crc32(name + body) == crc, f"bad CRC in {name!r}"
        names.append(name)
        pos += 12 + length
    assert names[-1] == b"IEND" and pos == len(data)
    return names


def size(data: bytes) -> tuple[int, int]:
    assert chunks(data)[0] == b"IHDR"
    width, height = struct.unpack(">II", data[16:24])
    return width, height
