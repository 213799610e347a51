"""The command line of mtc import-c."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from ..diagnostics import Diagnostics
from . import ImportFailure, NAME

VOCABULARY = Path(__file__).with_name("vocabulary.json")

EPILOG = """\
What is read: hw/core/machine.c (hw_compat_X_Y), hw/i386/pc.c (pc_compat_X_Y
and the PC base class), hw/i386/x86.c, pc_piix.c, pc_q35.c, hw/arm/virt.c,
hw/s390x/s390-virtio-ccw.c, hw/ppc/spapr.c and every header they include
(for macro values); for s390x's CPU models (the cpu-models block, and the
cpu-* statements of the machines' instance options) target/s390x's
cpu_features_def.h.inc, cpu_features.c, gen-features.c and cpu_models.c, and
hw/s390x/css.c for the C global they set.  What is not in the C (release
dates, the system emulators' names, the option names of machines/,
build-option defaults, which CPU libvirt's host-model stands for) comes from
the vocabulary shipped with mtc (mtc/importc/vocabulary.json).

Anything the language cannot say, or the importer cannot read, is an error
at its place in the C (file:line); --partial writes the tree without it.
Exit status: 0 imported, 1 errors (nothing written), 2 usage."""


def add_parser(subparsers, common_parser) -> None:
    p = subparsers.add_parser(
        NAME,
        help="import QEMU's C machine definitions into a machines/ tree",
        description="Read a QEMU source tree's machine types (compat sets, versioned "
        "machines, options, aliases, defaults, deprecations, s390x CPU models) and "
        "write them as a machines/ tree in mtc's language.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("source", metavar="QEMU_SOURCE_DIR", help="a QEMU source tree")
    p.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        default=".",
        help="the project to write: DIR/machines/ (default: the current directory)",
    )
    p.add_argument(
        "--partial",
        action="store_true",
        help="write the tree even when some of the C could not be translated "
        "(still reported, as warnings)",
    )
    p.add_argument(
        "--config",
        metavar="KEY=on|off",
        action="append",
        default=[],
        help="the default of a build option an #if tests (CONFIG_TCG=on), beside "
        "the vocabulary's; every option an #if names needs one",
    )
    p.add_argument(
        "--force", action="store_true", help="replace an existing DIR/machines/ directory"
    )


def run(args) -> int:
    from .csource import SourceTree
    from .extract import Importer
    from .writer import render

    source = Path(args.source)
    if not (source / "VERSION").is_file() or not (source / "hw").is_dir():
        print(f"mtc {NAME}: error: {source}: not a QEMU source tree", file=sys.stderr)
        return 2
    target = Path(args.output) / "machines"
    if target.exists() and not args.force:
        print(
            f"mtc {NAME}: error: {target} exists (--force replaces it)",
            file=sys.stderr,
        )
        return 2
    vocabulary = json.loads(VOCABULARY.read_text(encoding="utf-8"))
    for item in args.config:
        key, sep, value = item.partition("=")
        if not sep or value not in ("on", "off") or not key.startswith("CONFIG_"):
            print(f"mtc {NAME}: error: --config {item}: expected CONFIG_X=on|off", file=sys.stderr)
            return 2
        vocabulary["configs"][key] = {
            "default": value == "on",
            "desc": vocabulary["configs"].get(key, {}).get("desc", "a build option (--config)"),
        }
    diags = Diagnostics()
    if args.partial:
        diags.severity_overrides["untranslatable"] = "warning"
    try:
        tree = SourceTree(source.resolve(), str(source))
        imported = Importer(tree, vocabulary, diags).run()
    except ImportFailure as exc:
        print(f"mtc {NAME}: error: {exc}", file=sys.stderr)
        return 1
    for path, cfile in tree.files.items():
        diags.add_source(cfile.shown, cfile.source.decode("utf-8", "replace"))
    sys.stderr.write(diags.render())
    if diags.has_errors:
        print(f"mtc {NAME}: errors found; nothing written", file=sys.stderr)
        return 1
    files = render(imported)
    write_tree(target, files)
    print(
        f"mtc {NAME}: {imported.source}: {len(imported.machines)} machine types, "
        f"{len(imported.sets)} compat sets -> {target}"
    )
    return 0


def write_tree(target: Path, files: dict[str, str]) -> None:
    """Write the whole tree beside the target, then move it in place."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".machines-", dir=target.parent))
    try:
        for relative, text in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        if target.exists():
            old = target.with_name(f".{target.name}-old-{os.getpid()}")
            target.rename(old)
            staging.rename(target)
            shutil.rmtree(old)
        else:
            staging.rename(target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
