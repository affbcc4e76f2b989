"""Mail splitting: base64 bodies are stored decoded, and joining always gives the exact bytes."""

from __future__ import annotations

import base64
import binascii
import functools
import itertools
import random
from collections.abc import Callable
from email import policy
from email.message import EmailMessage
from email.policy import Policy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from remit.errors import RepositoryError
from remit.repository.mime import (
    Base64Body,
    Piece,
    Raw,
    encode_base64_body,
    join_pieces,
    looks_like_message,
    split_message,
)

ATTACHMENT = random.Random(1).randbytes(30_000)
INNER_ATTACHMENT = random.Random(2).randbytes(9_000)
IMAGE = b"\x89PNG\r\n\x1a\n" + random.Random(3).randbytes(5_000)
QP_TEXT = "Grüße aus Köln — " * 40 + "\nlong line " + "x" * 200 + "\n"


def joined(pieces: list[Piece]) -> bytes:
    return b"".join(join_pieces(pieces))


def check(data: bytes, *, min_body: int = 2048) -> list[Piece]:
    """Split ``data``, assert the piece invariants and the exact round trip, return the pieces."""
    pieces = split_message(data, min_body=min_body)
    assert joined(pieces) == data
    for before, after in itertools.pairwise(pieces):
        assert not (isinstance(before, Raw) and isinstance(after, Raw)), "adjacent Raw pieces"
    assert all(piece.data for piece in pieces if isinstance(piece, Raw)), "empty Raw piece"
    return pieces


def decoded(pieces: list[Piece]) -> list[bytes]:
    return [piece.decoded for piece in pieces if isinstance(piece, Base64Body)]


def build_message(recipient: str, subject: str, mail_policy: Policy) -> bytes:
    """A realistic message: QP text + HTML with an inline image, a PDF, an attached message."""
    inner = EmailMessage()
    inner["From"] = "Zoë Müller <zoe@contoso.example>"
    inner["To"] = recipient
    inner["Subject"] = "Rechnung März"
    inner.set_content("See the attached spreadsheet.\n")
    inner.add_attachment(
        INNER_ATTACHMENT,
        maintype="application",
        subtype="vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        filename="Q1 Übersicht.xlsx",
    )

    message = EmailMessage()
    message["From"] = "Jürgen Weiß <juergen@fabrikam.example>"
    message["To"] = recipient
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.encode().hex()}@fabrikam.example>"
    message.set_content(QP_TEXT, cte="quoted-printable")
    message.add_alternative("<p>Hallo <img src='cid:logo@fabrikam'></p>", subtype="html")
    html = message.get_body(("html",))
    assert isinstance(html, EmailMessage)
    html.add_related(IMAGE, "image", "png", cid="<logo@fabrikam>", filename="logo.png")
    message.add_attachment(ATTACHMENT, maintype="application", subtype="pdf", filename="é.pdf")
    message.add_attachment(inner)
    return message.as_bytes(policy=mail_policy)


@functools.cache
def real_message() -> bytes:
    return build_message("alice@contoso.example", "Quarterly report", policy.SMTP)


@pytest.mark.parametrize(("mail_policy", "eol"), [(policy.SMTP, b"\r\n"), (policy.default, b"\n")])
def test_realistic_message_splits_out_every_attachment(mail_policy: Policy, eol: bytes) -> None:
    data = build_message("alice@contoso.example", "Quarterly report — Ärger", mail_policy)
    assert b"multipart/mixed" in data
    assert b"multipart/alternative" in data
    assert b"message/rfc822" in data
    pieces = check(data)
    assert sorted(decoded(pieces)) == sorted([IMAGE, ATTACHMENT, INNER_ATTACHMENT])
    for piece in pieces:
        if isinstance(piece, Base64Body):
            assert (piece.line_length, piece.eol, piece.final_eol) == (76, eol, True)
    # Headers, the quoted-printable text and the HTML stay raw.
    raw = b"".join(piece.data for piece in pieces if isinstance(piece, Raw))
    assert b"Subject:" in raw
    assert b"quoted-printable" in raw
    assert b"<p>Hallo" in raw


