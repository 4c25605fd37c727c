"""Field service in the world file: ``d`` durations, Premium's visit and repair targets, the
technicians and the loaner pool, checked with the line of any mistake."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from supportdesk.field.models import Loaner, Technician
from supportdesk.plans.models import Plan
from supportdesk.world.demo import DEMO_WORLD
from supportdesk.world.loader import load_file
from tests.world.conftest import SAMPLE

pytestmark = pytest.mark.django_db


def test_the_demo_gives_premium_24_hours_on_site_and_14_days_for_repairs():
    load_file(DEMO_WORLD)
    targets = {t.metric: t for t in Plan.objects.get(slug="techopieka-premium").targets.all()}
    assert targets["on_site"].within == timedelta(hours=24)
    assert targets["repair"].within == timedelta(days=14)
    assert targets["on_site"].around_the_clock and targets["repair"].around_the_clock
    assert "on_site" not in {
        t.metric for t in Plan.objects.get(slug="techopieka-standard").targets.all()
    }
    assert Technician.objects.get().user.email == "marek@techopieka.example"
    assert Loaner.objects.get(serial="LN-7").device_class == "laptop"
    assert Loaner.objects.filter(brand__slug="techopieka").count() == 3


def test_an_unknown_technician_names_its_line(tmp_path):
    source = tmp_path / "world.yaml"
    source.write_text(
        SAMPLE.read_text()
        + "\nfield:\n  technicians: [nobody@example.com]\n"
        + "  loaners:\n    LN-1: {class: laptop, model: X1, brand: nowhere}\n"
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_world", str(source), stderr=err)
    problems = err.getvalue()
    assert "field.technicians[0]" in problems and "nobody@example.com" in problems
    assert "field.loaners.LN-1.brand" in problems
    assert not Loaner.objects.exists()


@pytest.mark.parametrize(
    ("written", "hours"), [("14d", 336), ("1d 12h", 36), ("2d30m", 48.5), ("24h", 24)]
)
def test_durations_count_a_day_as_24_hours(tmp_path, written, hours):
    source = tmp_path / "world.yaml"
    text = SAMPLE.read_text()
    source.write_text(
        text.replace(
            "{metric: restoration, within: 16h}", f"{{metric: restoration, within: {written}}}"
        )
    )
    call_command("load_world", str(source), stdout=StringIO())
    rows = Plan.objects.get(slug="webplug-priority").targets.filter(metric="restoration")
    assert rows.get(priorities=[]).within == timedelta(hours=hours)


def test_a_duration_in_words_is_refused_with_the_forms_it_takes(tmp_path):
    source = tmp_path / "world.yaml"
    text = SAMPLE.read_text()
    source.write_text(
        text.replace("{metric: restoration, within: 16h}", "{metric: restoration, within: 14 days}")
    )
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("load_world", str(source), stderr=err)
    assert '"14 days" is not a duration like 15m, 4h or 14d' in err.getvalue()
