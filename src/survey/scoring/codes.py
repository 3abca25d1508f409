"""Read one item column as small integer keys the scoring tables are indexed by.

Every cell becomes one byte (``uint8``): a response code 0-120 is its own key, a blank is
``MISSING_KEY`` (127) and anything else (negative, too large, not a whole number, infinite) is
a key the item's table marks invalid (126, or 128-255 for negative numbers). Looking a
key up in a 256-entry table then gives a cell's points and validity in one step, without
testing ranges cell by cell.

Accepted columns: NumPy integers and floats (NaN = blank) and pandas nullable integers and
floats (``<NA>`` = blank). Text (answer labels) must be mapped to codes by intake first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from survey.errors import ColumnError

KEY_SPACE = 256
MISSING_KEY = 127
INVALID_KEY = 126


def response_keys(series: pd.Series, where: str) -> np.ndarray:
    """The ``uint8`` keys of one column of response codes.

    Parameters
    ----------
    series : pandas.Series
        Numeric response codes; NaN or ``<NA>`` for a blank.
    where : str
        Name for error messages, e.g. ``"phq9: column phq9_3"``.

    Examples
    --------
    >>> import pandas as pd
    >>> response_keys(pd.Series([0, 3, None, -1, 1.5]), "x").tolist()
    [0, 3, 127, 255, 126]
    """
    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or not pd.api.types.is_numeric_dtype(dtype):
        sample = series.dropna().head(3).tolist()
        raise ColumnError(f"{where}: expected numeric response codes, found dtype {dtype} (values like {sample}); "
                          "map answer labels to codes with survey.intake first")
    array = series.array
    if isinstance(array, pd.arrays.IntegerArray | pd.arrays.FloatingArray):
        blank = array.isna()
        if pd.api.types.is_integer_dtype(dtype):
            values = array.to_numpy(dtype=dtype.numpy_dtype, na_value=0)
        else:
            values = array.to_numpy(dtype="float64", na_value=np.nan)
    else:
        values = series.to_numpy()
        blank = None
    if values.dtype.kind in "iu":
        keys = _integer_keys(values)
    else:
        keys = _float_keys(values.astype(np.float64, copy=False))
        blank = None   # NaN already became MISSING_KEY
    if blank is not None and blank.any():
        keys[blank] = MISSING_KEY
    return keys


def _integer_keys(values: np.ndarray) -> np.ndarray:
    if values.dtype.itemsize == 1:
        # int8 read as uint8: -128..-1 become 128..255, invalid in every table; a stored 127
        # must not pass for a blank
        keys = values.view(np.uint8)
        return np.where(keys == MISSING_KEY, np.uint8(INVALID_KEY), keys)
    return np.clip(values, -1, INVALID_KEY).astype(np.int8).view(np.uint8)


def _float_keys(values: np.ndarray) -> np.ndarray:
    blank = np.isnan(values)
    clipped = np.clip(values, -1, INVALID_KEY)
    clipped[blank] = MISSING_KEY
    keys = clipped.astype(np.int8)
    fractional = keys != clipped
    if fractional.any():
        keys[fractional] = INVALID_KEY
    return keys.view(np.uint8)
