"""Schemathesis over the whole API as one person (tests/fuzz/test_api_schema.py for every run of the
suite, benchmarks/fuzz_api.py for a long one): every operation of the OpenAPI schema, with valid
requests and with invalid ones, and four checks on every answer: no 5xx, only documented status
codes and content types, and a body that matches the schema."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import requests
from hypothesis import HealthCheck, Phase, given
from hypothesis import seed as seed_hypothesis
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@dataclass
class FuzzReport:
    cases: int = 0
    statuses: Counter = field(default_factory=Counter)
    failures: list = field(default_factory=list)  # (operation, mode, message)

    def describe_failures(self) -> str:
        return "\n\n".join(f"{label} [{mode}]\n{message}" for label, mode, message in self.failures)


def revokes_tokens(operation) -> bool:
    """Revoking (one token or all) signs the fuzzer out: these operations go last."""
    return operation.path.startswith("/api/auth/tokens/") and operation.method.upper() in ("DELETE", "POST")


def token_works(token: str, base_url: str) -> bool:
    answer = requests.get(f"{base_url}/api/field/me/", headers={"Authorization": f"Token {token}"}, timeout=30)
    return answer.status_code == 200


def fuzz(schema, token: str, base_url: str, *, examples: int, seed: int = 4546, progress=None) -> FuzzReport:
    """Every failed check of every operation (not only the first). `progress(n)` after each batch."""
    report = FuzzReport()
    operations = sorted((result.ok() for result in schema.get_all_operations()), key=revokes_tokens)
    headers = {"Authorization": f"Token {token}"}
    for operation in operations:
        if revokes_tokens(operation) and not token_works(token, base_url):
            # Everything before must have been fuzzed signed in, not answered 401 for a revoked token.
            report.failures.append((operation.label, "-", "the token stopped working before this operation"))
        for mode in MODES:
            done_before = report.cases

            @hypothesis_settings(max_examples=examples, deadline=None, database=None,
                                 phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode))
            @seed_hypothesis(seed)
            def run(case):
                response = case.call(base_url=base_url, headers=headers)
                report.cases += 1
                report.statuses[response.status_code] += 1
                case.validate_response(response, checks=CHECKS)

            try:
                run()
            except Unsatisfiable:
                pass  # nothing to make invalid: an operation without parameters or body
            except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001  (collected for the report)
                report.failures.append((operation.label, mode.value, str(failure)[:1500]))
            if progress:
                progress(report.cases - done_before)
    return report
