"""The cost engine, pure Python (no Django, no Celery): the price catalog (:mod:`.prices`), the
estimator (:mod:`.estimator`), the pricing rules by service family (:mod:`.rules`) and the AWS
Price List importer (:mod:`.pricelist`). The portal's Django side (``portal.costs.services``, the
management commands) passes settings in as arguments.

Import the submodule you need; this package imports nothing, so each stays cheap to load.
"""
