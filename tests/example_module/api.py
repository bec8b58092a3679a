from django.http import HttpRequest
from ninja import Router, Schema

router = Router(tags=["exemple"])


class PingOut(Schema):
    answer: str


@router.get("/exemple/ping", response=PingOut)
def ping(request: HttpRequest) -> dict[str, str]:
    return {"answer": "pong"}
