from projections.views.decisions import handlers  # noqa: F401
