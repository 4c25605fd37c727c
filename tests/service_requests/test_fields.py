"""Each field type refuses what it cannot use, in words that name the field."""

from datetime import date

import pytest

from supportdesk.service_requests.definitions import (
    DefinitionError,
    clean_values,
    parse_field,
    parse_fields,
    parse_targets,
)
from tests.service_requests.conftest import (
    HTML,
    NEW_USER_FIELDS,
    PDF,
    PORTING_FIELDS,
    png_bytes,
    porting_values,
    upload,
)

TODAY = date(2026, 3, 9)
PORTING = parse_fields(PORTING_FIELDS)
NEW_USER = parse_fields(NEW_USER_FIELDS)


def problems(definitions, values, files=None):
    return clean_values(definitions, values, files or {}, today=TODAY)[1]


def porting_problems(files=None, **changes):
    files = {"bill": upload("bill.pdf", PDF)} if files is None else files
    return problems(PORTING, porting_values(**changes), files)


def test_a_valid_porting_request_has_no_problem_and_numbers_in_e164():
    cleaned, found = clean_values(
        PORTING, porting_values(), {"bill": upload("bill.png", png_bytes())}, today=TODAY
    )

    assert found == {}
    assert cleaned.values["numbers"] == ["+351210000100", "+351210000101"]
    assert cleaned.files["bill"][1] == "image/png"


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"numbers": []}, "numbers", "Numbers: this field is required"),
        ({"numbers": ["+351 21 000"]}, "numbers", "Numbers: +351 21 000 is not a valid phone"),
        ({"numbers": ["+48221234567"]}, "numbers", "Numbers: +48221234567 is not a number of "
         "the location's country (PT)"),
        ({"numbers": "nope"}, "numbers", "Numbers: nope is not a valid phone number"),
        ({"emergency_address": {"street": "Rua Augusta 1", "city": "", "country": "PT"}},
         "emergency_address", "Emergency address: give the city"),
        ({"emergency_address": {"street": "R", "city": "Lisboa", "country": "XX"}},
         "emergency_address", "Emergency address: XX is not a country code"),
        ({"emergency_address": "Rua Augusta"}, "emergency_address",
         "Emergency address: expected an address with street, postcode, city, country"),
        ({"loa": {"name": "Olívia", "consent": False}}, "loa",
         "Letter of agency: tick the box to agree"),
        ({"loa": {"name": " ", "consent": True}}, "loa",
         "Letter of agency: type your full name"),
        ({"loa": None}, "loa", "Letter of agency: this field is required"),
        ({"surprise": "x"}, "surprise", "surprise: this form has no such field"),
    ],
)  # fmt: skip
def test_each_bad_value_is_refused_naming_its_field(changes, key, message):
    found = porting_problems(**changes)

    assert key in found
    assert found[key].startswith(message)


def test_numbers_of_the_location_may_be_written_the_national_way():
    cleaned, found = clean_values(
        PORTING,
        porting_values(numbers="21 000 0100\n21 000 0100"),
        {"bill": upload("bill.pdf", PDF)},
        today=TODAY,
    )

    assert found == {}
    assert cleaned.values["numbers"] == ["+351210000100"]  # once


@pytest.mark.parametrize(
    ("name", "content"),
    [("bill.pdf", png_bytes()), ("bill.pdf", HTML), ("bill.png", b"GIF89a" + b"\0" * 20)],
)
def test_a_file_is_judged_by_its_bytes_not_its_name(name, content):
    pdf_only = parse_fields([{**PORTING_FIELDS[1], "types": ["application/pdf"]}])

    found = problems(pdf_only, {}, {"bill": upload(name, content, "application/pdf")})

    assert found["bill"].startswith(f"Last month's bill: {name} is not PDF")
    assert "its content was checked" in found["bill"]


def test_html_or_svg_named_as_a_picture_is_refused():
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'

    for content in (HTML, svg):
        found = porting_problems(files={"bill": upload("bill.png", content, "image/png")})
        assert found["bill"] == (
            "Last month's bill: bill.png is not PDF or PNG (its content was checked, not its name)"
        )


