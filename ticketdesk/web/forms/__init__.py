"""Every form of the web UI (Flask-WTF: each POST form carries a CSRF token), by area:
accounts, tickets and admin, on the base and field helpers of `base` and the select
widget of `widgets`."""
