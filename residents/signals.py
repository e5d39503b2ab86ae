"""Signals of the registry, for the apps that follow it without the residents app
importing them (campaigns: a published campaign's targets follow moves)."""

from django.dispatch import Signal

# Sent by the registry's services inside the transaction that changes who or what is in
# a grid: a resident registered (moved in) or moved out, a special-group tag added, a key
# place created. Argument ``grid_ids``: the grids whose population changed. Receivers
# run in the same transaction, so what they write commits or rolls back with the change.
registry_changed = Signal()
