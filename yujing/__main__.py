"""``python -m yujing``: the same as the ``yujing`` command."""

from yujing.app.cli import main

# Guarded: worker processes (``yujing ingest``) import the main module again.
if __name__ == "__main__":
    raise SystemExit(main())
