#!/usr/bin/env bash
# tests/check_completion_zsh.sh ISMSCTL — `ismsctl completion zsh` against `ismsctl help`:
# the script passes `zsh -n`; its command list is exactly the commands `ismsctl help` lists;
# and its driver, run in zsh with the completion system's functions (_describe, compadd,
# _files, _message) replaced by ones that print what they are given, offers the right words,
# flags, enum choices and files, both sourced and autoloaded from $fpath. Exit 77 (skipped)
# when zsh is not installed.

set -euo pipefail

ISMSCTL=${1:?usage: check_completion_zsh.sh ISMSCTL}
command -v zsh >/dev/null || {
    echo "zsh is not installed: skipped"
    exit 77
}
TMP=$(mktemp -d /tmp/isms-zsh.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

"$ISMSCTL" completion zsh >"$TMP/_ismsctl"
head -n 1 "$TMP/_ismsctl" | grep -qx '#compdef ismsctl' || fail "first line is not #compdef ismsctl"
zsh -n "$TMP/_ismsctl" || fail "zsh -n reports a syntax error"

# --- the command list is the one `ismsctl help` prints -------------------------------------
# zsh's list, read by zsh itself.
zsh -f -c "compdef() { :; }; source $TMP/_ismsctl; print -rl -- \"\${_ismsctl_cmds[@]}\"" |
    grep -vx help | sort >"$TMP/zsh_cmds"
# help's command lines are "  <words> [synopsis]"; summaries are indented by 6.
"$ISMSCTL" help | sed -n '/^commands:/,/^$/p' | grep -E '^  [a-z]' | sed 's/^  //' >"$TMP/help_lines"
nhelp=$(wc -l <"$TMP/help_lines")
nzsh=$(wc -l <"$TMP/zsh_cmds")
[[ $nhelp -gt 20 ]] || fail "ismsctl help lists only $nhelp commands"
[[ $nhelp -eq $nzsh ]] || fail "ismsctl help lists $nhelp commands, the zsh script $nzsh"
# Each help line starts with exactly one zsh command (the longest that matches).
while IFS= read -r line; do
    best=""
    while IFS= read -r c; do
        if [[ "$line" == "$c" || "$line" == "$c "* ]] && ((${#c} > ${#best})); then
            best=$c
        fi
    done <"$TMP/zsh_cmds"
    [[ -n $best ]] || fail "help's command \"$line\" is not in the zsh script"
    echo "$best"
done <"$TMP/help_lines" | sort >"$TMP/help_cmds"
diff -u "$TMP/help_cmds" "$TMP/zsh_cmds" || fail "commands differ between help and zsh completion"
echo "commands in ismsctl help and in the zsh script: $nhelp"

# --- the driver ------------------------------------------------------------------------------
cat >"$TMP/stubs.zsh" <<'EOF'
_describe() { local a=${@[-1]}; print -rl -- "D:${(@P)a}" }
compadd() { [[ $1 == -- ]] && shift; print -rl -- "C:$@" }
_files() { print -r -- "FILES" }
_message() { print -r -- "M:${@[-1]}" }
compset() { return 0 }
t() { words=("$@"); CURRENT=$#; _ismsctl; print -r -- "---" }
EOF
cat >"$TMP/cases.zsh" <<'EOF'
t ismsctl ''
t ismsctl risk ''
t ismsctl context party ''
t ismsctl --server 127.0.0.1:7370 -o json context party add --kind ''
t ismsctl context party add --kind=
t ismsctl asset export --file ''
t ismsctl -o ''
t ismsctl --ca ''
t ismsctl asset list --
t ismsctl help ''
t ismsctl status ''
EOF
# Sourced: compdef registers the function.
zsh -f -c "source $TMP/stubs.zsh; compdef() { print -r -- \"compdef \$*\" }
    source $TMP/_ismsctl; source $TMP/cases.zsh" >"$TMP/sourced.out" 2>&1 ||
    fail "sourced run failed: $(tail -n 5 "$TMP/sourced.out")"
# Autoloaded from $fpath as compinit does: the file's body is the function's first run.
mkdir "$TMP/fpath"
cp "$TMP/_ismsctl" "$TMP/fpath/_ismsctl"
zsh -f -c "source $TMP/stubs.zsh; compdef() { print -r -- \"compdef \$*\" }
    fpath=($TMP/fpath \$fpath); autoload -Uz _ismsctl; source $TMP/cases.zsh" \
    >"$TMP/autoload.out" 2>&1 || fail "autoloaded run failed: $(tail -n 5 "$TMP/autoload.out")"
grep -qx 'compdef _ismsctl ismsctl' "$TMP/sourced.out" || fail "sourcing does not call compdef"
! grep -q '^compdef' "$TMP/autoload.out" || fail "autoloading calls compdef"
# Both runs offer the same (after the compdef line).
diff <(grep -v '^compdef' "$TMP/sourced.out") "$TMP/autoload.out" >/dev/null ||
    fail "sourced and autoloaded completions differ"

# case N OUTPUT: the output of the Nth case (1-based).
case_out() {
    awk -v n="$1" 'BEGIN { k = 1 } /^---$/ { k++; next } k == n' "$TMP/autoload.out"
}
expect() { # expect N PATTERN WHAT
    case_out "$1" | grep -qE -- "$2" || fail "case $1 ($3): no line matching /$2/ in: $(case_out "$1" | head -n 5 | tr '\n' '|')"
}
reject() {
    ! case_out "$1" | grep -qE -- "$2" || fail "case $1 ($3): unexpected /$2/"
}
expect 1 '^D:help:' "nouns offered with descriptions"
expect 1 '^risk:risk register' "nouns offered with descriptions"
expect 1 '^completion:' "every noun"
reject 1 '^list:' "verbs only after their noun"
expect 2 '^D:|^[a-z]' "risk verbs"
expect 2 '^(D:)?create:' "risk verbs with summaries"
expect 3 '^(D:)?add:record an interested party' "a multi-word verb's last word"
expect 3 '^remove:' "a multi-word verb's last word"
expect 4 '^C:internal$' "enum choices after global options"
expect 4 '^external$' "enum choices"
expect 5 '^C:internal$' "enum choices after --flag="
expect 6 '^FILES$' "a file flag completes files"
expect 7 '^C:table$' "-o offers the formats"
expect 8 '^FILES$' "--ca completes files"
expect 9 '^D:--' "flags of asset list"
expect 9 '^--server:' "global options among the flags"
expect 10 '^D:(status|risk):' "help NOUN offers nouns"
reject 10 '^D:help:' "help help"
expect 11 '^D:--server:' "a complete command without flags offers the global options"

# --- the real completion system, in an interactive zsh on a pseudo-terminal (zpty) ----------
# MODE is fpath (compinit finds _ismsctl) or source (source <(ismsctl completion zsh)); the
# typed TEXT ends in TABs; prints the screen.
cat >"$TMP/zpty.zsh" <<'EOF'
zmodload zsh/zpty || exit 3
mode=$1 dir=$2 ctl=$3 text=$4
zpty -b z zsh -f -i
# Only the fpath mode can find _ismsctl in $fpath: the source mode must work by itself.
[[ $mode == fpath ]] && zpty -w z "fpath=($dir/fpath \$fpath)"
zpty -w z "PS1='%% '; autoload -Uz compinit; compinit -u -d $dir/zcompdump.$mode"
zpty -w z 'zstyle ":completion:*" format "<%d>"; zstyle ":completion:*" menu no; LISTMAX=100000'
[[ $mode == source ]] && zpty -w z "source <($ctl completion zsh)"
zpty -w z 'echo READY-$((6*7))'
zpty -r z line '*READY-42*' || exit 4
zpty -n -w z "$text"
sleep 1.5
out=""
while zpty -r -t z chunk; do out+=$chunk; done
zpty -d z
print -r -- "$out"
EOF
# zcomplete N MODE TEXT: runs it, keeps the screen without escape sequences in $TMP/zpty.N.
zcomplete() {
    timeout 30 zsh -f "$TMP/zpty.zsh" "$2" "$TMP" "$ISMSCTL" "$3" 2>&1 |
        sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\r//g' -e 's/[\x07\x08]//g' >"$TMP/zpty.$1" || true
}
zexpect() { # zexpect N PATTERN WHAT
    grep -qE -- "$2" "$TMP/zpty.$1" ||
        fail "real completion $1 ($3): no /$2/ on the screen: $(tail -n 5 "$TMP/zpty.$1" | tr '\n' '|')"
}
zcomplete 1 fpath $'ismsctl ri\t'
zexpect 1 'ismsctl risk' "a noun completed from its start"
zcomplete 2 fpath $'ismsctl risk \t\t'
zexpect 2 '^assess +-- rate the inherent' "verbs listed with their summaries"
zexpect 2 '^plan +-- then one of: export' "a multi-word verb's first word"
zcomplete 3 fpath $'ismsctl context party add --kind \t\t'
zexpect 3 'external' "an enum flag's choices"
zexpect 3 'internal' "an enum flag's choices"
zcomplete 4 fpath $'ismsctl asset list --\t\t'
zexpect 4 '^--server +-- server address' "flags with their help"
zcomplete 5 source $'ismsctl completion \t\t'
zexpect 5 '^zsh +-- print a zsh completion script' "sourced into an interactive shell"
zcomplete 6 source $'ismsctl -o \t\t'
zexpect 6 'json' "the output formats"

# Every command's flags and kinds come from the table: `<cmd> --help` lists the same flags.
zsh -f -c "compdef() { :; }; source $TMP/_ismsctl
    for c in \"\${_ismsctl_cmds[@]}\"; do [[ \$c == help ]] || print -r -- \"\$c|\${_ismsctl_flags[\$c]}\"; done" \
    >"$TMP/flags"
checked=0
while IFS='|' read -r c flags; do
    if [[ $c == *" "* ]]; then
        # shellcheck disable=SC2086  # the command's words are split on purpose
        want=$("$ISMSCTL" $c --help | sed -n '/^flags:/,/^$/p' | { grep -oE '^  --[a-z0-9-]+' || true; })
    else
        # `<noun> --help` of a one-word command is its noun's help: take the synopsis line.
        want=$(grep -E "^$c( |\$)" "$TMP/help_lines" | { grep -oE -- '--[a-z0-9-]+' || true; })
    fi
    want=$(printf '%s\n' "$want" | sed 's/^  //' | tr '\n' ' ' | sed 's/ *$//')
    [[ "$want" == "$flags" ]] || fail "$c: --help lists flags [$want], zsh [$flags]"
    checked=$((checked + 1))
done <"$TMP/flags"
echo "flags compared for $checked commands"

if ((fails > 0)); then
    echo "$fails check(s) failed"
    exit 1
fi
echo "zsh completion: all checks passed"
