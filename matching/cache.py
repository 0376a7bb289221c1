"""Disk cache of the fitted knowledge base, so that a new process loads it (~1-2 s) instead of fitting it (~8 s).

The cache file is named by a hash of everything the fitted object depends on: the source of
matching/knowledge.py and matching/text.py, the current values of their upper-case module
constants, the shipped data files and the versions of Python and the libraries whose objects
are pickled. Any change gives a new name, so a stale object is
never loaded; when a new one is written, only the two newest files of other fingerprints are kept.

The folder: set_cache_dir(path) (the web app uses its instance folder), else the environment
variable CLINBRIDGE_MATCHING_CACHE, else the user's cache folder (XDG_CACHE_HOME or ~/.cache)
/clinbridge/matching, else a per-user folder in the temp directory. CLINBRIDGE_MATCHING_CACHE=off
disables the cache. Writers write a temporary file in the same folder and os.replace it, so two
processes writing at once leave one complete file and a reader never sees a partial one. Only
files in a folder owned by this user and not writable by others are loaded (pickles run code).
"""
from __future__ import annotations

import hashlib
import mmap
import os
from importlib import import_module, metadata
import stat
import sys
import tempfile
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

PACKAGE_DIR = Path(__file__).resolve().parent
SOURCES = (PACKAGE_DIR / "knowledge.py", PACKAGE_DIR / "text.py")
DATA_DIR = PACKAGE_DIR / "data" / "nmpa"
# Libraries whose version changes a fitted object (import name: distribution name). Versions are read from
# the installed metadata: importing scikit-learn to ask would cost a web worker ~100 MB.
LIBRARIES = {"numpy": "numpy", "scipy": "scipy", "sklearn": "scikit-learn", "jieba": "jieba", "joblib": "joblib"}
CONSTANT_MODULES = ("matching.knowledge", "matching.text")
DISABLED = {"off", "0", "no", "false", "none"}
KEEP_OTHERS = 2  # files of other fingerprints kept next to the newest one

_lock = threading.Lock()
_cache_dir: Path | None = None


def set_cache_dir(path: str | os.PathLike | None) -> None:
    """Use this folder for cached fitted objects (None: back to the default)."""
    global _cache_dir
    with _lock:
        _cache_dir = Path(path) if path is not None else None


def cache_dir() -> Path | None:
    """The folder in use, or None when caching is off."""
    if _cache_dir is not None:
        return _cache_dir
    configured = os.environ.get("CLINBRIDGE_MATCHING_CACHE", "").strip()
    if configured.lower() in DISABLED:
        return None
    if configured:
        return Path(configured)
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            home = Path.home()
            base = str(home / ".cache") if home != Path("/") else ""
        except RuntimeError:  # no home directory
            base = ""
    if base:
        return Path(base) / "clinbridge" / "matching"
    return Path(tempfile.gettempdir()) / f"clinbridge-matching-{_uid()}"


def fingerprint(name: str) -> str:
    """Hash of the sources, data files and library versions a fitted `name` depends on."""
    digest = hashlib.sha256(name.encode())
    for path in list(SOURCES) + sorted(p for p in DATA_DIR.rglob("*") if p.is_file()):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    # Module constants too: a script may set e.g. knowledge.LINEAR_C before the first fit. Imported here (numpy and
    # scipy.sparse, no scikit-learn), so that a process that has not loaded them gets the same fingerprint.
    for module_name in CONSTANT_MODULES:
        module = import_module(module_name)
        for key in sorted(k for k in vars(module) if k.isupper()):
            digest.update(f"{module_name}.{key}={_stable_repr(getattr(module, key))}".encode())
    versions = [sys.version.split()[0]]
    for library, distribution in LIBRARIES.items():
        versions.append(f"{library}={_version(library, distribution)}")
    digest.update(";".join(versions).encode())
    return digest.hexdigest()[:24]


def _version(library: str, distribution: str) -> str:
    module = sys.modules.get(library)
    if module is not None and getattr(module, "__version__", None):
        return module.__version__
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return getattr(__import__(library), "__version__", "?")


