"""A local stand-in for an Elasticsearch 8.x node, faithful where the Python client looks.

The client refuses a 2xx answer without ``X-Elastic-Product: Elasticsearch``
(``elasticsearch/_sync/client/_base.py``) and picks its deserializer by Content-Type, so every
answer carries both. Indices are created on first write, taking the mappings of a matching
composable template, as a real node does.

Usage::

    with FakeElasticsearch() as es:
        client = Elasticsearch(es.url)
        ...
        es.bulk_docs()  # [{"op": "index", "_index": ..., "_id": ..., "source": {...}}, ...]
        es.docs["yujing-alerts"]["<id>"], es.indices, es.templates, es.requests
        es.policies["yujing-posts"]  # ILM policies, as put
        es.data_streams  # names of data streams created by a first write (their documents are in
                         # es.docs[name]); they take only op_type create and need @timestamp
        es.fail(503)  # every answer 503 until es.recover(); fail(503, times=2) for two
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from ._http import FakeServer, Recorded, Response

__all__ = ["FakeElasticsearch", "VERSION"]

VERSION = "8.15.0"
COMPAT = "application/vnd.elasticsearch+json;compatible-with=8"


@dataclass(frozen=True)
class _Op:
    op: str  # index, create, update or delete
    index: str
    id: str | None
    source: dict[str, Any] | None

    def as_dict(self) -> dict[str, Any]:
        return {"op": self.op, "_index": self.index, "_id": self.id, "source": self.source}


def _error(status: int, kind: str, reason: str, **extra: Any) -> Response:
    cause = {"type": kind, "reason": reason, **extra}
    return Response(status, {"error": {"root_cause": [cause], **cause}, "status": status})


class FakeElasticsearch(FakeServer):
    def __init__(self) -> None:
        super().__init__()
        self.templates: dict[str, dict[str, Any]] = {}
        self.indices: dict[str, dict[str, Any]] = {}  # name -> {"mappings", "settings"}
        self.docs: dict[str, dict[str, dict[str, Any]]] = {}  # index -> id -> _source
        self.policies: dict[str, dict[str, Any]] = {}  # ILM policy name -> {"policy": ...}
        self.data_streams: set[str] = set()
        self._failing = 0
        self._fail_status = 503
        self._seq = 0
        self._bulk_accepted: list[_Op] = []
        self._reject_bulks = 0
        self._reject_first_only = False

    @property
    def url(self) -> str:
        return self.base

    # -- failure modes

    def fail(self, status: int = 503, times: int | None = None) -> None:
        """Answer the next ``times`` requests (all, when None) with ``status``."""
        self._fail_status = status
        self._failing = -1 if times is None else times

    def recover(self) -> None:
        self._failing = 0
        self._reject_bulks = 0
        super().recover()

    def rate_limited(self, request: Recorded) -> Response:
        """A node whose queues are full refuses the request with 429."""
        return _error(
            429,
            "es_rejected_execution_exception",
            "rejected execution of coordinating operation [shard_detail=[yujing][0][P]]",
        )

    def reject_bulk_items(self, times: int = 1, *, first_only: bool = False) -> None:
        """Answer the next ``times`` bulks 200 with ``errors: true``. By default every item is
        refused with 429, as a node does when its write queue is full; with ``first_only`` just
        the first item, with 400 ``mapper_parsing_exception``, as for a document that never fits."""
        self._reject_bulks = times
        self._reject_first_only = first_only

    # -- what was asked

    def bulk_docs(self) -> list[dict[str, Any]]:
        """Each operation of the accepted ``_bulk`` requests, in order:
        ``{"op": "index", "_index": ..., "_id": ..., "source": {...}}``."""
        return [op.as_dict() for op in self._bulk_accepted]

    def requests_to(self, method: str, path_prefix: str = "") -> list[Recorded]:
        return [r for r in self.requests if r.method == method and r.path.startswith(path_prefix)]

    # -- answering

    def default_headers(self, request: Recorded) -> dict[str, str]:
        accept = request.headers.get("accept", "")
        ctype = COMPAT if "vnd.elasticsearch" in accept else "application/json"
        return {"X-Elastic-Product": "Elasticsearch", "Content-Type": ctype}

    def handle(self, request: Recorded) -> Response:
        if self._failing:
            if self._failing > 0:  # -1 means until recover()
                self._failing -= 1
            return _error(
                self._fail_status,
                "unavailable_shards_exception",
                "[yujing][0] primary shard is not active",
            )
        parts = [unquote(p) for p in request.path.strip("/").split("/") if p]
        m = request.method
        if not parts:
            return self._info() if m == "GET" else Response(200)
        if parts[0] == "_index_template" and len(parts) == 2:
            return self._template(m, parts[1], request)
        if parts[:2] == ["_ilm", "policy"] and len(parts) == 3:
            return self._policy(m, parts[2], request)
        if parts[-1] == "_bulk":
            return self._bulk(request, default_index=parts[0] if len(parts) == 2 else None)
        if len(parts) >= 2 and parts[1] == "_doc":
            return self._doc(m, parts[0], parts[2] if len(parts) == 3 else None, request)
        if len(parts) == 2 and parts[1] == "_refresh":
            return Response(200, {"_shards": {"total": 1, "successful": 1, "failed": 0}})
        if len(parts) == 1 and not parts[0].startswith("_"):
            return self._index(m, parts[0])
        return _error(400, "illegal_argument_exception", f"no handler for {m} {request.path}")

    def _info(self) -> Response:
        return Response(
            200,
            {
                "name": "fake-node",
                "cluster_name": "yujing-test",
                "cluster_uuid": "fake-cluster-uuid",
                "version": {
                    "number": VERSION,
                    "build_flavor": "default",
                    "lucene_version": "9.11.1",
                    "minimum_wire_compatibility_version": "7.17.0",
                    "minimum_index_compatibility_version": "7.0.0",
                },
                "tagline": "You Know, for Search",
            },
        )

    def _template(self, method: str, name: str, request: Recorded) -> Response:
        if method in ("PUT", "POST"):
            if not isinstance(request.body, dict):
                return _error(400, "parse_exception", "request body is required")
            self.templates[name] = request.body
            return Response(200, {"acknowledged": True})
        if name not in self.templates:
            return _error(
                404, "resource_not_found_exception", f"index template matching [{name}] not found"
            )
        if method == "HEAD":
            return Response(200)
        if method == "DELETE":
            del self.templates[name]
            return Response(200, {"acknowledged": True})
        body = {"index_templates": [{"name": name, "index_template": self.templates[name]}]}
        return Response(200, body)

    def _policy(self, method: str, name: str, request: Recorded) -> Response:
        if method == "PUT":
            body = request.body
            if not isinstance(body, dict) or not isinstance(body.get("policy"), dict):
                return _error(400, "parse_exception", "request body is required")
            phases = body["policy"].get("phases")
            if not isinstance(phases, dict) or not set(phases) <= {
                "hot",
                "warm",
                "cold",
                "frozen",
                "delete",
            }:
                return _error(400, "x_content_parse_exception", f"invalid phases {phases!r}")
            self.policies[name] = body
            return Response(200, {"acknowledged": True})
        if name not in self.policies:
            return _error(
                404, "resource_not_found_exception", f"Lifecycle policy not found: {name}"
            )
        if method == "DELETE":
            del self.policies[name]
            return Response(200, {"acknowledged": True})
        return Response(200, {name: {"version": 1, **self.policies[name]}})

    def _matching_template(self, name: str) -> dict[str, Any] | None:
        # The highest-priority composable template whose pattern matches gives the mappings.
        matching = [
            t
            for t in self.templates.values()
            if any(fnmatch.fnmatchcase(name, p) for p in t.get("index_patterns", []))
        ]
        matching.sort(key=lambda t: t.get("priority", 0), reverse=True)
        return matching[0] if matching else None

    def _index(self, method: str, name: str) -> Response:
        exists = name in self.indices
        if method == "HEAD":
            return Response(200 if exists else 404)
        if method == "PUT":
            if exists:
                return _error(
                    400, "resource_already_exists_exception", f"index [{name}] already exists"
                )
            self._create_index(name)
            return Response(200, {"acknowledged": True, "shards_acknowledged": True, "index": name})
        if not exists:
            return _error(404, "index_not_found_exception", f"no such index [{name}]", index=name)
        if method == "DELETE":
            del self.indices[name]
            self.docs.pop(name, None)
            return Response(200, {"acknowledged": True})
        return Response(200, {name: {"aliases": {}, **self.indices[name]}})

    def _create_index(self, name: str) -> None:
        if name in self.indices:
            return
        matching = self._matching_template(name)
        template = matching.get("template", {}) if matching else {}
        if matching is not None and "data_stream" in matching:
            self.data_streams.add(name)
        self.indices[name] = {
            "mappings": template.get("mappings", {}),
            "settings": template.get("settings", {}),
        }
        self.docs.setdefault(name, {})

    def _write(self, index: str, doc_id: str | None, source: dict[str, Any]) -> dict[str, Any]:
        self._create_index(index)
        self._seq += 1
        if doc_id is None:
            doc_id = f"auto{self._seq:08d}"
        created = doc_id not in self.docs[index]
        self.docs[index][doc_id] = source
        return {
            "_index": index,
            "_id": doc_id,
            "_version": 1 if created else 2,
            "result": "created" if created else "updated",
            "_shards": {"total": 2, "successful": 1, "failed": 0},
            "_seq_no": self._seq,
            "_primary_term": 1,
            "status": 201 if created else 200,
        }

    def _doc(self, method: str, index: str, doc_id: str | None, request: Recorded) -> Response:
        if method in ("PUT", "POST"):
            if method == "PUT" and doc_id is None:
                return _error(405, "method_not_allowed", "PUT needs a document id")
            if not isinstance(request.body, dict):
                return _error(400, "parse_exception", "request body is required")
            result = self._write(index, doc_id, request.body)
            return Response(result.pop("status"), result)
        source = self.docs.get(index, {}).get(doc_id or "")
        if source is None:
            return Response(404, {"_index": index, "_id": doc_id, "found": False})
        return Response(200, {"_index": index, "_id": doc_id, "found": True, "_source": source})

    @staticmethod
    def _parse_bulk(request: Recorded, default_index: str | None = None) -> list[_Op]:
        lines = request.body if isinstance(request.body, list) else []
        out, i = [], 0
        while i < len(lines):
            ((op, meta),) = lines[i].items()
            source = None
            if op != "delete":
                i += 1
                source = lines[i]
            out.append(_Op(op, meta.get("_index") or default_index or "", meta.get("_id"), source))
            i += 1
        return out

    def _is_data_stream(self, name: str) -> bool:
        if name in self.data_streams:
            return True
        if name in self.indices:
            return False
        template = self._matching_template(name)
        return template is not None and "data_stream" in template

    def _refusal(self, op: _Op) -> tuple[int, dict[str, Any]] | None:
        """Why a node refuses this write, as its bulk item says; None when it takes it."""
        exists = (op.id or "") in self.docs.get(op.index, {})
        if self._is_data_stream(op.index):
            if op.op != "create":
                return 400, {
                    "type": "illegal_argument_exception",
                    "reason": "only write ops with an op_type of create are allowed in data streams",
                }
            if "@timestamp" not in (op.source or {}):
                return 400, {
                    "type": "document_parsing_exception",
                    "reason": "[1:2] failed to parse: data stream timestamp field [@timestamp] is missing",
                }
        if op.op == "create" and exists:
            return 409, {
                "type": "version_conflict_engine_exception",
                "reason": f"[{op.id}]: version conflict, document already exists (current version [1])",
                "index": op.index,
            }
        body = op.source or {}
        if (
            op.op == "update"
            and not exists
            and not body.get("doc_as_upsert")
            and "upsert" not in body
        ):
            return 404, {
                "type": "document_missing_exception",
                "reason": f"[{op.id}]: document missing",
                "index": op.index,
            }
        return None

    def _bulk(self, request: Recorded, default_index: str | None) -> Response:
        try:
            if not isinstance(request.body, list):
                raise ValueError("expected NDJSON")
            ops = self._parse_bulk(request, default_index)
        except (ValueError, IndexError, AttributeError) as exc:
            return _error(400, "x_content_parse_exception", f"malformed bulk body: {exc}")
        refused: dict[str, Any] = {}  # _id -> item answer for documents refused this time
        if self._reject_bulks > 0:
            self._reject_bulks -= 1
            if self._reject_first_only:
                error = {"type": "mapper_parsing_exception", "reason": "failed to parse field"}
                refused = {ops[0].id or "": (400, error)}
            else:
                error = {
                    "type": "es_rejected_execution_exception",
                    "reason": "rejected execution of coordinating operation",
                }
                items = [
                    {o.op: {"_index": o.index, "_id": o.id, "status": 429, "error": error}}
                    for o in ops
                ]
                return Response(200, {"took": 1, "errors": True, "items": items})
        items = []
        for op in ops:
            if op.op == "delete":
                existed = self.docs.get(op.index, {}).pop(op.id or "", None) is not None
                status, result = (200, "deleted") if existed else (404, "not_found")
                items.append(
                    {
                        "delete": {
                            "_index": op.index,
                            "_id": op.id,
                            "status": status,
                            "result": result,
                        }
                    }
                )
                continue
            if (op.id or "") in refused:
                status, error = refused[op.id or ""]
                items.append(
                    {op.op: {"_index": op.index, "_id": op.id, "status": status, "error": error}}
                )
                continue
            problem = self._refusal(op)
            if problem is not None:
                refused[op.id or ""] = problem
                items.append(
                    {
                        op.op: {
                            "_index": op.index,
                            "_id": op.id,
                            "status": problem[0],
                            "error": problem[1],
                        }
                    }
                )
                continue
            source = op.source or {}
            if op.op == "update":
                source = {
                    **self.docs.get(op.index, {}).get(op.id or "", {}),
                    **source.get("doc", {}),
                }
            result = self._write(op.index, op.id, source)
            items.append({op.op: result})
        self._bulk_accepted.extend(o for o in ops if (o.id or "") not in refused)
        return Response(200, {"took": 1, "errors": bool(refused), "items": items})
