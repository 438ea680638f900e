"""The ``yujing`` command: run | check-config | ingest | status | demo | replay | route | silence
| alert | audit | sentiment | kibana."""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from yujing.config import Config, ConfigError, load_config
from yujing.store import SchemaTooNew, StoreUnusable, why_unusable

from .audit_cli import add_audit_parser
from .handling_cli import add_alert_parser
from .kibana_cli import add_kibana_parser
from .lock import StoreLocked
from .paths import default_config
from .silence_cli import add_silence_parser

__all__ = ["main"]


def _setup_logging(verbose: bool, config: Config | None = None, fmt: str | None = None) -> None:
    from yujing.detector.redact import redactor_for

    from .logs import setup_logging

    if config is None:
        setup_logging(verbose, ZoneInfo("Asia/Shanghai"))  # the demo config's zone
        return
    fmt = fmt or config.logging.format
    setup_logging(
        verbose,
        config.tz,
        redactor_for(config),
        "json" if fmt == "json" else "text",
    )


def cmd_check_config(args: argparse.Namespace) -> int:
    path = Path(args.path or default_config())
    try:
        config = load_config(path)
    except ConfigError as exc:
        print(f"{path}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    counts = {
        "source": len(config.sources),
        "product": len(config.products),
        "receiver": len(config.notify.receivers),
    }
    summary = ", ".join(f"{n} {word}{'' if n == 1 else 's'}" for word, n in counts.items())
    print(f"{path}: OK — {summary}")
    return 0


