import json
import sys
import time

from django.core.management.base import BaseCommand, CommandError

from supportdesk.knowledge import chatbot, index
from supportdesk.knowledge.models import Audience


class Command(BaseCommand):
    help = (
        "Ask the assistant as an anonymous visitor would: prints the answering article, or none "
        "and a hand-off. --stdin answers one question per line with the index loaded once."
    )

    def add_arguments(self, parser):
        parser.add_argument("question", nargs="?", help="the question (omit with --stdin)")
        parser.add_argument("--lang", help="preferred language of the answer (pl, pt, en, ...)")
        parser.add_argument("--json", dest="as_json", action="store_true", help="print JSON")
        parser.add_argument("--stdin", action="store_true", help="one question per line")
        parser.add_argument(
            "--as-agent",
            action="store_true",
            help="search every published article, agents-only ones included",
        )
        parser.add_argument("--timing", action="store_true", help="report latency on stderr")

    def handle(self, *args, question, lang, as_json: bool, stdin: bool, as_agent: bool, **options):
        if bool(question) == stdin:
            raise CommandError("give a question or --stdin, not both")
        loaded = index.current()
        audience = Audience(agent=True) if as_agent else Audience()
        questions = (line.rstrip("\n") for line in sys.stdin) if stdin else [question]
        for q in questions:  # an empty line still gets its line of output: answers stay aligned
            started = time.perf_counter()
            reply = chatbot.ask(q, lang=lang, audience=audience, loaded=loaded)
            if options["timing"]:
                self.stderr.write(f"{(time.perf_counter() - started) * 1000:.1f} ms")
            self.stdout.write(self._render(reply, as_json))
            self.stdout.flush()

    @staticmethod
    def _render(reply: chatbot.Reply, as_json: bool) -> str:
        if as_json:
            return json.dumps(reply.as_json(), ensure_ascii=False)
        if reply.answer:
            lines = [f"{reply.answer.title}  [{reply.answer.article}, {reply.answer.score:.2f}]"]
            lines.append(reply.answer.snippet)
        else:
            lines = [chatbot.no_answer_text()]
        for alt in reply.alternatives:
            lines.append(f"  - {alt.title}  [{alt.article}, {alt.score:.2f}]")
        if reply.handoff:
            lines.append("(hand-off to a person)")
        return "\n".join(lines)
