"""Synthetic corpora N times the real one, for measuring how mtc scales.

    python3 bench/synthetic.py N OUT_DIR

OUT_DIR/machines/ is the real machines/ plus N - 1 clones of every versioned
family with its own compat scopes: the clone k of pc-q35 is pc-q35-k<k>
("pc-q35-k<k>-{version}"), applying hw_compat_X_Y (shared, as every family
does) and its own copies of pc_compat_X_Y and pc_q35_compat_defaults.  Clones
take no default and their own aliases.  Every chain also grows by N // 10
releases opened with `mtc new-version` (10.1, 10.2, 11.0, ...), so chains get longer as well as more
numerous.  What the clones declare is exactly what the originals declare, so
the checks, the resolution and every backend do N times the work.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Top-level items a clone repeats; everything else (targets, options,
# releases, hw sets) is declared once for all.
CLONED = ("family", "machine", "compat")
SHARED_SCOPE = "hw"
# Statements a machine or family body may hold next to a set list or alias.
KEYWORDS = (
    "option|inherits|alias|default|deprecated|unstable|removed|requires|if|instance|compat|"
    "cpu-featoff|cpu-group-featoff|cpu-qemu-model|name|targets|desc|abstract|lifecycle"
)


def items(text: str):
    """(kind, source text) of each top-level item of a file."""
    from mtc import lalr

    tree = lalr.parse(text, [])
    for item in tree.children:
        meta = item.meta
        yield item.data, text[meta.start_pos : meta.end_pos]


def clone_item(kind: str, text: str, families: set[str], suffix: str) -> str | None:
    if kind == "compat":
        head = re.match(r"compat\s+([A-Za-z_][\w-]*)", text)
        if head.group(1) == SHARED_SCOPE:
            return None
        return text[: head.start(1)] + head.group(1) + "_" + suffix + text[head.end(1) :]

    def family(match: re.Match) -> str:
        name = match.group(2)
        return match.group(1) + (f"{name}-{suffix}" if name in families else name)

    text = re.sub(r"^(family\s+)([\w-]+)", family, text)
    text = re.sub(r"^(machine\s+)([\w-]+)", family, text)
    text = re.sub(r"(\bextends\s+)([\w-]+)", family, text)
    text = re.sub(r"(\binherits\s+)([A-Za-z][\w-]*)(?=\s+\d)", family, text)
    text = re.sub(
        r'(\bname\s+")([^"]*)"',
        lambda m: m.group(1)
        + (
            m.group(2).replace("-{version}", f"-{suffix}-{{version}}")
            if "{version}" in m.group(2)
            else f"{m.group(2)}-{suffix}"
        )
        + '"',
        text,
    )
    text = re.sub(
        rf"(\balias\s+)(?!(?:{KEYWORDS})\b)([A-Za-z][\w-]*)",
        lambda m: f"{m.group(1)}{m.group(2)}-{suffix}",
        text,
    )
    text = re.sub(r"\bdefault\b(?!\s*=)(?!-)", "", text) if kind == "machine" else text
    # Set references: every scope but the shared hw gets the clone's copy.
    text = re.sub(
        rf"(\bcompat\s+)([^{{\n]*?)(?=\s+(?:{KEYWORDS})\b|\s*\}}|\s*$)",
        lambda m: m.group(1) + _rename_refs(m.group(2), suffix),
        text,
        flags=re.M,
    )
    return text


def _rename_refs(refs: str, suffix: str) -> str:
    out = []
    for ref in refs.split(","):
        words = ref.split()
        if words and words[0] != SHARED_SCOPE:
            words[0] = f"{words[0]}_{suffix}"
        out.append(" ".join(words))
    return ", ".join(out)


def make(n: int, out: Path) -> Path:
    """OUT/machines/ scaled n times; returns OUT."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(ROOT / "machines", out / "machines")
    major, minor = 10, 0
    for step in range(1, n // 10 + 1):
        # 10.1, 10.2, 11.0, ... as QEMU numbers them; dated, so each becomes
        # the current release.
        major, minor = (major, minor + 1) if minor < 2 else (major + 1, 0)
        subprocess.run(
            [sys.executable, "-m", "mtc", "new-version", f"{major}.{minor}", "--root", str(out)]
            + ["--date", f"{2025 + step}-01-01"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    sources = sorted((out / "machines").rglob("*.mtc"))
    texts = {path: path.read_text() for path in sources}
    families = {
        match.group(1)
        for text in texts.values()
        for match in re.finditer(r"^family\s+([\w-]+)", text, re.M)
    }
    for k in range(1, n):
        suffix = f"k{k}"
        for path, text in texts.items():
            cloned = []
            for kind, item in items(text):
                if kind in CLONED:
                    copy = clone_item(kind, item, families, suffix)
                    if copy is not None:
                        cloned.append(copy)
            if cloned:
                target = out / "machines" / "clones" / suffix / path.relative_to(out / "machines")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text("\n\n".join(cloned) + "\n")
    return out


def main() -> int:
    n, out = int(sys.argv[1]), Path(sys.argv[2])
    make(n, out)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
