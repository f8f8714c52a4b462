"""Arrow helpers: finding the values to trim from a string array's bytes agrees with str.strip, value by value."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from data_access.arrow import blank_edged
from data_access.ingest.files import trimmed

BLANKS = [chr(point) for point in range(0x110000) if chr(point).isspace()]
# Characters whose UTF-8 shares lead or trailing bytes with some blank (。 ends like U+2002, ᚁ starts like U+1680),
# plain ones, and a 4-byte one.
LOOKALIKES = ["。", "€", "‐", "‰", "…", "á", "Ā", "ᚁ", "\u200b", "\u3001", "\u2060", "𠀀", "a", "Z", "0", "街", "-"]


def random_texts(count: int, seed: int) -> list[str | None]:
    rng = np.random.default_rng(seed)
    alphabet = BLANKS + LOOKALIKES
    texts: list[str | None] = []
    for _ in range(count):
        if rng.random() < 0.05:
            texts.append(None)
            continue
        size = int(rng.integers(0, 5))
        texts.append("".join(alphabet[index] for index in rng.integers(0, len(alphabet), size)))
    return texts


def edged_by_python(texts: list[str | None]) -> list[bool]:
    return [text is not None and (text == "" or text != text.strip()) for text in texts]


@pytest.mark.parametrize("kind", [pa.string(), pa.large_string()])
def test_blank_edged_agrees_with_str_strip_value_by_value(kind):
    texts = [*random_texts(20_000, seed=3), *BLANKS, *(f"a{blank}" for blank in BLANKS),
             *(f"{blank}a" for blank in BLANKS)]
    array = pa.array(texts, type=kind)
    assert blank_edged(array).tolist() == edged_by_python(texts)
    # A slice starts inside the buffers.
    assert blank_edged(array.slice(777, 5000)).tolist() == edged_by_python(texts[777:5777])


def test_blank_edged_refuses_other_types():
    with pytest.raises(TypeError, match="string_view"):
        blank_edged(pa.array([" a"], type=pa.string_view()))


def test_blank_edged_of_arrays_without_characters():
    assert blank_edged(pa.array(["", None, ""])).tolist() == [True, False, True]
    assert blank_edged(pa.array([None, None], type=pa.string())).tolist() == [False, False]
    assert blank_edged(pa.array([], type=pa.string())).tolist() == []


@pytest.mark.parametrize("dtype", ["str", object])
def test_trimmed_equals_stripping_every_value(dtype):
    texts = random_texts(5_000, seed=4)
    values = pd.Series(texts, dtype=dtype, index=range(10, 5010))
    result = trimmed(values)
    expected = values.str.strip().replace("", np.nan)
    assert result.index.equals(values.index)
    assert [None if pd.isna(value) else value for value in result] == \
           [None if pd.isna(value) else value for value in expected]
    assert sum(pd.isna(value) for value in result) > sum(text is None for text in texts)  # blanks-only → missing
