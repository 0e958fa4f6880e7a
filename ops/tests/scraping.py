"""Reading /metrics in tests: parsed with prometheus-client's own parser, as Prometheus would."""

from prometheus_client.parser import text_string_to_metric_families
from rest_framework.test import APIClient


def scrape(user):
    client = APIClient()
    client.force_authenticate(user)
    response = client.get("/metrics")
    assert response.status_code == 200, response.content
    return {family.name: family for family in text_string_to_metric_families(response.content.decode())}


def value(families, family, sample_name, **labels):
    """The sum of the matching samples (0 when there are none)."""
    return sum(
        sample.value
        for sample in families[family].samples
        if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items())
    )
