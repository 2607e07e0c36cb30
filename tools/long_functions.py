#!/usr/bin/env python3
"""Lists the longest functions under the given directories (default: src),
longest first: `python3 tools/long_functions.py [DIR...] [--top N] [--over N]`.
A function runs from its `fn` line to the closing brace at its indentation."""
import os, re, sys

def functions(top):
    for dp, _, fs in os.walk(top):
        for f in sorted(fs):
            if not f.endswith(".rs"):
                continue
            p = os.path.join(dp, f)
            lines = open(p, errors="replace").read().split("\n")
            i = 0
            while i < len(lines):
                m = re.match(r"(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?fn\s+(\w+)", lines[i])
                if m and not lines[i].rstrip().endswith(";"):
                    ind = m.group(1)
                    j = i + 1
                    while j < len(lines) and not (
                        lines[j].startswith(ind + "}")
                        and len(lines[j]) - len(lines[j].lstrip()) == len(ind)
                    ):
                        j += 1
                    yield (j - i + 1, f"{p}:{i + 1}", m.group(5))
                    i = j
                i += 1

def main(argv):
    top, over, dirs = 10, 0, []
    it = iter(argv)
    for a in it:
        if a == "--top":
            top = int(next(it))
        elif a == "--over":
            over = int(next(it))
        else:
            dirs.append(a)
    found = sorted((f for d in dirs or ["src"] for f in functions(d)), reverse=True)
    shown = [f for f in found if f[0] > over] if over else found[:top]
    for n, where, name in shown:
        print(f"{n:5}  {name:40} {where}")

if __name__ == "__main__":
    main(sys.argv[1:])
