#!/usr/bin/env python3
"""Turn the sample packets of RFC 9001 Appendix A (QUIC version 1) and RFC
9369 Appendix A (QUIC version 2) into plain data files under vectors/quic/.

Usage: tools/extract_quic.py ../shared/rfc vectors/quic

Each output file holds `label = value` lines under `## section` headings.
Values are hex, except `pn` and `payload_length`, which are decimal.  Every
value is read from the RFC's text: the Appendix A sections, the initial
salt (RFC 9001 §5.2, RFC 9369 §3.3.1), the Retry integrity key and nonce
(RFC 9001 §5.8, RFC 9369 §3.3.3) and the Retry secret.  RFC 9369 gives its
Retry secret only as "the sha256sum of 'QUICv2 retry secret'", which is
computed here as the RFC says.
"""
import hashlib
import re
import sys

HEX = re.compile(r"^[0-9a-f]+$")


def clean(text):
    """The RFC's lines without page footers, headers and form feeds."""
    out = []
    for line in text.split("\n"):
        if "\f" in line:
            continue
        if re.search(r"\[Page \d+\]\s*$", line):
            continue
        if re.match(r"^RFC 9[03]\d\d\s{2,}", line):
            continue
        out.append(line.rstrip())
    return out


def is_hex_block(line):
    """A line that is only hex groups, indented by three spaces."""
    if not line.startswith("   ") or line.startswith("    "):
        return False
    parts = line.split()
    return bool(parts) and all(HEX.match(p) and len(p) % 2 == 0 for p in parts)


def appendix(lines):
    """The lines of Appendix A, section by section."""
    sections = {}
    current = None
    for line in lines:
        m = re.match(r"^(A\.\d)\.\s+(.*)$", line)
        if m:
            current = m.group(1) + " " + m.group(2)
            sections[current] = []
            continue
        if re.match(r"^(Appendix [B-Z]|Acknowledgments|Authors' Addresses)", line):
            current = None
        if current:
            sections[current].append(line)
    return sections


def values(lines):
    """`name = hex` values (a formula first, the value on a `= hex` line, or
    the value inline), `name: hex` HkdfLabel lines, and bare hex blocks,
    in order."""
    out = []  # (kind, name, value)
    name = None
    value = None
    block = None

    def flush():
        nonlocal name, value, block
        if name is not None and value:
            out.append(("value", name, value))
        if block:
            out.append(("block", None, block))
        name, value, block = None, None, None

    for line in lines:
        if not line.strip():
            if block is not None or value:
                flush()
            continue
        if is_hex_block(line):
            if name is not None and value:
                flush()
            block = (block or "") + "".join(line.split())
            continue
        m = re.match(r"^   ([a-z][a-z0-9 _]*?):\s+([0-9a-f]+)$", line)
        if m:
            flush()
            out.append(("label", m.group(1), m.group(2)))
            continue
        m = re.match(r"^   ([a-z][a-z0-9_ ]*?)\s*(=\s*(.*))?$", line)
        if m and not line.startswith("    "):
            flush()
            rest = (m.group(3) or "").strip()
            name = m.group(1).strip()
            if HEX.match(rest):
                value = rest
            elif re.match(r"^\d+ \(decimal\)$", rest):
                value = rest.split()[0]
            else:
                value = ""
            continue
        m = re.match(r"^\s+=\s*(.*)$", line)
        if m and name is not None:
            # `= formula` lines come before the `= value` line.
            if HEX.match(m.group(1)):
                value = m.group(1)
            continue
        if name is not None and value and HEX.match(line.strip()):
            value += line.strip()
            continue
        # Prose (or a formula line such as `header[0] ^= ...`).
        if block is not None or value:
            flush()
        name, value = None, None
    flush()
    return out


