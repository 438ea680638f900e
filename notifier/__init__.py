"""Alert delivery: routing (route), messages (format), receivers, the durable outbox (dispatch)
and Elasticsearch indexing of posts and alerts (elastic)."""
