"""Development email: each message is written to .data/mail/ and echoed to the console."""

from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


class DevMailBackend(FileBackend):
    def send_messages(self, email_messages):
        ConsoleBackend(fail_silently=True).send_messages(email_messages)
        return super().send_messages(email_messages)
