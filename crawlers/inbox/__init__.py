"""The call-centre transcript inbox: export files dropped in a folder become posts.

``folder`` watches the folder and moves each file to ``done/`` or ``quarantine/`` (with its
reason); ``ingestion`` checks a file whole, then hands its posts to the sink in batches;
``formats`` reads JSONL (and, through ``csvfile`` and ``txtfile``, CSV and TXT) exports into validated records, line by line,
through ``encoding`` (bytes to text, GBK included, within ``TextLimits``), ``fields`` (each
field's checks) and ``calls`` (one row per utterance joined into calls); ``records`` is the
record and its error, which names file, line and field; ``files`` opens only regular files;
``posts`` turns a record into a post, as the HTTP push does too.
"""

from __future__ import annotations

from .calls import CallLayout
from .encoding import TextLimits, read_lines
from .files import NotAFile, open_regular
from .folder import TranscriptInbox, ingest_files
from .formats import iter_jsonl_text, parse_transcripts
from .ingestion import BATCH, InboxResult, InboxSinkError
from .posts import layout_of, limits_of, to_post
from .records import Transcript, TranscriptError, content_id

__all__ = [
    "BATCH",
    "CallLayout",
    "InboxResult",
    "InboxSinkError",
    "NotAFile",
    "TextLimits",
    "Transcript",
    "TranscriptError",
    "TranscriptInbox",
    "content_id",
    "ingest_files",
    "iter_jsonl_text",
    "layout_of",
    "limits_of",
    "open_regular",
    "parse_transcripts",
    "read_lines",
    "to_post",
]
