"""Hypothesis strategies for YAML output tests: text that exercises quoting, literal blocks, folding
at the width and YAML 1.1 look-alikes, in trees of every plain type a manifest holds."""

from __future__ import annotations

from hypothesis import strategies as st

PIECES = [*"abz09 -:#'\"|>{}[]&*!%@`,?.\\/=~\n\t\r", "  ", "\n\n", " \n", "true", "null", "0x1F", "1e3",
          "- ", ": ", "---", "...", "word " * 25, "é", "\u2028", "0644", "1:20", "2001-12-14", "~",
          "c7-workers-5f8d7c9b", "ghcr.io/x/y:v1.2", "a:b", ".inf", "<<", "=", "_"]  # fmt: skip
text = st.one_of(
    st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    st.text(alphabet=st.characters(max_codepoint=127), max_size=150),
    st.integers(110, 130).map(lambda n: ("k " * n)[:n]),
)
scalar = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), text)
tree = st.recursive(
    scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)),
    max_leaves=20,
)
# Text a manifest holds (printable ASCII and line breaks), in trees without floats: the direct
# writer takes most of these itself rather than leaving them to PyYAML.
manifest_text = st.one_of(
    st.lists(
        st.sampled_from([p for p in PIECES if p.isascii() and p.replace("\n", "").isprintable()]), max_size=12
    ).map("".join),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126, include_characters="\n"), max_size=60),
)
manifest_key = manifest_text.map(lambda t: t.replace("\n", "")).filter(bool)
plain_tree = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), manifest_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(manifest_key, inner, max_size=4)),
    max_leaves=20,
)
values_text = st.lists(st.sampled_from(PIECES), min_size=1, max_size=8).map("".join)
