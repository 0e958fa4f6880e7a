import pytest


@pytest.fixture
def make_thread(owner, agent):
    from threads.models import Thread

    def make(user=None, **fields):
        fields.setdefault("agent", agent)
        return Thread.objects.create(owner=user or owner, **fields)

    return make


@pytest.fixture
def thread(make_thread):
    return make_thread(title="Trip planning")
