import gc

import pytest

from core.runtime.collector import BULK_THRESHOLDS, bulk_allocations


def test_a_bulk_job_raises_the_collector_thresholds_until_the_last_overlapping_one_ends():
    before = gc.get_threshold()
    with bulk_allocations():
        assert gc.get_threshold() == BULK_THRESHOLDS
        with bulk_allocations():  # a second sync on another thread
            pass
        assert gc.get_threshold() == BULK_THRESHOLDS  # the first is still running
    assert gc.get_threshold() == before


def test_a_failed_bulk_job_gives_the_thresholds_back():
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), bulk_allocations():
        raise RuntimeError("upstream down")
    assert gc.get_threshold() == before
