"""The state tables of the programme services (the operations that use them: articles.py, requests.py).

ARTICLE: a draft is published (at once, or scheduled by its publish_at: visibility is decided when reading,
so nothing has to run at the hour) and may be taken back to draft.
REQUEST: 草稿 → 已提交 → 受理 → 办理中 → 已办结, or 不予受理 / 退回补充 on the way; a returned request goes back to
已提交 when it had not been accepted yet (submitted_at keeps the first submission: time to accept counts the
wait for the supplement too), or straight back to 办理中 when it had (the station asked for more).
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.accounts.rules import is_staff
from app.core.states import Transition
from app.programme import rules
from app.programme.models import ArticleStatus as A
from app.programme.models import RequestStatus as R

ARTICLE = {
    "publish": Transition({A.DRAFT}, A.PUBLISHED, is_staff, audit="publish_article",
                          refusal=_l("只有服务站工作人员可以发布政策与指南")),
    "unpublish": Transition({A.PUBLISHED}, A.DRAFT, is_staff, audit="unpublish_article",
                            refusal=_l("只有服务站工作人员可以撤回发布")),
}

_APPLICANTS = _l("只有项目负责人、合作企业或服务站可以提交服务申请")
_HANDLERS = _l("只有服务站工作人员可以办理服务申请")

REQUEST = {
    "submit": Transition({R.DRAFT}, R.SUBMITTED, rules.is_applicant, audit="submit_request",
                         stamps=("submitted_at",), refusal=_APPLICANTS),
    "resubmit": Transition({R.RETURNED}, R.SUBMITTED, rules.not_yet_accepted, audit="resubmit_request",
                           refusal=_APPLICANTS),
    "supplement": Transition({R.RETURNED}, R.IN_PROGRESS, rules.accepted_before, audit="supplement_request",
                             refusal=_APPLICANTS),
    "accept": Transition({R.SUBMITTED}, R.ACCEPTED, rules.is_handler, audit="accept_request",
                         stamps=("accepted_at",), refusal=_HANDLERS),
    "start": Transition({R.ACCEPTED}, R.IN_PROGRESS, rules.is_handler, audit="start_request", refusal=_HANDLERS),
    "return": Transition({R.SUBMITTED, R.ACCEPTED, R.IN_PROGRESS}, R.RETURNED, rules.is_handler,
                         audit="return_request", refusal=_HANDLERS, reason=_l("请写明需要补充的材料或信息")),
    "refuse": Transition({R.SUBMITTED, R.ACCEPTED, R.IN_PROGRESS}, R.REFUSED, rules.is_handler,
                         audit="refuse_request", stamps=("closed_at",), refusal=_HANDLERS,
                         reason=_l("请写明不予受理的理由")),
    "close": Transition({R.ACCEPTED, R.IN_PROGRESS}, R.CLOSED, rules.is_handler, audit="close_request",
                        stamps=("closed_at",), refusal=_HANDLERS),
}
