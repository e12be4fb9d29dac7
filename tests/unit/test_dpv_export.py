"""The W3C DPV 2.x JSON-LD export, read back with rdflib and queried (ROP-03)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from typer.testing import CliRunner

from dataward.cli.app import app
from dataward.register.exports.dpv import CONTEXT, to_dpv
from dataward.register.loader import load_register
from dataward.register.models import LawfulBasis, Register

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = {
    "jtr": ROOT / "examples" / "jtr-collections.yaml",
    "jjh": ROOT / "examples" / "johnnie-johnson-housing.yaml",
    "r3": ROOT / "examples" / "r3-repairs.yaml",
}
DPV = Namespace("https://w3id.org/dpv#")
PD = Namespace("https://w3id.org/dpv/pd#")
DW = Namespace("https://dataward.dev/ns/dpv-uk#")
PREFIXES = """
PREFIX dpv: <https://w3id.org/dpv#>
PREFIX pd: <https://w3id.org/dpv/pd#>
PREFIX eu-gdpr: <https://w3id.org/dpv/legal/eu/gdpr#>
PREFIX dw: <https://dataward.dev/ns/dpv-uk#>
PREFIX dct: <http://purl.org/dc/terms/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
"""


@cache
def register(name: str) -> Register:
    return load_register(EXAMPLES[name]).register


@cache
def graph(name: str) -> Graph:
    g = Graph()
    g.parse(data=json.dumps(to_dpv(register(name))), format="json-ld")
    return g


def titles(name: str, query: str) -> set[str]:
    return {str(row[0]) for row in graph(name).query(PREFIXES + query)}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_it_answers_which_purposes_rely_on_legitimate_interests(name: str) -> None:
    expected = {
        p.name
        for p in register(name).purposes
        if any(b.basis == LawfulBasis.LEGITIMATE_INTERESTS for b in p.bases)
    }
    assert expected, "each example relies on legitimate interests somewhere"

    found = titles(
        name,
        """SELECT ?title WHERE {
             ?process a dpv:Process ; dpv:hasPurpose ?purpose ;
                      dpv:hasLegalBasis eu-gdpr:A6-1-f .
             ?purpose dct:title ?title }""",
    )

    assert found == expected


def test_the_context_is_inline_so_no_network_is_needed() -> None:
    doc = to_dpv(register("r3"))

    assert isinstance(doc["@context"], dict)
    assert doc["@context"]["dpv"] == "https://w3id.org/dpv#"
    assert doc["@context"]["reg"] == "urn:dataward:r3_repairs:"
    assert set(CONTEXT) <= set(doc["@context"])


def test_it_types_special_category_data_with_dpv_and_pd_terms() -> None:
    found = titles(
        "jjh",
        """SELECT ?label WHERE {
             ?data a dpv:SpecialCategoryPersonalData ; rdfs:label ?label ;
                   skos:broader ?pd . FILTER(STRSTARTS(STR(?pd), STR(pd:))) }""".replace(
            "skos:broader", "<http://www.w3.org/2004/02/skos/core#broader>"
        ),
    )
    expected = {c.name for c in register("jjh").data_categories if c.special_category}
    assert expected
    assert found == expected


def test_it_uses_our_namespace_for_what_dpv_lacks() -> None:
    g = graph("jtr")

    holds = list(g.subjects(predicate=URIRef(str(DW) + "holdKind")))
    assert len(holds) == len(register("jtr").holds) > 0
    rdf_type = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    assert (DW.RecognisedLegitimateInterest, rdf_type, URIRef(str(DPV) + "LegalBasis")) in g
    rdfs_label = URIRef("http://www.w3.org/2000/01/rdf-schema#label")
    label = g.value(DW.RecognisedLegitimateInterest, rdfs_label)
    assert label == Literal("Recognised legitimate interest (UK GDPR Art 6(1)(ea), DUAA 2025)")


def test_it_gives_retention_as_an_iso_duration() -> None:
    rows = list(
        graph("jtr").query(
            PREFIXES
            + """SELECT ?label ?value WHERE {
                   ?rule a dpv:StorageDuration ; rdfs:label ?label ; dpv:hasDuration ?d .
                   ?d <http://www.w3.org/1999/02/22-rdf-syntax-ns#value> ?value }"""
        )
    )
    durations = {str(label): str(value) for label, value in rows}
    assert durations["BWV recordings of visit interactions"] == "P90D"


def test_the_cli_writes_a_file_rdflib_reads(tmp_path: Path) -> None:
    out = tmp_path / "register.jsonld"

    result = CliRunner().invoke(app, ["export", "dpv", str(EXAMPLES["r3"]), "-o", str(out)])

    assert result.exit_code == 0, result.output
    g = Graph().parse(out, format="json-ld")
    processes = set(g.subjects(predicate=None, object=DPV.Process))
    assert len(processes) >= len(register("r3").purposes)
    assert not (tmp_path / "register.jsonld.partial").exists()
