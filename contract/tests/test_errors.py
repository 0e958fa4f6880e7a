"""PlatformError: what every transport needs to answer a refused request."""

from contract.config import ConfigError, InputError
from contract.errors import PlatformError
from contract.runtimes import UnknownRuntime


def test_it_defaults_to_a_bad_request_without_field_errors():
    error = PlatformError("No.")

    assert (error.message, error.code, error.fields, error.status) == ("No.", "invalid_request", {}, 400)
    assert str(error) == "No."


def test_arguments_override_the_class_defaults():
    error = PlatformError("Busy.", "thread_busy", {"thread": ["Already running."]}, status=409)

    assert (error.code, error.status, error.fields) == ("thread_busy", 409, {"thread": ["Already running."]})
    assert PlatformError.status == 400


def test_its_body_carries_fields_only_when_there_are_some():
    assert PlatformError("No.").as_dict() == {"message": "No.", "code": "invalid_request"}
    assert PlatformError("No.", fields={"a": "Bad."}).as_dict() == {
        "message": "No.", "code": "invalid_request", "fields": {"a": "Bad."}}


def test_the_contracts_own_errors_are_platform_errors_with_their_codes():
    assert ConfigError("x").code == "invalid_config"
    assert InputError("x").code == "invalid_input"
    unknown = UnknownRuntime("gpt-99", ["chat"])
    assert isinstance(unknown, PlatformError) and isinstance(unknown, LookupError)
    assert (unknown.code, unknown.status, unknown.name) == ("unknown_runtime", 400, "gpt-99")
