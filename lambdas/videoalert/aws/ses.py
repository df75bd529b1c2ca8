"""Send the HTML alert e-mail with SES: one MIME message, the text for old clients, the HTML with the best frame
inline (a related part named by its Content-ID), from a verified identity."""
from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid
from typing import Any


class AlertMailer:
    def __init__(self, ses_client: Any, sender: str, recipients: tuple[str, ...]):
        self.ses = ses_client
        self.sender = sender
        self.recipients = recipients

    def send(self, *, subject: str, text: str, html: str, jpeg: bytes | None, frame_cid: str,
             message_id: str | None = None) -> str:
        """Send it; the SES message id. message_id: the Message-ID header (the same on a retry, so mail clients
        thread a duplicate with the first)."""
        message = EmailMessage()
        message["Subject"] = subject
        message["From"] = self.sender
        message["To"] = ", ".join(self.recipients)
        message["Message-ID"] = message_id or make_msgid(domain="videoalert")
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        html_part = message.get_body(("html",))
        if jpeg and isinstance(html_part, EmailMessage):
            html_part.add_related(jpeg, maintype="image", subtype="jpeg", cid=f"<{frame_cid}>",
                                  filename="best-frame.jpg", disposition="inline")
        response = self.ses.send_raw_email(Source=self.sender, Destinations=list(self.recipients),
                                           RawMessage={"Data": message.as_bytes()})
        return str(response["MessageId"])
