"""Hand-built PDFs for the active-content checks: a classic xref table, or compressed object streams.

``pdf_file({1: b"<< /Type /Catalog ... >>", ...})`` writes each object at its number, a
cross-reference table and a trailer whose root is object 1. With ``packed={3, 4}`` those
objects go into one Flate-compressed object stream (PDF 1.5) and the cross-reference
becomes a stream too, as most writers produce today: none of their names is in the file
as bytes.
"""

from __future__ import annotations

import struct
import zlib

PAGE_TREE = {
    2: b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    3: b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
}


def stream(data: bytes, extra: bytes = b"") -> bytes:
    """An uncompressed stream object's body."""
    return b"<< /Length %d %s >>\nstream\n%s\nendstream" % (len(data), extra, data)


def catalog(extra: bytes = b"") -> dict[int, bytes]:
    """A one-page document whose catalog carries ``extra``."""
    return {1: b"<< /Type /Catalog /Pages 2 0 R " + extra + b" >>", **PAGE_TREE}


def pdf_file(objects: dict[int, bytes], packed: set[int] | frozenset[int] = frozenset()) -> bytes:
    """Write a PDF of these objects (root: 1), those of ``packed`` in a compressed object stream."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets: dict[int, int] = {}
    for number in sorted(set(objects) - set(packed)):
        offsets[number] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (number, objects[number])
    if not packed:
        xref = len(out)
        size = max(objects) + 1
        out += b"xref\n0 %d\n0000000000 65535 f \n" % size
        for number in range(1, size):
            out += (b"%010d 00000 n \n" % offsets[number] if number in offsets
                    else b"0000000000 65535 f \n")
        out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (size, xref)
        return bytes(out)

    stream_number = max(objects) + 1
    xref_number = stream_number + 1
    header, body = b"", b""
    index: dict[int, int] = {}
    for position, number in enumerate(sorted(packed)):
        header += b"%d %d " % (number, len(body))
        body += objects[number] + b"\n"
        index[number] = position
    packed_data = zlib.compress(header + body)
    offsets[stream_number] = len(out)
    out += (b"%d 0 obj\n<< /Type /ObjStm /N %d /First %d /Filter /FlateDecode /Length %d >>\n"
            b"stream\n" % (stream_number, len(packed), len(header), len(packed_data))
            + packed_data + b"\nendstream\nendobj\n")
    offsets[xref_number] = len(out)
    rows = b""
    for number in range(xref_number + 1):
        if number in index:
            rows += struct.pack(">BHH", 2, stream_number, index[number])
        elif number in offsets:
            rows += struct.pack(">BHH", 1, offsets[number], 0)
        else:
            rows += struct.pack(">BHH", 0, 0, 0xFFFF)
    data = zlib.compress(rows)
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 2 2] /Root 1 0 R /Filter /FlateDecode "
            b"/Length %d >>\nstream\n" % (xref_number, xref_number + 1, len(data))
            + data + b"\nendstream\nendobj\n")
    out += b"startxref\n%d\n%%%%EOF\n" % offsets[xref_number]
    return bytes(out)
