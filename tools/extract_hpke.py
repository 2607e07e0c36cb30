#!/usr/bin/env python3
"""Extract RFC 9180 Appendix A Base-mode (mode 0) test vectors and check them.

Usage:  python3 tools/extract_hpke.py [rfc9180.txt] [out.txt]
Default input: ../shared/rfc/rfc9180.txt beside the repository; default
output: vectors/hpke/rfc9180-base.txt in the repository, in the
`key = value` form that tests/hpke.rs reads (one block per vector, starting
at `section = `; each encryption a line `encryption = seq pt aad nonce ct`,
each export a line `export = L exporter_context exported_value`, with `-`
for an empty value).

Selection: mode 0, KEM DHKEM(X25519, HKDF-SHA256) (0x0020) or DHKEM(P-256, HKDF-SHA256)
(0x0010), KDF HKDF-SHA256/384 (1, 2), AEAD AES-128-GCM/AES-256-GCM/ChaCha20Poly1305 (1, 2, 3).

Checks, stdlib only (hmac/hashlib): DeriveKeyPair -> skEm/skRm (X25519: KDF output; P-256:
rejection sampling), the KeySchedule (key_schedule_context, secret, key, base_nonce,
exporter_secret) recomputed from shared_secret and info, every nonce (base_nonce XOR seq) and
every exported value. If the optional `cryptography` package is importable, also: pk(sk) ==
pkXm, DH + ExtractAndExpand -> shared_secret, and every AEAD ciphertext (seal and open).
"""
import hashlib
import hmac
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SRC = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "..", "shared", "rfc", "rfc9180.txt")
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "vectors", "hpke", "rfc9180-base.txt")

WANT_KEM = {0x0020: "DHKEM(X25519, HKDF-SHA256)", 0x0010: "DHKEM(P-256, HKDF-SHA256)"}
WANT_KDF = {1: "HKDF-SHA256", 2: "HKDF-SHA384"}
WANT_AEAD = {1: "AES-128-GCM", 2: "AES-256-GCM", 3: "ChaCha20Poly1305"}
KEM_KDF_HASH = {0x0020: hashlib.sha256, 0x0010: hashlib.sha256}
KDF_HASH = {1: hashlib.sha256, 2: hashlib.sha384, 3: hashlib.sha512}
AEAD_NK = {1: 16, 2: 32, 3: 32}
NN = 12
KEM_NSK = {0x0020: 32, 0x0010: 32}
P256_ORDER = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551

KEY_RE = re.compile(r"^   ([A-Za-z_ ]+):(?: (.*))?$")  # "   name: value" or "   name:" (value may wrap)
HEX_RE = re.compile(r"^   ([0-9a-f]+)$")                # continuation of a wrapped hex value
SECTION_RE = re.compile(r"^(A\.\d+(?:\.\d+)*)\.  (.*)$")


def parse(path):
    """Returns {section_number: (title, [(key, value), ...])} for every Appendix A section."""
    lines = open(path, encoding="utf-8").read().splitlines()
    start = next(i for i, l in enumerate(lines) if l.startswith("Appendix A.  Test Vectors"))
    sections, cur = {}, None
    for line in lines[start:]:
        m = SECTION_RE.match(line)
        if m:
            cur = m.group(1)
            sections[cur] = (m.group(2).strip(), [])
            continue
        if line.startswith("Authors' Addresses") or line.startswith("Acknowledgements"):
            break
        if cur is None:
            continue
        items = sections[cur][1]
        m = KEY_RE.match(line)
        if m:
            items.append([m.group(1).strip(), (m.group(2) or "").strip()])
            continue
        m = HEX_RE.match(line)
        if m and items:
            items[-1][1] += m.group(1)   # wrapped hex: concatenate (splits fall anywhere)
            continue
        if line.strip() == "":
            continue
        # any other text (the Appendix preamble) is ignored
    return sections


def base_vectors(sections):
    """Yields (section_id, title_of_parent, vector dict) for each 'Base Setup Information'."""
    for sec, (title, items) in sections.items():
        if title != "Base Setup Information":
            continue
        suite_title = sections[sec.rsplit(".", 1)[0]][0]
        v = {"section": sec, "suite": suite_title}
        for k, val in items:
            v[k] = val
        for k in ("mode", "kem_id", "kdf_id", "aead_id"):
            v[k] = int(v[k])
        sub = {t: it for s, (t, it) in sections.items() if s.rsplit(".", 1)[0] == sec}
        encs, cur = [], None
        for k, val in sub.get("Encryptions", []):   # absent for the Export-only AEAD (A.7)
            if k == "sequence number":
                cur = {"seq": int(val)}
                encs.append(cur)
            else:
                cur[k] = val
        exps, cur = [], None
        for k, val in sub.get("Exported Values", []):
            if k == "exporter_context":
                cur = {"exporter_context": val}
                exps.append(cur)
            elif k == "L":
                cur["L"] = int(val)
            else:
                cur[k] = val
        v["encryptions"] = encs
        v["exports"] = exps
        yield v


