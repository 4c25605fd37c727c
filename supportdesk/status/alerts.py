"""Prometheus Alertmanager's webhook, read: which component each alert is about, the status it
means, and whether it is firing or resolved. Pure reading; the services act on it.

Alertmanager posts ``{"version": "4", "status": ..., "alerts": [{"status": "firing" |
"resolved", "labels": {...}, "annotations": {...}, "startsAt": ..., "endsAt": ...,
"fingerprint": ...}, ...]}``. The desk reads the labels ``component`` (a component's key) and
``severity``; a ``status`` label naming a component status wins over the severity.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from supportdesk.status.choices import ComponentStatus

#: What a severity means for the component, from the conventions of Prometheus' rule packs.
SEVERITY_STATUS: dict[str, str] = {
    "critical": ComponentStatus.MAJOR_OUTAGE,
    "page": ComponentStatus.MAJOR_OUTAGE,
    "disaster": ComponentStatus.MAJOR_OUTAGE,
    "major": ComponentStatus.PARTIAL_OUTAGE,
    "high": ComponentStatus.PARTIAL_OUTAGE,
    "error": ComponentStatus.PARTIAL_OUTAGE,
}


class AlertPayloadError(ValueError):
    """The body is not an Alertmanager webhook; the message says what is wrong."""


@dataclass(frozen=True)
class AlertNotice:
    fingerprint: str
    firing: bool
    component: str
    status: str
    severity: str
    name: str
    text: str
    at: datetime | None


def _status_of(labels: dict[str, str]) -> str:
    wanted = labels.get("status", "")
    if wanted in ComponentStatus.values and wanted != ComponentStatus.OPERATIONAL:
        return wanted
    return SEVERITY_STATUS.get(labels.get("severity", "").lower(), ComponentStatus.DEGRADED)


def _instant(value: str) -> datetime | None:
    try:
        return parse_datetime(value) if value else None
    except ValueError:
        return None


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


def read(payload: object) -> list[AlertNotice | str]:
    """Each alert as a notice, or a sentence saying why it was left out."""
    if not isinstance(payload, dict) or not isinstance(payload.get("alerts"), list):
        raise AlertPayloadError(_("Expected an Alertmanager webhook: an object with alerts."))
    result: list[AlertNotice | str] = []
    for index, alert in enumerate(payload["alerts"]):
        if not isinstance(alert, dict) or not isinstance(alert.get("labels"), dict):
            result.append(_("alerts[%(i)s] has no labels") % {"i": index})
            continue
        labels = {str(k): _text(v) for k, v in alert["labels"].items()}
        given = alert.get("annotations")
        annotations: dict = given if isinstance(given, dict) else {}
        fingerprint = _text(alert.get("fingerprint")) or repr(sorted(labels.items()))
        if not labels.get("component"):
            result.append(_("alerts[%(i)s] has no component label") % {"i": index})
            continue
        firing = alert.get("status") != "resolved"
        moment = _text(alert.get("startsAt" if firing else "endsAt"))
        name = _text(annotations.get("summary")) or labels.get("alertname", "") or _("Alert")
        result.append(
            AlertNotice(
                fingerprint=fingerprint[:100],
                firing=firing,
                component=labels["component"],
                status=_status_of(labels),
                severity=labels.get("severity", "")[:30],
                name=name[:200],
                text=_text(annotations.get("description")) or name,
                at=_instant(moment),
            )
        )
    return result
