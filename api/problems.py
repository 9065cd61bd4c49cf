"""JSON problem responses (RFC 7807 shape): every API error is one of these, never HTML."""

from __future__ import annotations

from django.http import JsonResponse

PROBLEM_BASE = "https://betterdata.example/problems/"


class ApiProblem(Exception):
    def __init__(self, status: int, title: str, detail: str, kind: str, **extra):
        self.status, self.title, self.detail, self.kind, self.extra = (
            status,
            title,
            detail,
            kind,
            extra,
        )
        super().__init__(detail)


def problem(
    status: int,
    title: str,
    detail: str,
    kind: str,
    *,
    instance: str = "",
    headers: dict | None = None,
    **extra,
) -> JsonResponse:
    body = {"type": PROBLEM_BASE + kind, "title": title, "status": status, "detail": detail}
    if instance:
        body["instance"] = instance
    body.update(extra)
    response = JsonResponse(
        body, status=status, content_type="application/problem+json", headers=headers
    )
    return response


def not_found(detail: str = "No such resource.") -> ApiProblem:
    return ApiProblem(404, "Not found", detail, "not-found")


def bad_request(detail: str, **params) -> ApiProblem:
    return ApiProblem(
        400,
        "Invalid request",
        detail,
        "invalid-request",
        invalid_params=[{"name": k, "reason": v} for k, v in params.items()],
    )
