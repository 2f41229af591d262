from tests.portal.api.conftest import make_token  # noqa: F401 (a token's secret for a user)