def _load_or_exit(path: str | None):
    path = Path(path or default_config())
    try:
        return path, load_config(path)
    except ConfigError as exc:
        print(f"{path}: invalid configuration", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
        raise SystemExit(1) from None


def cmd_run(args: argparse.Namespace) -> int:
    path, config = _load_or_exit(args.config)
    _setup_logging(args.verbose, config, args.log_format)
    from .daemon import Daemon, run_in_reactor

    async def main() -> None:
        daemon = Daemon(path, scrapy_log_level="DEBUG" if args.verbose else "WARNING")
        await daemon.serve()

    run_in_reactor(main)
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    _, config = _load_or_exit(args.config)
    _setup_logging(args.verbose, config)
    from yujing.crawlers.inbox import InboxSinkError, ingest_files, layout_of, limits_of
    from yujing.detector.redact import redactor_for
    from yujing.detector.understand import understander_for
    from yujing.store import Store

    from .ingest_workers import ParallelIntake, usable_cpus
    from .intake import Intake
    from .logs import safe_text
    from .zones import ZoneWatch

    # What is printed may quote file names and their content: shown as the log shows them.
    redactor = redactor_for(config)

    def shown(text: str) -> str:
        return safe_text(text, redactor)

    store = Store(config.storage.path)
    source_name = args.source or _inbox_source_name(config)
    try:
        # A run of its source like the daemon's: `yujing status` shows it.
        run_id = store.runs.start(source_name)
        # The daemon's own intake: the same post ids, copies and links across channels.
        intake = Intake(understander_for(config), store, zones=ZoneWatch(config, store))
        failed: list[str] = []
        try:
            with ParallelIntake(intake, config, args.jobs or usable_cpus()) as sink:
                result = ingest_files(
                    [Path(p) for p in args.files],
                    sink,  # a batch per commit; a batch counts only once committed
                    source_name=source_name,
                    salt=config.privacy.salt,
                    timezone=getattr(_inbox_source(config, args.source), "timezone", None)
                    or config.timezone,
                    limits=limits_of(_inbox_source(config, args.source)),
                    layout=layout_of(_inbox_source(config, args.source)),
                )
        except InboxSinkError as exc:
            # The store refused (disk full, locked): what was committed stays; say what did not.
            result = exc.result
            for file, error in exc.failed:
                why = why_unusable(error) if isinstance(error, sqlite3.DatabaseError) else error
                failed.append(shown(f"{file}: could not store its transcripts: {why}"))
                print(f"error: {failed[-1]}", file=sys.stderr)
        problems = failed + [shown(reason) for _, reason in result.quarantined]
        store.runs.finish(
            run_id,
            result.posts,
            result.accepted,
            len(problems),
            problems[-1] if problems else None,
        )
    finally:
        store.close()
    # Detection and delivery are the daemon's: it reads newly committed posts on its next run.
    print(
        f"ingested {result.files} file(s): {result.posts} transcripts, {result.accepted} new, "
        f"{result.posts - result.accepted} already known"
    )
    for _file, reason in result.quarantined:
        print(shown(f"error: {reason}"), file=sys.stderr)
    return 1 if result.quarantined or result.files < len(args.files) else 0


def _inbox_source(config, name: str | None):
    """The transcripts source whose limits apply: the one named, else the only one."""
    inboxes = [s for s in config.sources if s.type == "transcripts"]
    named = [s for s in inboxes if s.name == name] if name else inboxes
    return named[0] if len(named) == 1 else None


def _inbox_source_name(config) -> str:
    """Ingested calls belong to the hotline source when the config has exactly one."""
    inboxes = [s.name for s in config.sources if s.type == "transcripts"]
    return inboxes[0] if len(inboxes) == 1 else "ingest"


def cmd_status(args: argparse.Namespace) -> int:
    _, config = _load_or_exit(args.config)
    from .status import health, print_status

    if args.check:
        ok, why = health(config)
        print(f"{'ok' if ok else 'unhealthy'}: {why}")
        return 0 if ok else 1
    print_status(config)
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    _setup_logging(args.verbose)
    from .demo.runner import run_demo

    return run_demo(
        once=args.once, deadline=args.deadline, workdir=args.dir, config_path=args.config
    )


def cmd_sentiment(args: argparse.Namespace) -> int:
    from yujing.crawlers.decoding import UndecodableError, iter_lines
    from yujing.detector.sentiment import sentiment_main

    # Bytes, not sys.stdin's text: a GBK or Big5 export piped in must be read as what it is
    # (the locale's UTF-8 would turn it into escapes that score a neutral 0.5, silently).
    lines = iter_lines(
        sys.stdin.buffer,
        where="stdin",
        declared=[args.encoding],
        max_line_chars=args.max_line_chars,
    )
    try:
        return sentiment_main((line for _, line in lines), sys.stdout)
    except UndecodableError as exc:
        sys.stdout.flush()  # the lines before it were scored; the error says where it stopped
        print(f"error: {exc}", file=sys.stderr)
        if exc.line is None:
            print("  name the encoding with --encoding, e.g. --encoding gbk", file=sys.stderr)
        return 1


def cmd_replay(args: argparse.Namespace) -> int:
    # stdout carries only alert lines, so a bad config is reported on stderr like everywhere else.
    _, config = _load_or_exit(args.config)
    from .replay_cli import replay_main

    store = None
    if args.store is not None:
        store = config.storage.path if args.store is True else Path(args.store)
    return replay_main(
        config,
        posts=args.posts,
        counts=args.counts,
        store=store,
        since=args.since,
        out=sys.stdout,
        as_published=args.as_published,
    )


def cmd_route_test(args: argparse.Namespace) -> int:
    """Which receivers an alert with these labels reaches (amtool config routes test)."""
    _, config = _load_or_exit(args.config)
    from yujing.config.labels import matcher_problem
    from yujing.notifier.route import match_receivers, match_routes

    labels: dict[str, str] = {}
    for pair in args.labels:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            print(f"error: {pair!r}: give labels as name=value, e.g. severity=red", file=sys.stderr)
            return 2
        problem = matcher_problem(f"{name}={value}", config)
        if problem:  # answered all the same: a typo must not pass for "no route matches"
            print(f"warning: {pair}: {problem}", file=sys.stderr)
        labels[name] = value
    if not args.grouping:
        receivers = match_receivers(config.notify.route, labels)
        print(", ".join(receivers) if receivers else "(no receiver)")
        return 0
    matched = match_routes(config.notify.route, labels)
    if not matched:
        print("(no receiver)")
    for opts in matched:
        by = "..." if opts.group_by is None else ", ".join(opts.group_by)
        print(
            f"{opts.receiver}: group_by [{by}], group_wait {opts.group_wait:g}s, "
            f"group_interval {opts.group_interval:g}s, repeat_interval {opts.repeat_interval:g}s"
        )
    return 0


def _duration_arg(value: str) -> float:
    from yujing.config import parse_duration

    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number of 1 or more")
    return number


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="yujing", description="Early warning of group complaints against insurance products."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"yujing {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def config_arg(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "-c", "--config", help="config file (default: $YUJING_CONFIG or config/yujing.yaml)"
        )

    p = sub.add_parser("run", help="run the daemon")
    config_arg(p)
    p.add_argument(
        "--log-format",
        choices=["text", "json"],
        default=None,
        help="text: readable lines; json: one JSON object per line (default: the config's "
        "logging.format, else text)",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("check-config", help="validate a config file; exit 1 if invalid")
    p.add_argument("path", nargs="?", help="config file (default: config/yujing.yaml)")
    p.set_defaults(func=cmd_check_config)

    p = sub.add_parser("ingest", help="ingest transcript files once (JSONL, CSV, TXT)")
    config_arg(p)
    p.add_argument("files", nargs="+", metavar="FILE")
    p.add_argument(
        "--source",
        default=None,
        help="source name recorded on the posts (default: the config's transcripts source, "
        "if it has exactly one, else 'ingest')",
    )
    p.add_argument(
        "--jobs",
        type=_positive_int,
        default=None,
        metavar="N",
        help="run on N processes: this one stores the posts, N-1 workers understand them "
        "(default: the CPUs it may use; 1: all in this one). Workers start only after the "
        "first 5,000 calls.",
    )
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("status", help="sources, post counts, open alerts")
    config_arg(p)
    p.add_argument(
        "--check",
        action="store_true",
        help="one line, exit 1 unless a source run finished lately (for health checks)",
    )
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("sentiment", help="score one text per stdin line; JSON lines out")
    p.add_argument(
        "--encoding",
        default=None,
        help="the input's encoding, e.g. gbk (default: UTF-8, GBK/GB18030, Big5 or UTF-16, "
        "told from the text; what cannot be told is an error)",
    )
    p.add_argument(
        "--max-line-chars",
        type=int,
        default=1_000_000,
        metavar="N",
        help="refuse a line longer than this (default 1000000)",
    )
    p.set_defaults(func=cmd_sentiment)

    p = sub.add_parser("replay", help="run the detector offline over history; alert JSON lines out")
    config_arg(p)
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--posts", type=Path, help="posts as JSON lines (Post records)")
    what.add_argument("--counts", type=Path, help="CSV: timestamp,value or timestamp,product,value")
    what.add_argument(
        "--store",
        nargs="?",
        const=True,
        metavar="DB",
        help="the posts a store holds (default: the config's storage.path), understood again "
        "under this config: what it would have raised",
    )
    p.add_argument(
        "--since",
        type=_duration_arg,
        default=30 * 86400.0,
        metavar="DURATION",
        help="with --store: how far back, e.g. 30d, 12h (default 30d)",
    )
    p.add_argument(
        "--as-published",
        action="store_true",
        help="with --store: each post as if it had arrived when published (history ingested "
        "in bulk); by default posts count when they arrived, as the daemon counted them",
    )
    p.set_defaults(func=cmd_replay)

    p = sub.add_parser("route", help="which receivers an alert would reach")
    route = p.add_subparsers(dest="route_command", required=True, metavar="ACTION")
    t = route.add_parser("test", help="print the receivers for alert labels, e.g. severity=red")
    config_arg(t)
    t.add_argument("labels", nargs="+", metavar="LABEL=VALUE")
    t.add_argument(
        "--grouping", action="store_true", help="also how each receiver groups and times them"
    )
    t.set_defaults(func=cmd_route_test)

    add_silence_parser(sub, config_arg, _load_or_exit)
    add_alert_parser(sub, config_arg, _load_or_exit)
    add_audit_parser(sub, config_arg, _load_or_exit)
    add_kibana_parser(sub, config_arg, _load_or_exit)

    p = sub.add_parser("demo", help="run the daemon against a simulated world on 127.0.0.1")
    p.add_argument(
        "--once",
        action="store_true",
        help="exit 0 once the wave is over and its alert has fired",
    )
    p.add_argument("--deadline", type=float, default=120.0, help="seconds to wait with --once")
    p.add_argument("--dir", type=Path, default=None, help="working folder (default: a temp folder)")
    p.add_argument("-c", "--config", type=Path, default=None, help="default: the shipped demo.yaml")
    p.set_defaults(func=cmd_demo)
    _verbose_after_commands(parser)
    return parser


def _verbose_after_commands(parser: argparse.ArgumentParser) -> None:
    """``yujing status -v`` as well as ``yujing -v status``: people add it at the end.

    SUPPRESS as the default keeps a sub-command from resetting a -v given before it.
    """
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for command in action.choices.values():
                if "-v" not in command._option_string_actions:
                    command.add_argument(
                        "-v",
                        "--verbose",
                        action="store_true",
                        default=argparse.SUPPRESS,
                        help="debug logging",
                    )
                _verbose_after_commands(command)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("yujing")
    except PackageNotFoundError:  # run from a source tree that was never installed
        from yujing import __version__

        return __version__


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except BrokenPipeError:
        # `yujing replay ... | head`: the reader has what it wanted; no traceback for that.
        sys.stderr.close()
        return 0
    except (SchemaTooNew, StoreLocked, StoreUnusable) as exc:
        # A file from a newer yujing, a store another daemon holds, one that is not SQLite or
        # cannot be written: say what to do instead of a traceback.
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except sqlite3.DatabaseError as exc:  # while working: a full disk, a file gone read-only
        print(f"error: the store {why_unusable(exc)}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
