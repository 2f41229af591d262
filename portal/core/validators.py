"""Input checks shared by every view: free text may not hold NUL or other control characters.

PostgreSQL cannot store NUL in a text column, so an unchecked NUL is a 500 there; on SQLite it is
stored and then cut short by whatever reads it. The rule itself is pure (blueprints/inputs.py), so
blueprint inputs, the pages and any other entry point refuse the same characters with the same words.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render

from blueprints.inputs import control_character_error

API_PREFIX = "/api/"
FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def validate_text(value: str, *, multiline: bool = True) -> None:
    """Raises ValidationError for NUL and other control characters; a multi-line text (a reason, a
    comment) may hold tabs and line breaks, a single-line one (a name) may not."""
    problem = control_character_error(value, multiline=multiline)
    if problem:
        raise ValidationError(problem, code="control_characters")


def validate_single_line_text(value: str) -> None:
    validate_text(value, multiline=False)


class ControlCharacterMiddleware:
    """Refuses, with a 400 that names the field, any request whose query string or form holds a
    control character other than a tab or a line break, before a view stores or searches for it.

    Views still apply stricter rules of their own (a name is a single line); this guarantees that no
    free-text field, filter or search box can reach the database with a NUL.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        for source, params in (("query string", request.GET), ("form", self._form(request))):
            for key, values in params.lists():
                problems = [control_character_error(key, multiline=False)] + [
                    control_character_error(value, multiline=True) for value in values
                ]
                problem = next((p for p in problems if p), None)
                if problem and request.path.startswith(API_PREFIX):
                    # The API's error shape (portal/api/errors.py), not an HTML page.
                    body = {
                        "error": {
                            "code": "invalid",
                            "message": f"The {source} holds control characters.",
                            "fields": {key.encode("unicode_escape").decode(): problem},
                        }
                    }
                    return JsonResponse(body, status=400)
                if problem:
                    context = {
                        "field": key.encode("unicode_escape").decode(),
                        "source": source,
                        "problem": problem,
                    }
                    return render(request, "core/bad_input.html", context, status=400)
        return self.get_response(request)

    @staticmethod
    def _form(request: HttpRequest) -> QueryDict:
        # Only form bodies: a JSON body (the Terraform state backend) is read by its own view.
        if request.method == "POST" and request.content_type in FORM_CONTENT_TYPES:
            return request.POST
        return QueryDict()
