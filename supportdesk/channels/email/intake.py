"""Every inbound message, from the MTA pipe or from IMAP, goes through ``receive``:

1. the raw bytes are stored and committed (content-addressed, deduplicated by Message-ID and
   SHA-256), so nothing that follows can lose the message;
2. it is parsed, classified (the desk's own mail, bounces, auto-replies, floods are held),
   threaded onto a case or opens one, through ``tickets.services`` only;
3. whatever goes wrong in step 2 short of the database going away leaves a case marked for
   review with the raw message attached, never an exception in a log.

Step 2 runs under a claim of the stored message (a conditional UPDATE with a lease, checked
again inside the delivering transaction), so the MTA's retry, an IMAP refetch and any number
of sweeps deliver each message once; a worker that dies mid-delivery leaves it to the next
sweep when its lease ends.
"""

import hashlib
import json
import logging
import re
import traceback
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from supportdesk.accounts.models import Contact
from supportdesk.accounts.services import find_contact
from supportdesk.assets.services import named_in
from supportdesk.channels.email import classify, outgoing, sender_check
from supportdesk.channels.email.mime import ParsedMail, clean, message_id_of, parse
from supportdesk.channels.email.models import (
    BouncedAddress,
    EmailAttachment,
    HoldReason,
    InboundEmail,
    IntakeStatus,
    Mailbox,
    SenderCheck,
    Source,
)
from supportdesk.channels.email.text import fold
from supportdesk.db import writing
from supportdesk.tickets import attachments, services
from supportdesk.tickets.choices import Channel, OutboxStatus
from supportdesk.tickets.errors import CaseError
from supportdesk.tickets.models import Case, Message, OutboundMessage
from supportdesk.tickets.outbox import case_id_from_message_id

log = logging.getLogger(__name__)

#: Errors that mean "the database is not there right now": the MTA should retry later.
TRANSIENT_ERRORS = (OperationalError, InterfaceError)

_CASE_TAG = re.compile(r"\[(#\d{1,18}|[A-Za-z][\w.-]{0,62}\d)\]")
_OUR_IDS = re.compile(rb"<(sd-\d+-[0-9a-f]{12}-[0-9a-f]{16}@[^<>\s]+)>")


@dataclass(frozen=True)
class Outcome:
    """What became of a message: the gateway prints it as one JSON line."""

    status: str
    case: int | None
    message: int

    def as_json(self) -> str:
        return json.dumps({"status": self.status, "case": self.case, "message": self.message})


def outcome_of(email: InboundEmail) -> Outcome:
    status = email.status if email.status != IntakeStatus.RECEIVED else IntakeStatus.REVIEW
    return Outcome(status, email.case_id, email.pk)


def receive(
    raw: bytes,
    *,
    recipient: str = "",
    mailbox: Mailbox | None = None,
    source: str = Source.PIPE,
    now: datetime | None = None,
) -> Outcome:
    """Store, then process, one message. Returns once the raw message is committed; raises
    only when the database cannot store it (the caller must then ask for a retry)."""
    now = now or timezone.now()
    email = store(raw, recipient=recipient, mailbox=mailbox, source=source, now=now)
    if email.status != IntakeStatus.RECEIVED:
        return outcome_of(email)  # the same delivery again: answer as the first time
    return process(email, now=now)


def store(
    raw: bytes,
    *,
    recipient: str = "",
    mailbox: Mailbox | None = None,
    source: str = Source.PIPE,
    now: datetime | None = None,
) -> InboundEmail:
    """Commit the raw bytes, or find them already stored. Nothing is parsed here but the
    Message-ID header, with a regex, so no message can fail to be stored."""
    now = now or timezone.now()
    digest = hashlib.sha256(raw).hexdigest()
    message_id = message_id_of(raw)
    existing = InboundEmail.objects.defer("raw", "text", "html")
    try:
        with transaction.atomic():
            return InboundEmail.objects.create(
                mailbox=mailbox,
                source=source,
                recipient=clean(recipient.strip().lower())[:254],
                received_at=now,
                sha256=digest,
                message_id=message_id,
                size=len(raw),
                raw=raw,
                status=IntakeStatus.RECEIVED,
            )
    except IntegrityError:  # delivered before (an MTA retry, a refetch): the first one stands
        return existing.get(message_id=message_id, sha256=digest)


