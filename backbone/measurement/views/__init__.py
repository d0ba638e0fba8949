"""Shared-measurement pages, one module per area (results, library, reporting, review).

Views stay thin: look the objects up through ``common``, ask ``core.permissions``, call the
services in ``measurement.services``, render.
"""
