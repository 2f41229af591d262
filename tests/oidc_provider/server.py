"""Starts the test OpenID Connect provider: `python -m tests.oidc_provider.server PORT`, with
OIDC_PROVIDER_DB (its SQLite file) and OIDC_PROVIDER_SETUP (JSON: the client and the users) set.

It migrates its database, creates a signing key, the portal as a client and the users with
their groups, then serves HTTP on 127.0.0.1:PORT until it is stopped.
"""

import json
import os
import sys

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")


def main(port: int) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    from django.contrib.auth.models import Group, User
    from oidc_provider.models import Client, ResponseType

    setup = json.loads(os.environ["OIDC_PROVIDER_SETUP"])
    call_command("migrate", verbosity=0)
    call_command("creatersakey")
    client = Client.objects.create(
        name="portal",
        client_type="confidential",
        client_id=setup["client_id"],
        client_secret=setup["client_secret"],
        jwt_alg="RS256",
        require_consent=False,
        reuse_consent=True,
        _redirect_uris="\n".join(setup["redirect_uris"]),
    )
    client.response_types.add(ResponseType.objects.get(value="code"))
    for spec in setup["users"]:
        user = User.objects.create_user(spec["username"], email=spec["email"], password=spec["password"])
        for name in spec.get("groups", []):
            user.groups.add(Group.objects.get_or_create(name=name)[0])
    call_command("runserver", f"127.0.0.1:{port}", use_reloader=False, use_threading=True, skip_checks=True)


if __name__ == "__main__":
    main(int(sys.argv[1]))
