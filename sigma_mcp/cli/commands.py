"""One subcommand per tool, generated from the registry: its positional parameters as arguments, the others
as options (`agentId` → `--agent`, `maxTurns` → `--max-turns`), every value checked by the tool's own
parameters model, and the tool's own answer printed. `--agent` may be left out when SIGMAMIND_AGENT_ID names a
default agent."""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any

from sigma_mcp.config import AGENT_ID_VAR
from sigma_mcp.registry import TOOLS
from sigma_mcp.safety.redaction import Redactor
from sigma_mcp.sigmamind.errors import ConfigurationError, InvalidArgument, SigmaMindError
from sigma_mcp.tools.spec import AGENT

if TYPE_CHECKING:
    import argparse

    from sigma_mcp.config import Settings
    from sigma_mcp.tools.spec import ToolSpec

EXIT_OK = 0
EXIT_API_ERROR = 1
EXIT_USAGE = 2


def option(parameter: str) -> str:
    """The command-line option of a parameter: kebab case, without a trailing "Id"."""
    words = re.sub(r"(?<!^)(?=[A-Z])", "-", parameter.removesuffix("Id")).lower()
    return f"--{words}"


def metavar(parameter: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", parameter).upper()


def add_tool_commands(commands: Any) -> None:
    """A subcommand for every tool in the registry."""
    import argparse

    for spec in TOOLS:
        command: argparse.ArgumentParser = commands.add_parser(
            spec.command, help=spec.command_help, description=f"Print {spec.command_help}."
        )
        command.set_defaults(tool=spec.name)
        properties = spec.parameters.model_json_schema()["properties"]
        for name, field in spec.parameters.model_fields.items():
            help_text = _first_sentence(field.description or "")
            if name in spec.positional:
                command.add_argument(name, metavar=metavar(name), help=help_text)
            else:
                if name == AGENT:  # checked once the environment is read: SIGMAMIND_AGENT_ID may stand in for it
                    help_text += f" (default: ${AGENT_ID_VAR}, when set)"
                command.add_argument(
                    option(name),
                    dest=name,
                    metavar=metavar(name),
                    required=field.is_required() and name != AGENT,
                    type=int if _is_integer(properties[name]) else str,
                    help=help_text,
                )
        command.add_argument("--json", action="store_true", help="print the structured result as JSON")
        command.add_argument(
            "--demo", action="store_true", default=argparse.SUPPRESS, help="use built-in demo data (no key needed)"
        )


_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)\.\s+(?=[A-Z])")


def _first_sentence(text: str) -> str:
    head = _SENTENCE_END.split(text, maxsplit=1)[0]
    return head.rstrip(".").replace("%", "%%")


def _is_integer(schema: dict[str, Any]) -> bool:
    """Whether a parameter takes whole numbers: argparse reads them as Python does (`+5`, `1_000`), and the
    parameters model checks the range."""
    return any(option.get("type") == "integer" for option in schema.get("anyOf", [schema]))


async def run_tool_command(settings: Settings, redactor: Redactor, args: argparse.Namespace) -> int:
    """Run one tool's subcommand and print its answer; return the exit status."""
    from sigma_mcp.registry import BY_NAME
    from sigma_mcp.sigmamind.client import SigmaMindClient
    from sigma_mcp.tools.arguments import parse_arguments
    from sigma_mcp.tools.schemas import schema_keys

    spec: ToolSpec[Any] = BY_NAME[args.tool]
    given = {name: getattr(args, name) for name in spec.parameters.model_fields if getattr(args, name) is not None}
    try:
        default_agent_id = settings.agent_default()
        if AGENT in spec.parameters.model_fields and AGENT not in given and default_agent_id is None:
            print(
                f"sigma-mcp {spec.command}: error: the following arguments are required: {option(AGENT)} "
                f"(or set {AGENT_ID_VAR} to make one agent the default)",
                file=sys.stderr,
            )
            return EXIT_USAGE
        params = parse_arguments(spec.name, spec.parameters, given, default_agent_id=default_agent_id)
        async with SigmaMindClient(settings, redactor=redactor) as client:
            answer = await spec.run(client, params)
    except SigmaMindError as exc:
        print(f"sigma-mcp: error: {redactor.text(exc.message)}", file=sys.stderr)
        return EXIT_USAGE if isinstance(exc, ConfigurationError | InvalidArgument) else EXIT_API_ERROR
    if args.json:
        data = redactor.json(answer.summary.model_dump(mode="json"), keep=schema_keys(spec.name))
        output = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
    else:
        output = redactor.text(answer.text)
    write_stdout(output)
    return EXIT_OK


def write_stdout(text: str) -> None:
    # A console that cannot show every character (e.g. a legacy Windows code page) gets replacements.
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    sys.stdout.write(text)
    sys.stdout.flush()
