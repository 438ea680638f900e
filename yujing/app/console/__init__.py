"""The console: a PR team's pages in a browser, on the daemon's HTTP server (``/``).

Open waves as the notifier groups them (``pages``), one wave with its message, samples and
handling timeline, silences with a preview of what they would mute; every change goes through
the same operations as the command line (``yujing.app.ops``), journalled with ``via: console``.
Pages are written by Jinja2 templates beside this module, escaped throughout (``render``).
Until there is sign-in, the console answers only on a loopback address (``guard``). The daemon
serves it (``components.console``).
"""
