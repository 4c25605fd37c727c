"""kb_import / kb_export: the kb.json format, updates by key, and all-or-nothing errors."""

import json

import pytest
from django.core.management import CommandError, call_command

from supportdesk.knowledge import records, services
from supportdesk.knowledge.choices import ArticleStatus, Visibility
from supportdesk.knowledge.models import Article, ArticleRevision, IndexState

RECORDS = [
    {
        "id": "naprawa",
        "lang": "pl",
        "title": "Ile trwa naprawa?",
        "body": "Do **14 dni**.",
        "source": "t",
    },
    {
        "id": "blocos",
        "lang": "pt",
        "title": "Blocos de 15 minutos",
        "body": "Arredondados.",
        "source": "t",
    },
]


def write(tmp_path, data, name="kb.json"):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.django_db
def test_import_creates_published_articles_with_sanitised_html(tmp_path, capsys):
    call_command("kb_import", str(write(tmp_path, RECORDS)), "--no-vectors")
    assert "2 created" in capsys.readouterr().out
    article = Article.objects.get(external_id="naprawa")
    assert article.status == ArticleStatus.PUBLISHED and article.group == "naprawa"
    assert "<strong>14 dni</strong>" in article.body_html
    assert article.revisions.count() == 1


@pytest.mark.django_db
def test_importing_again_updates_by_key_and_leaves_history(tmp_path):
    services.import_records(RECORDS)
    token = IndexState.current()
    changed = [dict(RECORDS[0], title="Ile trwa naprawa sprzętu?"), RECORDS[1]]
    report = services.import_records(changed)
    assert report.updated == ["naprawa"] and report.unchanged == ["blocos"]
    assert Article.objects.get(external_id="naprawa").title == "Ile trwa naprawa sprzętu?"
    assert [r.number for r in ArticleRevision.objects.filter(article__external_id="naprawa")] == [
        2,
        1,
    ]
    assert IndexState.current() != token  # search will rebuild
    again = services.import_records(changed)
    assert again.unchanged == ["naprawa", "blocos"]
    assert ArticleRevision.objects.filter(article__external_id="naprawa").count() == 2


@pytest.mark.django_db
def test_a_file_with_errors_changes_nothing_and_names_each_bad_record(tmp_path):
    services.import_records(RECORDS)
    bad = [
        dict(RECORDS[0], title="Changed"),  # fine, but must not be applied
        {"id": "no lang", "title": "x", "body": "y"},
        {"id": "dup", "lang": "pt", "title": "A", "body": "b"},
        {"id": "dup", "lang": "pt", "title": "", "body": "b", "colour": "red"},
        "not an object",
        {
            "id": "vis",
            "lang": "en",
            "title": "T",
            "body": "b",
            "visibility": "plans",
            "plans": ["nope"],
        },
    ]
    with pytest.raises(CommandError):
        call_command("kb_import", str(write(tmp_path, bad)))
    problems = records.validate_records(bad)
    where = {(p.index, p.key) for p in problems}
    assert {(1, "no lang"), (3, "dup"), (4, ""), (5, "vis")} <= where
    messages = " ".join(str(p) for p in problems)
    assert "missing lang" in messages and "already used by record 2" in messages
    assert "unknown fields: colour" in messages and "unknown plans: nope" in messages
    assert Article.objects.get(external_id="naprawa").title == "Ile trwa naprawa?"
    assert not Article.objects.filter(external_id="dup").exists()


@pytest.mark.django_db
def test_invalid_json_is_reported_with_its_position(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('[{"id": "a",]')
    with pytest.raises(CommandError, match=r"broken.json:1:\d+: not valid JSON"):
        call_command("kb_import", str(path))


@pytest.mark.django_db
def test_export_then_import_round_trips(tmp_path, world):
    extra = [
        {
            "id": "billing-blocks-pt",
            "lang": "pt",
            "title": "Blocos",
            "body": "Texto",
            "source": "demo",
            "group": "billing-blocks",
            "categories": ["billing"],
            "visibility": "plans",
            "plans": ["priority"],
        },
        {
            "id": "rascunho",
            "lang": "pt",
            "title": "Rascunho",
            "body": "...",
            "source": "",
            "status": "draft",
        },
    ]
    services.import_records(RECORDS + extra)
    out = tmp_path / "export.json"
    call_command("kb_export", "-o", str(out))
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(exported, key=lambda r: r["id"]) == sorted(RECORDS + extra, key=lambda r: r["id"])
    Article.objects.all().delete()
    services.import_records(exported)
    assert services.export_records() == exported
    article = Article.objects.get(external_id="billing-blocks-pt")
    assert article.visibility == Visibility.PLANS and article.group == "billing-blocks"


@pytest.mark.django_db
def test_seed_fixture_round_trips_verbatim(tmp_path, capsys):
    from tests.knowledge.conftest import seed_records

    records = seed_records()
    services.import_records(records)
    call_command("kb_export")
    assert json.loads(capsys.readouterr().out) == sorted(records, key=lambda r: r["id"])
