"""Events inside a product's complaints (事件聚类): which stories a wave is made of."""

from .cluster import JOIN, QUIET_DAYS, Event, EventClusters, FirstPost
from .labels import label_words
from .tuning import LabelledPost, read_events

__all__ = [
    "JOIN",
    "QUIET_DAYS",
    "Event",
    "EventClusters",
    "FirstPost",
    "LabelledPost",
    "label_words",
    "read_events",
]
