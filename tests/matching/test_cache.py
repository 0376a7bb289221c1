"""Disk cache of the fitted knowledge base: keyed by code and data, safe to share, never trusted blindly."""
from __future__ import annotations

import multiprocessing
import os
import pickle

import joblib
import numpy as np
import pytest

from matching import cache


@pytest.fixture
def folder(tmp_path, monkeypatch):
    target = tmp_path / "cache"
    monkeypatch.setattr(cache, "_cache_dir", target)
    return target


def _counting_fit(calls: list):
    def fit():
        calls.append(1)
        return {"weights": np.arange(10, dtype=np.float32), "calls": len(calls)}
    return fit


def test_second_call_loads_instead_of_fitting(folder):
    calls = []
    first = cache.cached("thing", _counting_fit(calls))
    second = cache.cached("thing", _counting_fit(calls))
    assert len(calls) == 1
    assert np.array_equal(first["weights"], second["weights"]) and second["calls"] == 1
    assert [p.name for p in folder.iterdir()] == [f"thing-{cache.fingerprint('thing')}.joblib"]
    assert not folder.stat().st_mode & 0o077


def test_loaded_arrays_are_memory_mapped_read_only(folder):
    """Workers share the weights through the page cache instead of each holding a copy."""
    cache.cached("thing", _counting_fit([]))
    loaded = cache.cached("thing", _counting_fit([]))
    assert isinstance(loaded["weights"], np.memmap) and not loaded["weights"].flags.writeable
    fitted_here = cache.cached("other", _counting_fit([]))  # the fitting process maps its own file too
    assert isinstance(fitted_here["weights"], np.memmap)


def test_a_pickle_of_an_older_version_is_pruned(folder):
    folder.mkdir(mode=0o700)
    for i in range(4):
        (folder / f"thing-old{i}.pickle").write_bytes(b"x")
        os.utime(folder / f"thing-old{i}.pickle", (1000 + i, 1000 + i))
    cache.cached("thing", _counting_fit([]))
    assert len(list(folder.iterdir())) == 1 + cache.KEEP_OTHERS


def test_fingerprint_follows_sources_and_data(tmp_path, monkeypatch):
    source = tmp_path / "knowledge.py"
    source.write_text("A = 1\n")
    monkeypatch.setattr(cache, "SOURCES", (source,))
    before = cache.fingerprint("knowledge")
    source.write_text("A = 2\n")
    assert cache.fingerprint("knowledge") != before
    data = tmp_path / "data"
    data.mkdir()
    (data / "x.json").write_text("{}")
    monkeypatch.setattr(cache, "DATA_DIR", data)
    with_data = cache.fingerprint("knowledge")
    (data / "x.json").write_text("{\"a\": 1}")
    assert cache.fingerprint("knowledge") != with_data


def test_corrupt_or_untrusted_files_are_refitted(folder):
    calls = []
    cache.cached("thing", _counting_fit(calls))
    path = folder / f"thing-{cache.fingerprint('thing')}.joblib"
    path.write_bytes(b"not a pickle")
    assert cache.cached("thing", _counting_fit(calls))["calls"] == 2
    folder.chmod(0o777)  # anyone could have planted the file: do not unpickle it
    try:
        assert cache.cached("thing", _counting_fit(calls))["calls"] == 3
    finally:
        folder.chmod(0o700)


def test_old_fingerprints_are_pruned(folder):
    folder.mkdir(mode=0o700)
    for i in range(5):
        (folder / f"thing-old{i}.joblib").write_bytes(b"x")
        os.utime(folder / f"thing-old{i}.joblib", (1000 + i, 1000 + i))
    cache.cached("thing", _counting_fit([]))
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(["thing-old3.joblib", "thing-old4.joblib", f"thing-{cache.fingerprint('thing')}.joblib"])


def test_off_switch(monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "_cache_dir", None)
    monkeypatch.setenv("CLINBRIDGE_MATCHING_CACHE", "off")
    assert cache.cache_dir() is None
    calls = []
    cache.cached("thing", _counting_fit(calls))
    cache.cached("thing", _counting_fit(calls))
    assert len(calls) == 2
    monkeypatch.setenv("CLINBRIDGE_MATCHING_CACHE", str(tmp_path / "elsewhere"))
    assert cache.cache_dir() == tmp_path / "elsewhere"


def _write_big(path: str, seed: int) -> None:
    cache._store(cache.Path(path), {"seed": seed, "data": np.full(2_000_000, seed, dtype=np.float64)}, "big")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")
def test_two_writers_at_once_leave_one_complete_file(folder):
    folder.mkdir(mode=0o700)
    path = folder / "big-same.joblib"
    context = multiprocessing.get_context("fork")
    writers = [context.Process(target=_write_big, args=(str(path), seed)) for seed in (1, 2)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
        assert writer.exitcode == 0
    value = joblib.load(path)
    assert value["seed"] in (1, 2) and np.all(value["data"] == value["seed"])
    assert [p.name for p in folder.iterdir()] == ["big-same.joblib"]  # no temporary files left


def test_a_reloaded_knowledge_base_guesses_the_same(knowledge):
    reloaded = pickle.loads(pickle.dumps(knowledge, protocol=pickle.HIGHEST_PROTOCOL))
    names = ["一次性使用痔疮套扎器", "新型冠状病毒抗原检测试剂盒", "连续血糖监测系统", "医用外科口罩"]
    descriptions = ["由套扎组件和负压管组成。", "胶体金免疫层析法。", "由传感器、发射器组成。", ""]
    for got, expected in zip(reloaded.guess(names, descriptions), knowledge.guess(names, descriptions)):
        assert np.array_equal(got.category, expected.category)
        assert np.array_equal(got.device_class, expected.device_class)
        assert got.neighbours == expected.neighbours


def test_fingerprint_follows_module_constants(monkeypatch):
    import matching.knowledge as knowledge_module

    before = cache.fingerprint("knowledge")
    assert cache.fingerprint("knowledge") == before
    monkeypatch.setattr(knowledge_module, "LINEAR_C", knowledge_module.LINEAR_C * 2)
    assert cache.fingerprint("knowledge") != before


def test_fingerprint_is_the_same_in_another_process():
    """Whatever the process has imported: the job consumer's refresh child asks before it loads the engine, and
    a fingerprint without the knowledge module's constants made every refresh there a full recompute."""
    import subprocess
    import sys

    import matching.knowledge  # noqa: F401 — this process has the engine loaded
    lean = "import matching.cache as c; print(c.fingerprint('knowledge'))"
    loaded = "import matching.knowledge, matching.cache as c; print(c.fingerprint('knowledge'))"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout.strip()
            for seed in ("1", "2") for code in (lean, loaded)}
    assert runs == {cache.fingerprint("knowledge")}
