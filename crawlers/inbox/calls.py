"""Exports with one row per utterance, joined into one record per call.

Call-centre systems often export a call as many rows (通话编号, 时间, 角色, 内容): one per turn of
the conversation. Ingested row by row, one call became a dozen posts and the agent's greeting
("您好，这里是客服中心") was scored as a complaint. A file whose rows say who spoke (a ``speaker``
column such as 角色, or a ``speaker``/``role`` key in JSONL) is read as utterances instead, the
``id`` column (通话编号) naming each row's call:

* rows are grouped by call id, in the order calls first appear (an export sorted by time
  interleaves calls; they are still joined);
* the call's text is what the customer said, turn by turn; the agent's and the system's turns are
  left out, since only the customer's words say whether this is a complaint; a call in which the
  customer said nothing yields no record;
* the call is identified by its call id, dated by its first row that has a time, and takes the
  first caller, agent and product its rows give;
* a row whose role is neither a customer's nor an agent's is an error naming the file, the line
  and the roles that are known, so a new role in the export is added to config, not guessed.

Which header means which field, and which role names mean customer or agent, come from the
source's config (``columns:``, ``roles:``) on top of the names Chinese exports commonly use.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from .fields import Fields
from .records import Transcript

__all__ = ["CallLayout", "join_calls", "CUSTOMER_ROLES", "AGENT_ROLES"]

CUSTOMER_ROLES = (
    "客户",
    "来电人",
    "来电客户",
    "用户",
    "顾客",
    "客人",
    "customer",
    "caller",
    "client",
)
AGENT_ROLES = ("坐席", "座席", "客服", "话务员", "系统", "机器人", "ivr", "agent", "system", "bot")


def _names(values: Iterable[str]) -> frozenset[str]:
    return frozenset(v.strip().lower() for v in values)


@dataclass(frozen=True, slots=True)
class CallLayout:
    """How a source's exports are laid out: extra header names (header -> field) and roles."""

    columns: Mapping[str, str] = field(default_factory=dict)  # header (lower case) -> field
    customer: frozenset[str] = _names(CUSTOMER_ROLES)
    agent: frozenset[str] = _names(AGENT_ROLES)

    @classmethod
    def of(
        cls,
        columns: Mapping[str, str] | None = None,
        customer: Iterable[str] = (),
        agent: Iterable[str] = (),
    ) -> CallLayout:
        """``columns`` as config writes it: field -> the export's header for it."""
        return cls(
            columns={header.strip().lower(): f for f, header in (columns or {}).items()},
            customer=_names(CUSTOMER_ROLES) | _names(customer),
            agent=_names(AGENT_ROLES) | _names(agent),
        )


@dataclass(slots=True)
class _Call:
    line: int
    values: dict[str, Any]
    said: list[str]


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)


def join_calls(
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    shown: str,
    hint: str,
    mtime: datetime,
    tz: tzinfo,
    layout: CallLayout,
) -> Iterator[Transcript]:
    """One ``Transcript`` per call from (line, row values) of utterance rows."""
    calls: dict[str, _Call] = {}
    for line, row in rows:
        fields = Fields(shown, line, hint)
        call_id = _text(row.get("id"))
        if not call_id:
            raise fields.fail("id", "empty; every utterance row names its call")
        role = _text(row.get("speaker")).lower()
        if role not in layout.customer and role not in layout.agent:
            known = ", ".join(sorted(layout.customer | layout.agent))
            raise fields.fail(
                "speaker",
                f"{_text(row.get('speaker'))!r} is neither a customer's nor an agent's role "
                f"(known: {known}); add it under roles: in the source's config",
            )
        call = calls.get(call_id)
        if call is None:
            call = calls[call_id] = _Call(line, {"id": call_id}, [])
        for key in ("time", "caller", "agent", "product"):
            if _text(row.get(key)) and key not in call.values:
                call.values[key] = row[key]
        text = _text(row.get("text"))
        if text and role not in layout.agent:
            call.said.append(text)
    for call in calls.values():
        if not call.said:
            continue  # only the agent or the system spoke: nothing a customer complained of
        fields = Fields(shown, call.line, hint)
        yield fields.record(
            {**call.values, "text": "\n".join(call.said)}, call.values["id"], mtime, tz
        )
