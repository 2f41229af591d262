"""The REST API (/api/v1/) and personal access tokens: a second front door onto the same services,
selectors and permission rules as the pages."""
