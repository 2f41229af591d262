"""The one permission module (portal.core.permissions): the "may approve" rule as a predicate and
as a queryset filter agree, the other rules, the django-rules registration, and the admin site
following the platform-admin role instead of is_superuser."""

from __future__ import annotations

import pytest
import rules
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse

from portal.core import permissions
from portal.requests.models import EnvironmentRequest, RequestState
from portal.runs.models import RunKind
from tests.factories import (
    EnvironmentFactory,
    EnvironmentRequestFactory,
    MembershipFactory,
    RunFactory,
    TeamFactory,
    UserFactory,
)


@pytest.fixture
def people(team, requester, approver, platform_admin, outsider):
    return {
        "requester": requester,
        "approver": approver,
        "budget approver": MembershipFactory(team=team, role="requester", budget_approver=True).user,
        "team member": MembershipFactory(team=team, role="requester").user,
        "team's platform admin": MembershipFactory(team=team, role="platform_admin").user,
        "platform admin": platform_admin,
        "other team's approver": MembershipFactory(role="approver").user,
        "other team's budget approver": MembershipFactory(role="requester", budget_approver=True).user,
        "outsider": outsider,
        "no team": UserFactory(),
    }


MAY_APPROVE = {"approver", "budget approver", "team's platform admin", "platform admin"}


@pytest.fixture
def waiting(team, requester):
    return EnvironmentRequestFactory(
        team=team, requester=requester, tier="staging", state=RequestState.AWAITING_APPROVAL
    )


def test_who_may_approve(people, waiting):
    allowed = {name for name, user in people.items() if permissions.can_approve(user, waiting)}
    assert allowed == MAY_APPROVE
    assert not permissions.can_approve(AnonymousUser(), waiting)


def test_the_queryset_form_of_the_rule_agrees_with_the_predicate(people, waiting):
    everything = EnvironmentRequest.objects.all()
    for name, user in people.items():
        in_queue = permissions.approvable_requests(user, everything).filter(pk=waiting.pk).exists()
        assert in_queue == permissions.can_approve(user, waiting), name
    assert not permissions.approvable_requests(AnonymousUser(), everything).exists()


def test_approver_capacity_for_the_policy(people, team):
    def capacity(name):
        return permissions.approver_capacity(people[name].memberships.all(), team.pk)

    assert capacity("approver") == {
        "is_team_approver": True,
        "is_platform_admin": False,
        "is_budget_approver": False,
    }
    assert (
        capacity("budget approver")["is_budget_approver"]
        and not capacity("budget approver")["is_team_approver"]
    )
    assert capacity("platform admin") == {
        "is_team_approver": False,
        "is_platform_admin": True,
        "is_budget_approver": True,
    }
    assert not any(capacity("other team's budget approver").values())


def test_request_rules(people, waiting):
    requester, admin, approver = people["requester"], people["platform admin"], people["approver"]
    assert permissions.can_submit_request(requester, waiting)
    assert not permissions.can_submit_request(approver, waiting)
    assert permissions.can_cancel_request(requester, waiting)
    assert not permissions.can_cancel_request(admin, waiting)
    assert permissions.can_replan(requester, waiting) and permissions.can_replan(admin, waiting)
    assert not permissions.can_replan(approver, waiting)
    assert permissions.can_break_glass(admin, waiting) and not permissions.can_break_glass(approver, waiting)
    assert permissions.can_request(requester, waiting.team)
    assert permissions.can_request(requester) and not permissions.can_request(people["no team"])
    assert not permissions.can_request(people["outsider"], waiting.team)


def test_view_run_and_state_rules(people, team):
    environment = EnvironmentFactory(team=team, owner=people["requester"])
    run = RunFactory(kind=RunKind.PLAN, environment=environment)
    image_build = RunFactory(
        kind=RunKind.IMAGE_BUILD, environment=None, image_source=environment.blueprint_version
    )
    member, outsider, admin = people["team member"], people["outsider"], people["platform admin"]
    assert permissions.can_view(member, environment) and permissions.can_view(member, run)
    assert not permissions.can_view(outsider, environment) and not permissions.can_view(outsider, run)
    assert permissions.can_view(admin, run) and permissions.can_view(outsider, image_build)
    assert not permissions.can_view(AnonymousUser(), image_build)
    assert permissions.can_cancel_run(member, run) and not permissions.can_cancel_run(outsider, run)
    assert permissions.can_cancel_run(admin, image_build)
    assert not permissions.can_cancel_run(member, image_build)
    assert permissions.can_request_destroy(member, environment)
    assert not permissions.can_request_destroy(outsider, environment)
    for rule in (permissions.can_force_unlock, permissions.can_download_state):
        assert rule(admin, environment) and not rule(member, environment)
    assert permissions.can_build_image(admin) and not permissions.can_build_image(member)
    assert permissions.can_view_audit(admin) and not permissions.can_view_audit(member)
    assert permissions.visible_team_ids(admin) is None
    assert list(permissions.visible_team_ids(member).values_list("team_id", flat=True)) == [team.pk]
    assert permissions.visible_team_ids(AnonymousUser()) == []


def test_the_rules_are_registered_for_templates_and_has_perm(people, waiting):
    for name in permissions.RULES:
        assert rules.rule_exists(name) and rules.perm_exists(name), name
    assert rules.test_rule("requests.approve", people["approver"], waiting)
    assert not rules.test_rule("requests.approve", people["requester"], waiting)
    assert people["approver"].has_perm("requests.approve", waiting)
    assert not people["team member"].has_perm("requests.approve", waiting)


def test_the_admin_follows_the_platform_admin_role_not_is_superuser(client, platform_admin, db):
    superuser_without_role = UserFactory(is_staff=True, is_superuser=True)
    team_admin_member = MembershipFactory(team=TeamFactory(), role="approver").user
    team_admin_member.is_staff = True
    team_admin_member.save()
    url = reverse("admin:index")
    for user in (superuser_without_role, team_admin_member):
        client.force_login(user)
        assert client.get(url).status_code == 302, user  # sent to the admin login
    client.force_login(platform_admin)  # neither is_staff nor is_superuser
    assert not platform_admin.is_staff and not platform_admin.is_superuser
    response = client.get(url)
    assert response.status_code == 200 and b"Approval policies" in response.content
    change = reverse("admin:accounts_team_changelist")
    assert client.get(change).status_code == 200


def test_platform_admins_sign_in_through_the_admin_login_form(client, platform_admin, approver):
    url = reverse("admin:login")
    for user, expected in ((approver, 200), (platform_admin, 302)):  # 200: the form again, refused
        response = client.post(url, {"username": user.username, "password": "pw-for-tests-1"})
        assert response.status_code == expected, user
    assert client.get(reverse("admin:index")).status_code == 200
