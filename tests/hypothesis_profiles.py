"""Hypothesis profiles: `ci` (the default: few examples, fast) and `deep` (`--hypothesis-profile=deep`)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

_COMMON = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large],
           "derandomize": False, "print_blob": True}
settings.register_profile("ci", max_examples=10, **_COMMON)  # each example builds a site: the suite stays near 5 min
settings.register_profile("deep", max_examples=500, **_COMMON)
settings.load_profile("ci")
