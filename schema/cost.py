"""What a request may cost, estimated before anything runs and summed over a whole batch.

Each object a document may return costs a point; scalars are free. A list field multiplies what it
selects by its page size (`first`/`last`, or that argument's default); a list without a page argument
counts as `UNPAGED_LIST_SIZE` items, except inside a paged connection, where its `edges` are the page.
So `products(first: 250) { id }` costs 250, and 30 aliases of it in each of 20 batched operations
cost 150,000: far over Saleor's 50,000, while an admin page of 100 orders with their lines costs ~16,000.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLNamedType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    ValueNode,
    VariableNode,
    get_named_type,
    get_nullable_type,
    is_composite_type,
    is_list_type,
    value_from_ast_untyped,
)

PAGE_ARGUMENTS = ("first", "last")
# How many items a list without a page argument is taken to hold (an order's lines, a flow's states).
UNPAGED_LIST_SIZE = 10
_INT_DIGITS = 11  # "-2147483648"


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    max_page_size: int,
    max_depth: int,
) -> int:
    """The points the operation of `document` that would run may cost (every operation when it is ambiguous)."""
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    operations = [
        definition
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode)
        and (operation_name is None or (definition.name is not None and definition.name.value == operation_name))
    ]
    total = 0
    for operation in operations:
        root = schema.get_root_type(operation.operation)
        if root is None:
            continue
        defaults = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        walk = _Walk(schema, fragments, {**defaults, **(variables or {})}, max_page_size, max_depth)
        try:
            total += walk.selections(operation.selection_set, root, list_size=UNPAGED_LIST_SIZE, depth=0)
        except _TooDeep:
            continue  # the depth limit refuses it, with the more telling message
    return total


class _TooDeep(Exception):
    pass


@dataclasses.dataclass
class _Walk:
    schema: GraphQLSchema
    fragments: dict[str, FragmentDefinitionNode]
    variables: Mapping[str, Any]
    max_page_size: int
    # Deeper documents are refused by the depth limit; stopping there bounds the walk.
    max_depth: int
    # A fragment's cost for one parent object, once computed: spreads of spreads cost linear time, not exponential.
    fragment_costs: dict[str, int] = dataclasses.field(default_factory=dict)

    def selections(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, *, list_size: int, depth: int
    ) -> int:
        if depth > self.max_depth:
            raise _TooDeep
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, list_size=list_size, depth=depth)
            elif isinstance(selection, InlineFragmentNode):
                condition = (
                    self.schema.get_type(selection.type_condition.name.value) if selection.type_condition else None
                )
                total += self.selections(selection.selection_set, condition or parent, list_size=list_size, depth=depth)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, list_size=list_size, depth=depth)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType, *, list_size: int, depth: int) -> int:
        definition = _field_definition(self.schema, parent, node.name.value)
        if definition is None or node.selection_set is None:
            return 0  # scalars are free; an unknown field fails validation
        named = get_named_type(definition.type)
        if not is_composite_type(named):
            return 0
        page = self._page_size(node, definition)
        if is_list_type(get_nullable_type(definition.type)):  # type: ignore[arg-type]
            multiplier, inner_list_size = (page if page is not None else list_size), UNPAGED_LIST_SIZE
        else:  # a connection: its edges are the page
            multiplier, inner_list_size = 1, (page if page is not None else UNPAGED_LIST_SIZE)
        children = self.selections(node.selection_set, named, list_size=inner_list_size, depth=depth + 1)
        return multiplier * (1 + children)

    def _fragment(self, name: str, *, list_size: int, depth: int) -> int:
        fragment = self.fragments.get(name)
        if fragment is None:
            return 0
        key = f"{name}/{list_size}"
        if key not in self.fragment_costs:
            self.fragment_costs[key] = 0  # a spread of itself (refused by validation) adds nothing
            condition = self.schema.get_type(fragment.type_condition.name.value)
            if condition is not None:
                cost = self.selections(fragment.selection_set, condition, list_size=list_size, depth=depth)
                self.fragment_costs[key] = cost
        # Memoized whatever the depth it is spread at: a spread too deep anywhere is refused by the depth limit.
        return self.fragment_costs[key]

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The largest page argument given or defaulted; the page size limit when none is a number; None without any."""
        arguments = [name for name in PAGE_ARGUMENTS if name in definition.args]
        if not arguments:
            return None
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        sizes = [self._size(given.get(name), definition.args[name].default_value) for name in arguments]
        numbers = [size for size in sizes if size is not None]
        return max(numbers) if numbers else self.max_page_size

    def _size(self, node: ValueNode | None, default: Any) -> int | None:
        value = default
        if isinstance(node, VariableNode):
            value = self.variables.get(node.name.value, default)
        elif isinstance(node, IntValueNode):
            # A literal beyond Int fails validation; int() of thousands of digits would fail here first.
            value = int(node.value) if len(node.value) <= _INT_DIGITS else self.max_page_size
        elif node is not None:
            value = None  # null, or a value validation refuses
        if isinstance(value, int) and not isinstance(value, bool):
            # Beyond the page size limit it is refused by that limit, with the more telling message.
            return min(max(value, 0), self.max_page_size)
        return None


def _field_definition(schema: GraphQLSchema, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
    if name == "__schema" and parent is schema.query_type:
        return SchemaMetaFieldDef
    if name == "__type" and parent is schema.query_type:
        return TypeMetaFieldDef
    fields = getattr(parent, "fields", None)
    return fields.get(name) if fields else None
