"""``completion bash|zsh``: shell completion generated from the parser itself, so it never drifts."""

from __future__ import annotations

import argparse
import sys


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "completion",
        help="print a shell completion script",
        description="Print a completion script: source <(capi-kamaji-proxmox completion bash)",
    )
    p.add_argument("shell", choices=("bash", "zsh"))
    p.set_defaults(func=run)


def _tree(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Words that may follow each command path, e.g. {'': [...commands], 'template': [...flags]}."""
    out: dict[str, list[str]] = {}

    def walk(p: argparse.ArgumentParser, path: str) -> None:
        words: list[str] = []
        for action in p._actions:
            if isinstance(action, argparse._SubParsersAction):
                for name, child in action.choices.items():
                    words.append(name)
                    walk(child, f"{path} {name}".strip())
            elif action.option_strings:
                words.extend(o for o in action.option_strings if o.startswith("--"))
            elif action.choices:
                words.extend(str(c) for c in action.choices)
        out[path] = sorted(set(words))

    walk(parser, "")
    return out


def run(args: argparse.Namespace) -> int:
    from capi_kamaji_proxmox.cli.main import build_parser

    tree = _tree(build_parser())
    cases = "\n".join(f'    "{path}") words="{" ".join(w)}" ;;' for path, w in sorted(tree.items()))
    script = f"""# capi-kamaji-proxmox {args.shell} completion
_ckp_complete() {{
  local cur path="" w
  cur="${{COMP_WORDS[COMP_CWORD]}}"
  for w in "${{COMP_WORDS[@]:1:COMP_CWORD-1}}"; do
    case "$w" in -*) ;; *) [[ " $(_ckp_words "$path") " == *" $w "* ]] && path="${{path:+$path }}$w" ;; esac
  done
  COMPREPLY=( $(compgen -W "$(_ckp_words "$path")" -- "$cur") )
}}
_ckp_words() {{
  local words=""
  case "$1" in
{cases}
  esac
  echo "$words"
}}
"""
    if args.shell == "bash":
        script += "complete -o default -F _ckp_complete capi-kamaji-proxmox ckp\n"
    else:
        script += "autoload -U +X bashcompinit && bashcompinit\n"
        script += "complete -o default -F _ckp_complete capi-kamaji-proxmox ckp\n"
    sys.stdout.write(script)
    return 0
