"""Reading messages: the charsets our customers write in, broken labels, HTML, quotes, parts."""

import base64

import pytest

from supportdesk.channels.email.intake import receive
from supportdesk.channels.email.mime import parse
from supportdesk.channels.email.models import EmailAttachment
from supportdesk.channels.email.text import decode_bytes, decode_header, fold, html_to_text
from supportdesk.tickets.models import Case

POLISH = "Zażółć gęślą jaźń. Drukarka w biurze przy ul. Świętokrzyskiej nie działa."
POLISH_SUBJECT = "Awaria łącza – pilne"
PORTUGUESE = "Não consigo aceder à conta; a ligação está lenta desde ontem às 9h. Obrigado, João."
PORTUGUESE_SUBJECT = "Ligação instável – informação urgente"


def raw_message(body: bytes, content_type: str, subject: bytes = b"Test", cte: str = "8bit"):
    return (
        b"From: Ana <ana@cliente-b.pt>\r\nTo: support@webplug.example\r\n"
        b"Subject: " + subject + b"\r\nMessage-ID: <x@client.example>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: " + content_type.encode() + b"\r\n"
        b"Content-Transfer-Encoding: " + cte.encode() + b"\r\n\r\n" + body + b"\r\n"
    )


def encoded_word(text: str, charset: str, kind: str = "Q") -> bytes:
    data = text.encode(charset)
    if kind == "B":
        return f"=?{charset}?B?{base64.b64encode(data).decode()}?=".encode()
    quoted = "".join(
        chr(b) if 33 <= b < 127 and chr(b) not in "=?_" else ("_" if b == 32 else f"={b:02X}")
        for b in data
    )
    return f"=?{charset}?Q?{quoted}?=".encode()


@pytest.mark.parametrize(
    "charset,text,subject",
    [
        ("iso-8859-2", POLISH, POLISH_SUBJECT.replace("–", "-")),
        ("windows-1250", POLISH, POLISH_SUBJECT),
        ("iso-8859-1", PORTUGUESE, PORTUGUESE_SUBJECT.replace("–", "-")),
        ("windows-1252", PORTUGUESE, PORTUGUESE_SUBJECT),
        ("utf-8", POLISH + " " + PORTUGUESE, POLISH_SUBJECT + " " + PORTUGUESE_SUBJECT),
    ],
)
@pytest.mark.parametrize("cte", ["8bit", "quoted-printable", "base64"])
def test_polish_and_portuguese_bodies_and_subjects(charset, text, subject, cte):
    data = text.encode(charset)
    if cte == "base64":
        data = base64.encodebytes(data).replace(b"\n", b"\r\n")
    elif cte == "quoted-printable":
        import quopri

        data = quopri.encodestring(data)
    kind = "B" if cte == "base64" else "Q"
    raw = raw_message(
        data, f'text/plain; charset="{charset}"', encoded_word(subject, charset, kind), cte
    )
    parsed = parse(raw)
    assert parsed.text == text and parsed.subject == subject


@pytest.mark.parametrize(
    "label,charset,text",
    [
        ("us-ascii", "windows-1250", POLISH),  # 8-bit mislabelled as ASCII
        ("iso-8859-1", "windows-1250", POLISH),  # Polish sent under a Western label
        ("utf-8", "windows-1252", PORTUGUESE),  # Windows bytes under a UTF-8 label
        (None, "iso-8859-1", PORTUGUESE),  # no label at all
        ("x-unknown", "windows-1250", POLISH),  # a label nobody knows
        ("utf-8", "utf-8", PORTUGUESE),
    ],
)
def test_mislabelled_8bit_text(label, charset, text):
    ctype = f"text/plain; charset={label}" if label else "text/plain"
    assert parse(raw_message(text.encode(charset), ctype)).text == text


def test_raw_8bit_polish_subject_without_encoded_words():
    raw = raw_message(b"x", "text/plain", POLISH_SUBJECT.encode("windows-1250"))
    assert parse(raw).subject == POLISH_SUBJECT


def test_bogus_charset_labels_are_understood():
    assert decode_bytes("中文邮件".encode("gb2312"), "iso-gb2312") == "中文邮件"
    assert (
        decode_header("=?iso-gb2312?B?" + base64.b64encode("测试".encode("gb2312")).decode() + "?=")
        == "测试"
    )


def test_encoded_words_split_inside_a_character_are_joined():
    data = "Zażółć".encode()
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()
    assert decode_header(f"=?utf-8?B?{first}?= =?utf-8?B?{second}?=") == "Zażółć"


def test_rfc2231_filename_in_polish():
    raw = (
        b"From: ana@cliente-b.pt\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nZa\xc5\x82\xc4\x85cznik\r\n"
        b"--b\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment;\r\n filename*0*=utf-8''Faktura%20sty;\r\n"
        b" filename*1*=cze%C5%84.pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"JVBERg==\r\n--b--\r\n"
    )
    parsed = parse(raw)
    assert [p.filename for p in parsed.parts] == ["Faktura styczeń.pdf"]
    assert parsed.parts[0].data == b"%PDF"