# ---------------------------------------------------------------- HKDF / labels (stdlib)
def extract(h, salt, ikm):
    return hmac.new(salt or b"\0" * h().digest_size, ikm, h).digest()


def expand(h, prk, info, L):
    out, t, i = b"", b"", 1
    while len(out) < L:
        t = hmac.new(prk, t + info + bytes([i]), h).digest()
        out += t
        i += 1
    return out[:L]


def labeled_extract(h, suite_id, salt, label, ikm):
    return extract(h, salt, b"HPKE-v1" + suite_id + label + ikm)


def labeled_expand(h, suite_id, prk, label, info, L):
    return expand(h, prk, L.to_bytes(2, "big") + b"HPKE-v1" + suite_id + label + info, L)


def kem_suite_id(kem_id):
    return b"KEM" + kem_id.to_bytes(2, "big")


def hpke_suite_id(kem_id, kdf_id, aead_id):
    return b"HPKE" + kem_id.to_bytes(2, "big") + kdf_id.to_bytes(2, "big") + aead_id.to_bytes(2, "big")


def derive_sk(kem_id, ikm):
    h, sid, nsk = KEM_KDF_HASH[kem_id], kem_suite_id(kem_id), KEM_NSK[kem_id]
    prk = labeled_extract(h, sid, b"", b"dkp_prk", ikm)
    if kem_id == 0x0020:
        return labeled_expand(h, sid, prk, b"sk", b"", nsk)
    for counter in range(256):
        cand = bytearray(labeled_expand(h, sid, prk, b"candidate", bytes([counter]), nsk))
        cand[0] &= 0xFF  # bitmask for P-256
        sk = int.from_bytes(cand, "big")
        if 0 < sk < P256_ORDER:
            return bytes(cand)
    raise ValueError("DeriveKeyPairError")


def check(v, crypto):
    H = bytes.fromhex
    kem, kdf, aead = v["kem_id"], v["kdf_id"], v["aead_id"]
    h = KDF_HASH[kdf]
    nh = h().digest_size
    sid = hpke_suite_id(kem, kdf, aead)
    # DeriveKeyPair (sk part) -- stdlib only
    assert derive_sk(kem, H(v["ikmE"])).hex() == v["skEm"], "skEm"
    assert derive_sk(kem, H(v["ikmR"])).hex() == v["skRm"], "skRm"
    assert v["enc"] == v["pkEm"], "enc == SerializePublicKey(pkE)"
    # KeySchedule (mode_base: psk = psk_id = "")
    psk_id_hash = labeled_extract(h, sid, b"", b"psk_id_hash", b"")
    info_hash = labeled_extract(h, sid, b"", b"info_hash", H(v["info"]))
    ksc = bytes([v["mode"]]) + psk_id_hash + info_hash
    assert ksc.hex() == v["key_schedule_context"], "key_schedule_context"
    secret = labeled_extract(h, sid, H(v["shared_secret"]), b"secret", b"")
    assert secret.hex() == v["secret"], "secret"
    key = labeled_expand(h, sid, secret, b"key", ksc, AEAD_NK[aead])
    base_nonce = labeled_expand(h, sid, secret, b"base_nonce", ksc, NN)
    exporter_secret = labeled_expand(h, sid, secret, b"exp", ksc, nh)
    assert key.hex() == v["key"], "key"
    assert base_nonce.hex() == v["base_nonce"], "base_nonce"
    assert exporter_secret.hex() == v["exporter_secret"], "exporter_secret"
    for e in v["encryptions"]:
        nonce = bytes(a ^ b for a, b in zip(base_nonce, e["seq"].to_bytes(NN, "big")))
        assert nonce.hex() == e["nonce"], "nonce %d" % e["seq"]
    for x in v["exports"]:
        out = labeled_expand(h, sid, exporter_secret, b"sec", H(x["exporter_context"]), x["L"])
        assert out.hex() == x["exported_value"], "export"
    if not crypto:
        return "key schedule, DeriveKeyPair(sk), nonces, exports"
    # Optional: public keys, DH/ExtractAndExpand, AEAD
    from cryptography.hazmat.primitives.asymmetric import x25519, ec
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM, ChaCha20Poly1305
    if kem == 0x0020:
        skE = x25519.X25519PrivateKey.from_private_bytes(H(v["skEm"]))
        skR = x25519.X25519PrivateKey.from_private_bytes(H(v["skRm"]))
        pub = lambda k: k.public_key().public_bytes(s.Encoding.Raw, s.PublicFormat.Raw)
        dh = skE.exchange(skR.public_key())
        assert dh == skR.exchange(x25519.X25519PublicKey.from_public_bytes(H(v["enc"])))
    else:
        skE = ec.derive_private_key(int(v["skEm"], 16), ec.SECP256R1())
        skR = ec.derive_private_key(int(v["skRm"], 16), ec.SECP256R1())
        pub = lambda k: k.public_key().public_bytes(s.Encoding.X962, s.PublicFormat.UncompressedPoint)
        dh = skE.exchange(ec.ECDH(), skR.public_key())
    assert pub(skE).hex() == v["pkEm"] and pub(skR).hex() == v["pkRm"], "pk(sk)"
    kh, ksid = KEM_KDF_HASH[kem], kem_suite_id(kem)
    eae_prk = labeled_extract(kh, ksid, b"", b"eae_prk", dh)
    kem_context = H(v["enc"]) + H(v["pkRm"])
    ss = labeled_expand(kh, ksid, eae_prk, b"shared_secret", kem_context, 32)
    assert ss.hex() == v["shared_secret"], "shared_secret"
    a = {1: AESGCM, 2: AESGCM, 3: ChaCha20Poly1305}[aead](key)
    for e in v["encryptions"]:
        ct = a.encrypt(H(e["nonce"]), H(e["pt"]), H(e["aad"]))
        assert ct.hex() == e["ct"], "ct %d" % e["seq"]
        assert a.decrypt(H(e["nonce"]), ct, H(e["aad"])).hex() == e["pt"]
    return "everything (KEM, key schedule, AEAD, exports)"


