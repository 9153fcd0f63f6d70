from projections.views.scenarios import handlers  # noqa: F401
