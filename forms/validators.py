"""Validators for the platform's forms: mainland phones, 统一社会信用代码, passwords, draft-aware required."""
from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from wtforms.validators import StopValidation, ValidationError

MOBILE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(-\d{1,6})?$")
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def normalise_phone(value: str) -> str:
    """Strip spaces and a +86 prefix so 138 0013 8000 and +86 13800138000 compare equal."""
    value = re.sub(r"[\s()（）]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("0086"):
        value = value[4:]
    return value


def is_mainland_phone(value: str) -> bool:
    """A mainland mobile (1[3-9] + 9 digits) or landline with area code (0591-87654321)."""
    value = normalise_phone(value)
    return bool(MOBILE.match(value) or LANDLINE.match(value))


def uscc_check_character(first17: str) -> str | None:
    """The GB 32100-2015 check character for the first 17 characters, or None if they are invalid."""
    if len(first17) != 17 or any(c not in USCC_ALPHABET for c in first17):
        return None
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for an 18-character 统一社会信用代码 whose last character checks out."""
    code = (code or "").strip().upper()
    return len(code) == 18 and uscc_check_character(code[:17]) == code[17]


class MainlandPhone:
    """A mainland China phone number; empty passes (pair with a required validator)."""

    def __init__(self, message=None):
        self.message = message or _l("请输入有效的手机号（11位）或带区号的固话，如 0591-87654321")

    def __call__(self, form, field):
        if field.data and not is_mainland_phone(field.data):
            raise ValidationError(self.message)
        if field.data:
            field.data = normalise_phone(field.data)


class USCC:
    """统一社会信用代码, 18 characters with the GB 32100-2015 check character."""

    def __call__(self, form, field):
        code = (field.data or "").strip().upper()
        if len(code) != 18:
            raise ValidationError(_l("统一社会信用代码应为18位"))
        if any(c not in USCC_ALPHABET for c in code):
            raise ValidationError(_l("统一社会信用代码含有不允许的字符（不含 I、O、S、V、Z）"))
        if not is_valid_uscc(code):
            raise ValidationError(_l("统一社会信用代码校验位不正确，请核对"))
        field.data = code


# The platform's own words, which anyone would guess first.
PLATFORM_WORDS = ("clinbridge", "chunyu", "fujian", "demo", "admin", "staff", "password")
# Fields of the form (or attributes it is given) that say who the account is: a password made of them is refused.
ACCOUNT_FIELDS = ("email", "name", "phone", "institution", "department", "organisation_name", "uscc")
MIN_PASSWORD_LENGTH = 10
MIN_PASSWORD_SCORE = 3  # zxcvbn: 3 "safely unguessable" (about 10^8 guesses), 4 "very unguessable"


def password_problem(value: str, account_words=()) -> str | None:
    """Why a password is refused (too short, common, or made of the account's own details), or None."""
    from zxcvbn import zxcvbn
    if len(value) < MIN_PASSWORD_LENGTH:
        return str(_l("密码至少10位"))
    words = [w for w in account_words if w]
    for word in list(words):  # the parts of an e-mail address and of names count on their own
        words.extend(part for part in re.split(r"[@.\-_\s]+", word) if len(part) >= 3)
    words += [w.split("@")[0] for w in words if "@" in w]
    if _mostly_account_words(value, words):
        return str(_l("密码不能主要由邮箱、姓名、电话或单位名称组成"))
    result = zxcvbn(value[:100], user_inputs=[*words, *PLATFORM_WORDS])
    if result["score"] < MIN_PASSWORD_SCORE:
        return str(_l("密码太常见或太容易猜到（如 password1、姓名加生日），请换一个更长、不常见的组合，例如三四个无关的词"))
    return None


def _mostly_account_words(value: str, words) -> bool:
    """Take the account's words out of the password's letters (and its digits, the phone's): little remains."""
    def letters(text):
        return re.sub(r"[^a-z]", "", text.lower())

    rest = letters(value)
    digits = re.sub(r"\D", "", value)
    for word in sorted({letters(w) for w in words if len(letters(w)) >= 3}, key=len, reverse=True):
        rest = rest.replace(word, "")
    phone_digits = {re.sub(r"\D", "", w) for w in words if len(re.sub(r"\D", "", w)) >= 6}
    took_letters = len(rest) < len(letters(value))
    took_digits = any(p in digits or digits in p for p in phone_digits if digits)
    return (took_letters and len(rest) < 4) or (took_digits and len(rest) < 4)


class StrongPassword:
    """At least 10 characters, not common and not made of the account's own details (zxcvbn score ≥ 3).

    The account's details are the form's own fields (e-mail, name…), the signed-in user's, and any the view
    hands over in `form.account_words` (a reset form knows whose password it sets).
    """

    def __call__(self, form, field):
        from flask_login import current_user
        words = [str(form._fields[name].data or "") for name in ACCOUNT_FIELDS if name in form._fields]
        words += list(getattr(form, "account_words", ()))
        if current_user and getattr(current_user, "is_authenticated", False):
            words += [current_user.email, current_user.name, current_user.phone or ""]
        problem = password_problem(field.data or "", words)
        if problem:
            raise ValidationError(problem)


class RequiredToSubmit:
    """Required when the form is being submitted for review; a draft may leave it empty.

    The form sets `for_submit` before validating. Empty values stop the chain either way, so
    format checks only run on what was actually typed.
    """

    field_flags = {"required_to_submit": True}

    def __init__(self, message=None):
        self.message = message or _l("提交前请填写此项")

    def __call__(self, form, field):
        data = field.data
        empty = data is None or data is False or data == [] or (isinstance(data, str) and not data.strip())
        if empty:
            field.errors[:] = []
            if getattr(form, "for_submit", False):
                raise StopValidation(self.message)
            raise StopValidation()


class EmailAddress:
    """A syntactically valid e-mail address (the demo's *.test addresses included); normalised to lower case."""

    def __init__(self, message=None):
        self.message = message or _l("请输入有效的电子邮箱")

    def __call__(self, form, field):
        from email_validator import EmailNotValidError, validate_email
        if not field.data:
            return
        try:
            # test_environment admits reserved names such as demo.test; no DNS look-ups on an intranet.
            result = validate_email(field.data.strip(), check_deliverability=False, test_environment=True)
        except EmailNotValidError:
            raise ValidationError(self.message)
        field.data = result.normalized.lower()
