"""``supportdesk import_assets ORG FILE.csv``: every device or none, each problem named by
its line and column."""

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from supportdesk.assets.models import Asset

pytestmark = pytest.mark.django_db

HEADER = "serial,model,class,location,user,under_contract\n"


def run(tmp_path, text: str, org: str = "kancelaria-nowak", encoding: str = "utf-8"):
    path = tmp_path / "devices.csv"
    path.write_bytes(text.encode(encoding))
    return call_command("import_assets", org, str(path))


def serials() -> list[str]:
    return list(Asset.objects.filter(organization__slug="kancelaria-nowak").values_list(
        "serial", flat=True
    ))  # fmt: skip


def test_a_good_file_creates_and_updates_devices(techopieka, tmp_path, capsys):
    run(
        tmp_path,
        HEADER
        + 'sn-5001,Dell Latitude 5440,laptop,"Kraków, ul. Długa 2",zofia@kancelaria-nowak.pl,tak\n'
        + "SN-7702,HP LaserJet Pro,printer,,,yes\n",
    )
    assert "1 devices created, 1 updated, 0 unchanged" in capsys.readouterr().out
    new = Asset.objects.get(serial="SN-5001")
    assert (new.model, new.device_class, new.location, new.user, new.under_contract) == (
        "Dell Latitude 5440",
        "laptop",
        "Kraków, ul. Długa 2",
        techopieka.zofia,
        True,
    )
    techopieka.printer.refresh_from_db()
    assert techopieka.printer.under_contract  # now bought under the contract


def test_every_problem_is_named_by_line_and_column_and_nothing_is_stored(
    techopieka, tmp_path, capsys
):
    before = serials()
    text = (
        HEADER
        + "SN-6001,Lenovo,laptop,Warszawa,,yes\n"  # line 2: fine on its own
        + ",Lenovo,tablet-ish,Warszawa,,maybe\n"  # line 3: three problems
        + 'SN-6003,"HP\nEliteDesk",desktop,,olga@outra.pt,no\n'  # lines 4-5: a foreign user
        + "sn-6001,Lenovo,laptop,,,\n"  # line 6: the serial of line 2 again
        + "SN-6005,Lenovo\n"  # line 7: too few cells
    )
    with pytest.raises(CommandError, match="6 problem"):
        run(tmp_path, text)
    errors = capsys.readouterr().err
    for expected in (
        "line 3, column serial: this cell is empty",
        'line 3, column class: "tablet-ish" is not a device class',
        'line 3, column under_contract: "maybe" is neither yes nor no',
        "line 4, column user: olga@outra.pt is not the email of a contact of this organization",
        "line 6, column serial: SN-6001 is already on line 2",
        "line 7: 2 cells where the header has 6",
    ):
        assert expected in errors, errors
    assert serials() == before


def test_a_file_with_unknown_or_missing_columns_is_refused(techopieka, tmp_path, capsys):
    with pytest.raises(CommandError, match="nothing was imported"):
        run(tmp_path, "serial,modell,location\nSN-1,X,Y\n")
    errors = capsys.readouterr().err
    assert "line 1, column modell: unknown column" in errors
    assert "line 1, column class: this column is missing" in errors
    assert serials() == ["SN-4410", "SN-7702"]


def test_problems_are_told_in_the_users_language(techopieka, tmp_path, capsys):
    with translation.override("pl"), pytest.raises(CommandError):
        run(tmp_path, HEADER + ",X,laptop,,,\n")
    errors = capsys.readouterr().err
    assert "wiersz 2, kolumna serial:" in errors, errors


def test_an_unknown_organization_or_a_file_not_in_utf8_is_refused(techopieka, tmp_path):
    with pytest.raises(CommandError, match='unknown organization "nowak"'):
        run(tmp_path, HEADER, org="nowak")
    with pytest.raises(CommandError, match="not UTF-8"):
        run(tmp_path, HEADER + "SN-1,Łódź,laptop,,,\n", encoding="cp1250")
