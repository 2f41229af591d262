"""Loads the demo teams and users. Running it again updates them and creates no duplicates."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.accounts.models import Membership, Role, Team
from portal.audit.services import audit_record

DEMO_PASSWORD = "demo-pass-123"  # noqa: S105 - demo accounts for the local portal only

TEAMS = [
    ("payments", "Payments", "CC-1001", Decimal("2500.00")),
    ("analytics", "Analytics", "CC-2002", Decimal("1500.00")),
    ("platform", "Platform", "CC-0001", Decimal("0.00")),
]
USERS = [
    ("alice", "Alice Requester", "payments", Role.REQUESTER),
    ("bob", "Bob Approver", "payments", Role.APPROVER),
    ("carol", "Carol Requester", "analytics", Role.REQUESTER),
    ("dave", "Dave Approver", "analytics", Role.APPROVER),
    ("erin", "Erin Admin", "platform", Role.PLATFORM_ADMIN),
]


class Command(BaseCommand):
    help = "Create or update the demo teams and users (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if settings.PRODUCTION:
            self.stderr.write("Refusing to load demo users in production.")
            return
        User = get_user_model()
        teams = {}
        for slug, name, cost_centre, budget in TEAMS:
            teams[slug], _ = Team.objects.update_or_create(
                slug=slug, defaults={"name": name, "cost_centre": cost_centre, "monthly_budget_usd": budget}
            )
        created_users = 0
        for username, full_name, team_slug, role in USERS:
            first, last = full_name.split(" ", 1)
            user, created = User.objects.get_or_create(username=username)
            user.first_name, user.last_name, user.email = first, last, f"{username}@example.com"
            user.set_password(DEMO_PASSWORD)
            user.save()
            created_users += created
            Membership.objects.update_or_create(user=user, team=teams[team_slug], defaults={"role": role})
        audit_record(
            actor=None,
            action="demo.loaded",
            summary=f"Demo data loaded: {len(TEAMS)} teams, {len(USERS)} users ({created_users} new).",
        )
        self.stdout.write(f"demo data: {len(TEAMS)} teams, {len(USERS)} users ({created_users} new)")