def main():
    sections = parse(SRC)
    try:
        import cryptography  # noqa: F401
        crypto = True
    except ImportError:
        crypto = False
    allbase, chosen = [], []
    for v in base_vectors(sections):
        allbase.append((v["section"], v["suite"], v["kem_id"], v["kdf_id"], v["aead_id"]))
        if v["mode"] == 0 and v["kem_id"] in WANT_KEM and v["kdf_id"] in WANT_KDF and v["aead_id"] in WANT_AEAD:
            chosen.append(v)
    for sec, suite, kem, kdf, aead in allbase:
        mark = "take" if any(c["section"] == sec for c in chosen) else "skip"
        print("%s %-7s kem=0x%04x kdf=%d aead=0x%04x  %s" % (mark, sec, kem, kdf, aead, suite), file=sys.stderr)
    keys = ["section", "suite", "mode", "kem_id", "kdf_id", "aead_id", "info", "ikmE", "pkEm", "skEm",
            "ikmR", "pkRm", "skRm", "enc", "shared_secret", "key_schedule_context", "secret", "key",
            "base_nonce", "exporter_secret", "encryptions", "exports"]
    out = []
    for v in chosen:
        what = check(v, crypto)
        print("checked %s (%s): %s" % (v["section"], v["suite"], what), file=sys.stderr)
        assert set(v) == set(keys), sorted(set(v) ^ set(keys))
        out.append({k: v[k] for k in keys})
    with open(OUT, "w") as f:
        f.write("# RFC 9180 Appendix A, Base mode (mode 0), extracted by tools/extract_hpke.py.\n")
        f.write("# Hex values; '-' is the empty string.\n")
        for a in allbase:
            if not any(c["section"] == a[0] for c in chosen):
                f.write("# not included: %s %s (kem 0x%04x, kdf %d, aead 0x%04x)\n" % a)
        for v in out:
            f.write("\n")
            for k in keys:
                if k in ("encryptions", "exports"):
                    continue
                f.write("%s = %s\n" % (k, v[k] if v[k] != "" else "-"))
            for e in v["encryptions"]:
                f.write("encryption = %d %s %s %s %s\n" % (e["seq"], e["pt"], e["aad"], e["nonce"], e["ct"]))
            for x in v["exports"]:
                f.write("export = %d %s %s\n" % (x["L"], x["exporter_context"] or "-", x["exported_value"]))
    print("wrote %d vectors to %s" % (len(out), OUT), file=sys.stderr)


if __name__ == "__main__":
    main()
