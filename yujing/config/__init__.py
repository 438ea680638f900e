"""The configuration: YAML files validated by pydantic models, split by domain.

Unknown keys are errors, so a typo never passes silently. Every error names the file, the line
and the field, and says what was expected. ``include:`` pulls top-level sections from other files.

``sources``, ``detection``, ``notify`` and ``services`` hold the models; ``loader`` reads the
files. This package is a seam: it imports no stage and no part of the application.
"""

from .base import Duration, HttpUrl, Secret, Strict, Term, Wait, http_url, parse_duration
from .detection import BurstOverride, BurstRule, Categories, Category, Detection, Product
from .grouping import ROOT_OPTS, RouteOpts, route_opts, walk_opts
from .loader import ConfigError, format_validation, load_config
from .model import Config
from .notify import (
    DingTalkReceiver,
    ElasticsearchReceiver,
    EmailReceiver,
    FeishuReceiver,
    FileReceiver,
    InhibitRule,
    LogReceiver,
    Notify,
    Receiver,
    Route,
    SlackReceiver,
    WebhookReceiver,
    WeComReceiver,
)
from .services import (
    PUBLIC_SALTS,
    Elasticsearch,
    Http,
    Kibana,
    Logging,
    Privacy,
    Storage,
    listen_address,
)
from .sources import (
    TRANSCRIPT_FIELDS,
    ApiFields,
    ApiPaging,
    ApiSource,
    DetailSelectors,
    FeedSource,
    ForumSource,
    HttpSourceBase,
    ListSelectors,
    Source,
    SourceBase,
    SourceHealth,
    TranscriptLimits,
    TranscriptRoles,
    TranscriptSource,
    selector_problems,
)

__all__ = [
    "ApiFields",
    "ApiPaging",
    "ApiSource",
    "BurstOverride",
    "BurstRule",
    "Categories",
    "Category",
    "Config",
    "ConfigError",
    "DetailSelectors",
    "Detection",
    "DingTalkReceiver",
    "Duration",
    "Elasticsearch",
    "ElasticsearchReceiver",
    "EmailReceiver",
    "FeishuReceiver",
    "FeedSource",
    "FileReceiver",
    "ForumSource",
    "HttpSourceBase",
    "Http",
    "HttpUrl",
    "InhibitRule",
    "Kibana",
    "ListSelectors",
    "LogReceiver",
    "Logging",
    "Notify",
    "PUBLIC_SALTS",
    "Privacy",
    "Product",
    "Receiver",
    "Route",
    "RouteOpts",
    "ROOT_OPTS",
    "Secret",
    "SlackReceiver",
    "Source",
    "SourceBase",
    "SourceHealth",
    "Storage",
    "Strict",
    "Term",
    "Wait",
    "TRANSCRIPT_FIELDS",
    "TranscriptLimits",
    "TranscriptRoles",
    "TranscriptSource",
    "WeComReceiver",
    "WebhookReceiver",
    "format_validation",
    "http_url",
    "listen_address",
    "load_config",
    "parse_duration",
    "route_opts",
    "selector_problems",
    "walk_opts",
]
