"""Rectangles (candle bodies, volume bars, histogram bins) as one array for a PolyCollection."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray


def rectangles(
    left: ArrayLike, right: ArrayLike, bottom: ArrayLike, top: ArrayLike
) -> NDArray[Any]:
    """An (n, 4, 2) array of corners: bottom-left, top-left, top-right, bottom-right."""
    lefts = np.asarray(left, dtype=float)
    out = np.empty((len(lefts), 4, 2))
    out[:, 0, 0] = out[:, 1, 0] = lefts
    out[:, 2, 0] = out[:, 3, 0] = right
    out[:, 0, 1] = out[:, 3, 1] = bottom
    out[:, 1, 1] = out[:, 2, 1] = top
    return out


def as_paths(array: NDArray[Any]) -> Sequence[ArrayLike]:
    """matplotlib's collections take an (n, k, 2) array; their stubs ask for a sequence."""
    return cast("Sequence[ArrayLike]", array)