def hold_oversized(
    head: bytes, *, size: int, recipient: str = "", now: datetime | None = None
) -> InboundEmail:
    """Keep the header block of a message refused for its size (``size`` bytes; its sender
    gets the MTA's bounce), held, so the desk can still see who sent what, and when."""
    now = now or timezone.now()
    parsed = parse(head)
    with writing():
        email = store(head, recipient=recipient, now=now)
        if email.status != IntakeStatus.RECEIVED:
            return email  # the same refusal again
        _finish(
            email,
            IntakeStatus.HELD,
            now,
            hold_reason=HoldReason.TOO_LARGE,
            size=size,
            from_address=parsed.from_address,
            from_name=parsed.from_name,
            subject=parsed.subject[:300],
        )
    return email


def process(email: InboundEmail, *, now: datetime | None = None) -> Outcome:
    """Parse and deliver a stored message; a failure short of the database makes a review case.

    The message is claimed first, so that a sweep and the MTA's re-delivery of the same
    message, or two sweeps, deliver it once: whoever loses the claim answers with what became
    of it, or "received" while the other is still at it."""
    lease = _claim(email)
    outcome = None if lease is None else _process(email, lease, now or timezone.now())
    return outcome or _taken(email)


def process_pending(older_than: timedelta = timedelta(minutes=5), limit: int = 100) -> int:
    """Finish messages stored but never processed (a crash between the two steps, or during
    a delivery whose claim has lapsed); returns how many this worker delivered."""
    clock = timezone.now()
    pending = (
        _claimable(clock)
        .filter(received_at__lt=clock - older_than)
        .order_by("received_at")
        .defer("raw", "text", "html")[:limit]
    )
    delivered = 0
    for email in pending:
        lease = _claim(email)
        if lease is not None and _process(email, lease, timezone.now()) is not None:
            delivered += 1
    return delivered


def _process(email: InboundEmail, lease: datetime, now: datetime) -> Outcome | None:
    """Deliver a message this worker has claimed; None if its claim lapsed and another took it."""
    try:
        parsed = parse(bytes(email.raw))
    except TRANSIENT_ERRORS:
        _unclaim(email, lease)
        raise
    except Exception as exc:
        log.exception("message %s could not be parsed", email.pk)
        return _review(email, None, exc, now, lease)
    try:
        verdict = _check_sender(email, parsed)
        with writing():
            if not _still_claimed(email, lease):
                return None
            return _deliver(email, parsed, now, verdict)
    except TRANSIENT_ERRORS:
        _unclaim(email, lease)
        raise
    except Exception as exc:
        log.exception("message %s could not be delivered", email.pk)
        return _review(email, parsed, exc, now, lease)


# --- claims -----------------------------------------------------------------------------------


def _claimable(clock: datetime):
    return InboundEmail.objects.filter(status=IntakeStatus.RECEIVED).filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=clock)
    )


def _claim(email: InboundEmail) -> datetime | None:
    """Take ``email`` for this worker until the lease ends (a conditional UPDATE, committed);
    None if it is delivered already or another worker holds it. The lease runs on the wall
    clock whatever ``now`` the message is processed at: it measures how long a worker may
    take."""
    clock = timezone.now()
    lease = clock + timedelta(seconds=settings.MAIL_INTAKE_LEASE_SECONDS)
    with writing():
        taken = _claimable(clock).filter(pk=email.pk).update(claimed_until=lease)
    return lease if taken else None


def _still_claimed(email: InboundEmail, lease: datetime) -> bool:
    """Inside the delivering transaction: the claim is still this worker's. The UPDATE locks
    the row until commit, so a worker that took over a lapsed claim cannot deliver too."""
    return bool(
        InboundEmail.objects.filter(
            pk=email.pk, status=IntakeStatus.RECEIVED, claimed_until=lease
        ).update(claimed_until=lease)
    )


def _taken(email: InboundEmail) -> Outcome:
    """The answer for a message another worker has delivered, or is delivering now."""
    email.refresh_from_db(fields=["status", "case"])
    if email.status == IntakeStatus.RECEIVED:
        return Outcome(IntakeStatus.RECEIVED, None, email.pk)
    return outcome_of(email)


def _unclaim(email: InboundEmail, lease: datetime) -> None:
    """Give the message back at once when the database failed us, so the MTA's retry delivers
    it; if the database is gone, the lease runs out instead."""
    try:
        InboundEmail.objects.filter(pk=email.pk, claimed_until=lease).update(claimed_until=None)
    except TRANSIENT_ERRORS:
        log.warning("message %s stays claimed until its lease ends", email.pk)


# --- routing and identity ---------------------------------------------------------------------


