"""The register as W3C Data Privacy Vocabulary (DPV 2.x) JSON-LD (RULES: ROP-03).

One ``dpv:Process`` per purpose, with its purpose, legal bases (the GDPR articles of the
DPV legal extension: UK GDPR keeps the numbering), personal data, data subjects,
recipients, storage conditions and transfers. The ``@context`` is inline, so a reader
needs no network. Where DPV has no term, dataward's own namespace ``dw:`` says it: DPA
2018 Schedule 1 conditions, PECR marketing channels and bases, DUAA recognised legitimate
interests (UK GDPR Art 6(1)(ea)), legal hold kinds, and the UK transfer tools (IDTA and
addendum). Each resource of the organisation is a URN: ``urn:dataward:<org>:<kind>:<id>``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dataward.errors import ExportError
from dataward.register.models import (
    Art9Condition,
    LawfulBasis,
    Offset,
    Register,
    RetentionRule,
    SpecialCategory,
    Trigger,
    Unspecified,
)
from dataward.register.wording import approximate_days

DW = "https://dataward.dev/ns/dpv-uk#"
CONTEXT: dict[str, Any] = {
    "dpv": "https://w3id.org/dpv#",
    "pd": "https://w3id.org/dpv/pd#",
    "eu-gdpr": "https://w3id.org/dpv/legal/eu/gdpr#",
    "dw": DW,
    "dct": "http://purl.org/dc/terms/",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
}

BASES: dict[LawfulBasis, str] = {
    LawfulBasis.CONSENT: "eu-gdpr:A6-1-a",
    LawfulBasis.CONTRACT: "eu-gdpr:A6-1-b",
    LawfulBasis.LEGAL_OBLIGATION: "eu-gdpr:A6-1-c",
    LawfulBasis.VITAL_INTERESTS: "eu-gdpr:A6-1-d",
    LawfulBasis.PUBLIC_TASK: "eu-gdpr:A6-1-e",
    LawfulBasis.LEGITIMATE_INTERESTS: "eu-gdpr:A6-1-f",
    # Art 6(1)(ea), added by the DUAA: DPV's GDPR extension has no such article.
    LawfulBasis.RECOGNISED_LEGITIMATE_INTERESTS: "dw:RecognisedLegitimateInterest",
}
BASIS_KINDS: dict[LawfulBasis, str] = {
    LawfulBasis.CONSENT: "dpv:Consent",
    LawfulBasis.CONTRACT: "dpv:Contract",
    LawfulBasis.LEGAL_OBLIGATION: "dpv:LegalObligation",
    LawfulBasis.VITAL_INTERESTS: "dpv:VitalInterest",
    LawfulBasis.PUBLIC_TASK: "dpv:PublicInterest",
    LawfulBasis.LEGITIMATE_INTERESTS: "dpv:LegitimateInterest",
    LawfulBasis.RECOGNISED_LEGITIMATE_INTERESTS: "dpv:LegitimateInterest",
}
ART9 = {c: f"eu-gdpr:A9-2-{letter}" for c, letter in zip(Art9Condition, "abcdefghij", strict=True)}
SPECIAL: dict[SpecialCategory, list[str]] = {
    SpecialCategory.RACIAL_OR_ETHNIC_ORIGIN: ["pd:Race", "pd:EthnicOrigin"],
    SpecialCategory.POLITICAL_OPINIONS: ["pd:PoliticalOpinion"],
    SpecialCategory.RELIGIOUS_OR_PHILOSOPHICAL_BELIEFS: ["pd:ReligiousBelief"],
    SpecialCategory.TRADE_UNION_MEMBERSHIP: ["pd:TradeUnionMembership"],
    SpecialCategory.GENETIC: ["pd:Genetic"],
    SpecialCategory.BIOMETRIC: ["pd:Biometric"],
    SpecialCategory.HEALTH: ["pd:Health"],
    SpecialCategory.SEX_LIFE: ["pd:SexualHistory"],
    SpecialCategory.SEXUAL_ORIENTATION: ["pd:SexualOrientation"],
}
ROLES = {
    "processor": "dpv:DataProcessor",
    "controller": "dpv:DataController",
    "joint_controller": "dpv:JointDataControllers",
    "public_authority": "dpv:Authority",
}
SAFEGUARDS = {
    "adequacy": "eu-gdpr:A45-3",
    "idta": "dw:InternationalDataTransferAgreement",
    "addendum": "dw:InternationalDataTransferAddendum",
    "contract": "dpv:Contract",
    "art49_derogation": "eu-gdpr:A49-1",
}

# Our own terms, declared in the output so a reader can see what each means.
VOCABULARY: list[dict[str, Any]] = [
    {
        "@id": "dw:RecognisedLegitimateInterest",
        "@type": "dpv:LegalBasis",
        "skos:broader": {"@id": "dpv:LegitimateInterest"},
        "rdfs:label": "Recognised legitimate interest (UK GDPR Art 6(1)(ea), DUAA 2025)",
    },
    {
        "@id": "dw:Schedule1Condition",
        "@type": "rdfs:Class",
        "rdfs:label": "Data Protection Act 2018 Schedule 1 condition",
    },
    {
        "@id": "dw:PECRChannel",
        "@type": "rdfs:Class",
        "rdfs:label": "Direct marketing channel under PECR 2003",
    },
    {"@id": "dw:LegalHold", "@type": "rdfs:Class", "rdfs:label": "Legal hold that stops deletion"},
    {
        "@id": "dw:InternationalDataTransferAgreement",
        "@type": "dpv:DataTransferLegalBasis",
        "rdfs:label": "ICO international data transfer agreement (IDTA)",
    },
    {
        "@id": "dw:InternationalDataTransferAddendum",
        "@type": "dpv:DataTransferLegalBasis",
        "rdfs:label": "ICO addendum to the EU standard contractual clauses",
    },
]


def to_dpv(register: Register) -> dict[str, Any]:
    """The register as one JSON-LD document (a ``@graph``)."""
    org = register.organisation
    base = f"urn:dataward:{org}:"
    context = {**CONTEXT, "reg": base}

    def ref(kind: str, key: str) -> dict[str, str]:
        return {"@id": f"reg:{kind}/{key}"}

    graph: list[dict[str, Any]] = [*VOCABULARY]
    controller = register.controller
    graph.append(
        {
            "@id": "reg:controller",
            "@type": "dpv:DataController",
            "dpv:hasName": controller.legal_name,
            "rdfs:label": controller.name,
            **({"dct:description": controller.description} if controller.description else {}),
            **(
                {"dpv:hasDataProtectionOfficer": {"@id": "reg:dpo"}}
                if register.dpo.appointed
                else {}
            ),
        }
    )
    if register.dpo.appointed:
        graph.append(
            {
                "@id": "reg:dpo",
                "@type": "dpv:DataProtectionOfficer",
                "rdfs:label": register.dpo.name or register.dpo.title or "Data protection officer",
            }
        )
    for g in register.subject_groups:
        graph.append(
            {
                "@id": f"reg:group/{g.id}",
                "@type": "dpv:DataSubject",
                "rdfs:label": g.name,
                **({"dct:description": g.description} if g.description else {}),
            }
        )
    for c in register.data_categories:
        kinds = ["dpv:PersonalData"]
        broader = []
        special = c.special_kind
        if special is not None:
            kinds.append("dpv:SpecialCategoryPersonalData")
            broader += SPECIAL[special]
        if c.criminal:
            kinds.append("dpv:SensitivePersonalData")
            broader.append("pd:CriminalOffense")
        node: dict[str, Any] = {"@id": f"reg:data/{c.id}", "@type": kinds, "rdfs:label": c.name}
        if broader:
            node["skos:broader"] = [{"@id": b} for b in broader]
        if c.items:
            node["dw:includes"] = list(c.items)
        if c.collected is False:
            node["dw:collected"] = False
        graph.append(node)
    for x in register.recipients:
        kinds = ["dpv:Recipient", *([ROLES[x.role]] if x.role in ROLES else [])]
        graph.append(
            {
                "@id": f"reg:recipient/{x.id}",
                "@type": kinds,
                "rdfs:label": x.name,
                **({"dpv:hasName": x.organisation} if x.organisation else {}),
            }
        )
    for hold in register.holds:
        graph.append(
            {
                "@id": f"reg:hold/{hold.id}",
                "@type": "dw:LegalHold",
                "rdfs:label": hold.name,
                **({"dw:holdKind": {"@id": f"dw:{hold.reason}"}} if hold.reason else {}),
            }
        )
    for p in register.purposes:
        graph.append(
            {
                "@id": f"reg:purpose/{p.id}",
                "@type": "dpv:Purpose",
                "dct:title": p.name,
                **({"dct:description": p.description} if p.description else {}),
            }
        )
        graph.append(_process(register, p, ref))
    for rule in register.retention_rules:
        graph.append(_storage(register, rule, ref))
    for t in register.transfers.items:
        graph.append(
            {
                "@id": f"reg:transfer/{t.id}",
                "@type": "dpv:Process",
                "dpv:hasProcessing": {"@id": "dpv:Transfer"},
                **({"dct:description": t.description} if t.description else {}),
                "dpv:hasDataController": {"@id": "reg:controller"},
                "dpv:hasLocation": [
                    {"@type": "dpv:Location", "rdfs:label": d} for d in t.destinations
                ],
                "dpv:hasRecipient": [ref("recipient", r) for r in t.recipients],
                "dpv:hasPersonalData": [ref("data", c) for c in t.categories],
                **(
                    {"dpv:hasLegalBasis": {"@id": SAFEGUARDS[t.safeguard]}}
                    if t.safeguard in SAFEGUARDS
                    else {}
                ),
            }
        )
    for ch in register.marketing.channels:
        graph.append(
            {
                "@id": f"reg:channel/{ch.id}",
                "@type": "dw:PECRChannel",
                "dw:channel": {"@id": f"dw:{ch.channel}"},
                **({"dw:pecrBasis": {"@id": f"dw:{ch.basis}"}} if ch.basis else {}),
                "dpv:hasDataSubject": [ref("group", g) for g in ch.subject_groups],
                "dpv:hasPurpose": [ref("purpose", p) for p in ch.purposes],
            }
        )
    # No top-level @id: with one, JSON-LD makes the graph a named graph that many readers
    # (rdflib's Graph among them) load as empty.
    return {"@context": context, "@graph": graph}


def _process(register: Register, p: Any, ref: Any) -> dict[str, Any]:
    bases = [b for b in p.bases if isinstance(b.basis, LawfulBasis)]
    node: dict[str, Any] = {
        "@id": f"reg:process/{p.id}",
        "@type": "dpv:Process",
        "dpv:hasPurpose": ref("purpose", p.id),
        "dpv:hasDataController": {"@id": "reg:controller"},
        "dpv:hasDataSubject": [ref("group", g) for g in p.subject_groups],
        "dpv:hasPersonalData": [ref("data", c) for c in p.categories],
        "dpv:hasLegalBasis": [{"@id": BASES[b.basis]} for b in bases]
        + [
            {"@id": ART9[sc.condition]}
            for sc in p.special_conditions
            if isinstance(sc.condition, Art9Condition)
        ],
        "dpv:hasRecipient": [
            ref("recipient", x.id) for x in register.recipients if p.id in x.purposes
        ],
        "dpv:hasStorageCondition": [
            ref("retention", r.id) for r in register.retention_rules if _covers(r, p)
        ],
    }
    interests = [b.legitimate_interest for b in bases if b.legitimate_interest]
    if interests:
        node["dw:legitimateInterest"] = interests
    schedule_1 = [
        {
            "@type": "dw:Schedule1Condition",
            "dw:part": sc.schedule_1.part,
            "dw:paragraph": sc.schedule_1.paragraph,
            "rdfs:label": sc.schedule_1.name,
        }
        for sc in p.special_conditions
        if sc.schedule_1 is not None
    ]
    if schedule_1:
        node["dw:schedule1Condition"] = schedule_1
    return node


def _covers(rule: RetentionRule, purpose: Any) -> bool:
    groups = set(rule.subject_groups) | set(rule.covers.all_data_of_groups)
    return bool(groups & set(purpose.subject_groups)) or bool(
        set(rule.covers.categories) & set(purpose.categories)
    )


def _storage(register: Register, rule: RetentionRule, ref: Any) -> dict[str, Any]:
    node: dict[str, Any] = {
        "@id": f"reg:retention/{rule.id}",
        "@type": ["dpv:StorageDuration", "dpv:StorageDeletion"],
        "rdfs:label": rule.name,
        "dw:hold": [ref("hold", h) for h in rule.holds],
    }
    if rule.action is not None:
        node["dw:action"] = {"@id": f"dw:{rule.action}"}
    duration = _duration(rule.offset)
    if duration is not None:
        node["dpv:hasDuration"] = {
            "@type": "dpv:UntilEventDuration" if rule.trigger else "dpv:TemporalDuration",
            "rdf:value": {"@value": duration, "@type": "xsd:duration"},
            **(
                {"dw:startsAt": [ref("event", e) for e in rule.trigger.any_of]}
                if isinstance(rule.trigger, Trigger)
                else {}
            ),
        }
    elif isinstance(rule.offset, Unspecified) or rule.offset is None:
        node["dpv:hasDuration"] = {"@type": "dpv:IndeterminateDuration"}
    if isinstance(rule.offset, Offset):
        # What xsd:duration cannot say: working days (SAR-03 calendars), end of the year.
        if rule.offset.working_days is not None:
            node["dw:workingDays"] = rule.offset.working_days
        if rule.offset.end_of_year_plus_years is not None:
            node["dw:endOfYearPlusYears"] = rule.offset.end_of_year_plus_years
    return node


def _duration(offset: Offset | Unspecified | None) -> str | None:
    """ISO 8601 duration of an offset; end-of-year offsets give their minimum."""
    if not isinstance(offset, Offset) or approximate_days(offset) is None:
        return None
    if offset.days is not None:
        return f"P{offset.days}D"
    if offset.working_days is not None:
        return f"P{offset.working_days}D"  # a minimum: dw:workingDays gives the rule
    if offset.months is not None:
        return f"P{offset.months}M"
    years = offset.years if offset.years is not None else offset.end_of_year_plus_years
    return f"P{years}Y"


def write_dpv(register: Register, path: Path) -> None:
    """Write the JSON-LD file; the file appears whole or not at all."""
    text = json.dumps(to_dpv(register), indent=2, ensure_ascii=False) + "\n"
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_text(text, encoding="utf-8")
        partial.replace(path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise ExportError(f"cannot write {path}: {error.strerror or error}") from None
