"""Policy and guidance (宣贯): writing, publishing, attachments, reading, searching, event registration."""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from app.accounts.models import User
from app.accounts.rules import is_staff
from app.core import audit, jobs
from app.core.errors import PermissionDenied, TransitionError, ValidationError, require
from app.core.files import save_file
from app.core.models import utcnow
from app.core.states import move
from app.extensions import db
from app.programme import search
from app.programme.jobs import index_article
from app.programme.models import (Article, ArticleAttachment, ArticleCategory, ArticleStatus, EventRegistration,
                                  Validity)
from app.programme.operations import ARTICLE

# What an editor may set (the status only moves through ARTICLE).
EDITABLE = ("category", "title", "summary", "body", "issuing_body", "document_number", "issued_on", "source_url",
            "validity", "tags", "owner_unit", "owner_contact", "publish_at", "event_starts_at", "event_place",
            "registration_open", "capacity")


def _clean(data: dict) -> dict:
    values = {name: data[name] for name in EDITABLE if name in data}
    if "title" in values:
        values["title"] = (values["title"] or "").strip()
        if not values["title"]:
            raise ValidationError(_("请填写标题"), field="title")
    if "category" in values:
        values["category"] = ArticleCategory.coerce(values["category"])
    if "validity" in values:
        values["validity"] = Validity.coerce(values["validity"]) or Validity.IN_FORCE
    if "tags" in values:
        tags = values["tags"] or ""
        if isinstance(tags, str):
            tags = tags.replace("，", ",").replace("、", ",").split(",")
        values["tags"] = [t.strip() for t in tags if t and t.strip()][:12]
    category = values.get("category")
    if category is ArticleCategory.EVENT and not values.get("event_starts_at"):
        raise ValidationError(_("活动须填写举办时间"), field="event_starts_at")
    if values.get("capacity") is not None and values["capacity"] < 1:
        raise ValidationError(_("名额须为正整数"), field="capacity")
    return values


def create_article(staff: User, data: dict) -> Article:
    """A new draft article."""
    require(is_staff(staff), _("只有服务站工作人员可以撰写政策与指南"))
    article = Article(created_by_id=staff.id, status=ArticleStatus.DRAFT, **_clean(data))
    db.session.add(article)
    db.session.flush()
    audit.record("create_article", actor=staff, subject=article, to_state=article.status.value,
                 comment=article.title)
    return article


def update_article(article: Article, staff: User, data: dict) -> None:
    """Change an article (draft or published); every change is audited with the fields it touched."""
    require(is_staff(staff), _("只有服务站工作人员可以修改政策与指南"))
    values = _clean(dict({"category": article.category}, **data))
    changed = [name for name, value in values.items() if getattr(article, name) != value]
    for name in changed:
        setattr(article, name, values[name])
    article.updated_at = utcnow()
    audit.record("update_article", actor=staff, subject=article, from_state=article.status.value,
                 to_state=article.status.value, comment=", ".join(changed))
    if article.status is ArticleStatus.PUBLISHED:
        jobs.after_commit(index_article, article.id)


def publish_article(article: Article, staff: User, publish_at: datetime | None = None) -> None:
    """Publish at publish_at, else at the time the article was scheduled for, else now (hidden until then)."""
    if publish_at is not None:
        article.publish_at = publish_at
    elif article.publish_at is None:
        article.publish_at = utcnow()
    when = article.publish_at.isoformat(timespec="minutes")
    move(article, ARTICLE, "publish", staff, comment=f"{article.title} @ {when}")
    jobs.after_commit(index_article, article.id)


def unpublish_article(article: Article, staff: User, reason: str = "") -> None:
    """Take a published article back to draft (it leaves the public pages and the index)."""
    move(article, ARTICLE, "unpublish", staff, comment=reason)
    jobs.after_commit(index_article, article.id)


def add_attachment(article: Article, staff: User, upload) -> ArticleAttachment:
    """Attach a PDF or Word file to an article."""
    require(is_staff(staff), _("只有服务站工作人员可以上传附件"))
    if not (upload.filename or "").lower().endswith((".pdf", ".doc", ".docx")):  # checked before anything is stored
        raise ValidationError(_("政策附件只接受 PDF 或 Word 文件"), field="file")
    stored, original, content_type, size = save_file(upload, f"articles/{article.id}")
    attachment = ArticleAttachment(article=article, original_name=original, stored_name=stored,
                                   content_type=content_type, size=size, uploaded_by_id=staff.id)
    db.session.add(attachment)
    db.session.flush()
    audit.record("article_attachment", actor=staff, subject=article, comment=original)
    return attachment


