"""``yujing demo``: a simulated forum, feed and transcript inbox, and the daemon running on them."""

from __future__ import annotations

from .content import PRODUCTS, DemoProduct
from .world import DemoWorld

__all__ = ["DemoWorld", "DemoProduct", "PRODUCTS"]