def test_a_file_over_the_limit_is_refused_with_the_limit():
    big = png_bytes() + b"\0" * (1024 * 1024)

    found = porting_problems(files={"bill": upload("bill.png", big, "image/png")})

    assert found["bill"] == "Last month's bill: bill.png is larger than 1.0\xa0MB"


def test_a_file_sent_as_a_value_and_the_desks_own_limit(settings):
    found = porting_problems(files={}, bill="bill.pdf")
    assert found["bill"] == "Last month's bill: send the file as a part of the form"

    settings.ATTACHMENT_MAX_BYTES = 100  # below the field's own 1 MB
    found = porting_problems(files={"bill": upload("bill.png", png_bytes() + b"\0" * 100)})
    assert found["bill"] == "Last month's bill: bill.png is larger than 100\xa0bytes"


def test_a_file_for_a_field_that_takes_none_is_refused():
    found = porting_problems(
        files={"bill": upload("bill.pdf", PDF), "numbers": upload("n.pdf", PDF)}
    )

    assert found["numbers"] == "numbers: this field does not take a file"


@pytest.mark.parametrize(
    ("values", "key", "message"),
    [
        ({"full_name": "x" * 21}, "full_name", "Full name: at most 20 characters"),
        ({"full_name": "Ana\x00"}, "full_name", "Full name: remove the control characters"),
        ({"extension": "12a"}, "extension", "Extension: 12a is not a number"),
        ({"extension": 99}, "extension", "Extension: must be at least 100"),
        ({"extension": "10000"}, "extension", "Extension: must be at most 9999"),
        ({"extension": True}, "extension", "Extension: expected a number"),
        ({"licence": "sms"}, "licence", "Licence: choose one of Calling, meetings"),
        ({"start": "14/03/2026"}, "start", "Starting on: expected a date like 2026-03-14"),
        ({"start": "2026-03-08"}, "start", "Starting on: the date must not be in the past"),
    ],
)
def test_text_number_choice_and_date_fields(values, key, message):
    valid = {"full_name": "Ana", "extension": "101", "licence": "calling", "start": "2026-03-09"}

    found = problems(NEW_USER, {**valid, **values})

    assert found == {key: message}


def test_valid_text_number_choice_and_date_are_stored_plainly():
    cleaned, found = clean_values(
        NEW_USER,
        {"full_name": " Ana ", "extension": "101", "licence": "meetings", "start": "2026-03-20"},
        {},
        today=TODAY,
    )

    assert found == {}
    assert cleaned.values == {
        "full_name": "Ana",
        "extension": 101,
        "licence": "meetings",
        "start": "2026-03-20",
    }


@pytest.mark.parametrize(
    ("definition", "message", "at"),
    [
        ({"key": "bill", "type": "file", "types": ["text/html"]},
         "text/html is not a type the desk can recognise", ("types", 0)),
        ({"key": "bill", "type": "file", "types": ["image/svg+xml"]},
         "image/svg+xml is not a type the desk can recognise", ("types", 0)),
        ({"key": "n", "type": "number", "min": 5, "max": 1}, "min is more than max", ("max",)),
        ({"key": "c", "type": "choice"}, "a choice field needs a list of choices", ("choices",)),
        ({"key": "t", "type": "text", "types": ["application/pdf"]},
         'a text field has no option "types"', ("types",)),
        ({"key": "Bad Key", "type": "text"}, "a field's key is lower-case", ("key",)),
        ({"key": "x", "type": "video"}, "the type is one of", ("type",)),
    ],
)  # fmt: skip
def test_a_definition_that_cannot_be_used_says_where(definition, message, at):
    with pytest.raises(DefinitionError) as error:
        parse_field(definition)

    assert error.value.message.startswith(message)
    assert error.value.at == at


def test_targets_are_ranges_of_business_days():
    assert parse_targets({"completion": {"business_days": 10}, "confirmation": [5, 7]}) == {
        "confirmation": (5, 7),
        "completion": (10, 10),
    }
    with pytest.raises(DefinitionError, match="starts after it ends"):
        parse_targets({"completion": {"business_days": [10, 7]}})
    with pytest.raises(DefinitionError, match="a target is one of"):
        parse_targets({"restoration": {"business_days": 1}})
