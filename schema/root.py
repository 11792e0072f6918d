"""The served schema: the root Query and Mutation composed from per-capability classes, with the limits."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult

from models.settings import Settings
from schema import direct_resolvers, errors, limits, plain_execution, scalars
from schema.operations.channels.imports import ImportMutation
from schema.operations.channels.recurring import RecurringMutation, RecurringQuery
from schema.operations.core.orders import OrderQuery
from schema.operations.editing.editing import EditingMutation
from schema.operations.fulfilment.flow_setup import FlowSetupMutation
from schema.operations.fulfilment.flows import FlowsQuery
from schema.operations.fulfilment.state_changes import StateChangeMutation
from schema.operations.fulfilment.tracking import TrackingMutation
from schema.operations.integrations.webhooks import WebhookMutation, WebhookQuery
from schema.operations.payments.movements import PaymentsMutation
from schema.operations.reporting.order_list import OrderListQuery
from schema.operations.reporting.statistics import ExportMutation, StatisticsQuery
from schema.operations.returns.returns import ReturnsMutation
from schema.operations.setup.catalog import CatalogQuery
from schema.operations.setup.custom_fields import CustomFieldMutation
from schema.operations.storefront.carts import StorefrontMutation
from schema.operations.storefront.quotes import QuotesMutation
from schema.transactions import TransactionPerOperation, own_transactions

QUERY_CLASSES: tuple[type, ...] = (
    OrderQuery,
    OrderListQuery,
    CatalogQuery,
    FlowsQuery,
    StatisticsQuery,
    RecurringQuery,
    WebhookQuery,
)
MUTATION_CLASSES: tuple[type, ...] = (
    StorefrontMutation,
    QuotesMutation,
    EditingMutation,
    StateChangeMutation,
    PaymentsMutation,
    FlowSetupMutation,
    CustomFieldMutation,
    ExportMutation,
    ReturnsMutation,
    ImportMutation,
    RecurringMutation,
    TrackingMutation,
    WebhookMutation,
)


def _merged(name: str, classes: tuple[type, ...], description: str) -> Any:
    """`merge_types` with a description, which it does not take."""
    merged = merge_types(name, classes)
    merged.__strawberry_definition__.description = description  # type: ignore[attr-defined]
    return merged


Query = _merged(
    "Query",
    QUERY_CLASSES,
    "What a client reads. A bearer token (Authorization: Bearer <token>) gives a role: ADMIN reads everything, "
    "STOREFRONT the catalogue and carts by their secret, CUSTOMER (or a customer JWT) their own records; without "
    "one a caller is an anonymous shopper.",
)
Mutation = _merged(
    "Mutation",
    MUTATION_CLASSES,
    "What a client changes. Each root field is its own transaction, run in document order; an expected failure "
    "is a userError with a stable code and changes nothing.",
)


class Schema(strawberry.Schema):
    def process_errors(self, errors_: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Log the original fault before MaskErrors hides it from the client.
        errors.log_unexpected(errors_, operation=execution_context.operation_name if execution_context else None)

    async def execute(self, *args: Any, **kwargs: Any) -> ExecutionResult:
        result = await super().execute(*args, **kwargs)
        # Here, not in an extension: errors raised while parsing come back after the extensions have exited.
        if result.errors:
            result.errors = [errors.masked(error) if errors.should_mask(error) else error for error in result.errors]
            errors.add_codes(result.errors)
        return result


class CodedMaskErrors(MaskErrors):
    def anonymise_error(self, error: GraphQLError) -> GraphQLError:
        return errors.masked(error)


def build(settings: Settings, *, plain_completion: bool = True) -> Schema:
    """The served schema; `plain_completion=False` leaves every field to graphql-core (to compare with)."""
    # The limiters' rule classes are made once, so the validation cache (keyed by document and rules) can hit:
    # a client sending the same document again is neither parsed nor validated again, and still limited.
    validation_rules = limits.coded_limit_rules(
        [
            *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
            *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        ]
    )
    if not settings.introspection:
        # __schema and __type fail validation (GRAPHQL_VALIDATION_FAILED); __typename still answers.
        validation_rules.append(NoSchemaIntrospectionCustomRule)
    # Factories, so each operation gets fresh extension instances.
    extensions: list[Any] = [
        lambda: AddValidationRules(validation_rules),
        lambda: limits.CachedParse(max_tokens=settings.max_tokens),
        lambda: ValidationCache(maxsize=limits.CACHED_DOCUMENTS),
        lambda: limits.RequestLimits(max_page_size=settings.max_page_size, max_list_length=settings.max_bulk_ids),
        TransactionPerOperation,
        lambda: CodedMaskErrors(should_mask_error=errors.should_mask, error_message=errors.MASKED_MESSAGE),
    ]
    schema = Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        execution_context_class=plain_execution.PlainExecutor if plain_completion else None,
        config=StrawberryConfig(
            scalar_map=scalars.SCALAR_MAP, batching_config={"max_operations": settings.max_batch_size}
        ),
    )
    own_transactions(schema._schema)
    direct_resolvers.install(schema)
    return schema
