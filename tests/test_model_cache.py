"""core.model_cache: one object per unchanged file and device, reloaded when the file changes."""

import os
import threading

import pytest

from core import model_cache
from core.errors import InputError


@pytest.fixture(autouse=True)
def _empty_cache():
    model_cache.clear()
    yield
    model_cache.clear()


def _loader(calls):
    def load():
        calls.append(1)
        return object()
    return load


def test_same_file_same_object_and_one_load(tmp_path):
    f = tmp_path / "m.pt"
    f.write_bytes(b"x")
    calls = []
    a = model_cache.cached_model("rock", f, "cpu", _loader(calls))
    b = model_cache.cached_model("rock", f, "cpu", _loader(calls))
    assert a is b and len(calls) == 1


def test_changed_file_or_side_file_or_device_loads_again(tmp_path):
    f, side = tmp_path / "m.pt", tmp_path / "classes.pt"
    f.write_bytes(b"x")
    calls = []
    a = model_cache.cached_model("texture", f, "cpu", _loader(calls), side_files=[side])
    side.write_bytes(b"c")  # a side file appearing changes the key
    b = model_cache.cached_model("texture", f, "cpu", _loader(calls), side_files=[side])
    st = f.stat()
    os.utime(f, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    c = model_cache.cached_model("texture", f, "cpu", _loader(calls), side_files=[side])
    d = model_cache.cached_model("texture", f, "cuda:0", _loader(calls), side_files=[side])
    assert len({id(a), id(b), id(c), id(d)}) == 4 and len(calls) == 4
    # stale versions of the same file on the same device were dropped: only c (cpu) and d (cuda) remain
    assert model_cache.cached_count() == 2


def test_least_recently_used_goes_first(tmp_path):
    files = []
    for i in range(model_cache.MAX_MODELS + 1):
        files.append(tmp_path / f"m{i}.pt")
        files[-1].write_bytes(b"x")
    calls = []
    first = model_cache.cached_model("video", files[0], "cpu", _loader(calls))
    for f in files[1:-1]:
        model_cache.cached_model("video", f, "cpu", _loader(calls))
    model_cache.cached_model("video", files[0], "cpu", _loader(calls))   # touch: now most recent
    model_cache.cached_model("video", files[-1], "cpu", _loader(calls))  # evicts files[1]
    assert model_cache.cached_count() == model_cache.MAX_MODELS
    assert model_cache.cached_model("video", files[0], "cpu", _loader(calls)) is first
    n = len(calls)
    model_cache.cached_model("video", files[1], "cpu", _loader(calls))
    assert len(calls) == n + 1


def test_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="does not exist"):
        model_cache.cached_model("rock", tmp_path / "nope.pt", "cpu", lambda: object())


def test_concurrent_loads_share_one_object(tmp_path):
    f = tmp_path / "m.pt"
    f.write_bytes(b"x")
    gate = threading.Barrier(4)
    out = []

    def load():
        return object()

    def worker():
        gate.wait()
        out.append(model_cache.cached_model("cleanup", f, "cpu", load))

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len({id(o) for o in out}) == 1
