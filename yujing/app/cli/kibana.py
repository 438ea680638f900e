"""``yujing kibana import``: load the shipped data views, saved searches and dashboard into
Kibana through its saved-objects API (``kibana:`` in the config says where and as whom)."""

from __future__ import annotations

import argparse
import re
import sys
from typing import Any

from .common import config_arg, load_or_exit

__all__ = ["register"]


def cmd_import(args: argparse.Namespace) -> int:
    path, config = load_or_exit(args.config)
    if config.kibana is None:
        print(
            f"error: {path}: 没有 kibana: 段；请加上 kibana: {{url: http://localhost:5601}}",
            file=sys.stderr,
        )
        return 2
    # The Kibana client loads only for this command, once the config says where Kibana is.
    from yujing.notifier.kibana import KibanaError, import_saved_objects, saved_objects

    es = config.elasticsearch
    prefix = es.index_prefix if es is not None else "yujing"
    space = args.space or config.kibana.space
    if space is not None and not re.fullmatch(r"[a-z0-9_-]+", space):
        print(
            f"error: --space {space!r}: 空间 id 只含小写字母、数字、- 和 _（见 Kibana 空间设置里的 URL 标识）",
            file=sys.stderr,
        )
        return 2
    objects = saved_objects(prefix)
    try:
        result = import_saved_objects(config.kibana, objects, space=space)
    except KibanaError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    where = f"{config.kibana.url}（空间 {space or 'default'}）"
    print(f"已导入 {result.success_count}/{len(objects)} 个对象到 Kibana {where}")
    for e in result.errors:
        kind = (e.get("error") or {}).get("type", "unknown")
        refs = ", ".join(
            f"{r.get('type')}/{r.get('id')}" for r in (e.get("error") or {}).get("references", [])
        )
        detail = f"：缺少 {refs}" if refs else ""
        print(f"error: {e.get('type')}/{e.get('id')} 未导入（{kind}）{detail}", file=sys.stderr)
    if result.success:
        dashboard = f"{prefix}-overview"
        base = config.kibana.url.rstrip("/") + (f"/s/{space}" if space else "")
        print(f"仪表板：{base}/app/dashboards#/view/{dashboard}")
    return 0 if result.success else 1


def register(sub: Any) -> None:
    p = sub.add_parser("kibana", help="Kibana: import the shipped dashboard and data views")
    actions = p.add_subparsers(dest="kibana_command", required=True, metavar="ACTION")
    i = actions.add_parser(
        "import", help="load data views, saved searches and the dashboard (overwrites them)"
    )
    config_arg(i)
    i.add_argument("--space", help="Kibana space id (default: kibana.space, else the default)")
    i.set_defaults(func=cmd_import)
