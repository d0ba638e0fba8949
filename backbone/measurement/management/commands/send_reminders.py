"""`backbone send-reminders`: queue reminders for reports due within a week or overdue.

Meant for a daily schedule (cron, a systemd timer). The emails are sent by `backbone worker`.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.utils import timezone

from backbone.core.permissions import COMMAND_LINE
from backbone.measurement.reminders import round_remind, rounds_to_remind


class Command(BaseCommand):
    help = "Queue reminder emails for open reporting rounds due within 7 days or overdue."

    def handle(self, *args, **options):
        rounds = rounds_to_remind(timezone.localdate())
        total = 0
        for rnd in rounds:
            owed = round_remind(actor=COMMAND_LINE, round=rnd)
            total += len(owed)
            self.stdout.write(f"{rnd.initiative.slug}: {rnd.name}: {len(owed)} partners reminded")
        self.stdout.write(self.style.SUCCESS(f"{total} reminders queued for {len(rounds)} rounds."))
