from projections.views.reference import handlers  # noqa: F401
