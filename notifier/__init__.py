"""Alert delivery, as Alertmanager's notification pipeline: ``stages`` (route, group, inhibit,
silence, dedup, outbox), ``dispatch`` (the ``Notifier``: runs the stages, delivers the outbox with
retries), ``receivers`` (one module per receiver), ``format`` (the messages), ``elastic`` (posts
and alerts in Elasticsearch) and ``journal`` (the JSON-lines file of every alert event)."""
