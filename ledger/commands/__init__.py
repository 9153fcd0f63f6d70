"""The ledger's commands, one mixin per area, composed in :class:`ledger.app.Ledger`."""
