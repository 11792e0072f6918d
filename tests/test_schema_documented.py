"""The served schema is documented (design.md, Operating it): descriptions everywhere, the SDL committed.

Coverage is counted over the built GraphQL schema, per kind of element, so a new field, argument or enum
value without a description shows up by name; the committed `schema.graphql` is compared with what
`ordergraph schema` prints, as a client code generator reads it.
"""

from __future__ import annotations

import dataclasses
import enum
import pathlib
import subprocess
import sys

import graphql
import pytest

from models.settings import Settings
from schema import enums, root

MINIMUM_SHARE = 0.95
BUILT_IN_SCALARS = {"String", "Int", "Float", "Boolean", "ID"}
COMMITTED_SDL = pathlib.Path(__file__).resolve().parent.parent / "schema.graphql"
REGENERATE = "make update-schema (or .venv/bin/ordergraph schema > schema.graphql)"


@dataclasses.dataclass
class Coverage:
    """Described and undescribed elements of one kind, by name."""

    described: list[str] = dataclasses.field(default_factory=list)
    missing: list[str] = dataclasses.field(default_factory=list)

    def add(self, name: str, description: str | None) -> None:
        (self.described if description and description.strip() else self.missing).append(name)

    @property
    def share(self) -> float:
        total = len(self.described) + len(self.missing)
        return len(self.described) / total if total else 1.0


def coverage(schema: graphql.GraphQLSchema) -> dict[str, Coverage]:
    """Each kind of schema element, with which of them have a description (introspection and built-ins left out)."""
    kinds = {kind: Coverage() for kind in ("types", "output fields", "input fields", "arguments", "enum values")}
    for name, named in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        kinds["types"].add(name, named.description)
        if isinstance(named, graphql.GraphQLObjectType | graphql.GraphQLInterfaceType):
            for field_name, field in named.fields.items():
                kinds["output fields"].add(f"{name}.{field_name}", field.description)
                for argument_name, argument in field.args.items():
                    kinds["arguments"].add(f"{name}.{field_name}({argument_name})", argument.description)
        elif isinstance(named, graphql.GraphQLInputObjectType):
            for field_name, input_field in named.fields.items():
                kinds["input fields"].add(f"{name}.{field_name}", input_field.description)
        elif isinstance(named, graphql.GraphQLEnumType):
            for value_name, value in named.values.items():
                kinds["enum values"].add(f"{name}.{value_name}", value.description)
    return kinds


def descriptions(schema: graphql.GraphQLSchema) -> dict[str, str]:
    """Every description of the schema's own elements, by the element's name as `coverage` names it."""
    found: dict[str, str] = {}
    for name, named in schema.type_map.items():
        if name.startswith("__") or name in BUILT_IN_SCALARS:
            continue
        found[name] = named.description or ""
        for field_name, field in getattr(named, "fields", {}).items():
            found[f"{name}.{field_name}"] = field.description or ""
            for argument_name, argument in getattr(field, "args", {}).items():
                found[f"{name}.{field_name}({argument_name})"] = argument.description or ""
        for value_name, value in getattr(named, "values", {}).items():
            found[f"{name}.{value_name}"] = value.description or ""
    return found


SERVED = root.build(Settings())._schema


@pytest.mark.parametrize("kind", ["types", "output fields", "input fields", "arguments", "enum values"])
def test_the_served_schema_is_described(kind: str) -> None:
    counted = coverage(SERVED)[kind]

    assert counted.share >= MINIMUM_SHARE, f"{kind}: {counted.share:.0%} described; without one: {counted.missing}"


def test_a_description_says_more_than_the_name() -> None:
    def bare(name: str) -> set[str]:
        last = name.rsplit(".", 1)[-1].split("(")[-1].rstrip(")").lower()
        return {last, f"the {last}", f"the {last} field", f"the {last} argument", f"{last} field"}

    filler = [name for name, text in descriptions(SERVED).items() if text.lower().strip(" .") in bare(name)]

    assert filler == []


def test_the_custom_scalars_say_their_format() -> None:
    scalars = {name: SERVED.type_map[name].description or "" for name in ("Decimal", "DateTime", "JSON")}

    assert '"1249.50"' in scalars["Decimal"]
    assert "never a float" in scalars["Decimal"]
    assert "ISO 8601" in scalars["DateTime"]
    assert "time zone" in scalars["DateTime"]
    assert "ECMA-404" in scalars["JSON"]
    assert '"12.50"' in scalars["JSON"]


def test_coverage_names_what_has_no_description() -> None:
    schema = graphql.build_schema(
        '''
        """Described."""
        type Query {
          """Described."""
          order(id: ID, """Described.""" secret: String): Kind
          bare: String
        }
        enum Kind { """Described.""" CART ORDER }
        input Filter { kind: Kind }
        '''
    )

    counted = coverage(schema)

    assert counted["types"].missing == ["Kind", "Filter"]
    assert counted["output fields"].missing == ["Query.bare"]
    assert counted["arguments"].missing == ["Query.order(id)"]
    assert counted["enum values"].missing == ["Kind.ORDER"]
    assert counted["input fields"].missing == ["Filter.kind"]
    assert counted["arguments"].share == 0.5


def test_a_described_enum_needs_every_value_described() -> None:
    class Colour(enum.StrEnum):
        RED = "RED"
        BLUE = "BLUE"

    with pytest.raises(ValueError, match="BLUE"):
        enums.described(Colour, name="Colour", description="A colour.", values={"RED": "Red."})


def test_the_committed_schema_is_what_the_service_serves() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "ordergraph", "schema"], capture_output=True, text=True, timeout=120, check=True
    ).stdout

    assert COMMITTED_SDL.exists(), f"schema.graphql is missing: run {REGENERATE}"
    assert COMMITTED_SDL.read_text() == printed, (
        f"schema.graphql differs from what the service serves: run {REGENERATE} and commit it"
    )
