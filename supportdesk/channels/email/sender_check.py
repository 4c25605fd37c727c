"""Whether a message's From can be believed, decided the way the sender's domain asks (DMARC):

- PASS: a DKIM signature of the From domain (or its organization's) verifies, or the mail
  server named by the mailbox's ``authserv_id`` says DMARC, or aligned DKIM or SPF, passed;
- FAIL: neither, and the domain publishes ``p=quarantine`` or ``p=reject``: the message is
  not the customer's, whatever its From says;
- NONE: the domain publishes no policy (or ``p=none``), or DNS could not answer in time:
  the sender is taken at their word, and the case says so.

SPF needs the connecting server's address, which only the receiving server knows: its
verdict counts through Authentication-Results. DNS goes through the resolver that
``MAIL_DNS_RESOLVER`` names (``system``, ``off``, or nameserver addresses); tests set a
dnspython ``Resolver`` there. One lookup that fails stops the check: a slow DNS costs each
message a couple of seconds at most, never a guess.
"""

import logging
import re
from dataclasses import dataclass
from functools import lru_cache

import authres
import dkim
import dns.exception
import dns.resolver
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from supportdesk.channels.email.mime import ParsedMail
from supportdesk.channels.email.models import SenderCheck

log = logging.getLogger(__name__)

_DOMAIN = re.compile(r"^(?=.{1,253}$)(?:(?!-)[a-z0-9-]{1,63}(?<!-)\.)+[a-z][a-z0-9-]{0,62}$")
_ENFORCED = frozenset({"quarantine", "reject"})
#: Queries of the DMARC tree walk (RFC 7489's organizational domain, found without a list).
_MAX_WALK = 8


@dataclass(frozen=True)
class Verdict:
    check: str
    #: The From domain the verdict is about ("" when the From has none that DNS could hold).
    domain: str = ""


@dataclass(frozen=True)
class _Policy:
    request: str
    #: The domain whose ``_dmarc`` record applies: the From domain or its organization's.
    found_at: str
    strict_dkim: bool


class _DnsTrouble(Exception):
    """A lookup timed out or the servers failed: no verdict can be trusted."""


def check(raw: bytes, parsed: ParsedMail, *, authserv_id: str = "") -> Verdict:
    """The verdict on the sender of ``raw`` (``parsed`` is the same message, parsed)."""
    domain = _from_domain(parsed)
    if not domain:
        return Verdict(SenderCheck.NONE)
    if authserv_id and _trusted_server_passed(parsed, authserv_id, domain):
        return Verdict(SenderCheck.PASS, domain)
    resolver = configured_resolver()
    if resolver is None:
        return Verdict(SenderCheck.NONE, domain)
    try:
        policy = _policy(resolver, domain)
        if _dkim_passes(raw, parsed, resolver, domain, policy):
            return Verdict(SenderCheck.PASS, domain)
    except _DnsTrouble as trouble:
        log.warning("sender of %s not checked: %s", domain, trouble)
        return Verdict(SenderCheck.NONE, domain)
    if policy is not None and policy.request in _ENFORCED:
        return Verdict(SenderCheck.FAIL, domain)
    return Verdict(SenderCheck.NONE, domain)


def _from_domain(parsed: ParsedMail) -> str:
    domain = parsed.from_address.rpartition("@")[2].strip().rstrip(".").lower()
    if not domain:
        return ""
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        return ""
    return domain if _DOMAIN.match(domain) else ""


def _within(child: str, parent: str) -> bool:
    return child == parent or child.endswith("." + parent)


def _aligned(other: str, domain: str, organization: str = "", *, strict: bool = False) -> bool:
    """DMARC's alignment of a signing (or envelope) domain with the From domain: the same
    domain, or (relaxed) one of the same organization."""
    other = other.strip().strip('"').rstrip(".").lower()
    if strict or "." not in other:
        return other == domain
    if _within(domain, other) or _within(other, domain):
        return True
    return bool(organization) and _within(domain, organization) and _within(other, organization)


# --- a trusted server's Authentication-Results (RFC 8601) ------------------------------------


def _trusted_server_passed(parsed: ParsedMail, authserv_id: str, domain: str) -> bool:
    """What the receiving server found, from the topmost header carrying its id: it writes
    its own above anything the sender wrote, and a header with any other id is ignored."""
    for value in parsed.headers.get("authentication-results", []):
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except authres.AuthResError:
            continue
        if str(header.authserv_id).lower() == authserv_id.strip().lower():
            return any(_passes(result, domain) for result in header.results)
    return False


