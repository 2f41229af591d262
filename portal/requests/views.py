from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from portal.requests.selectors import request_list as request_list_query


@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    filters = {"state": request.GET.get("state", "")}
    requests = request_list_query(user=request.user)
    if filters["state"]:
        requests = requests.filter(state=filters["state"])
    page = Paginator(requests, 50).get_page(request.GET.get("page"))
    return render(request, "requests/request_list.html", {"page": page, "filters": filters})


@require_GET
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    env_request = get_object_or_404(request_list_query(user=request.user), pk=pk)
    return render(
        request,
        "requests/request_detail.html",
        {
            "req": env_request,
            "events": env_request.events.select_related("actor"),
        },
    )
