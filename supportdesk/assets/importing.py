"""Devices from a spreadsheet: a CSV file with a header row, checked in full before anything
is saved, every problem named by its line and column.

    serial,model,class,location,user,under_contract
    SN-1234,ThinkPad T14,laptop,"Warszawa, ul. Prosta 1",ewa@example.pl,yes

``serial`` and ``class`` are required; ``user`` is the email of a contact of the
organization (empty: nobody in particular); ``under_contract`` is yes or no (empty: yes).
A serial already on file updates that device; devices the file does not list are left alone.
"""

import csv
import io
from dataclasses import dataclass

from django.utils.translation import gettext as _

from supportdesk.accounts.choices import AddressKind
from supportdesk.accounts.models import Contact, Organization
from supportdesk.assets.choices import DeviceClass
from supportdesk.assets.models import LENGTHS
from supportdesk.assets.services import normalize_serial, save_assets
from supportdesk.plans.services import Change

COLUMNS = ("serial", "model", "class", "location", "user", "under_contract")
REQUIRED = ("serial", "class")
#: Yes and no as people write them in a spreadsheet, in the desk's languages.
YES = frozenset({"yes", "y", "true", "1", "tak", "sim"})
NO = frozenset({"no", "n", "false", "0", "nie", "não", "nao"})


@dataclass(frozen=True)
class CsvProblem:
    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("line %(line)s, column %(column)s: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class ImportRejected(Exception):
    """A file with problems; nothing of it was saved."""

    def __init__(self, problems: list[CsvProblem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def import_csv(organization: Organization, text: str) -> dict[Change, int]:
    """Check the whole file, then save every device in one transaction; ``ImportRejected``
    (and nothing saved) when any line is wrong."""
    return save_assets(organization, check_csv(organization, text))


def check_csv(organization: Organization, text: str) -> list[dict]:
    """The devices the file lists, as ``save_asset`` takes them; every problem at once."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    problems: list[CsvProblem] = []
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise ImportRejected([CsvProblem(1, "", _("the file is empty"))]) from None
    except csv.Error as exc:
        raise ImportRejected([CsvProblem(1, "", str(exc))]) from None
    for name in header:
        if name not in COLUMNS:
            problems.append(
                CsvProblem(
                    1,
                    name,
                    _("unknown column (expected: %(columns)s)") % {"columns": ", ".join(COLUMNS)},
                )
            )
    for name in REQUIRED:
        if name not in header:
            problems.append(CsvProblem(1, name, _("this column is missing")))
    if problems:
        raise ImportRejected(problems)
    contacts = _contacts_by_email(organization)
    rows: list[dict] = []
    first_line: dict[str, int] = {}
    line = 1
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(cells) != len(header):
                problems.append(
                    CsvProblem(
                        start,
                        "",
                        _("%(found)s cells where the header has %(wanted)s")
                        % {"found": len(cells), "wanted": len(header)},
                    )
                )
                continue
            row = _row(dict(zip(header, cells, strict=True)), start, contacts, problems)
            if row is None:
                continue
            previous = first_line.setdefault(row["serial"], start)
            if previous != start:
                problems.append(
                    CsvProblem(
                        start,
                        "serial",
                        _("%(serial)s is already on line %(line)s")
                        % {"serial": row["serial"], "line": previous},
                    )
                )
                continue
            rows.append(row)
    except csv.Error as exc:
        problems.append(CsvProblem(reader.line_num, "", str(exc)))
    if problems:
        raise ImportRejected(problems)
    return rows


def _contacts_by_email(organization: Organization) -> dict[str, Contact]:
    contacts = Contact.objects.filter(organization=organization).prefetch_related("addresses")
    return {
        address.value: contact
        for contact in contacts
        for address in contact.addresses.all()
        if address.kind == AddressKind.EMAIL
    }


def _row(
    cells: dict[str, str], line: int, contacts: dict[str, Contact], problems: list[CsvProblem]
) -> dict | None:
    """One line as ``save_asset``'s arguments, or ``None`` with its problems recorded."""
    found = len(problems)
    values = {name: cells.get(name, "").strip() for name in COLUMNS}
    for name in REQUIRED:
        if not values[name]:
            problems.append(CsvProblem(line, name, _("this cell is empty")))
    for name, limit in LENGTHS.items():
        if len(values[name]) > limit:
            problems.append(
                CsvProblem(line, name, _("longer than %(n)s characters") % {"n": limit})
            )
    device_class = values["class"].lower()
    if device_class and device_class not in DeviceClass.values:
        problems.append(
            CsvProblem(
                line,
                "class",
                _('"%(value)s" is not a device class (expected one of: %(classes)s)')
                % {"value": values["class"], "classes": ", ".join(DeviceClass.values)},
            )
        )
    user = None
    if values["user"]:
        user = contacts.get(values["user"].lower())
        if user is None:
            problems.append(
                CsvProblem(
                    line,
                    "user",
                    _("%(email)s is not the email of a contact of this organization")
                    % {"email": values["user"]},
                )
            )
    under_contract = True
    written = values["under_contract"].lower()
    if written:
        if written not in YES | NO:
            problems.append(
                CsvProblem(
                    line,
                    "under_contract",
                    _('"%(value)s" is neither yes nor no') % {"value": values["under_contract"]},
                )
            )
        under_contract = written in YES
    if len(problems) > found:
        return None
    return {
        "serial": normalize_serial(values["serial"]),
        "model": values["model"],
        "device_class": device_class,
        "location": values["location"],
        "user": user,
        "under_contract": under_contract,
    }
