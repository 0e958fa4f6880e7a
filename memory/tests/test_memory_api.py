"""/api/memory/: what a user's agents remember about them. Olivia's items are hers alone; Oscar sees none.

Search is checked by words without the agent server, and by meaning with
the real agent server and a real worker computing the embeddings.
"""

import pytest

from memory.models import MemoryItem
from testsupport import wait_until

pytestmark = pytest.mark.django_db

URL = "/api/memory/"


def remember(client, key, value, namespace=None):
    body = {"key": key, "value": value, **({"namespace": namespace} if namespace else {})}
    response = client.post(URL, body, format="json")
    assert response.status_code == 201, response.content
    return response.json()


def test_items_are_created_read_changed_and_deleted_by_their_owner(api_as, owner):
    client = api_as(owner)
    item = remember(client, "favourite_colour", "teal")
    assert (item["namespace"], item["key"], item["value"]) == ("default", "favourite_colour", "teal")
    remember(client, "diet", {"vegetarian": True, "allergies": ["peanuts"]}, namespace="health")

    assert [i["key"] for i in client.get(URL).json()["results"]] == ["diet", "favourite_colour"]
    assert [i["key"] for i in client.get(URL, {"namespace": "health"}).json()["results"]] == ["diet"]
    changed = client.patch(f"{URL}{item['id']}/", {"value": "navy", "key": "renamed"}, format="json").json()
    assert (changed["key"], changed["value"]) == ("favourite_colour", "navy")  # the key names the item
    assert client.delete(f"{URL}{item['id']}/").status_code == 204
    assert not MemoryItem.objects.filter(id=item["id"]).exists()


def test_someone_elses_items_are_not_found_and_never_listed_or_searched(api_as, owner, outsider, staff):
    item = remember(api_as(owner), "home_city", "Lisbon")
    for user in (outsider, staff):  # personal: staff do not see them either
        client = api_as(user)
        assert client.get(f"{URL}{item['id']}/").status_code == 404
        assert client.patch(f"{URL}{item['id']}/", {"value": "x"}, format="json").status_code == 404
        assert client.delete(f"{URL}{item['id']}/").status_code == 404
        assert client.get(URL).json()["results"] == []
        assert client.get(f"{URL}search/", {"q": "Lisbon"}).json() == []
    assert api_as(None).get(URL).status_code == 401


@pytest.mark.parametrize(
    "body, field",
    [
        ({"value": "x"}, "key"),
        ({"key": "has spaces", "value": "x"}, "key"),
        ({"key": "k"}, "value"),
        ({"key": "k", "value": "x" * 17_000}, "value"),
        ({"key": "k", "value": "x", "namespace": "a" * 101}, "namespace"),
    ],
)
def test_bad_items_are_400_with_their_field(api_as, owner, body, field):
    response = api_as(owner).post(URL, body, format="json")
    assert response.status_code == 400 and field in response.json()


def test_a_second_item_with_the_same_key_is_refused_and_the_first_kept(api_as, owner):
    client = api_as(owner)
    remember(client, "dog", "Rufus")
    response = client.post(URL, {"key": "dog", "value": "Rex"}, format="json")
    assert response.status_code == 400 and "key" in response.json()
    assert MemoryItem.objects.get(key="dog").value == "Rufus"
    # The same key in another namespace is another item.
    remember(client, "dog", "Rex", namespace="neighbours")


def test_search_by_words_when_the_agent_server_cannot_be_reached(api_as, owner, settings):
    settings.AGENTS = {**settings.AGENTS, "MCP_URL": "http://127.0.0.1:9", "MCP_CONNECT_TIMEOUT": 0.5}
    client = api_as(owner)
    remember(client, "home_city", "Lisbon, near the river")
    remember(client, "dog", "a beagle called Rufus")

    found = client.get(f"{URL}search/", {"q": "which river city"}).json()

    assert [(match["key"], match["match"]) for match in found] == [("home_city", "keyword")]
    assert client.get(f"{URL}search/").status_code == 400  # q is required
    assert client.get(f"{URL}search/", {"q": "x", "limit": 0}).status_code == 400


@pytest.fixture
def on_the_agent_server(settings, agent_server):
    """This process's api calls reach the session's agent server, as the api process's do."""
    settings.AGENTS = {**settings.AGENTS, "MCP_URL": agent_server.url, "MCP_TOKEN": agent_server.token}


def test_search_by_meaning_finds_an_item_as_soon_as_it_is_written(on_the_agent_server, api_as, owner):
    client = api_as(owner)
    for key, value in [("dog", "a beagle called Rufus"), ("home_city", "Lisbon"), ("favourite_colour", "teal")]:
        remember(client, key, value)

    found = client.get(f"{URL}search/", {"q": "what kind of pet?", "limit": 2}).json()

    assert found[0]["key"] == "dog" and found[0]["match"] == "semantic"
    assert len(found) == 2 and found[0]["score"] > found[1]["score"]
    # The search kept the embeddings it computed.
    assert MemoryItem.objects.filter(embedding__isnull=True).count() == 0


@pytest.mark.django_db(transaction=True)
def test_the_worker_embeds_each_item_after_it_is_written_and_again_after_a_change(worker, api_as, owner):
    client = api_as(owner)
    item = remember(client, "dog", "a beagle called Rufus")
    wait_until(lambda: MemoryItem.objects.get(id=item["id"]).embedded_text == "dog: a beagle called Rufus",
               timeout=60, description="the worker embedded the item")
    first = bytes(MemoryItem.objects.get(id=item["id"]).embedding)

    client.patch(f"{URL}{item['id']}/", {"value": "a greyhound called Bolt"}, format="json")

    wait_until(lambda: MemoryItem.objects.get(id=item["id"]).embedded_text == "dog: a greyhound called Bolt",
               timeout=60, description="the worker embedded the new value")
    assert bytes(MemoryItem.objects.get(id=item["id"]).embedding) != first


def test_the_database_refuses_a_second_item_with_a_key_that_a_check_would_have_missed(owner):
    from memory import services

    services.create_item(owner.id, "default", "dog", "Rufus")
    with pytest.raises(services.KeyTaken):
        services.create_item(owner.id, "default", "dog", "Rex")
    assert MemoryItem.objects.get(key="dog").value == "Rufus"
