"""Backbone: the software a collective-impact initiative's backbone organization runs."""
