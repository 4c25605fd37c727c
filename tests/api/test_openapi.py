"""The OpenAPI document is what schemathesis and client generators trust: it must be complete."""

import json

from django.test import Client

PATHS = {
    "/api/cases",
    "/api/cases/{case_id}",
    "/api/cases/{case_id}/replies",
    "/api/cases/{case_id}/notes",
    "/api/organizations",
    "/api/organizations/{slug}",
    "/api/organizations/{slug}/owner",
    "/api/contacts",
    "/api/contacts/{contact_id}",
    "/api/plans",
    "/api/plans/{slug}",
    "/api/agents",
    "/api/me",
    "/api/tokens",
    "/api/tokens/{token_id}",
}


def test_openapi_is_json_listing_every_path_with_its_refusals(db):
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) >= PATHS  # other apps mount their routers here too
    schemes = document["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} == {"http", "apiKey"}
    for path in PATHS:
        operations = document["paths"][path]
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            assert "401" in operation["responses"], where
            if operation.get("parameters") or "requestBody" in operation:
                assert "422" in operation["responses"], where
            if "{" in path:
                assert "404" in operation["responses"], where
            if method in {"post", "patch", "delete"}:
                assert "403" in operation["responses"], where
    operation_ids = [o["operationId"] for ops in document["paths"].values() for o in ops.values()]
    assert len(operation_ids) == len(set(operation_ids))


def test_the_docs_page_is_served(db):
    response = Client().get("/api/docs")

    assert response.status_code == 200
    assert b"openapi.json" in response.content
