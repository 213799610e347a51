"""Host facts: host.h and host_features.c.

host.h declares MtcHost (os, kernel major.minor, accelerator, a has_feature
callback), MtcHostCompat (an entry of a set's _host table, tables.py), the
table of host-dependent properties and the helpers the tables' condition
functions use.  host_features.c holds, for every `property D.P depends-on
F`, {F, D, P} in mtc_host_dependent_properties[]; mtc_check_host_property(),
which fails (error_setg) when an explicit on (qapi_bool_parse's on, yes,
true, y) meets a host without the feature; and mtc_compat_props_add_host().
Both are mtc's own: QEMU has no counterpart to replace, so the swap
(mtc qemu-swap) leaves them out.
"""

from __future__ import annotations

import itertools

from ...model import Corpus
from .conditions import CBackendError
from .conventions import HOST_FEATURES, HOST_HEADER, Conventions, output_path
from .templates import template
from .text import banner, block_comment, c_comment_text, c_string, include_lines, macro_expr
from .text import where


def render_host(conventions: Conventions, sources: list[str]) -> dict[str, str]:
    corpus: Corpus = conventions.corpus
    names: set[str] = set()
    entries = []
    for prop in corpus.host_properties:
        try:
            driver, used = macro_expr(prop.driver)
            fields = [c_string(prop.feature), driver, c_string(prop.property)]
        except CBackendError as exc:
            raise CBackendError(f"{where(prop)}: {exc}") from None
        names.update(used)
        feature = corpus.features.get(prop.feature)
        entries.append(
            {
                "feature": prop.feature,
                "comment": c_comment_text(
                    f"{prop.feature}: {feature.description}" if feature else prop.feature
                ),
                "line": f"    {{ {', '.join(fields)} }},",
            }
        )
    # One comment per run of entries that need the same feature.
    lines = []
    for _, group in itertools.groupby(entries, key=lambda e: e["feature"]):
        group = list(group)
        lines.extend(block_comment(group[0]["comment"], "    "))
        lines.extend(e["line"] for e in group)
    includes = [
        ("qemu/osdep.h", False),
        ("qapi/error.h", False),
        *(conventions.headers[n] for n in sorted(names) if n in conventions.headers),
        (HOST_HEADER, False),
    ]
    return {
        output_path(HOST_HEADER): template("host.h.j2").render(banner=banner(sources)),
        output_path(HOST_FEATURES): template("host_features.c.j2").render(
            banner=banner(sources), includes=include_lines(includes), entries=lines
        ),
    }
