"""The shipped YAML configuration, installed as the data package ``yujing.defaults``.

Read it with ``importlib.resources.files("yujing.defaults")`` (see ``yujing.app.paths``).
"""
