"""The REST API: one NinjaAPI, mounted at ``/api/``; OpenAPI at ``/api/openapi.json``."""

from datetime import datetime
from typing import Any

from ninja import NinjaAPI
from ninja.operation import Operation
from ninja.renderers import JSONRenderer
from ninja.responses import NinjaJSONEncoder

from supportdesk.api import billing as billing_api
from supportdesk.api import cases, chat, errors, people, plans
from supportdesk.api import remote as remote_api
from supportdesk.api import requests as requests_api
from supportdesk.api import status as status_api
from supportdesk.api.auth import ANY


class ExactEncoder(NinjaJSONEncoder):
    """Instants in full ISO 8601, microseconds included: Django's encoder cuts to milliseconds,
    which would make a due instant disagree with the event that recorded it."""

    def default(self, o: Any) -> Any:
        if isinstance(o, datetime):
            text = o.isoformat()
            return text.removesuffix("+00:00") + "Z" if text.endswith("+00:00") else text
        return super().default(o)


class ExactRenderer(JSONRenderer):
    encoder_class = ExactEncoder


class SupportdeskAPI(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        """Short, stable operation ids for generated clients: ``list_cases`` for this package's
        operations, ``<app>_<function>`` for routers other apps mount here."""
        name = operation.view_func.__name__
        module = operation.view_func.__module__.split(".")
        if module[:2] == ["supportdesk", "api"] or len(module) < 2:
            return name
        return f"{module[1]}_{name}"


api = SupportdeskAPI(
    title="Supportdesk API",
    version="1",
    description=(
        "Cases, organizations, contacts, plans and agents. Scripts send a personal token as "
        "`Authorization: Bearer <token>`; the browser uses its session and sends the CSRF token "
        "(`X-CSRFToken`) on writes. Every refusal is `{code, detail, field}`."
    ),
    urls_namespace="api",
    auth=ANY,
    renderer=ExactRenderer(),
)
errors.install(api)
api.add_router("/cases", cases.router)
api.add_router("/cases", remote_api.router)
api.add_router("/plans", plans.router)
api.add_router("/chat", chat.router)
api.add_router("/billing", billing_api.router)
api.add_router("/status", status_api.router)
api.add_router("/", people.router)
api.add_router("/", requests_api.router)
