"""A refusal as GeoReport v2 gives it: an HTTP status and a list of {code, description}. The spec
asks for 404 when a resource does not exist, 403 for a missing or wrong api_key and 400 for the rest."""

from __future__ import annotations


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = [str(text) for text in descriptions]

    def errors(self) -> list[dict]:
        # The body's code is the HTTP status, as in the spec's own example.
        return [{"code": self.status, "description": text} for text in self.descriptions]


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def forbidden(*descriptions: str) -> Open311Error:
    return Open311Error(403, *descriptions)


def not_found(*descriptions: str) -> Open311Error:
    return Open311Error(404, *descriptions)
