#!/usr/bin/env python3
"""Writes the PDF fixtures of tests/ingest/formats/pdf_test.cc, by hand, with exact xref offsets.

  hello.pdf      one page, "Hello PDF world", info Title "A Tiny Test PDF"
  multipage.pdf  three pages (WinAnsiEncoding: "café", "naïve"), the second page empty, no Title
  truncated.pdf  the first 200 bytes of multipage.pdf
  locked.pdf     hello.pdf's content behind the standard security handler (RC4, user password
                 "secret"), which cannot be opened without it
  random.pdf     512 pseudo-random bytes (fixed seed)
  image_only.pdf one page that draws a filled rectangle and no text

Run from any directory: python3 tests/data/ingest-formats/make_pdf.py
"""
import hashlib
import os
import random
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def rc4(key, data):
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def build(objects, trailer_extra=b""):
    """objects: list of bytes bodies for objects 1..n. Returns the whole file."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n" % (len(objects) + 1)
    out += b"0000000000 65535 f \n"
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, trailer_extra, xref)
    return bytes(out)


def stream(content, extra=b""):
    return b"<< /Length %d%s >>\nstream\n" % (len(content), extra) + content + b"\nendstream"


def text_content(lines):
    ops = b"BT /F1 18 Tf 72 720 Td 22 TL\n"
    for line in lines:
        ops += b"(" + line + b") '\n"
    return ops + b"ET"


FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"


def pages_document(page_contents, info=None):
    """Catalog 1, Pages 2, Font 3, then (page, content) pairs, then optional Info."""
    n = len(page_contents)
    page_ids = [4 + 2 * i for i in range(n)]
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
            b" ".join(b"%d 0 R" % p for p in page_ids), n),
        FONT,
    ]
    for i, content in enumerate(page_contents):
        objects.append(b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
                       b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (page_ids[i] + 1))
        objects.append(stream(content))
    extra = b""
    if info is not None:
        objects.append(info)
        extra = b" /Info %d 0 R" % len(objects)
    return objects, extra


def locked_pdf():
    # Standard security handler, revision 2, 40-bit RC4 (PDF 1.4 spec, algorithms 3.1-3.4).
    file_id = hashlib.md5(b"lateral locked fixture").digest()
    user, owner = b"secret", b"owner-secret"
    owner_key = hashlib.md5((owner + PAD)[:32]).digest()[:5]
    o_entry = rc4(owner_key, (user + PAD)[:32])
    permissions = -4  # everything allowed; only the password matters here
    key = hashlib.md5((user + PAD)[:32] + o_entry + struct.pack("<i", permissions) + file_id).digest()[:5]
    u_entry = rc4(key, PAD)

    def encrypt(number, data):
        object_key = hashlib.md5(key + struct.pack("<i", number)[:3] + b"\x00\x00").digest()[:10]
        return rc4(object_key, data)

    content = encrypt(5, text_content([b"Secret text"]))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [4 0 R] /Count 1 >>",
        FONT,
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 3 0 R >> >> /Contents 5 0 R >>",
        stream(content),
        b"<< /Filter /Standard /V 1 /R 2 /O <%s> /U <%s> /P %d >>" % (
            o_entry.hex().encode(), u_entry.hex().encode(), permissions),
    ]
    extra = b" /Encrypt 6 0 R /ID [<%s> <%s>]" % (file_id.hex().encode(), file_id.hex().encode())
    return build(objects, extra)


def main():
    files = {}
    objects, extra = pages_document(
        [text_content([b"Hello PDF world"])],
        info=b"<< /Title (A Tiny Test PDF) /Producer (make_pdf.py) >>")
    files["hello.pdf"] = build(objects, extra)

    objects, extra = pages_document([
        text_content([b"Page one: caf\xe9 au lait", b"second line"]),
        b"",
        text_content([b"Page three is na\xefve"]),
    ])
    files["multipage.pdf"] = build(objects, extra)
    files["truncated.pdf"] = files["multipage.pdf"][:200]
    files["locked.pdf"] = locked_pdf()
    rng = random.Random(4)
    files["random.pdf"] = bytes(rng.randrange(256) for _ in range(512))
    objects, extra = pages_document([b"0 0 1 rg 100 100 200 200 re f"])
    files["image_only.pdf"] = build(objects, extra)
    for name, data in files.items():
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
