from projections.views.budget import handlers  # noqa: F401
