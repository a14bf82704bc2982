"""Field types shared by request models of several routes."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value


# A string with at least one non-space character; the error names the field through the ingress.
NonBlankStr = Annotated[str, AfterValidator(_not_blank)]
