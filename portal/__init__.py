"""The Django project: settings, URLs and the domain apps.

Nothing is imported here on purpose: `import portal.costs.engine` must not load Django or Celery.
The Celery app lives in `portal.celery`; processes that need it (the worker and beat, started
with `celery -A portal.celery`, and code that sends tasks) import that module themselves.
"""
