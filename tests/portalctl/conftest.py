from tests.portal.api.conftest import awaiting, make_token  # noqa: F401 (fixtures)
