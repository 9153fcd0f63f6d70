from projections.views.portfolio import handlers  # noqa: F401