def test_html_only_mail_becomes_readable_text_and_safe_html():
    html = (
        "<html><head><style>p{color:red}</style><script>alert(1)</script></head><body>"
        "<p>Ol&aacute;,</p><p>o <b>servidor</b> est&aacute; em baixo.<br>Ver "
        '<a href="https://status.example/x">a página</a>.</p><ul><li>um</li><li>dois</li></ul>'
        '<img src="x" onerror="alert(1)"></body></html>'
    )
    parsed = parse(raw_message(html.encode(), "text/html; charset=utf-8"))
    assert parsed.text == (
        "Olá,\n\no servidor está em baixo.\nVer a página <https://status.example/x>."
        "\n\n- um\n- dois"
    )
    assert "<script" not in parsed.html and "onerror" not in parsed.html
    assert "<b>servidor</b>" in parsed.html


def test_quoted_history_and_signature_are_folded_but_kept():
    text = (
        "Continua sem funcionar.\n\n-- \nAna Silva\nCliente B\n\n"
        "Em seg., 3 de mar. de 2026 às 10:00, Suporte <support@webplug.example> escreveu:\n"
        "> Reiniciámos o servidor.\n"
    )
    assert fold(text) == "Continua sem funcionar."
    polish = "Dalej nie działa.\n\nW dniu 3.03.2026 o 10:00, Wsparcie pisze:\n> Restart.\n"
    assert fold(polish) == "Dalej nie działa."
    outlook = "Thanks!\n\nFrom: Support <s@x>\nSent: Monday\nSubject: x\n\nold"
    assert fold(outlook) == "Thanks!"
    assert fold("> only a quote") == "> only a quote"  # never fold a message to nothing


def test_folded_body_on_the_case_full_text_on_the_mail(world, mailboxes):
    from tests.channels.email.conftest import build

    body = "Ainda não funciona.\n\nNo dia 2 de março, Suporte escreveu:\n> Já está?\n"
    outcome = receive(build(body=body))
    case = Case.objects.get(pk=outcome.case)
    assert case.messages.get().body == "Ainda não funciona."
    assert "> Já está?" in case.emails.get().text


def test_forwarded_message_and_winmail_dat_are_kept_as_attachments(world, mailboxes):
    inner = b"From: x@y.example\r\nSubject: Erro do sistema\r\n\r\nFalha 0x80070005\r\n"
    raw = (
        b"From: ana@cliente-b.pt\r\nTo: support@webplug.example\r\nSubject: Fwd: erro\r\n"
        b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nVejam abaixo.\r\n"
        b"--b\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n"
        b"--b\r\nContent-Type: application/ms-tnef\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        b"eJ8+IgAA\r\n--b--\r\n"
    )
    receive(raw)
    parts = {a.filename: a for a in EmailAttachment.objects.all()}
    assert set(parts) == {"Erro do sistema.eml", "winmail.dat"}
    assert b"Falha 0x80070005" in parts["Erro do sistema.eml"].attachment.file.read()
    assert parts["winmail.dat"].content_type == "application/ms-tnef"


def test_inline_image_is_an_inline_attachment():
    raw = (
        b"From: ana@cliente-b.pt\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related; boundary="r"\r\n\r\n'
        b'--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Veja <img src="cid:img1"></p>\r\n'
        b"--r\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n"
    )
    parsed = parse(raw)
    assert parsed.text == "Veja" and parsed.parts[0].inline and parsed.parts[0].content_id == "img1"
    assert 'src="cid:img1"' in parsed.html


def test_junk_before_the_headers_and_broken_continuations():
    raw = (
        b"---- Original email message ----\r\nFrom: ana@cliente-b.pt\r\n"
        b"X-Tracker: abc\r\ndef-continued-without-indent\r\nSubject: Ol\xc3\xa1\r\n\r\nCorpo\r\n"
    )
    parsed = parse(raw)
    assert (parsed.from_address, parsed.subject, parsed.text) == (
        "ana@cliente-b.pt",
        "Olá",
        "Corpo",
    )


def test_html_to_text_keeps_preformatted_text():
    assert html_to_text("<pre>a  b\n  c</pre>") == "a  b\n  c"


def test_damaged_messages_never_raise_and_give_storable_text():
    """Truncated, bit-flipped and spliced messages (fuzzing found the package raising
    IndexError, NUL bytes in charset labels, bad base64 in encoded words)."""
    import random

    from tests.channels.email.conftest import build

    seeds = [
        build(attachments=[("relatório.pdf", "application/pdf", b"%PDF-1.4" * 50)]),
        raw_message(
            POLISH.encode("cp1250"),
            "text/plain; charset=windows-1250",
            encoded_word(POLISH_SUBJECT, "utf-8", "B"),
        ),
        raw_message(b"<p>Ol\xe1</p>", 'text/html; charset="iso-8859-1"'),
    ]
    rng = random.Random(5)
    for _ in range(600):
        data = bytearray(rng.choice(seeds))
        kind = rng.random()
        if kind < 0.3:
            data = data[: rng.randrange(len(data) + 1)]
        elif kind < 0.7:
            for _flip in range(10):
                data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            at = rng.randrange(len(data) + 1)
            data[at:at] = bytes(rng.randrange(256) for _ in range(40))
        parsed = parse(bytes(data))
        texts = [parsed.text, parsed.subject, parsed.from_address, parsed.from_name, parsed.html]
        texts += [p.filename for p in parsed.parts] + [p.content_type for p in parsed.parts]
        for text in texts:
            assert "\x00" not in text
            text.encode("utf-8")
