"""Property-based tests (hypothesis) of every validator in forms/validators.py and the fields that take dates and
万元 amounts: what they accept is well-formed, what is well-formed they accept, and nothing typed makes them raise
anything but a validation error (which the form shows next to the field)."""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from wtforms import Form
from wtforms.validators import StopValidation, ValidationError

from app.core.templating import BEIJING
from forms.fields import MAX_WAN, WanField
from forms.validators import (LANDLINE, MOBILE, USCC, USCC_ALPHABET, EmailAddress, MainlandPhone, RequiredToSubmit,
                              StrongPassword, is_mainland_phone, is_valid_uscc, normalise_phone, uscc_check_character)

# Modest counts: the whole file runs in a few seconds.
FEW = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
FEWER = settings(FEW, max_examples=25)  # each example builds a form in a request

# Anything a person (or a script) might type: any text, with the characters forms often see.
typed = st.one_of(st.text(max_size=40),
                  st.text(alphabet="0123456789+-() 　，,.ABCDEFGHJKLMNPQRTUWXYabcxyz@IOSVZ\t\x00\x0b", max_size=30))


class _Field:
    """The part of a WTForms field a validator reads and writes."""

    def __init__(self, data):
        self.data = data
        self.errors = []


class _NoFields:
    """A form with no account fields (the password validator reads the form's e-mail, name…)."""
    _fields: dict = {}


def outcome(validator, data, form=None):
    """"ok" with the field's data after the validator, or "invalid"; any other exception fails the test."""
    field = _Field(data)
    try:
        validator(form, field)
    except (ValidationError, StopValidation):
        return "invalid", field.data
    return "ok", field.data


# --- 统一社会信用代码 (GB 32100-2015) ------------------------------------------------------------------------------

first17 = st.text(alphabet=USCC_ALPHABET, min_size=17, max_size=17)


def with_check(body: str) -> str:
    return body + uscc_check_character(body)


@FEW
@given(first17)
def test_a_code_with_its_check_character_is_valid(body):
    code = with_check(body)
    assert is_valid_uscc(code) and is_valid_uscc(code.lower()) and is_valid_uscc(f"  {code} ")
    assert outcome(USCC(), code.lower()) == ("ok", code)  # normalised to upper case