def test_same_attachment_in_two_messages_yields_equal_pieces() -> None:
    first = build_message("alice@contoso.example", "Board pack", policy.SMTP)
    second = build_message("bob@northwind.example", "Fwd: Board pack", policy.SMTP)
    assert first != second
    first_bodies = [p for p in check(first) if isinstance(p, Base64Body)]
    second_bodies = [p for p in check(second) if isinstance(p, Base64Body)]
    assert first_bodies == second_bodies  # same decoded bytes and the same layout
    assert ATTACHMENT in [body.decoded for body in first_bodies]


def test_same_attachment_with_other_line_endings_has_equal_decoded_bytes() -> None:
    crlf = check(build_message("a@contoso.example", "x", policy.SMTP))
    lf = check(build_message("b@contoso.example", "y", policy.default))
    assert sorted(decoded(crlf)) == sorted(decoded(lf))


OUTLOOK_MESSAGE = (
    b"Received: from EX01.contoso.local (10.0.0.5) by EX02.contoso.local\r\n"
    b" (10.0.0.6) with Microsoft SMTP Server id 15.1.2507.6; Mon, 3 Jun 2024 09:12:01 +0200\r\n"
    b"From: =?iso-8859-1?Q?J=FCrgen_Wei=DF?= <juergen@contoso.example>\r\n"
    b"To: <alice@contoso.example>\r\n"
    b"Subject: =?utf-8?B?UmVjaG51bmcgTcOkcno=?=\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: multipart/mixed;\r\n"
    b'\tboundary="----=_NextPart_000_0001_01DAB5C1.2F3E4A50"\r\n'
    b"\r\n"
    b"This is a multi-part message in MIME format.\r\n"
    b"\r\n"
    b"------=_NextPart_000_0001_01DAB5C1.2F3E4A50\r\n"
    b'Content-Type: text/plain;\r\n\tcharset="iso-8859-1"\r\n'
    b"Content-Transfer-Encoding: quoted-printable\r\n"
    b"\r\n"
    b"Gr=FC=DFe\r\n"
    b"\r\n"
    b"------=_NextPart_000_0001_01DAB5C1.2F3E4A50\r\n"
    b'Content-Type: application/pdf;\r\n\tname="Rechnung.pdf"\r\n'
    b"CONTENT-TRANSFER-ENCODING:   Base64\r\n"
    b'Content-Disposition: attachment;\r\n\tfilename="Rechnung.pdf"\r\n'
    b"\r\n" + base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n") + b"\r\n"
    b"------=_NextPart_000_0001_01DAB5C1.2F3E4A50--  \r\n"
    b"\r\n"
    b"epilogue text\r\n"
)


def test_outlook_style_message_with_folded_quoted_boundary() -> None:
    assert looks_like_message(OUTLOOK_MESSAGE[:4096])
    pieces = check(OUTLOOK_MESSAGE)
    assert decoded(pieces) == [ATTACHMENT]
    assert pieces[-1] == Raw(
        b"\r\n------=_NextPart_000_0001_01DAB5C1.2F3E4A50--  \r\n\r\nepilogue text\r\n"
    )


def make_single_part(body: bytes, *, eol: bytes = b"\r\n", ctype: bytes = b"image/jpeg") -> bytes:
    return (
        b"MIME-Version: 1.0" + eol + b"Content-Type: " + ctype + eol
        + b"Content-Transfer-Encoding: base64" + eol + eol + body
    )  # fmt: skip


def wrap(text: bytes, length: int, eol: bytes, *, final: bool) -> bytes:
    lines = [text[i : i + length] for i in range(0, len(text), length)] if length else [text]
    return eol.join(lines) + (eol if final else b"")


@pytest.mark.parametrize(
    ("length", "eol", "final"),
    [(76, b"\r\n", True), (76, b"\n", False), (64, b"\r\n", False), (0, b"\n", True),
     (0, b"\r\n", False), (10, b"\n", True), (72, b"\r\n", True)],
)  # fmt: skip
def test_layouts_are_detected(length: int, eol: bytes, final: bool) -> None:
    text = base64.b64encode(ATTACHMENT)
    data = make_single_part(wrap(text, length, eol, final=final), eol=eol)
    pieces = check(data)
    assert pieces[1] == Base64Body(ATTACHMENT, length, eol, final)


