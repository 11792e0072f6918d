"""Bounds on every request, checked before anything runs.

Depth, aliases and tokens are Strawberry's own validators (see `schema.root`).
This extension adds what needs the variables too: page sizes (`first`/`last`)
and list lengths (bulk ids, lines, imports), wherever they appear in arguments.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from graphql import (
    ArgumentNode,
    ExecutionResult,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from schema.errors import ClientError

PAGE_ARGUMENTS = frozenset({"first", "last"})


class RequestLimits(SchemaExtension):
    def __init__(self, *, max_page_size: int, max_list_length: int) -> None:
        self.max_page_size = max_page_size
        self.max_list_length = max_list_length

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            problem = self._first_problem(document, context.variables or {})
            if problem is not None:
                context.result = ExecutionResult(data=None, errors=[ClientError(problem)])
        yield

    def _first_problem(self, document: Any, variables: dict[str, Any]) -> str | None:
        problems: list[str] = []
        limits = self

        class _ArgumentVisitor(Visitor):
            def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
                name = node.name.value
                if name in PAGE_ARGUMENTS:
                    size = _resolve(node.value, variables)
                    if isinstance(size, int) and size > limits.max_page_size:
                        problems.append(f"`{name}` may be at most {limits.max_page_size}.")
                    if isinstance(size, int) and size < 0:
                        problems.append(f"`{name}` may not be negative.")
                length = _longest_list(_resolve(node.value, variables))
                if length > limits.max_list_length:
                    problems.append(f"`{name}` may hold at most {limits.max_list_length} items.")

        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                visit(definition, _ArgumentVisitor())
        return problems[0] if problems else None


def _resolve(node: ValueNode, variables: dict[str, Any]) -> Any:
    """The plain value of an argument, with variables filled in."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        return int(node.value)
    if isinstance(node, ListValueNode):
        return [_resolve(item, variables) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {field.name.value: _resolve(field.value, variables) for field in node.fields}
    return None


def _longest_list(value: Any) -> int:
    if isinstance(value, list):
        return max([len(value), *(_longest_list(item) for item in value)])
    if isinstance(value, dict):
        return max([0, *(_longest_list(item) for item in value.values())])
    return 0
