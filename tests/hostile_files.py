"""Hostile files for the limit tests (a zip bomb, a very wide CSV), built fast and on disk."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ROW = b'<row><c t="n"><v>1</v></c></row>'


def _deflate_repeated(chunk: bytes, times: int) -> tuple[bytes, int, int]:
    """Raw deflate of ``chunk`` repeated: after a full flush the compressor starts afresh, so each
    copy compresses to the same bytes and the stream is one piece repeated (seconds, not minutes)."""
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = c.compress(chunk) + c.flush(zlib.Z_FULL_FLUSH)
    tail = c.flush()
    crc = 0
    for _ in range(times):
        crc = zlib.crc32(chunk, crc)
    return piece * times + tail, crc, len(chunk) * times


def zip_bomb(path: Path, uncompressed: int = 2 * 1024 ** 3) -> Path:
    """An .xlsx whose one sheet inflates to ``uncompressed`` bytes of sheet XML (2 GiB: ~9 MB)."""
    chunk = ROW * 32768
    data, crc, size = _deflate_repeated(chunk, max(1, uncompressed // len(chunk)))
    members = [(b"[Content_Types].xml", b"<Types/>"),
               (b"xl/workbook.xml", b'<workbook><sheets><sheet name="s" sheetId="1" r:id="rId1"/></sheets></workbook>'),
               (b"xl/_rels/workbook.xml.rels",
                b'<Relationships><Relationship Id="rId1" Target="worksheets/sheet1.xml"/></Relationships>')]
    out, central = bytearray(), bytearray()

    def add(name: bytes, comp: bytes, crc32: int, usize: int, method: int) -> None:
        offset = len(out)
        out.extend(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0, crc32, len(comp), usize, len(name), 0))
        out.extend(name)
        out.extend(comp)
        central.extend(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0, crc32, len(comp), usize,
                                   len(name), 0, 0, 0, 0, 0, offset))
        central.extend(name)

    for name, body in members:
        add(name, body, zlib.crc32(body), len(body), 0)
    add(b"xl/worksheets/sheet1.xml", data, crc, size, 8)
    start = len(out)
    out.extend(central)
    out.extend(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members) + 1, len(members) + 1, len(central), start, 0))
    path.write_bytes(bytes(out))
    return path


def wide_csv(path: Path, columns: int = 1_000_000, rows: int = 3) -> Path:
    """A CSV of ``columns`` columns (1,000,000 columns × 3 rows: 6 MB)."""
    line = b",".join([b"1"] * columns) + b"\n"
    path.write_bytes(line * rows)
    return path