@pytest.mark.parametrize(
    "damage",
    [
        lambda text: text[:-4] + b"QR==",  # non-zero bits after the last character
        lambda text: text[:100] + b" " + text[100:],  # whitespace inside
        lambda text: text[:100] + b"=" + text[101:],  # padding in the middle
        lambda text: text + b"=",  # excess padding
        lambda text: text[:-3],  # truncated inside the last quantum
        lambda text: text[:77] + b"\r" + text[77:],  # stray CR
        lambda text: text.replace(b"\r\n", b"\n", 3),  # mixed line ends
        lambda text: text.replace(b"\r\n", b" \r\n"),  # trailing spaces on every line
        lambda text: text.replace(b"\r\n", b"\r"),  # CR-only line ends
        lambda text: text[:200] + text[202:],  # a short line in the middle
        lambda text: text[:200] + text[204:-2] + b"AAAA\r\n",  # uneven lines, same total
        lambda text: b"\r\n" + text,  # a blank first line
        lambda text: b"".join(text.rsplit(b"\r\n", 2)) + b"\r\n",  # last two lines merged
        lambda text: text[:300] + b"\xff\x00" + text[300:],  # binary garbage
    ],
)
def test_damaged_base64_stays_raw_and_round_trips(damage: Callable[[bytes], bytes]) -> None:
    text = base64.encodebytes(ATTACHMENT[:3000]).replace(b"\n", b"\r\n")
    damaged = damage(text)
    data = make_single_part(damaged)
    pieces = check(data)
    assert pieces == [Raw(data)]


def test_small_bodies_stay_raw_unless_min_body_allows() -> None:
    data = make_single_part(base64.encodebytes(b"tiny attachment"))
    assert check(data) == [Raw(data)]
    assert decoded(check(data, min_body=1)) == [b"tiny attachment"]


def test_trailing_blank_lines_after_the_body_stay_raw() -> None:
    text = base64.encodebytes(ATTACHMENT)
    data = make_single_part(text + b"\n\n  \n", eol=b"\n")
    pieces = check(data)
    assert pieces[1] == Base64Body(ATTACHMENT, 76, b"\n", True)
    assert pieces[2] == Raw(b"\n\n  \n")


def test_digest_parts_default_to_attached_messages() -> None:
    inner = make_single_part(base64.encodebytes(ATTACHMENT), eol=b"\n")
    data = (
        b"MIME-Version: 1.0\nContent-Type: multipart/digest; boundary=d1\n\n"
        b"--d1\n\n" + inner + b"\n--d1--\n"
    )
    assert decoded(check(data)) == [ATTACHMENT]


def test_unquoted_and_escaped_boundaries() -> None:
    body = base64.encodebytes(ATTACHMENT)
    part = b"Content-Type: application/zip\nContent-Transfer-Encoding: base64\n\n" + body
    for param, boundary in [
        (b"boundary=simple_b", b"simple_b"),
        (b'BOUNDARY = "with \\"quote\\" and space"', b'with "quote" and space'),
        (b"boundary=a=b.c; charset=x", b"a=b.c"),
    ]:
        data = (
            b"MIME-Version: 1.0\nContent-Type: Multipart/Mixed; " + param + b"\n\n"
            b"--" + boundary + b"\n" + part + b"\n--" + boundary + b"--\n"
        )
        assert decoded(check(data)) == [ATTACHMENT], param


def test_encode_base64_body_streams_in_blocks_and_matches_the_reference() -> None:
    payload = random.Random(4).randbytes(300_000)
    for length in (4, 10, 76):
        body = Base64Body(payload, length, b"\r\n", False)
        expected = wrap(base64.b64encode(payload), length, b"\r\n", final=False)
        assert encode_base64_body(body) == expected
    blocks = list(join_pieces([Raw(b"head\r\n"), Base64Body(payload, 4, b"\n", True)]))
    assert len(blocks) > 2  # streamed, not one buffer
    assert b"".join(blocks) == b"head\r\n" + wrap(base64.b64encode(payload), 4, b"\n", final=True)
    assert encode_base64_body(Base64Body(b"", 76, b"\n", True)) == b"\n"
    assert encode_base64_body(Base64Body(b"", 0, b"\n", False)) == b""


