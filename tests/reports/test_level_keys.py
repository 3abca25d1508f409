"""Category codes keyed once per distinct value give every value's key, as mapping each value does."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from survey.reports.inputs import _level_key, _level_keys


@pytest.mark.parametrize("values", [
    pd.Series([1, 1.0, True, "1", 2.5, "x", np.int64(1), -0.0, 0.0, 1e20], dtype=object),
    pd.Series([1.0, 2.0, 2.0, 3.5]), pd.Series([3, 4, 3]), pd.Series(pd.Categorical(["a", "b", "a"])),
    pd.Series([1, None, "2"], dtype=object), pd.Series([], dtype=object), pd.Series(["甲", "乙"], index=[5, 9]),
])
def test_level_keys_of_distinct_values_are_the_keys_of_every_value(values):
    pd.testing.assert_series_equal(_level_keys(values), values.map(_level_key), check_exact=True)
