"""``dsar completion bash|zsh``: a completion script generated from the argparse parser, so it never drifts
from the commands and options."""

from __future__ import annotations

import argparse


def _tree(parser: argparse.ArgumentParser, path: str = "") -> dict[str, tuple[list[str], list[str]]]:
    """For each command path ("", "export", "requests list"): its subcommands and its options."""
    subs: list[str] = []
    options = [o for a in parser._actions for o in a.option_strings if o.startswith("--")]
    out: dict[str, tuple[list[str], list[str]]] = {}
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                subs.append(name)
                out.update(_tree(child, f"{path} {name}".strip()))
    out[path] = (subs, sorted(set(options)))
    return out


def bash(parser: argparse.ArgumentParser) -> str:
    """A bash completion function for ``dsar``: subcommands, then each command's options."""
    cases = []
    for path, (subs, options) in sorted(_tree(parser).items(), key=lambda kv: -len(kv[0])):
        words = " ".join(subs + options)
        cases.append(f'        "{path}") words="{words}" ;;')
    names = sorted({w for path in _tree(parser) for w in path.split()})
    return "\n".join([
        "# dsar bash completion (dsar completion bash)",
        "_dsar() {",
        '    local cur="${COMP_WORDS[COMP_CWORD]}" path="" w words i',
        "    for ((i = 1; i < COMP_CWORD; i++)); do",
        '        w="${COMP_WORDS[i]}"',
        "        case \" " + " ".join(names) + " \" in",
        '            *" $w "*) path="${path:+$path }$w" ;;',
        "        esac",
        "    done",
        '    case "$path" in',
        *cases,
        '        *) words="" ;;',
        "    esac",
        '    if [[ "$cur" == -* || -n "$words" ]]; then',
        '        COMPREPLY=($(compgen -W "$words" -- "$cur"))',
        "    fi",
        '    [[ ${#COMPREPLY[@]} -eq 0 ]] && COMPREPLY=($(compgen -f -- "$cur"))',
        "}",
        "complete -F _dsar dsar",
        "",
    ])


def zsh(parser: argparse.ArgumentParser) -> str:
    """The bash function loaded through zsh's ``bashcompinit``."""
    return "#compdef dsar\n# dsar zsh completion (dsar completion zsh)\nautoload -U +X bashcompinit && bashcompinit\n" \
        + bash(parser)


def script(parser: argparse.ArgumentParser, shell: str) -> str:
    """The completion script for ``shell`` (bash or zsh)."""
    return zsh(parser) if shell == "zsh" else bash(parser)


__all__ = ["script"]
