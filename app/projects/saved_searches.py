"""Saved library searches (保存的搜索): save, list, delete, and tell owners about newly published matches."""
from __future__ import annotations

import re

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.core.errors import ServiceError, require
from app.core.links import path_for
from app.core.models import Notification
from app.core.notifications import notice, tell
from app.extensions import db
from app.projects import search
from app.projects.library import FACETS, LibraryFilters, result_count
from app.projects.models import ENUM_FIELDS, Project, SavedSearch

MAX_PER_USER = 20
HIT_KIND = "saved_search_hit"
notice(HIT_KIND, _l("新项目符合您保存的搜索：%(project)s"),
       _l("您保存的搜索%(names)s有新入库项目「%(project)s」（%(city)s %(department)s）。"), group="matching")


def save_search(user: User, name: str, query: str, filters) -> SavedSearch:
    """Keep the user's current library words and filters under a name."""
    require(user.is_authenticated and user.is_verified, _("认证通过后才能保存搜索"))
    if len(searches_of(user)) >= MAX_PER_USER:
        raise ServiceError(_("最多可保存 %(n)d 个搜索，请先删除不再需要的", n=MAX_PER_USER))
    query = search.normalise_query(query)
    values = LibraryFilters.from_args(filters or {}).values
    name = " ".join((name or "").split())[:100] or default_name(query, LibraryFilters(values))
    saved = SavedSearch(user_id=user.id, name=name, query=query, filters=values)
    db.session.add(saved)
    db.session.flush()
    return saved


def default_name(query: str, filters: LibraryFilters) -> str:
    """A name from the words, else from the filters' labels."""
    if query:
        return query[:100]
    labels = "、".join(str(label) for _name, label in filters.labels())
    return (labels or _("全部入选项目"))[:100]


def searches_of(user: User) -> list[SavedSearch]:
    return db.session.scalars(db.select(SavedSearch).where(SavedSearch.user_id == user.id)
                              .order_by(SavedSearch.id.desc())).all()


def own_search(user: User, saved_search_id: int) -> SavedSearch | None:
    """The user's saved search, or None (someone else's is as good as missing)."""
    saved = db.session.get(SavedSearch, saved_search_id)
    return saved if saved is not None and saved.user_id == user.id else None


def delete_search(user: User, saved: SavedSearch) -> None:
    require(saved.user_id == user.id, _("只能删除自己保存的搜索"))
    db.session.delete(saved)


def filters_of(saved: SavedSearch) -> LibraryFilters:
    """The saved filters, re-checked (values stored by an older version may no longer be valid)."""
    return LibraryFilters.from_args({k: v for k, v in (saved.filters or {}).items() if k in FACETS})


def library_args(saved: SavedSearch) -> dict[str, str]:
    """Query-string arguments that run the saved search on the library page."""
    args = dict(filters_of(saved).values)
    if saved.query:
        args["q"] = saved.query
    return args


def with_counts(user: User) -> list[tuple[SavedSearch, int]]:
    """The user's saved searches with how many listed projects each finds now."""
    return [(saved, result_count(filters_of(saved), saved.query)) for saved in searches_of(user)]


def project_link(project: Project) -> str:
    return path_for("library.detail", project_id=project.id)


# What the library's search reads of a project (app/projects/search.py): its public text fields, and the
# labels of its public options as words (Ⅱ written 二, as the regulator does and the index does).
TEXT_FIELDS = ("name", "intended_use", "public_summary", "clinical_prospects", "stage_other", "department", "city")
_ROMAN_CLASSES = str.maketrans({"Ⅰ": "一", "Ⅱ": "二", "Ⅲ": "三"})
_HAN_WORD = re.compile(r"[\u4e00-\u9fff]{2,}")


