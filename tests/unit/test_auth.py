import pytest
from fastapi import HTTPException
from starlette.requests import Request

from serve.auth import TokenCheck, token_digest

SECRET = "s3cr3t-value"


def request(header: str | None) -> Request:
    headers = [] if header is None else [(b"authorization", header.encode())]
    return Request({"type": "http", "headers": headers})


def test_valid_bearer_token_passes():
    TokenCheck(token_digest(SECRET))(request(f"Bearer {SECRET}"))


@pytest.mark.parametrize("header", [None, SECRET, "Basic czNjcjN0", "Bearer ", "Bearer wrong"])
def test_missing_or_wrong_token_is_401_and_never_echoes_the_secret(header):
    with pytest.raises(HTTPException) as info:
        TokenCheck(token_digest(SECRET))(request(header))
    assert info.value.status_code == 401 and "s3cr3t" not in info.value.detail


def test_no_token_configured_refuses_everything():
    with pytest.raises(HTTPException) as info:
        TokenCheck(None)(request("Bearer anything"))
    assert info.value.status_code == 401
