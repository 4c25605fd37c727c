"""Who sees which devices: the provider's agents all of their customers', a customer contact
their own organization's (to name one on a case, never to change it), anyone else none."""

import pytest
from django.contrib.auth.models import AnonymousUser

from supportdesk.accounts.access import Action
from supportdesk.accounts.services import save_agent
from supportdesk.assets.models import Asset
from tests.factories import make_two_brands

pytestmark = pytest.mark.django_db


def seen(user, action: Action = Action.VIEW) -> set[str]:
    return set(Asset.objects.restrict(user, action).values_list("serial", flat=True))


def test_agents_see_their_brands_devices_and_customers_their_own(techopieka):
    world = techopieka.world
    assert seen(techopieka.agent) == {"SN-4410", "SN-7702", "SN-0001"}  # and unbranded ones
    assert seen(techopieka.agent, Action.CHANGE) == {"SN-4410", "SN-7702", "SN-0001"}
    assert seen(world.agent) == {"SN-0001"}  # an agent of no brand: unbranded customers only
    for contact in (techopieka.joanna, techopieka.zofia):
        assert seen(contact.user) == {"SN-4410", "SN-7702"}
        assert seen(contact.user, Action.CHANGE) == set()
    assert seen(world.admin.user) == {"SN-0001"}
    assert seen(world.outsider.user) == set()
    assert seen(AnonymousUser()) == set()


def test_an_agent_of_another_brand_sees_none_of_them(techopieka):
    brands = make_two_brands(techopieka.world)
    assert seen(brands.mw_agent) == set()
    assert seen(brands.lead) == {"SN-4410", "SN-7702", "SN-0001"}
    other = save_agent(
        name="Marek", email="marek@techopieka.example", level="L2", brand=brands.webplug
    ).user
    assert seen(other) == {"SN-0001"}  # Cliente B is WebPlug's now
