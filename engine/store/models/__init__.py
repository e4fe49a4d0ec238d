"""All models, imported here so that metadata is complete (Alembic env.py imports this package)."""
from engine.store.models.agents import Agent, AgentGroup, AgentSkill, Skill
from engine.store.models.audit import AuditEntry
from engine.store.models.calllog import CallEvent
from engine.store.models.media import CallNote, Recording, SurveyResult
from engine.store.models.calls import (AgentRequest, AgentStateChange, Callback, CallOffer, CallRecord,
                                       Voicemail)
from engine.store.models.orders import (Department, FollowUp, OrderAlert, OrderCategory, WorkOrder,
                                        WorkOrderPart, WorkOrderStep)
from engine.store.models.knowledge import (KnowledgeArticle, KnowledgeCategory, KnowledgeCorrection,
                                           KnowledgeTarget)
from engine.store.models.org import Hall, HolidayOverride, RoutingRule
from engine.store.models.reports import (ReportAgentDay, ReportCalls15m, ReportCallsDay, ReportCallerRegionDay,
                                           ReportJob, ReportSetting)
from engine.store.models.routing import PublishedNumber, Queue, QueueHallStatus, QueueSkill, QueueStatus, TrunkStatus
from engine.store.models.switch import EngineNode, LiveChange, SwitchCdr, SwitchStatus  # noqa: F401
from engine.store.models.users import ApiToken, LoginAttempt, User, UserRole, UserSession
from engine.store.models.webhooks import Webhook, WebhookDelivery
from engine.store.models import quality, schedules  # noqa: F401  (their classes are imported from the modules)

__all__ = [
    "CallEvent",
    "ReportAgentDay", "ReportCalls15m", "ReportCallsDay", "ReportCallerRegionDay", "ReportJob", "ReportSetting",
    "CallNote", "Recording", "SurveyResult",
    "AgentRequest", "Callback", "CallOffer", "Voicemail", "Agent", "AgentGroup", "AgentSkill", "Skill", "AuditEntry", "AgentStateChange", "CallRecord",
    "Department", "FollowUp", "OrderAlert", "OrderCategory", "WorkOrder", "WorkOrderPart", "WorkOrderStep",
    "KnowledgeArticle", "KnowledgeCategory", "KnowledgeCorrection", "KnowledgeTarget",
    "Hall", "HolidayOverride", "RoutingRule", "PublishedNumber", "Queue", "QueueSkill", "QueueStatus", "QueueHallStatus", "TrunkStatus", "User", "UserRole", "UserSession", "LoginAttempt", "ApiToken",
    "Webhook", "WebhookDelivery",
]