def _stable_repr(value) -> str:
    """repr that is the same in every process (sets sorted, no object addresses)."""
    if isinstance(value, (set, frozenset)):
        return repr(sorted(map(_stable_repr, value)))
    if isinstance(value, dict):
        return repr([(_stable_repr(k), _stable_repr(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        return repr([_stable_repr(v) for v in value])
    text = repr(value)
    return type(value).__name__ if " at 0x" in text else text


def cached(name: str, fit: Callable[[], T]) -> T:
    """The object fitted by fit(), loaded from the cache folder when a file of the same fingerprint exists.

    The file is a joblib pickle whose arrays are memory-mapped read-only when loaded: the workers of
    one machine share one copy of the weights in the page cache, and a process reads only the pages
    it uses. A freshly fitted object is written, then loaded back the same way, so that the process
    that fitted it does not keep a private copy either.
    """
    folder = cache_dir()
    if folder is None:
        return fit()
    try:
        path = folder / f"{name}-{fingerprint(name)}.joblib"
    except OSError:
        return fit()
    value = _load(path)
    if value is not None:
        return value
    value = fit()
    if _store(path, value, name):
        loaded = _load(path)
        if loaded is not None:
            return loaded
    return value


def is_saved(name: str) -> bool:
    """Whether a saved `name` of the current fingerprint can be loaded (so cached() would not fit it)."""
    folder = cache_dir()
    try:
        return folder is not None and _trusted(folder) and (folder / f"{name}-{fingerprint(name)}.joblib").is_file()
    except OSError:
        return False


_mappings: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def release_pages(value) -> None:
    """Unmap the pages of a loaded object's memory-mapped arrays from this process (they stay in the page cache).

    A text's scores read the weights of its own features, scattered over the matrices; each page they fault
    in stays mapped, and the kernel maps its neighbours too, so a web worker that answered a few 参考分类
    would keep ~70 MB of the file in its resident set. Dropped after each use, the next use maps them again
    from the page cache (~1-2 ms): the worker's memory is its own again, and the weights one shared copy.
    Only read-only mappings are released (a copy-on-write one would lose its writes).
    """
    if not hasattr(mmap, "MADV_DONTNEED"):
        return
    try:
        mappings = _mappings.get(value)
        if mappings is None:
            mappings = _mappings[value] = _read_only_mappings(value)
    except TypeError:  # not weakly referable: found again on every call
        mappings = _read_only_mappings(value)
    for mapping in mappings:
        if not mapping.closed:
            mapping.madvise(mmap.MADV_DONTNEED)


def _read_only_mappings(value) -> list:
    """The distinct read-only mmaps under value's arrays (attributes, dict values, list and tuple items)."""
    import numpy as np

    found, seen, stack = {}, set(), [value]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, (str, bytes, int, float, bool, type(None))):
            continue
        seen.add(id(item))
        if isinstance(item, np.memmap):
            mapping = getattr(item, "_mmap", None)
            if mapping is not None and item.mode == "r":
                found[id(mapping)] = mapping
        elif isinstance(item, np.ndarray):
            if isinstance(item.base, np.ndarray):
                stack.append(item.base)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)
        elif hasattr(item, "__dict__"):
            stack.extend(vars(item).values())
    return list(found.values())


def _load(path: Path):
    try:
        if not _trusted(path.parent) or not path.is_file():
            return None
        import joblib
        return joblib.load(path, mmap_mode="r")
    except Exception:  # noqa: BLE001 - unreadable, truncated or from other code: refit
        return None


def _store(path: Path, value, name: str) -> bool:
    """Write the value (uncompressed, so that its arrays can be memory-mapped); whether it was written."""
    try:
        import joblib
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(path.parent):
            return False
        handle, temporary = tempfile.mkstemp(prefix=f".{name}-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(handle, "wb") as stream:
                joblib.dump(value, stream)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        # Keep a few fingerprints (two checkouts may share the folder), drop older ones (and old pickles).
        others = sorted((p for p in path.parent.glob(f"{name}-*.*")
                         if p != path and p.suffix in (".joblib", ".pickle")),
                        key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in others[KEEP_OTHERS:]:
            stale.unlink(missing_ok=True)
        return True
    except Exception:  # noqa: BLE001 - a cache that cannot be written only costs time
        return False


def _trusted(folder: Path) -> bool:
    """Whether pickles in the folder can only have been written by this user."""
    try:
        info = folder.stat()
    except OSError:
        return False
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        return False
    return not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def _uid() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "user"
