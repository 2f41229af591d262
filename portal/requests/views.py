from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from portal.audit.services import client_ip
from portal.requests.selectors import request_list as request_list_query
from portal.requests.services import environment_request_submit
from portal.runs.services import RunConflict


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
            "runs": env_request.runs.all(),
        },
    )


@require_POST
def request_submit(request: HttpRequest, pk: int) -> HttpResponse:
    env_request = get_object_or_404(request_list_query(user=request.user), pk=pk)
    try:
        run = environment_request_submit(request=env_request, actor=request.user, ip=client_ip(request))
    except (PermissionDenied, RunConflict) as exc:
        messages.error(request, str(exc))
        return redirect("requests:detail", pk=pk)
    except IntegrityError:
        messages.error(
            request,
            f"{env_request.team} already has a live environment named "
            f"{env_request.environment_name}; pick another name.",
        )
        return redirect("requests:detail", pk=pk)
    return redirect("runs:detail", pk=run.pk)
