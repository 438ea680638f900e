"""The application: the daemon, the pipeline that orders the stages, the CLI, status and the demo.

It sits on top: it imports the stages (``yujing.crawlers``, ``yujing.detector``,
``yujing.notifier``) and the seams below them; nothing below imports it.
"""
