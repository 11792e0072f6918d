"""Bounds on every request, checked before anything runs; each refusal is a LIMIT_EXCEEDED top-level error.

Tokens are bounded while parsing (`CachedParse`), depth and aliases by Strawberry's validators with
the code added (`coded_limit_rules`). `RequestLimits` checks what needs the variables too: page sizes
(`first`/`last`) and list lengths (bulk ids, lines, imports), wherever they appear in arguments, and
text that no store may hold (a NUL character: GRAPHQL_VALIDATION_FAILED).
The cost of a whole batch is `schema.cost`'s, the body size `schema.request_body`'s.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import graphql
from graphql import (
    ArgumentNode,
    DocumentNode,
    ExecutionResult,
    IntValueNode,
    ListValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    StringValueNode,
    ValidationContext,
    ValueNode,
    VariableNode,
    Visitor,
    visit,
)
from strawberry.extensions import SchemaExtension

from schema import errors
from schema.errors import ClientError, TopLevelCode

# Distinct query texts kept parsed; bounded, so unique texts cannot grow memory.
CACHED_DOCUMENTS = 256
_INT_DIGITS = 11  # "-2147483648": a longer literal is no Int


@functools.lru_cache(maxsize=CACHED_DOCUMENTS)
def parse_document(query: str, max_tokens: int) -> DocumentNode:
    """The parsed document (shared: never change it), or a GraphQLSyntaxError; over `max_tokens` is one too."""
    return graphql.parse(query, max_tokens=max_tokens)


class CachedParse(SchemaExtension):
    """Parse each distinct text once, for the cost estimate and the operation alike, within the token limit."""

    def __init__(self, *, max_tokens: int) -> None:
        self.max_tokens = max_tokens

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.query is not None:
            context.graphql_document = parse_document(context.query, self.max_tokens)
        yield


def coded_limit_rules(rules: list[type[graphql.ASTValidationRule]]) -> list[type[graphql.ASTValidationRule]]:
    """The same validation rules, their errors coded LIMIT_EXCEEDED (Strawberry's limiters give no code)."""
    return [_coded(rule) for rule in rules]


def _coded(rule: type[graphql.ASTValidationRule]) -> type[graphql.ASTValidationRule]:
    class CodedLimit(rule):  # type: ignore[valid-type,misc]
        def __init__(self, context: ValidationContext) -> None:
            # The limiters report from their constructor, through the context.
            report = context.on_error
            context.on_error = lambda error: report(errors.coded(error, TopLevelCode.LIMIT_EXCEEDED))  # type: ignore[method-assign]
            try:
                super().__init__(context)
            finally:
                context.on_error = report  # type: ignore[method-assign]

    CodedLimit.__name__ = f"Coded{rule.__name__}"
    return CodedLimit


PAGE_ARGUMENTS = frozenset({"first", "last"})
# Matched against names and numbers of at most 255 characters: a longer one finds nothing but costs a scan.
MAX_SEARCH_LENGTH = 255


class RequestLimits(SchemaExtension):
    """Page sizes and list lengths (LIMIT_EXCEEDED); text PostgreSQL cannot hold and over-long searches."""

    def __init__(self, *, max_page_size: int, max_list_length: int) -> None:
        self.max_page_size = max_page_size
        self.max_list_length = max_list_length

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None and context.result is None:
            refusal = self._first_refusal(document, context.variables or {})
            if refusal is not None:
                context.result = ExecutionResult(data=None, errors=[refusal])
        yield

    def _first_refusal(self, document: DocumentNode, given: dict[str, Any]) -> ClientError | None:
        refusals: list[ClientError] = []
        check = self._check
        # A variable's default is as much the request's as a value given for it.
        variables = {**_variable_defaults(document), **given}

        class _ArgumentVisitor(Visitor):
            def enter_argument(self, node: ArgumentNode, *_: Any) -> None:
                refusals.extend(check(node.name.value, _resolve(node.value, variables)))

        # Fragments too: an argument there is as much the request's as one in the operation.
        visit(document, _ArgumentVisitor())
        return refusals[0] if refusals else None

    def _check(self, name: str, value: Any) -> Iterator[ClientError]:
        if name in PAGE_ARGUMENTS and isinstance(value, int) and not isinstance(value, bool):
            if value > self.max_page_size:
                yield ClientError(f"`{name}` may be at most {self.max_page_size}.", code=TopLevelCode.LIMIT_EXCEEDED)
            if value < 0:
                yield ClientError(f"`{name}` may not be negative.", code=TopLevelCode.LIMIT_EXCEEDED)
        longest = 0
        for key, item in _parts(name, value):
            if isinstance(item, list):
                longest = max(longest, len(item))
            elif isinstance(item, str):
                if "\x00" in item:
                    yield ClientError(f"`{key}` holds a NUL character (U+0000), which text may not hold.")
                if key == "search" and len(item) > MAX_SEARCH_LENGTH:
                    yield ClientError(f"`search` may be at most {MAX_SEARCH_LENGTH} characters.")
        if longest > self.max_list_length:
            yield ClientError(
                f"`{name}` may hold at most {self.max_list_length} items.", code=TopLevelCode.LIMIT_EXCEEDED
            )


def _resolve(node: ValueNode, variables: dict[str, Any]) -> Any:
    """The plain value of an argument, with variables filled in."""
    if isinstance(node, VariableNode):
        return variables.get(node.name.value)
    if isinstance(node, IntValueNode):
        # Not int(): a literal of thousands of digits would be a Python error; validation refuses it as an Int.
        return int(node.value) if len(node.value) <= _INT_DIGITS else None
    if isinstance(node, StringValueNode):
        return node.value
    if isinstance(node, ListValueNode):
        return [_resolve(item, variables) for item in node.values]
    if isinstance(node, ObjectValueNode):
        return {field.name.value: _resolve(field.value, variables) for field in node.fields}
    return None


def _variable_defaults(document: DocumentNode) -> dict[str, Any]:
    return {
        definition.variable.name.value: _resolve(definition.default_value, {})
        for operation in document.definitions
        if isinstance(operation, OperationDefinitionNode)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }


def _parts(name: str, value: Any) -> Iterator[tuple[str, Any]]:
    """The value and everything inside it, each with the name of the field holding it; iterative, as variables
    may nest as deep as JSON allows."""
    pending = [(name, value)]
    while pending:
        key, item = pending.pop()
        yield key, item
        if isinstance(item, dict):
            pending.extend((str(field), inner) for field, inner in item.items())
            pending.extend((key, str(field)) for field in item)  # the keys of a JSON value are text too
        elif isinstance(item, list):
            pending.extend((key, inner) for inner in item)
