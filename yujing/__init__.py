"""yujing 预警: early warning of group complaints against insurance products.

One import package, in layers; every import points down:

* ``yujing.app``: the application (daemon, pipeline, CLI, status, demo);
* ``yujing.crawlers``, ``yujing.detector``, ``yujing.notifier``: the stages (collect, understand
  and detect, deliver), which know each other only through the seams;
* ``yujing.records``, ``yujing.config``, ``yujing.store``: the seams, typed records, config
  models and the embedded store.

The contracts in ``.importlinter`` keep it so.
"""

__version__ = "0.1.0"