def route(
    parsed: ParsedMail, recipient: str, polled: Mailbox | None, mailboxes: dict[str, Mailbox]
) -> tuple[Mailbox | None, str]:
    """The support address the message was delivered to, and its mailbox.

    The envelope recipient (the gateway's ``--recipient``) is the truth when given; then
    Delivered-To/X-Original-To, then To/Cc, matched against the desk's addresses; then the
    polled mailbox; then the default one. An unknown address is kept as the address the
    message came to, and its mail goes to the default mailbox: nothing is refused."""
    default = next((m for m in mailboxes.values() if m.is_default), None)
    if recipient:
        address = recipient.strip().strip("<>").lower()
        return mailboxes.get(address) or polled or default, address
    for address in (*parsed.delivered_to, *parsed.to, *parsed.cc):
        if address in mailboxes:
            return mailboxes[address], address
    if polled is not None:
        return polled, polled.address
    if default is not None:
        return default, default.address
    return None, settings.DEFAULT_FROM_EMAIL.lower()


def our_addresses(mailboxes: dict[str, Mailbox]) -> set[str]:
    return {*mailboxes, settings.DEFAULT_FROM_EMAIL.rpartition("<")[2].strip("> ").lower()}


def _mailboxes() -> dict[str, Mailbox]:
    return {m.address: m for m in Mailbox.objects.all()}


def _check_sender(email: InboundEmail, parsed: ParsedMail) -> sender_check.Verdict:
    """The sender's verdict, asked of DNS before the write lock is taken (a lookup may take
    a second or two), with the authentication server of the mailbox the mail came to."""
    mailbox, _address = route(parsed, email.recipient, email.mailbox, _mailboxes())
    authserv_id = mailbox.authserv_id if mailbox is not None else ""
    return sender_check.check(bytes(email.raw), parsed, authserv_id=authserv_id)


# --- threading --------------------------------------------------------------------------------


def find_case(parsed: ParsedMail, sender: str = "", contact: Contact | None = None) -> Case | None:
    """In-Reply-To/References against our Message-IDs and stored ones, then a subject tag.

    Our Message-IDs are signed and stored ones are unguessable, but ``[#123]`` is not: a tag
    joins only mail from the case's requester or a contact of its organization, so that
    another system's ticket number, or a stranger, cannot add to (and reopen) someone's case."""
    ids = parsed.thread_ids[:50]
    for message_id in ids:
        case_id = case_id_from_message_id(message_id)
        if case_id is not None:
            case = Case.objects.filter(pk=case_id).first()
            if case is not None:
                return case
    if ids:
        earlier = [
            (received_at, case_id)
            for received_at, case_id in InboundEmail.objects.filter(message_id__in=ids)
            .values_list("received_at", "case_id")
            .iterator()
            if case_id is not None
        ]
        if earlier:
            return Case.objects.get(pk=max(earlier)[1])
    for tag in _CASE_TAG.findall(parsed.subject):
        if tag.startswith("#"):
            case = Case.objects.filter(pk=int(tag[1:])).first()
        else:
            case = Case.objects.filter(reference=tag).first()
        if case is not None and _may_follow(case, sender, contact):
            return case
    return None


def _may_follow(case: Case, sender: str, contact: Contact | None) -> bool:
    if sender and case.requester_address.lower() == sender.lower():
        return True
    return contact is not None and contact.organization_id == case.organization_id


# --- delivery ---------------------------------------------------------------------------------


def _attachment_rows(email: InboundEmail, parsed: ParsedMail) -> tuple[list, list[str]]:
    """A row per part, and a note for the message about each part too big to keep."""
    limit = settings.MAIL_MAX_ATTACHMENT_BYTES
    rows, notes = [], []
    for part in parsed.parts:
        size, name = part.size, attachments.clean_name(part.filename)
        rows.append(
            EmailAttachment(
                email=email,
                filename=name,
                content_type=part.content_type,
                content_id=part.content_id,
                inline=part.inline,
                size=size,
                sha256=part.sha256,
            )
        )
        if size > limit:
            notes.append(
                _("[Attachment %(name)s (%(size)s) was not stored: over the %(limit)s limit.]")
                % {"name": name, "size": _size(size), "limit": _size(limit)}
            )
    return rows, notes


def _keep_files(
    rows: list[EmailAttachment], parsed: ParsedMail, message: Message, now: datetime
) -> None:
    """Each part within the limit becomes an attachment of the case, under its message."""
    for row, part in zip(rows, parsed.parts, strict=True):
        if row.size <= settings.MAIL_MAX_ATTACHMENT_BYTES:
            row.attachment = attachments.store_file(
                message,
                part.content(),
                name=row.filename,
                content_type=row.content_type,
                at=now,
            )
    EmailAttachment.objects.bulk_create(rows)


