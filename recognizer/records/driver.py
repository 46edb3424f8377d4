"""Driver policies chosen for this site (settings.py wires them in; no Django here, so that
the settings module can import this without importing the app)."""

from __future__ import annotations

from cassandra.policies import RetryPolicy


class BoundedRetryPolicy(RetryPolicy):
    """Retry once, then let the writer fall back to the outbox.

    The driver's default retries a connection error on every host in the plan without a
    bound and never retries a write timeout; ours retries each kind of failure once (on the
    next host, where there is one) and only for idempotent statements, which every
    statement of the writer is. All retries fit inside the request timeout, which the
    driver counts from the first attempt.
    """

    max_retries = 1

    def on_read_timeout(
        self, query, consistency, required_responses, received_responses, data_retrieved, retry_num
    ):
        if retry_num >= self.max_retries:
            return self.RETHROW, None
        if received_responses >= required_responses and not data_retrieved:
            return self.RETRY, consistency
        return self.RETHROW, None

    def on_write_timeout(
        self, query, consistency, write_type, required_responses, received_responses, retry_num
    ):
        # The driver only asks about idempotent statements; a non-idempotent one is rethrown.
        if retry_num >= self.max_retries:
            return self.RETHROW, None
        return self.RETRY_NEXT_HOST, consistency

    def on_unavailable(self, query, consistency, required_replicas, alive_replicas, retry_num):
        if retry_num >= self.max_retries:
            return self.RETHROW, None
        return self.RETRY_NEXT_HOST, None

    def on_request_error(self, query, consistency, error, retry_num):
        if retry_num >= self.max_retries or not getattr(query, "is_idempotent", False):
            return self.RETHROW, None
        return self.RETRY_NEXT_HOST, None
