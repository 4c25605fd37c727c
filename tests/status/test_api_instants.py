"""Instants the status API takes are stored in UTC, whatever offset they were written with."""

from datetime import UTC, datetime

import pytest


@pytest.mark.django_db
def test_a_window_written_with_a_far_offset_is_stored_in_utc(client, world):
    client.force_login(world.agent)
    response = client.post(
        "/api/status/maintenances",
        {
            "name": "Router swap",
            "starts_at": "2026-06-05T14:10:00-22:17",
            "minutes": 60,
            "components": [],
            "body": "",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    starts = datetime.fromisoformat(response.json()["starts_at"])
    assert starts == datetime(2026, 6, 6, 12, 27, tzinfo=UTC)
