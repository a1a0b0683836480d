# SPDX-License-Identifier: GPL-3.0-or-later
# bash completion for latchkey-cli

# $1: --system for the system bridge's accounts (as root), or nothing.
_latchkey_cli_accounts ()
{
  latchkey-cli ${1:-} list 2>/dev/null | awk '{ print $1 }'
}

_latchkey_cli ()
{
  local cur prev words cword
  _init_completion || return

  local commands="providers add login token list remove test export admin bridge"
  if [[ $cword -eq 1 ]]; then
    COMPREPLY=( $(compgen -W "$commands --help --version --system" -- "$cur") )
    return
  fi
  # latchkey-cli --system COMMAND …: the same commands, on the system
  # bridge's accounts.
  local system=
  if [[ ${words[1]} == --system ]]; then
    system=--system
    words=( "${words[0]}" "${words[@]:2}" )
    cword=$((cword - 1))
    if [[ $cword -eq 1 ]]; then
      COMPREPLY=( $(compgen -W "$commands --help" -- "$cur") )
      return
    fi
  fi

  local command=${words[1]}
  if [[ $command == admin && $cword -eq 2 ]]; then
    COMPREPLY=( $(compgen -W "checklist consent-url exchange-script profile --help" -- "$cur") )
    return
  fi
  if [[ $command == bridge && $cword -eq 2 ]]; then
    COMPREPLY=( $(compgen -W "enable disable password status run device queue --help" -- "$cur") )
    return
  fi
  if [[ $command == bridge && $cword -eq 3 && ${words[2]} == device ]]; then
    COMPREPLY=( $(compgen -W "add list remove reset disable enable --help" -- "$cur") )
    return
  fi
  if [[ $command == bridge && $cword -eq 3 && ${words[2]} == queue && $cur != -* ]]; then
    COMPREPLY=( $(compgen -W "retry drop" -- "$cur") )
    return
  fi
  case $prev in
    --provider)
      COMPREPLY=( $(compgen -W "$(latchkey-cli providers 2>/dev/null | awk '{ print $1 }')" -- "$cur") )
      return ;;
    --format)
      COMPREPLY=( $(compgen -W "raw xoauth2 oauthbearer json" -- "$cur") )
      return ;;
    --protocol)
      COMPREPLY=( $(compgen -W "imap pop smtp" -- "$cur") )
      return ;;
    --protocols)
      COMPREPLY=( $(compgen -W "imap,pop,smtp imap,smtp imap pop smtp" -- "$cur") )
      return ;;
    --client)
      COMPREPLY=( $(compgen -W "$(latchkey-cli export --list-clients 2>/dev/null | awk '{ print $1 }')" -- "$cur") )
      return ;;
    --output|-o|--profile|--config)
      _filedir
      return ;;
    --tenant|--client-id|--login|--object-id|--mailbox|--display-name|--name|--imap|--pop|--smtp|--imaps|--pop3s|--smtps|--legacy-tls|--legacy-smtps)
      return ;;
  esac

  local options
  case $command in
    providers) options="--json" ;;
    add) options="--provider --profile --tenant --client-id --login --protocols --no-browser --device --app-only" ;;
    login) options="--no-browser --device" ;;
    token) options="--format --force-refresh" ;;
    list) options="--json" ;;
    remove) options="" ;;
    test) options="--protocol --send-test --json --transcript" ;;
    export) options="--client --output --force --list-clients --apply --profile --json --format" ;;
    admin)
      case ${words[2]} in
        checklist) options="--tenant --client-id --protocols --app-only --provider --no-lookup --json" ;;
        consent-url) options="--tenant --client-id --protocols --app-only --provider --no-lookup --open --wait" ;;
        exchange-script) options="--tenant --client-id --object-id --mailbox --device --send-as --smtp-rbac --display-name --protocols --output --force" ;;
        profile) options="--tenant --client-id --protocols --provider --no-lookup --output --name --force" ;;
      esac ;;
    bridge)
      case ${words[2]} in
        enable) options="--protocols --json" ;;
        password) options="--reset" ;;
        status) options="--json" ;;
        run) options="--imap --pop --smtp --imaps --pop3s --smtps --lan --allow --legacy-tls --legacy-smtps --relay-without-auth --cert --key --config --system" ;;
        queue) options="--json" ;;
        device)
          case ${words[3]} in
            add) options="--account --protocols --from --max-per-hour --json" ;;
            list|reset) options="--json" ;;
          esac ;;
      esac ;;
  esac

  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$options --help" -- "$cur") )
  else
    case $command in
      login|token|remove|test|export)
        COMPREPLY=( $(compgen -W "$(_latchkey_cli_accounts $system)" -- "$cur") ) ;;
      bridge)
        case ${words[2]} in
          enable|disable|password)
            COMPREPLY=( $(compgen -W "$(_latchkey_cli_accounts $system)" -- "$cur") ) ;;
        esac ;;
    esac
  fi
}
complete -F _latchkey_cli latchkey-cli