@FEW
@given(first17, st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_changing_any_one_character_is_caught(body, position, replacement):
    code = with_check(body)
    assume(code[position] != replacement)
    mutated = code[:position] + replacement + code[position + 1:]
    assert not is_valid_uscc(mutated)
    assert outcome(USCC(), mutated)[0] == "invalid"


@FEW
@given(first17, st.integers(0, 15))
def test_swapping_two_neighbours_is_caught(body, position):
    code = with_check(body)
    assume(code[position] != code[position + 1])
    swapped = code[:position] + code[position + 1] + code[position] + code[position + 2:]
    assert not is_valid_uscc(swapped)


@FEW
@given(first17, st.sampled_from("IOSVZ"), st.integers(0, 17))
def test_letters_outside_the_alphabet_are_refused(body, letter, position):
    code = with_check(body)
    assert outcome(USCC(), code[:position] + letter + code[position + 1:])[0] == "invalid"


@FEW
@given(typed)
@example("")
@example("9" * 18)
def test_anything_typed_as_a_code_is_accepted_only_when_valid(text):
    result, data = outcome(USCC(), text)
    assert result == ("ok" if is_valid_uscc(text) else "invalid")
    if result == "ok":
        assert len(data) == 18 and all(c in USCC_ALPHABET for c in data)


@FEW
@given(st.text(max_size=20))
def test_check_character_of_anything_is_none_or_in_the_alphabet(text):
    check = uscc_check_character(text)
    assert check is None or check in USCC_ALPHABET


# --- mainland phone numbers -----------------------------------------------------------------------------------

mobiles = st.from_regex(r"\A1[3-9][0-9]{9}\Z")
landlines = st.from_regex(r"\A0[1-9][0-9]{1,2}-?[0-9]{7,8}(-[0-9]{1,6})?\Z")  # area codes: 0 then 1–9 (00 is the international prefix)
prefixes = st.sampled_from(["", "+86", "0086", "+86 ", "(+86)"])


@FEW
@given(prefixes, mobiles, st.booleans())
def test_mobiles_with_prefixes_and_spaces_are_accepted_and_normalised(prefix, number, spaced):
    typed_number = f"{number[:3]} {number[3:7]} {number[7:]}" if spaced else number
    text = prefix + typed_number
    if prefix == "(+86)":
        text = "+86" + typed_number  # the prefix is stripped before the brackets matter
    assert is_mainland_phone(text)
    assert outcome(MainlandPhone(), text) == ("ok", number)


@FEW
@given(landlines)
def test_landlines_with_area_codes_are_accepted(number):
    assert is_mainland_phone(number) and outcome(MainlandPhone(), number) == ("ok", number)


@FEW
@given(mobiles, st.sampled_from(["0", "2", "1", "12", "10"]))
def test_mobiles_of_the_wrong_shape_are_refused(number, start):
    wrong = start + number[len(start):]
    assume(not MOBILE.match(wrong) and not LANDLINE.match(wrong))
    assert not is_mainland_phone(wrong) and outcome(MainlandPhone(), wrong)[0] == "invalid"
    assert not is_mainland_phone(number + "0")  # 12 digits


@FEW
@given(typed)
def test_anything_typed_as_a_phone_is_accepted_only_in_a_mainland_shape(text):
    result, data = outcome(MainlandPhone(), text)
    if not text:
        assert result == "ok" and data == text  # empty passes: pair with a required check
    elif result == "ok":
        assert MOBILE.match(data) or LANDLINE.match(data)
        assert data == normalise_phone(text)
    else:
        assert not is_mainland_phone(text)


# --- e-mail ---------------------------------------------------------------------------------------------------

# a hyphen pair in the 3rd and 4th places is reserved for IDNA labels (xn--…): not an ordinary address
label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?\Z").filter(lambda s: s[2:4] != "--")
local_part = st.lists(st.from_regex(r"\A[A-Za-z0-9_+-]{1,10}\Z"), min_size=1, max_size=3).map(".".join)
emails = st.builds(lambda local, labels, tld: f"{local}@{'.'.join(labels)}.{tld}", local_part,
                   st.lists(label, min_size=1, max_size=3), st.sampled_from(["com", "cn", "org", "net", "test"]))


@FEW
@given(emails)
def test_ordinary_addresses_are_accepted_in_lower_case(address):
    assume(not any(part.startswith("xn--") for part in address.split("@")[1].split(".")))
    assert outcome(EmailAddress(), address) == ("ok", address.lower())
    assert outcome(EmailAddress(), f" {address.upper()} ") == ("ok", address.lower())


@FEW
@given(typed)
@example("a@b")
@example("a b@example.com")
@example("@example.com")
@example("a@@example.com")
def test_anything_typed_as_an_address_is_a_valid_address_or_refused(text):
    result, data = outcome(EmailAddress(), text)
    if not text:
        assert result == "ok"
    elif result == "ok":
        assert data == data.lower() and data.count("@") == 1
        local, domain = data.split("@")
        assert local and "." in domain and not re.search(r"\s", data)
    elif text.strip().count("@") != 1:
        assert result == "invalid"


# --- passwords and draft-aware required -----------------------------------------------------------------------

@FEW
@given(st.text(max_size=40))
def test_an_accepted_password_is_long_enough(text):
    result, _data = outcome(StrongPassword(), text, form=_NoFields())
    if result == "ok":
        assert len(text) >= 10


@FEW
@given(st.text(max_size=9))
def test_short_passwords_are_refused(text):
    assert outcome(StrongPassword(), text, form=_NoFields())[0] == "invalid"


class _Draft:
    def __init__(self, for_submit):
        self.for_submit = for_submit


@FEW
@given(st.one_of(st.none(), st.just(False), st.just([]), st.text(alphabet=" \t\n　", max_size=5)), st.booleans())
def test_required_to_submit_stops_on_empty_and_speaks_only_on_submit(value, for_submit):
    field = _Field(value)
    with pytest.raises(StopValidation) as stopped:
        RequiredToSubmit()(_Draft(for_submit), field)
    assert bool(str(stopped.value)) is for_submit and field.errors == []


@FEW
@given(st.one_of(st.text(min_size=1).filter(str.strip), st.just(True), st.lists(st.text(), min_size=1)),
       st.booleans())
def test_required_to_submit_lets_values_through(value, for_submit):
    assert outcome(RequiredToSubmit(), value, _Draft(for_submit))[0] == "ok"


# --- 万元 amounts ----------------------------------------------------------------------------------------------

class AmountForm(Form):
    amount = WanField("金额")


def amount_outcome(text):
    form = AmountForm(MultiDict({"amount": text}))
    return form.validate(), form.amount.data


amounts = st.decimals(min_value=0, max_value=MAX_WAN, places=2, allow_nan=False, allow_infinity=False)


@FEW
@given(amounts, st.booleans())
def test_amounts_up_to_two_decimals_are_accepted_with_or_without_separators(value, separated):
    text = f"{value:,.2f}" if separated else f"{value:.2f}"
    ok, data = amount_outcome(text)
    assert ok and data == value


@FEW
@given(st.decimals(min_value=Decimal("-1e9"), max_value=Decimal("-0.01"), places=2))
def test_negative_amounts_are_refused(value):
    assert amount_outcome(str(value))[0] is False


@FEW
@given(st.decimals(min_value=0, max_value=1000, places=3), st.integers(1, 9))
def test_three_decimals_are_refused(value, last):
    text = f"{value:.2f}{last}"
    assert amount_outcome(text)[0] is False


@FEW
@given(typed)
@example("NaN")
@example("Infinity")
@example("1e400")
@example("-0")
def test_anything_typed_as_an_amount_is_a_sane_amount_or_refused(text):
    ok, data = amount_outcome(text)
    if ok and data is not None:
        assert data.is_finite() and Decimal(0) <= data <= MAX_WAN and data.as_tuple().exponent >= -2


# --- dates ----------------------------------------------------------------------------------------------------

@pytest.fixture
def profile_form(app):
    from forms.accounts import ProfileForm

    def make(text):
        with app.test_request_context(method="POST"):
            form = ProfileForm(formdata=MultiDict({"registered_on": text}), meta={"csrf": False})
            form.validate()  # other fields may complain; only this one is under test
            return "registered_on" not in form.errors, form.registered_on.data
    return make


@FEWER
@given(st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)))
def test_a_registration_date_is_accepted_unless_it_is_after_today(profile_form, day):
    valid, data = profile_form(day.isoformat())
    today = datetime.now(BEIJING).date()
    assert valid is (day <= today)
    assert data == day


@FEWER
@given(typed)
@example("2023-02-30")
@example("9999-99-99")
@example("2023-13-01")
def test_anything_typed_as_a_date_is_a_date_or_refused(profile_form, text):
    valid, data = profile_form(text)
    if valid and data is not None:
        assert isinstance(data, date) and data <= datetime.now(BEIJING).date()
