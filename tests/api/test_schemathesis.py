"""Property-based fuzzing of the whole API from its own OpenAPI document (schemathesis).

Every operation, with generated input, as an agent: never a 5xx; the status is one the document
declares, with the content type and a body that match it; a request the document allows is
accepted and one it forbids is refused (so the document is the whole input rule).
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from supportdesk.accounts.services import issue_token
from supportdesk.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


@pytest.fixture
def agent_token(world) -> str:
    return issue_token(world.agent, "fuzz")


@pytest.mark.django_db(transaction=True)
@schema.exclude(operation_id="delete_token").parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_the_api_answers_what_it_documents(case, agent_token):
    case.call_and_validate(
        headers={"Authorization": f"Bearer {agent_token}"},
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
            positive_data_acceptance,
            negative_data_rejection,
        ],
    )
