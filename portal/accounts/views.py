"""The login page, and the two addresses of the single sign-on flow."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required

from portal.accounts.oidc import SSOAuthenticationRequestView, SSOCallbackView, sso_enabled


class LoginView(auth_views.LoginView):
    """Django's login page, offering "Sign in with SSO" when it is configured; with local login
    switched off the password form stays, marked as for break-glass accounts."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        from django.conf import settings

        context = super().get_context_data(**kwargs)
        context["sso_enabled"] = sso_enabled()
        context["local_login_enabled"] = settings.LOCAL_LOGIN_ENABLED
        return context


login = LoginView.as_view()
sso_authenticate = login_not_required(SSOAuthenticationRequestView.as_view())
sso_callback = login_not_required(SSOCallbackView.as_view())