@pytest.mark.parametrize(("length", "eol"), [(-1, b"\n"), (76, b"\r"), (76, b"")])
def test_invalid_layout_is_a_repository_error(length: int, eol: bytes) -> None:
    with pytest.raises(RepositoryError, match="layout is invalid"):
        Base64Body(b"x", length, eol, True)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"MIME-Version: 1.0\r\nSubject: x\r\n\r\nbody", True),
        (b"Received: from a\r\n\tby b\r\nContent-Type: text/plain\r\n\r\n", True),
        (b"From: a\nSubject: x\nContent-Type: multipart/mixed;\n boundary=x\n\nhi", True),
        (b"X-A: 1\r\nMIME-Version: 1.0\r\nX-Long-Header-Cut-O", True),  # cut off mid-name
        (b"From: a\r\nSubject: no mime headers\r\n\r\nbody", False),
        (b"Subject: x\r\n\r\nContent-Type: text/plain\r\n", False),  # only in the body
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", False),
        (b'{"MIME-Version": "1.0"}', False),
        (b" Content-Type: text/plain\r\n", False),
        (b"MIME-Version: 1.0\r\nbad line without colon\r\n", False),
        (b"MIME-Version: 1.0\x00\r\n", False),
        (b"", False),
    ],
)
def test_looks_like_message(head: bytes, expected: bool) -> None:
    assert looks_like_message(head) is expected


# --- hostile input -----------------------------------------------------------------------------


def test_empty_input() -> None:
    assert split_message(b"") == []
    assert joined([]) == b""


def test_boundary_that_never_closes() -> None:
    data = (
        b"Content-Type: multipart/mixed; boundary=open\r\n\r\n--open\r\n"
        b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n")
    )
    assert decoded(check(data)) == [ATTACHMENT]
    junk = b"Content-Type: multipart/mixed; boundary=open\r\n\r\n" + b"--open\r\nx" * 50_000
    check(junk)


def test_ten_thousand_nested_boundaries() -> None:
    opening = b"".join(
        b"Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n" % (i, i)
        for i in range(10_000)
    )
    leaf = make_single_part(base64.encodebytes(ATTACHMENT).replace(b"\n", b"\r\n"))
    closing = b"".join(b"\r\n--b%d--" % i for i in reversed(range(10_000)))
    check(opening + leaf + closing)
    check(opening)  # and never closed


def test_huge_header_and_many_parts() -> None:
    huge = b"X-Huge: " + b"a" * 5_000_000 + b"\r\n" + b"X-Fold: b\r\n\t" * 100_000
    check(huge + b"Content-Type: multipart/mixed; boundary=x\r\n\r\n" + b"--x\r\n" * 20_000)
    check(huge)  # headers that never end
    check(b'Content-Type: multipart/mixed; boundary=""\r\n\r\n--\r\n')


def test_cr_only_line_endings() -> None:
    data = OUTLOOK_MESSAGE.replace(b"\r\n", b"\r")
    assert check(data) == [Raw(data)]


# --- properties --------------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2_000), st.integers(min_value=0, max_value=64))
def test_arbitrary_bytes_round_trip(data: bytes, min_body: int) -> None:
    check(data, min_body=min_body)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([
    b"\r\n", b"\n", b"\r", b"--", b"--b", b"--b--", b"\n--b\n", b"Content-Type: multipart/mixed; "
    b"boundary=b", b"Content-Transfer-Encoding: base64", b"QUJD", b"QQ==", b"=", b": ", b" ",
    b"message/rfc822", b"Content-Type: ", b"\x00", b"\xff",
]), max_size=60), st.integers(min_value=0, max_value=8))  # fmt: skip
def test_mime_shaped_noise_round_trips(tokens: list[bytes], min_body: int) -> None:
    check(b"".join(tokens), min_body=min_body)


_BOUNDARY_CHARS = "abcXYZ019'()+_,./:=?"
_TEXT = st.text(alphabet="abc XYZ 019.,!ä", max_size=80)


