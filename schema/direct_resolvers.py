"""Plain resolvers called directly: the admin page resolves about 1,300 of them per 100 orders.

Strawberry puts seven calls in front of every resolver (the Info object, argument conversion, the chain
of field extensions) even where a field takes no argument and has no extension. For such a field of an
object type, a sync resolver of the parent, `info` or both, `install` sets graphql-core's resolver to a
function that builds the same `Info` and calls the resolver itself: the same arguments, the same
result, the same exceptions. Every other field keeps Strawberry's resolver.

Both these and Strawberry's attribute resolvers are marked for `schema.plain_execution`, which calls them
without graphql-core's per-field work: an attribute resolver with its attribute getter, a direct one with
its `PlainCall` (the function and how to make its `Info`).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from typing import Any

import strawberry
from graphql import GraphQLObjectType, GraphQLResolveInfo
from strawberry.types.base import StrawberryObjectDefinition
from strawberry.types.field import StrawberryField

DEFINITION = "strawberry-definition"
PLAIN_ATTRIBUTE = "plain_attribute"
PLAIN_CALL = "plain_call"


@dataclasses.dataclass(frozen=True, slots=True)
class PlainCall:
    """A direct resolver as `function(source, info)`, with `info_of` making that info from graphql-core's."""

    function: Callable[[Any, Any], Any]
    info_of: Callable[[GraphQLResolveInfo], Any]


def install(schema: strawberry.Schema) -> int:
    """Call `schema`'s plain resolvers directly; answers how many fields were changed."""
    info_class = schema.config.info_class
    changed = 0
    for graphql_type in schema._schema.type_map.values():
        definition = (graphql_type.extensions or {}).get(DEFINITION)
        if not isinstance(graphql_type, GraphQLObjectType) or not isinstance(definition, StrawberryObjectDefinition):
            continue
        fields = {schema.config.name_converter.get_graphql_name(field): field for field in definition.fields}
        for name, graphql_field in graphql_type.fields.items():
            field = fields.get(name)
            if field is not None and _is_plain(field):
                graphql_field.resolve = _direct(field, info_class)
                changed += 1
            elif field is not None and getattr(graphql_field.resolve, "_is_default", False):
                # Strawberry's resolver of a basic field is `config.default_resolver(source, python_name)`.
                getter = _attribute_getter(schema.config.default_resolver, field.python_name)
                setattr(graphql_field.resolve, PLAIN_ATTRIBUTE, getter)
    return changed


def _attribute_getter(default_resolver: Callable[[Any, str], Any], name: str) -> Callable[[Any], Any]:
    if default_resolver is getattr:
        return operator.attrgetter(name)
    return lambda source: default_resolver(source, name)


def _is_plain(field: StrawberryField) -> bool:
    resolver = field.base_resolver
    return (
        resolver is not None
        and not resolver.is_async
        and not field.arguments
        and not field.extensions
        and not field.is_subscription
        and callable(resolver.wrapped_func)
    )


def _direct(field: StrawberryField, info_class: type[Any]) -> Callable[..., Any]:
    resolver = field.base_resolver
    assert resolver is not None
    function: Callable[..., Any] = resolver.wrapped_func  # type: ignore[assignment]
    passes_self = resolver.self_parameter is not None
    parent_names = [parameter.name for parameter in (resolver.parent_parameter, resolver.root_parameter) if parameter]
    info_name = resolver.info_parameter.name if resolver.info_parameter else None

    def call(source: Any, info: Any) -> Any:
        keywords = dict.fromkeys(parent_names, source)
        if info_name is not None:
            keywords[info_name] = info
        return function(source, **keywords) if passes_self else function(**keywords)

    def info_of(info: GraphQLResolveInfo) -> Any:
        return info_class(_raw_info=info, _field=field) if info_name is not None else None

    def resolve(source: Any, info: GraphQLResolveInfo, **_: Any) -> Any:
        return call(source, info_of(info))

    setattr(resolve, PLAIN_CALL, PlainCall(call, info_of))
    return resolve
