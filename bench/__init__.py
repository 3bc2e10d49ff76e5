"""`make bench`: load tests of a seeded Ticketdesk against a bare Flask ceiling."""
