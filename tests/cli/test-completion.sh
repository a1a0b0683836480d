#!/bin/bash
# SPDX-License-Identifier: GPL-3.0-or-later
# bash completion for latchkey-cli, driven the way bash drives it: commands,
# options, and account addresses from `latchkey-cli list`. zsh's file is
# checked for syntax. Prints TAP.
set -u
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export XDG_CONFIG_HOME="$scratch/config" HOME="$scratch"
# latchkey-cli as the completion calls it: on PATH.
mkdir -p "$scratch/bin"
ln -s "$LK_BUILD_ROOT/src/cli/latchkey-cli" "$scratch/bin/latchkey-cli"
ln -s "$LK_BUILD_ROOT/src/cli/latchkey-cli-full" "$scratch/bin/latchkey-cli-full"
export PATH="$scratch/bin:$PATH"
# Two accounts, written as latchkey-cli writes them (no keyring needed to list).
mkdir -p "$XDG_CONFIG_HOME/latchkey/accounts"
profile=$(cat "$LK_SOURCE_ROOT/data/providers/microsoft365.json")
for a in alice@contoso.com bob@contoso.com; do
  printf '{"email":"%s","flow":"browser","protocols":"imap,smtp","state":"working","provider":%s}\n' \
    "$a" "$profile" > "$XDG_CONFIG_HOME/latchkey/accounts/$a.json"
done

source /usr/share/bash-completion/bash_completion
source "$LK_SOURCE_ROOT/data/completions/latchkey-cli.bash"

complete_line () {
  COMP_LINE=$1
  read -r -a COMP_WORDS <<< "$1"
  [[ $1 == *" " ]] && COMP_WORDS+=("")
  COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  _latchkey_cli latchkey-cli "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
  printf '%s\n' "${COMPREPLY[@]}" | sort | tr '\n' ' '
}

n=0; failed=0
check () {
  n=$((n + 1))
  got=$(complete_line "$1")
  if [[ " $got " == *" $2 "* ]]; then echo "ok $n completing “$1” offers $2"
  else echo "not ok $n completing “$1” offers $2"; echo "# got: $got"; failed=1; fi
}

echo "TAP version 13"
check "latchkey-cli to" token
check "latchkey-cli " export
check "latchkey-cli token " alice@contoso.com
check "latchkey-cli test b" bob@contoso.com
check "latchkey-cli token alice@contoso.com --f" --format
check "latchkey-cli token alice@contoso.com --format " oauthbearer
check "latchkey-cli test alice@contoso.com --protocol " pop
check "latchkey-cli export alice@contoso.com --client " msmtp
check "latchkey-cli export alice@contoso.com --client msmtp --ap" --apply
check "latchkey-cli add --provider " microsoft365
check "latchkey-cli br" bridge
check "latchkey-cli bridge " enable
check "latchkey-cli bridge en" enable
check "latchkey-cli bridge enable " alice@contoso.com
check "latchkey-cli bridge password bob@contoso.com --" --reset
check "latchkey-cli bridge enable alice@contoso.com --protocols " imap,smtp
check "latchkey-cli bridge run --i" --imaps
check "latchkey-cli bridge status --" --json
check "latchkey-cli bridge dev" device
check "latchkey-cli bridge device " add
check "latchkey-cli bridge device add mfp --max" --max-per-hour
check "latchkey-cli bridge queue " retry
check "latchkey-cli bridge run --la" --lan
check "latchkey-cli --sy" --system
check "latchkey-cli --system to" token
check "latchkey-cli --system bridge " enable
check "latchkey-cli --system bridge run --sy" --system
check "latchkey-cli admin exchange-script --smt" --smtp-rbac
n=$((n + 1))
if command -v zsh >/dev/null; then
  if zsh -n "$LK_SOURCE_ROOT/data/completions/_latchkey-cli"; then echo "ok $n zsh completion parses"
  else echo "not ok $n zsh completion parses"; failed=1; fi
else
  echo "ok $n zsh completion parses # SKIP zsh is not installed"
fi
echo "1..$n"
exit $failed
