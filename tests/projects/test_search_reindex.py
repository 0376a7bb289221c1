"""A full re-index reuses the stored jieba tokens of texts that did not change (keyed by text and analyser)."""
import pytest

from app.extensions import db
from app.projects import search
from app.projects.search import whoosh_backend
from app.projects.search.analysis import field_tokens
from app.projects.models import ProjectStatus


@pytest.fixture(autouse=True)
def whoosh(app_context, monkeypatch):
    monkeypatch.setenv("CLINBRIDGE_SEARCH", "whoosh")
    search.reindex()


@pytest.fixture
def segmented(monkeypatch):
    """The texts jieba segments for the index (the expensive part of a re-index)."""
    calls = []

    def counting(text):
        calls.append(text)
        return field_tokens(text)
    monkeypatch.setattr(whoosh_backend, "field_tokens", counting)
    return calls


def _stored():
    with search.backend().open().searcher() as searcher:
        return {fields["id"]: (fields["tokens"], fields["text"]) for fields in searcher.all_stored_fields()}


@pytest.fixture
def corpus(make_project):
    projects = [make_project(status=ProjectStatus.PUBLISHED, name=f"一次性使用负压引流器{i}型",
                             intended_use="用于腹部手术后切口的负压引流。", public_summary=f"第{i}种引流方案。")
                for i in range(6)]
    db.session.commit()
    search.reindex()
    return projects


def test_a_reindex_of_unchanged_projects_segments_nothing_and_stores_the_same(corpus, segmented):
    before = _stored()
    hits = search.rank(search.parse_query("负压引流"), {}, 10).hits
    assert search.reindex() == len(corpus)
    assert segmented == []
    assert _stored() == before
    assert search.rank(search.parse_query("负压引流"), {}, 10).hits == hits


def test_a_document_the_index_job_rewrote_is_reused(corpus, segmented):
    project = corpus[2]
    project.name = "电动痔疮套扎系统"
    db.session.commit()
    search.update_projects({project.id})     # the index_project job: segments the new text once
    del segmented[:]
    search.reindex()
    assert segmented == []
    fresh = whoosh_backend.whoosh_document(search.documents.document(project))
    assert _stored()[str(project.id)][0] == fresh["tokens"]
    assert search.rank(search.parse_query("痔疮套扎"), {}, 10).hits[0][0] == project.id


def test_only_a_changed_field_is_segmented_again(corpus, segmented):
    project = corpus[0]
    project.intended_use = "用于痔疮的冷冻治疗。"   # changed behind the index's back: no job ran
    db.session.commit()
    del segmented[:]
    search.reindex()
    assert segmented == ["用于痔疮的冷冻治疗。"]     # its other fields, and the other projects, reuse their tokens
    fresh = whoosh_backend.whoosh_document(search.documents.document(project))
    assert _stored()[str(project.id)][0] == fresh["tokens"]
    assert search.rank(search.parse_query("冷冻"), {}, 10).hits[0][0] == project.id


def test_another_analyser_version_segments_everything(corpus, segmented, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "analyser_version", lambda: "another-analysis")
    search.reindex()
    assert len(segmented) == len(corpus) * len(search.documents.WORD_FIELDS)


def test_the_analyser_version_follows_the_analysis_code_and_dictionary():
    version = whoosh_backend.analyser_version()
    assert version == whoosh_backend.analyser_version() and len(version) == 16
    assert whoosh_backend.field_key("负压引流") != whoosh_backend.field_key("负压引流器")


def test_the_forked_analysis_keeps_the_unchanged_fields_and_segments_the_rest(corpus, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "PARALLEL_FROM", 2)
    corpus[1].public_summary = "改为冷冻治疗方案。"
    corpus[4].name = "血糖连续监测贴"
    db.session.commit()
    search.reindex()
    stored = _stored()
    for project in corpus:
        fresh = whoosh_backend.whoosh_document(search.documents.document(project))
        assert stored[str(project.id)] == (fresh["tokens"], fresh["text"])
    assert search.rank(search.parse_query("血糖监测"), {}, 10).hits[0][0] == corpus[4].id
