#!/usr/bin/env python3
"""Checks the shape of the crate that docs/ARCHITECTURE.md promises, from the code itself.

- No import circle between files of src-tauri/: every `crate::`, `super::` and `self::` path a
  file names (in `use` lines and inline) is resolved to the file that defines the item, following
  `pub use` re-exports; a module's own `mod` and `pub use` lines are its table of contents, not
  imports, so they add no edge. A child using what its own parent module defines (`impl Engine`
  in engine/dispatch.rs naming `super::Engine`) is inside that module, not an import between
  files; siblings and every other pair count.
- The parts depend one way: a file may import only its own part and the parts below it in
  lib.rs's `//!` map (parts on one line are peers); every module is on the map.
- No product file over 400 lines (src-tauri/sandbox/ and test files aside); the engine's own file
  (src-tauri/engine.rs) at most 200 lines.
- SQL only under src-tauri/storage/ (the metrics read model aside, said so in its doc).

Run: python3 scripts/check_layout.py [--graph]   (exit 1 with the findings when one fails)
"""
from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "src-tauri"

MAX_LINES = 400
MAX_ENGINE_LINES = 200

# The parts, top to bottom, as lib.rs's `//!` map lists them: a file may import its own part and
# parts on a lower line only; parts on one line are peers that must not import each other.
def read_layers() -> list[list[str]]:
    layers = []
    for line in (SRC / "lib.rs").read_text(encoding="utf-8").splitlines():
        m = re.match(r"//! - ((?:`\w+`(?:, )?)+) —", line)
        if m:
            layers.append(re.findall(r"`(\w+)`", m.group(1)))
    return layers


LAYERS: list[list[str]] = read_layers()

SQL_OWNERS = ("storage", "metrics")
SQL_RE = re.compile(
    r'"[^"\n]*\b(SELECT\s+[\w*(]|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|'
    r'CREATE\s+(TABLE|INDEX)|BEGIN\s+IMMEDIATE)'
)
SQL_CALL_RE = re.compile(r"\.(execute|execute_batch|query_row|prepare|prepare_cached)\(")

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(path: Path) -> tuple[str, ...]:
    rel = path.relative_to(SRC).with_suffix("")
    parts = tuple(rel.parts)
    if parts == ("lib",):
        return ()
    return parts


