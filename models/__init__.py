"""The unified schema. Importing this package registers every table on `SQLModel.metadata`."""

from sqlmodel import SQLModel

SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from models.auth import ApiKey, AuditEntry, LoginSession, LoginThrottle, User  # noqa: E402
from models.briefing import Briefing  # noqa: E402
from models.citizen import ContactOptout  # noqa: E402
from models.complaint import Complaint, ComplaintEvent, ComplaintMedia, ComplaintPublic  # noqa: E402
from models.enums import (  # noqa: E402
    Classification,
    EventKind,
    NotificationStatus,
    OpdKind,
    RawState,
    Role,
    Status,
)
from models.inbox import ChannelCall, ConnectorInstance, RawRecord, SyncState  # noqa: E402
from models.notify import EscalationRecord, EscalationStep, Letter, Notification, ServiceState  # noqa: E402
from models.reference import Category, Opd, OpdAdmin, Region, SlaTier  # noqa: E402
from models.rollup import ComplaintRollup, ComplaintRollupDelta, RollupState  # noqa: E402
from models.trends import TrendRun, TrendSpike, TrendTopic, TrendTopicMember  # noqa: E402
from models.triage import TriageModel  # noqa: E402

metadata = SQLModel.metadata

__all__ = [
    "ApiKey", "AuditEntry", "Briefing", "Category", "ChannelCall", "Classification", "Complaint",
    "ComplaintEvent", "ComplaintMedia", "ComplaintPublic", "ComplaintRollup", "ComplaintRollupDelta",
    "ConnectorInstance", "ContactOptout", "EscalationRecord", "EscalationStep", "EventKind", "Letter",
    "LoginSession", "LoginThrottle", "Notification", "NotificationStatus", "Opd", "OpdAdmin", "OpdKind",
    "RawRecord", "RawState", "Region", "Role", "RollupState", "ServiceState", "SlaTier", "Status", "SyncState",
    "TrendRun", "TrendSpike", "TrendTopic", "TrendTopicMember", "TriageModel", "User", "metadata",
]