class ProjectText:
    """A project's public text analysed once, to test saved queries against it directly (no index per project).

    A query matches, as the library's every-word search would, when each of its words is one of the
    project's words, or (a Chinese word) its characters stand in a row in one run of the text, as
    the character-pair field finds them; a "quoted" phrase only by its characters in a row.
    """

    def __init__(self, project: Project):
        with force_locale("zh"):
            labels = " ".join(str(getattr(project, name).label) for name in ENUM_FIELDS if getattr(project, name))
        texts = [str(getattr(project, name) or "") for name in TEXT_FIELDS] + [labels.translate(_ROMAN_CLASSES)]
        self.text = "\n".join(texts)
        self._words: set[str] | None = None
        self._folded: str | None = None

    @property
    def words(self) -> set[str]:
        if self._words is None:  # segmented only when a saved query with words gets this far
            self._words = {token.text for text in self.text.split("\n") for token in search.analyzer()(text)}
        return self._words

    def matches(self, query) -> bool:
        """Every word of the query is in the project's public text (an empty query matches)."""
        return self.matches_terms(query_terms(query))

    def matches_terms(self, terms) -> bool:
        """matches() with the query already parsed (query_terms): a batch parses each saved query once."""
        return terms is None or (bool(terms) and all(self._has(term) for term in terms))

    def _has(self, term) -> bool:
        original = term.original
        if _HAN_WORD.fullmatch(original):
            # A word of Chinese characters is one of the text's words only where its characters stand
            # in the text, and there its character pairs match anyway: no segmentation needed.
            return original in self.text
        if term.exact:
            return False
        # A word of the text is a piece of its normalised, lower-cased lines: where the term is no such piece
        # it is no word either, and the text need not be segmented (most projects, for most latin terms).
        if self._folded is None:
            self._folded = "\n".join(search.normalise_text(line).lower() for line in self.text.split("\n"))
        return term.text in self._folded and term.text in self.words


def query_terms(query):
    """A saved query's terms as ProjectText.matches_terms takes them; None for an empty query (matches all)."""
    text = search.normalise_query(query)
    return search.parse_query(text) if text else None


def notify_matches(project: Project) -> int:
    """A project was just published: tell owners of matching saved searches, once per user and project.

    Runs in the caller's transaction (notifications vanish with a rollback). The owner is never told
    about their own project, and only verified, active users hear about it.
    """
    return notify_matches_many([project])


def notify_matches_many(projects) -> int:
    """notify_matches for many just-published projects in one pass (a bulk import): the saved searches, the
    notices already sent and the users are read once for the batch; each project's text is probed once."""
    projects = [project for project in projects if project.is_listed()]
    if not projects:
        return 0
    searches = db.session.scalars(db.select(SavedSearch).order_by(SavedSearch.id)).all()
    if not searches:
        return 0
    filters = [(saved, filters_of(saved), query_terms(saved.query)) for saved in searches]
    links = {project.id: project_link(project) for project in projects}
    told: set[tuple[int, str]] = set()
    link_list = sorted(set(links.values()))
    for start in range(0, len(link_list), 500):
        told.update((user_id, link) for user_id, link in db.session.execute(
            db.select(Notification.user_id, Notification.link).where(
                Notification.kind == HIT_KIND, Notification.link.in_(link_list[start:start + 500]))))
    matches: list[tuple[Project, dict[int, list[SavedSearch]]]] = []
    for project in projects:
        link = links[project.id]
        matched: dict[int, list[SavedSearch]] = {}
        try:
            probe = ProjectText(project)
            for saved, saved_filters, terms in filters:
                if (saved.user_id == project.owner_id or (saved.user_id, link) in told
                        or not saved_filters.matches(project)):
                    continue
                if probe.matches_terms(terms):
                    matched.setdefault(saved.user_id, []).append(saved)
        except Exception:  # noqa: BLE001 — a search failure must not block the approval itself
            current_app.logger.exception("matching saved searches failed for project %s", project.id)
            continue
        if matched:
            matches.append((project, matched))
    if not matches:
        return 0
    user_ids = sorted({user_id for _project, matched in matches for user_id in matched})
    users = {user.id: user for user in db.session.scalars(db.select(User).where(User.id.in_(user_ids)))}
    count = 0
    for project, matched in matches:
        for user_id in sorted(matched):
            user = users.get(user_id)
            if user is None or not user.active or not user.is_verified:
                continue
            names = "、".join(f"“{s.name}”" for s in matched[user_id])
            tell(user, HIT_KIND, links[project.id], names=names, project=project.display_name, city=project.city,
                 department=project.department)
            count += 1
    return count
