"""The API's endpoints, one module per area (catalog, requests, environments, runs, audit)."""
