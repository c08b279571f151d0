"""kube.py's retry budget: the pause before each retry (jittered exponential, or the server's Retry-After) and
the Retry-After forms the API server and proxies send. Through a real server: tests/integration/test_faults.py."""

import datetime
import email.utils

from ansible_collections.mlops.gitops.plugins.module_utils import kube


def test_backoff_grows_with_jitter_and_is_capped():
    for attempt in range(8):
        step = min(kube.RETRY_MAX_DELAY, kube.RETRY_DELAY * 2 ** attempt)
        pauses = {kube.backoff(attempt) for _ in range(200)}
        assert all(step / 2 <= pause <= step for pause in pauses), (attempt, min(pauses), max(pauses))
        assert len(pauses) > 1  # jittered: replicas retrying together spread out
    assert kube.backoff(0, retry_after=3) == 3
    assert kube.backoff(0, retry_after=3600) == kube.RETRY_MAX_DELAY


def test_retry_after_in_seconds_or_as_a_date():
    assert kube._retry_after({"Retry-After": "2"}) == 2.0
    later = datetime.datetime.now(datetime.UTC) + datetime.timedelta(seconds=30)
    seconds = kube._retry_after({"Retry-After": email.utils.format_datetime(later, usegmt=True)})
    assert 25 <= seconds <= 30
    past = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    assert kube._retry_after({"Retry-After": email.utils.format_datetime(past, usegmt=True)}) == 0.0
    assert kube._retry_after({"Retry-After": "soon"}) is None
    assert kube._retry_after({}) is None and kube._retry_after(None) is None
