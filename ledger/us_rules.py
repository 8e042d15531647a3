"""United States: per-state late-payment rules as data, each with its citation and sources.

Only states whose rule this ledger knows are listed; ``us_rule_for`` answers a
rule with no statutory rate for any other ``US-*`` jurisdiction, so the basis of
a claim says plainly that none is known (contractual interest still applies).
This is data about the law, not legal advice: the texts behind each figure are
named in ``sources``.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class FreelanceRule:
    """A freelance-worker payment statute: who it protects, the default due date and the remedy for late pay."""

    name: str
    citation: str
    effective_from: str  # contracts signed on or after this day
    threshold_minor: int  # contract value (USD cents) from which a written contract is required
    default_due_days: int  # payment due this many days after completion when no date was agreed
    damages_multiple: int  # 2: double damages, i.e. an additional amount equal to what was paid late or not at all
    sources: tuple[str, ...]


@dataclass(frozen=True)
class UsRule:
    jurisdiction: str
    state: str
    annual_rate_percent: Decimal | None  # statutory simple interest on a contract debt; None: none known
    consumer_rate_percent: Decimal | None  # a lower rate on a consumer debt owed by an individual, if the state has one
    citation: str
    consumer_citation: str
    sources: tuple[str, ...]
    freelance: tuple[FreelanceRule, ...] = ()
    demand_before_filing: str = ""  # a step the state's small-claims court expects before a claim is filed


NY_FIFA = FreelanceRule(
    name="Freelance Isn't Free Act",
    citation="New York State Freelance Isn't Free Act (General Business Law Article 44-A, in force 2024-08-28) and, "
    "in New York City, Local Law 140 of 2016 (Administrative Code section 20-927 et seq.)",
    effective_from="2024-08-28",
    threshold_minor=80_000,
    default_due_days=30,
    damages_multiple=2,
    sources=(
        "https://www.nysenate.gov/legislation/laws/GBS/A44-A",
        "https://www.nyc.gov/site/dca/about/freelance-isnt-free-act.page",
    ),
)

US_RULES: dict[str, UsRule] = {
    "US-NY": UsRule(
        jurisdiction="US-NY",
        state="New York",
        annual_rate_percent=Decimal(9),
        consumer_rate_percent=Decimal(2),
        citation="N.Y. CPLR 5001 (interest from the date of breach on a contract claim) and CPLR 5004 (9% a year)",
        consumer_citation="N.Y. CPLR 5004 as amended in 2022 (2% a year in an action on a consumer debt against a "
        "natural person)",
        sources=(
            "https://www.nysenate.gov/legislation/laws/CVP/5001",
            "https://www.nysenate.gov/legislation/laws/CVP/5004",
        ),
        freelance=(NY_FIFA,),
    ),
    "US-CA": UsRule(
        jurisdiction="US-CA",
        state="California",
        annual_rate_percent=Decimal(10),
        consumer_rate_percent=None,
        citation="California Civil Code section 3289(b) (10% a year after a breach of a contract that stipulates no "
        "rate)",
        consumer_citation="",
        sources=("https://leginfo.legislature.ca.gov/faces/codes_displaySection.xhtml?lawCode=CIV&sectionNum=3289",),
        demand_before_filing="California small claims (form SC-100) asks whether the claimant demanded payment "
        "before filing: this letter is that demand.",
    ),
}


def us_rule_for(jurisdiction: str) -> UsRule:
    """The state's rule, or one with no statutory rate ("no statutory rate known") for any other US state."""
    known = US_RULES.get(jurisdiction)
    if known is not None:
        return known
    return UsRule(
        jurisdiction=jurisdiction,
        state=jurisdiction,
        annual_rate_percent=None,
        consumer_rate_percent=None,
        citation=f"no statutory rate known to this ledger for {jurisdiction}",
        consumer_citation="",
        sources=(),
    )


def freelance_rule_for(
    rule: UsRule, *, supplier_kind: str, currency: str, total: int, signed_on: str
) -> FreelanceRule | None:
    """The freelance statute that protects this contract: an individual supplier paid in USD, at or over the
    statute's threshold, signed on or after it came into force."""
    for found in rule.freelance:
        if (
            supplier_kind == "individual"
            and currency == "USD"
            and total >= found.threshold_minor
            and signed_on >= found.effective_from
        ):
            return found
    return None
