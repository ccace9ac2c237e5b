"""Headers decode as the e-mail package decodes them, whichever path a header takes."""

from __future__ import annotations

import email
import email.policy

from reviewkit.load.series import parse_message

RAW = (
    "From: =?utf-8?q?J=C3=B6rg?= Example <jorg@example.org>\n"
    'To: linux-mm@kvack.org, "Doe, Jane" <jane@example.com>\n'
    "Date: Tue, 3 Nov 2026 10:11:12 +0100\n"
    "Message-ID:  <20261103.1@example.org>\n"
    "Subject: [PATCH v3 7/7] mm: switch deferred split\n"
    " shrinker to list_lru\n"
    "Received: from mail.example.org (mail.example.org [192.0.2.1])\n"
    "\tby smtp.kernel.org (Postfix) with ESMTPS id 4F2A1C4CEC3;\n"
    "\tTue,  3 Nov 2026 09:11:13 +0000 (UTC)\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=example.org;\n"
    "\th=from:to:subject; bh=abc+def/ghi=; b=Zm9v\n"
    "X-Mailer: git-send-email 2.39.2\n"
    'X-Odd:   (comment) "quoted \\" string" [brackets] <angle> ;:,\\\n'
    "X-Encoded: =?iso-8859-1?q?caf=E9?= and more\n"
    "X-Folded-Encoded: plain words\n =?utf-8?b?w7xiZXI=?=\n"
    "List-Id: <linux-mm.kvack.org>\n"
    "In-Reply-To: <cover.1@example.org>\n"
    "References: <cover.1@example.org>\n <20261103.0@example.org>\n"
    'Content-Type: text/plain; charset="utf-8"\n'
    "Content-Transfer-Encoding: 8bit\n"
    "\n"
    "body\n"
)


def test_every_header_reads_as_the_email_package_reads_it() -> None:
    data = RAW.encode("utf-8")
    got = parse_message(data, "t.mbox", 1, 1).headers
    msg = email.message_from_bytes(data, policy=email.policy.default)
    want = {key.lower(): str(value) for key, value in reversed(msg.items())}
    assert got == want
    assert got["subject"] == "[PATCH v3 7/7] mm: switch deferred split shrinker to list_lru"
    assert got["x-encoded"] == "café and more"
    assert got["received"].startswith("from mail.example.org") and "\n" not in got["received"]


def test_a_raw_utf8_header_is_decoded_by_the_package_too() -> None:
    data = ("Subject: Grüße aus Köln\nX-Note: naïve\n\nbody\n").encode()
    got = parse_message(data, "t.mbox", 1, 1).headers
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert got == {key.lower(): str(value) for key, value in msg.items()}
