"""The frameworks a control's `Compliance.RelatedRequirements` names, and the requirements of each that the
controls map to (docs/CONTROLS.md "Framework mappings" cites the sources).

A requirement is written as its framework spells it in Security Hub's own findings: `NIST.800-53.r5 CM-2`,
`Security Hub CSPM ECR.1`; CIS Controls v8 safeguards as `CIS Controls v8/2.5`, the way Security Hub writes
its other CIS and PCI requirements (`PCI DSS v4.0.1/6.2.3`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Framework:
    name: str
    """What `controls --framework NAME` accepts."""
    title: str
    prefix: str
    """How a requirement of this framework starts in `RelatedRequirements`."""
    requirements: Mapping[str, str]
    """Requirement id -> its title; empty when any id is accepted (Security Hub's control ids)."""

    def requirement(self, requirement_id: str) -> str:
        """The `RelatedRequirements` entry for `requirement_id`; `ValueError` for an id the catalogue lacks."""
        if self.requirements and requirement_id not in self.requirements:
            raise ValueError(f"{requirement_id!r} is not a {self.title} requirement this product knows")
        return f"{self.prefix}{requirement_id}"

    def requirement_id(self, related: str) -> str | None:
        """The id of a `RelatedRequirements` entry of this framework, None for another framework's."""
        return related.removeprefix(self.prefix) if related.startswith(self.prefix) else None


NIST_800_53 = Framework(
    name="nist-800-53",
    title="NIST SP 800-53 Rev. 5",
    prefix="NIST.800-53.r5 ",
    requirements={
        "AC-3": "Access Enforcement",
        "AC-6": "Least Privilege",
        "AC-21": "Information Sharing",
        "CM-2": "Baseline Configuration",
        "CM-6": "Configuration Settings",
        "CM-7": "Least Functionality",
        "CM-7(5)": "Least Functionality | Authorized Software — Allow-by-exception",
        "CM-14": "Signed Components",
        "RA-5": "Vulnerability Monitoring and Scanning",
        "SA-22": "Unsupported System Components",
        "SC-28": "Protection of Information at Rest",
        "SC-28(1)": "Protection of Information at Rest | Cryptographic Protection",
        "SI-2": "Flaw Remediation",
        "SI-7": "Software, Firmware, and Information Integrity",
        "SI-7(15)": "Software, Firmware, and Information Integrity | Code Authentication",
        "SR-3": "Supply Chain Controls and Processes",
        "SR-4": "Provenance",
        "SR-11": "Component Authenticity",
    },
)

CIS_V8 = Framework(
    name="cis-v8",
    title="CIS Controls v8",
    prefix="CIS Controls v8/",
    requirements={
        "2.2": "Ensure Authorized Software is Currently Supported",
        "2.5": "Allowlist Authorized Software",
        "2.6": "Allowlist Authorized Libraries",
        "3.3": "Configure Data Access Control Lists",
        "3.11": "Encrypt Sensitive Data at Rest",
        "4.1": "Establish and Maintain a Secure Configuration Process",
        "7.3": "Perform Automated Operating System Patch Management",
        "7.4": "Perform Automated Application Patch Management",
        "7.5": "Perform Automated Vulnerability Scans of Internal Enterprise Assets",
        "7.7": "Remediate Detected Vulnerabilities",
        "16.5": "Use Up-to-Date and Trusted Third-Party Software Components",
        "16.7": "Use Standard Hardening Configuration Templates for Application Infrastructure",
    },
)

WELL_ARCHITECTED = Framework(
    name="well-architected",
    title="AWS Well-Architected Framework",
    prefix="AWS Well-Architected ",
    requirements={"SEC06-BP02": "Provision compute from hardened images"},
)

SECURITY_HUB = Framework(
    name="security-hub",
    title="AWS Security Hub CSPM controls",
    prefix="Security Hub CSPM ",
    requirements={},
)

FRAMEWORKS = (WELL_ARCHITECTED, NIST_800_53, CIS_V8, SECURITY_HUB)
ALIASES = {
    "nist": NIST_800_53,
    "nist-800-53-r5": NIST_800_53,
    "nist-sp-800-53": NIST_800_53,
    "cis": CIS_V8,
    "cis-controls-v8": CIS_V8,
    "securityhub": SECURITY_HUB,
    "security-hub-cspm": SECURITY_HUB,
    "wa": WELL_ARCHITECTED,
    "aws-well-architected": WELL_ARCHITECTED,
}


def framework_named(name: str) -> Framework:
    """The framework `name` (case-insensitive, or an alias); `ValueError` naming the known ones."""
    wanted = name.strip().lower()
    for framework in FRAMEWORKS:
        if framework.name == wanted:
            return framework
    if wanted in ALIASES:
        return ALIASES[wanted]
    raise ValueError(f"unknown framework {name!r}: use one of {', '.join(f.name for f in FRAMEWORKS)}")
