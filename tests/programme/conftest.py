"""Fixtures of the programme tests: a fresh article index per test, files, a request factory."""
from __future__ import annotations

import io

import pytest
from werkzeug.datastructures import FileStorage

from app.programme import search

PDF = b"%PDF-1.4\n% test\n"


@pytest.fixture(autouse=True)
def fresh_article_index():
    search.reindex()
    yield


@pytest.fixture
def pdf():
    def make(name="材料.pdf"):
        return FileStorage(io.BytesIO(PDF), filename=name)
    return make
