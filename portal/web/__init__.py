"""Top-level pages above every app: the home page (which draws on several apps) and /healthz.

Not a Django app: it has no models. It may import any app; no app imports it.
"""
