"""What every command shares: the config option, loading the config (or saying why not and
exiting 1), logging, and argument types."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from yujing.config import Config, ConfigError, load_config, parse_duration
from yujing.detector.redact import redactor_for

from ..logs import setup_logging
from ..paths import default_config

__all__ = ["config_arg", "load_or_exit", "store_or_exit", "setup", "duration_arg", "positive_int"]


def config_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-c", "--config", help="config file (default: $YUJING_CONFIG or config/yujing.yaml)"
    )


def load_or_exit(path: str | None) -> tuple[Path, Config]:
    path = Path(path or default_config())
    try:
        return path, load_config(path)
    except ConfigError as exc:
        print(f"{path}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(1) from None


def store_or_exit(config: Config) -> Path:
    """The store's path; when there is no store yet, say so and exit 1."""
    path = config.storage.path
    if not path.exists():
        print(f"error: {path} does not exist (has `yujing run` started?)", file=sys.stderr)
        raise SystemExit(1)
    return path


def setup(verbose: bool, config: Config | None = None, fmt: str | None = None) -> None:
    """Logging as the config asks (its zone, its redaction, text or JSON lines)."""
    if config is None:
        setup_logging(verbose, ZoneInfo("Asia/Shanghai"))  # the demo config's zone
        return
    fmt = fmt or config.logging.format
    setup_logging(verbose, config.tz, redactor_for(config), "json" if fmt == "json" else "text")


def duration_arg(value: str) -> float:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return number
