"""Email in and out: rendering notifications, delivering the outbox, and turning mail into tickets.

Outbound: `ticketdesk.services.notifications` writes outbox rows in the transaction
of each ticket change; `ticketdesk worker` delivers them (`mail.transport`).
Inbound: `ticketdesk fetch-mail` (IMAP) and `ticketdesk lmtp` (aiosmtpd) feed one
parser (`mail.parser`) and one intake (`mail.intake`) that calls TicketManager.
"""
