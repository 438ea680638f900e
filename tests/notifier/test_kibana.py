"""The shipped Kibana saved objects, their import through Kibana's API, and Discover links."""

from __future__ import annotations

import base64
import fnmatch
import json
import re
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, unquote, urlsplit
from urllib.request import Request, urlopen

import pytest
import yaml

from testkit.fakes.kibana import FakeKibana
from yujing.app.cli import main
from yujing.notifier.elastic import (
    alert_events_stream,
    alerts_index,
    index_templates,
    posts_index,
)
from yujing.notifier.kibana import discover_url, saved_objects, to_ndjson, with_discover_link

from .conftest import make_event

PREFIXES = ["yujing", "acme-ins"]
KQL_FIELD = re.compile(r"([A-Za-z_@][\w.@]*)\s*:")
AGGREGATABLE = {"keyword", "date", "integer", "long", "float", "double", "boolean"}


def mapped_fields(template: dict[str, Any]) -> dict[str, str]:
    """Dotted field name -> type, subfields (``title.keyword``) included."""
    out: dict[str, str] = {}

    def walk(props: dict[str, Any], path: str) -> None:
        for name, spec in props.items():
            full = f"{path}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{full}.")
                continue
            out[full] = spec.get("type", "object")
            for sub, subspec in (spec.get("fields") or {}).items():
                out[f"{full}.{sub}"] = subspec["type"]

    walk(template["template"]["mappings"]["properties"], "")
    return out


def fields_by_view(prefix: str) -> dict[str, dict[str, str]]:
    """Data view id -> the fields of the one template whose indices its pattern covers."""
    templates = index_templates(prefix)
    samples = {
        f"{prefix}-posts": posts_index(prefix, "2026-11-30T00:00:00+00:00"),
        alerts_index(prefix): alerts_index(prefix),
        alert_events_stream(prefix): alert_events_stream(prefix),
    }
    out = {}
    for obj in saved_objects(prefix):
        if obj["type"] != "index-pattern":
            continue
        title = obj["attributes"]["title"]
        covered = [name for name, index in samples.items() if fnmatch.fnmatchcase(index, title)]
        assert len(covered) == 1, f"data view {title} covers {covered}, not one template's indices"
        (name,) = covered
        sample = samples[name]
        assert any(fnmatch.fnmatchcase(sample, p) for p in templates[name]["index_patterns"])
        out[obj["id"]] = mapped_fields(templates[name])
    return out


