"""The official client, made from the config."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from yujing.config import Elasticsearch as ElasticsearchConfig

__all__ = ["make_client"]


def make_client(cfg: ElasticsearchConfig) -> Elasticsearch:
    kwargs: dict[str, Any] = {
        "request_timeout": cfg.request_timeout,
        "verify_certs": cfg.verify_certs,
        "retry_on_timeout": True,
    }
    if cfg.api_key:
        kwargs["api_key"] = cfg.api_key
    elif cfg.username:
        kwargs["basic_auth"] = (cfg.username, cfg.password or "")
    if cfg.ca_certs is not None:
        kwargs["ca_certs"] = str(cfg.ca_certs)
    return Elasticsearch(list(cfg.hosts), **kwargs)
