from projections.views.audit import handlers  # noqa: F401
