"""Shared test set-up: a deterministic Hypothesis profile."""

from hypothesis import HealthCheck, settings

# derandomize=True: the same examples on every run and every machine, so a
# failure seen once is seen again. No example database is written either.
settings.register_profile(
    "autodiff-deterministic",
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("autodiff-deterministic")
