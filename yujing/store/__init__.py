"""The embedded store: one SQLite file in WAL mode.

It holds posts (a post is accepted once its row is committed) and their aliases, crawl runs,
detector state, alerts, the delivery outbox, chat conversations, aggregation groups, the
notification log, silences, handling actions and the audit journal, crawl state (entries fetched,
feed validators, source health) and what retention removes, one module and one small class per
concern over a shared connection. ``Store`` opens the file and migrates its schema
(``migrations``); a file written by
a newer yujing is refused with ``SchemaTooNew``.
"""

from .alerts import Alerts
from .audit import Audit, AuditEntry, AuditProblem
from .chat import ChatMessage, ChatMessages
from .crawls import Crawled, FeedValidators, Seen, Validators
from .db import Rollback, StoreUnusable, Transaction, why_unusable
from .facade import Store
from .groups import GroupRow, Groups, Member
from .handling import Handlings, HandlingTimes
from .health import Health, SourceHealthLog
from .migrations import SchemaTooNew
from .notices import LateWave, TimeNotices, ZoneNotice
from .notified import Notified
from .outbox import Outbox, OutboxItem
from .posts import Posts
from .retention import Pruned, Retention
from .runs import Runs, SourceRun
from .silences import Silences
from .state import State

__all__ = [
    "Store",
    "Posts",
    "Pruned",
    "Retention",
    "Runs",
    "SourceRun",
    "State",
    "Alerts",
    "Outbox",
    "OutboxItem",
    "Silences",
    "Groups",
    "GroupRow",
    "Member",
    "Notified",
    "Handlings",
    "HandlingTimes",
    "Audit",
    "AuditEntry",
    "AuditProblem",
    "ChatMessage",
    "ChatMessages",
    "Transaction",
    "Rollback",
    "SchemaTooNew",
    "StoreUnusable",
    "why_unusable",
    "Crawled",
    "Seen",
    "FeedValidators",
    "Validators",
    "Health",
    "SourceHealthLog",
    "TimeNotices",
    "ZoneNotice",
    "LateWave",
]
