"""Custobar's customer upload endpoint, as documented."""

from syncs.remotes.errors import ResponseMismatchError
from syncs.remotes.http import RemoteHTTP, basic_credentials, check_item_count, is_json
from syncs.remotes.result import RemoteResult

UPLOAD_PATH = "/api/customers/upload/"


class CustobarClient:
    """Custobar with a user/password (Basic) or an API token (`Authorization: Token …`)."""

    label = "Custobar"

    def __init__(
        self,
        *,
        base_url: str,
        username: str = "",
        password: str = "",
        api_token: str = "",
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
    ):
        if api_token:
            authorization = f"Token {api_token}"
            secrets = [api_token]
        elif username and password:
            encoded = basic_credentials(username, password)
            authorization = f"Basic {encoded}"
            secrets = [password, encoded]
        else:
            raise ValueError("Custobar needs an API token, or a username and a password.")
        self.http = RemoteHTTP(
            label=self.label,
            base_url=base_url,
            headers={"Authorization": authorization},
            secrets=secrets,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
        )

    def close(self) -> None:
        self.http.close()

    def upload_customers(self, *, items: list[dict]) -> RemoteResult:
        """POST /api/customers/upload/ `{"customers": [...]}`; success is {"response": "ok"}."""
        check_item_count(items)
        response, body, duration = self.http.request(
            "POST", UPLOAD_PATH, payload={"customers": items}
        )
        if not is_json(body) or not isinstance(body, dict) or body.get("response") != "ok":
            raise ResponseMismatchError(
                f"{self.label} POST {UPLOAD_PATH} answered {response.status_code} without "
                '{"response": "ok"}; treating it as not delivered.',
                status_code=response.status_code,
                body=self.http.body_text(response),
                duration_ms=duration,
                request_sent=True,
            )
        return RemoteResult(status_code=response.status_code, items=[], duration_ms=duration)