def used_fields(obj: dict[str, Any]) -> list[tuple[str, str, bool]]:
    """(reference name of the data view, field, must be aggregatable) for each field ``obj`` uses."""
    attrs, out = obj["attributes"], []
    if obj["type"] == "index-pattern":
        out.append(("", attrs["timeFieldName"], True))
        out += [("", f, False) for f in json.loads(attrs.get("fieldFormatMap") or "{}")]
    elif obj["type"] == "search":
        source = json.loads(attrs["kibanaSavedObjectMeta"]["searchSourceJSON"])
        ref = source["indexRefName"]
        out += [(ref, c, False) for c in attrs["columns"]]
        out += [(ref, field, True) for field, _ in attrs["sort"]]
        out += [(ref, f, False) for f in KQL_FIELD.findall(source["query"]["query"])]
    elif obj["type"] == "lens":
        state = attrs["state"]
        for layer_id, layer in state["datasourceStates"]["formBased"]["layers"].items():
            ref = f"indexpattern-datasource-layer-{layer_id}"
            for column in layer["columns"].values():
                if column["sourceField"] != "___records___":
                    out.append((ref, column["sourceField"], True))
            out += [(ref, f, False) for f in KQL_FIELD.findall(state["query"]["query"])]
    return out


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_reference_resolves_to_an_object_in_the_file(prefix: str) -> None:
    objects = saved_objects(prefix)
    by_key = {(o["type"], o["id"]): o for o in objects}
    assert len(by_key) == len(objects), "ids are unique per type"
    assert {o["type"] for o in objects} == {"index-pattern", "search", "lens", "dashboard"}
    for obj in objects:
        assert obj["id"].startswith(f"{prefix}-"), obj["id"]
        for ref in obj["references"]:
            assert (ref["type"], ref["id"]) in by_key, f"{obj['id']}: {ref} resolves to nothing"
    # Inside the objects, links are reference names; each one must be declared.
    for obj in objects:
        names = {r["name"] for r in obj["references"]}
        if obj["type"] == "search":
            source = json.loads(obj["attributes"]["kibanaSavedObjectMeta"]["searchSourceJSON"])
            assert source["indexRefName"] in names
        if obj["type"] == "lens":
            layers = obj["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]
            assert {f"indexpattern-datasource-layer-{k}" for k in layers} <= names
            visual = obj["attributes"]["state"]["visualization"]
            columns = {c for layer in layers.values() for c in layer["columns"]}
            for layer in visual["layers"]:
                used = [layer.get("xAccessor"), layer.get("splitAccessor")]
                used += layer.get("accessors", []) + layer.get("primaryGroups", [])
                used += layer.get("metrics", [])
                assert {c for c in used if c} <= columns, obj["id"]
        if obj["type"] == "dashboard":
            panels = json.loads(obj["attributes"]["panelsJSON"])
            assert len(panels) == 7
            for panel in panels:
                name = f"{panel['panelIndex']}:{panel['panelRefName']}"
                (ref,) = [r for r in obj["references"] if r["name"] == name]
                assert ref["type"] == panel["type"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_every_field_the_objects_use_exists_in_the_index_templates(prefix: str) -> None:
    views = fields_by_view(prefix)
    assert set(views) == {f"{prefix}-posts", f"{prefix}-alerts", f"{prefix}-alert-events"}
    checked = 0
    for obj in saved_objects(prefix):
        refs = {r["name"]: r["id"] for r in obj["references"] if r["type"] == "index-pattern"}
        for ref_name, field, aggregatable in used_fields(obj):
            view = obj["id"] if obj["type"] == "index-pattern" else refs[ref_name]
            kind = views[view].get(field)
            assert kind is not None, f"{obj['type']} {obj['id']} uses {field}, not in {view}"
            if aggregatable:
                assert kind in AGGREGATABLE, f"{obj['id']}: {field} is {kind}, not aggregatable"
            checked += 1
    assert checked > 40


def test_the_used_fields_check_catches_a_field_the_templates_lack() -> None:
    lens = next(o for o in saved_objects() if o["id"] == "yujing-sources")
    layer = lens["attributes"]["state"]["datasourceStates"]["formBased"]["layers"]["layer1"]
    layer["columns"]["c_source"]["sourceField"] = "channel"
    views = fields_by_view("yujing")
    missing = [f for _, f, _ in used_fields(lens) if f not in views["yujing-posts"]]
    assert missing == ["channel"]


def test_the_shipped_file_is_kibana_export_ndjson() -> None:
    raw = (Path(__file__).resolve().parents[2] / "config" / "kibana" / "yujing.ndjson").read_bytes()
    lines = raw.decode("utf-8").splitlines()
    assert raw.endswith(b"\n") and all(lines)
    for line in lines:
        obj = json.loads(line)
        assert set(obj) >= {"type", "id", "attributes", "references", "typeMigrationVersion"}
    assert json.loads(to_ndjson(saved_objects()).decode().splitlines()[0]) == json.loads(lines[0])


# -- the import, at the wire


def write_config(tmp_path: Path, kibana: dict[str, Any], prefix: str = "acme-ins") -> Path:
    path = tmp_path / "yujing.yaml"
    config = {
        "storage": {"path": str(tmp_path / "y.db")},
        "alerts_file": None,
        "elasticsearch": {"hosts": ["http://127.0.0.1:9"], "index_prefix": prefix},
        "kibana": kibana,
    }
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path


def test_import_posts_the_ndjson_as_kibana_expects(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KIBANA_API_KEY", "a2V5OnNlY3JldA==")
    with FakeKibana(api_key="a2V5OnNlY3JldA==", spaces=("default", "analysts")) as kibana:
        config = write_config(tmp_path, {"url": kibana.url, "api_key": "${KIBANA_API_KEY}"})
        assert main(["kibana", "import", "-c", str(config), "--space", "analysts"]) == 0
        (request,) = kibana.requests
        base = kibana.url
    assert request.method == "POST"
    assert request.path == "/s/analysts/api/saved_objects/_import"
    assert request.query == {"overwrite": "true"}
    assert request.headers["kbn-xsrf"]
    assert request.headers["authorization"] == "ApiKey a2V5OnNlY3JldA=="
    ctype = request.headers["content-type"]
    assert ctype.startswith("multipart/form-data; boundary=")
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {ctype}\r\n\r\n".encode() + request.raw
    )
    (part,) = message.iter_parts()
    assert part.get_param("name", header="content-disposition") == "file"
    assert part.get_filename() == "yujing.ndjson"
    sent = [json.loads(line) for line in part.get_payload(decode=True).decode().splitlines()]
    assert sent == saved_objects("acme-ins")
    # Kibana took every object into that space, none into the default one.
    held = kibana.objects["analysts"]
    assert ("dashboard", "acme-ins-overview") in held and not kibana.objects["default"]
    assert held[("index-pattern", "acme-ins-posts")]["attributes"]["title"] == "acme-ins-posts*"
    out = capsys.readouterr().out
    assert f"已导入 {len(sent)}/{len(sent)} 个对象" in out
    assert f"{base}/s/analysts/app/dashboards#/view/acme-ins-overview" in out


def test_a_second_import_overwrites_and_basic_auth_is_sent(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("KIBANA_PASSWORD", "pw-kibana")
    with FakeKibana(username="analyst", password="pw-kibana") as kibana:
        config = write_config(
            tmp_path,
            {"url": kibana.url, "username": "analyst", "password": "${KIBANA_PASSWORD}"},
        )
        assert main(["kibana", "import", "-c", str(config)]) == 0
        assert main(["kibana", "import", "-c", str(config)]) == 0
    assert [r.path for r in kibana.requests] == ["/api/saved_objects/_import"] * 2
    token = base64.b64encode(b"analyst:pw-kibana").decode()
    assert kibana.requests[0].headers["authorization"] == f"Basic {token}"
    assert len(kibana.imports) == 2 and all(i["overwrite"] for i in kibana.imports)
    assert len(kibana.objects["default"]) == len(saved_objects())


def test_a_refused_login_is_reported_with_what_to_check(tmp_path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("KIBANA_API_KEY", "wrong")
    with FakeKibana(api_key="right") as kibana:
        config = write_config(tmp_path, {"url": kibana.url, "api_key": "${KIBANA_API_KEY}"})
        assert main(["kibana", "import", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert "HTTP 401" in err and "kibana.api_key" in err
    assert kibana.objects["default"] == {}


def test_missing_references_are_named_and_fail_the_command(tmp_path, monkeypatch, capsys) -> None:
    import yujing.notifier.kibana as kibana_module

    only_dashboard = [o for o in saved_objects("yujing") if o["type"] == "dashboard"]
    monkeypatch.setattr(kibana_module, "saved_objects", lambda prefix: only_dashboard)
    with FakeKibana() as kibana:
        config = write_config(tmp_path, {"url": kibana.url}, prefix="yujing")
        assert main(["kibana", "import", "-c", str(config)]) == 1
    err = capsys.readouterr().err
    assert "dashboard/yujing-overview 未导入（missing_references）" in err
    # Kibana checks the references to data views and saved searches only.
    assert "search/yujing-open-alerts" in err and "lens/" not in err


def test_a_space_id_kibana_would_not_take_is_refused_before_sending(tmp_path, capsys) -> None:
    with FakeKibana() as kibana:
        config = write_config(tmp_path, {"url": kibana.url})
        assert main(["kibana", "import", "-c", str(config), "--space", "PR Team"]) == 2
    assert kibana.requests == []
    assert "--space 'PR Team'" in capsys.readouterr().err


def test_without_a_kibana_section_the_command_says_what_to_add(tmp_path, capsys) -> None:
    path = tmp_path / "y.yaml"
    path.write_text(yaml.safe_dump({"alerts_file": None}), encoding="utf-8")
    assert main(["kibana", "import", "-c", str(path)]) == 2
    assert "kibana:" in capsys.readouterr().err


def test_the_stand_in_refuses_what_kibana_refuses() -> None:
    # What the import test relies on: the stand-in answers a request without the xsrf header,
    # or as JSON instead of a file, the way Kibana does.
    with FakeKibana() as kibana:
        url = f"{kibana.url}/api/saved_objects/_import?overwrite=true"
        with pytest.raises(HTTPError) as caught:
            urlopen(Request(url, data=b"x", method="POST", headers={"Content-Type": "text/plain"}))
        assert caught.value.code == 400
        assert json.loads(caught.value.read()) == {
            "statusCode": 400,
            "error": "Bad Request",
            "message": "Request must contain a kbn-xsrf header.",
        }
        headers = {"kbn-xsrf": "true", "Content-Type": "application/json"}
        with pytest.raises(HTTPError) as caught:
            urlopen(Request(url, data=b"{}", method="POST", headers=headers))
        assert caught.value.code == 415


# -- links to Discover


def test_discover_link_filters_the_posts_view_to_the_product_and_window() -> None:
    link = discover_url(
        "http://kibana.example.cn:5601/",
        "yj",
        product="anxin-e",
        category="claims",
        start="2024-05-01T06:00:00+00:00",
        end="2024-05-01T07:00:00+00:00",
        space="pr",
    )
    parts = urlsplit(link)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == (
        "http://kibana.example.cn:5601/s/pr/app/discover"
    )
    state = parse_qs(parts.fragment.removeprefix("/?"))
    g, a = unquote(state["_g"][0]), unquote(state["_a"][0])
    assert (
        g == "(filters:!(),time:(from:'2024-05-01T06:00:00+00:00',to:'2024-05-01T07:00:00+00:00'))"
    )
    assert "index:yj-posts" in a and "sort:!(!(published_at,desc))" in a
    assert 'query:(language:kuery,query:\'products:"anxin-e" and categories:"claims"\')' in a
    assert " " not in link and '"' not in link  # encoded, so chat apps keep the link whole


def test_rison_quotes_what_would_end_a_string() -> None:
    link = discover_url(
        "http://k:5601", "yj", product="it's!", start="2024-05-01T06:00:00+00:00", end="x"
    )
    a = unquote(parse_qs(urlsplit(link).fragment.removeprefix("/?"))["_a"][0])
    assert "query:'products:\"it!'s!!\"'" in a


def test_an_alert_gets_its_discover_link_as_an_annotation() -> None:
    from yujing.config import Kibana

    alert = make_event().alert
    linked = with_discover_link(alert, Kibana(url="http://kibana:5601"), "yujing")
    link = linked.annotations["discover_url"]
    assert link.startswith("http://kibana:5601/app/discover#/?_g=")
    assert "2024-05-01T06:00:00%2B00:00" in link and "yujing-posts" in link
    assert {k: v for k, v in linked.annotations.items() if k != "discover_url"} == alert.annotations