@st.composite
def entities(draw: st.DrawFn, eol: bytes, depth: int, found: list[bytes]) -> bytes:
    """A random MIME entity; ``found`` collects the payloads of its base64 bodies."""
    headers = [
        f"X-{name}: {value}".encode()
        for name, value in draw(st.lists(st.tuples(st.sampled_from("ABC"), _TEXT), max_size=3))
    ]
    kinds = ["text", "base64"] + (["multipart", "message"] if depth < 3 else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "text":
        headers.append(b"Content-Type: text/plain; charset=utf-8")
        body = draw(_TEXT).encode() + eol
    elif kind == "base64":
        payload = draw(st.binary(min_size=1, max_size=600))
        length = draw(st.sampled_from([0, 4, 8, 64, 76]))
        headers.append(b"Content-Type: application/octet-stream")
        cte = draw(st.sampled_from(["base64", "BASE64", "Base64"]))
        space = draw(st.sampled_from(["", " ", "  "]))
        headers.append(f"Content-Transfer-Encoding:{space}{cte}".encode())
        body = wrap(base64.b64encode(payload), length, eol, final=True)
        body += draw(st.sampled_from([b"", eol, eol + eol]))
        found.append(payload)
    elif kind == "message":
        headers.append(b"Content-Type: message/rfc822")
        body = draw(entities(eol, depth + 1, found))
    else:
        boundary = draw(st.text(alphabet=_BOUNDARY_CHARS, min_size=1, max_size=30))
        boundary += f".{depth}.{len(found)}.{draw(st.integers(0, 10**6))}z"
        quoted = draw(st.booleans()) or any(c in boundary for c in "'()+,/:=?")
        param = f'"{boundary}"' if quoted else boundary
        fold = draw(st.sampled_from([" ", eol.decode() + "\t", eol.decode() + " "]))
        subtype = draw(st.sampled_from(["mixed", "alternative", "related"]))
        headers.append(f"Content-Type: multipart/{subtype};{fold}boundary={param}".encode())
        delimiter = b"--" + boundary.encode()
        body = draw(st.sampled_from([b"", b"This is a multi-part message in MIME format." + eol]))
        for _ in range(draw(st.integers(min_value=1, max_value=3))):
            body += delimiter + eol + draw(entities(eol, depth + 1, found)) + eol
        body += delimiter + b"--" + draw(st.sampled_from([b"", eol, eol + b"epilogue" + eol]))
    return eol.join(headers) + eol + eol + body


@st.composite
def messages(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    eol = draw(st.sampled_from([b"\r\n", b"\n"]))
    found: list[bytes] = []
    entity = draw(entities(eol, 0, found))
    return b"MIME-Version: 1.0" + eol + entity, found


@settings(max_examples=100, deadline=None)
@given(messages())
def test_generated_messages_round_trip_and_every_base64_body_is_found(
    generated: tuple[bytes, list[bytes]],
) -> None:
    data, payloads = generated
    pieces = check(data, min_body=1)
    assert decoded(pieces) == payloads
    assert looks_like_message(data)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["truncate", "flip", "lf", "cr", "mixed", "insert"]),
    st.randoms(use_true_random=False),
)
def test_mutated_real_message_round_trips(mutation: str, rng: random.Random) -> None:
    data = bytearray(real_message())
    if mutation == "truncate":
        del data[rng.randrange(len(data)) :]
    elif mutation == "flip":
        for _ in range(rng.randint(1, 5)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif mutation == "lf":
        data = bytearray(bytes(data).replace(b"\r\n", b"\n"))
    elif mutation == "cr":
        data = bytearray(bytes(data).replace(b"\r\n", b"\r"))
    elif mutation == "mixed":
        lines = bytes(data).split(b"\r\n")
        data = bytearray(b"".join(line + rng.choice([b"\r\n", b"\n"]) for line in lines))
    else:
        position = rng.randrange(len(data))
        data[position:position] = rng.choice([b"\r\n", b"--", b"=", b" ", b"\x00", b"\r\n\r\n"])
    check(bytes(data))


def test_unmutated_real_message_is_split() -> None:
    pieces = check(real_message())
    assert len(decoded(pieces)) == 3
    assert binascii.b2a_base64(ATTACHMENT, newline=False) in real_message().replace(b"\r\n", b"")
