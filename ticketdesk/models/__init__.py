"""The data model: people, queues, tickets, their conversation and their history.

Models hold data and small derived facts only; every rule about who may change
what lives in `ticketdesk.services`.
"""

from ticketdesk.models.attachments import Attachment
from ticketdesk.models.base import (
    EMAIL_MAX,
    ID_MAX,
    NAME_MAX,
    TEXT_MAX,
    TITLE_MAX,
    Base,
    utcnow,
)
from ticketdesk.models.counters import TicketAssigneeCount, TicketQueueCount, TicketStatusCount
from ticketdesk.models.mail import (
    FailedMail,
    InboundMessage,
    InboundOutcome,
    OutboxMessage,
    OutboxStatus,
    ThreadRule,
)
from ticketdesk.models.people import (
    ApiToken,
    HelpdeskStaff,
    NewTicketNotices,
    Role,
    User,
    WatchedQueue,
)
from ticketdesk.models.schema_version import SchemaState
from ticketdesk.models.security import (
    EmailChange,
    IdempotencyRecord,
    PasswordReset,
    SecurityEvent,
    SecurityEventKind,
)
from ticketdesk.models.tickets import (
    ACTIVE_STATUSES,
    FINISHED_STATUSES,
    Comment,
    EventKind,
    Priority,
    Queue,
    Ticket,
    TicketEvent,
    TicketStatus,
)

__all__ = [
    "ACTIVE_STATUSES",
    "FINISHED_STATUSES",
    "Attachment",
    "TicketAssigneeCount",
    "TicketQueueCount",
    "TicketStatusCount",
    "EMAIL_MAX",
    "ID_MAX",
    "NAME_MAX",
    "TEXT_MAX",
    "TITLE_MAX",
    "Base",
    "utcnow",
    "ApiToken",
    "HelpdeskStaff",
    "NewTicketNotices",
    "Role",
    "User",
    "WatchedQueue",
    "SchemaState",
    "Comment",
    "EventKind",
    "Priority",
    "Queue",
    "Ticket",
    "TicketEvent",
    "TicketStatus",
    "FailedMail",
    "InboundMessage",
    "InboundOutcome",
    "OutboxMessage",
    "OutboxStatus",
    "ThreadRule",
    "EmailChange",
    "IdempotencyRecord",
    "PasswordReset",
    "SecurityEvent",
    "SecurityEventKind",
]
