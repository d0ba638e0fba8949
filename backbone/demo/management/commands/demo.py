"""`backbone demo`: migrate, load the demo initiative, print the logins, serve on 127.0.0.1:8000."""

from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from backbone.core.models import Initiative
from backbone.demo.agenda import load_agenda
from backbone.demo.hud import load_hud
from backbone.demo.loader import DEMO_PASSWORD, SLUG, load_demo
from backbone.demo.performance import load_performance


class Command(BaseCommand):
    help = "Load the demo initiative (idempotent) and serve it on http://127.0.0.1:8000."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Only load; do not serve.")
        parser.add_argument("--addr", default="127.0.0.1:8000", help="Where to serve.")

    def handle(self, *args, no_serve: bool = False, addr: str = "127.0.0.1:8000", **options):
        call_command("migrate", interactive=False, verbosity=0)
        logins = load_demo()
        initiative = Initiative.objects.get(slug=SLUG)
        hud = load_hud(initiative)
        load_performance(initiative)
        load_agenda(initiative)
        sample = initiative.indicators.exclude(code=hud.indicator.code).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"The demo initiative is loaded, with {hud.observations:,} HUD counts and "
                f"{sample} sample partner performance measures."
            )
        )
        self.stdout.write(f"\n  Open  http://{addr}/i/{SLUG}/\n")
        self.stdout.write(f"  Demo logins (password for all: {DEMO_PASSWORD}):")
        for login in logins:
            self.stdout.write(f"    {login.email:<30} {login.role:<18} {login.organization}")
        self.stdout.write("")
        if not no_serve:
            call_command("runserver", addr, use_reloader=False)
