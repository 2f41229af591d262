"""portalctl: the portal's command-line client. It talks to the REST API (/api/v1/) with a personal
access token and uses only the standard library, so it installs anywhere Python 3.11 runs."""

__version__ = "0.1.0"
