"""machines/ as it stood at an earlier release: what it says QEMU X.Y had.

machines/ describes its newest release and, through the chains, every
earlier one.  corpus_at(corpus, R) is a Corpus describing release R the way
R's own QEMU binary has it, undoing what opening later releases did
(`mtc new-version` does exactly those edits):

- releases after R are gone, so R is the current release (unless it is
  planned: then the newest dated one before it is): deprecation by QEMU's
  policy is computed at R, and an explicit deprecation 'since' a later
  release does not apply yet;
- machine types of later releases are gone, and so are those removed by R;
- compat sets of R and later are gone, with every reference to them:
  hw_compat_R is created when R + 1 opens, to pin R's defaults for R's
  machine types, so R's binary has no such set;
- R's newest machine type of each family heads its chain again (its newer
  parent is gone), so the family's own options and sets apply to it;
- the family's moving alias and the default, if a machine type newer than R
  holds them, go back to R's newest machine type of that family.

What machines/ cannot tell stays as it is now: an entry added to an older
compat set after R counts as if it had always been there.

resolve_at() resolves such a view with the configuration of a resolved
tree; `mtc verify` compares a binary with it, and `--at X.Y` of show, list,
diff and explain print it.
"""

from __future__ import annotations


from .records import replace
from . import resolve
from .model import Corpus, Machine
from .versions import Version


class AsOfError(Exception):
    """No such release in machines/; the message is fit for the user."""


def parse_release(corpus: Corpus, text: str) -> Version:
    """The release `text` names, one machines/ declares; else AsOfError."""
    pieces = text.split(".")
    if len(pieces) != 2 or not all(p.isdigit() for p in pieces):
        raise AsOfError(f"a release looks like X.Y, got '{text}'")
    return check_release(corpus, Version.parse(text))


def check_release(corpus: Corpus, release: Version) -> Version:
    if release not in corpus.releases:
        known = sorted(corpus.releases)
        span = f"{known[0]} .. {known[-1]}" if known else "none"
        raise AsOfError(f"machines/ declares no release {release} (its releases: {span})")
    return release


def resolve_at(resolved: resolve.Resolved, release: Version) -> resolve.Resolved:
    """The resolved tree as of `release` (a release machines/ declares)."""
    if release == resolved.corpus.newest_release:
        return resolved
    return resolve.resolve(corpus_at(resolved.corpus, release), dict(resolved.config))


def exists_at(machine: Machine, release: Version) -> bool:
    """Whether a (named) machine type is part of release's binary."""
    if machine.version is not None and machine.version.release > release:
        return False
    return machine.removed is None or machine.removed[0].release > release


def corpus_at(corpus: Corpus, release: Version) -> Corpus:
    """A new Corpus describing `release`; corpus itself is not changed."""
    sets = {
        key: compat
        for key, compat in corpus.compat_sets.items()
        if compat.version is None or compat.version.release < release
    }
    kept = [m for m in corpus.machines if m.name and exists_at(m, release)]
    copies = {id(m): replace(m) for m in kept}
    for original in kept:
        copy = copies[id(original)]
        parent = original.parent
        copy.parent = copies.get(id(parent)) if parent is not None else None
        copy.compat = [ref for ref in original.compat if ref.key in sets]
        dep = original.deprecated
        if dep is not None and dep.since is not None and dep.since.release > release:
            copy.deprecated = None
        # The same in source order, which the C backend writes from.
        copy.statements = [
            (kind, item)
            for kind, item in original.statements
            if not (kind == "compat" and item.key not in sets)
            and not (kind == "deprecated" and copy.deprecated is None)
        ]
    _move_flags(corpus, kept, copies, release)
    return replace(
        corpus,
        releases={v: r for v, r in corpus.releases.items() if v <= release},
        compat_sets=sets,
        machines=[copies[id(m)] for m in kept],
    )


def _move_flags(corpus: Corpus, kept: list[Machine], copies: dict, release: Version) -> None:
    """The moving alias and the default, held by a machine type newer than
    release, go to the family's newest machine type of release."""
    newest: dict[str, Machine] = {}
    for machine in kept:
        if machine.version is None or machine.unstable is not None:
            continue
        best = newest.get(machine.family)
        if best is None or machine.version > best.version:
            newest[machine.family] = machine
    for machine in corpus.machines:
        if not machine.name or exists_at(machine, release):
            continue
        heir = newest.get(machine.family)
        if heir is None:
            continue
        target = copies[id(heir)]
        if machine.alias is not None and machine.alias_name is None and target.alias is None:
            target.alias = machine.alias
        if machine.default is not None and target.default is None:
            target.default = machine.default
