"""Status and kind enums of the domain, stored as their string values."""

from __future__ import annotations

import enum


class OrderKind(enum.StrEnum):
    CART = "CART"
    QUOTE = "QUOTE"
    ORDER = "ORDER"


class FlowKind(enum.StrEnum):
    CART = "CART"
    QUOTE = "QUOTE"
    ORDER = "ORDER"
    RETURN = "RETURN"


class OrderLineType(enum.StrEnum):
    PRODUCT = "PRODUCT"
    DISCOUNT = "DISCOUNT"
    TAX = "TAX"


class QuoteStatus(enum.StrEnum):
    OPEN = "OPEN"
    ACCEPTED = "ACCEPTED"
    REJECTED = "REJECTED"


class CaptureState(enum.StrEnum):
    NOT_SUPPORTED = "NOT_SUPPORTED"
    NOT_CAPTURED = "NOT_CAPTURED"
    SPLIT_CAPTURED = "SPLIT_CAPTURED"
    CAPTURED = "CAPTURED"


class TransactionKind(enum.StrEnum):
    AUTHORIZE = "AUTHORIZE"
    CAPTURE = "CAPTURE"
    REFUND = "REFUND"
    CANCEL = "CANCEL"


class TransactionStatus(enum.StrEnum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


class EventLevel(enum.StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    ERROR = "ERROR"


class CustomFieldTarget(enum.StrEnum):
    ORDER = "ORDER"
    ORDER_LINE = "ORDER_LINE"


class CustomFieldType(enum.StrEnum):
    TEXT = "TEXT"
    INTEGER = "INTEGER"
    DECIMAL = "DECIMAL"
    BOOLEAN = "BOOLEAN"
    DATE = "DATE"
    LIST = "LIST"


class ReturnStatus(enum.StrEnum):
    REQUESTED = "REQUESTED"
    RECEIVED = "RECEIVED"
    REFUNDED = "REFUNDED"
    REJECTED = "REJECTED"


class RecurringUnit(enum.StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"
    YEAR = "YEAR"


class Role(enum.StrEnum):
    ADMIN = "ADMIN"
    STOREFRONT = "STOREFRONT"
    CUSTOMER = "CUSTOMER"


class MailStatus(enum.StrEnum):
    PENDING = "PENDING"
    SENT = "SENT"
    FAILED = "FAILED"


class WebhookEvent(enum.StrEnum):
    """What happened to an order, as a webhook body's `type` names it (GraphQL: ORDER_CREATED …)."""

    ORDER_CREATED = "order.created"
    ORDER_STATE_CHANGED = "order.state_changed"
    ORDER_EDITED = "order.edited"
    ORDER_CANCELLED = "order.cancelled"
    ORDER_DELETED = "order.deleted"
    PAYMENT_AUTHORIZED = "payment.authorized"
    PAYMENT_CAPTURED = "payment.captured"
    PAYMENT_REFUNDED = "payment.refunded"
    PAYMENT_FAILED = "payment.failed"
    TRACKING_SET = "tracking.set"
    QUOTE_SUBMITTED = "quote.submitted"
    QUOTE_ACCEPTED = "quote.accepted"
    QUOTE_REJECTED = "quote.rejected"
    RETURN_CREATED = "return.created"
    RETURN_RECEIVED = "return.received"
    RETURN_REFUNDED = "return.refunded"
    RETURN_REJECTED = "return.rejected"


class DeliveryStatus(enum.StrEnum):
    PENDING = "PENDING"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"