def _size(count: float) -> str:
    for unit in ("B", "kB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return str(count)


def _body(parsed: ParsedMail, notes: list[str]) -> str:
    """The message's text; its files are listed beside it on the case, not in it."""
    body = fold(parsed.text) if parsed.text else ""
    if notes:
        body += "\n\n" + "\n".join(notes)
    return body.strip() or _("(no text)")


def _fill(
    email: InboundEmail,
    parsed: ParsedMail,
    mailbox: Mailbox | None,
    recipient: str,
    verdict: sender_check.Verdict,
):
    email.mailbox = mailbox
    email.recipient = clean(recipient)[:254]
    email.from_address = parsed.from_address
    email.from_name = parsed.from_name
    email.sender_check = verdict.check
    email.from_trusted = classify.sender_trusted(parsed, mailbox, verdict.check)
    email.subject = parsed.subject[:300]
    email.text = parsed.text
    email.html = parsed.html


def _finish(email: InboundEmail, status: str, now: datetime, **fields) -> Outcome:
    email.status = status
    email.processed_at = now
    for name, value in fields.items():
        setattr(email, name, value)
    email.save()
    return outcome_of(email)


def release(email: InboundEmail, *, now: datetime | None = None) -> Outcome:
    """An administrator's decision that held mail is a person's after all: it opens or joins
    a case (without an acknowledgement: automatic mail must not be answered automatically)."""
    now = now or timezone.now()
    if email.status != IntakeStatus.HELD:
        return outcome_of(email)
    parsed = parse(bytes(email.raw))
    verdict = _check_sender(email, parsed)
    with transaction.atomic():
        return _deliver(email, parsed, now, verdict, released=True)


def _deliver(
    email: InboundEmail,
    parsed: ParsedMail,
    now: datetime,
    verdict: sender_check.Verdict,
    released: bool = False,
) -> Outcome:
    mailboxes = _mailboxes()
    mailbox, recipient = route(parsed, email.recipient, email.mailbox, mailboxes)
    _fill(email, parsed, mailbox, recipient, verdict)
    reason = "" if released else classify.hold_reason(parsed, our_addresses(mailboxes))
    if reason == HoldReason.BOUNCE:
        return _bounce(email, parsed, now)
    if reason:
        return _finish(email, IntakeStatus.HELD, now, hold_reason=reason)
    if not released and _over_rate(email, now):
        return _finish(email, IntakeStatus.HELD, now, hold_reason=HoldReason.RATE_LIMIT)
    copy = _earlier_copy(email)
    if copy is not None:
        return _finish(email, IntakeStatus.JOINED, now, case_id=copy.case_id, duplicate_of=copy)
    rows, notes = _attachment_rows(email, parsed)
    body = _body(parsed, notes)
    trusted = email.from_trusted
    sender = parsed.from_address or parsed.reply_to
    contact = find_contact(sender) if trusted else None
    # Mail its own domain disowns joins no case (nor reopens one): it opens one, held.
    failed = verdict.domain if verdict.check == SenderCheck.FAIL else ""
    case = None if failed else find_case(parsed, sender, contact)
    message = None
    if case is not None:
        try:
            message = services.add_customer_message(
                case,
                body=body,
                contact=contact,
                sender=sender,
                at=now,
            )
        except CaseError:
            case = None  # a closed case stays closed: the customer's mail opens a new one
    status = IntakeStatus.JOINED
    if case is None or message is None:
        status = IntakeStatus.NEW
        case = services.open_case(
            subject=parsed.subject,
            body=body,
            channel=Channel.EMAIL,
            contact=contact,
            sender=sender,
            received_via=recipient,
            identify_sender=trusted,
            sender_failed=failed,
            at=now,
            brand=mailbox.brand if mailbox is not None else None,
            asset=named_in(contact.organization if contact else None, parsed.subject, body),
        )
        message = Message.objects.filter(case=case).earliest("id")
    _keep_files(rows, parsed, message, now)
    outcome = _finish(email, status, now, case=case, case_message=message)
    if status == IntakeStatus.NEW and not released and _acknowledged(case, trusted):
        outgoing.acknowledge(case, answering=parsed, mailbox=mailbox, at=now)
    return outcome


def _acknowledged(case: Case, trusted: bool) -> bool:
    """Registered senders get an acknowledgement; strangers only where the desk is set to
    (a forged sender would otherwise receive our mail: backscatter)."""
    return trusted and (case.contact is not None or settings.MAIL_ACKNOWLEDGE_UNREGISTERED)


def _over_rate(email: InboundEmail, now: datetime) -> bool:
    if not email.from_address:
        return False
    window = timedelta(seconds=settings.MAIL_RATE_WINDOW_SECONDS)
    recent = (
        InboundEmail.objects.filter(
            from_address=email.from_address, received_at__gt=now - window, received_at__lte=now
        )
        .exclude(pk=email.pk)
        .count()
    )
    return recent >= settings.MAIL_RATE_LIMIT


def _earlier_copy(email: InboundEmail) -> InboundEmail | None:
    """The same message delivered before with other bytes (to two of our addresses, say)."""
    if not email.message_id:
        return None
    # Only the Message-ID index narrows this down well; the rest is checked here.
    earlier = [
        e
        for e in InboundEmail.objects.filter(message_id=email.message_id).only(
            "pk", "from_address", "case_id", "status", "received_at"
        )
        if e.pk != email.pk
        and e.case_id is not None
        and e.from_address == email.from_address
        and e.status in (IntakeStatus.NEW, IntakeStatus.JOINED)
    ]
    return min(earlier, key=lambda e: (e.received_at, e.pk), default=None)


def _bounce(email: InboundEmail, parsed: ParsedMail, now: datetime) -> Outcome:
    """Attach a bounce to the case whose mail bounced, mark that mail failed and flag the
    address; a bounce of nothing we sent is held."""
    report = parsed.report
    ids = list(report.original_ids) if report else []
    ids += [m.decode("ascii", "replace") for m in _OUR_IDS.findall(bytes(email.raw)[:4_000_000])]
    case_id = next((c for c in map(case_id_from_message_id, ids) if c is not None), None)
    case = Case.objects.filter(pk=case_id).first() if case_id else None
    if case is None:
        return _finish(email, IntakeStatus.HELD, now, hold_reason=HoldReason.BOUNCE)
    wanted = {f"<{i.strip('<>')}>" for i in ids}
    bounced = next(
        (
            o
            for o in OutboundMessage.objects.filter(case=case)
            if o.headers.get("Message-ID") in wanted
        ),
        None,
    )
    action = report.action if report else ""
    status = report.status if report else ""
    diagnostic = report.diagnostic if report else ""
    permanent = action == "failed" or status.startswith("5") or not action
    recipients = (report.recipients if report else []) or ([bounced.to] if bounced else [])
    summary = _("Delivery report: %(action)s %(status)s for %(to)s.") % {
        "action": action or _("failed"),
        "status": status,
        "to": ", ".join(recipients) or "?",
    }
    if diagnostic:
        summary += "\n" + diagnostic
    message = services.add_automatic_message(case, body=summary, sender=parsed.from_address, at=now)
    if bounced is not None and permanent:
        bounced.status = OutboxStatus.FAILED
        bounced.last_error = (
            _("bounced: %(status)s %(diagnostic)s")
            % {
                "status": status,
                "diagnostic": diagnostic,
            }
        ).strip()[:2000]
        bounced.save(update_fields=["status", "last_error"])
    for address in recipients:
        flag, _created = BouncedAddress.objects.get_or_create(
            address=address[:254], defaults={"last_bounced_at": now}
        )
        flag.bounces += 1
        flag.permanent = flag.permanent or permanent
        flag.last_bounced_at = now
        flag.last_status = status[:20]
        flag.last_diagnostic = diagnostic
        flag.last_outbound = bounced
        flag.save()
    return _finish(
        email,
        IntakeStatus.JOINED,
        now,
        case=case,
        case_message=message,
        hold_reason=HoldReason.BOUNCE,
    )


def _review(
    email: InboundEmail, parsed: ParsedMail | None, exc: Exception, now: datetime, lease: datetime
) -> Outcome | None:
    """A case a person must look at, with the raw message attached: the message is not lost."""
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    with writing():
        if not _still_claimed(email, lease):
            return None
        email.refresh_from_db(fields=["status"])
        subject = (parsed.subject if parsed else "") or _("Message that could not be read")
        body = _(
            "This message could not be read automatically (%(error)s). The original is kept "
            "as message %(id)s; please review it."
        ) % {"error": detail[:300], "id": email.pk}
        if parsed is not None and parsed.text:
            body += "\n\n" + parsed.text
        case = services.open_case(
            subject=subject,
            body=body,
            channel=Channel.EMAIL,
            sender=(parsed.from_address or parsed.reply_to) if parsed else "",
            received_via=email.recipient,
            identify_sender=False,
            needs_review=True,
            at=now,
            brand=email.mailbox.brand if email.mailbox is not None else None,
        )
        message = Message.objects.filter(case=case).order_by("id").first()
        email.error = detail[:5000]
        return _finish(email, IntakeStatus.REVIEW, now, case=case, case_message=message)
