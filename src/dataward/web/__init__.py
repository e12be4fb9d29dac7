"""The web edge: app factory, pages, JSON API and the ``dataward serve`` runner."""
