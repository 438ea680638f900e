"""Burst detection: a product (or one complaint category of it) suddenly talked about far more
than its own usual (``detector``; its alerts in ``alert``, what it says beside them in ``tell``);
one person complaining again and again (``repeat``); how severe a wave is and what its alert
says (``severity``); the state kept across restarts (``memory``); the whole as a detection rule
(``rule``)."""

from .detector import EXPECTED_FLOOR, KIND, STATE_KEY, BurstDetector, detector_for, utc_offset

__all__ = ["BurstDetector", "detector_for", "utc_offset", "KIND", "EXPECTED_FLOOR", "STATE_KEY"]
