from unittest import mock

from gridgov.caching import ProcessCache


def test_a_process_cache_loads_once_per_ttl_and_again_after_forget():
    loads = []
    cache = ProcessCache(lambda: loads.append(1) or len(loads), ttl_seconds=60)
    with mock.patch("gridgov.caching.monotonic", return_value=1000.0):
        assert cache.get() == 1 and cache.get() == 1
    with mock.patch("gridgov.caching.monotonic", return_value=1059.0):
        assert cache.get() == 1  # still within the TTL
    with mock.patch("gridgov.caching.monotonic", return_value=1061.0):
        assert cache.get() == 2  # expired: loaded again
        cache.forget(sender=None)  # as a signal receiver
        assert cache.get() == 3
    assert len(loads) == 3