def rfc_constant(lines, pattern):
    """The first `0x...` constant after the line that matches `pattern`."""
    text = "\n".join(lines)
    m = re.search(pattern + r".*?0x\s*([0-9a-f\s]+?)(?:\.|\s*$|\s+[a-z])", text, re.S | re.M)
    if not m:
        raise SystemExit("not found: " + pattern)
    return "".join(m.group(1).split())


def extract(path, version):
    lines = clean(open(path, encoding="utf-8").read())
    sec = appendix(lines)
    out = []
    if version == 1:
        out.append("# RFC 9001 Appendix A (QUIC version 1); extracted by tools/extract_quic.py")
        out.append("version = 00000001")
        out.append("initial_salt = " + rfc_constant(lines, r"with a salt of"))
        out.append("retry_key = " + rfc_constant(lines, r"The secret key, K, is 128 bits equal to"))
        out.append("retry_nonce = " + rfc_constant(lines, r"The nonce, N, is 96 bits equal to"))
        out.append("retry_secret = " + rfc_constant(lines, r"Expand-Label using"))
    else:
        out.append("# RFC 9369 Appendix A (QUIC version 2); extracted by tools/extract_quic.py")
        text = "\n".join(lines)
        m = re.search(r"The Version field of long headers is 0x([0-9a-f]{8})", text)
        out.append("version = " + m.group(1))
        out.append("initial_salt = " + rfc_constant(lines, r"initial_salt ="))
        out.append("retry_key = " + rfc_constant(lines, r"^\s+key ="))
        out.append("retry_nonce = " + rfc_constant(lines, r"^\s+nonce ="))
        if "sha256sum of \"QUICv2 retry secret\"" not in text:
            raise SystemExit("RFC 9369's Retry secret sentence not found")
        out.append("retry_secret = " + hashlib.sha256(b"QUICv2 retry secret").hexdigest())
    intro = "\n".join(lines)
    m = re.search(r"Destination\s+Connection\s+ID\s+of\s+0x([0-9a-f]+)", intro)
    out.append("client_dcid = " + m.group(1))
    for title, body in sec.items():
        out.append("")
        out.append("## " + title)
        items = values(body)
        seen = set()
        blocks = []
        # Names that repeat in A.1 (key, iv, hp) are the client's, then
        # the server's, in the RFC's order.
        repeat = {}
        for kind, name, value in items:
            if kind == "label":
                out.append("hkdf_label_%s = %s" % (name.replace(" ", "_"), value))
            elif kind == "value":
                key = name.replace(" ", "_")
                if title.startswith("A.1") and key in ("key", "iv", "hp"):
                    n = repeat.get(key, 0)
                    repeat[key] = n + 1
                    key = ("client_" if n == 0 else "server_") + key
                if key in seen:
                    raise SystemExit("%s: %s twice" % (title, key))
                seen.add(key)
                out.append("%s = %s" % (key, value))
            else:
                blocks.append(value)
        names = {
            "A.2": ["crypto_frame", "unprotected_header", "protected_packet"],
            "A.3": ["payload", "unprotected_header", "protected_packet"],
            "A.4": ["retry_packet"],
        }.get(title[:3], [])
        if len(blocks) != len(names):
            raise SystemExit("%s: %d hex blocks, expected %d" % (title, len(blocks), len(names)))
        for n, b in zip(names, blocks):
            out.append("%s = %s" % (n, b))
        if title.startswith("A.2"):
            m = re.search(r"make a (\d+)-byte payload", " ".join(body))
            out.append("payload_length = " + m.group(1))
        if title.startswith("A.2") or title.startswith("A.3"):
            m = re.search(r"packet number of (\d+)", " ".join(body))
            out.append("pn = " + m.group(1))
    return "\n".join(out) + "\n"


def main(rfcdir, dst):
    for name, version in (("rfc9001", 1), ("rfc9369", 2)):
        data = extract("%s/%s.txt" % (rfcdir, name), version)
        with open("%s/%s.txt" % (dst, name), "w", encoding="ascii") as f:
            f.write(data)
        print("wrote %s/%s.txt" % (dst, name))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