def remove_attachment(attachment: ArticleAttachment, staff: User) -> None:
    require(is_staff(staff), _("只有服务站工作人员可以删除附件"))
    audit.record("article_attachment_removed", actor=staff, subject=attachment.article,
                 comment=attachment.original_name)
    db.session.delete(attachment)


def visible_clause(now: datetime):
    """SQL for the articles the public sees now: published, publication time reached."""
    return db.and_(Article.status == ArticleStatus.PUBLISHED,
                   db.or_(Article.publish_at.is_(None), Article.publish_at <= now))


def _newest_first():
    return (db.func.coalesce(Article.publish_at, Article.created_at).desc(), Article.id.desc())


def public_articles(category: ArticleCategory | None = None, query: str = "", now: datetime | None = None,
                    validity: Validity | None = None) -> list[Article]:
    """What the 政策与指南 pages list: visible articles, newest first, or the best matches of a search."""
    now = now or utcnow()
    statement = db.select(Article).where(visible_clause(now))
    if category is not None:
        statement = statement.where(Article.category == category)
    if validity is not None:
        statement = statement.where(Article.validity == validity)
    if not query.strip():
        return db.session.scalars(statement.order_by(*_newest_first())).all()
    hits = search.search_ids(query)
    rows = {a.id: a for a in db.session.scalars(statement.where(Article.id.in_([i for i, _s in hits])))}
    return [rows[i] for i, s in hits if i in rows and search.stamp(rows[i]) == s]


def staff_articles() -> list[Article]:
    return db.session.scalars(db.select(Article).order_by(Article.updated_at.desc(), Article.id.desc())).all()


def handbook(now: datetime | None = None) -> list[Article]:
    """The policy handbook: each policy in force with its issuing body, owner unit and contact."""
    now = now or utcnow()
    return db.session.scalars(
        db.select(Article).where(visible_clause(now), Article.category == ArticleCategory.POLICY)
        .order_by(Article.validity, Article.issued_on.desc(), Article.id.desc())).all()


def can_read(article: Article, user, now: datetime | None = None) -> bool:
    """The public reads visible articles; staff read drafts and scheduled ones too."""
    return article.is_visible(now or utcnow()) or is_staff(user)


def registration_of(article: Article, user) -> EventRegistration | None:
    if not (user and user.is_authenticated):
        return None
    return db.session.scalar(db.select(EventRegistration).where(EventRegistration.article_id == article.id,
                                                                EventRegistration.user_id == user.id))


def seats_taken(article: Article) -> int:
    return db.session.scalar(db.select(db.func.coalesce(db.func.sum(EventRegistration.attendees), 0))
                             .where(EventRegistration.article_id == article.id)) or 0


def registration_closed_reason(article: Article, now: datetime | None = None) -> str:
    """Why one cannot register now ("" when one can)."""
    now = now or utcnow()
    if not article.is_event or not article.registration_open:
        return _("该活动不接受报名")
    if not article.is_visible(now):
        return _("活动尚未发布")
    if article.event_starts_at is not None and article.event_starts_at <= now:
        return _("活动已开始或已结束，报名已截止")
    if article.capacity is not None and seats_taken(article) >= article.capacity:
        return _("报名人数已满")
    return ""


def register_for_event(article: Article, user: User, attendee_name: str, phone: str, unit: str = "",
                       attendees: int = 1, note: str = "") -> EventRegistration:
    """A signed-in user registers for a 宣贯 event (once)."""
    if not (user and user.is_authenticated):
        raise PermissionDenied(_("请先登录再报名"))
    reason = registration_closed_reason(article)
    if reason:
        raise TransitionError(reason)
    if registration_of(article, user) is not None:
        raise ValidationError(_("您已报名该活动"))
    if attendees < 1 or attendees > 10:
        raise ValidationError(_("参会人数须在 1–10 人之间"), field="attendees")
    if article.capacity is not None and seats_taken(article) + attendees > article.capacity:
        raise ValidationError(_("剩余名额不足"), field="attendees")
    registration = EventRegistration(article=article, user_id=user.id, attendee_name=attendee_name.strip(),
                                     phone=phone.strip(), unit=(unit or "").strip(), attendees=attendees,
                                     note=(note or "").strip())
    db.session.add(registration)
    db.session.flush()
    audit.record("event_registration", actor=user, subject=article, comment=f"{attendee_name} ×{attendees}")
    return registration
