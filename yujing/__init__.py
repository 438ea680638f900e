"""yujing 预警: early warning of group complaints against insurance products.

The core package: typed records (the seams between stages), config loading, the embedded
store, the daemon and the command line. Collectors live in ``crawlers``, understanding and
detection in ``detector``, delivery in ``notifier``.
"""

__version__ = "0.1.0"
