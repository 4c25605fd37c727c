"""The world file's ``request_types:`` section: applied (twice, the second changing nothing),
and refused with every problem's key path and line."""

import pytest

from supportdesk.accounts.models import Contact
from supportdesk.service_requests.models import RequestType
from supportdesk.service_requests.services import submittable
from supportdesk.world.demo import DEMO_WORLD
from supportdesk.world.loader import load_file, load_text
from supportdesk.world.source import SourceError

SECTION = """\
brands: {meetwave: MeetWave}
request_types:
  number-porting:
    name: {pl: "Przeniesienie numerów", pt: "Portabilidade de números", en: "Number porting"}
    who: owner                      # any | admins | owner
    fields:
      - {key: numbers, type: phone_numbers, required: true, label: {pl: "Numery", en: "Numbers"}}
      - {key: bill, type: file, types: [application/pdf, image/png], max_mb: 10, required: true}
      - {key: emergency_address, type: address, required: true}
      - {key: loa, type: signature, required: true}
    targets: {confirmation: {business_days: [5, 7]}, completion: {business_days: [7, 10]}}
    checklist: [{en: "Bill checked", pl: "Rachunek sprawdzony"}]
    brand: meetwave
  menu-change:
    name: Change of the main number's menu
    who: admins
    fields:
      - {key: answered_by, type: choice, choices: {person: {en: A person}, menu: {en: A menu}}}
      - {key: extension, type: number, min: 1, max: 9999}
    targets: {completion: {business_days: 3}}
"""


@pytest.mark.django_db
def test_request_types_are_applied_and_a_second_load_changes_nothing():
    first = load_text(SECTION)

    assert first.counts[("request types", "created")] == 2
    porting = RequestType.objects.get(slug="number-porting")
    assert porting.names["pt"] == "Portabilidade de números" and porting.who == "owner"
    assert porting.brand.slug == "meetwave"
    assert porting.targets == {"confirmation": [5, 7], "completion": [7, 10]}
    assert [f["key"] for f in porting.fields] == ["numbers", "bill", "emergency_address", "loa"]
    assert porting.fields[1]["types"] == ["application/pdf", "image/png"]
    menu = RequestType.objects.get(slug="menu-change")
    assert [c.value for c in menu.definitions()[0].choices] == ["person", "menu"]
    assert menu.milestones() == {"completion": (3, 3)}
    second = load_text(SECTION)
    assert second.counts[("request types", "unchanged")] == 2 and second.changed() == 0


BROKEN = """\
request_types:
  porting:
    name: {en: Porting}
    who: everyone
    fields:
      - {key: bill, type: file, types: [application/pdf, text/html]}
      - {key: note, type: text, max_mb: 3}
      - {key: note, type: text}
    targets: {completion: {business_days: [10, 7]}, restoration: {business_days: 1}}
    brand: nope
"""


@pytest.mark.django_db
def test_every_problem_names_its_key_path_and_line():
    with pytest.raises(SourceError) as error:
        load_text(BROKEN, "world.yaml")

    lines = error.value.lines()
    assert any(
        line.startswith('world.yaml:4: request_types.porting.who: "everyone" is not one of any')
        for line in lines
    ), lines
    assert any(
        line.startswith(
            "world.yaml:6: request_types.porting.fields[0].types[1]: "
            '"text/html" is not one of application/pdf'
        )
        for line in lines
    ), lines
    assert (
        'world.yaml:7: request_types.porting.fields[1].max_mb: a text field has no option "max_mb"'
    ) in lines
    assert (
        "world.yaml:9: request_types.porting.targets.completion.business_days: "
        "the range starts after it ends"
    ) in lines
    assert any("request_types.porting.targets.restoration" in line for line in lines), lines
    assert not RequestType.objects.exists()


@pytest.mark.django_db
def test_two_fields_with_one_key_and_an_unknown_brand():
    text = BROKEN.replace("who: everyone", "who: any").replace(
        "      - {key: bill, type: file, types: [application/pdf, text/html]}\n"
        "      - {key: note, type: text, max_mb: 3}\n",
        "      - {key: note, type: text}\n",
    )
    text = text.replace("[10, 7]", "[7, 10]").replace(", restoration: {business_days: 1}", "")

    with pytest.raises(SourceError) as error:
        load_text(text, "world.yaml")

    assert error.value.lines() == [
        'world.yaml:7: request_types.porting.fields[1].key: two fields have the key "note"',
    ]
    with pytest.raises(SourceError) as error:
        load_text(text.replace("      - {key: note, type: text}\n", "", 1), "world.yaml")
    assert error.value.lines() == [
        'world.yaml:8: request_types.porting.brand: brand "nope" is neither in this file nor '
        "in the database"
    ]


@pytest.mark.django_db
def test_the_demo_offers_porting_to_meetwaves_owners_as_the_issue_writes_it():
    load_file(DEMO_WORLD)

    porting = RequestType.objects.get(slug="number-porting")
    assert porting.who == "owner" and porting.brand.slug == "meetwave"
    assert porting.targets == {"confirmation": [5, 7], "completion": [7, 10]}
    assert [(f["key"], f["type"], f["required"]) for f in porting.fields] == [
        ("numbers", "phone_numbers", True),
        ("bill", "file", True),
        ("emergency_address", "address", True),
        ("loa", "signature", True),
    ]
    assert porting.fields[1]["types"] == ["application/pdf", "image/png"]
    assert porting.fields[1]["max_mb"] == 10
    assert {t.slug for t in RequestType.objects.all()} == {
        "number-porting",
        "new-user",
        "main-number-menu",
    }
    agnieszka = Contact.objects.get(name="Agnieszka Mazur")  # Wisła's owner, a MeetWave customer
    assert "number-porting" in {t.slug for t in submittable(agnieszka)}
    webplug_admin = Contact.objects.get(name="Ana Silva")
    assert submittable(webplug_admin) == []  # MeetWave's forms are not WebPlug's
