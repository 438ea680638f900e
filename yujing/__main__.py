"""``python -m yujing``: the same as the ``yujing`` command."""

from yujing.app.cli import main

raise SystemExit(main())
