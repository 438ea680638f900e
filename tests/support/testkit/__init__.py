"""Helpers the tests share: stand-ins for Slack and Elasticsearch, and the Twisted reactor thread.

On pytest's ``pythonpath`` (see pyproject.toml), so tests import these and the installed
``yujing`` package, never the source tree by path.
"""
