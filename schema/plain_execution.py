"""Completing plain sub-selections in one pass: the admin page's 1,900 fields without graphql-core's per-field work.

graphql-core completes every field on its own: a path, an info object, argument coercion, the type
dispatch of `complete_value`. Where the value of an object is in hand and everything selected under it
is plain, `PlainExecutor` completes the whole object with a plan compiled once per request for that
selection (graphql-core's own collected fields, so fragments, aliases and @skip/@include are as it
collects them) and builds the dicts straight away.

A field is plain when it takes no arguments and its resolver is a Strawberry attribute or a direct
resolver (`schema.direct_resolvers`), and its type is a leaf, an object type whose selection is plain,
or a list or non-null of those; `__typename` is plain too. Access rules live in those resolvers (staff
fields answer null or [] for others), so the plan calls them exactly as graphql-core would.

Anything else falls back to graphql-core's own completion of that object, from the start: a resolver
that raises or answers an awaitable, a null where the type says non-null, a leaf its scalar refuses, a
value an object type does not accept. The fallback calls the resolvers again (they only read), so data,
errors, their paths and nulls are exactly graphql-core's. Plain resolvers get one `Info` per field of the
plan whose `path` is None: no resolver of a plain field reads it, and one that did would fail and so
fall back.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from graphql import (
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
    is_list_type,
    is_non_null_type,
    is_object_type,
)
from graphql.pyutils import Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from schema import direct_resolvers

Completer = Callable[[Any], Any]
Getter = Callable[[Any], Any]
TYPENAME = "__typename"


class NotPlain(Exception):
    """This value cannot be completed by the plan: graphql-core completes it instead."""


class PlainExecutor(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, completing objects with plain selections by a compiled plan."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # (object type, id of the field details list) -> the object's plan, or None when it is not plain.
        self._plans: dict[tuple[GraphQLObjectType, int], tuple[Any, Completer | None]] = {}

    def complete_object_value(
        self,
        return_type: GraphQLObjectType,
        field_details_list: Any,
        info: Any,
        path: Any,
        result: Any,
        position_context: Any,
    ) -> Any:
        # Strawberry passes a middleware manager always; one with middleware wraps every resolver.
        middleware = self.middleware_manager.middlewares if self.middleware_manager else ()
        plan = None if middleware else self._plan(return_type, field_details_list)
        if plan is not None:
            try:
                return plan(result)
            except Exception:  # graphql-core completes it again, errors and all
                pass
        return super().complete_object_value(return_type, field_details_list, info, path, result, position_context)

    def _plan(self, object_type: GraphQLObjectType, field_details_list: Any) -> Completer | None:
        key = (object_type, id(field_details_list))
        known = self._plans.get(key)
        if known is None:
            # The list is kept with its plan, so its id is not reused while the request runs.
            known = self._plans[key] = (field_details_list, self._compile_object(object_type, field_details_list))
        return known[1]

    def _compile_object(self, object_type: GraphQLObjectType, field_details_list: Any) -> Completer | None:
        grouped_field_set = self.collect_subfields(object_type, field_details_list)[0]
        fields: list[tuple[str, Callable[[Any], Any], Completer]] = []
        for response_name, details in grouped_field_set.items():
            compiled = self._compile_field(object_type, details)
            if compiled is None:
                return None
            fields.append((response_name, *compiled))
        return _object_completer(object_type, fields, self.is_awaitable)

    def _compile_field(
        self, parent_type: GraphQLObjectType, details: Any
    ) -> tuple[Callable[[Any], Any], Completer] | None:
        name = details[0].node.name.value
        if name == TYPENAME:
            type_name = parent_type.name
            return (lambda _source: type_name), _identity
        field = parent_type.fields.get(name)
        if field is None or field.args or any(detail.node.arguments for detail in details):
            return None
        getter = self._getter(field, parent_type, details)
        completer = self._completer(field.type, details)
        if getter is None or completer is None:
            return None
        return getter, completer

    def _getter(self, field: Any, parent_type: GraphQLObjectType, details: Any) -> Callable[[Any], Any] | None:
        resolve = field.resolve
        if resolve is None:
            return None
        attribute = getattr(resolve, direct_resolvers.PLAIN_ATTRIBUTE, None)
        if attribute is not None:
            return attribute  # type: ignore[no-any-return]
        call = getattr(resolve, direct_resolvers.PLAIN_CALL, None)
        if call is None:
            return None
        nodes = [detail.node for detail in details]
        info = call.info_of(self.build_resolve_info(field, nodes, parent_type, None))  # type: ignore[arg-type]
        function = call.function
        return lambda source: function(source, info)

    def _completer(self, graphql_type: GraphQLOutputType, details: Any) -> Completer | None:
        if is_non_null_type(graphql_type):
            assert isinstance(graphql_type, GraphQLNonNull)
            inner = self._completer(graphql_type.of_type, details)
            return None if inner is None else _non_null(inner)
        if is_list_type(graphql_type):
            assert isinstance(graphql_type, GraphQLList)
            item = self._completer(graphql_type.of_type, details)
            return None if item is None else _list(item, self.is_awaitable)
        if is_leaf_type(graphql_type):
            return _leaf(graphql_type)  # type: ignore[arg-type]
        if is_object_type(graphql_type):
            assert isinstance(graphql_type, GraphQLObjectType)
            return self._plan(graphql_type, details)
        return None  # interfaces and unions: graphql-core resolves the runtime type


def _object_completer(
    object_type: GraphQLObjectType,
    fields: list[tuple[str, Callable[[Any], Any], Completer]],
    is_awaitable: Callable[[Any], bool],
) -> Completer:
    is_type_of = object_type.is_type_of

    def complete(source: Any) -> Any:
        if source is None:
            return None
        if is_type_of is not None and is_type_of(source, None) is not True:  # type: ignore[arg-type]
            raise NotPlain(object_type.name)
        answer = {}
        for response_name, getter, completer in fields:
            value = getter(source)
            if is_awaitable(value):
                _discard(value)
                raise NotPlain(response_name)
            answer[response_name] = completer(value)
        return answer

    return complete


def _non_null(inner: Completer) -> Completer:
    def complete(value: Any) -> Any:
        completed = inner(value)
        if completed is None:
            raise NotPlain("null")
        return completed

    return complete


def _list(item: Completer, is_awaitable: Callable[[Any], bool]) -> Completer:
    def complete(value: Any) -> Any:
        if value is None:
            return None
        if not isinstance(value, list | tuple):
            raise NotPlain("not a list")
        completed = []
        for element in value:
            if is_awaitable(element):
                _discard(element)
                raise NotPlain("awaitable item")
            completed.append(item(element))
        return completed

    return complete


def _leaf(leaf_type: GraphQLLeafType) -> Completer:
    coerce = leaf_type.coerce_output_value

    def complete(value: Any) -> Any:
        if value is None:
            return None
        coerced = coerce(value)
        if coerced is None or coerced is Undefined:
            raise NotPlain(leaf_type.name)
        return coerced

    return complete


def _identity(value: Any) -> Any:
    return value


def _discard(awaitable: Any) -> None:
    # A coroutine that will not be awaited here is closed, so it warns of nothing; graphql-core calls the
    # resolver again. Futures belong to their loaders and are left alone.
    if inspect.iscoroutine(awaitable):
        awaitable.close()
