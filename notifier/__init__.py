"""Alert delivery, as Alertmanager's dispatcher and notification pipeline: ``stages`` (route,
group on the way in; inhibit, silence, dedup, outbox when a group is flushed), ``dispatch`` (the
``Notifier``: submits events into groups, flushes groups whose timers ran out, delivers the
outbox with retries), ``notification`` (what a receiver is sent: a group's alerts or a handling
action), ``handling`` (telling receivers who handles an alert), ``receivers`` (one module per
receiver), ``format`` and ``messages`` (the messages), ``elastic`` (posts and alerts in
Elasticsearch) and ``journal`` (JSON-lines files)."""