def strip_comments_and_strings(text: str) -> str:
    """Blanks out comments and string literals (keeps line count), so paths in them don't count."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c == "r" and re.match(r'r#*"', text[i:i + 10]) and (i == 0 or not text[i - 1].isalnum()):
            m = re.match(r'r(#*)"', text[i:])
            hashes = m.group(1)
            end = text.find('"' + hashes, i + len(m.group(0)))
            end = n if end < 0 else end + 1 + len(hashes)
            out.append(re.sub(r"[^\n]", " ", text[i:end]))
            i = end
        elif c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(re.sub(r"[^\n]", " ", text[i:j + 1]))
            i = j + 1
        elif c == "'" and re.match(r"'(\\.|[^\\'])'", text[i:i + 4]):
            m = re.match(r"'(\\.|[^\\'])'", text[i:])
            out.append(" " * len(m.group(0)))
            i += len(m.group(0))
        else:
            out.append(c)
            i += 1
    return "".join(out)


def strip_tests(text: str) -> str:
    """Drops inline `#[cfg(test)] mod tests { … }` blocks: test code is not product code."""
    m = re.search(r"#\[cfg\(test\)\]\s*(pub(\(\w+\))?\s+)?mod\s+\w+\s*\{", text)
    while m:
        depth, j = 0, m.end() - 1
        while j < len(text):
            if text[j] == "{":
                depth += 1
            elif text[j] == "}":
                depth -= 1
                if depth == 0:
                    break
            j += 1
        text = text[: m.start()] + re.sub(r"[^\n]", " ", text[m.start(): j + 1]) + text[j + 1:]
        m = re.search(r"#\[cfg\(test\)\]\s*(pub(\(\w+\))?\s+)?mod\s+\w+\s*\{", text)
    return text


def expand_use_tree(tree: str) -> list[tuple[str, ...]]:
    """`a::{b, c::{d, e}}` -> [(a,b), (a,c,d), (a,c,e)] (aliases and globs kept as leaves)."""
    tree = re.sub(r"\s+", "", tree)

    def split_top(s: str) -> list[str]:
        items, depth, cur = [], 0, ""
        for ch in s:
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
            if ch == "," and depth == 0:
                items.append(cur)
                cur = ""
            else:
                cur += ch
        if cur:
            items.append(cur)
        return items

    def walk(s: str, prefix: tuple[str, ...]) -> list[tuple[str, ...]]:
        if "{" in s:
            head, _, rest = s.partition("{")
            inner = rest[: rest.rfind("}")]
            head_parts = tuple(p for p in head.split("::") if p)
            res = []
            for item in split_top(inner):
                res.extend(walk(item, prefix + head_parts))
            return res
        s = s.split(" as ")[0].split("as")[0] if re.search(r"\bas\b", s) else s
        return [prefix + tuple(p for p in s.split("::") if p)]

    return walk(tree, ())


class Crate:
    def __init__(self) -> None:
        self.files: dict[tuple[str, ...], Path] = {}
        for p in SRC.rglob("*.rs"):
            if p.name in ("main.rs", "tray_main.rs", "build.rs"):
                continue
            self.files[module_of(p)] = p
        self.text: dict[Path, str] = {}
        self.reexports: dict[Path, dict[str, tuple[str, ...]]] = {}
        self.globs: dict[Path, list[tuple[str, ...]]] = {}
        for mod, p in self.files.items():
            clean = strip_comments_and_strings(p.read_text(encoding="utf-8"))
            # Test code is no dependency of the product: inline test modules add no edge.
            clean = strip_tests(clean)
            self.text[p] = clean
            names: dict[str, tuple[str, ...]] = {}
            globs: list[tuple[str, ...]] = []
            for m in re.finditer(r"\bpub(\([^)]*\))?\s+use\s+([^;]+);", clean):
                for path in expand_use_tree(m.group(2)):
                    absolute = self.absolute(mod, path)
                    if absolute is None:
                        continue
                    if path[-1] == "*":
                        globs.append(absolute[:-1])
                    else:
                        alias = re.search(rf"\b{re.escape(path[-1])}\s+as\s+({IDENT})", m.group(2))
                        names[alias.group(1) if alias else path[-1]] = absolute
            self.reexports[p] = names
            self.globs[p] = globs

    def absolute(self, mod: tuple[str, ...], path: tuple[str, ...]) -> tuple[str, ...] | None:
        """A path as seen from module `mod`, made absolute from the crate root (None: external)."""
        if not path:
            return None
        base: tuple[str, ...]
        if path[0] == "crate":
            base, rest = (), path[1:]
        elif path[0] == "self":
            base, rest = mod, path[1:]
        elif path[0] == "super":
            base, rest = mod, path
            while rest and rest[0] == "super":
                base, rest = base[:-1], rest[1:]
        elif mod + (path[0],) in self.files:
            base, rest = mod, path  # a child module named without `self::`
        else:
            return None
        return base + rest

    def resolve(self, absolute: tuple[str, ...], depth: int = 0) -> Path | None:
        """The file that defines the item an absolute path names."""
        if depth > 12:
            return None
        if absolute in self.files:
            return self.files[absolute]
        for k in range(len(absolute) - 1, -1, -1):
            mod = absolute[:k]
            if mod in self.files:
                file = self.files[mod]
                item = absolute[k]
                target = self.reexports[file].get(item)
                if target is not None and target != absolute:
                    return self.resolve(target + absolute[k + 1:], depth + 1)
                for g in self.globs[file]:
                    if self.resolve_exists(g + absolute[k:]):
                        return self.resolve(g + absolute[k:], depth + 1)
                return file
        return None

    def resolve_exists(self, absolute: tuple[str, ...]) -> bool:
        if absolute in self.files:
            return True
        mod = absolute[:-1]
        if mod in self.files:
            return re.search(
                rf"\b(fn|struct|enum|trait|type|const|static|mod)\s+{re.escape(absolute[-1])}\b",
                self.text[self.files[mod]],
            ) is not None
        return False

    def edges(self) -> dict[Path, dict[Path, str]]:
        out: dict[Path, dict[Path, str]] = {}
        for mod, p in self.files.items():
            text = self.text[p]
            # A module's `mod x;` and `pub use` lines are its table of contents, not imports.
            body = re.sub(r"\bpub(\([^)]*\))?\s+use\s+[^;]+;", "", text)
            body = re.sub(r"\b(pub(\([^)]*\))?\s+)?mod\s+\w+\s*;", "", body)
            targets: dict[Path, str] = {}
            paths: list[tuple[str, ...]] = []
            for m in re.finditer(r"\buse\s+([^;]+);", body):
                paths.extend(expand_use_tree(m.group(1)))
            inline = re.sub(r"\buse\s+[^;]+;", "", body)
            for m in re.finditer(rf"\b((?:crate|super|self)(?:::{IDENT})+)", inline):
                paths.append(tuple(m.group(1).split("::")))
            for path in paths:
                path = tuple(x for x in path if x != "*")
                absolute = self.absolute(mod, path)
                if absolute is None:
                    continue
                target = self.resolve(absolute)
                if target is None or target == p:
                    continue
                tmod = module_of(target)
                if tmod == mod[: len(tmod)]:
                    continue  # the file's own parent module (see the doc above)
                targets.setdefault(target, "::".join(path))
            out[p] = targets
        return out


def part_of(p: Path) -> str:
    rel = p.relative_to(SRC)
    return rel.parts[0].removesuffix(".rs")


def is_test_file(p: Path) -> bool:
    return p.name == "tests.rs" or "tests" in p.relative_to(SRC).parts[:-1]


def find_cycles(edges: dict[Path, dict[Path, str]]) -> list[list[Path]]:
    """Strongly connected components with more than one file (Tarjan)."""
    index: dict[Path, int] = {}
    low: dict[Path, int] = {}
    stack: list[Path] = []
    on: set[Path] = set()
    sccs: list[list[Path]] = []
    counter = [0]
    sys.setrecursionlimit(10000)

    def visit(v: Path) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                sccs.append(comp)

    for v in edges:
        if v not in index:
            visit(v)
    return sccs


def main() -> int:
    crate = Crate()
    edges = crate.edges()
    problems: list[str] = []
    rel = lambda p: str(p.relative_to(ROOT))  # noqa: E731

    for comp in find_cycles(edges):
        names = sorted(rel(p) for p in comp)
        detail = []
        for a in comp:
            for b, via in edges[a].items():
                if b in comp:
                    detail.append(f"    {rel(a)} -> {rel(b)}  ({via})")
        problems.append("import circle between " + ", ".join(names) + "\n" + "\n".join(sorted(detail)))

    layer = {name: i for i, line in enumerate(LAYERS) for name in line}
    mapped = [name for line in LAYERS for name in line]
    declared = re.findall(r"^pub mod (\w+);", (SRC / "lib.rs").read_text(encoding="utf-8"), re.M)
    for name in sorted(set(declared) - set(mapped)):
        problems.append(f"src-tauri/lib.rs: module `{name}` is missing from the map")
    for name in sorted(set(mapped) - set(declared)):
        problems.append(f"src-tauri/lib.rs: the map names `{name}`, which is no module")
    for name in sorted({n for n in mapped if mapped.count(n) > 1}):
        problems.append(f"src-tauri/lib.rs: the map names `{name}` twice")
    for a, targets in edges.items():
        pa = part_of(a)
        if pa == "lib" or is_test_file(a):
            continue
        for b, via in targets.items():
            pb = part_of(b)
            if pb == pa or pb == "lib":
                continue
            if pa not in layer or pb not in layer:
                problems.append(f"{rel(a)}: part `{pa if pa not in layer else pb}` is not in LAYERS")
                continue
            if layer[pb] <= layer[pa]:
                kind = "peers import each other" if layer[pb] == layer[pa] else "arrow up"
                problems.append(f"{kind}: {rel(a)} ({pa}) -> {rel(b)} ({pb}) via {via}")

    for mod, p in crate.files.items():
        if part_of(p) == "sandbox" or is_test_file(p):
            continue
        raw = p.read_text(encoding="utf-8")
        lines = raw.count("\n")
        limit = MAX_ENGINE_LINES if mod == ("engine",) else MAX_LINES
        if lines > limit:
            problems.append(f"{rel(p)}: {lines} lines (at most {limit})")
        if part_of(p) in SQL_OWNERS:
            continue
        product = strip_tests(raw)
        for n, line in enumerate(product.splitlines(), 1):
            if SQL_RE.search(line) or SQL_CALL_RE.search(line):
                problems.append(f"{rel(p)}:{n}: SQL outside storage/: {line.strip()[:90]}")

    if "--graph" in sys.argv:
        for a in sorted(edges, key=rel):
            for b in sorted(edges[a], key=rel):
                print(f"{rel(a)} -> {rel(b)}")
    if problems:
        print("layout check failed:")
        for pr in problems:
            print("  " + pr)
        return 1
    print(f"layout check: {len(crate.files)} files, {sum(len(t) for t in edges.values())} imports, "
          "no circle, no arrow up, no file too long, SQL only in storage")
    return 0


if __name__ == "__main__":
    sys.exit(main())
