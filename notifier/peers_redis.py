"""The peers' notification log in Redis (``notify.peers`` with the top-level ``redis:``).

Keys, under ``<key_prefix>:peers:<name>:``

* ``hold:<receiver>:<series>``: the daemon sending news of that alert series now, with a lease
  (``SET NX PX``), removed by its holder only (compare and delete in one script);
* ``wave:<receiver>:<series>``: the latest wave told of an alert series, as JSON (written as
  not sure before a send that opens it, and sure after);
* ``group:<receiver>:<group>``: when the group was last told, for reminders;
* ``silences``: the silences the peers share (a hash by silence id, JSON values).

Records expire a month after their last write, so the log stays as small as what is current.
"""

from __future__ import annotations

import json
import os
import socket
import uuid
from collections.abc import Iterable
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from yujing.alerts import Silence
from yujing.config import Config

from .peers import Told

__all__ = ["RedisPeerLog"]

KEEP = 30 * 86400  # seconds a record outlives its last write
FORGET_SILENCES = 7 * 86400  # seconds an ended silence stays shared
TIMEOUT = 5.0  # seconds for one Redis call: a hung Redis must not hold up delivery for long

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then
    return redis.call('del', KEYS[1])
end
return 0
"""


class RedisPeerLog:
    def __init__(self, client: redis.Redis, prefix: str, name: str):
        self.client = client
        self.base = f"{prefix}:peers:{name}:"
        # Who holds a group: unique per process, readable when an operator looks.
        self.me = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._release = client.register_script(_RELEASE)

    @classmethod
    def from_config(cls, config: Config) -> RedisPeerLog:
        assert config.redis is not None and config.notify.peers is not None
        return cls.connect(config.redis.url, config.redis.key_prefix, config.notify.peers.name)

    @classmethod
    def connect(cls, url: str, prefix: str, name: str) -> RedisPeerLog:
        client = redis.Redis.from_url(
            url,
            decode_responses=True,
            socket_timeout=TIMEOUT,
            socket_connect_timeout=TIMEOUT,
            # One try: the caller sends without the log rather than wait through retries.
            retry=Retry(NoBackoff(), 0),
        )
        return cls(client, prefix, name)

    def close(self) -> None:
        self.client.close()

    def hold(self, receiver: str, series: str, lease: float) -> bool:
        key = f"{self.base}hold:{receiver}:{series}"
        return bool(self.client.set(key, self.me, nx=True, px=max(1, int(lease * 1000))))

    def release(self, receiver: str, series: str) -> None:
        self._release(keys=[f"{self.base}hold:{receiver}:{series}"], args=[self.me])

    def waves(self, receiver: str, series: Iterable[str]) -> dict[str, Told]:
        names = sorted(series)
        if not names:
            return {}
        values = self.client.mget([f"{self.base}wave:{receiver}:{s}" for s in names])
        out = {}
        for name, value in zip(names, values, strict=True):
            if value is None:
                continue
            try:
                d = json.loads(value)
                ended_at = d.get("ended_at")
                out[name] = Told(
                    str(d["id"]),
                    float(d["started"]),
                    int(d["severity"]),
                    int(d["peak"]),
                    float(ended_at) if ended_at is not None else None,
                    float(d.get("before") or 0.0),
                    bool(d.get("sure", True)),
                )
            except (ValueError, KeyError, TypeError):
                continue  # a damaged record tells nothing; the next send writes it anew
        return out

    def silences(self) -> dict[str, Silence]:
        """The silences the peers share, by id (unreadable entries left out)."""
        out = {}
        for sid, value in self.client.hgetall(f"{self.base}silences").items():
            try:
                out[sid] = Silence.from_dict(json.loads(value))
            except (ValueError, KeyError, TypeError):
                continue
        return out

    def share_silences(self, silences: Iterable[Silence], now: float) -> None:
        """Put ``silences`` in the shared set; forget those ended a week ago."""
        key = f"{self.base}silences"
        pipe = self.client.pipeline(transaction=True)
        for s in silences:
            pipe.hset(key, s.id, json.dumps(s.to_dict(), ensure_ascii=False))
        for sid, s in self.silences().items():
            if s.ends_at.timestamp() < now - FORGET_SILENCES:
                pipe.hdel(key, sid)
        pipe.execute()

    def group_told_at(self, receiver: str, group: str) -> float | None:
        value = self.client.get(f"{self.base}group:{receiver}:{group}")
        return float(value) if value is not None else None

    def sending(self, receiver: str, told: dict[str, Told]) -> None:
        pipe = self.client.pipeline(transaction=True)
        self._waves(pipe, receiver, told)
        pipe.execute()

    def record(self, receiver: str, group: str, told: dict[str, Told], at: float) -> None:
        pipe = self.client.pipeline(transaction=True)
        self._waves(pipe, receiver, told)
        pipe.set(f"{self.base}group:{receiver}:{group}", repr(at), ex=KEEP)
        pipe.execute()

    def _waves(self, pipe: Any, receiver: str, told: dict[str, Told]) -> None:
        for series, t in told.items():
            record = {
                "id": t.id,
                "started": t.started,
                "severity": t.severity,
                "peak": t.peak,
                "ended_at": t.ended_at,
                "before": t.before,
                "sure": t.sure,
            }
            pipe.set(f"{self.base}wave:{receiver}:{series}", json.dumps(record), ex=KEEP)
