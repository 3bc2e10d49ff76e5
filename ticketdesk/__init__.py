"""Ticketdesk: a helpdesk ticket system. `create_app` builds the WSGI application."""

__version__ = "0.1.0"
