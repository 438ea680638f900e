"""A local stand-in for Kibana 8.x's saved-objects import API, answering as Kibana does.

Usage::

    with FakeKibana(api_key="a2V5") as kibana:   # or username=..., password=...; or neither
        ... POST kibana.url + "/api/saved_objects/_import?overwrite=true" ...
        kibana.objects["default"][("dashboard", "yujing-overview")]  # what each space holds
        kibana.imports  # one entry per accepted import: {"space", "overwrite", "filename", "objects"}
        kibana.requests  # every request: .path, .query, .headers (any case), .raw

Like Kibana (``src/core/server/http`` lifecycle handlers and the import route): authentication
comes first (401 with Kibana's JSON error body), then the ``kbn-xsrf`` check on every write (400
"Request must contain a kbn-xsrf header."); the body must be ``multipart/form-data`` (415 if not)
with a ``file`` part whose name ends in ``.ndjson`` (400 "Invalid file extension .json"). A space
is addressed as ``/s/<id>/api/...`` and must exist (404). The import answers 200 with
``success``, ``successCount``, ``successResults`` and, per object that could not be imported,
an entry in ``errors``: ``missing_references`` when a reference to a data view or a saved search
(the only types Kibana checks: ``REF_TYPES_TO_VALIDATE``) names an object neither in the file nor
in the space, ``conflict`` when the object exists and ``overwrite`` was not asked for,
``unsupported_type`` for an unknown type. Objects with errors are not imported; the rest are.
"""

from __future__ import annotations

import base64
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

from ._http import FakeServer, Headers, Recorded, Response

__all__ = ["FakeKibana", "VERSION"]

VERSION = "8.15.0"
TYPES = {"index-pattern", "search", "visualization", "lens", "dashboard", "tag", "config"}
ICONS = {"index-pattern": "indexPatternApp", "search": "discoverApp", "lens": "lensApp"}
REF_TYPES_TO_VALIDATE = ("index-pattern", "search")
_IMPORT = re.compile(r"^(?:/s/(?P<space>[a-z0-9_-]+))?/api/saved_objects/_import$")


def _error(status: int, error: str, message: str) -> Response:
    return Response(status, {"statusCode": status, "error": error, "message": message})


def _true(value: str | None) -> bool:
    return str(value).lower() == "true"


class FakeKibana(FakeServer):
    def __init__(
        self,
        *,
        api_key: str | None = None,
        username: str | None = None,
        password: str | None = None,
        spaces: tuple[str, ...] = ("default",),
    ):
        super().__init__()
        self.api_key = api_key
        self.username = username
        self.password = password
        self.objects: dict[str, dict[tuple[str, str], dict[str, Any]]] = {s: {} for s in spaces}
        self.imports: list[dict[str, Any]] = []

    @property
    def url(self) -> str:
        return self.base

    def default_headers(self, request: Recorded) -> dict[str, str]:
        return {"Content-Type": "application/json; charset=utf-8", "kbn-name": "fake-kibana"}

    def decode(self, raw: bytes, headers: Headers, query: dict[str, str]) -> Any:
        return None  # the import route reads the multipart body itself

    # -- answering

    def _authenticated(self, headers: Headers) -> bool:
        if self.api_key is None and self.username is None:
            return True  # security off, as in the compose cluster
        given = headers.get("authorization", "")
        if self.api_key is not None and given == f"ApiKey {self.api_key}":
            return True
        if self.username is not None:
            token = base64.b64encode(f"{self.username}:{self.password or ''}".encode()).decode()
            return given == f"Basic {token}"
        return False

    def handle(self, request: Recorded) -> Response:
        if not self._authenticated(request.headers):
            user = self.username or "_anonymous"
            reason = (
                f"unable to authenticate user [{user}] for REST request [/_security/_authenticate]"
            )
            return _error(
                401,
                "Unauthorized",
                f"[security_exception\n\tRoot causes:\n\t\tsecurity_exception: {reason}]: {reason}",
            )
        if request.method not in ("GET", "HEAD") and "kbn-xsrf" not in request.headers:
            return _error(400, "Bad Request", "Request must contain a kbn-xsrf header.")
        route = _IMPORT.match(request.path)
        if route is None or request.method != "POST":
            return _error(404, "Not Found", "Not Found")
        space = route.group("space") or "default"
        if space not in self.objects:
            return _error(404, "Not Found", f"Saved object [space/{space}] not found")
        ctype = request.headers.get("content-type", "")
        if not ctype.lower().startswith("multipart/form-data"):
            return _error(415, "Unsupported Media Type", "Unsupported Media Type")
        part = self._file_part(request.raw, ctype)
        if part is None:
            return _error(
                400,
                "Bad Request",
                "[request body.file]: expected value of type [Stream] but got [undefined]",
            )
        filename, content = part
        extension = filename[filename.rfind(".") :] if "." in filename else ""
        if extension != ".ndjson":
            return _error(400, "Bad Request", f"Invalid file extension {extension}")
        try:
            objects = [json.loads(line) for line in content.decode("utf-8").splitlines() if line]
        except ValueError as exc:
            return _error(400, "Bad Request", f"Unexpected token in JSON: {exc}")
        overwrite = _true(request.query.get("overwrite"))
        return self._import(space, objects, overwrite, filename)

    @staticmethod
    def _file_part(raw: bytes, ctype: str) -> tuple[str, bytes] | None:
        message = BytesParser(policy=HTTP).parsebytes(
            f"Content-Type: {ctype}\r\n\r\n".encode() + raw
        )
        if not message.is_multipart():
            return None
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                return part.get_filename() or "", part.get_payload(decode=True) or b""
        return None

    def _import(
        self, space: str, objects: list[dict[str, Any]], overwrite: bool, filename: str
    ) -> Response:
        held = self.objects[space]
        in_file = {(o.get("type"), o.get("id")) for o in objects}
        errors, results, accepted = [], [], []
        for obj in objects:
            key = (obj.get("type"), obj.get("id"))
            title = (obj.get("attributes") or {}).get("title", "")
            meta = {"title": title, "icon": ICONS.get(str(key[0]), "apps")}
            entry = {"id": key[1], "type": key[0], "title": title, "meta": meta}
            if key[0] not in TYPES:
                errors.append({**entry, "error": {"type": "unsupported_type"}})
                continue
            missing = [
                {"type": r["type"], "id": r["id"]}
                for r in obj.get("references") or []
                if r["type"] in REF_TYPES_TO_VALIDATE
                and (r["type"], r["id"]) not in in_file
                and (r["type"], r["id"]) not in held
            ]
            if missing:
                errors.append(
                    {**entry, "error": {"type": "missing_references", "references": missing}}
                )
                continue
            if key in held and not overwrite:
                errors.append({**entry, "error": {"type": "conflict"}})
                continue
            result = {"type": key[0], "id": key[1], "meta": meta}
            if key in held:
                result["overwrite"] = True
            results.append(result)
            accepted.append(obj)
        for obj in accepted:
            held[(obj["type"], obj["id"])] = obj
        self.imports.append(
            {"space": space, "overwrite": overwrite, "filename": filename, "objects": objects}
        )
        body: dict[str, Any] = {
            "successCount": len(results),
            "success": not errors,
            "warnings": [],
        }
        if results:
            body["successResults"] = results
        if errors:
            body["errors"] = errors
        return Response(200, body)
