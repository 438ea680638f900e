"""Transcript files stored once, as the daemon's inbox stores them (``yujing ingest``)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from yujing.config import Config, TranscriptSource
from yujing.crawlers.inbox import InboxResult, InboxSinkError, ingest_files, layout_of, limits_of
from yujing.detector.redact import redactor_for
from yujing.detector.understand import understander_for
from yujing.store import Store, why_unusable

from ..ingest_workers import ParallelIntake, usable_cpus
from ..intake import Intake
from ..logs import safe_text
from ..runs import RunBook, RunLog, SourceReport, record_run
from ..zones import ZoneWatch

__all__ = ["Ingested", "ingest"]


@dataclass(frozen=True, slots=True)
class Ingested:
    result: InboxResult
    wanted: int  # files named
    problems: list[str] = field(default_factory=list)  # each file refused or not stored, why

    @property
    def complete(self) -> bool:
        """Every file named was ingested whole."""
        return not self.problems and self.result.files == self.wanted


def ingest(
    config: Config, files: list[Path], *, source: str | None = None, jobs: int | None = None
) -> Ingested:
    """Transcript files stored once, as the daemon's inbox stores them (the same post ids,
    copies and links across channels), understood on ``jobs`` processes (default: the CPUs it
    may use), recorded as a run of their source so ``yujing status`` shows it. Detection and
    delivery are the daemon's: it reads the newly committed posts on its next look."""
    inbox = _inbox_source(config, source)
    source_name = source or _inbox_source_name(config)
    redactor = redactor_for(config)  # messages quote file names and content: shown as logged
    store = Store(config.storage.path)
    try:
        run_id = store.runs.start(source_name)
        intake = Intake(understander_for(config), store, zones=ZoneWatch(config, store))
        failed: list[str] = []
        try:
            with ParallelIntake(intake, config, jobs or usable_cpus()) as sink:
                result = ingest_files(
                    files,
                    sink,  # a batch per commit; a batch counts only once committed
                    source_name=source_name,
                    salt=config.privacy.salt,
                    timezone=getattr(inbox, "timezone", None) or config.timezone,
                    limits=limits_of(inbox),
                    layout=layout_of(inbox),
                )
        except InboxSinkError as exc:
            # The store refused (disk full, locked): what was committed stays; say what did not.
            result = exc.result
            for file, error in exc.failed:
                why = why_unusable(error) if isinstance(error, sqlite3.DatabaseError) else error
                failed.append(
                    safe_text(f"{file}: could not store its transcripts: {why}", redactor)
                )
        problems = failed + [safe_text(reason, redactor) for _, reason in result.quarantined]
        report = SourceReport(
            source_name,
            result.posts,
            result.accepted,
            len(problems),
            problems[-1] if problems else None,
            "quarantined" if result.quarantined and not failed else None,
        )
        # Recorded as the daemon records its runs; the source's health is the daemon's to judge.
        book = RunBook(store, redactor, RunLog())
        record_run(
            book,
            inbox or TranscriptSource(name=source_name, type="transcripts"),
            report,
            run_id=run_id,
        )
    finally:
        store.close()
    return Ingested(result, len(files), problems)


def _inbox_source(config: Config, name: str | None) -> TranscriptSource | None:
    """The transcripts source whose limits apply: the one named, else the only one."""
    inboxes = [s for s in config.sources if isinstance(s, TranscriptSource)]
    named = [s for s in inboxes if s.name == name] if name else inboxes
    return named[0] if len(named) == 1 else None


def _inbox_source_name(config: Config) -> str:
    """Ingested calls belong to the hotline source when the config has exactly one."""
    inboxes = [s.name for s in config.sources if isinstance(s, TranscriptSource)]
    return inboxes[0] if len(inboxes) == 1 else "ingest"
