#!/usr/bin/env python3
"""Checks the include graph of engine/, app/ and ui/ against the layers.

Every folder is a layer and may include only itself and the layers it is
allowed to use (LAYERS below: a folder uses those listed before it in its
group, and the groups it names). Includes are written from the repository
root ("engine/schedule/simulator.h"), so the folder of every include is
plain. Also refused: an include of a file that does not exist, and any
circle of includes between files. Prints one line per problem and exits 1,
or prints a summary and exits 0.
"""
import os
import re
import sys

ENGINE = ["engine/base", "engine/schedule", "engine/formats", "engine/config",
          "engine/model", "engine/run", "engine/distributed"]
UI = ["ui/model", "ui/views", "ui/panels", "ui/export", "ui/window"]

# layer -> the layers it may include (itself always)
LAYERS = {}
for i, layer in enumerate(ENGINE):
    LAYERS[layer] = ENGINE[:i]
LAYERS["app/train"] = ENGINE
for i, layer in enumerate(UI):
    LAYERS[layer] = ENGINE + UI[:i]
LAYERS["app/viz"] = ENGINE + UI

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def main():
    root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    os.chdir(root)
    files = []
    for top in ("engine", "app", "ui"):
        for folder, _, names in os.walk(top):
            for name in names:
                if name.endswith((".h", ".cpp")):
                    files.append(os.path.join(folder, name))
    files.sort()
    problems = []
    graph = {}
    edges = 0
    for f in files:
        layer = os.path.dirname(f)
        if layer not in LAYERS:
            problems.append(f"{f}: folder {layer} is not a layer (add it to scripts/check-layers.py)")
            continue
        allowed = set(LAYERS[layer]) | {layer}
        text = open(f, encoding="utf-8", errors="replace").read()
        graph[f] = []
        for m in INCLUDE.finditer(text):
            target = m.group(1)
            line = text.count("\n", 0, m.start()) + 1
            if target.endswith(".moc") or target.startswith("moc_"):
                continue
            if not os.path.isfile(target):
                problems.append(f"{f}:{line}: includes \"{target}\", which is not a file "
                                "(write includes from the repository root)")
                continue
            to = os.path.dirname(target)
            if to not in allowed:
                problems.append(f"{f}:{line}: {layer} may not include {target} ({to} is "
                                f"{'not a layer' if to not in LAYERS else 'above or beside it'})")
            graph[f].append(target)
            edges += 1
    # circles between files (Tarjan's strongly connected components)
    index, low, stack, on, counter, circles = {}, {}, [], set(), [0], []

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, []):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1:
                circles.append(sorted(part))

    sys.setrecursionlimit(10000)
    for v in list(graph):
        if v not in index:
            visit(v)
    for c in circles:
        problems.append("circle of includes: " + " -> ".join(c))
    for p in problems:
        print(p)
    if problems:
        print(f"check-layers: {len(problems)} problem(s)")
        return 1
    print(f"check-layers: {len(files)} files in {len(LAYERS)} layers, {edges} includes, "
          "none upward, no circles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
