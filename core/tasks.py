from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(bind=True, max_retries=5, default_retry_delay=30)
def send_email(self, *, to: list[str], subject: str, text: str, html: str = "") -> None:
    """Send one email; retried on SMTP failure. Queued with transaction.on_commit."""
    message = EmailMultiAlternatives(subject=subject, body=text, to=to)
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except OSError as exc:
        raise self.retry(exc=exc)