def _passes(result, domain: str) -> bool:
    if str(result.result).lower() != "pass":
        return False
    found = {f"{p.type}.{p.name}".lower(): str(p.value or "").lower() for p in result.properties}
    method = str(result.method).lower()
    if method == "dmarc":
        return _aligned(found.get("header.from", domain), domain, strict=True)
    if method == "dkim":
        return _aligned(found.get("header.d", ""), domain)
    if method == "spf":
        return _aligned(found.get("smtp.mailfrom", "").rpartition("@")[2], domain)
    return False


# --- DNS --------------------------------------------------------------------------------------


def configured_resolver() -> dns.resolver.Resolver | None:
    """The resolver ``MAIL_DNS_RESOLVER`` names; None when lookups are off."""
    value = settings.MAIL_DNS_RESOLVER
    if isinstance(value, dns.resolver.Resolver):
        return value
    return _resolver(str(value).strip().lower())


@lru_cache(maxsize=4)
def _resolver(value: str) -> dns.resolver.Resolver | None:
    if value in ("", "off"):
        return None
    if value == "system":
        try:
            resolver = dns.resolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            log.warning("no DNS resolver configured on this system: senders are not checked")
            return None
    else:
        resolver = dns.resolver.Resolver(configure=False)
        try:
            resolver.nameservers = [a.strip() for a in value.split(",") if a.strip()]
        except ValueError:
            raise ImproperlyConfigured(
                f"MAIL_DNS_RESOLVER={value!r}: use system, off or nameserver addresses"
            ) from None
    resolver.cache = dns.resolver.LRUCache()
    return resolver


def _txt(resolver: dns.resolver.Resolver, name: str) -> list[bytes]:
    """The TXT records at ``name``; none when it does not exist."""
    try:
        answer = resolver.resolve(
            name, "TXT", lifetime=settings.MAIL_DNS_TIMEOUT_SECONDS, search=False
        )
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return []
    except dns.exception.DNSException as exc:
        raise _DnsTrouble(f"{name}: {exc}") from exc
    return [b"".join(record.strings) for record in answer]


def _walk(domain: str) -> list[str]:
    """The From domain, then its parents down to two labels (at most eight names)."""
    labels = domain.split(".")
    parents = [".".join(labels[i:]) for i in range(1, len(labels) - 1)]
    return [domain, *parents[-(_MAX_WALK - 1) :]]


def _policy(resolver: dns.resolver.Resolver, domain: str) -> _Policy | None:
    """The DMARC policy that applies to ``domain``: its own record, or the nearest parent's
    (whose ``sp`` governs subdomains)."""
    for name in _walk(domain):
        records = [
            r
            for r in _txt(resolver, f"_dmarc.{name}")
            if re.match(rb"v\s*=\s*DMARC1\s*(;|$)", r, re.I)
        ]
        if len(records) != 1:
            continue  # none, or several (which counts as none)
        tags = _tags(records[0].decode("ascii", "replace"))
        request = tags.get("p", "none")
        if name != domain:
            request = tags.get("sp", request)
        return _Policy(request, name, tags.get("adkim") == "s")
    return None


def _tags(record: str) -> dict[str, str]:
    tags = {}
    for part in record.split(";"):
        key, _sep, value = part.partition("=")
        tags[key.strip().lower()] = value.strip().lower()
    return tags


# --- DKIM (dkimpy) ----------------------------------------------------------------------------


def _dkim_passes(
    raw: bytes,
    parsed: ParsedMail,
    resolver: dns.resolver.Resolver,
    domain: str,
    policy: _Policy | None,
) -> bool:
    """Whether a DKIM signature aligned with the From domain verifies."""
    if not parsed.has("dkim-signature"):
        return False
    troubles: list[str] = []

    def dnsfunc(name: bytes, timeout: float = 5) -> bytes | None:
        try:
            records = _txt(resolver, name.decode("ascii", "replace"))
        except _DnsTrouble as trouble:
            troubles.append(str(trouble))
            raise dkim.DnsTimeoutError(str(trouble)) from trouble
        return records[0] if records else None

    try:
        verifier = dkim.DKIM(raw, minkey=1024, timeout=settings.MAIL_DNS_TIMEOUT_SECONDS)
    except dkim.DKIMException:
        return False
    signatures = [v for k, v in verifier.headers if k.lower() == b"dkim-signature"]
    organization = policy.found_at if policy is not None else ""
    strict = policy is not None and policy.strict_dkim
    for index, signature in enumerate(signatures):
        signer = re.search(rb"(?:^|;)\s*d\s*=\s*([^;\s]+)", signature)
        if signer is None:
            continue
        if not _aligned(signer[1].decode("ascii", "replace"), domain, organization, strict=strict):
            continue
        try:
            if verifier.verify(idx=index, dnsfunc=dnsfunc):
                return True
        except dkim.DKIMException as exc:
            log.info("DKIM signature %s of %s does not verify: %s", index, domain, exc)
        if troubles:
            raise _DnsTrouble(troubles[0])
    return False
