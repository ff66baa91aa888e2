"""Where random numbers come from: one seedable default generator.

Initialising a layer takes an explicit ``rng=`` (a `random.Random` or an int
seed). Without one it draws from the default generator here, which
`manual_seed` resets, as ``torch.manual_seed`` does. (Datasets and shuffling
take an int ``seed=`` and never touch this generator.)
Python's own `random.Random` is used throughout, so the same seed gives
bit-identical numbers in every process and on every machine.
"""

from __future__ import annotations

import random
from typing import Union

from .arguments import integer, is_int, type_and_value

__all__ = ["manual_seed", "default_generator", "as_generator"]

_default = random.Random(0)

Seed = Union[int, random.Random, None]


def manual_seed(seed: int) -> None:
    """Reset the default generator, so what follows is reproducible."""
    _default.seed(integer(seed, "manual_seed: seed"))


def default_generator() -> random.Random:
    """The generator used when no ``rng=`` is given."""
    return _default


def as_generator(rng: Seed, caller: str) -> random.Random:
    """A `random.Random` from an ``rng=`` argument: a generator, an int seed, or None."""
    if rng is None:
        return _default
    if isinstance(rng, random.Random):
        return rng
    if is_int(rng):
        return random.Random(int(rng))
    raise TypeError(f"{caller}: rng must be a random.Random, an int seed or None, got {type_and_value(rng)}")

