"""TaskState progress ranges and cancellation, device choice, seeding."""

import threading

import numpy as np
import pytest

from core.errors import Cancelled, InputError
from core.jobs import CancelToken, TaskState, available_devices, new_seed, seed_everything, select_device


def test_sub_states_map_progress_into_their_range():
    seen = []
    state = TaskState(lambda f, m: seen.append((round(f, 6), m)))
    state.sub(0.5, 1.0).sub(0.0, 0.5).report(1.0, "half of the second half")
    state.sub(0.0, 0.5).report(0.5, "a")
    state.report(2.0, "clamped")
    assert seen == [(0.75, "half of the second half"), (0.25, "a"), (1.0, "clamped")]


def test_cancel_token_stops_a_job_from_another_thread():
    token = CancelToken()
    state = TaskState(cancelled=token.is_set)
    steps = []

    def job():
        for i in range(10_000):
            state.report(i / 10_000)
            steps.append(i)
            if i == 5:
                threading.Thread(target=token.cancel).start()
                threading.Event().wait(0.05)

    with pytest.raises(Cancelled):
        job()
    assert 5 < len(steps) < 10_000


def test_devices_and_selection():
    devs = available_devices()
    assert devs[-1] == "cpu"
    assert select_device("cpu").type == "cpu"
    assert select_device("auto").type == devs[0]
    if "cuda" not in devs:
        with pytest.raises(InputError, match="not available"):
            select_device("cuda")


def test_seeding_is_reproducible():
    import torch

    a = seed_everything(123).random(3), torch.rand(3)
    b = seed_everything(123).random(3), torch.rand(3)
    np.testing.assert_array_equal(a[0], b[0])
    assert torch.equal(a[1], b[1])
    s = new_seed()
    assert 0 <= s < 2**31
